"""Lesions that cause hemifacial spasm other than a looping artery: a mass (tumour), an
aneurysm's dome and an AVM's nidus, each a solid ellipsoid (scene frame, mm), and how a mass
displaces the tubes in its way.

- :func:`beside_nerve`: an ellipsoid beside a nerve at arc length ``s``, on a side, reaching
  ``overlap_mm`` into the nerve's rest course (a mass' displacement, a nidus' indentation).
  Its first axis runs along the nerve there, its second points from the nerve to it.
- :func:`aneurysm_dome`: a sphere on a vessel at arc length ``s``, pointing at a nerve's
  nearest point, cut by the vessel's wall in a circle of the neck's diameter (the wall taken
  as flat across the neck).
- :func:`given_ellipsoid`: a lesion given by its geometry (an imported case's, as imaged):
  centre, axes and semi-axes, the axes made an exact rotation.
- :func:`drape`: a tube pushed out of a mass: each centerline point whose tube would enter
  the mass moves, square to the tube, away from the mass' centre just far enough to touch
  it. For a straight nerve of radius ``r`` whose axis passes ``d`` from the centre of a
  sphere of radius ``R`` (``d < R + r``), the largest displacement is ``R + r - d``: the
  closed form the tests check, and what the rigid-obstacle contact of the mechanics gives
  (:class:`mvd_sim.mechanics.contacts.RodOnLesion`). Given the brainstem, a point the move
  would carry into it slides along it instead (the part of "away" that does not enter it).
- :func:`drape_clear_of`: a nerve draped round a mass and kept out of the brainstem: draped
  sliding along it, pushed out of it, draped again, for a few rounds (a nerve pinched
  between a mass and the brainstem slides round the mass along the brainstem, as it would).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.anatomy.vessels import push_out_of_brainstem
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.geometry.ellipsoid import closest_point
from mvd_sim.core.geometry.vec import unit
from mvd_sim.core.tube import Tube

__all__ = ["Lesion", "beside_nerve", "aneurysm_dome", "given_ellipsoid", "drape",
           "drape_clear_of", "DrapeResult", "DRAPE_CLEARANCE_MM", "NERVE_DRAPE_ROUNDS"]

#: A draped point is left this far (mm) off the mass' surface, so the tube just touches it.
DRAPE_CLEARANCE_MM = 0.0
_BISECTIONS = 50
#: Rounds of draping a nerve round a mass (sliding along the brainstem) and pushing it out of
#: the brainstem before :func:`drape_clear_of` gives up (the bundled schwannoma's CN VIII,
#: 0.75 mm into the pons draped straight away from the mass, is clear after the first).
NERVE_DRAPE_ROUNDS = 6
#: How far (mm) a draped nerve may still dip into the mass or the brainstem when the rounds
#: end: numerical slack only.
DRAPE_TOLERANCE_MM = 1e-6


@dataclass(frozen=True, eq=False)
class Lesion:
    """A lesion of the operative field (frozen; "changes" return new lesions).

    Attributes
    ----------
    name : str
        Its id in the scenario.
    kind : str
        ``schwannoma``, ``meningioma``, ``epidermoid``, ``lipoma``, ``aneurysm`` or ``avm``.
    cause : str
        ``tumour``, ``aneurysm`` or ``avm`` (the contact report's ``cause``).
    body : Ellipsoid
        The solid, scene frame, mm.
    vessel : str or None
        An aneurysm's parent vessel.
    feeders, drainers : tuple[str, ...]
        An AVM's feeding arteries and draining veins (vessel ids).
    displaced_mm : Mapping[str, float]
        A mass' displacement of each vessel it was draped round (vessel id to the largest
        move of its centerline, mm), as built.
    branches : tuple[Tube, ...]
        An AVM's branches joining a feeder or drainer that does not reach the nidus to it
        (:func:`mvd_sim.anatomy.avm.connector`), each named ``<vessel>:<nidus>``, of its
        vessel's kind.
    """

    name: str
    kind: str
    cause: str
    body: Ellipsoid
    vessel: str | None = None
    feeders: tuple[str, ...] = ()
    drainers: tuple[str, ...] = ()
    branches: tuple[Tube, ...] = ()
    displaced_mm: Mapping[str, float] = field(default_factory=dict)

    @property
    def displaces(self) -> bool:
        """Whether it displaces the structures in its way (a mass) rather than indenting them
        (an aneurysm's dome, a nidus: graded like a vessel)."""
        return self.cause == "tumour"

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(n,) mm: signed distance of scene ``points`` (n, 3) to the surface, negative
        inside."""
        return self.body.signed_distance(points)

    def closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For scene ``points`` (n, 3): the closest surface points (n, 3), the outward unit
        normals there (n, 3) and the signed distances (n,), mm."""
        local = self.body.local(points)
        near, distance = closest_point(local, self.body.semi_axes_mm)
        semi2 = self.body.semi_axes_mm ** 2
        normal = unit(near / semi2)   # gradient of sum (x_i / a_i)^2 at the surface point
        return (near @ self.body.axes + self.body.centre, normal @ self.body.axes, distance)

    def moved(self, shift_mm: np.ndarray) -> Lesion:
        """This lesion translated by ``shift_mm`` (3,), mm (an aneurysm carried by its
        vessel)."""
        body = dataclasses.replace(self.body, centre=self.body.centre + shift_mm)
        return dataclasses.replace(self, body=body)

    def mirrored_x(self) -> Lesion:
        """Mirror image through ``x = 0``."""
        return dataclasses.replace(self, body=self.body.mirrored_x(),
                                   branches=tuple(b.mirrored_x() for b in self.branches))


def _frame(tangent: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """(3, 3) rotation: rows along ``tangent``, along ``toward`` made square to it, and their
    cross product."""
    e1 = unit(tangent)
    e2 = unit(toward - (toward @ e1) * e1)
    return np.stack([e1, e2, np.cross(e1, e2)])


def beside_nerve(name: str, kind: str, nerve: Tube, s_mm: float, direction: np.ndarray,
                 semi_axes_mm: tuple[float, float, float], overlap_mm: float) -> Ellipsoid:
    """An ellipsoid beside ``nerve`` at arc length ``s_mm``, on the side ``direction`` (unit,
    square to the nerve), reaching ``overlap_mm`` into the nerve's course there.

    Parameters
    ----------
    semi_axes_mm : (float, float, float)
        Along the nerve, across it (toward it), and the third, mm.
    overlap_mm : float
        How far the solid's near surface lies inside the nerve's surface, measured along
        ``direction`` at ``s_mm`` (0: touching).
    """
    frame = _frame(nerve.smooth_tangent_at(s_mm), -np.asarray(direction, dtype=float))
    # the second axis points from the solid to the nerve: the solid lies on -frame[1]
    centre = nerve.point_at(s_mm) - frame[1] * (float(nerve.radius_at(s_mm))
                                                + semi_axes_mm[1] - overlap_mm)
    return Ellipsoid(name, kind, centre, frame, np.asarray(semi_axes_mm, dtype=float))


def aneurysm_dome(name: str, vessel: Tube, s_mm: float, dome_mm: float, neck_mm: float,
                  nerve: Tube) -> Ellipsoid:
    """An aneurysm's dome: a sphere of diameter ``dome_mm`` on ``vessel`` at ``s_mm``, on the
    side of the nerve's nearest point, sunk into the vessel so that the wall (flat across the
    neck) cuts it in a circle of diameter ``neck_mm``."""
    base = vessel.point_at(s_mm)
    *_, nearest = point_polyline(base[None], nerve.points)
    frame = _frame(vessel.smooth_tangent_at(s_mm), nearest[0] - base)
    radius = 0.5 * dome_mm
    sunk = radius - np.sqrt(max(radius ** 2 - (0.5 * neck_mm) ** 2, 0.0))
    centre = base + frame[1] * (float(vessel.radius_at(s_mm)) + radius - sunk)
    return Ellipsoid(name, "aneurysm", centre, frame, np.full(3, radius))


def given_ellipsoid(name: str, kind: str, centre_mm: np.ndarray, axes: np.ndarray,
                    semi_axes_mm: np.ndarray) -> Ellipsoid:
    """A lesion's solid given explicitly (scene frame, mm): ``axes`` (3, 3), rows the
    semi-axes' directions, nearly a rotation (as written to a scenario, rounded), replaced by
    the nearest rotation (the polar factor, from the SVD: ``U @ Vt``)."""
    u, _, vt = np.linalg.svd(np.asarray(axes, dtype=float))
    return Ellipsoid(name, kind, np.asarray(centre_mm, dtype=float), u @ vt,
                     np.asarray(semi_axes_mm, dtype=float))


def _slide(away: np.ndarray, tangents: np.ndarray, points: np.ndarray,
           brainstem: Brainstem) -> np.ndarray:
    """``away`` (n, 3, unit, square to the tube's ``tangents``) with its part into the
    brainstem taken out, unit.

    Where ``away`` points into the brainstem (against the outward normal at the closest
    surface point of ``points``, made square to the tube), its component along that normal
    is removed: the point slides along the brainstem, still square to the tube. All the
    points that slide go round the same way (the side along the brainstem, square to the
    tube, that the slides push toward in sum): a mass pressing a nerve square onto the
    brainstem would otherwise send neighbouring points to opposite sides and tear it.
    """
    normal = brainstem.query(points).normal
    normal = unit(normal - np.einsum("ij,ij->i", normal, tangents)[:, None] * tangents)
    aside = unit(np.cross(tangents, normal))   # along the brainstem, square to the tube
    into = np.minimum(np.einsum("ij,ij->i", away, normal), 0.0)
    slid = away - into[:, None] * normal
    sideways = np.einsum("ij,ij->i", slid, aside)
    way = 1.0 if float(np.sum(sideways[into < 0.0])) >= 0.0 else -1.0
    wrong = (into < 0.0) & ((way * sideways < 0.0) | (np.linalg.norm(slid, axis=1) < 1e-6))
    slid[wrong] = way * aside[wrong]
    return unit(slid)


def drape(tube: Tube, mass: Lesion, clearance_mm: float = DRAPE_CLEARANCE_MM,
          along: Brainstem | None = None) -> Tube:
    """``tube`` with every centerline point whose tube enters ``mass`` moved out of it: square
    to the tube, away from the mass' centre, until the tube's surface is ``clearance_mm`` off
    the mass' surface (bisection to under 1e-12 mm). The tube's first point (rooted in the
    brainstem, or a vessel's origin) stays. Returns ``tube`` itself when nothing enters.

    With ``along`` (the brainstem, scene frame), a point whose way out points into the
    brainstem slides along it instead (:func:`_slide`): on a convex surface a move along
    its tangent plane never enters it.
    """
    points, radius = tube.points, tube.radius
    inside = mass.signed_distance(points) < radius + clearance_mm
    inside[0] = False
    if not inside.any():
        return tube
    idx = np.flatnonzero(inside)
    tangents = tube.tangents[idx]
    away = points[idx] - mass.body.centre
    away -= np.einsum("ij,ij->i", away, tangents)[:, None] * tangents
    fallback = -mass.body.axes[1]
    small = np.linalg.norm(away, axis=1) < 1e-9
    away[small] = fallback
    away = unit(away)
    if along is not None:
        away = _slide(away, tangents, points[idx], along)
    lo = np.zeros(len(idx))
    hi = np.full(len(idx), 2.0 * float(mass.body.semi_axes_mm.max()) + float(radius.max())
                 + clearance_mm + 1.0)
    target = radius[idx] + clearance_mm
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        out = mass.signed_distance(points[idx] + mid[:, None] * away) >= target
        lo, hi = np.where(out, lo, mid), np.where(out, mid, hi)
    moved = points.copy()
    moved[idx] = points[idx] + hi[:, None] * away
    return dataclasses.replace(tube, points=moved)


@dataclass(frozen=True)
class DrapeResult:
    """A nerve draped round a mass clear of the brainstem (:func:`drape_clear_of`).

    Attributes
    ----------
    tube : Tube
        The draped nerve (the nerve itself when the mass does not reach it).
    success : bool
        Whether it ended clear of both, within :data:`DRAPE_TOLERANCE_MM`.
    rounds : int
        Rounds of drape and push-out it took (0 when the mass covers the nerve's root, which
        no drape moves).
    mass_depth_mm, brainstem_depth_mm : float
        How deep (mm, 0 when clear) the moved points (or the covered root) still enter the
        mass and the brainstem.
    """

    tube: Tube
    success: bool
    rounds: int
    mass_depth_mm: float
    brainstem_depth_mm: float


def drape_clear_of(tube: Tube, mass: Lesion, brainstem: Brainstem,
                   rounds: int = NERVE_DRAPE_ROUNDS) -> DrapeResult:
    """``tube`` (a nerve) draped round ``mass`` and kept out of ``brainstem``: draped sliding
    along the brainstem (:func:`drape` with ``along``), then every point the mass moved that
    still enters the brainstem put on it along the normal at its closest point
    (:func:`~mvd_sim.anatomy.vessels.push_out_of_brainstem`, no clearance), and draped
    again, up to ``rounds`` times, until both are clear. Only the points the mass moves
    change (a point the nerve's own course lays on, or a hair into, the brainstem
    stays). A nerve that cannot fit between the mass and the brainstem, or whose first point
    (its root on the brainstem, which no drape moves) is inside the mass, comes back with
    ``success`` False (the caller refuses the case).
    """
    root_depth = float(tube.radius[0] - mass.signed_distance(tube.points[:1])[0])
    if root_depth > DRAPE_TOLERANCE_MM:
        return DrapeResult(tube, False, 0, root_depth, 0.0)
    draped = drape(tube, mass, along=brainstem)
    if draped is tube:
        return DrapeResult(tube, True, 0, 0.0, 0.0)
    moved = np.zeros(len(tube.points), dtype=bool)
    mass_depth = brainstem_depth = np.inf
    for done in range(1, rounds + 1):
        moved |= np.any(draped.points != tube.points, axis=1)
        points = draped.points.copy()
        points[moved] = push_out_of_brainstem(brainstem, points[moved], draped.radius[moved],
                                              clearance_mm=0.0)
        draped = drape(draped.with_points(points), mass, along=brainstem)
        mass_depth = max(-float(np.min(mass.signed_distance(draped.points[moved])
                                       - draped.radius[moved])), 0.0)
        brainstem_depth = max(-float(np.min(brainstem.clearance(draped.points[moved],
                                                                draped.radius[moved]))), 0.0)
        if max(mass_depth, brainstem_depth) <= DRAPE_TOLERANCE_MM:
            return DrapeResult(draped, True, done, mass_depth, brainstem_depth)
    return DrapeResult(draped, False, rounds, mass_depth, brainstem_depth)
