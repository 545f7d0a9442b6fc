"""Placing Teflon felt pads: from a :class:`~mvd_sim.scenario.SpongeSpec` to a body in the scene.

A pad's inner face lies on its seat, touching it, and its outer face toward the vessel it
holds off:

- ``nerve``: against the nerve on the chosen side: its centre lies at the nerve's radius
  plus its own from the nerve's centerline;
- ``brainstem``: on the brainstem under the vessel point (``vessel_s_mm``), its faces square
  to the brainstem's normal there;
- ``trunk``: on the vessel's parent trunk (:data:`~mvd_sim.core.constants.VESSEL_PARENT`,
  the nearest vessel of that type), its faces square to the line from the trunk's axis to
  the vessel point;
- ``petrous``: on the petrous face (:attr:`~mvd_sim.scene.scene.Scene.petrous`) under the
  vessel point, its faces parallel to it.

A seat away from the nerve is refused where the vessel point lies farther from it than the
pad's diameter plus :data:`SEAT_REACH_MM` (a pad there would hold nothing off), or where the
vessel runs into the seat more steeply than :data:`SEAT_MAX_TILT_DEG` (it would slide off
the pad's face, which carries no tangential force: a vessel entering the porus, say). A rolled
cylinder lies along the vessel it holds off (projected square to its facing), supporting it
over its length. The vessel in the way is first lifted clear (:func:`vessel_lift`), as a
surgeon retracts it before slipping the pad in; the solver then lets it down onto the pad.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mvd_sim.core.constants import VESSEL_PARENT
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.scene.pads import Sponge
from mvd_sim.scenario import SpongeSpec, check_sponges
from mvd_sim.scene.scene import Scene
from mvd_sim.core.tube import Tube

__all__ = ["place_sponges", "vessel_lift", "spread_along", "pad_gap", "START_TOLERANCE_MM",
           "LIFT_HALF_WIDTH_MM", "SEAT_REACH_MM", "SEAT_MAX_TILT_DEG"]

START_TOLERANCE_MM = 0.01  # a pad may start at most this deep in a nerve, the brainstem or bone
LIFT_HALF_WIDTH_MM = 5.0  # a lifted vessel is raised over about this length either side
LIFT_CLEARANCE_MM = 0.05
#: A pad seated away from the nerve is refused where its vessel point lies farther from the
#: seat than the pad's diameter plus this (mm): the pad would hold nothing off.
SEAT_REACH_MM = 3.0
#: A pad seated away from the nerve holds off a vessel running within this angle (degrees)
#: of the seat's surface there; a vessel running more steeply into the seat is refused.
SEAT_MAX_TILT_DEG = 45.0
_SEAT_STEPS = 8  # moves along its facing that clear a pad of a curved seat


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


def _on_nerve(scene: Scene, spec: SpongeSpec, name: str) -> tuple[Sponge, Tube]:
    """A pad against its nerve on the chosen side (``seat: nerve``)."""
    nerve, rest = scene.nerves[spec.nerve], scene.rest_nerves[spec.nerve]
    if spec.s_mm is not None:
        if spec.s_mm > rest.length_mm:
            raise ScenarioError(f"s_mm {spec.s_mm:g} is beyond the end of {spec.nerve} "
                                f"({rest.length_mm:.1f} mm)")
        s = float(np.interp(spec.s_mm, rest.s, nerve.s))
        point = nerve.point_at(s)
        vessel = scene.vessels[spec.vessel] if spec.vessel else _nearest_vessel(scene, point)
    else:
        vessel = _vessel_at(scene, spec)
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
                    spec.nerve, "nerve")
    return _seated(sponge, scene.nerves[spec.nerve]), vessel


def _vessel_at(scene: Scene, spec: SpongeSpec) -> Tube:
    vessel = scene.vessels[spec.vessel]
    if spec.vessel_s_mm > vessel.length_mm:
        raise ScenarioError(f"vessel_s_mm {spec.vessel_s_mm:g} is beyond the end of "
                            f"{vessel.name} ({vessel.length_mm:.1f} mm)")
    return vessel


def _trunk(scene: Scene, vessel: Tube, point: np.ndarray) -> Tube:
    """The vessel's parent trunk: the nearest vessel of its parent's type."""
    parent = VESSEL_PARENT.get(vessel.kind)
    if parent is None:
        raise ScenarioError(f"{vessel.name} ({vessel.kind}) has no parent trunk to seat a pad "
                            "on")
    trunks = [v for v in scene.vessels.values() if v.kind == parent]
    if not trunks:
        raise ScenarioError(f"the case has no {parent}, the parent trunk of {vessel.name} "
                            f"({vessel.kind})")
    return min(trunks, key=lambda t: float(point_polyline(point[None], t.points)[0][0]))


def _seat_surface(scene: Scene, spec: SpongeSpec, vessel: Tube, point: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, str, Tube | None]:
    """Where a pad seated away from the nerve rests under the vessel point ``point``: the
    seat's surface point (3,), mm, its unit normal toward the vessel point (3,), what the
    pad is seated against (``Sponge.against``) and the trunk's tube (a trunk seat)."""
    if spec.seat == "brainstem":
        q = scene.brainstem.query(point[None])
        return q.closest[0], q.normal[0], "brainstem", None
    if spec.seat == "petrous":
        if scene.petrous is None:
            raise ScenarioError("the scene has no petrous face to seat a pad on")
        return scene.petrous.closest(point)[0], scene.petrous.normal, "petrous", None
    trunk = _trunk(scene, vessel, point)
    _, seg, u, closest = point_polyline(point[None], trunk.points)
    offset = point - closest[0]
    if np.linalg.norm(offset) < 1e-6:
        raise ScenarioError(f"{vessel.name} at vessel_s_mm {spec.vessel_s_mm:g} lies on the "
                            f"axis of its trunk {trunk.name}: choose a point farther along")
    normal = _unit(offset)
    r_trunk = (1 - u[0]) * trunk.radius[seg[0]] + u[0] * trunk.radius[seg[0] + 1]
    return closest[0] + r_trunk * normal, normal, trunk.name, trunk


