"""An imported lesion's ellipsoid (a mass, an aneurysm's dome, an AVM's nidus) from its label.

The contact engine and the mechanics see a lesion as a solid ellipsoid
(:class:`~mvd_sim.anatomy.context.Ellipsoid`), so a segmented lesion is fitted with one:

1. a first guess from the second moments of the label's voxel centres: for a solid
   ellipsoid of semi-axes ``a_i`` the covariance's eigenvalues are ``a_i^2 / 5`` and its
   eigenvectors the axes;
2. the label's own surface (:func:`~mvd_sim.segmentation.sections.surface_of`: marching
   cubes at the mask's half level, vertices halfway between inside and outside voxel
   centres, leaving out boundaries shared with another label and the volume's edge, where
   the volume kept only one of two overlapping structures), fitted by least squares on the
   exact geometric distance (:func:`mvd_sim.core.geometry.ellipsoid.signed_distance`;
   scipy's ``least_squares``, over the centre, a rotation vector and the log semi-axes),
   then refitted once without the vertices farther than 3 scaled MADs off the first fit.

So a lesion whose cap is hidden by a vessel or a nerve (a dome on its parent artery, a
nidus pressing a root) is fitted to what shows of it. On voxelised oblique ellipsoids at
0.5 mm (``tests/segmentation/test_lesion_fit.py``) centre and semi-axes come back within a
tenth of a voxel.

Limits: a lesion is taken as an ellipsoid; a lobulated tumour is fitted by the ellipsoid
nearest its surface (:attr:`LesionFit.rms_mm` says how near).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation

from mvd_sim.core.constants import MAX_MASS_SEMI_AXIS_MM
from mvd_sim.core.errors import SegmentationError
from mvd_sim.core.geometry.ellipsoid import signed_distance
from mvd_sim.segmentation.sections import surface_of

__all__ = ["LesionFit", "moments_ellipsoid", "fit_ellipsoid", "fit_lesion", "MIN_VOXELS",
           "MIN_SURFACE_POINTS", "MIN_SEMI_AXIS_MM"]

#: Fewest voxels a lesion's label must have to be fitted.
MIN_VOXELS = 20
#: Fewest own surface vertices (not shared with another label) a fit needs.
MIN_SURFACE_POINTS = 40
#: Semi-axes a scenario accepts: over this (mm) and at most
#: :data:`~mvd_sim.core.constants.MAX_MASS_SEMI_AXIS_MM`.
MIN_SEMI_AXIS_MM = 0.5
_OUTLIER_MADS = 3.0


@dataclass(frozen=True, eq=False)
class LesionFit:
    """A fitted ellipsoid (world mm, or the frame the points were given in).

    Attributes
    ----------
    centre_mm : (3,) float
    axes : (3, 3) float
        Rows: the semi-axes' unit directions, a rotation; longest semi-axis first.
    semi_axes_mm : (3,) float
        Descending.
    rms_mm : float
        RMS geometric distance of the surface points kept from the fitted ellipsoid.
    points : int
        Surface points the fit kept.
    """

    centre_mm: np.ndarray
    axes: np.ndarray
    semi_axes_mm: np.ndarray
    rms_mm: float
    points: int

    def moved(self, rotation: np.ndarray, translation_mm: np.ndarray) -> LesionFit:
        """The same ellipsoid in a frame where ``x_new = (x - translation_mm) @ rotation``
        (e.g. :meth:`~mvd_sim.segmentation.fit.BrainstemFit.to_midline`)."""
        centre = (self.centre_mm - translation_mm) @ rotation
        return LesionFit(centre, self.axes @ rotation, self.semi_axes_mm, self.rms_mm,
                         self.points)


def _ordered(centre: np.ndarray, axes: np.ndarray, semi: np.ndarray, rms: float,
             points: int) -> LesionFit:
    """Semi-axes descending, the axes' rows with them, kept a right-handed rotation."""
    order = np.argsort(-semi)
    axes = axes[order]
    if np.linalg.det(axes) < 0:
        axes[2] = -axes[2]
    return LesionFit(np.asarray(centre, dtype=float), axes, semi[order], float(rms), points)


