"""Sub-voxel centres and radii of a tube from its label's surface, section by section.

A skeleton (:mod:`~mvd_sim.segmentation.centerline`) follows a label voxel by voxel and its
radius comes from counted voxels; contacts are graded in tenths of a millimetre, a fifth of
a 0.5 mm voxel. So the centerline is refined on the label's iso-surface:

1. the surface: marching cubes (scikit-image) at the half level of the label's mask itself
   (vertices halfway between inside and outside voxel centres; not blurred first: a blur
   shrinks a thin tube's half-level surface by about sigma^2 / 2r, 0.03-0.07 mm for
   radii of 0.5-1 mm under half a voxel's blur, which would then have to be added back);
2. vertices on a boundary the label shares with another structure (a vessel lying on or
   into a nerve: where labels overlap the volume keeps only one, so the other's surface
   there is not its own) are left out: the voxel a step outward along the vertex normal
   belongs to another label. So are vertices at the volume's edge;
3. at every :data:`STATION_MM` of arc the vertices within :data:`SLAB_MM` of arc are
   projected on the plane normal to the centerline and a circle is fitted (algebraic fit,
   then Gauss-Newton on the geometric distance, vertices farther than 3 scaled MADs off
   dropped once); a fit needs :data:`MIN_POINTS` vertices spread round at least
   :data:`MIN_COVERAGE_DEG` of the circle (a vessel's notch leaves most of it);
4. the centres become the centerline (two rounds: tangents and slabs follow the refined
   line; a centre moved implausibly far from the skeleton's or from its neighbours' is
   dropped, :func:`_consistent`), smoothed by a cubic smoothing spline, and the radii are
   median-filtered over :data:`RADIUS_MEDIAN_MM`. Stations where no circle fits (the
   ends' caps, too little surface) move with their fitted neighbours (the ends with the
   nearest) and take the nearest fitted radius.

On straight tubes oblique to a 0.5 mm grid (``tests/segmentation/test_sections.py``) the
radii come back within 0.02 mm for radii 0.5-1.5 mm and the axis within 0.02 mm.

Limits: the label is taken as drawn: where a segmentation is thinner or thicker than the
structure (a threshold on a blurred image), so is the fitted tube.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import splev, splprep
from scipy.spatial import cKDTree

from mvd_sim.core.geometry import curve

__all__ = ["STATION_MM", "SLAB_MM", "MIN_POINTS",
           "MIN_COVERAGE_DEG", "RADIUS_MEDIAN_MM", "surface_of", "refine", "surface_rms_mm"]

#: Spacing (mm of arc) of the fitted sections.
STATION_MM = 0.5
#: Half-length (mm of arc) of the slab of surface each section's circle is fitted to.
SLAB_MM = 0.6
#: Fewest surface vertices a section's circle is fitted to.
MIN_POINTS = 12
#: Least arc of the circle (degrees) a section's vertices must cover.
MIN_COVERAGE_DEG = 200.0
#: Window (mm of arc) of the radii's median filter.
RADIUS_MEDIAN_MM = 2.0
#: A section's centre may move from the skeleton's by this share of the radius plus
#: :data:`MAX_SHIFT_MM` (mm), and differ from its neighbours' median move by that much.
MAX_SHIFT_RADII = 0.5
MAX_SHIFT_MM = 0.3
#: Scatter (mm) of the sections' centres the smoothing spline allows.
CENTRE_NOISE_MM = 0.05
_ROUNDS = 2
_PROBE_VOXELS = (0.7, 1.4)   # outward steps at which another label marks a shared boundary


def surface_of(mask: np.ndarray, others: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """A label's own surface: (v, 3) world mm vertices (steps 1-2 above).

    Parameters
    ----------
    mask : (ni, nj, nk) bool
        The label (a crop with a margin of a few voxels).
    others : (ni, nj, nk) bool
        Voxels of every other structure in the same crop.
    affine : (4, 4) float
        Crop index to world mm.
    """
    from skimage.measure import marching_cubes

    vertices, _faces, normals, _values = marching_cubes(mask.astype(np.float32), 0.5)
    shape = np.array(mask.shape)
    own = np.all((vertices > 1.5) & (vertices < shape - 2.5), axis=1)
    for step in _PROBE_VOXELS:
        probe = np.clip(np.rint(vertices + step * normals).astype(int), 0, shape - 1)
        own &= ~others[tuple(probe.T)]
    return vertices[own] @ affine[:3, :3].T + affine[:3, 3]


def _circle(xy: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Least-squares circle through 2D points: centre, radius, residuals; None if
    degenerate."""
    a = np.column_stack([xy, np.ones(len(xy))])
    b = np.sum(xy * xy, axis=1)
    try:
        sol = np.linalg.lstsq(a, b, rcond=None)[0]
    except np.linalg.LinAlgError:
        return None
    centre = 0.5 * sol[:2]
    r2 = sol[2] + centre @ centre
    if r2 <= 0:
        return None
    radius = float(np.sqrt(r2))
    for _ in range(5):   # Gauss-Newton on the geometric distance
        d = xy - centre
        rho = np.maximum(np.linalg.norm(d, axis=1), 1e-9)
        jac = np.column_stack([-d / rho[:, None], -np.ones(len(xy))])
        step = np.linalg.lstsq(jac, -(rho - radius), rcond=None)[0]
        centre, radius = centre + step[:2], radius + float(step[2])
        if np.abs(step).max() < 1e-5:
            break
    return centre, radius, np.linalg.norm(xy - centre, axis=1) - radius


