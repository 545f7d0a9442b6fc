"""Centerlines and radii of tubular structures (nerves, vessels) from their label masks.

1. the mask, without specks (a thin tube's beads are kept: :func:`_kept_components`), is
   thinned to a one-voxel skeleton (scikit-image's ``skeletonize``, Lee's 3D method; a bead
   thinning removes whole keeps one node);
2. the skeleton is a graph of voxels (26-neighbours, edges weighted by their length in mm;
   pieces a vessel's label cut apart, or a thin tube's beads, are bridged end to end,
   :func:`_bridged`); its main path is the longest shortest path (two Dijkstra sweeps,
   ``scipy.sparse.csgraph``; of pieces left apart, the longest), which prunes the side
   branches thinning leaves;
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
from scipy.sparse.csgraph import connected_components, dijkstra
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
_BEAD_GAP_VOXELS = 4.0    # smaller pieces this near (voxels, centre to centre) are kept
_THIN_VOXELS = 1.5        # ... if the kept voxels about them lie at most this deep (voxels)
_BRIDGE_COS = 0.0         # a bridge leaves a piece's end within 90 degrees of its heading ...
_HEADING_MM = 1.5         # ... taken over this much of the piece
_END_TRIM_MM = 1.0        # a spline's end redrawn straight over this arc ...
_END_BASE_MM = 2.0        # ... along the tangent over this much arc before it
_MARCH_SLAB_MM = 1.0      # the ends are marched on through the label's voxels this far ahead
_MARCH_STEPS = 12         # ... for at most this many steps (about 6 mm)
_MARCH_MIN_VOXELS = 4
_MARCH_FULL = 0.75        # ... a slab with fewer than this share of the slab behind's voxels
#                           and its centroid short of its middle is cut by the end face
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


def _kept_components(mask: np.ndarray, spacing_mm: np.ndarray) -> np.ndarray:
    """The mask without specks: its 26-connected pieces of at least :data:`_MIN_PIECE` of
    the largest's voxels (a vessel lying across a nerve can cut the nerve's label in two;
    both pieces are kept and bridged, :func:`_main_path`), and, where the label is thin,
    the smaller pieces within :data:`_BEAD_GAP_VOXELS` voxels of a kept one, in turn: a
    tube thinner than about two voxels is labelled as a chain of beads where its blurred
    image dips under the threshold, and each bead is the tube (dropped, a contact on it is
    lost and the line cut across the gap they leave). Beside a thicker tube (its kept
    voxels within that reach lie deeper than :data:`_THIN_VOXELS` voxels inside it) a
    small piece is a speck: such a tube's image does not break up.

    ``spacing_mm``: (3,) the voxel's edges (mm)."""
    labelled, count = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    if count <= 1:
        return mask
    sizes = np.bincount(labelled.ravel())
    sizes[0] = 0
    keep = sizes >= max(_MIN_PIECE * sizes.max(), _MIN_VOXELS)
    voxel_mm = float(np.max(spacing_mm))
    reach = _BEAD_GAP_VOXELS * voxel_mm
    pieces = np.arange(count + 1)
    # the depth of the kept voxels about each small piece: how thick the tube is there
    depth = ndimage.distance_transform_edt(keep[labelled], sampling=spacing_mm)
    span = 2 * np.ceil(reach / np.asarray(spacing_mm)).astype(int) + 1
    thin = np.asarray(ndimage.maximum(ndimage.maximum_filter(depth, size=span), labelled,
                                      pieces)) <= _THIN_VOXELS * voxel_mm
    while not keep[1:].all():
        gap = ndimage.distance_transform_edt(~keep[labelled], sampling=spacing_mm)
        near = ~keep & thin & (np.asarray(ndimage.minimum(gap, labelled, pieces)) <= reach)
        near[0] = False
        if not near.any():
            break
        keep |= near
    return keep[labelled]


