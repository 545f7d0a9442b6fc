"""The rest course of an imported nerve: where it would run without the vessels pressing it.

One image shows a nerve as it lies, deviated or not. *Severe* (the nerve's course deviated
from its rest course, :class:`~mvd_sim.core.labels.SeverityThresholds`) needs a rest course,
so it is estimated from the nerve itself, by the model the atlas deviates nerves with
(:func:`~mvd_sim.anatomy.placement.deviate_nerve`): a vessel moves at most the stretch of
nerve :data:`~mvd_sim.anatomy.placement.DEVIATION_HALF_WIDTH_MM` either side of where it
presses (cut at the ends: the root's start and the porus stay put), smoothly, so the
nerve's position and direction at that stretch's ends are its rest ones. A vessel's
stretch is cut :data:`END_MM` short of the nerve's far end: where the label thins to its
end cap at the porus the line is marched on through its last voxels, not fitted section by
section, and its heading there is no rest one (at 0.6 mm voxels CN VII's last 1.5 mm lay
0.36-0.49 mm aside of its true axis, within 0.1 mm before it; bridged to its end, a CP
touch no vessel deviates read deviated by 0.49-0.54 mm, now by 0.00-0.11). A mass' stretch
is not: a schwannoma at the porus bows the nerve up to its end (cut, the bundled one's
deviations read 1.13 and 1.94 mm for 1.39 and 2.37 and the case's verdict changed).

So for each place a vessel comes within :data:`NEAR_MM` of the nerve's surface (the
deepest point of each run of such nerve samples), that stretch of the course is replaced by
the cubic Hermite curve with the nerve's positions and tangents at the stretch's ends, its
points matched to the nerve's by arc-length fraction (so index ``i`` is the same material
point in both, as for atlas cases); where the stretch lies on the attached segment (up to
the RDP) the rest course is put back on the brainstem, one radius off its surface, as the
atlas' attached root lies (and beyond it, where the curve would dip into the
brainstem, it is lifted to rest on it). A stretch that begins on the attached segment and
ends beyond the RDP is bridged by the atlas' own rule for a root
(:func:`~mvd_sim.anatomy.nerves.surface_march`): a geodesic of the brainstem's surface
offset by the radius up to the RDP, then leaving it tangentially for the stretch's end
(:func:`_attached_bridge`). Its heading is the nerve's where the stretch begins further
along the root; where it begins at the root's start, whose heading the import does not see
(a deviation turns the root within its first millimetres, where no section fits), it is the
heading of the least bent such course: the Hermite curve leaving along the imported start's
heading read a deviation of 0.8-1.0 mm about halved. A vessel deviates the nerve away from
itself: a bridge from which the nerve, where the vessel presses, lies moved *toward* the vessel (or
not at all) is the nerve's own bend, not the vessel's doing, and is not taken: the nerve
stays its own rest course there. Only the move's sign is asked, as the contact engine asks
it (a nerve pushed while it slides over the brainstem moves along it, far off straight
away from the vessel). Without this, a bridge cutting across the root's turn off the
brainstem at the RDP, or across a curve of the nerve under a vessel merely touching it,
read as a deviation of 0.1-0.6 mm, which ``plan`` and ``decompress`` then relaxed.

A mass (:func:`wrapped_at`) displaces the whole stretch of nerve it holds: the nerve lies on
it along a run of samples within :data:`NEAR_MM` of its surface (a vestibular schwannoma
bows CN VIII over 15 mm), so its stretch is that run and :data:`MASS_MARGIN_MM` either side
(where an image's smoothing rounds the bend at its ends), not a vessel's fixed width, and
the move is asked at the run's middle.

Limits: a nerve curved at rest over such a stretch (more than a Hermite cubic through its
ends bends) reads as deviated; a deviation wider than the stretch is underestimated; two
vessels pressing within one stretch share one rest course; the rest course starts where the
import starts the root, so a start placed toward the vessel adds to the deviation read (up
to 0.15 mm where the import's line runs straight over a turned root's first 1.5 mm). Stated
in the README.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.spatial import cKDTree

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.anatomy.nerves import surface_march
from mvd_sim.anatomy.placement import DEVIATION_HALF_WIDTH_MM
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.ellipsoid import closest_point
from mvd_sim.core.geometry.vec import cross, reject

__all__ = ["NEAR_MM", "MASS_MARGIN_MM", "END_MM", "pressed_at", "wrapped_at", "rest_course"]

#: A vessel whose surface comes this near (mm) the nerve's may be deviating it.
NEAR_MM = 0.5
#: A mass' stretch reaches this far (mm of arc) past the run of nerve lying on it.
MASS_MARGIN_MM = 2.0
#: A vessel's stretch reaching the nerve's far end (the porus) is bridged to this far (mm
#: of arc) short of it: there the label thins and ends in a cap, and the line's position
#: and heading are the end's march, not sections' fits.
END_MM = 1.5
_DENSE_MM = 0.1
#: Headings (degrees from the chord to the RDP) scanned for the least bent rest course.
_HEADINGS_DEG = np.arange(-60.0, 60.1, 5.0)
_LEAVING_SAMPLES = 200


def _lesion_gaps(points: np.ndarray, radii: np.ndarray, lesions: Sequence[Ellipsoid],
                 gap: np.ndarray, toward: np.ndarray) -> None:
    """Lower ``gap`` (n,) to each lesion's surface gap where nearer (exact distance to the
    ellipsoid less the nerve's radius), ``toward`` (n, 3) to its nearest surface point."""
    for body in lesions:
        surface, distance = closest_point(body.local(points), body.semi_axes_mm)
        this = distance - radii
        nearer = this < gap
        gap[nearer] = this[nearer]
        toward[nearer] = (surface @ body.axes + body.centre)[nearer] - points[nearer]


