"""Context structures of the operative field: what a surgeon sees around VII/VIII.

- CN IX, X and XI: bundles of rootlets leaving the postolivary sulcus below VII and running
  laterally to the jugular foramen, bent round the vessels that cross them (the PICA loops
  between them, Rhoton) (:func:`lower_cranial_nerves`);
- the flocculus, just above and behind the VII/VIII root entry (:func:`flocculus`);
- the cerebellar hemisphere, as retracted for the infrafloccular route
  (:func:`cerebellar_hemisphere`);
- the choroid plexus through the foramen of Luschka, behind IX/X (:func:`choroid_plexus`).

Sizes and places are :class:`~mvd_sim.core.constants.ContextParams` (``shared/anatomy_facts.md``
section 9.1, the rest *estimates*). Everything here is in the canonical right-sided scene
frame (origin at the RExP, x lateral, y anterior, z rostral, mm); :mod:`mvd_sim.scene.build`
mirrors left cases. These structures are never graded for contact: the solid ones
(:data:`OBSTACLE_KINDS`) are only obstacles vessels may not pass through
(:func:`intrusion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from collections.abc import Sequence
from typing import Union

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.placement import avoid_tubes
from mvd_sim.core.constants import LOWER_CRANIAL_NERVES, OBSTACLE_KINDS, ContextParams
from mvd_sim.core.errors import GeometryError
from mvd_sim.core.geometry import curve, ellipsoid
from mvd_sim.core.geometry.closest import SegmentSet
from mvd_sim.core.geometry.vec import norm, unit
from mvd_sim.core.recent import Recent
from mvd_sim.core.tube import Tube

__all__ = ["Ellipsoid", "RootletBundle", "ContextStructure", "OBSTACLE_KINDS",
           "LOWER_CRANIAL_NERVES", "CONTEXT_KINDS", "build_context", "lower_cranial_nerves",
           "flocculus", "cerebellar_hemisphere", "choroid_plexus", "intrusion",
           "intrusion_at_most", "left_straight"]

#: Every context structure's kind (and name: a scene holds one of each).
CONTEXT_KINDS = (*LOWER_CRANIAL_NERVES, *OBSTACLE_KINDS)
_MIRROR = np.array([-1.0, 1.0, 1.0])
_ROOTLET_SAMPLES = 24       # points along each rootlet
_CHOROID_SPACING_MM = 0.5   # centerline spacing of the choroid plexus limb
_BULB_SPACING_MM = 0.2      # centerline spacing of the choroid plexus' tuft
#: Spacing (mm) of the centerline points measured against an ellipsoid, and how near its
#: bounding sphere (mm) they are measured exactly.
_SOLID_SAMPLING_MM = 0.1
_SOLID_REACH_MM = 3.0
#: How far (mm) above the least upper bound of their gaps the points near an ellipsoid are
#: still solved exactly (far above the exact solver's error).
_BOUND_SLACK_MM = 1e-6
#: *estimate*: the gap (mm) a choroid plexus tuft keeps from vessels when it can.
TUFT_CLEARANCE_MM = 0.2
#: How far (mm) a lower cranial nerve rootlet is kept off a vessel crossing it: *estimate*
#: (the rootlets are soft and the vessel loops between them; any gap reads as clear).
ROOTLET_CLEARANCE_MM = 0.05


def _readonly(array: np.ndarray) -> np.ndarray:
    out = np.array(array, dtype=float)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Ellipsoid:
    """A solid ellipsoid (scene frame, mm).

    Attributes
    ----------
    name, kind : str
    centre : (3,) float, mm
    axes : (3, 3) float
        Rows: unit directions of the semi-axes, a proper rotation (right-handed).
    semi_axes_mm : (3,) float, mm
        Positive.
    """

    name: str
    kind: str
    centre: np.ndarray
    axes: np.ndarray
    semi_axes_mm: np.ndarray

    def __post_init__(self) -> None:
        axes = np.asarray(self.axes, dtype=float)
        semi = np.asarray(self.semi_axes_mm, dtype=float)
        if (axes.shape != (3, 3) or not np.allclose(axes @ axes.T, np.eye(3), atol=1e-9)
                or np.linalg.det(axes) < 0):
            raise GeometryError(f"ellipsoid {self.name!r}: axes must be a (3, 3) rotation")
        if semi.shape != (3,) or not (np.isfinite(semi).all() and (semi > 0).all()):
            raise GeometryError(f"ellipsoid {self.name!r}: semi-axes must be 3 positive "
                                f"lengths, got {semi!r}")
        object.__setattr__(self, "centre", _readonly(self.centre))
        object.__setattr__(self, "axes", _readonly(axes))
        object.__setattr__(self, "semi_axes_mm", _readonly(semi))

    def local(self, points: np.ndarray) -> np.ndarray:
        """(n, 3): scene ``points`` (n, 3) in the ellipsoid's own frame (mm)."""
        return (np.atleast_2d(points) - self.centre) @ self.axes.T

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(n,) float, mm: exact distance of ``points`` (n, 3) to the surface, negative
        inside (:func:`mvd_sim.core.geometry.ellipsoid.signed_distance`)."""
        return ellipsoid.signed_distance(self.local(points), self.semi_axes_mm)

    def signed_distance_bounds(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n,), (n,) float, mm: bounds below and above :meth:`signed_distance` of ``points``
        (n, 3), without solving for it. A point ``x`` (own frame) lies on the surface of the
        ellipsoid scaled by ``f = |x / semi-axes|``. Outside (``f >= 1``):
        ``(f - 1) a_min <= d <= |x| (1 - 1/f)`` (the ellipsoid grown by ``d`` lies within
        it scaled by ``1 + d / a_min``; ``x / f`` is a surface point). Inside:
        ``-|x| (1/f - 1) <= d <= (f - 1) a_min`` (a ball of radius ``(1 - f) a_min`` about
        ``x`` lies within the ellipsoid); at the centre, no bound below."""
        local = self.local(points)
        scale = np.linalg.norm(local / self.semi_axes_mm, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            radial = np.where(scale > 0.0, np.linalg.norm(local, axis=1)
                              * np.abs(1.0 - 1.0 / scale), np.inf)
        within = (scale - 1.0) * self.semi_axes_mm.min()
        outside = scale >= 1.0
        return np.where(outside, within, -radial), np.where(outside, radial, within)

    def surface_points(self, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
        """(..., 3) scene points of the surface at ``theta`` round the third axis and polar
        parameter ``t`` (:func:`mvd_sim.core.geometry.ellipsoid.surface`)."""
        return ellipsoid.surface(theta, t, self.semi_axes_mm) @ self.axes + self.centre

    def mirrored_x(self) -> Ellipsoid:
        """Mirror image through ``x = 0``; the third axis is flipped back to keep the axes a
        rotation (the solid is symmetric about each of its axes)."""
        axes = self.axes * _MIRROR
        return Ellipsoid(self.name, self.kind, self.centre * _MIRROR,
                         axes * np.array([1.0, 1.0, -1.0])[:, None], self.semi_axes_mm)


@dataclass(frozen=True, eq=False)
class RootletBundle:
    """A cranial nerve seen as its rootlets (tubes, scene frame, mm), top to bottom.

    Attributes
    ----------
    name, kind : str
        ``"CN9"``, ``"CN10"`` or ``"CN11"``.
    rootlets : tuple of Tube
        From the brainstem to the jugular foramen.
    """

    name: str
    kind: str
    rootlets: tuple[Tube, ...]

    def mirrored_x(self) -> RootletBundle:
        """Mirror image through ``x = 0``."""
        return RootletBundle(self.name, self.kind,
                             tuple(t.mirrored_x() for t in self.rootlets))


#: A context structure: a solid ellipsoid, a rootlet bundle or a tube.
ContextStructure = Union[Ellipsoid, RootletBundle, Tube]


def _caudal_olive_z(shape: BrainstemShape, origin_midline_mm: np.ndarray) -> float:
    """Scene ``z`` (mm) of the caudal end of the olive."""
    return -(shape.olive_centre_below_sulcus_mm + shape.olive_half_length_mm) \
        - float(origin_midline_mm[2])


def _on_surface(brainstem: Brainstem, points: np.ndarray, height_mm: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """The brainstem points nearest ``points`` (n, 3) raised ``height_mm`` along the normal,
    and the normals."""
    query = brainstem.query(points)
    return query.closest + height_mm * query.normal, query.normal


def lower_cranial_nerves(brainstem: Brainstem, params: ContextParams,
                         vessels: Sequence[Tube] = ()) -> dict[str, RootletBundle]:
    """CN IX, X and XI as rootlets from the postolivary sulcus to the jugular foramen, each
    bent round the ``vessels`` (canonical frame) it would pass through
    (:func:`_straight_rootlets`, :func:`_round_vessels`)."""
    free = _vessel_free(brainstem, params)
    straight = [rootlet for rootlets in free.rootlets.values() for rootlet in rootlets]
    near = _tube_intrusions(straight, vessels, free.rootlet_segments) > -ROOTLET_CLEARANCE_MM
    bent = iter([_round_vessels(brainstem, rootlet, [v for v, n in zip(vessels, row) if n])
                 for rootlet, row in zip(straight, near)])
    return {name: RootletBundle(name, name, tuple(next(bent) for _ in rootlets))
            for name, rootlets in free.rootlets.items()}


def _straight_rootlets(brainstem: Brainstem, params: ContextParams
                       ) -> dict[str, tuple[Tube, ...]]:
    """CN IX, X and XI as rootlets from the postolivary sulcus to the jugular foramen.

    The sulcus is the line of brainstem points nearest ``(0, -ix_behind_vii_mm, z)``; the
    top IX rootlet leaves it ``ix_below_vii_mm`` below the RExP, the others follow down it
    (IX over ``ix_rootlet_span_mm``, X from 1 mm below IX to ``lowest_x_below_olive_mm``
    below the caudal olive, XI from ``highest_xi_below_olive_mm`` below it over
    ``xi_rootlet_span_mm``). Each nerve's rootlets leave along the surface normal and meet
    at its jugular foramen point: X's lies ``vagus_length_mm`` from its middle rootlet, in
    the direction ``jugular_angle_to_midline_deg`` from the midline (axial) lowered by
    ``jugular_descent_deg``; IX's ``ix_ahead_of_x_mm`` anterior of X's, XI's 1.5 mm behind
    and below it (*estimate*). Straight (no vessel yet), by nerve.
    """
    z_olive = _caudal_olive_z(brainstem.shape, brainstem.origin_midline_mm)
    z_ix = -params.ix_below_vii_mm
    z_x_top = z_ix - params.ix_rootlet_span_mm - 1.0
    z_x_low = z_olive - params.lowest_x_below_olive_mm
    z_xi = z_olive - params.highest_xi_below_olive_mm
    levels = {"CN9": np.linspace(z_ix, z_ix - params.ix_rootlet_span_mm, params.ix_rootlets),
              "CN10": np.linspace(z_x_top, z_x_low, params.x_rootlets),
              "CN11": np.linspace(z_xi, z_xi - params.xi_rootlet_span_mm, params.xi_rootlets)}
    a, e = np.radians(params.jugular_angle_to_midline_deg), np.radians(params.jugular_descent_deg)
    course = np.array([np.sin(a) * np.cos(e), np.cos(a) * np.cos(e), -np.sin(e)])
    radius = 0.5 * params.rootlet_diameter_mm
    origins = {name: _on_surface(brainstem, np.column_stack([
        np.zeros(len(z)), np.full(len(z), -params.ix_behind_vii_mm), z]), radius)
        for name, z in levels.items()}
    vagus = origins["CN10"][0]
    foramen_x = vagus[len(vagus) // 2] + params.vagus_length_mm * course
    foramina = {"CN9": foramen_x + np.array([0.0, params.ix_ahead_of_x_mm, 0.0]),
                "CN10": foramen_x, "CN11": foramen_x + np.array([0.0, -1.5, -1.5])}
    u = np.linspace(0.0, 1.0, _ROOTLET_SAMPLES)[:, None]
    bundles = {}
    for name, (starts, normals) in origins.items():
        end = foramina[name]
        rootlets = []
        for k, (start, normal) in enumerate(zip(starts, normals)):
            handle = 0.4 * np.linalg.norm(end - start)
            # a quadratic Bezier leaving along the normal, converging on the foramen
            control = start + handle * normal
            points = (1 - u) ** 2 * start + 2 * (1 - u) * u * control + u ** 2 * end
            rootlets.append(Tube(f"{name}.{k}", name, points, radius))
        bundles[name] = tuple(rootlets)
    return bundles


def flocculus(brainstem: Brainstem, cochlear: Tube, params: ContextParams) -> Ellipsoid:
    """The flocculus: an ellipsoid of ``flocculus_length_mm`` x ``flocculus_height_mm`` x
    ``flocculus_thickness_mm``, its long axis ``flocculus_heading_deg`` back from lateral, its
    height vertical, resting on the brainstem at the surface point nearest to
    ``flocculus_above_viii_mm`` above and ``flocculus_behind_viii_mm`` behind CN VIII's
    entry (it touches the surface there, its centre out along the normal)."""
    heading = np.radians(params.flocculus_heading_deg)
    long_axis = np.array([np.cos(heading), -np.sin(heading), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    axes = np.array([long_axis, up, np.cross(long_axis, up)])
    semi = 0.5 * np.array([params.flocculus_length_mm, params.flocculus_height_mm,
                           params.flocculus_thickness_mm])
    seat = cochlear.points[0] + np.array([0.0, -params.flocculus_behind_viii_mm,
                                          params.flocculus_above_viii_mm])
    foot, normal = _on_surface(brainstem, seat[None], 0.0)
    # rest it on the surface: its half-extent along the normal out from the foot
    reach = float(np.linalg.norm(semi * (axes @ normal[0])))
    return Ellipsoid("flocculus", "flocculus", foot[0] + reach * normal[0], axes, semi)


def cerebellar_hemisphere(params: ContextParams) -> Ellipsoid:
    """The cerebellar hemisphere as retracted: an ellipsoid ``hemisphere_width_mm`` wide,
    ``hemisphere_depth_mm`` deep and ``hemisphere_height_mm`` high (axes along x, y, z),
    centred lateral, behind and above the RExP."""
    return Ellipsoid("cerebellum", "cerebellum",
                     np.array([params.hemisphere_lateral_mm, -params.hemisphere_behind_mm,
                               params.hemisphere_above_mm]), np.eye(3),
                     0.5 * np.array([params.hemisphere_width_mm, params.hemisphere_depth_mm,
                                     params.hemisphere_height_mm]))


def _bulb_radius(to_end_mm: np.ndarray, stalk_mm: float, tip_mm: float) -> np.ndarray:
    """Radius (mm) of the choroid plexus limb ``to_end_mm`` from its end: the stalk, swelling
    (smoothstep over two tip radii) into a round bulb of radius ``tip_mm`` whose end closes
    to a fifth of it."""
    centre = to_end_mm - tip_mm              # from the bulb's centre, toward the stalk
    swell = np.clip(centre / (2 * tip_mm), 0.0, 1.0)
    shoulder = stalk_mm + (tip_mm - stalk_mm) * (1 - swell ** 2 * (3 - 2 * swell))
    cap = tip_mm * np.sqrt(np.clip(1 - (centre / tip_mm) ** 2, 0.04, 1.0))
    return np.where(centre >= 0, shoulder, cap)


def _tuft_directions(normal: np.ndarray, descent_deg: float) -> np.ndarray:
    """(k, 3) unit directions a choroid plexus tuft may hang in from its foramen, the
    preferred first (straight out, ``descent_deg`` below the horizontal), then the others
    of a fan by their angle from it: descents -30 to 80 degrees, headings up to 60 degrees
    either side of the outward normal, in 10-degree steps."""
    level = unit(normal * np.array([1.0, 1.0, 0.0]))
    side = np.cross([0.0, 0.0, 1.0], level)
    descent, heading = np.meshgrid(np.radians(np.append(descent_deg, np.arange(-30, 81, 10))),
                                   np.radians(np.arange(-60, 61, 10)), indexing="ij")
    fan = (np.cos(descent)[..., None] * (np.cos(heading)[..., None] * level
                                         + np.sin(heading)[..., None] * side)
           - np.sin(descent)[..., None] * np.array([0.0, 0.0, 1.0])).reshape(-1, 3)
    preferred = fan[len(np.arange(-60, 61, 10)) // 2]
    return fan[np.argsort(-(fan @ preferred), kind="stable")]


def choroid_plexus(brainstem: Brainstem, params: ContextParams,
                   vessels: Sequence[Tube] = ()) -> Tube:
    """The choroid plexus limb through the foramen of Luschka, ``choroid_limb_length_mm``
    long.

    The foramen is the brainstem point nearest ``luschka_below_vii_mm`` below the RExP and
    ``luschka_behind_ix_mm`` behind the top IX rootlet. Inside, the limb runs along the
    brainstem surface (the lateral recess), from medial-dorsal to the foramen; outside, it
    hangs ``choroid_cistern_length_mm`` out into the cistern, widening from
    ``choroid_stalk_diameter_mm`` to the bulbous tip ``choroid_tip_width_mm`` wide.

    The tuft is soft and floats in the cerebrospinal fluid: it hangs straight out from the
    brainstem and ``choroid_descent_deg`` down, or, where ``vessels`` (canonical frame) lie
    in the way, in the nearest direction of a fan (:func:`_tuft_directions`) that clears
    them all by :data:`TUFT_CLEARANCE_MM`; if none does, the preferred one.
    """
    limbs = _vessel_free(brainstem, params).limbs
    for tube in limbs:
        if all(intrusion(tube, vessel)[0] < -TUFT_CLEARANCE_MM for vessel in vessels):
            return tube
    return limbs[0]


def _choroid_limbs(recess: np.ndarray, foramen_normal: np.ndarray, params: ContextParams
                   ) -> tuple[Tube, ...]:
    """The choroid plexus limb (:func:`choroid_plexus`) for each direction its tuft may hang
    in (:func:`_tuft_directions`), the preferred first: ``recess`` (k, 3) mm from the
    foramen back into the lateral recess, then out along the direction."""
    stalk = 0.5 * params.choroid_stalk_diameter_mm
    foramen = recess[:1]
    tip = 0.5 * params.choroid_tip_width_mm
    # out from the foramen, with a point at the bulb's centre (its widest) and at the end
    length = params.choroid_cistern_length_mm
    along = np.union1d(np.arange(_BULB_SPACING_MM, length - 0.5 * _BULB_SPACING_MM,
                                 _BULB_SPACING_MM), [length - tip, length])
    along = along[along > 0.5 * _BULB_SPACING_MM][:, None]
    limbs = []
    for out in _tuft_directions(foramen_normal, params.choroid_descent_deg):
        points = np.concatenate([recess[::-1], foramen[0] + along * out])
        s = curve.arc_length(points)
        limbs.append(Tube("choroid_plexus", "choroid_plexus", points,
                          _bulb_radius(s[-1] - s, stalk, tip)))
    return tuple(limbs)


def _choroid_recess(brainstem: Brainstem, params: ContextParams
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The choroid plexus limb inside the lateral recess, (k, 3) mm from the foramen of
    Luschka back along the brainstem surface, round it dorsally, for the limb's length less
    its cistern part; and the surface normal at the foramen (:func:`choroid_plexus`)."""
    stalk = 0.5 * params.choroid_stalk_diameter_mm
    seat = np.array([0.0, -params.ix_behind_vii_mm - params.luschka_behind_ix_mm,
                     -params.luschka_below_vii_mm])
    foramen, normal = _on_surface(brainstem, seat[None], stalk)
    foramen_normal = normal[0]
    recess_mm = params.choroid_limb_length_mm - params.choroid_cistern_length_mm
    direction = unit(np.cross(normal[0], [0.0, 0.0, 1.0]))
    recess, travelled = [foramen[0]], 0.0
    while travelled < recess_mm - 1e-6:
        step = min(_CHOROID_SPACING_MM, recess_mm - travelled)
        nxt, normal = _on_surface(brainstem, (recess[-1] + step * direction)[None], stalk)
        chord = nxt[0] - recess[-1]
        direction = unit(chord - np.dot(chord, normal[0]) * normal[0])
        travelled += float(np.linalg.norm(chord))
        recess.append(nxt[0])
    return _readonly(np.array(recess)), _readonly(foramen_normal)


@dataclass(frozen=True, eq=False)
class _VesselFree:
    """The context's parts that no vessel moves: the lower cranial nerves' rootlets before
    they bend round vessels (:func:`_straight_rootlets`) and the choroid plexus limb, in the
    lateral recess (:func:`_choroid_recess`) and out, for each direction its tuft may hang
    in, the preferred first (:func:`_choroid_limbs`; which one a case keeps depends on its
    vessels)."""

    rootlets: dict[str, tuple[Tube, ...]]
    limbs: tuple[Tube, ...]

    @cached_property
    def rootlet_segments(self) -> SegmentSet:
        """The straight rootlets' segments, stacked in bundle order
        (:func:`_tube_intrusions`)."""
        return SegmentSet.stack([rootlet.segments for rootlets in self.rootlets.values()
                                 for rootlet in rootlets])


#: :class:`_VesselFree` of the last few (brainstem, parameters), most recent last: every
#: atlas case of a dataset has the same brainstem and context, so a worker builds them once.
_RECENT_VESSEL_FREE: Recent[tuple, _VesselFree] = Recent(4)


def _vessel_free(brainstem: Brainstem, params: ContextParams) -> _VesselFree:
    """The context's vessel-free parts for this brainstem and these parameters, built once
    for the last few (the same numbers as building them again: their builders are
    deterministic and callers never change them)."""
    key = (brainstem.shape, brainstem.origin_midline_mm.tobytes(), params)
    return _RECENT_VESSEL_FREE.fetch(key, lambda: _VesselFree(
        _straight_rootlets(brainstem, params),
        _choroid_limbs(*_choroid_recess(brainstem, params), params)))


def _round_vessels(brainstem: Brainstem, rootlet: Tube, crossing: Sequence[Tube]) -> Tube:
    """``rootlet`` bent off the vessels ``crossing`` it (those it would come within
    :data:`ROOTLET_CLEARANCE_MM` of), by that, its end at the jugular foramen held and its
    root sliding along the brainstem where a vessel lies across it: the soft rootlet yields
    to the artery, as the PICA's loop lies between the rootlets
    (:func:`~mvd_sim.anatomy.placement.avoid_tubes`, the vessels' own avoidance)."""
    if not crossing:
        return rootlet
    frozen = np.zeros(len(rootlet.points))
    frozen[-1] = 1.0    # its root slides along the sulcus off a vessel lying across it
    clearance = np.full(len(rootlet.points), ROOTLET_CLEARANCE_MM)
    points, _ = avoid_tubes(brainstem, rootlet.points, rootlet.radius,
                            [(v, clearance) for v in crossing], frozen)
    # the root back on the brainstem (the avoidance keeps points a little off it)
    points[0] = _on_surface(brainstem, points[:1], float(rootlet.radius[0]))[0][0]
    return Tube(rootlet.name, rootlet.kind, points, rootlet.radius)


def build_context(brainstem: Brainstem, cochlear: Tube, params: ContextParams,
                  vessels: Sequence[Tube] = ()) -> dict[str, ContextStructure]:
    """Every context structure by name: ``CN9``, ``CN10``, ``CN11``, ``flocculus``,
    ``cerebellum``, ``choroid_plexus`` (canonical right-sided frame; the rootlets bend round
    ``vessels``, :func:`lower_cranial_nerves`, and the choroid plexus' tuft hangs clear of
    them where it can, :func:`choroid_plexus`)."""
    floccular, cerebellar = _ellipsoids(brainstem, cochlear, params)
    return {**lower_cranial_nerves(brainstem, params, vessels),
            "flocculus": floccular, "cerebellum": cerebellar,
            "choroid_plexus": choroid_plexus(brainstem, params, vessels)}


#: The flocculus and the cerebellar hemisphere of the last few (brainstem, CN VIII's entry,
#: parameters), most recent last.
_RECENT_ELLIPSOIDS: Recent[tuple, tuple[Ellipsoid, Ellipsoid]] = Recent(4)


def _ellipsoids(brainstem: Brainstem, cochlear: Tube, params: ContextParams
                ) -> tuple[Ellipsoid, Ellipsoid]:
    """:func:`flocculus` and :func:`cerebellar_hemisphere`, built once for the last few
    brainstems, CN VIII entries and parameters (the atlas cases of a dataset share them: a
    draw changes CN VIII's course, not its entry; ellipsoids never change)."""
    key = (brainstem.shape, brainstem.origin_midline_mm.tobytes(),
           np.asarray(cochlear.points[0]).tobytes(), params)
    return _RECENT_ELLIPSOIDS.fetch(key, lambda: (flocculus(brainstem, cochlear, params),
                                                  cerebellar_hemisphere(params)))


def intrusion(solid: Ellipsoid | Tube, vessel: Tube) -> tuple[float, float]:
    """How deep ``vessel``'s surface enters a solid context structure (mm; negative, the
    smallest gap between them) and where: the arc length (mm) along the vessel of its deepest
    point.

    Against an ellipsoid: exact distances of points of the centerline at most
    :data:`_SOLID_SAMPLING_MM` apart minus the vessel's radius there (within half that of the
    deepest: distance changes no faster than the point moves). Only points within
    :data:`_SOLID_REACH_MM` of the ellipsoid's bounding sphere are measured exactly, and of
    those only the ones :meth:`Ellipsoid.signed_distance_bounds` cannot tell farther than
    another (the answer is the same): a vessel farther away gets its gap to that sphere, a
    lower bound above that reach. Against a tube: the exact closest approach of the two
    tubes' segments.
    """
    if isinstance(solid, Ellipsoid):
        vessel = _sampled(vessel)
        gap = (np.linalg.norm(vessel.points - solid.centre, axis=1)
               - solid.semi_axes_mm.max() - vessel.radius)
        near = np.flatnonzero(gap < _SOLID_REACH_MM)
        if len(near):
            # solved exactly only where the bounds leave it among the least: the others
            # are farther than one of those, so never the deepest (inf marks them)
            low, high = solid.signed_distance_bounds(vessel.points[near])
            low, high = low - vessel.radius[near], high - vessel.radius[near]
            solved = low <= high.min() + _BOUND_SLACK_MM
            gap[near] = np.inf
            rows = near[solved]
            gap[rows] = solid.signed_distance(vessel.points[rows]) - vessel.radius[rows]
        k = int(np.argmin(gap))
        return float(-gap[k]), float(vessel.s[k])
    _, row, _, u, gap = solid.segments.nearest_pair(vessel.segments)
    s0, s1 = vessel.s[row:row + 2]
    return float(-gap), float(s0 + u * (s1 - s0))


def intrusion_at_most(solid: Ellipsoid | Tube, vessel: Tube, depth_mm: float) -> bool:
    """Whether :func:`intrusion` of ``vessel`` into ``solid`` is certainly at most
    ``depth_mm`` (mm), told from bounds without resampling the vessel (False when the bounds
    cannot tell, and for a tube: its exact search is already pruned).

    For an ellipsoid, by the vessel's segments (:attr:`~mvd_sim.core.tube.Tube.segments`):
    each point :func:`intrusion` measures lies on a segment, within its half-length of the
    segment's midpoint, so its signed distance is at least the midpoint's bound below less
    that half-length (a distance changes no faster than the point moves), and its radius is
    at most the vessel's largest. The bound below is first the midpoint's distance from the
    centre less the largest semi-axis (one norm a segment), then, where that cannot tell,
    :meth:`Ellipsoid.signed_distance_bounds`. A point beyond :data:`_SOLID_REACH_MM` reads a
    gap above that reach, so no deeper.
    """
    if not isinstance(solid, Ellipsoid):
        return False
    segments = vessel.segments
    midpoints, reach = segments.balls[:, :3], segments.half + np.max(vessel.radius)
    limit = depth_mm - _BOUND_SLACK_MM
    if np.max(reach - norm(midpoints - solid.centre)) + solid.semi_axes_mm.max() <= limit:
        return True
    low, _ = solid.signed_distance_bounds(midpoints)
    return bool(np.max(reach - low) <= limit)


def left_straight(brainstem: Brainstem, params: ContextParams, rootlet: Tube) -> bool:
    """Whether ``rootlet``, of a context :func:`build_context` built for this brainstem and
    these parameters, is one it left straight: then none of the vessels it was built round
    comes within :data:`ROOTLET_CLEARANCE_MM` of it (:func:`lower_cranial_nerves`)."""
    straight = _vessel_free(brainstem, params).rootlets.values()
    return any(rootlet is kept for rootlets in straight for kept in rootlets)


def _tube_intrusions(solids: Sequence[Tube], vessels: Sequence[Tube],
                     solid_segments: SegmentSet | None = None) -> np.ndarray:
    """(solids, vessels) float, mm: :func:`intrusion` of each vessel into each tube of
    ``solids`` (the same pair solver on the same segments, so the same bits), in one call
    (:meth:`~mvd_sim.core.geometry.closest.SegmentSet.nearest_by_tube`);
    ``solid_segments``, if given, is the solids' segments already stacked."""
    if not solids or not vessels:
        return np.zeros((len(solids), len(vessels)))
    if solid_segments is None:
        solid_segments = SegmentSet.stack([solid.segments for solid in solids])
    return -solid_segments.nearest_by_tube(SegmentSet.stack([v.segments for v in vessels]))


@lru_cache(maxsize=16)
def _sampled(vessel: Tube) -> Tube:
    """``vessel`` resampled every :data:`_SOLID_SAMPLING_MM` for :func:`intrusion`, kept by
    identity (tubes are immutable): a build measures each vessel against every solid."""
    return vessel.resampled(_SOLID_SAMPLING_MM)
