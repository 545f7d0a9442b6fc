"""A root's start fitted to its label's voxels (:mod:`mvd_sim.segmentation.root_start`), on
closed forms imaged as the round trip's phantoms (each label's mask blurred by 0.6 voxel,
noised by 0.08, thresholded at half; the later label wins the voxels both hold)."""

import numpy as np
from scipy.ndimage import gaussian_filter

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import Centerline, centerline_of
from mvd_sim.segmentation.phantom import tube_inside
from mvd_sim.segmentation.root_start import START_MM, fitted_start
from mvd_sim.segmentation.volume import LabelVolume

from segmentation.test_centerline import ACROSS, HEADING, PLANE_NORMAL, root_axis
from segmentation.test_overlap import gap

NERVE_MM, VESSEL_MM, DEPTH_MM, AT_MM = 1.105, 0.725, 0.30, 0.55


def pressed_root(voxel_mm, seed, turn_deg, approach_deg, crossing_deg):
    """A label volume: a plane (1, the brainstem), a root of radius 1.105 mm lying on it and
    turning ``turn_deg`` off it over its first 3 mm (2, flat start), and a 0.725 mm vessel
    (3) 0.30 mm into the root 0.55 mm from its start, coming from ``approach_deg`` off the
    plane's normal toward the side and crossing the root at ``crossing_deg``; and the
    root's true axis (world mm)."""
    n = int(16.0 / voxel_mm)
    points = np.indices((n, n, n)).reshape(3, -1).T * voxel_mm
    start = np.array([8.0, 8.0, 7.0]) - 3.5 * HEADING + seed * np.array([0.13, 0.27, 0.41])
    axis = root_axis(start, NERVE_MM, turn_deg, length_mm=10.0)
    k = int(AT_MM / 0.01)
    tangent = (axis[k + 1] - axis[k - 1]) / np.linalg.norm(axis[k + 1] - axis[k - 1])
    a = np.radians(approach_deg)
    toward = np.cos(a) * PLANE_NORMAL + np.sin(a) * ACROSS
    toward -= (toward @ tangent) * tangent
    toward /= np.linalg.norm(toward)
    c = np.radians(crossing_deg)
    along = np.cos(c) * tangent + np.sin(c) * np.cross(toward, tangent)
    vessel = axis[k] + (NERVE_MM + VESSEL_MM - DEPTH_MM) * toward \
        + np.linspace(-4.0, 4.0, 81)[:, None] * along
    masks = ((1, (points - start) @ PLANE_NORMAL < 0.0),
             (2, tube_inside(points, axis, np.full(len(axis), NERVE_MM))),
             (3, tube_inside(points, vessel, np.full(len(vessel), VESSEL_MM))))
    rng = np.random.default_rng(seed)
    labels = np.zeros(n ** 3, dtype=np.uint8)
    for label, mask in masks:
        soft = gaussian_filter(mask.reshape(n, n, n).astype(np.float32), 0.6)
        soft += rng.normal(0.0, 0.08, soft.shape).astype(np.float32)
        labels[(soft > 0.5).ravel()] = label
    return LabelVolume(labels.reshape(n, n, n), np.diag([voxel_mm] * 3 + [1.0]), "test"), axis


def test_an_indentation_of_a_turning_roots_start_reads_nearer_its_depth():
    """The root turning 30 degrees off the plane, the vessel coming from 30 or 60 degrees
    off the plane's normal and crossing at 90 or 50 degrees, three seeds, 0.6 mm voxels:
    the sections' line there is the ends' march, which reads the 0.30 mm indentation
    0.18 mm shallow on average (0.33 at most; under the 0.24 mm threshold, 0.4 voxel, in
    11 of 12); with the start fitted to the voxels where the vessel's label reaches into
    the root's tube (9 of the 12 here) 0.14 shallow (0.25 at most; 9 of 12). The scatter
    stays (standard deviation 0.10 and 0.09 mm): at 0.6 mm the lens holds a voxel centre
    a slab or none."""
    before, after = [], []
    for approach in (30.0, 60.0):
        for crossing in (90.0, 50.0):
            for seed in range(3):
                volume, _ = pressed_root(0.6, seed, 30.0, approach, crossing)
                root, vessel = (centerline_of(*volume.cropped(k), f"label {k}",
                                              volume.others(k)) for k in (2, 3))
                before.append(-gap(root, vessel))
                after.append(-gap(fitted_start(root, volume, 2, 1), vessel))
    before, after = np.array(before) - DEPTH_MM, np.array(after) - DEPTH_MM
    assert np.mean(after) > np.mean(before) + 0.03
    assert np.max(np.abs(after)) < 0.27
    assert np.count_nonzero(after < 0.24 - DEPTH_MM) < np.count_nonzero(
        before < 0.24 - DEPTH_MM)


def test_only_a_roots_brainstem_end_is_fitted():
    """The fit moves the line's first START_MM at the end lying on the brainstem's label
    (either way the line runs) and nothing beyond it; a line shorter than three times
    that, with no end on the brainstem, whose start no other label reaches into, or only
    a thread's (a label named in ``threads``), is left as it is."""
    volume, axis = pressed_root(0.6, 0, 0.0, 60.0, 50.0)
    root = centerline_of(*volume.cropped(2), "root", volume.others(2))
    for line in (root, root.reversed()):
        moved = fitted_start(line, volume, 2, 1)
        shift = np.linalg.norm(moved.points - line.points, axis=1)
        s = curve.arc_length(line.points)
        start_first = np.linalg.norm(line.points[0] - axis[0]) < \
            np.linalg.norm(line.points[-1] - axis[0])
        from_start = s if start_first else s[-1] - s
        assert shift.max() > 0.01
        assert np.all(shift[from_start >= START_MM] == 0.0)
    short = Centerline(root.points[:10], root.radii[:10])
    assert fitted_start(short, volume, 2, 1) is short
    assert fitted_start(root, volume, 2, 7) is root   # no such label: no brainstem end
    assert fitted_start(root, volume, 2, 1, threads=[3]) is root   # pressed by a thread
    assert fitted_start(root, volume, 2, 1, threads=[4]) is not root
    unpressed = volume.labels.copy()
    unpressed[unpressed == 3] = 0   # the vessel taken away
    alone = LabelVolume(unpressed, volume.affine, "test")
    assert fitted_start(root, alone, 2, 1) is root