def _bridged(graph, nodes: np.ndarray, affine: np.ndarray):
    """The skeleton graph with its pieces joined end to end. A link joins two pieces'
    skeleton ends at most :data:`_MAX_GAP_MM` apart and leaves both forward, within 90
    degrees of the way each piece runs out there: a label broken across a tube breaks
    between two ends that face each other, while another limb of a looping vessel passing
    by is no break (a link to it cuts the loop short).

    A tube goes on from an end one way only, so the links are first matched to the ends:
    each end takes at most one (a bead thinned to one node, two: one each way), as many
    ends as can be are joined and, of such sets, the one that turns least (links cost
    their length times :func:`_turning`; a maximum-cardinality matching, networkx's
    ``max_weight_matching``). Where a thin vessel's loop passes its own beads, the nearest
    end beyond a gap can be the other limb's (1.7 mm off, where the tube's next bead lies
    2.6 mm on): linking the nearest ends first took it and left the ends it should have
    joined with none. The matched links are added, then the shortest of the others, each
    only if it joins two pieces not yet joined (a spanning tree of the pieces, so pieces
    any links reach are joined: a bead whose skeleton runs across the tube faces neither
    neighbour, and the gap beside it is passed through its far end)."""
    import networkx

    count, piece = connected_components(graph, directed=False)
    if count == 1:
        return graph
    world = nodes @ affine[:3, :3].T
    degree = graph.getnnz(axis=0) + graph.getnnz(axis=1)
    ends = [_ends(piece == k, degree) for k in range(count)]
    heading = {int(e): _outward(world, piece == k, e) for k in range(count) for e in ends[k]}
    links = []
    for k in range(count):
        for m in range(k + 1, count):
            gaps = np.linalg.norm(world[ends[k]][:, None] - world[ends[m]][None], axis=2)
            for i, j in zip(*np.nonzero(gaps <= _MAX_GAP_MM)):
                a, b = int(ends[k][i]), int(ends[m][j])
                way = (world[b] - world[a]) / max(gaps[i, j], 1e-9)
                if _faces(heading[a], way) and _faces(heading[b], -way):
                    links.append((float(gaps[i, j]), k, m, a, b,
                                  float(gaps[i, j]) * _turning(heading[a], way,
                                                               heading[b], -way)))
    # an end's slots: (node, 0), and (node, 1) for a piece of one node
    slots = networkx.Graph()
    lone = np.bincount(piece, minlength=count) == 1
    for n, (_gap, k, m, a, b, cost) in enumerate(links):
        for u in range(1 + lone[k]):
            for v in range(1 + lone[m]):
                slots.add_edge((a, u), (b, v), link=n, weight=3 * _MAX_GAP_MM - cost)
    matched = sorted({slots.edges[e]["link"]
                      for e in networkx.max_weight_matching(slots, maxcardinality=True)},
                     key=lambda n: links[n][5])
    group = list(range(count))

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    rows, cols, weights = [], [], []
    for distance, k, m, a, b, _cost in [*(links[n] for n in matched), *sorted(links)]:
        if root(k) != root(m):
            group[root(k)] = root(m)
            rows.append(a)
            cols.append(b)
            weights.append(distance)
    bridges = coo_matrix((weights, (rows, cols)), shape=graph.shape).tocsr()
    return graph + bridges


def _turning(heading_a: np.ndarray, way_a: np.ndarray, heading_b: np.ndarray,
             way_b: np.ndarray) -> float:
    """A link's cost per mm of its length: 1 where it leaves both ends straight on, up to 3
    where it leaves both square to their headings (``1 + sum(1 - cos)``; an end without a
    heading, a bead too short to tell, turns nothing)."""
    return 1.0 + sum(1.0 - float(way @ h) for h, way in ((heading_a, way_a), (heading_b, way_b))
                     if h.any())


