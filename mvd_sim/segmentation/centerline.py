"""Centerlines and radii of tubular structures (nerves, vessels) from their label masks.

1. the mask, without specks, is thinned to a one-voxel skeleton (scikit-image's
   ``skeletonize``, Lee's 3D method);
2. the skeleton is a graph of voxels (26-neighbours, edges weighted by their length in mm;
   pieces a vessel's label cut apart are bridged by their nearest nodes); its main path is the longest shortest path (two Dijkstra sweeps,
   ``scipy.sparse.csgraph``), which prunes the side branches thinning leaves;
3. the path is smoothed by a cubic smoothing spline (``scipy.interpolate.splprep``, residual
   about a third of a voxel a point) and extended along its end tangents to the last voxels
   of the label (thinning stops short of a tube's ends);
4. a first radius along it comes from the label's cross-section: every voxel is given to
   its nearest centerline sample, the voxels of each millimetre of arc make an area, and
   the radius of the disc of that area is taken, median-filtered over a few millimetres;
5. centres and radii are then fitted to the label's own surface section by section, to a
   fraction of a voxel (:mod:`~mvd_sim.segmentation.sections`): where a vessel's label
   cuts into a nerve's, the nerve's fitted tube stays round and overlaps the vessel's.

Everything is in world millimetres (the volume's affine applied).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.interpolate import splev, splprep
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from mvd_sim.core.errors import SegmentationError
from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.sections import refine, surface_of, surface_rms_mm

__all__ = ["Centerline", "centerline_of"]

#: Spacing (mm) of the centerlines written to a scenario.
SPACING_MM = 0.5
_DENSE_MM = 0.1           # samples the voxels are given to
_BIN_MM = 1.0             # arc of one cross-section area
_MEDIAN_MM = 4.0          # window of the radius' median filter
_MIN_VOXELS = 8
_MIN_PIECE = 0.02         # pieces of a label smaller than this share of its largest are specks
_MAX_GAP_MM = 4.0         # pieces of a label farther apart than this are not bridged
_END_TRIM_MM = 1.0        # a spline's end redrawn straight over this arc ...
_END_BASE_MM = 2.0        # ... along the tangent over this much arc before it
_MARCH_SLAB_MM = 1.0      # the ends are marched on through the label's voxels this far ahead
_MARCH_STEPS = 12         # ... for at most this many steps (about 6 mm)
_MARCH_MIN_VOXELS = 4
_OFFSETS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)
                     if (i, j, k) > (0, 0, 0)])


@dataclass(frozen=True)
class Centerline:
    """A structure's centerline (world RAS mm, evenly spaced) and radius at each point,
    with the RMS residual (mm) of the label's surface about the fitted tube
    (:func:`~mvd_sim.segmentation.sections.surface_rms_mm`; None where not measured)."""

    points: np.ndarray
    radii: np.ndarray
    surface_rms_mm: float | None = None

    @property
    def length_mm(self) -> float:
        """Length of the centerline (mm)."""
        return float(curve.arc_length(self.points)[-1])

    def reversed(self) -> Centerline:
        """The same centerline run the other way."""
        return Centerline(self.points[::-1].copy(), self.radii[::-1].copy(),
                          self.surface_rms_mm)


def _kept_components(mask: np.ndarray) -> np.ndarray:
    """The mask without specks: its 26-connected pieces of at least :data:`_MIN_PIECE` of
    the largest's voxels (a vessel lying across a nerve can cut the nerve's label in two;
    both pieces are kept and bridged, :func:`_main_path`)."""
    labelled, count = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    if count <= 1:
        return mask
    sizes = np.bincount(labelled.ravel())
    sizes[0] = 0
    keep = sizes >= max(_MIN_PIECE * sizes.max(), _MIN_VOXELS)
    return keep[labelled]


def _bridged(graph, nodes: np.ndarray, affine: np.ndarray):
    """The skeleton graph with each of its pieces joined to the nearest other piece by one
    edge (the two nearest nodes, at most :data:`_MAX_GAP_MM` apart)."""
    from scipy.sparse.csgraph import connected_components

    count, piece = connected_components(graph, directed=False)
    if count == 1:
        return graph
    world = nodes @ affine[:3, :3].T
    rows, cols, weights = [], [], []
    for k in range(count):
        inside, outside = np.flatnonzero(piece == k), np.flatnonzero(piece != k)
        distance, nearest = cKDTree(world[outside]).query(world[inside])
        j = int(np.argmin(distance))
        if distance[j] <= _MAX_GAP_MM:
            rows.append(inside[j])
            cols.append(outside[nearest[j]])
            weights.append(distance[j])
    bridges = coo_matrix((weights, (rows, cols)), shape=graph.shape).tocsr()
    return graph + bridges


def _main_path(skeleton: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Voxel indices (n, 3) of the longest shortest path through a skeleton."""
    nodes = np.argwhere(skeleton)
    index = -np.ones(skeleton.shape, dtype=np.int64)
    index[tuple(nodes.T)] = np.arange(len(nodes))
    rows, cols, weights = [], [], []
    shape = np.array(skeleton.shape)
    for offset in _OFFSETS:
        other = nodes + offset
        inside = np.all((other >= 0) & (other < shape), axis=1)
        neighbour = np.full(len(nodes), -1)
        neighbour[inside] = index[tuple(other[inside].T)]
        linked = neighbour >= 0
        rows.append(np.flatnonzero(linked))
        cols.append(neighbour[linked])
        weights.append(np.full(int(linked.sum()),
                               np.linalg.norm(affine[:3, :3] @ offset)))
    graph = _bridged(coo_matrix((np.concatenate(weights), (np.concatenate(rows),
                                                           np.concatenate(cols))),
                                shape=(len(nodes), len(nodes))).tocsr(), nodes, affine)
    # the farthest node from any node is one end of the longest path; the farthest from
    # that end, the other
    start = _farthest(graph, 0)[0]
    end, previous = _farthest(graph, start)
    path = [end]
    while previous[path[-1]] >= 0:
        path.append(int(previous[path[-1]]))
    return nodes[path[::-1]]


