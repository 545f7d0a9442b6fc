"""Solve a model over the cardiac cycle and find its worst phase.

Phases start on a uniform grid of :data:`INITIAL_PHASES`; the intervals either side of the
worst phase so far are bisected until the worst clearance between the vessels and CN VII
moves by less than :data:`CLEARANCE_TOL_MM` and whether a vessel touches the nerve is the
same at the finer sampling (never finer than :data:`FINEST_PHASE`). Each solve starts from
the nearest phase already solved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.geometry.closest import closest_approach
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.mechanics.simulate import Settled, settle
from mvd_sim.scene import Scene

__all__ = ["PhaseSweep", "sweep", "clearances", "INITIAL_PHASES", "CLEARANCE_TOL_MM"]

INITIAL_PHASES = 8
CLEARANCE_TOL_MM = 1e-3
FINEST_PHASE = 1.0 / 256


def clearances(scene: Scene, nerve: str = "CN7") -> dict[str, float]:
    """Minimum surface gap (mm, negative on overlap) from each vessel to ``nerve``."""
    n = scene.nerves[nerve]
    return {name: closest_approach(n.points, v.points, n.radius, v.radius).gap
            for name, v in scene.vessels.items()}


@dataclass(frozen=True, eq=False)
class PhaseSweep:
    """Solved states over the cycle.

    Attributes
    ----------
    phases : (k,) float in [0, 1)
        Sampled phases, sorted.
    states : list[Settled]
        One per phase.
    clearance : list[dict[str, float]]
        Per phase, each vessel's clearance from CN VII (mm).
    """

    phases: np.ndarray
    states: list[Settled]
    clearance: list[dict[str, float]]

    def worst_clearance(self, k: int) -> float:
        return min(self.clearance[k].values(), default=np.inf)

    @property
    def worst(self) -> int:
        """Index of the worst phase (the smallest clearance)."""
        return int(np.argmin([self.worst_clearance(k) for k in range(len(self.phases))]))

    def touching(self, contact_mm: float) -> bool:
        return any(self.worst_clearance(k) <= contact_mm for k in range(len(self.phases)))


def sweep(scene: Scene, model: MechanicalModel, u0: np.ndarray, contact_mm: float
          ) -> PhaseSweep:
    """Solve at every needed phase (see the module docstring)."""
    solved: dict[float, Settled] = {}
    gaps: dict[float, dict[str, float]] = {}

    def run(phase: float) -> None:
        if phase in solved:
            return
        level = float(pulse_level(phase))
        start = u0
        if solved:  # start from the state at the nearest pulse level
            nearest = min(solved, key=lambda p: abs(solved[p].level - level))
            start = solved[nearest].equilibrium.u
        state = settle(scene, level=level, u0=start, model=model)
        solved[phase] = state
        gaps[phase] = clearances(state.scene)

    def worst() -> tuple[float, float]:
        phase = min(gaps, key=lambda p: min(gaps[p].values(), default=np.inf))
        return phase, min(gaps[phase].values(), default=np.inf)

    for phase in np.arange(INITIAL_PHASES) / INITIAL_PHASES:
        run(float(phase))
    step = 1.0 / INITIAL_PHASES
    phase, value = worst()
    while step > FINEST_PHASE:
        step /= 2
        for p in (phase - step, phase + step):
            run(float(np.mod(p, 1.0)))
        new_phase, new_value = worst()
        settled = abs(new_value - value) < CLEARANCE_TOL_MM and \
            (new_value <= contact_mm) == (value <= contact_mm)
        phase, value = new_phase, new_value
        if settled:
            break
    order = sorted(solved)
    return PhaseSweep(np.array(order), [solved[p] for p in order], [gaps[p] for p in order])
