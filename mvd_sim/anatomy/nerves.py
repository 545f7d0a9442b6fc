"""Facial (CN VII) and vestibulocochlear (CN VIII) nerve roots as tubes.

Everything here is in the canonical right-sided scene frame (origin at the RExP, x right =
lateral, y anterior, z rostral, mm); :mod:`mvd_sim.scene.build` mirrors left cases.

CN VII
------
The centerline starts one nerve radius above the RExP (the root lies on the brainstem) and:

1. follows the pons as the attached segment (AS): a geodesic march on the surface offset by
   the nerve radius, starting rostrally (turned ``attached_heading_deg`` toward anterior;
   the pons' flare over the sulcus carries it laterally), for exactly
   ``attached_segment_length_mm`` of arc: the RDP;
2. leaves the surface tangentially as the cisternal portion (CP): a cubic Bezier from the RDP
   to the internal acoustic porus, which lies in the direction ``angle_to_midline_deg`` from
   the midline (axial plane, Kakizawa 2008), raised by ``elevation_deg``, at the chord that
   makes the CP exactly ``cisternal_length_mm`` long (Gupta 2023).

Arc lengths of the landmarks are exact on the returned polyline.

CN VIII
-------
Runs beside VII (facts 9.1): its centreline is VII's plus an offset square to VII whose
direction and length interpolate along VII's arc from the entry offset to the porus offset,
lifted where VII's attached segment hugs the convex pons so that VIII rests on it.

- Entry: dorsal of VII's start (LaRouere & Lundy 1994), turned ``entry_tilt_rostral_deg``
  toward rostral (VII's junction lies below VIII's, Rhoton), at the distance that leaves a
  surface gap of the nervus intermedius' 0.62 mm (Alfieri 2012) between the two roots.
- Porus: posteroinferior of VII's end, apposed (``porus_offset_*``).

So the gap never widens toward the porus and VII stays anterosuperior. VIII tapers from 2.31
to 1.44 mm at its transition zone (Guclu 2012); its length follows from VII's (16.5 +- 1.8
mm measured by Guclu 2012; 17.4 by default). VIII has no attached segment, so its segments
are the entry zone (labelled RExP) and the cisternal portion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

from mvd_sim.core.compiled import array, compiled
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.landmarks import NerveLandmarks
from mvd_sim.core.constants import FacialNerveParams, VestibulocochlearParams
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.vec import reject, unit
from mvd_sim.core.tube import Tube

__all__ = ["NerveBuild", "build_facial_nerve", "build_vestibulocochlear_nerve",
           "segmented_facial_nerve", "segmented_vestibulocochlear_nerve", "surface_march"]

_MARCH_STEP_MM = 0.4        # arc step of the attached-segment march
_CP_SAMPLES = 64            # Bezier samples of the cisternal portion
_CP_PARAMETERS = np.linspace(0.0, 1.0, _CP_SAMPLES)   # their parameters, for each evaluation
_CP_PARAMETERS.flags.writeable = False
_CLEARANCE_TOL_MM = 0.02    # a free nerve may dip this far into the brainstem (numerics)
_ENTRY_BLEND_MM = 1.0       # VIII's offset from VII turns square to VII over this arc


@dataclass(frozen=True)
class NerveBuild:
    """A built nerve: its tube and its landmarks (arc lengths in mm from the RExP)."""

    tube: Tube
    landmarks: NerveLandmarks


@compiled(*[array(1)] * 5)
def _bezier_points(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray,
                   u: np.ndarray) -> np.ndarray:
    """Points (len(u), 3), mm, of the cubic Bezier curve with control points ``p0`` .. ``p3``
    (3,), mm, at parameters ``u``: the Bernstein form, compiled (the nerve's length is matched
    by root finding over the curve, a dozen evaluations a nerve)."""
    out = np.empty((len(u), 3))
    for i in range(len(u)):
        a, b = 1.0 - u[i], u[i]
        a3, b3 = math.pow(a, 3.0), math.pow(b, 3.0)
        for c in range(3):
            out[i, c] = (a3 * p0[c] + 3 * (a * a) * b * p1[c] + 3 * a * (b * b) * p2[c]
                         + b3 * p3[c])
    return out


def _bezier_of_length(start: np.ndarray, start_dir: np.ndarray, direction: np.ndarray,
                      length_mm: float, end_dir: np.ndarray) -> np.ndarray:
    """Bezier polyline from ``start`` (tangent ``start_dir``) toward ``direction``, ending
    with tangent ``end_dir``, whose polyline length is exactly ``length_mm``."""

    start, start_dir, direction, end_dir = (np.asarray(v, dtype=float) for v in (
        start, start_dir, direction, end_dir))

    def build(chord: float) -> np.ndarray:
        end = start + chord * direction
        handle = chord / 3.0
        return _bezier_points(start, start + handle * start_dir, end - handle * end_dir, end,
                              _CP_PARAMETERS)

    def excess(chord: float) -> float:
        return curve.arc_length(build(chord))[-1] - length_mm

    chord = brentq(excess, 0.3 * length_mm, length_mm, xtol=1e-12)
    return build(chord)


def _offset_projection(brainstem: Brainstem, point: np.ndarray, offset_mm: float):
    q = brainstem.query(point[None])
    return q.closest[0] + offset_mm * q.normal[0], q.normal[0]


def _tangent_direction(normal: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Unit projection of ``direction`` onto the plane square to the unit ``normal``."""
    return unit(reject(direction, normal))