def _farthest(graph, start: int) -> tuple[int, np.ndarray]:
    """The node farthest (by path length) from ``start``, and the shortest-path tree."""
    distance, previous = dijkstra(graph, directed=False, indices=start,
                                  return_predecessors=True)
    return int(np.argmax(np.where(np.isfinite(distance), distance, -1.0))), previous


def _smoothed(points: np.ndarray, voxel_mm: float) -> np.ndarray:
    """A cubic smoothing spline through a staircase path, resampled every ``_DENSE_MM``."""
    u = curve.arc_length(points)
    if u[-1] < 4 * voxel_mm or len(points) < 5:
        return curve.resample(points, _DENSE_MM) if u[-1] > _DENSE_MM else points
    tck, _ = splprep(points.T, u=u / u[-1], s=len(points) * (0.35 * voxel_mm) ** 2, k=3)
    dense = np.stack(splev(np.linspace(0.0, 1.0, max(int(u[-1] / 0.02), 50)), tck), axis=1)
    return curve.resample(dense, _DENSE_MM)


def _extended(points: np.ndarray, voxels: np.ndarray, radius_mm: float,
              voxel_mm: float) -> np.ndarray:
    """The centerline carried on to the label's ends. Thinning stops short of a tube's ends
    (by up to a few mm where the tube is wide or bent) and frays them, so each end's last
    :data:`_END_TRIM_MM` is dropped and the line marched on through the label: each step
    goes to the centroid of the label's voxels in the next :data:`_MARCH_SLAB_MM` of the
    way ahead (within 1.5 radii of the axis), turning with the tube; where the slab holds
    too few voxels, the line ends at the last voxels' reach plus half a voxel."""
    trim = int(_END_TRIM_MM / _DENSE_MM)
    base = int(_END_BASE_MM / _DENSE_MM)
    width = 1.5 * max(radius_mm, voxel_mm)
    for _ in range(2):
        if len(points) > 2 * (trim + base):
            points = points[:-trim]
        end = points[-1]
        tangent = end - points[-min(len(points), base + 1)]
        tangent /= np.linalg.norm(tangent)
        # only the voxels about this end (nearest to its last stretch or beyond it), never
        # those of another limb of a vessel that loops back near its end
        own = voxels[cKDTree(points).query(voxels)[1] >= len(points) - 1 - base]
        added = []
        for _step in range(_MARCH_STEPS):
            d = own - end
            along = d @ tangent
            lateral = np.linalg.norm(d - along[:, None] * tangent, axis=1)
            ahead = (along > 0) & (along <= _MARCH_SLAB_MM) & (lateral < width)
            if np.count_nonzero(ahead) < _MARCH_MIN_VOXELS:
                break
            centre = own[ahead].mean(axis=0)
            step = centre - end
            if step @ tangent < 0.4 * _MARCH_SLAB_MM:   # the end face's partial slab
                break
            tangent = tangent + step / np.linalg.norm(step)
            tangent /= np.linalg.norm(tangent)
            added.append(centre)
            end = centre
        if added:
            points = np.concatenate([points, curve.resample(np.array([points[-1], *added]),
                                                            _DENSE_MM)[1:]])
        d = own - end
        along = d @ tangent
        lateral = np.linalg.norm(d - along[:, None] * tangent, axis=1)
        beyond = along[(along > 0) & (lateral < 0.5 * max(radius_mm, voxel_mm))]
        reach = float(beyond.max()) + 0.5 * voxel_mm if len(beyond) else 0.0
        if reach > _DENSE_MM:
            steps = np.arange(1, int(reach / _DENSE_MM) + 1) * _DENSE_MM
            points = np.concatenate([points, end + steps[:, None] * tangent])
        points = points[::-1]
    return points


