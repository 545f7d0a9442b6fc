"""Solve a scene's mechanics at one pulse level and return the deformed scene.

``settle(scene, sponges, level)`` builds the rods (:mod:`mvd_sim.mechanics.assemble`), adds
the sponges, applies the pulse (artery radii and translation, :mod:`mvd_sim.mechanics.pulse`)
and solves for equilibrium (:mod:`mvd_sim.mechanics.solver`); it is the one place a solve
that did not converge becomes a :class:`~mvd_sim.core.errors.SolverError`. The deformed scene
keeps the nerves' rest courses, so the contact engine measures indentation (overlap, i.e. the
dent the contact law carries) and deviation (displacement from rest) of the solved state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mvd_sim.core.errors import SolverError
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.recent import Recent
from mvd_sim.core.tube import Tube
from mvd_sim.mechanics.assemble import scene_rods
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.slings import Sling
from mvd_sim.core.materials import DEFAULT_MATERIALS, Materials
from mvd_sim.mechanics.sections import lumen_radius
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.pulse import DIAMETER_PULSATION, TRANSLATION_MM, pressure_load
from mvd_sim.mechanics.solver import SolveResult, solve
from mvd_sim.mechanics.surface import BrainstemSurface
from mvd_sim.scene.scene import Scene

__all__ = ["Settled", "build_model", "settle", "PULSE_RAMP_MM"]

PULSE_RAMP_MM = 3.0  # the pulsatile shift fades to zero over this length at clamped ends


@dataclass(frozen=True, eq=False)
class Settled:
    """A solved state.

    Attributes
    ----------
    scene : Scene
        The deformed scene (nerves displaced from their rest courses, vessels moved, artery
        radii at the pulse level, sponges at their equilibrium centres).
    solution : SolveResult
        The converged solve (``success`` always True).
    model : MechanicalModel
    level : float
        Pulse level in [0, 1].
    """

    scene: Scene
    solution: SolveResult
    model: MechanicalModel
    level: float


def build_model(scene: Scene, sponges: tuple[Sponge, ...] = (),
                materials: Materials = DEFAULT_MATERIALS,
                slings: tuple[Sling, ...] = ()) -> MechanicalModel:
    """The scene's rods, the sponges and the slings as one model, with the scene's brainstem,
    petrous face, lesions and arachnoid bands."""
    return MechanicalModel(scene_rods(scene, materials), list(sponges), scene.brainstem,
                           materials, petrous=scene.petrous, slings=tuple(slings),
                           lesions=tuple(scene.lesions.values()), bands=scene.bands)


def _pulse(model: MechanicalModel, scene: Scene, level: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rod radii (per rod slot), the stress-free offset and the pressure load (n_dof) at a
    pulse level."""
    radii, offset, load = [], np.zeros(model.n_dof), np.zeros(model.n_dof)
    nerve = scene.rest_nerves["CN7"]
    for index, rod in enumerate(model.rods):
        tube = rod.tube
        if not rod.pulsatile or level == 0.0:
            radii.append(tube.radius)
            continue
        radii.append(tube.radius * (1.0 + DIAMETER_PULSATION * level))
        dofs = model.translation_dofs(index)
        offset[dofs], load[dofs] = _PULSES.fetch((tube, nerve, level),
                                                 lambda: _artery_pulse(tube, nerve, level))
    return np.concatenate(radii), offset, load


def _artery_pulse(tube: Tube, nerve: Tube, level: float) -> tuple[np.ndarray, np.ndarray]:
    """A pulsatile rod's stress-free shift toward the CN VII course ``nerve`` (its rest
    tube), mm, and its pressure load, N, at its nodes ((n, 3) each) at a pulse level."""
    *_, closest = point_polyline(tube.points, nerve.points)
    toward = closest - tube.points
    toward -= np.einsum("ij,ij->i", toward, tube.tangents)[:, None] * tube.tangents
    toward /= np.maximum(np.linalg.norm(toward, axis=1), 1e-12)[:, None]
    ramp = np.clip(np.minimum(tube.s, tube.length_mm - tube.s) / PULSE_RAMP_MM, 0.0, 1.0)
    ramp = ramp * ramp * (3.0 - 2.0 * ramp)
    lumen = np.pi * lumen_radius(tube.radius) ** 2
    return ((TRANSLATION_MM * level * ramp)[:, None] * toward,
            level * pressure_load(tube.points, lumen))


# an artery's pulse by (its tube, the CN VII rest tube, the level), objects by identity
# (held alive here); a plan and a decompression settle many models of one scene's rods at
# the same levels (values read only: _pulse copies them into its arrays)
_PULSES_KEPT = 64
_PULSES: Recent[tuple, tuple[np.ndarray, np.ndarray]] = Recent(_PULSES_KEPT)


def start_displacement(model: MechanicalModel) -> np.ndarray:
    """(n_dof,) the rods' starting configurations (a deviated nerve) as displacements."""
    u0 = np.zeros(model.n_dof)
    for index, rod in enumerate(model.rods):
        u0[model.translation_dofs(index)] = rod.start - rod.tube.points
    return u0


def deformed_scene(scene: Scene, model: MechanicalModel, solution: SolveResult) -> Scene:
    """The scene with every rod at its solved position, the sponges at theirs, an aneurysm's
    dome where its vessel carries it, and the model's slings."""
    where = model.configuration(solution.u, solution.radii)
    carried = {lesion.name: lesion for lesion in model.carried_lesions(where)}
    tubes = {rod.name: dataclasses.replace(rod.tube, points=x, radius=r)
             for rod, x, r in zip(model.rods, where.rods, where.radii)}
    sponges = tuple(dataclasses.replace(s, centre=c)
                    for s, c in zip(model.sponges, where.centres))
    return dataclasses.replace(
        scene, nerves={n: tubes[n] for n in scene.nerves},
        vessels={v: tubes[v] for v in scene.vessels}, sponges=sponges, slings=model.slings,
        lesions={k: carried.get(k, lesion) for k, lesion in scene.lesions.items()})


def settle(scene: Scene, sponges: tuple[Sponge, ...] = (), level: float = 0.0,
           materials: Materials = DEFAULT_MATERIALS, u0: np.ndarray | None = None,
           model: MechanicalModel | None = None,
           surface: BrainstemSurface | None = None) -> Settled:
    """Equilibrium of the scene (with sponges) at pulse level ``level`` in [0, 1].

    ``u0`` starts the iteration (default: the scene as placed); pass a ``model`` from
    :func:`build_model` to reuse its assembly across pulse levels, and with it a ``surface``
    (``model.new_surface()``, owned by the caller, updated in place) to reuse the brainstem's
    closest points of earlier solves of that model (default: a fresh one).

    Raises
    ------
    SolverError
        If the equilibrium did not converge (the solver's message).
    """
    model = build_model(scene, sponges, materials) if model is None else model
    radii, offset, load = _pulse(model, scene, level)
    solution = solve(model, radii, start_displacement(model) if u0 is None else u0, offset,
                     load, surface=surface)
    if not solution.success:
        raise SolverError(solution.message)
    return Settled(deformed_scene(scene, model, solution), solution, model, level)
