"""A nerve's root start, where no section fits, fitted to the label's voxels.

The sections (:mod:`~mvd_sim.segmentation.sections`) fit no circle within a radius of a
tube's end (the end cap's vertices would enter the slab), so a root's first millimetre or
so is the ends' march (:func:`~mvd_sim.segmentation.centerline._extended`) moved with the
first fitted section. At 0.6 mm voxels that line runs 0.3-0.6 mm aside of the root's axis
at its start, converging on it over some 2 mm: the march steps to the centroids of the
blurred flat end's slabs, and a vessel pressing the root there wins the voxels they
share, which takes them from the nerve's side facing it. A vessel's indentation of the
root's first millimetre is then read shallow by the error of that line.

Where another tube's label reaches into the root's tube in its first :data:`PRESSED_MM`
(a vessel pressing the root's start), the line's first :data:`START_MM` is moved square
to itself by an offset falling linearly from ``a`` at the start to nothing at
:data:`START_MM` (``a``: 2 unknowns), fitted
to the label's voxels by the soft model of :mod:`~mvd_sim.segmentation.overlap` (a voxel
centre at area distance ``d`` from the wall is inside with probability
``Phi(-d / sigma)``, ``sigma`` half a voxel), the radii kept (the sections' beyond). The
brainstem's voxels count as outside the root (a root lies on the brainstem, not in it: the
import lifts any tube off it), so the root's face on the brainstem is seen, which its
sections leave out as a shared boundary; any other label's voxels (a vessel pressing the
root) are left out: what lies under them is not seen. Voxels nearest the line's end sample
(on or beyond the cap) are left out too.

Only there: fitted at every root's start, the round trip's RExP errors grew by up to 0.17
voxel at 0.4 mm (the start moved aside where no vessel pulls the line off), and a root
whose start moved read a false 0.51 mm deviation at a contact on its AS (README,
*Indentations near the widened threshold*).

Everything is in world millimetres.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from scipy.optimize import least_squares
from scipy.special import ndtr

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import Centerline
from mvd_sim.segmentation.overlap import SOFTNESS_VOXELS, LocalTube, voxels_about
from mvd_sim.segmentation.volume import LabelVolume

__all__ = ["START_MM", "PRESSED_MM", "fitted_start"]

#: Arc (mm) of a root's start moved by the fit: the stretch whose line is the march's.
START_MM = 2.5
_MARGIN_VOXELS = 2.0    # voxels up to this far outside the wall are fitted
_MIN_VOXELS = 12        # fewest of the root's own voxels the start is fitted with
#: Arc (mm) of a root's start in which another tube's label must reach into the root's
#: tube (within its radius and :data:`_REACH_VOXELS`) for the start to be fitted.
PRESSED_MM = 1.5
_REACH_VOXELS = 0.25


def _pressed(local: LocalTube, others: np.ndarray, voxel_mm: float) -> bool:
    """Whether any of ``others`` (world mm: voxels of a label other than the root's and
    the brainstem's) lies within :data:`PRESSED_MM` of the start, inside the tube's radius
    plus :data:`_REACH_VOXELS` of a voxel (the label's step): a vessel pressing the
    root's start, which wins the voxels they share."""
    if len(others) == 0:
        return False
    local.attach(others)
    return bool(np.any((local.near_s <= PRESSED_MM) & ~local.capped
                       & (local.rho2(others) < (local.r + _REACH_VOXELS * voxel_mm) ** 2)))


def _start_end(line: Centerline, volume: LabelVolume, brainstem: int) -> Centerline | None:
    """The line run from its brainstem end (the end with more brainstem voxels within a
    radius and two voxels of it), or None where neither end has any."""
    reach_mm = float(line.radii.max()) + 2 * float(volume.spacing_mm.max())
    counts = []
    for end in (line.points[0], line.points[-1]):
        labels, voxels = voxels_about(volume, end, reach_mm)
        close = np.linalg.norm(voxels - end, axis=1) <= reach_mm
        counts.append(int(np.count_nonzero(np.any(labels == brainstem, axis=0) & close)))
    if max(counts) == 0:
        return None
    return line if counts[0] >= counts[1] else line.reversed()


def fitted_start(line: Centerline, volume: LabelVolume, key: int, brainstem: int,
                 threads: Collection[int] = ()) -> Centerline:
    """A root's centerline (world mm) with its first :data:`START_MM` at its brainstem end
    fitted to the label's voxels (see the module); as it was where the line is shorter
    than three times that, no end lies on the brainstem's label, too few voxels are left
    or the fit fails.

    Parameters
    ----------
    line : Centerline
        The root's section fit (:func:`~mvd_sim.segmentation.centerline.centerline_of`).
    volume : LabelVolume
    key, brainstem : int
        The root's and the brainstem's label numbers in ``volume``.
    threads : collection of int
        Label numbers of tubes under two voxels across
        (:func:`~mvd_sim.segmentation.overlap.is_thread`): their voxels are
        left out of the fit as any other label's, but a thread reaching into the root's
        start does not call for the fit (its beads reach into the root's tube wherever it
        runs beside it: ``vein_rexp_mild_right``'s vein at 0.6 mm moved its RExP 0.94 ->
        1.03 voxel).
    """
    if line.length_mm < 3 * START_MM:
        return line
    run = _start_end(line, volume, brainstem)
    if run is None:
        return line
    voxel_mm = float(volume.spacing_mm.max())
    local = LocalTube(run, 0.0)
    middle = run.points[np.searchsorted(curve.arc_length(run.points), 0.5 * START_MM)]
    labels, voxels = voxels_about(volume, middle, START_MM + float(run.radii.max())
                                  + (_MARGIN_VOXELS + 1.0) * voxel_mm)
    inside = np.any(labels == key, axis=0)
    unseen = np.any((labels != 0) & (labels != key) & (labels != brainstem), axis=0)
    pressing = unseen & ~np.any(np.isin(labels, list(threads)), axis=0)
    if len(voxels) == 0 or not _pressed(local, voxels[pressing & ~inside], voxel_mm):
        return line
    inside, voxels = inside[inside | ~unseen], voxels[inside | ~unseen]
    local.attach(voxels)
    near = ((local.near_s <= START_MM) & ~local.capped
            & (local.rho2(voxels) < (local.r + _MARGIN_VOXELS * voxel_mm) ** 2))
    inside, voxels = inside[near], voxels[near]
    if np.count_nonzero(inside) < _MIN_VOXELS:
        return line
    local.attach(voxels)
    weight = 1.0 - local.near_s / START_MM
    sigma = SOFTNESS_VOXELS * voxel_mm

    def residuals(x: np.ndarray) -> np.ndarray:
        shift = weight[:, None] * (x @ local.frame)
        return inside - ndtr(-local.distance(voxels - shift, np.zeros(2), 0.0) / sigma)

    fit = least_squares(residuals, np.zeros(2), bounds=(-2 * voxel_mm, 2 * voxel_mm),
                        x_scale=0.1 * voxel_mm)
    if not fit.success:
        return line
    s = curve.arc_length(run.points)
    moved = run.points + np.clip(1.0 - s / START_MM, 0.0, 1.0)[:, None] \
        * (fit.x @ local.frame)
    out = Centerline(moved, run.radii, run.surface_rms_mm)
    return out if run is line else out.reversed()
