"""Fitting the parametric brainstem to a segmented one.

The contact engine, the mechanics and the compiled kernels query the brainstem through
:class:`~mvd_sim.anatomy.brainstem.Brainstem`'s exact closest-point solve on the parametric
surface, so a segmented brainstem is not replaced but fitted: a rigid transform (rotation
vector and translation, world = ``R @ midline + t``) and five dimensions of
:class:`~mvd_sim.core.constants.BrainstemParams` (the pons' half-width, length and depth, the
medulla's depth and half-width; the rest keep their defaults) are found by robust least
squares (``scipy.optimize.least_squares``, soft-L1 loss with a 1 mm scale, so stretches of
the segmentation the model does not have, such as a cut end, weigh little) on the first-order
signed distance of the segmented surface's points (marching cubes on the mask,
scikit-image) from the model's surface. The fit's quality is the RMS of the exact signed
distance (the engine's own query) over those points.

The rotation is bounded (60 degrees about each axis), so an image whose axes are turned 180
degrees (a header's axis signs flipped: LPS read as RAS turns it about the superior axis)
would be fitted in a wrong pose, and read the other side. So the image's orientation is
checked on its own evidence: the brainstem is also fitted, coarsely, turned 180 degrees
about each world axis, and the image is refused when a turned fit comes within
:data:`ORIENTATION_MARGIN_MM` of the fit as it is (the pons bulges anteriorly and is wider
than the medulla, so a brainstem is told from itself turned; not from its left-right
mirror).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.core.constants import BrainstemParams
from mvd_sim.core.errors import SegmentationError

__all__ = ["BrainstemFit", "FITTED", "FIT_TOLERANCE_MM", "ORIENTATION_MARGIN_MM", "TURNS",
           "surface_points", "fit_brainstem", "turned_fits"]

#: The fitted dimensions (the others keep their defaults).
FITTED = ("pons_half_width_mm", "pons_length_mm", "pons_depth_mm", "medulla_depth_mm",
          "medulla_half_width_mm")
#: A fit whose RMS surface distance (mm) is worse than this is refused: two voxels of a
#: 0.5 mm study; beyond it the brainstem the engine sees is not the patient's.
FIT_TOLERANCE_MM = 1.0
_BOUNDS = (0.62, 1.58)     # inside the scenario's override range (0.6, 1.6] of each default
_MAX_POINTS = 6000         # surface points used (a random subset of the marching-cubes mesh)
_DZ_MM = 0.05              # step of the finite difference across levels
#: The turns a header with its axes' signs flipped gives, up to the left-right mirror a
#: symmetric brainstem cannot show (an x flip alone is not seen): the axis turned about ->
#: (the turn's diagonal, the likely cause).
TURNS = {
    "superior": (np.array([-1.0, -1.0, 1.0]),
                 "is the study LPS read as RAS, or RAS as LPS (for meshes: --mesh-space)?"),
    "anterior": (np.array([-1.0, 1.0, -1.0]),
                 "is the study's superior axis flipped (inferior read as superior)?"),
    "right": (np.array([1.0, -1.0, -1.0]),
              "are the study's anterior and superior axes flipped?"),
}
#: The fit to the points as they are must beat every turned fit by this much (mm RMS);
#: else the image's orientation is refused as unclear or wrong.
ORIENTATION_MARGIN_MM = 0.2
_COARSE_POINTS = 300       # points of a turned fit (every k-th of the fitted ones)
_COARSE_NFEV = 10          # its evaluations at most


@dataclass(frozen=True, eq=False)
class BrainstemFit:
    """A fitted brainstem.

    Attributes
    ----------
    shape : BrainstemShape
    rotation : (3, 3) float
        Midline-frame axes in world coordinates (columns: right, anterior, rostral).
    translation_mm : (3,) float
        The midline frame's origin in world mm.
    rms_mm : float
        RMS of the exact signed distance of the segmented surface points from the fit.
    """

    shape: BrainstemShape
    rotation: np.ndarray
    translation_mm: np.ndarray
    rms_mm: float

    def to_midline(self, world: np.ndarray) -> np.ndarray:
        """World mm to midline-frame mm."""
        return (np.asarray(world, dtype=float) - self.translation_mm) @ self.rotation

    def to_world(self, midline: np.ndarray) -> np.ndarray:
        """Midline-frame mm to world mm."""
        return np.asarray(midline, dtype=float) @ self.rotation.T + self.translation_mm

    @property
    def overrides(self) -> dict[str, float]:
        """The fitted dimensions as ``anatomy.brainstem`` overrides (mm, 3 decimals)."""
        return {name: round(float(getattr(self.shape, name)), 3) for name in FITTED}


def surface_points(mask: np.ndarray, affine: np.ndarray, seed: int = 0) -> np.ndarray:
    """(n, 3) world mm: points of a mask's surface (marching cubes at half level on the
    lightly blurred mask), leaving out where the mask is cut by the volume's edge; at most
    :data:`_MAX_POINTS`, drawn reproducibly."""
    from scipy.ndimage import gaussian_filter
    from skimage.measure import marching_cubes

    where = np.argwhere(mask)
    low = np.maximum(where.min(axis=0) - 2, 0)
    high = np.minimum(where.max(axis=0) + 3, mask.shape)
    crop = mask[low[0]:high[0], low[1]:high[1], low[2]:high[2]].astype(np.float32)
    vertices = marching_cubes(gaussian_filter(crop, 0.7), 0.5)[0] + low
    inside = np.all((vertices > 1.5) & (vertices < np.array(mask.shape) - 2.5), axis=1)
    vertices = vertices[inside]
    if len(vertices) > _MAX_POINTS:
        pick = np.random.default_rng(seed).choice(len(vertices), _MAX_POINTS, replace=False)
        vertices = vertices[np.sort(pick)]
    return vertices @ affine[:3, :3].T + affine[:3, 3]


def _shape(values: np.ndarray) -> BrainstemShape:
    return BrainstemShape(**dict(zip(FITTED, (float(v) for v in values))))


def _approximate_distance(shape: BrainstemShape, m: np.ndarray) -> np.ndarray:
    """First-order signed distance (mm) of midline points from the shape's surface: the
    radial gap to the axial section at the point's level over the gradient's length (the
    section changes with the level)."""
    def gap(z: np.ndarray, xy: np.ndarray) -> np.ndarray:
        zc = np.clip(z, shape.z_bottom_mm, shape.z_top_mm)
        half_width, y_mid, half_depth = shape.section(zc)
        cap = np.maximum(shape.cap_scale(zc), 0.05)
        a, b = cap * half_width, cap * half_depth
        dx, dy = xy[:, 0], xy[:, 1] - y_mid
        r = np.hypot(dx, dy)
        reach = 1.0 / np.sqrt((dx / (a * np.maximum(r, 1e-9))) ** 2
                              + (dy / (b * np.maximum(r, 1e-9))) ** 2)
        return r - reach + np.abs(z - zc)

    # the level and the two levels of the finite difference in one pass
    z = m[:, 2]
    g, up, down = np.split(gap(np.concatenate([z, z + _DZ_MM, z - _DZ_MM]),
                               np.tile(m[:, :2], (3, 1))), 3)
    slope = (up - down) / (2 * _DZ_MM)
    return g / np.sqrt(1.0 + slope * slope)


def _unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return Rotation.from_rotvec(x[:3]).as_matrix(), x[3:6], x[6:]


def _solved(points: np.ndarray, max_nfev: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """The robust least-squares fit to ``points`` (world mm) from the identity rotation:
    rotation, translation (mm), the fitted dimensions (mm) and which of them ended at a
    bound."""
    defaults = np.array([getattr(BrainstemParams, name) for name in FITTED])
    centre = np.median(points, axis=0)

    def residuals(x: np.ndarray) -> np.ndarray:
        rotation, translation, dims = _unpack(x)
        return _approximate_distance(_shape(dims), (points - translation) @ rotation)

    # the level of the midline origin (pons' inferior border) is found by a coarse search,
    # then everything by least squares
    starts = [np.concatenate([np.zeros(3), centre + [0.0, 0.0, dz], defaults])
              for dz in np.arange(-30.0, 30.1, 2.0)]
    x0 = min(starts, key=lambda x: float(np.sum(np.log1p(residuals(x) ** 2))))
    lower = np.concatenate([[-np.pi / 3] * 3, centre - 60.0, defaults * _BOUNDS[0]])
    upper = np.concatenate([[np.pi / 3] * 3, centre + 60.0, defaults * _BOUNDS[1]])
    solution = least_squares(residuals, x0, bounds=(lower, upper), loss="soft_l1",
                             f_scale=1.0, x_scale="jac", max_nfev=max_nfev)
    rotation, translation, dims = _unpack(solution.x)
    at_bound = np.isclose(dims, lower[6:], rtol=1e-3) | np.isclose(dims, upper[6:], rtol=1e-3)
    return rotation, translation, dims, at_bound


def _rms(points: np.ndarray, rotation: np.ndarray, translation: np.ndarray,
         dims: np.ndarray, exact: bool = True) -> float:
    """RMS (mm) of the exact (or first-order) signed distance of ``points`` (world mm) from
    a fit."""
    midline = (points - translation) @ rotation
    shape = _shape(dims)
    distance = (Brainstem(shape, np.zeros(3)).signed_distance(midline) if exact
                else _approximate_distance(shape, midline))
    return float(np.sqrt(np.mean(distance ** 2)))


def _coarse(points: np.ndarray) -> np.ndarray:
    """Every k-th point, some :data:`_COARSE_POINTS` of them."""
    return points[::max(1, len(points) // _COARSE_POINTS)]


def turned_fits(points: np.ndarray) -> dict[str, float]:
    """First-order RMS (mm) of coarse fits to the points turned 180 degrees about each world
    axis (about their median), by the axis' name (:data:`TURNS`): every header's axis signs
    flipped, up to the left-right mirror (which a symmetric brainstem cannot show). Coarse:
    some :data:`_COARSE_POINTS` of the points (:func:`_coarse`), at most
    :data:`_COARSE_NFEV` evaluations; the first-order distance, as fitted."""
    subset = _coarse(points)
    centre = np.median(subset, axis=0)
    rms = {}
    for axis, (flip, _) in TURNS.items():
        turned = (subset - centre) * flip + centre
        rms[axis] = _rms(turned, *_solved(turned, _COARSE_NFEV)[:3], exact=False)
    return rms


def fit_brainstem(points: np.ndarray, source: str) -> BrainstemFit:
    """Fit the parametric brainstem to surface points (world mm; the world axes roughly the
    patient's: RAS within some 30 degrees, as an MRI's are), and check the image's
    orientation: the fit to the points as they are must beat every coarse fit to them
    turned 180 degrees about an axis (:func:`turned_fits`) by
    :data:`ORIENTATION_MARGIN_MM` (first-order RMS over the same coarse points).

    Raises
    ------
    SegmentationError
        One line naming ``source``: the brainstem is clearly not in millimetres, its axes
        look turned (a turned fit within the margin of the fit as it is and within
        :data:`FIT_TOLERANCE_MM`; the likely cause named), a dimension ends at the edge of
        its accepted range, or the RMS exceeds :data:`FIT_TOLERANCE_MM`.
    """
    extent = np.ptp(points, axis=0)
    if len(points) < 50 or extent.max() < 8.0 or extent.max() > 400.0:
        width = f"{extent[0]:.3g} x {extent[1]:.3g} x {extent[2]:.3g} mm"
        raise SegmentationError(f"{source}: the brainstem spans {width}: the units are "
                                "clearly not millimetres (a brainstem is 20-35 mm wide)")
    rotation, translation, dims, at_bound = _solved(points, 400)
    as_is = _rms(_coarse(points), rotation, translation, dims, exact=False)
    turned = turned_fits(points)
    axis = min(turned, key=turned.__getitem__)
    if turned[axis] <= min(as_is + ORIENTATION_MARGIN_MM, FIT_TOLERANCE_MM):
        raise SegmentationError(
            f"{source}: its axes look turned 180 degrees about the {axis} axis: "
            f"{TURNS[axis][1]} (the brainstem fits {turned[axis]:.2f} mm RMS so turned, "
            f"{as_is:.2f} mm as it is)")
    if at_bound.any():
        name = FITTED[int(np.argmax(at_bound))]
        raise SegmentationError(
            f"{source}: the brainstem's {name} fits at the edge of its range "
            f"({dims[int(np.argmax(at_bound))]:.1f} mm): the label is not a brainstem in mm, "
            "or is cut off too much to fit")
    rms = _rms(points, rotation, translation, dims)
    if rms > FIT_TOLERANCE_MM:
        raise SegmentationError(f"{source}: the parametric brainstem fits the segmented one "
                                f"to {rms:.2f} mm RMS, worse than the {FIT_TOLERANCE_MM:g} mm "
                                "accepted")
    return BrainstemFit(_shape(dims), rotation, translation, rms)
