"""The scenario fields a segmented case uses: vessels' ``radii_mm`` and
``anatomy.segmented``."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.scenario import parse_scenario

BASE = {"schema_version": 1, "title": "t", "description": "d", "side": "right"}
POINTS = [[8.0, 6.0, -6.0], [6.0, 4.0, -3.0], [4.0, 3.0, 0.0], [2.0, 4.0, 4.0]]


def vessel(**fields):
    return {**BASE, "vessels": [{"id": "pica", "type": "PICA", "points_mm": POINTS,
                                 **fields}]}


@pytest.mark.parametrize("fields, reason", [
    ({"radii_mm": [0.8, 0.8]}, "radii_mm has 2 values for 4 points_mm"),
    ({"radii_mm": [0.8] * 4, "radius_mm": 0.8}, "either radius_mm or radii_mm"),
    ({"radii_mm": [0.8, 0.8, -1.0, 0.8]}, "greater than 0"),
])
def test_bad_radii_are_refused_naming_the_vessel(fields, reason):
    with pytest.raises(mvd_sim.ScenarioError, match=rf"vessels\[0\].*{reason}"):
        parse_scenario(vessel(**fields), "case.yaml")


def test_radii_given_a_point_are_the_vessels_radius_along_its_course():
    radii = [1.2, 1.0, 0.8, 0.6]
    tube = mvd_sim.Case.from_spec(parse_scenario(vessel(radii_mm=radii))).scene.vessels["pica"]
    at = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(POINTS, axis=0), axis=1))))
    ends = [tube.radius[0], tube.radius[-1]]
    assert ends == pytest.approx([1.2, 0.6])
    middle = tube.radius_at(tube.length_mm * at[1] / at[-1])
    assert middle == pytest.approx(1.0, abs=0.02)


def test_a_segmented_root_too_short_for_its_segments_is_refused():
    line = {"points_mm": [[0.0, 0.0, 1.1], [0.0, 0.5, 4.0]], "radii_mm": [1.1, 1.1]}
    data = {**BASE, "anatomy": {"segmented": {
        "rexp_midline_mm": [9.84, 2.41, -2.09], "facial_nerve": line,
        "vestibulocochlear_nerve": line, "fit_rms_mm": 0.1, "source": "x"}}}
    with pytest.raises(mvd_sim.ScenarioError, match=r"anatomy\.segmented: nerve CN7 is 2\.9 "
                                                    r"mm long"):
        mvd_sim.Case.from_spec(parse_scenario(data))


def test_a_segmented_rest_course_needs_one_point_a_point():
    line = {"points_mm": POINTS, "radii_mm": [1.0] * 4, "rest_points_mm": POINTS[:3]}
    data = {**BASE, "anatomy": {"segmented": {
        "rexp_midline_mm": [9.84, 2.41, -2.09], "facial_nerve": line,
        "vestibulocochlear_nerve": line, "fit_rms_mm": 0.1, "source": "x"}}}
    with pytest.raises(mvd_sim.ScenarioError, match="rest_points_mm has 3 points for 4"):
        parse_scenario(data, "case.yaml")
