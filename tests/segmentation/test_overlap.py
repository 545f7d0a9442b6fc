"""Two tubes fitted together where their labels meet (:mod:`mvd_sim.segmentation.overlap`),
on closed forms imaged as the round trip's phantoms (mask sampled at voxel centres, blurred
by 0.6 voxel, noised by 0.08, thresholded at half; the later label wins the voxels both
hold)."""

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import Centerline, centerline_of
from mvd_sim.segmentation.overlap import _sites, refined
from mvd_sim.segmentation.volume import LabelVolume

AXIS = np.array([1.0, 0.4, 0.25]) / np.linalg.norm([1.0, 0.4, 0.25])   # oblique to the grid
ACROSS = np.cross(AXIS, [0.0, 0.0, 1.0]) / np.linalg.norm(np.cross(AXIS, [0.0, 0.0, 1.0]))
NORMAL = np.cross(AXIS, ACROSS)


def imaged(voxel_mm, seed, tubes, layered=False):
    """A label volume of straight tubes ``(centre, axis, radius, half_length)`` labelled
    1, 2, ... in turn (a later one wins), imaged as the phantoms; ``layered``: each tube in
    a layer of its own, keeping every voxel it holds (a Slicer segmentation's layers)."""
    n = int(24.0 / voxel_mm)
    points = np.indices((n, n, n)).reshape(3, -1).T * voxel_mm
    layers = [np.zeros(n ** 3, dtype=np.uint8) for _ in (tubes if layered else tubes[:1])]
    rng = np.random.default_rng(seed)
    for label, (centre, axis, radius, half) in enumerate(tubes, start=1):
        d = points - centre
        along = d @ axis
        rho = np.linalg.norm(d - along[:, None] * axis, axis=1)
        mask = ((rho < radius) & (np.abs(along) < half)).reshape(n, n, n)
        soft = gaussian_filter(mask.astype(np.float32), 0.6)
        soft += rng.normal(0.0, 0.08, soft.shape).astype(np.float32)
        layers[label - 1 if layered else 0][(soft > 0.5).ravel()] = label
    layers = [layer.reshape(n, n, n) for layer in layers]
    return LabelVolume(layers[0], np.diag([voxel_mm] * 3 + [1.0]), "test", tuple(layers[1:]))


def gap(a, b):
    """Least distance (mm) between two fitted tubes' surfaces (negative: overlap)."""
    da, db = curve.resample(a.points, 0.02), curve.resample(b.points, 0.02)
    ra = np.interp(curve.arc_length(da), curve.arc_length(a.points), a.radii)
    rb = np.interp(curve.arc_length(db), curve.arc_length(b.points), b.radii)
    distance, nearest = cKDTree(db).query(da)
    return float(np.min(distance - ra - rb[nearest]))


def fitted(volume):
    lines = {k: centerline_of(*volume.cropped(k), f"label {k}", volume.others(k))
             for k in (1, 2)}
    return lines, refined(lines, {1: 1, 2: 2}, volume, [(1, 2)])


def test_an_indentation_at_0_6_mm_reads_nearer_its_depth():
    """A 1.105 mm nerve with a 0.725 mm vessel 0.30 mm into it (crossing at 90 and 50
    degrees, the grid shifted and noised three ways): fitted together, the depth's largest
    error falls (section fits: 0.09 mm shallow) and stays within 0.075 mm."""
    before, after = [], []
    for angle in (90.0, 50.0):
        vessel_axis = np.sin(np.radians(angle)) * NORMAL + np.cos(np.radians(angle)) * AXIS
        for seed in range(3):
            centre = 12.0 + np.random.default_rng(100 + seed).uniform(0.0, 0.6, 3)
            volume = imaged(0.6, seed, [(centre, AXIS, 1.105, 9.0),
                                        (centre + (1.105 + 0.725 - 0.30) * ACROSS,
                                         vessel_axis, 0.725, 7.0)])
            lines, out = fitted(volume)
            before.append(-gap(lines[1], lines[2]) - 0.30)
            after.append(-gap(out[1], out[2]) - 0.30)
    assert np.max(np.abs(after)) < 0.075
    assert np.max(np.abs(after)) < np.max(np.abs(before))