def _attached_march(brainstem: Brainstem, start_dir: np.ndarray, radius_mm: float,
                    length_mm: float) -> np.ndarray:
    """Geodesic march on the brainstem offset by ``radius_mm`` from above the origin.

    A pure function of the brainstem's shape and placement, the heading, the radius and the
    length, which the cases of a dataset share: memoised on them (a fresh array each call).
    """
    return _attached_march_of(brainstem.shape, tuple(brainstem.origin_midline_mm),
                              tuple(start_dir), float(radius_mm), float(length_mm)).copy()


@lru_cache(maxsize=64)
def _attached_march_of(shape: BrainstemShape, origin_midline_mm: tuple, start_dir: tuple,
                       radius_mm: float, length_mm: float) -> np.ndarray:
    return surface_march(Brainstem(shape, np.array(origin_midline_mm)), np.zeros(3),
                         np.array(start_dir), radius_mm, length_mm)


def surface_march(brainstem: Brainstem, start: np.ndarray, start_dir: np.ndarray,
                  radius_mm: float, length_mm: float) -> np.ndarray:
    """The course a root attached to the brainstem takes: a geodesic march on the surface
    offset by ``radius_mm``, from the offset surface's point over ``start`` (3,), heading
    along ``start_dir`` (3,, turned into the surface's tangent plane), steps of
    :data:`_MARCH_STEP_MM`, ending exactly ``length_mm`` of polyline arc from its start.
    Scene frame, mm; (k, 3) points."""
    point, normal = _offset_projection(brainstem, np.asarray(start, dtype=float), radius_mm)
    direction = _tangent_direction(normal, start_dir)
    pts = [point]
    travelled = 0.0
    while travelled < length_mm:
        nxt, normal = _offset_projection(brainstem, pts[-1] + _MARCH_STEP_MM * direction,
                                         radius_mm)
        chord = nxt - pts[-1]
        direction = _tangent_direction(normal, chord)
        travelled += np.linalg.norm(chord)
        pts.append(nxt)
    pts = np.array(pts)
    # end exactly length_mm of polyline arc from the start, on the offset surface: the last
    # point is pulled onto the sphere of the remaining length about the previous point and
    # projected back onto the surface until both hold (a sliver under 1e-6 mm is dropped)
    s = curve.arc_length(pts)
    keep = s < length_mm - 1e-6
    end = pts[-1]
    pts, remaining = pts[keep], length_mm - s[keep][-1]
    for _ in range(6):
        chord = end - pts[-1]
        end, _ = _offset_projection(brainstem, pts[-1] + chord * (remaining /
                                                                  np.linalg.norm(chord)),
                                    radius_mm)
    chord = end - pts[-1]
    return np.concatenate([pts, [pts[-1] + chord * (remaining / np.linalg.norm(chord))]])


def _axial_direction(angle_to_midline_deg: float, elevation_deg: float) -> np.ndarray:
    """Lateral-anterior direction at ``angle`` from the midline, raised ``elevation``."""
    a, e = np.radians(angle_to_midline_deg), np.radians(elevation_deg)
    return np.array([np.sin(a) * np.cos(e), np.cos(a) * np.cos(e), np.sin(e)])


def _check_clear_of_brainstem(brainstem: Brainstem, tube: Tube, from_s_mm: float) -> None:
    free = tube.s >= from_s_mm
    clearance = brainstem.clearance(tube.points[free], tube.radius[free])
    if np.min(clearance) < -_CLEARANCE_TOL_MM:
        k = int(np.argmin(clearance))
        raise ScenarioError(
            f"nerve {tube.name}: its free course passes {-clearance[k]:.2f} mm into the "
            f"brainstem at s = {tube.s[free][k]:.1f} mm; check its angle and lengths")


