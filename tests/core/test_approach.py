"""One definition of side and crossing angle for requests and reports."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mvd_sim.core.approach import (MAX_CROSSING_DEG, MIN_CROSSING_DEG, MIN_SECTOR_DEG,
                                   SIDE_MARGIN_DEG, SIDES, crossing_angle_deg,
                                   crossing_angle_refusal, line_angle_deg, reads_as, sector,
                                   side_direction, side_of, usable_sides)

LATERAL = np.array([1.0, 0.0, 0.0])
# the facial nerve's tangent at the root exit point (forward and up) and in the attached
# segment of the default right-sided anatomy
RISING = np.array([0.02, 0.59, 0.81]) / np.linalg.norm([0.02, 0.59, 0.81])
ATTACHED = np.array([0.42, 0.74, 0.52]) / np.linalg.norm([0.42, 0.74, 0.52])


def test_across_a_nerve_along_x_the_four_other_sides_are_quarters():
    tangent = np.array([1.0, 0.0, 0.0])
    for side in ("anterior", "posterior", "rostral", "caudal"):
        assert len(sector(side, tangent, LATERAL)) / 2 == 90.0
    assert usable_sides(tangent, LATERAL) == ["anterior", "posterior", "rostral", "caudal"]


def test_the_usable_sides_are_those_with_a_sector_wide_enough():
    rng = np.random.default_rng(2)
    tangents = [RISING, ATTACHED, *(v / np.linalg.norm(v) for v in rng.normal(size=(20, 3)))]
    for tangent in tangents:
        for lateral in (LATERAL, -LATERAL):
            assert usable_sides(tangent, lateral) == [
                s for s in SIDES if len(sector(s, tangent, lateral)) / 2 >= MIN_SECTOR_DEG]


@pytest.mark.parametrize("tangent", [RISING, ATTACHED, np.array([0.0, 0.0, 1.0])])
@pytest.mark.parametrize("lateral", [LATERAL, -LATERAL])
def test_a_side_asked_reads_as_itself(tangent, lateral):
    """The direction a side is placed on is named that side by the report's definition,
    with SIDE_MARGIN_DEG to spare either way."""
    for side in usable_sides(tangent, lateral):
        direction = side_direction(side, tangent, lateral)
        assert abs(np.dot(direction, tangent)) < 1e-12
        assert side_of(direction, tangent, lateral) == side
        assert reads_as(direction, side, tangent, lateral)[0]


def test_where_the_nerve_rises_caudal_names_no_direction_of_its_own():
    """At the root exit point the nerve runs forward and up, so from below is also from in
    front: anterior wins every direction there and caudal cannot be asked."""
    assert len(sector("caudal", RISING, LATERAL)) / 2 < MIN_SECTOR_DEG
    assert side_direction("caudal", RISING, LATERAL) is None
    assert "caudal" not in usable_sides(RISING, LATERAL)
    below = np.array([0.0, 0.0, -1.0])
    assert side_of(below, RISING, LATERAL) == "anterior"


def test_the_side_is_the_nearest_patient_axis_across_the_nerve():
    tangent = np.array([0.0, 1.0, 0.0])
    assert side_of(np.array([0.9, 0.0, 1.0]), tangent, LATERAL) == "rostral"
    assert side_of(np.array([1.1, 5.0, 1.0]), tangent, LATERAL) == "lateral"
    assert side_of(np.array([1.1, 5.0, 1.0]), tangent, -LATERAL) == "medial"
    assert side_of(np.array([-1.1, 0.0, 1.0]), tangent, -LATERAL) == "lateral"


def test_reads_as_needs_the_margin_either_way():
    tangent = np.array([0.0, 1.0, 0.0])
    edge = np.radians(45.0 - SIDE_MARGIN_DEG)
    inside = np.array([np.sin(edge - 0.01), 0.0, np.cos(edge - 0.01)])
    outside = np.array([np.sin(edge + 0.01), 0.0, np.cos(edge + 0.01)])
    assert reads_as(np.array([inside, outside]), "rostral", tangent, LATERAL).tolist() == \
        [True, False]
    assert reads_as(outside, "rostral", tangent, LATERAL, 0.0)[0]


@pytest.mark.parametrize("directed, line", [(10.0, 10.0), (85.0, 85.0), (90.0, 90.0),
                                            (100.0, 80.0), (170.0, 10.0)])
def test_a_directed_angle_and_its_mirror_have_one_line_angle(directed, line):
    assert line_angle_deg(directed) == line
    tangent = np.array([1.0, 0.0, 0.0])
    a = np.radians(directed)
    axis = np.array([np.cos(a), np.sin(a), 0.0])
    assert_allclose(crossing_angle_deg(tangent, axis), line, atol=1e-9)
    assert_allclose(crossing_angle_deg(tangent, -axis), line, atol=1e-9)


def test_sides_are_the_six_patient_axes():
    assert SIDES == ("lateral", "medial", "anterior", "posterior", "rostral", "caudal")


@pytest.mark.parametrize("directed, words", [
    (175.0, "175 crosses the nerve at a line angle of 5 degrees (the mirror image of 5), below "
            "the 10-degree minimum: the flattest crossing that way is 170"),
    (0.0, "0 crosses the nerve at a line angle of 0 degrees, below the 10-degree minimum: the "
          "flattest crossing that way is 10"),
    (-30.0, "-30 is the same crossing as 150 (they repeat every 180 degrees): ask 150"),
    (357.0, "357 is the same crossing as 177, which crosses the nerve at a line angle of 3 "
            "degrees (the mirror image of 3), below the 10-degree minimum: the flattest "
            "crossing that way is 170")])
def test_an_angle_out_of_range_is_refused_saying_what_would_work(directed, words):
    assert crossing_angle_refusal(directed) == \
        f"crossing angles are directed, 10-170 degrees; {words}"


@pytest.mark.parametrize("directed", [MIN_CROSSING_DEG, 85.0, MAX_CROSSING_DEG])
def test_an_angle_in_range_is_not_refused(directed):
    assert crossing_angle_refusal(directed) is None


def test_a_side_direction_asked_again_is_the_same_and_its_own():
    """Kept answers (a sampled case asks a side again at the same point) are the computed
    ones, and each caller gets its own array."""
    from mvd_sim.core.approach import _side_direction

    first = side_direction("anterior", ATTACHED, LATERAL)
    first[:] = 0.0                                  # a caller's change stays its own
    again = side_direction("anterior", ATTACHED, LATERAL)
    assert_array_equal(again, _side_direction("anterior", ATTACHED, LATERAL))
    assert again is not side_direction("anterior", ATTACHED, LATERAL)