def test_an_indentation_in_two_layers_reads_as_in_one():
    """The same nerve and vessel (0.30 mm in, 0.4 mm voxels: 2-5 lens voxels, three grids)
    with the nerve in a layer of its own holding the lens too
    (:mod:`mvd_sim.segmentation.segments`): the voxels both hold are the winner's, so the
    depth reads as from one layer (within 0.01 mm; 0.003 at most; kept for both tubes,
    the loser's too, it read up to 0.021 mm off) and within 0.075 mm of the truth."""
    for seed in range(3):
        centre = 12.0 + np.random.default_rng(100 + seed).uniform(0.0, 0.6, 3)
        tubes = [(centre, AXIS, 1.105, 9.0),
                 (centre + (1.105 + 0.725 - 0.30) * ACROSS, NORMAL, 0.725, 7.0)]
        one, two = (imaged(0.4, seed, tubes, layered) for layered in (False, True))
        assert np.count_nonzero((two.labels == 1) & (two.extra_layers[0] == 2)) > 0
        depth = [-gap(*fitted(volume)[1].values()) for volume in (one, two)]
        assert abs(depth[1] - depth[0]) < 0.01 and abs(depth[1] - 0.30) < 0.075, depth


VOXEL = 0.5   # the grid step (mm) the sites are told for


def line(start, direction, length, radius):
    points = start + np.linspace(0.0, length, int(length / 0.5) + 1)[:, None] * direction
    return Centerline(points, np.full(len(points), radius))


def test_sites_are_contacts_clear_of_ends_and_junctions():
    """A site is a closest approach within NEAR_MM whose moved stretch lies on both tubes;
    none where one tube ends in the other (a branch leaving its parent, a confluence) or
    where the contact lies at a tube's end (a root's start on the brainstem), but one
    where a vessel lies deeper into a nerve than its own radius, unless the vessel is
    under two voxels across (a thread: its axis inside the nerve is left alone)."""
    nerve = line(np.zeros(3), np.array([1.0, 0.0, 0.0]), 20.0, 1.1)
    crossing = line(np.array([10.0, 1.1 + 0.7 - 0.3, -8.0]), np.array([0.0, 0.0, 1.0]),
                    16.0, 0.7)
    assert [round(s) for s in _sites(nerve, crossing, VOXEL)[0]] == [10, 8]
    far = line(np.array([10.0, 1.1 + 0.7 + 1.5, -8.0]), np.array([0.0, 0.0, 1.0]), 16.0,
               0.7)
    assert _sites(nerve, far, VOXEL) == []
    at_end = line(np.array([0.5, 1.1 + 0.7 - 0.3, -8.0]), np.array([0.0, 0.0, 1.0]), 16.0,
                  0.7)
    assert _sites(nerve, at_end, VOXEL) == []
    # a branch leaving the nerve's side square to it (its start on the nerve's axis)
    branch = line(np.array([10.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 12.0, 0.7)
    assert _sites(nerve, branch, VOXEL) == []
    assert _sites(branch, nerve, VOXEL) == []
    # a branch whose start lies in the nerve and which runs inside it for 4 mm before
    # leaving (its closest approach beyond the moved stretch's reach of its end)
    bent = curve.resample(np.array([[6.0, 0.6, 0.0], [10.0, 0.0, 0.0], [10.0, -8.0, 6.0]]),
                          0.5)
    inside = Centerline(bent, np.full(len(bent), 0.7))
    assert _sites(nerve, inside, VOXEL) == []
    assert _sites(inside, nerve, VOXEL) == []
    # a vessel 0.8 mm into the nerve, its axis inside it: an indentation, not a junction
    deep = line(np.array([10.0, 1.1 + 0.7 - 0.8, -8.0]), np.array([0.0, 0.0, 1.0]), 16.0,
                0.7)
    assert [round(s) for s in _sites(nerve, deep, VOXEL)[0]] == [10, 8]
    # the same vessel imaged at 0.75 mm voxels is a thread: left alone where its axis lies
    # in the nerve, fitted where it lies no deeper than its radius
    assert _sites(nerve, deep, 0.75) == []
    assert _sites(deep, nerve, 0.75) == []
    assert [round(s) for s in _sites(nerve, crossing, 0.75)[0]] == [10, 8]
