"""Label placement and the microscope's look, on synthetic input with known answers."""

import itertools

import numpy as np
import pytest

from mvd_sim.viz.camera import Camera
from mvd_sim.viz.overlay import FOG_MM, microscope, overlaps, place_labels
from mvd_sim.viz.palette import BACKGROUND


def test_overlaps_closed_cases():
    assert overlaps((0, 0, 10, 10), (5, 5, 15, 15))
    assert not overlaps((0, 0, 10, 10), (10, 0, 20, 10))       # touching edges, exclusive
    assert overlaps((0, 0, 10, 10), (12, 0, 20, 10), gap=3)


def test_crowded_labels_are_placed_apart_or_left_out():
    """Twelve labels on nearly one point (as RDP and REZ end are): every box placed clear
    of the others, of the anchors and of a reserved corner, inside the picture."""
    rng = np.random.default_rng(3)
    anchors = [(300 + rng.uniform(-3, 3), 200 + rng.uniform(-3, 3)) for _ in range(12)]
    sizes = [(60, 20)] * 12
    reserved = [(0, 0, 120, 40)]
    boxes = place_labels(anchors, sizes, (640, 480), reserved)
    placed = [b for b in boxes if b is not None]
    assert len(placed) == 12
    for a, b in itertools.combinations(placed, 2):
        assert not overlaps(a, b)
    for box in placed:
        assert not overlaps(box, reserved[0])
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= 640 and box[3] <= 480
        assert not any(box[0] <= c < box[2] and box[1] <= r < box[3] for c, r in anchors)


def test_a_label_with_no_room_is_left_out():
    boxes = place_labels([(50, 50), (50, 50)], [(90, 90), (90, 90)], (100, 100), [])
    assert boxes.count(None) >= 1


@pytest.fixture
def camera():
    return Camera(np.array([0.0, -250.0, 0.0]), np.zeros(3), np.array([0.0, 0.0, 1.0]),
                  8.0, 208.0, 500.0, operative=True)


def test_microscope_darkens_beyond_the_focus_and_outside_the_field(camera):
    image = np.full((101, 141, 3), 200, dtype=np.uint8)
    depth = np.full((101, 141), 250.0)
    depth[:, 70:] = 250.0 + FOG_MM               # the right half one fog length deeper
    out = microscope(image, depth, camera).astype(float)
    near, far = out[50, 60], out[50, 80]
    assert near == pytest.approx([200] * 3, abs=1)
    expected = np.asarray(BACKGROUND) + (200 - np.asarray(BACKGROUND)) / np.e
    assert far == pytest.approx(expected, abs=1.5)
    assert out[0, 0].max() < 12 and out[100, 140].max() < 12     # outside the circle
    clear = np.zeros((101, 141), dtype=bool)
    clear[50, 80] = True
    assert microscope(image, depth, camera, clear)[50, 80] == pytest.approx([200] * 3, abs=1)
