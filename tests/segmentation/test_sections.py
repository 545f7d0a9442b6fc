"""Sub-voxel centres and radii of tubes from their labels (0.5 mm voxels): an isolated tube,
and a nerve a vessel's label cuts into (the overlap must come back as overlap)."""

import numpy as np
import pytest

from mvd_sim.segmentation.centerline import centerline_of
from mvd_sim.segmentation.volume import LabelVolume

VOXEL_MM = 0.5
AXIS = np.array([1.0, 0.4, 0.25]) / np.linalg.norm([1.0, 0.4, 0.25])   # oblique to the grid
CENTRE = np.array([15.0, 15.0, 15.0])


def grid(n: int = 60) -> np.ndarray:
    return np.indices((n, n, n)).reshape(3, -1).T * VOXEL_MM


def distance_to_line(points, origin, axis):
    d = points - origin
    return np.linalg.norm(d - (d @ axis)[:, None] * axis, axis=1), d @ axis


def middle(line):
    k = len(line.radii)
    return slice(k // 4, 3 * k // 4)


@pytest.mark.parametrize("radius", [0.5, 0.7, 1.2])
def test_an_oblique_tube_comes_back_within_a_tenth_of_a_voxel(radius):
    n = 60
    rho, along = distance_to_line(grid(n), CENTRE, AXIS)
    mask = ((rho < radius) & (np.abs(along) < 10.0)).reshape(n, n, n)
    line = centerline_of(mask, np.diag([VOXEL_MM] * 3 + [1.0]), "tube")
    part = middle(line)
    assert np.median(line.radii[part]) == pytest.approx(radius, abs=0.05)
    off, _ = distance_to_line(line.points[part], CENTRE, AXIS)
    assert np.max(off) < 0.05


def test_a_vessel_cutting_into_a_nerve_leaves_the_nerve_round():
    """The vessel's label wins where the two overlap (as a segmentation keeps one label a
    voxel): the nerve's fitted tube must still overlap the vessel's by the true depth."""
    n = 60
    points = grid(n)
    r_nerve, r_vessel, depth = 1.0, 0.8, 0.4
    rho_n, along_n = distance_to_line(points, CENTRE, AXIS)
    across = np.cross(AXIS, [0.0, 0.0, 1.0])
    across /= np.linalg.norm(across)
    vessel_axis = np.cross(AXIS, across)          # square to the nerve
    vessel_centre = CENTRE + (r_nerve + r_vessel - depth) * across
    rho_v, along_v = distance_to_line(points, vessel_centre, vessel_axis)
    labels = np.zeros(len(points), dtype=np.uint8)
    labels[(rho_n < r_nerve) & (np.abs(along_n) < 10.0)] = 1
    labels[(rho_v < r_vessel) & (np.abs(along_v) < 6.0)] = 2
    volume = LabelVolume(labels.reshape(n, n, n), np.diag([VOXEL_MM] * 3 + [1.0]), "test")
    nerve = centerline_of(*volume.cropped(1), "nerve", volume.others(1))
    vessel = centerline_of(*volume.cropped(2), "vessel", volume.others(2))
    # under the vessel: the nerve point nearest the vessel's axis
    off_v, _ = distance_to_line(nerve.points, vessel_centre, vessel_axis)
    k = int(np.argmin(off_v))
    assert nerve.radii[k] == pytest.approx(r_nerve, abs=0.06)
    off_n, _ = distance_to_line(nerve.points[k:k + 1], CENTRE, AXIS)
    assert off_n[0] < 0.06
    j = int(np.argmin(np.linalg.norm(vessel.points - nerve.points[k], axis=1)))
    overlap = nerve.radii[k] + vessel.radii[j] - np.linalg.norm(
        np.cross(vessel.points[j] - nerve.points[k], AXIS))
    assert overlap == pytest.approx(depth, abs=0.1)


@pytest.mark.parametrize("voxel_mm", [0.4, 0.5, 0.6])
@pytest.mark.parametrize("radius", [0.7, 1.1])
def test_a_tube_imaged_as_the_phantoms_comes_back_thinner_by_less_than_the_closed_form(
        voxel_mm, radius):
    """A tube's mask sampled at voxel centres, blurred (sigma 0.6 voxel), noised (0.08) and
    thresholded at half as :func:`~mvd_sim.segmentation.phantom.label_phantom` does comes
    back within 0.05 mm of its radius, well short of the shrinking of a continuous disc
    blurred and thresholded at half (``sqrt(R^2 - sigma^2)``: 0.03-0.11 mm here), which a
    correction for the blur must therefore not undo (README, *Indentations near the
    widened threshold*)."""
    from scipy.ndimage import gaussian_filter

    n = int(30.0 / voxel_mm)
    points = np.indices((n, n, n)).reshape(3, -1).T * voxel_mm
    rho, along = distance_to_line(points, CENTRE, AXIS)
    mask = ((rho < radius) & (np.abs(along) < 10.0)).reshape(n, n, n)
    soft = gaussian_filter(mask.astype(np.float32), 0.6)
    soft += np.random.default_rng(0).normal(0.0, 0.08, soft.shape).astype(np.float32)
    line = centerline_of(soft > 0.5, np.diag([voxel_mm] * 3 + [1.0]), "tube")
    fitted = float(np.median(line.radii[middle(line)]))
    sigma = 0.6 * voxel_mm
    assert fitted == pytest.approx(radius, abs=0.05)
    assert radius - fitted < 0.5 * (radius - np.sqrt(radius ** 2 - sigma ** 2))


@pytest.mark.parametrize("radius", [0.5, 0.6])
def test_a_thin_tubes_binary_label_is_not_read_thin(radius):
    """A tube under two voxels across (0.6 mm voxels), its mask sampled at voxel centres
    (no blur, no noise) on three shifted grids, comes back at its radius (each median
    within 0.04 mm, their mean within 0.03; measured +0.015 and -0.023 mm): the section
    fits are not what reads a thin tube thin. The same tubes imaged as the phantoms
    (blurred, noised, thresholded at half) read -0.035 and -0.076 mm on these grids, which
    this test refuses: that thinning is the image's blur and noise, which a label volume
    does not record (README, *Patient cases*: a thin tube's radius at 0.6 mm)."""
    voxel_mm, n = 0.6, 40
    medians = []
    for seed in range(3):
        shift = np.random.default_rng(100 + seed).uniform(0.0, voxel_mm, 3)
        points = np.indices((n, n, n)).reshape(3, -1).T * voxel_mm
        rho, along = distance_to_line(points, CENTRE + shift - 3.0, AXIS)
        mask = ((rho < radius) & (np.abs(along) < 9.0)).reshape(n, n, n)
        line = centerline_of(mask, np.diag([voxel_mm] * 3 + [1.0]), "tube")
        medians.append(float(np.median(line.radii[middle(line)])))
    assert np.max(np.abs(np.array(medians) - radius)) < 0.04
    assert abs(np.mean(medians) - radius) < 0.03