def _runs(gap: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) indices of each run of samples within :data:`NEAR_MM`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (gap <= NEAR_MM).astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def pressed_at(points: np.ndarray, radii: np.ndarray,
               vessels: list[tuple[np.ndarray, np.ndarray]],
               lesions: Sequence[Ellipsoid] = ()) -> list[tuple[float, np.ndarray]]:
    """Where along a nerve vessels (or lesions) press it: the deepest point of each run of
    nerve points within :data:`NEAR_MM` of a vessel's surface (gaps from the vessels'
    centerlines sampled every 0.1 mm, minus both radii; a lesion's: the exact distance to its
    ellipsoid minus the nerve's radius), as its arc length (mm) and the (3,) unit direction
    from the nerve's centerline to the nearest vessel's (the lesion's nearest surface point)
    there.

    Parameters
    ----------
    points : (n, 3) float, mm
        The nerve's centerline.
    radii : (n,) float, mm
    vessels : list of ((m, 3) float, (m,) float)
        Each vessel's centerline and radii (mm, the nerve's frame).
    lesions : sequence of Ellipsoid
        Aneurysm domes and AVM nidi (the nerve's frame), which press as a vessel does (a
        mass: :func:`wrapped_at`).
    """
    s = curve.arc_length(points)
    gap = np.full(len(points), np.inf)
    toward = np.zeros((len(points), 3))
    for line, r in vessels:
        at = curve.arc_length(line)
        dense = curve.resample(line, _DENSE_MM) if at[-1] > 2 * _DENSE_MM else line
        r_dense = np.interp(curve.arc_length(dense), at, r)
        distance, nearest = cKDTree(dense).query(points)
        this = distance - radii - r_dense[nearest]
        nearer = this < gap
        gap[nearer] = this[nearer]
        toward[nearer] = dense[nearest[nearer]] - points[nearer]
    _lesion_gaps(points, radii, lesions, gap, toward)
    out = []
    for lo, hi in _runs(gap):
        k = lo + int(np.argmin(gap[lo:hi]))
        out.append((float(s[k]), _unit(toward[k])))
    return out