def moments_ellipsoid(points: np.ndarray) -> LesionFit:
    """The solid ellipsoid with the second moments of ``points`` (n, 3), the voxel centres of
    a mask (mm): centre their mean, axes the covariance's eigenvectors, semi-axes
    ``sqrt(5 * eigenvalue)``. ``rms_mm`` is nan (not a surface fit)."""
    centre = points.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(np.cov(points.T))
    return _ordered(centre, vectors.T.copy(), np.sqrt(5.0 * np.maximum(eigenvalues, 0.0)),
                    float("nan"), len(points))


def _residuals(params: np.ndarray, points: np.ndarray) -> np.ndarray:
    axes = Rotation.from_rotvec(params[3:6]).as_matrix().T   # rows: the axes
    return signed_distance((points - params[:3]) @ axes.T, np.exp(params[6:]))


def _solve(points: np.ndarray, guess: LesionFit) -> tuple[np.ndarray, bool]:
    start = np.concatenate([guess.centre_mm, Rotation.from_matrix(guess.axes.T).as_rotvec(),
                            np.log(np.maximum(guess.semi_axes_mm, 0.1))])
    solved = least_squares(_residuals, start, args=(points,), method="lm", xtol=1e-10,
                           ftol=1e-10)
    return solved.x, solved.status > 0


def fit_ellipsoid(surface: np.ndarray, guess: LesionFit) -> tuple[LesionFit, bool]:
    """Least-squares ellipsoid through surface points (n, 3), mm, from ``guess``: the
    geometric distances' sum of squares, then again without the points farther than 3 scaled
    MADs off the first fit. Returns the fit and whether the solver converged."""
    params, converged = _solve(surface, guess)
    residuals = np.abs(_residuals(params, surface))
    mad = 1.4826 * float(np.median(residuals))
    kept = surface[residuals <= max(_OUTLIER_MADS * mad, 1e-9)]
    if len(kept) >= MIN_SURFACE_POINTS and len(kept) < len(surface):
        first = _ordered(params[:3], Rotation.from_rotvec(params[3:6]).as_matrix().T,
                         np.exp(params[6:]), np.nan, len(surface))
        params, converged = _solve(kept, first)
    else:
        kept = surface
    rms = float(np.sqrt(np.mean(_residuals(params, kept) ** 2)))
    return _ordered(params[:3], Rotation.from_rotvec(params[3:6]).as_matrix().T,
                    np.exp(params[6:]), rms, len(kept)), converged


def fit_lesion(mask: np.ndarray, others: np.ndarray, affine: np.ndarray, what: str
               ) -> LesionFit:
    """A lesion label's ellipsoid in world mm (steps 1-2 of the module docstring).

    Parameters
    ----------
    mask : (ni, nj, nk) bool
        The label, cropped with a margin of a few voxels.
    others : (ni, nj, nk) bool
        Every other structure's voxels in the same crop.
    affine : (4, 4) float
        Crop index to world mm.
    what : str
        The label, for messages (``"<file>: label 6 (tumour)"``).

    Raises
    ------
    SegmentationError
        One line naming ``what``: too few voxels or surface left to fit, a fit that did not
        converge, or semi-axes a scenario does not accept.
    """
    voxels = np.argwhere(mask)
    if len(voxels) < MIN_VOXELS:
        raise SegmentationError(f"{what}: {len(voxels)} voxels; a lesion needs at least "
                                f"{MIN_VOXELS} to fit its ellipsoid")
    guess = moments_ellipsoid(voxels @ affine[:3, :3].T + affine[:3, 3])
    surface = surface_of(mask, others, affine)
    if len(surface) < MIN_SURFACE_POINTS:
        raise SegmentationError(f"{what}: only {len(surface)} points of its surface are its "
                                f"own (not shared with another label); at least "
                                f"{MIN_SURFACE_POINTS} are needed to fit its ellipsoid")
    fit, converged = fit_ellipsoid(surface, guess)
    if not converged or not np.isfinite(fit.semi_axes_mm).all():
        raise SegmentationError(f"{what}: the ellipsoid fit did not converge")
    if fit.semi_axes_mm.min() <= MIN_SEMI_AXIS_MM or \
            fit.semi_axes_mm.max() > MAX_MASS_SEMI_AXIS_MM:
        axes = " x ".join(f"{a:.2f}" for a in fit.semi_axes_mm)
        raise SegmentationError(f"{what}: its fitted semi-axes ({axes} mm) are outside the "
                                f"{MIN_SEMI_AXIS_MM:g}-{MAX_MASS_SEMI_AXIS_MM:g} mm a lesion "
                                "may have")
    return fit