def _off_nerve(scene: Scene, spec: SpongeSpec, name: str) -> tuple[Sponge, Tube]:
    """A pad seated on the brainstem, the vessel's trunk or the petrous face, under the
    vessel point ``vessel_s_mm``."""
    vessel = _vessel_at(scene, spec)
    point = vessel.point_at(spec.vessel_s_mm)
    base, normal, against, trunk = _seat_surface(scene, spec, vessel, point)
    where = {"brainstem": "the brainstem", "petrous": "the petrous face"}.get(
        against, f"its trunk {against}")
    gap = float((point - base) @ normal - vessel.radius_at(spec.vessel_s_mm))
    if (point - base) @ normal <= 0:
        raise ScenarioError(f"{vessel.name} at vessel_s_mm {spec.vessel_s_mm:g} lies on or "
                            f"beyond {where}: no room for a pad there")
    if gap > spec.diameter_mm + SEAT_REACH_MM:
        raise ScenarioError(f"{vessel.name} at vessel_s_mm {spec.vessel_s_mm:g} lies "
                            f"{gap:.1f} mm from {where}, more than the pad's diameter plus "
                            f"{SEAT_REACH_MM:g} mm: a pad there would hold nothing off")
    tangent = vessel.tangent_at(spec.vessel_s_mm)
    tilt = float(np.degrees(np.arcsin(min(abs(float(tangent @ normal)), 1.0))))
    if tilt > SEAT_MAX_TILT_DEG:
        raise ScenarioError(f"{vessel.name} at vessel_s_mm {spec.vessel_s_mm:g} runs into "
                            f"{where} at {tilt:.0f} degrees, more steeply than "
                            f"{SEAT_MAX_TILT_DEG:g}: it would slide off a pad there")
    radius = 0.5 * spec.diameter_mm
    half_axis = np.zeros(3)
    if spec.shape == "cylinder":
        axis = tangent - np.dot(tangent, normal) * normal
        if np.linalg.norm(axis) < 1e-3:  # the vessel runs square to its seat: any axis
            axis = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else
                            [0.0, 1.0, 0.0])
        half_axis = _unit(axis) * (0.5 * spec.cylinder_length_mm - radius)
    sponge = Sponge(name, spec.shape, base + radius * normal, half_axis, radius, normal,
                    vessel.name, against, spec.seat)
    if trunk is not None:
        return _seated(sponge, trunk), vessel
    if spec.seat == "brainstem":  # a concave brainstem (the sulcus) may reach past the point
        for _ in range(_SEAT_STEPS):
            p0, p1 = sponge.ends()
            depth = -float(np.min(scene.brainstem.clearance(np.linspace(p0, p1, 5),
                                                            radius)))
            if depth <= 1e-9:
                break
            sponge = dataclasses.replace(sponge, centre=sponge.centre + depth * normal)
    return sponge, vessel


def _place(scene: Scene, spec: SpongeSpec, name: str) -> tuple[Sponge, Tube]:
    sponge, vessel = _on_nerve(scene, spec, name) if spec.seat == "nerve" else \
        _off_nerve(scene, spec, name)
    _check_start(scene, sponge, spec)
    return sponge, vessel


def _face_gaps(sponge: Sponge, tube: Tube, side: np.ndarray | None = None) -> np.ndarray:
    """Gaps (mm) of a tube's nodes under a pad's flat faces, as the contact model measures
    them (:mod:`mvd_sim.mechanics.contacts`); ``inf`` off the pad's footprint. ``side`` fixes
    the face (``-1`` the inner one), else each node takes the nearer one."""
    height, across = sponge.over_faces(tube.points)
    side = np.where(height >= 0, 1.0, -1.0) if side is None else side
    gap = side * height - sponge.radius_mm - tube.radius
    inside = (across < sponge.radius_mm + tube.radius) & \
        (side * height > -(sponge.radius_mm + tube.radius))
    return np.where(inside, gap, np.inf)


