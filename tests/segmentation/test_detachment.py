"""The RDP of an imported root: where its gap from the brainstem starts to grow.

Closed forms: a root lying on a plane or a sphere along a known attached segment and then
leaving it (bending away from the plane; along its tangent off the sphere), imaged as the
round trip's phantoms are (an oblique grid at 0.4-0.6 mm, each label blurred by 0.6 voxel
and noised, the root's label winning), followed by the import's centerline and its gap taken
from the exact surface (the brainstem's fit is not what is tested here)."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import centerline_of
from mvd_sim.segmentation.detachment import detached_at, smoothed_square
from mvd_sim.segmentation.phantom import tube_inside

RADIUS_MM = 1.0
ATTACHED_MM = 5.5
STEP_MM = 0.02


@pytest.mark.parametrize("rdp", [4.0, 5.5, 7.2])
@pytest.mark.parametrize("floor", [0.0, 0.15])
def test_the_rdp_is_where_the_gap_starts_to_grow_not_where_it_passes_a_threshold(rdp, floor):
    s = np.arange(0.0, 20.0, 0.5)
    gap = floor + 0.12 * np.maximum(s - rdp, 0.0) ** 2
    gap += np.random.default_rng(1).normal(0.0, 0.02, len(s))   # a voxel's tenth of noise
    found = detached_at(s, gap, 2.25, 18.0, voxel_mm=0.0)
    assert found == pytest.approx(rdp, abs=0.3)
    # a threshold of 0.25 mm above the floor would have put it 1.4 mm late
    assert s[np.argmax(gap > floor + 0.25)] - rdp > 1.0


def test_a_gap_seen_through_a_voxel_wide_window_is_read_at_its_rdp():
    """The gap as an image shows it (a standoff, the corner rounded over about a voxel) is
    read at its RDP when the voxel is known; read as an exact course, it reads early."""
    s = np.arange(0.0, 20.0, 0.5)
    gap = 0.1 + 0.15 * smoothed_square(s - 5.5, 0.6)
    assert detached_at(s, gap, 2.25, 18.0, voxel_mm=0.6) == pytest.approx(5.5, abs=0.06)
    assert detached_at(s, gap, 2.25, 18.0, voxel_mm=0.0) < 5.35   # a quarter mm early


def test_the_smoothed_square_is_the_squares_mean_under_a_normal_window():
    rng = np.random.default_rng(0)
    spread = rng.normal(0.0, 0.5, 200_000)
    for u in (-1.0, -0.3, 0.0, 0.4, 2.0):
        sampled = np.mean(np.maximum(u + spread, 0.0) ** 2)
        assert smoothed_square(np.array([u]), 0.5)[0] == pytest.approx(sampled, rel=0.02,
                                                                        abs=1e-4)
    assert np.array_equal(smoothed_square(np.array([-1.0, 2.0]), 0.0), [0.0, 4.0])


def _on_plane(total_mm: float = 16.0):
    """Axis of a root on the plane z = 0 (the brainstem below it) up to ATTACHED_MM, then
    bending away from it with a 4 mm radius up to 40 degrees, then straight."""
    s = np.arange(0.0, total_mm + 1e-9, STEP_MM)
    turn = np.minimum(np.maximum(s - ATTACHED_MM, 0.0) / 4.0, np.radians(40.0))
    x = np.concatenate([[0.0], np.cumsum(np.cos(turn[:-1]) * STEP_MM)])
    z = RADIUS_MM + np.concatenate([[0.0], np.cumsum(np.sin(turn[:-1]) * STEP_MM)])
    axis = np.stack([x, np.zeros_like(x), z], axis=1)
    return axis, lambda p: p[:, 2] - RADIUS_MM, lambda p: p[:, 2] < 0.0


def _on_sphere(radius_mm: float = 8.0, total_mm: float = 16.0):
    """Axis of a root on a sphere up to ATTACHED_MM (a great circle), then along its
    tangent off it."""
    s = np.arange(0.0, total_mm + 1e-9, STEP_MM)
    centre_radius = radius_mm + RADIUS_MM
    phi = np.minimum(s, ATTACHED_MM) / centre_radius
    beyond = np.maximum(s - ATTACHED_MM, 0.0)
    axis = (centre_radius * np.stack([np.cos(phi), np.sin(phi), 0.0 * phi], axis=1)
            + beyond[:, None] * np.stack([-np.sin(phi), np.cos(phi), 0.0 * phi], axis=1))
    return (axis, lambda p: np.linalg.norm(p, axis=1) - radius_mm - RADIUS_MM,
            lambda p: np.linalg.norm(p, axis=1) < radius_mm)


def _imaged(axis: np.ndarray, inside, spacing_mm: float, seed: int):
    """Labels (1 brainstem, 2 root) on an oblique grid, each blurred, noised and
    thresholded at half as :func:`~mvd_sim.segmentation.phantom.label_phantom` does."""
    rotation = Rotation.from_euler("xyz", (17.0, -23.0, 31.0), degrees=True).as_matrix()
    low, high = axis.min(axis=0) - 4.0, axis.max(axis=0) + 4.0
    low[2] = min(low[2], -3.0)
    corners = np.array([[a, b, c] for a in (low[0], high[0]) for b in (low[1], high[1])
                        for c in (low[2], high[2])]) @ rotation
    first = np.floor(corners.min(axis=0) / spacing_mm)
    shape = tuple(int(n) for n in np.ceil(corners.max(axis=0) / spacing_mm) - first + 1)
    affine = np.eye(4)
    affine[:3, :3] = rotation * spacing_mm
    affine[:3, 3] = rotation @ (first * spacing_mm)
    world = np.indices(shape).reshape(3, -1).T @ affine[:3, :3].T + affine[:3, 3]
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, dtype=np.uint8)
    for label, mask in ((1, inside(world)),
                        (2, tube_inside(world, axis, np.full(len(axis), RADIUS_MM)))):
        soft = gaussian_filter(mask.reshape(shape).astype(np.float32), 0.6)
        soft += rng.normal(0.0, 0.08, shape).astype(np.float32)
        labels[soft > 0.5] = label
    return labels, affine


@pytest.mark.parametrize("shape", ["plane", "sphere"])
@pytest.mark.parametrize("spacing_mm", [0.4, 0.5, 0.6])
@pytest.mark.parametrize("seed", [0, 1])
def test_an_imaged_root_detaches_where_the_exact_one_does(shape, spacing_mm, seed):
    axis, gap_of, inside = _on_plane() if shape == "plane" else _on_sphere()
    labels, affine = _imaged(axis, inside, spacing_mm, seed)
    line = centerline_of(labels == 2, affine, "CN7", labels == 1)
    points, radii = line.points, line.radii
    if gap_of(points[:1])[0] > gap_of(points[-1:])[0]:
        points, radii = points[::-1], radii[::-1]
    s = curve.arc_length(points)
    gap = gap_of(points) + RADIUS_MM - radii
    found = detached_at(s, gap, 2.25, float(s[-1]) - 1.25, voxel_mm=spacing_mm)
    # the true RDP on the imported line's arc: where the nearest exact axis point's arc
    # passes ATTACHED_MM
    exact_s = curve.arc_length(axis)[cKDTree(axis).query(points)[1]]
    k = int(np.argmax(exact_s >= ATTACHED_MM))
    truth = float(np.interp(ATTACHED_MM, exact_s[k - 1:k + 1], s[k - 1:k + 1]))
    assert -1.0 <= found - truth <= 0.3