def _coverage_deg(xy: np.ndarray, centre: np.ndarray) -> float:
    """Arc (degrees) of a circle about ``centre`` the points span (360 minus the widest
    empty gap between their angles)."""
    angle = np.sort(np.arctan2(xy[:, 1] - centre[1], xy[:, 0] - centre[0]))
    gaps = np.diff(np.concatenate([angle, angle[:1] + 2 * np.pi]))
    return float(np.degrees(2 * np.pi - gaps.max()))


def _section(points: np.ndarray, origin: np.ndarray, tangent: np.ndarray,
             radius_guess: float) -> tuple[np.ndarray, float] | None:
    """Centre (world mm) and radius of the circle fitted to a slab's vertices."""
    e1 = np.cross(tangent, [1.0, 0.0, 0.0])
    if np.linalg.norm(e1) < 0.3:
        e1 = np.cross(tangent, [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(tangent, e1)
    d = points - origin
    xy = np.column_stack([d @ e1, d @ e2])
    xy = xy[np.linalg.norm(xy, axis=1) < 2.0 * radius_guess + 1.0]
    fit = None
    for _ in range(2):
        if len(xy) < MIN_POINTS:
            return None
        fit = _circle(xy)
        if fit is None:
            return None
        residual = fit[2]
        mad = 1.4826 * np.median(np.abs(residual - np.median(residual)))
        keep = np.abs(residual) <= max(3.0 * mad, 0.05)
        if keep.all():
            break
        xy = xy[keep]
    centre, radius, _ = fit
    if not 0.2 * radius_guess < radius < 3.0 * radius_guess + 0.5 or \
            _coverage_deg(xy, centre) < MIN_COVERAGE_DEG:
        return None
    return origin + centre[0] * e1 + centre[1] * e2, radius


def _consistent(offsets: np.ndarray, s: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """(n,) bool: sections whose centre moved from the skeleton's plausibly: by at most
    :data:`MAX_SHIFT_RADII` of the radius plus :data:`MAX_SHIFT_MM`, and within
    :data:`MAX_SHIFT_MM` of the median move of the fitted sections within
    :data:`RADIUS_MEDIAN_MM` of arc (a slab that caught another limb of a looping vessel,
    or a junction, does not kink the line)."""
    fitted = np.all(np.isfinite(offsets), axis=1)
    ok = fitted & (np.linalg.norm(np.where(fitted[:, None], offsets, 0.0), axis=1)
                   <= MAX_SHIFT_RADII * guess + MAX_SHIFT_MM)
    half = 0.5 * RADIUS_MEDIAN_MM
    for j in np.flatnonzero(ok):
        near = ok & (np.abs(s - s[j]) <= half)
        median = np.median(offsets[near], axis=0)
        ok[j] = np.linalg.norm(offsets[j] - median) <= MAX_SHIFT_MM
    return ok


def _smoothed(line: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fitted centres through a cubic smoothing spline (a residual of
    :data:`CENTRE_NOISE_MM` a point: the sections' scatter, which would otherwise lengthen
    the line and kink it), resampled every :data:`STATION_MM`; radii carried along."""
    s = curve.arc_length(line)
    if len(line) < 6:
        return line, radii
    tck, _ = splprep(line.T, u=s / s[-1], s=len(line) * CENTRE_NOISE_MM ** 2, k=3)
    dense = np.stack(splev(np.linspace(0.0, 1.0, 20 * len(line)), tck), axis=1)
    out = curve.resample(dense, STATION_MM)
    # each resampled point's parameter, to carry the radii
    u = np.interp(curve.arc_length(out), curve.arc_length(dense),
                  np.linspace(0.0, 1.0, len(dense)))
    return out, np.interp(u, s / s[-1], radii)


def refine(points: np.ndarray, radii: np.ndarray, surface: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """A tube's centerline and radii fitted to its own surface (steps 3-4 above).

    Parameters
    ----------
    points : (n, 3) float, world mm
        The skeleton's centerline, evenly spaced.
    radii : (n,) float, mm
        Its radii (the guesses that bound each section's fit).
    surface : (v, 3) float, world mm
        :func:`surface_of`'s vertices.

    Returns
    -------
    points, radii : (m, 3), (m,) float, mm
        Every :data:`STATION_MM` of arc, the ends kept.
    """
    line = curve.resample(points, STATION_MM) if curve.arc_length(points)[-1] > \
        2 * STATION_MM else np.array(points, dtype=float)
    guess = np.interp(curve.arc_length(line), curve.arc_length(points), radii)
    if len(surface) < MIN_POINTS or len(line) < 3:
        return line, guess
    fitted_r = np.full(len(line), np.nan)
    for _ in range(_ROUNDS):
        s = curve.arc_length(line)
        tangent = curve.tangents(line)
        dense = curve.resample(line, 0.05)
        nearest = cKDTree(dense).query(surface)[1]
        # the end caps' vertices (nearest to an end sample) are no section's
        inner = (nearest > 0) & (nearest < len(dense) - 1)
        at = curve.arc_length(dense)[nearest[inner]]
        order = np.argsort(at)
        at, ordered = at[order], surface[inner][order]
        offsets = np.full((len(line), 3), np.nan)
        fitted_r = np.full(len(line), np.nan)
        margin = np.maximum(guess, SLAB_MM)
        for j in np.flatnonzero((s >= margin) & (s <= s[-1] - margin)):
            lo, hi = np.searchsorted(at, [s[j] - SLAB_MM, s[j] + SLAB_MM])
            fit = _section(ordered[lo:hi], line[j], tangent[j], float(guess[j]))
            if fit is not None:
                offsets[j], fitted_r[j] = fit[0] - line[j], fit[1]
        fitted_r[~_consistent(offsets, s, guess)] = np.nan
        ok = np.isfinite(fitted_r)
        if not ok.any():
            break
        # stations without a fit move with their fitted neighbours (the ends with the
        # nearest), so the line stays continuous
        line = line + np.stack([np.interp(s, s[ok], offsets[ok, c]) for c in range(3)],
                               axis=1)
    ok = np.isfinite(fitted_r)
    if not ok.any():
        return line, guess
    s = curve.arc_length(line)
    half = 0.5 * RADIUS_MEDIAN_MM
    smooth = np.array([np.median(fitted_r[ok & (np.abs(s - c) <= half)])
                       if np.any(ok & (np.abs(s - c) <= half)) else np.nan for c in s])
    have = np.isfinite(smooth)
    return _smoothed(line, np.interp(s, s[have], smooth[have]))


def surface_rms_mm(points: np.ndarray, radii: np.ndarray, surface: np.ndarray) -> float | None:
    """RMS distance (mm) of a label's own surface from the fitted tube: each vertex's
    distance from the centerline (sampled every 0.05 mm) less the radius there; the end
    caps' vertices (nearest an end sample) are no tube wall's and are left out. The fit's
    uncertainty as the image shows it (noise, blur, a segmentation's steps). None where no
    wall vertex is left.

    Parameters
    ----------
    points : (n, 3) float, mm
        The fitted centerline (:func:`refine`).
    radii : (n,) float, mm
    surface : (v, 3) float, mm
        :func:`surface_of`'s vertices, same frame.
    """
    at = curve.arc_length(points)
    dense = curve.resample(points, 0.05) if at[-1] > 0.1 else np.asarray(points, float)
    r = np.interp(curve.arc_length(dense), at, radii)
    if len(surface) == 0 or len(dense) < 3:
        return None
    distance, nearest = cKDTree(dense).query(surface)
    wall = (nearest > 0) & (nearest < len(dense) - 1)
    if not wall.any():
        return None
    return float(np.sqrt(np.mean((distance[wall] - r[nearest[wall]]) ** 2)))
