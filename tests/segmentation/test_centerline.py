"""Centerlines of labels in pieces: a tube thinner than about two voxels, labelled as a chain
of beads (as a blurred thin vessel thresholded at half is), must be followed bead to bead
along its whole course, not cut across its bend nor left at one bead."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import centerline_of

VOXEL_MM = 0.6
BEND_MM = 6.0        # the tube bends round a half circle of this radius
RADIUS_MM = 0.5
CENTRE = np.array([10.0, 10.0, 10.0])
#: the plane the half circle lies in (oblique to the grid)
E1 = np.array([1.0, 0.3, 0.2]) / np.linalg.norm([1.0, 0.3, 0.2])
E2 = np.cross(E1, [0.2, -0.1, 1.0])
E2 /= np.linalg.norm(E2)


def axis(n: int = 2000) -> np.ndarray:
    """The tube's axis (mm): a half circle."""
    t = np.linspace(0.0, np.pi, n)
    return CENTRE + BEND_MM * (np.cos(t)[:, None] * E1 + np.sin(t)[:, None] * E2)


@pytest.mark.parametrize("phase_mm", [0.0, 1.0, 2.0])
def test_a_tube_labelled_as_beads_is_followed_round_its_bend(phase_mm):
    n = 40
    points = np.indices((n, n, n)).reshape(3, -1).T * VOXEL_MM
    dense = axis()
    s = curve.arc_length(dense)
    distance, nearest = cKDTree(dense).query(points)
    # the tube, with 1.2 mm of every 3 mm of its course missing: beads of 4-7 voxels each
    # (fewer than a speck's), their gaps 2-3 voxels
    kept = np.mod(s[nearest] + phase_mm, 3.0) < 1.8
    mask = ((distance < RADIUS_MM) & kept).reshape(n, n, n)
    line = centerline_of(mask, np.diag([VOXEL_MM] * 3 + [1.0]), "thin vessel")
    off = cKDTree(dense).query(line.points)[0]
    # round the whole bend (the first and last beads' ends may lie up to a gap inside the
    # tube's), never cut across it (the chord lies 6 mm off at the bend's apex); the line's
    # last 1.5 mm, carried on straight past the last bead, is the ends' business
    assert line.length_mm > s[-1] - 2 * 1.2 - VOXEL_MM
    arc = curve.arc_length(line.points)
    inner = (arc > 1.5) & (arc < arc[-1] - 1.5)
    assert off[inner].max() < 0.5 * VOXEL_MM


def straight_tube(n: int, radius_mm: float, start_mm: float, end_mm: float,
                  aside_mm: float = 0.0) -> np.ndarray:
    """(n^3,) bool: a tube along E1 through CENTRE (moved ``aside_mm`` along E2), from
    ``start_mm`` to ``end_mm`` along it."""
    points = np.indices((n, n, n)).reshape(3, -1).T * VOXEL_MM
    d = points - CENTRE - aside_mm * E2
    along = d @ E1
    rho = np.linalg.norm(d - along[:, None] * E1, axis=1)
    return (rho < radius_mm) & (along > start_mm) & (along < end_mm)


def test_a_speck_beside_a_thick_tube_is_not_followed():
    """A voxel 2.5 voxels past a 1.1 mm nerve's end and aside: noise, not a bead (a tube
    that thick does not break up), so the line is the one without it."""
    n = 40
    tube = straight_tube(n, 1.1, -8.0, 8.0)
    speck = CENTRE + (8.0 + 2.5 * VOXEL_MM) * E1 + 1.0 * E2
    with_speck = tube.reshape(n, n, n).copy()
    with_speck[tuple(np.rint(speck / VOXEL_MM).astype(int))] = True
    affine = np.diag([VOXEL_MM] * 3 + [1.0])
    plain = centerline_of(tube.reshape(n, n, n), affine, "nerve")
    specked = centerline_of(with_speck, affine, "nerve")
    assert specked.length_mm == pytest.approx(plain.length_mm, abs=1e-9)


def test_of_pieces_too_far_apart_to_bridge_the_longest_is_followed():
    """A label in two pieces 6 mm apart (beyond any bridge; the short one 3 mm aside): the
    line is the longer (9 mm) piece's, whichever comes first in the volume (before: the
    first's)."""
    n = 40
    for short, long_ in (((-9.0, -6.0), (0.0, 9.0)), ((6.0, 9.0), (-9.0, 0.0))):
        mask = straight_tube(n, 0.8, *short, aside_mm=3.0) | straight_tube(n, 0.8, *long_)
        line = centerline_of(mask.reshape(n, n, n), np.diag([VOXEL_MM] * 3 + [1.0]), "x")
        assert line.length_mm == pytest.approx(9.0, abs=1.0)