def build_facial_nerve(brainstem: Brainstem, params: FacialNerveParams) -> NerveBuild:
    """CN VII root from the RExP (scene origin) to the internal acoustic porus."""
    r0 = 0.5 * params.diameter_mm
    heading = np.radians(params.attached_heading_deg)
    start_dir = np.array([0.0, np.sin(heading), np.cos(heading)])
    attached = _attached_march(brainstem, start_dir, r0, params.attached_segment_length_mm)
    rdp_dir = unit(attached[-1] - attached[-2])
    porus_dir = _axial_direction(params.angle_to_midline_deg, params.elevation_deg)
    cisternal = _bezier_of_length(attached[-1], rdp_dir, porus_dir,
                                  params.cisternal_length_mm, porus_dir)
    points = np.concatenate([attached, cisternal[1:]])
    s = curve.arc_length(points)
    s_rdp = params.attached_segment_length_mm
    s_porus = s_rdp + params.cisternal_length_mm
    r_porus = 0.5 * params.porus_diameter_mm
    radius = np.where(s <= s_rdp, r0, r0 + (r_porus - r0) * (s - s_rdp) / (s_porus - s_rdp))
    tube = Tube("CN7", "CN7", points, radius)
    _check_clear_of_brainstem(brainstem, tube, s_rdp + 0.5 * params.rdp_zone_length_mm)
    tz_start = s_rdp + params.rdp_to_transition_zone_mm
    landmarks = NerveLandmarks(
        rexp_zone_end_mm=params.rexp_zone_length_mm, rdp_mm=s_rdp,
        rdp_zone_mm=params.rdp_zone_length_mm, tz_start_mm=tz_start,
        tz_end_mm=tz_start + params.transition_zone_length_mm, porus_mm=float(s[-1]))
    return NerveBuild(tube, landmarks)


def _vestibulocochlear_entry(brainstem: Brainstem, facial_start: np.ndarray, r7: float,
                             r8: float, params: VestibulocochlearParams) -> np.ndarray:
    """Centre of CN VIII's first section: one VIII radius off the brainstem, dorsal of VII's
    start turned ``entry_tilt_rostral_deg`` toward rostral, at the distance that leaves a
    surface gap of exactly ``gap_to_facial_mm`` between the two roots (mm, scene frame).

    A pure function of the brainstem's shape and placement, VII's start, the radii and the
    parameters, which the atlas cases of a dataset share (a draw changes VII's cisternal
    course, not its start): memoised on them (a fresh array each call).
    """
    return _vestibulocochlear_entry_of(brainstem.shape, tuple(brainstem.origin_midline_mm),
                                       tuple(facial_start), float(r7), float(r8),
                                       params).copy()


@lru_cache(maxsize=16)
def _vestibulocochlear_entry_of(shape: BrainstemShape, origin_midline_mm: tuple,
                                facial_start: tuple, r7: float, r8: float,
                                params: VestibulocochlearParams) -> np.ndarray:
    brainstem = Brainstem(shape, np.array(origin_midline_mm))
    facial_start = np.array(facial_start)
    normal = brainstem.query(facial_start[None]).normal[0]
    dorsal = _tangent_direction(normal, np.array([0.0, -1.0, 0.0]))
    rostral = unit(np.cross(normal, dorsal))
    rostral *= np.sign(rostral[2])
    tilt = np.radians(params.entry_tilt_rostral_deg)
    away = np.cos(tilt) * dorsal + np.sin(tilt) * rostral

    def entry(distance_mm: float) -> np.ndarray:
        return _offset_projection(brainstem, facial_start + distance_mm * away, r8)[0]

    def excess(distance_mm: float) -> float:
        return np.linalg.norm(entry(distance_mm) - facial_start) - (r7 + r8
                                                                     + params.gap_to_facial_mm)

    target = r7 + r8 + params.gap_to_facial_mm
    return entry(brentq(excess, 0.5 * target, 2.0 * target, xtol=1e-9))


def _beside(facial: Tube, start_offset: np.ndarray, end_offset: np.ndarray) -> np.ndarray:
    """Offsets (n, 3), mm, from each point of VII's centreline to VIII's.

    Direction and length each interpolate linearly along VII's arc from ``start_offset``
    to ``end_offset``; past VII's first :data:`_ENTRY_BLEND_MM` the direction is kept square
    to VII's tangent, so the length is the distance between the two centrelines and a gap
    that closes along the arc closes between the nerves.
    """
    along = (facial.s / facial.s[-1])[:, None]
    length = ((1.0 - along) * np.linalg.norm(start_offset)
              + along * np.linalg.norm(end_offset))
    direction = (1.0 - along) * unit(start_offset) + along * unit(end_offset)
    tangent = curve.tangents(facial.points)
    square = np.clip(facial.s / _ENTRY_BLEND_MM, 0.0, 1.0)[:, None]
    direction = direction - square * np.sum(direction * tangent, axis=1)[:, None] * tangent
    return length * unit(direction)


