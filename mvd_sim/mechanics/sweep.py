"""Solve a model over the cardiac cycle and find its worst phase.

A quasi-static state depends on the phase only through the pulse level (artery radii,
pulsatile shift and pressure load all scale with it, :mod:`mvd_sim.mechanics.pulse`). The
cycle is sampled on a dense phase grid (:data:`DENSE_PHASES`, doubled until the extreme
sampled level moves the worst clearance by less than :data:`CLEARANCE_TOL_MM`), and the model
is solved at the grid's highest and lowest levels and at :data:`LEVEL_QUANTILES` between,
from the top down (each solve starts from the line through the two solved levels nearest
its own, else from the nearest). The worst clearance between the
vessels and CN VII is then normally monotone in the level: worst at the highest level (a
vessel pulsing into the nerve) or at the lowest (one pulsing away from it, e.g. off a pad),
and the grid is refined at that end. If it is not monotone (within the tolerance), the levels
are sampled more finely (:data:`FALLBACK_LEVELS` grid phases spread evenly over the level
range). The worst phase is the one with the smallest clearance (of a tie within
:data:`WORST_TIE_MM`, the one at the highest level). The solves of one sweep share
one :class:`~mvd_sim.mechanics.surface.BrainstemSurface`, so each starts from the brainstem's
closest points of the one before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from mvd_sim.core.errors import SolverError
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.mechanics.simulate import Settled, settle
from mvd_sim.mechanics.surface import BrainstemSurface
from mvd_sim.scene.scene import Scene

__all__ = ["PhaseSweep", "sweep", "settle_from", "clearances", "DENSE_PHASES",
           "CLEARANCE_TOL_MM"]

_log = logging.getLogger(__name__)  # progress of long sweeps (INFO), shown by the CLI

DENSE_PHASES = 64
LEVEL_QUANTILES = (0.5,)
CLEARANCE_TOL_MM = 1e-3
MAX_DENSE_PHASES = 4096
FALLBACK_LEVELS = 17
#: Worst clearances (mm) closer than this are one tie (far below the solver's 1e-4 mm
#: tolerance on its updates, far above the rounding of a clearance the pulse does not move)
WORST_TIE_MM = 1e-6


def clearances(scene: Scene, nerve: str = "CN7") -> dict[str, float]:
    """Minimum surface gap (mm, negative on overlap) from each vessel to ``nerve``.

    Raises
    ------
    KeyError
        If the scene has no such nerve.
    """
    segments = scene.nerves[nerve].segments
    if not scene.vessels:
        return {}
    gaps = segments.nearest_by_tube(scene.vessel_segments)[0]
    return dict(zip(scene.vessels, gaps.tolist()))


@dataclass(frozen=True, eq=False)
class PhaseSweep:
    """Solved states over the cycle.

    Attributes
    ----------
    phases : (k,) float in [0, 1)
        Solved phases, sorted.
    states : list[Settled]
        One per solved phase.
    clearance : list[dict[str, float]]
        Per solved phase, each vessel's clearance from CN VII (mm).
    dense_phases : int
        Size of the phase grid the levels were sampled on.
    """

    phases: np.ndarray
    states: list[Settled]
    clearance: list[dict[str, float]]
    dense_phases: int

    def worst_clearance(self, k: int) -> float:
        return min(self.clearance[k].values(), default=np.inf)

    @property
    def worst(self) -> int:
        """Index of the worst solved phase: the smallest clearance; of phases within
        :data:`WORST_TIE_MM` of it (a clearance the pulse does not move, such as a nerve's
        from a fixed mass, is a tie that rounding would break), the one at the highest
        pulse level, then the earliest."""
        worst = np.array([self.worst_clearance(k) for k in range(len(self.phases))])
        lowest = float(np.min(worst))
        if not np.isfinite(lowest):
            return int(np.argmin(worst))
        ties = np.flatnonzero(worst <= lowest + WORST_TIE_MM)
        levels = np.array([self.states[k].level for k in ties])
        return int(ties[np.argmax(levels)])


def settle_from(scene: Scene, model: MechanicalModel, level: float,
                starts: list[np.ndarray], surface: BrainstemSurface | None = None) -> Settled:
    """Settle from the first start that converges (the last failure is raised).

    The attempts share ``surface`` (``model.new_surface()``, updated in place; the caller
    owns it and may reuse it for further solves of ``model``); default a fresh one for these
    attempts.
    """
    surface = model.new_surface() if surface is None else surface
    for k, start in enumerate(starts):
        try:
            return settle(scene, level=level, u0=start, model=model, surface=surface)
        except SolverError:
            if k == len(starts) - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _predicted(states: list[Settled], level: float) -> list[np.ndarray]:
    """Starts at ``level`` from solved states: the displacements interpolated (or
    extrapolated) linearly in the level through the two solved nearest it, then the nearest
    one's; none without solved states. (The state moves smoothly with the level while the
    contacts hold, so the line through two neighbours starts the Newton iteration nearer
    its answer than either.)"""
    near = sorted(states, key=lambda state: abs(state.level - level))[:2]
    starts = [state.solution.u for state in near[:1]]
    if len(near) == 2 and near[0].level != near[1].level:
        (a, b) = near
        t = (level - a.level) / (b.level - a.level)
        starts.insert(0, a.solution.u + t * (b.solution.u - a.solution.u))
    return starts


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    phases = np.arange(n) / n
    return phases, pulse_level(phases)


def sweep(scene: Scene, model: MechanicalModel, starts: list[np.ndarray]) -> PhaseSweep:
    """Solve over the cycle (see the module docstring); the first solve tries ``starts`` in
    turn, later ones start from the solved state at the nearest level, then from them. Every
    solve uses one brainstem surface state, made here and dropped at the end."""
    solved: dict[float, tuple[Settled, dict[str, float]]] = {}
    surface = model.new_surface()

    def run(phase: float) -> float:
        if phase not in solved:
            level = float(pulse_level(phase))
            tries = _predicted([state for state, _ in solved.values()], level) + list(starts)
            _log.info("pulse sweep: solving at pulse level %.2f (%d solved)", level,
                      len(solved))
            state = settle_from(scene, model, level, tries, surface)
            solved[phase] = (state, clearances(state.scene))
        return min(solved[phase][1].values(), default=np.inf)

    n = DENSE_PHASES
    phases, levels = _grid(n)
    picks = [int(np.argmax(levels)), int(np.argmin(levels))]
    low, high = levels.min(), levels.max()
    picks[1:1] = [int(np.argmin(np.abs(levels - (low + q * (high - low)))))
                  for q in reversed(LEVEL_QUANTILES)]
    worst = [run(float(phases[k])) for k in picks]  # highest level first
    worst_finite = np.where(np.isfinite(worst), worst, 0.0)  # no vessel: nothing to find
    change = np.diff(worst_finite)  # as the level falls
    if np.all(change >= -CLEARANCE_TOL_MM):  # worst at the highest level
        end, pick = np.max, np.argmax
    elif np.all(change <= CLEARANCE_TOL_MM):  # worst at the lowest (a vessel pulses away)
        end, pick = np.min, np.argmin
    else:  # not monotone in the level: sample the levels finer
        for target in np.linspace(high, low, FALLBACK_LEVELS):
            run(float(phases[int(np.argmin(np.abs(levels - target)))]))
        end = None
    if end is not None:  # refine the grid until its extreme level no longer moves the answer
        slope = (worst_finite[0] - worst_finite[-1]) / max(high - low, 1e-12)
        while n < MAX_DENSE_PHASES:
            finer, finer_levels = _grid(2 * n)
            if abs(slope) * abs(end(finer_levels) - end(levels)) < CLEARANCE_TOL_MM:
                break
            n, phases, levels = 2 * n, finer, finer_levels
            run(float(phases[int(pick(levels))]))
    order = sorted(solved)
    return PhaseSweep(np.array(order), [solved[p][0] for p in order],
                      [solved[p][1] for p in order], n)