def _ends(in_piece: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Indices of a skeleton piece's ends (nodes with at most one neighbour); all its nodes
    if it has none (a ring)."""
    ends = np.flatnonzero(in_piece & (degree <= 1))
    return ends if len(ends) else np.flatnonzero(in_piece)


def _outward(world: np.ndarray, in_piece: np.ndarray, end: int) -> np.ndarray:
    """Unit vector along which a skeleton piece runs out at its node ``end`` (from the
    mean of its nodes within :data:`_HEADING_MM` of it); zero for a bead too short to
    tell (fewer than three nodes there), which any link may leave."""
    near = world[in_piece]
    near = near[np.linalg.norm(near - world[end], axis=1) <= _HEADING_MM]
    way = world[end] - near.mean(axis=0)
    if len(near) < 3 or np.linalg.norm(way) < 1e-9:
        return np.zeros(3)
    return way / np.linalg.norm(way)


def _faces(heading: np.ndarray, way: np.ndarray) -> bool:
    """Whether a link leaving an end along unit ``way`` leaves it within 90 degrees of its
    ``heading`` (:func:`_outward`; any way for a zero heading)."""
    return not heading.any() or float(way @ heading) >= _BRIDGE_COS


def _thinned(crop: np.ndarray) -> np.ndarray:
    """The label's skeleton (scikit-image's ``skeletonize``), with a node (the voxel nearest
    its centroid) for each piece thinning removed whole (a bead of a few voxels); the
    whole label where nothing is left."""
    from skimage.morphology import skeletonize

    skeleton = skeletonize(crop)
    if not skeleton.any():
        return crop
    pieces, count = ndimage.label(crop, structure=np.ones((3, 3, 3)))
    thinned = np.asarray(ndimage.maximum(skeleton, pieces, np.arange(1, count + 1)), bool)
    for k in np.flatnonzero(~thinned) + 1:
        voxels = np.argwhere(pieces == k)
        centre = voxels.mean(axis=0)
        skeleton[tuple(voxels[np.argmin(np.sum((voxels - centre) ** 2, axis=1))])] = True
    return skeleton


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
    # that end, the other; of pieces no link joins, the one with the longest path
    piece = connected_components(graph, directed=False)[1]
    ends = [_farthest(graph, _farthest(graph, int(np.argmax(piece == k)))[0])
            for k in np.unique(piece)]
    end, previous, _ = max(ends, key=lambda found: found[2])
    path = [end]
    while previous[path[-1]] >= 0:
        path.append(int(previous[path[-1]]))
    return nodes[path[::-1]]


def _farthest(graph, start: int) -> tuple[int, np.ndarray, float]:
    """The node farthest (by path length) from ``start``, the shortest-path tree and that
    length (mm)."""
    distance, previous = dijkstra(graph, directed=False, indices=start,
                                  return_predecessors=True)
    far = int(np.argmax(np.where(np.isfinite(distance), distance, -1.0)))
    return far, previous, float(distance[far])


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
    too few voxels or is cut by the end face, the line ends at the last voxels' reach plus
    half a voxel. A slab is the end face's when its centroid lies under 0.4 of it, or when
    it holds fewer than :data:`_MARCH_FULL` of the voxels of the slab behind *and* its
    centroid lies short of its middle by more than the standard error of a full slab's
    (``slab / sqrt(12 n)``, its voxels spread evenly along it): a face cutting the slab
    obliquely (a heading tilted toward a flat end's corner) leaves its centroid near 0.4
    and pulls the line toward the face's far corner; a tube thinning toward its end (CN
    VII at the porus) loses voxels along the whole slab and keeps its centroid mid-slab."""
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
            count = np.count_nonzero(ahead)
            if count < _MARCH_MIN_VOXELS:
                break
            centre = own[ahead].mean(axis=0)
            step = centre - end
            behind = np.count_nonzero((along <= 0) & (along > -_MARCH_SLAB_MM)
                                      & (lateral < width))
            short = _MARCH_SLAB_MM * (0.5 - 1.0 / np.sqrt(12 * count))
            if step @ tangent < 0.4 * _MARCH_SLAB_MM or \
                    (count < _MARCH_FULL * behind and step @ tangent < short):
                break   # the end face's partial slab
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
    mask = _kept_components(mask, np.linalg.norm(affine[:3, :3], axis=0))
    if int(mask.sum()) < _MIN_VOXELS:
        raise SegmentationError(f"{what}: only {int(mask.sum())} voxels, too few to follow a "
                                "centerline")
    voxel_mm = float(np.cbrt(abs(np.linalg.det(affine[:3, :3]))))
    # thin a cropped copy (skeletonize's work grows with the whole array)
    low = np.argwhere(mask).min(axis=0) - 1
    high = np.argwhere(mask).max(axis=0) + 2
    low = np.maximum(low, 0)
    crop = mask[low[0]:high[0], low[1]:high[1], low[2]:high[2]]
    skeleton = _thinned(crop)
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