def pad_gap(sponge: Sponge, tube: Tube) -> float:
    """Least gap (mm) between a pad's faces and a tube, as the contact model measures it
    (``inf`` where no node of the tube lies over the pad's footprint)."""
    return float(np.min(_face_gaps(sponge, tube)))


def _seated(sponge: Sponge, seat: Tube) -> Sponge:
    """The pad moved off the tube it is seated on (its nerve, or a vessel's trunk) along
    ``facing`` until no node of that tube under its inner face overlaps it (where the tube
    curves toward the pad, placing the centre one radius off the axis at one point is not
    enough)."""
    depth = -float(np.min(_face_gaps(sponge, seat, side=-1.0)))
    if depth <= 0:
        return sponge
    return dataclasses.replace(sponge, centre=sponge.centre + depth * sponge.facing)


def _check_start(scene: Scene, sponge: Sponge, spec: SpongeSpec) -> None:
    where = f"{spec.nerve} s = {spec.s_mm:g} mm" if spec.s_mm is not None else \
        f"{spec.vessel} s = {spec.vessel_s_mm:g} mm"
    how = f"on the {spec.side} side" if spec.seat == "nerve" else f"seated on the {spec.seat}"
    what = f"a {sponge.diameter_mm:g} mm {sponge.shape} at {where} {how}"
    p0, p1 = sponge.ends()
    samples = np.linspace(p0, p1, 5)
    depth = -float(np.min(scene.brainstem.clearance(samples, sponge.radius_mm)))
    if depth > START_TOLERANCE_MM:
        raise ScenarioError(f"{what} would start {depth:.2f} mm inside the brainstem")
    if scene.petrous is not None:
        depth = -float(np.min(scene.petrous.signed_distance(samples) - sponge.radius_mm))
        if depth > START_TOLERANCE_MM:
            raise ScenarioError(f"{what} would start {depth:.2f} mm inside the petrous bone")
    for name, tube in scene.nerves.items():
        if name == sponge.against:
            continue
        depth = -float(np.min(_face_gaps(sponge, tube)))
        if depth > START_TOLERANCE_MM:
            raise ScenarioError(f"{what} would start {depth:.2f} mm inside {name}")


def place_sponges(scene: Scene, specs: Sequence[SpongeSpec],
                  labels: Sequence[str] | None = None
                  ) -> tuple[tuple[Sponge, ...], tuple[str, ...]]:
    """Sponge bodies for the specs, and the vessel each one holds off.

    ``labels`` names where each spec came from in errors (default ``sponges[k]``).

    Raises
    ------
    ScenarioError
        ``<label>: ...`` if a spec names an unknown vessel (or one not in ``scene``, such as
        a divided vein), takes another structure's id, lies off the nerve, has no seat
        within reach, or would start inside a nerve, the brainstem or the petrous bone.
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


def spread_along(s: np.ndarray, need: np.ndarray) -> np.ndarray:
    """(n,) float, mm: how far to move each point of a vessel so that each moves at least
    ``need`` (n,), mm, spread smoothly along it (a smoothstep over
    :data:`LIFT_HALF_WIDTH_MM` either side of each point that needs it); its ends stay.

    Parameters
    ----------
    s : (n,) float, mm
        Arc length of the vessel's points.
    need : (n,) float, mm
        How far each must move at least (0 where it need not).
    """
    weight = np.clip(1.0 - np.abs(s[:, None] - s[None, :]) / LIFT_HALF_WIDTH_MM, 0.0, 1.0)
    weight = weight * weight * (3.0 - 2.0 * weight)
    lift = np.max(weight * need[None, :], axis=1)
    lift[[0, -1]] = 0.0
    return lift


def vessel_lift(vessel: Tube, sponge: Sponge) -> np.ndarray:
    """(n, 3) displacements raising ``vessel`` clear of ``sponge`` along its ``facing``.

    Each node over the pad's footprint (as the contact model sees it, the footprint grown by
    the vessel's radius) is raised just enough to clear its outer face; the lift is spread
    smoothly along the vessel (:func:`spread_along`).
    """
    height, across = sponge.over_faces(vessel.points)
    over = across < sponge.radius_mm + vessel.radius
    need = np.where(over, sponge.radius_mm + vessel.radius + LIFT_CLEARANCE_MM - height, 0.0)
    need = np.maximum(need, 0.0)
    if not np.any(need > 0):
        return np.zeros_like(vessel.points)
    return spread_along(vessel.s, need)[:, None] * sponge.facing