def _radii(points: np.ndarray, voxels: np.ndarray, voxel_volume_mm3: float) -> np.ndarray:
    """Radius (mm) at each centerline point from the label's cross-section areas."""
    s = curve.arc_length(points)
    nearest = cKDTree(points).query(voxels)[1]
    bins = np.minimum((s[nearest] / _BIN_MM).astype(int), max(int(s[-1] / _BIN_MM) - 1, 0))
    n_bins = max(int(s[-1] / _BIN_MM), 1)
    counts = np.bincount(bins, minlength=n_bins)[:n_bins].astype(float)
    width = np.full(n_bins, _BIN_MM)
    width[-1] = s[-1] - _BIN_MM * (n_bins - 1)
    radius = np.sqrt(counts * voxel_volume_mm3 / width / np.pi)
    # the end bins hold a tube's partial ends: leave them out of the median where they can
    inner = radius[1:-1] if n_bins > 4 else radius
    offset = 1 if n_bins > 4 else 0
    centres = (np.arange(len(inner)) + offset + 0.5) * _BIN_MM
    half = 0.5 * _MEDIAN_MM
    smooth = np.array([np.median(inner[np.abs(centres - c) <= half]) for c in centres])
    return np.interp(s, centres, smooth)


def centerline_of(mask: np.ndarray, affine: np.ndarray, what: str,
                  others: np.ndarray | None = None) -> Centerline:
    """The centerline and radii of one tubular label (world RAS mm, every
    :data:`SPACING_MM`), refined to sub-voxel centres and radii on the label's own surface
    (:mod:`~mvd_sim.segmentation.sections`).

    Parameters
    ----------
    mask : (ni, nj, nk) bool
        The structure's voxels.
    affine : (4, 4) float
        Voxel index to world mm.
    what : str
        Names the structure in messages (e.g. ``"label 4 (aica)"``).
    others : (ni, nj, nk) bool, optional
        Voxels of the other structures in the same crop (boundaries shared with them are
        not the label's own surface); default: none.

    Raises
    ------
    SegmentationError
        If the label has too few voxels to follow.
    """
    from skimage.morphology import skeletonize

    mask = _kept_components(mask)
    if int(mask.sum()) < _MIN_VOXELS:
        raise SegmentationError(f"{what}: only {int(mask.sum())} voxels, too few to follow a "
                                "centerline")
    voxel_mm = float(np.cbrt(abs(np.linalg.det(affine[:3, :3]))))
    # thin a cropped copy (skeletonize's work grows with the whole array)
    low = np.argwhere(mask).min(axis=0) - 1
    high = np.argwhere(mask).max(axis=0) + 2
    low = np.maximum(low, 0)
    crop = mask[low[0]:high[0], low[1]:high[1], low[2]:high[2]]
    skeleton = skeletonize(crop)
    if not skeleton.any():
        skeleton = crop
    world = lambda ijk: (ijk + low) @ affine[:3, :3].T + affine[:3, 3]  # noqa: E731
    path = world(_main_path(skeleton, affine).astype(float))
    voxels = world(np.argwhere(crop).astype(float))
    if len(path) < 2:
        raise SegmentationError(f"{what}: its voxels do not make a tube to follow")
    dense = _smoothed(path, voxel_mm)
    radius_guess = float(np.sqrt(len(voxels) * voxel_mm ** 3 / np.pi
                                 / max(curve.arc_length(dense)[-1], voxel_mm)))
    dense = _extended(dense, voxels, radius_guess, voxel_mm)
    points = curve.resample(dense, SPACING_MM) if curve.arc_length(dense)[-1] > \
        2 * SPACING_MM else dense[[0, -1]]
    radii = _radii(dense, voxels, abs(np.linalg.det(affine[:3, :3])))
    at = curve.arc_length(dense)
    surface = surface_of(mask, np.zeros_like(mask) if others is None else others, affine)
    points, radii = refine(points, np.interp(curve.arc_length(points), at, radii), surface)
    return Centerline(points, radii, surface_rms_mm(points, radii, surface))