def build_vestibulocochlear_nerve(brainstem: Brainstem, facial: NerveBuild,
                                  params: VestibulocochlearParams) -> NerveBuild:
    """CN VIII root, beside CN VII from the brainstem to the porus.

    VIII's centreline is VII's plus an offset that turns and shrinks linearly along VII's arc,
    from its entry offset (dorsal of VII, slightly rostral, :func:`_vestibulocochlear_entry`)
    to its porus offset (posteroinferior, apposed): VII stays anterior of VIII and the gap
    between them closes toward the porus (facts 9.1).
    """
    r7 = float(facial.tube.radius[0])
    r8 = 0.5 * params.diameter_mm
    course7 = facial.tube.points
    entry = _vestibulocochlear_entry(brainstem, course7[0], r7, r8, params)
    porus_offset = np.array([0.0, -params.porus_offset_posterior_mm,
                             -params.porus_offset_caudal_mm])
    points = course7 + _beside(facial.tube, entry - course7[0], porus_offset)
    # where VII's attached segment hugs the convex pons, the offset alone would sink VIII
    # into it: lift those points along the surface normal until VIII rests on the surface
    radius = np.interp(curve.arc_length(points), [0.0, params.transition_zone_s_mm],
                       [r8, 0.5 * params.tz_diameter_mm])
    query = brainstem.query(points, max_distance_mm=2.0 * r8)
    sunk = query.signed_distance < radius
    points[sunk] += (radius - query.signed_distance)[sunk, None] * query.normal[sunk]
    s = curve.arc_length(points)
    radius = np.interp(s, [0.0, params.transition_zone_s_mm],
                       [r8, 0.5 * params.tz_diameter_mm])
    tube = Tube("CN8", "CN8", points, radius)
    _check_clear_of_brainstem(brainstem, tube, params.entry_zone_length_mm)
    landmarks = NerveLandmarks(
        rexp_zone_end_mm=params.entry_zone_length_mm, rdp_mm=0.0, rdp_zone_mm=0.0,
        tz_start_mm=params.transition_zone_s_mm, tz_end_mm=params.transition_zone_s_mm,
        porus_mm=float(s[-1]))
    return NerveBuild(tube, landmarks)


def segmented_facial_nerve(brainstem: Brainstem, points_mm: np.ndarray, radii_mm: np.ndarray,
                           params: FacialNerveParams) -> NerveBuild:
    """CN VII given point by point (a segmented case), canonical right-sided scene frame.

    The root starts at its first point (one radius above the RExP) and its landmarks are laid
    off by arc length from there by the atlas root's rules (:func:`build_facial_nerve`): the
    RExP zone, the RDP at ``attached_segment_length_mm``, the transition zone
    ``rdp_to_transition_zone_mm`` beyond it, the porus at the root's end.

    Raises
    ------
    ScenarioError
        If the root is too short to hold an attached segment and a cisternal portion, or its
        free course passes into the brainstem.
    """
    tube = Tube("CN7", "CN7", points_mm, radii_mm)
    s_rdp = params.attached_segment_length_mm
    shortest = s_rdp + 0.5 * params.rdp_zone_length_mm + 0.5
    if tube.length_mm < shortest:
        raise ScenarioError(f"nerve CN7 is {tube.length_mm:.1f} mm long: at least "
                            f"{shortest:.1f} mm is needed for its attached segment, RDP and "
                            "cisternal portion")
    _check_clear_of_brainstem(brainstem, tube, s_rdp + 0.5 * params.rdp_zone_length_mm)
    tz_start = s_rdp + params.rdp_to_transition_zone_mm
    return NerveBuild(tube, NerveLandmarks(
        rexp_zone_end_mm=params.rexp_zone_length_mm, rdp_mm=s_rdp,
        rdp_zone_mm=params.rdp_zone_length_mm, tz_start_mm=tz_start,
        tz_end_mm=tz_start + params.transition_zone_length_mm, porus_mm=tube.length_mm))


def segmented_vestibulocochlear_nerve(brainstem: Brainstem, points_mm: np.ndarray,
                                      radii_mm: np.ndarray,
                                      params: VestibulocochlearParams) -> NerveBuild:
    """CN VIII given point by point (a segmented case), with the atlas root's landmarks by
    arc length (:func:`build_vestibulocochlear_nerve`).

    Raises
    ------
    ScenarioError
        If its free course passes into the brainstem.
    """
    tube = Tube("CN8", "CN8", points_mm, radii_mm)
    _check_clear_of_brainstem(brainstem, tube, min(params.entry_zone_length_mm,
                                                   0.5 * tube.length_mm))
    return NerveBuild(tube, NerveLandmarks(
        rexp_zone_end_mm=params.entry_zone_length_mm, rdp_mm=0.0, rdp_zone_mm=0.0,
        tz_start_mm=params.transition_zone_s_mm, tz_end_mm=params.transition_zone_s_mm,
        porus_mm=tube.length_mm))