def wrapped_at(points: np.ndarray, radii: np.ndarray, masses: Sequence[Ellipsoid]
               ) -> list[tuple[float, np.ndarray, float, float]]:
    """The stretches of a nerve masses hold: for each run of nerve points within
    :data:`NEAR_MM` of a mass' surface, the arc length (mm) of the run's middle, the (3,) unit
    direction from the nerve there to the mass' nearest surface point, and the stretch's
    first and last arc length (the run and :data:`MASS_MARGIN_MM` either side, within the
    nerve; runs whose stretches overlap, a nerve lifting off the mass for a moment, make
    one)."""
    s = curve.arc_length(points)
    gap = np.full(len(points), np.inf)
    toward = np.zeros((len(points), 3))
    _lesion_gaps(points, radii, masses, gap, toward)
    spans: list[list[float]] = []
    for lo, hi in _runs(gap):
        first = max(float(s[lo]) - MASS_MARGIN_MM, 0.0)
        last = min(float(s[hi - 1]) + MASS_MARGIN_MM, float(s[-1]))
        if spans and first <= spans[-1][1]:
            spans[-1][1] = last
        else:
            spans.append([first, last])
    out = []
    for first, last in spans:
        k = int(np.searchsorted(s, 0.5 * (first + last)))
        out.append((float(s[k]), _unit(toward[k]), first, last))
    return out


def _hermite(p0: np.ndarray, m0: np.ndarray, p1: np.ndarray, m1: np.ndarray,
             t: np.ndarray) -> np.ndarray:
    """Cubic Hermite curve at parameters ``t`` (0 to 1)."""
    t = t[:, None]
    return ((2 * t ** 3 - 3 * t ** 2 + 1) * p0 + (t ** 3 - 2 * t ** 2 + t) * m0
            + (-2 * t ** 3 + 3 * t ** 2) * p1 + (t ** 3 - t ** 2) * m1)


def _leaving(attached: np.ndarray, end: np.ndarray, end_tangent: np.ndarray) -> np.ndarray:
    """An attached course (k, 3) leaving the brainstem tangentially at its last point, as
    the cubic Hermite curve to ``end`` (3,) arriving along the unit ``end_tangent`` (3,)
    (tangents scaled by the chord), appended: (k + :data:`_LEAVING_SAMPLES` - 1, 3), mm."""
    chord = float(np.linalg.norm(end - attached[-1]))
    leaving = _hermite(attached[-1], chord * _unit(attached[-1] - attached[-2]), end,
                       chord * end_tangent, np.linspace(0.0, 1.0, _LEAVING_SAMPLES))
    return np.concatenate([attached, leaving[1:]])


