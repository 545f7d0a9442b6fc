"""Placing Teflon felt pads: from a :class:`~mvd_sim.scenario.SpongeSpec` to a body in the scene.

A pad goes against the nerve on the chosen side, touching it: its centre lies at the nerve's
radius plus its own from the nerve's centerline. A rolled cylinder lies along the vessel it
holds off (projected square to the side), supporting it over its length. The vessel in the
way is first lifted clear (:func:`vessel_lift`), as a surgeon retracts it before slipping the
pad in; the solver then lets it down onto the pad.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.scene.pads import Sponge
from mvd_sim.scenario import SpongeSpec, check_sponges
from mvd_sim.scene.scene import Scene
from mvd_sim.core.tube import Tube

__all__ = ["place_sponges", "vessel_lift", "START_TOLERANCE_MM", "LIFT_HALF_WIDTH_MM"]

START_TOLERANCE_MM = 0.01  # a pad may start at most this deep in a nerve or the brainstem
LIFT_HALF_WIDTH_MM = 5.0  # a lifted vessel is raised over about this length either side
LIFT_CLEARANCE_MM = 0.05


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _direction(scene: Scene, side: str, tangent: np.ndarray) -> np.ndarray:
    axes = {"lateral": scene.lateral, "medial": -scene.lateral,
            "anterior": np.array([0.0, 1.0, 0.0]), "posterior": np.array([0.0, -1.0, 0.0]),
            "rostral": np.array([0.0, 0.0, 1.0]), "caudal": np.array([0.0, 0.0, -1.0])}
    d = axes[side]
    return d - np.dot(d, tangent) * tangent


def _nearest_vessel(scene: Scene, point: np.ndarray) -> Tube:
    if not scene.vessels:
        raise ScenarioError("the scene has no vessel for a sponge to hold off")
    return min(scene.vessels.values(),
               key=lambda v: float(point_polyline(point[None], v.points)[0][0] - v.radius[0]))


def _place(scene: Scene, spec: SpongeSpec, name: str) -> tuple[Sponge, Tube]:
    nerve, rest = scene.nerves[spec.nerve], scene.rest_nerves[spec.nerve]
    if spec.s_mm is not None:
        if spec.s_mm > rest.length_mm:
            raise ScenarioError(f"s_mm {spec.s_mm:g} is beyond the end of {spec.nerve} "
                                f"({rest.length_mm:.1f} mm)")
        s = float(np.interp(spec.s_mm, rest.s, nerve.s))
        point = nerve.point_at(s)
        vessel = scene.vessels[spec.vessel] if spec.vessel else _nearest_vessel(scene, point)
    else:
        vessel = scene.vessels[spec.vessel]
        if spec.vessel_s_mm > vessel.length_mm:
            raise ScenarioError(f"vessel_s_mm {spec.vessel_s_mm:g} is beyond the end of "
                                f"{vessel.name} ({vessel.length_mm:.1f} mm)")
        _, seg, u, point = point_polyline(vessel.point_at(spec.vessel_s_mm)[None], nerve.points)
        s = float(nerve.s[seg[0]] + u[0] * (nerve.s[seg[0] + 1] - nerve.s[seg[0]]))
        point = point[0]
    tangent = nerve.tangent_at(s)
    _, vseg, vu, toward = point_polyline(point[None], vessel.points)
    if spec.side == "vessel":
        direction = toward[0] - point
        direction -= np.dot(direction, tangent) * tangent
        if np.linalg.norm(direction) < 1e-6:
            raise ScenarioError(f"{vessel.name} runs along {spec.nerve}'s axis there: give "
                                "the side explicitly")
    else:
        direction = _direction(scene, spec.side, tangent)
        if np.linalg.norm(direction) < 1e-3:
            raise ScenarioError(f"the {spec.side} side lies along {spec.nerve} there: choose "
                                "another side")
    direction = _unit(direction)
    radius = 0.5 * spec.diameter_mm
    centre = point + (float(nerve.radius_at(s)) + radius) * direction
    half_axis = np.zeros(3)
    if spec.shape == "cylinder":
        axis = vessel.tangents[vseg[0]] - np.dot(vessel.tangents[vseg[0]], direction) * direction
        if np.linalg.norm(axis) < 1e-3:
            axis = np.cross(tangent, direction)
        half_axis = _unit(axis) * (0.5 * spec.cylinder_length_mm - radius)
    sponge = Sponge(name, spec.shape, centre, half_axis, radius, direction, vessel.name,
                    spec.nerve)
    sponge = _seated(sponge, scene.nerves[spec.nerve])
    _check_start(scene, sponge, spec)
    return sponge, vessel


def _face_gaps(sponge: Sponge, tube: Tube, side: np.ndarray | None = None) -> np.ndarray:
    """Gaps (mm) of a tube's nodes under a pad's flat faces, as the contact model measures
    them (:mod:`mvd_sim.mechanics.contacts`); ``inf`` off the pad's footprint. ``side`` fixes
    the face (``-1`` the nerve's), else each node takes the nearer one."""
    height, across = sponge.over_faces(tube.points)
    side = np.where(height >= 0, 1.0, -1.0) if side is None else side
    gap = side * height - sponge.radius_mm - tube.radius
    inside = (across < sponge.radius_mm + tube.radius) & \
        (side * height > -(sponge.radius_mm + tube.radius))
    return np.where(inside, gap, np.inf)


def _seated(sponge: Sponge, nerve: Tube) -> Sponge:
    """The pad moved off its nerve along ``facing`` until no node of the nerve under its
    face overlaps it (where the nerve curves toward the pad, placing the centre one radius
    off the axis at one point is not enough)."""
    depth = -float(np.min(_face_gaps(sponge, nerve, side=-1.0)))
    if depth <= 0:
        return sponge
    return dataclasses.replace(sponge, centre=sponge.centre + depth * sponge.facing)


def _check_start(scene: Scene, sponge: Sponge, spec: SpongeSpec) -> None:
    where = f"{spec.nerve} s = {spec.s_mm:g} mm" if spec.s_mm is not None else \
        f"{spec.vessel} s = {spec.vessel_s_mm:g} mm"
    p0, p1 = sponge.ends()
    samples = np.linspace(p0, p1, 5)
    depth = -float(np.min(scene.brainstem.clearance(samples, sponge.radius_mm)))
    if depth > START_TOLERANCE_MM:
        raise ScenarioError(f"a {sponge.diameter_mm:g} mm {sponge.shape} at {where} on the "
                            f"{spec.side} side would start {depth:.2f} mm inside the brainstem")
    for name, tube in scene.nerves.items():
        if name == sponge.nerve:
            continue
        depth = -float(np.min(_face_gaps(sponge, tube)))
        if depth > START_TOLERANCE_MM:
            raise ScenarioError(f"a {sponge.diameter_mm:g} mm {sponge.shape} at {where} on "
                                f"the {spec.side} side would start {depth:.2f} mm inside "
                                f"{name}")


def place_sponges(scene: Scene, specs: Sequence[SpongeSpec],
                  labels: Sequence[str] | None = None
                  ) -> tuple[tuple[Sponge, ...], tuple[str, ...]]:
    """Sponge bodies for the specs, and the vessel each one holds off.

    ``labels`` names where each spec came from in errors (default ``sponges[k]``).

    Raises
    ------
    ScenarioError
        ``<label>: ...`` if a spec names an unknown vessel, takes another structure's id,
        lies off the nerve, or would start inside a nerve or the brainstem.
    """
    labels = labels or [f"sponges[{k}]" for k in range(len(specs))]
    check_sponges(list(scene.vessels), specs, labels)
    sponges, vessels = [], []
    for k, (spec, label) in enumerate(zip(specs, labels)):
        try:
            sponge, vessel = _place(scene, spec, spec.id or f"sponge{k + 1}")
        except ScenarioError as err:
            raise ScenarioError(f"{label}: {err}") from None
        sponges.append(sponge)
        vessels.append(vessel.name)
    return tuple(sponges), tuple(vessels)


def vessel_lift(vessel: Tube, sponge: Sponge) -> np.ndarray:
    """(n, 3) displacements raising ``vessel`` clear of ``sponge`` along its ``facing``.

    Each node over the pad's footprint (as the contact model sees it, the footprint grown by
    the vessel's radius) is raised just enough to clear its flat face; the lift is spread
    smoothly along the vessel over :data:`LIFT_HALF_WIDTH_MM` either side.
    """
    height, across = sponge.over_faces(vessel.points)
    over = across < sponge.radius_mm + vessel.radius
    need = np.where(over, sponge.radius_mm + vessel.radius + LIFT_CLEARANCE_MM - height, 0.0)
    need = np.maximum(need, 0.0)
    if not np.any(need > 0):
        return np.zeros_like(vessel.points)
    weight = np.clip(1.0 - np.abs(vessel.s[:, None] - vessel.s[None, :]) / LIFT_HALF_WIDTH_MM,
                     0.0, 1.0)
    weight = weight * weight * (3.0 - 2.0 * weight)
    lift = np.max(weight * need[None, :], axis=1)
    lift[[0, -1]] = 0.0
    return lift[:, None] * sponge.facing