def _attached_bridge(points: np.ndarray, s: np.ndarray, tangent: np.ndarray, lo: int,
                     hi: int, radii: np.ndarray, brainstem: Brainstem,
                     attached_mm: float) -> np.ndarray:
    """The rest course over ``points`` (n, 3) ``lo`` to ``hi`` (arc lengths ``s``, unit
    tangents ``tangent``, radii ``radii``; mm, scene frame) of a stretch beginning on the attached
    segment and ending beyond the RDP, by the atlas' rule for an attached root
    (:func:`~mvd_sim.anatomy.nerves.surface_march`): a geodesic on the brainstem's surface
    offset by the root's radius from the stretch's start to the RDP, then leaving it
    tangentially (:func:`_leaving`) to join the nerve at the stretch's end along its
    tangent. Where the stretch begins further along the root, the geodesic sets off along
    the nerve's tangent there, so the rest course continues the undeviated nerve smoothly;
    where it begins at the root's start, the heading is the one whose course is least bent
    (:func:`~mvd_sim.core.geometry.curve.bending_energy`): the import does not see a root
    turn within its first millimetres (a deviation turns it there), and a relaxed root,
    held along the brainstem up to its RDP, takes the least bent of those courses. Points
    matched by arc fraction; (hi - lo + 1, 3), mm."""
    start, end, end_tangent = points[lo], points[hi], tangent[hi]
    on = slice(lo, int(np.searchsorted(s, attached_mm)) + 1)
    radius, length = float(np.median(radii[on])), attached_mm - float(s[lo])

    def course(heading: np.ndarray) -> np.ndarray:
        return _leaving(surface_march(brainstem, start, heading, radius, length), end,
                        end_tangent)

    if lo > 0:
        line = course(tangent[lo])
    else:
        normal = brainstem.query(start[None]).normal[0]
        ahead = _unit(reject(points[on][-1] - start, normal))
        aside = cross(normal, ahead)

        def energy(angle: float) -> float:
            return curve.bending_energy(course(np.cos(angle) * ahead + np.sin(angle) * aside))

        scan = np.radians(_HEADINGS_DEG)
        best = scan[int(np.argmin([energy(a) for a in scan]))]
        step = scan[1] - scan[0]
        angle = minimize_scalar(energy, bounds=(best - step, best + step), method="bounded",
                                options={"xatol": 1e-3}).x
        line = course(np.cos(angle) * ahead + np.sin(angle) * aside)
    along = curve.arc_length(line)
    fraction = (s[lo:hi + 1] - s[lo]) / (s[hi] - s[lo])
    return curve.point_at(line, along, fraction * along[-1])


def rest_course(points: np.ndarray, radii: np.ndarray,
                pressed: list[tuple[float, np.ndarray]], brainstem: Brainstem,
                attached_mm: float,
                wrapped: Sequence[tuple[float, np.ndarray, float, float]] = ()) -> np.ndarray:
    """The nerve's estimated rest course (same number of points, same material points).

    Parameters
    ----------
    points : (n, 3) float, mm
        The nerve as imported (scene frame), from its start at the brainstem.
    radii : (n,) float, mm
    pressed : list of (float, (3,) float)
        :func:`pressed_at`: arc length (mm) and unit direction to the vessel.
    brainstem : Brainstem
        The fitted brainstem in the same frame.
    attached_mm : float
        Arc length of the RDP: up to it the rest course lies on the brainstem.
    wrapped : sequence of (float, (3,) float, float, float)
        :func:`wrapped_at`: the stretches masses hold, bridged as a vessel's are.

    Returns
    -------
    (n, 3) float, mm
    """
    rest = np.array(points, dtype=float)
    s = curve.arc_length(points)
    tangent = curve.tangents(points)
    stretches = [(s0, toward, s0 - DEVIATION_HALF_WIDTH_MM,
                  min(s0 + DEVIATION_HALF_WIDTH_MM, s[-1] - END_MM)) for s0, toward in pressed]
    for s0, toward, first, last in [*stretches, *wrapped]:
        lo, hi = np.searchsorted(s, [first, last])
        hi = min(hi, len(s) - 1)
        if hi - lo < 3:
            continue
        if s[lo] < attached_mm < s[hi]:
            bridge = _attached_bridge(rest, s, tangent, lo, hi, radii, brainstem,
                                      attached_mm)
        else:
            p0, p1 = rest[lo], rest[hi]
            chord = float(np.linalg.norm(p1 - p0))
            t = (s[lo:hi + 1] - s[lo]) / (s[hi] - s[lo])
            bridge = _hermite(p0, chord * tangent[lo], p1, chord * tangent[hi], t)
        # on the brainstem up to the RDP; beyond it, never into it
        r = radii[lo:hi + 1]
        q = brainstem.query(bridge)
        on = (s[lo:hi + 1] <= attached_mm) | (q.signed_distance < r)
        bridge[on] = q.closest[on] + r[on, None] * q.normal[on]
        # placed minus rest where the vessel presses: the move it made, if it made it
        k = int(np.clip(np.searchsorted(s, s0), lo, hi))
        moved = points[k] - bridge[k - lo]
        if float(moved @ toward) < 0.0:
            rest[lo + 1:hi] = bridge[1:-1]
    return rest
