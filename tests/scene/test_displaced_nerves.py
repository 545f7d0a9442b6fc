"""``anatomy.displaced_nerves``: a nerve given as it lies, its rest course the atlas one."""

from __future__ import annotations

import numpy as np
import pytest

import mvd_sim
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import parse_scenario


@pytest.fixture(scope="module")
def severe():
    """The bundled left VA deviating CN VII 0.8 mm (severe), and the same case written with
    its vessels by centerline and CN VII as it lies (no ``compresses``)."""
    case = mvd_sim.load_case("va_as_severe_left")
    scene = case.scene
    data = {"schema_version": 1, "title": "as it lies", "description": "the same case",
            "side": scene.side,
            "anatomy": {"displaced_nerves": {"CN7": scene.nerves["CN7"].points.tolist()}},
            "vessels": [{"id": name, "type": tube.kind, "radius_mm": float(tube.radius[0]),
                         "points_mm": tube.points[::4].tolist()}
                        for name, tube in scene.vessels.items()]}
    return case, data


def test_a_displaced_nerve_is_built_where_given_with_the_atlas_rest_course(severe):
    case, data = severe
    rebuilt = mvd_sim.Case.from_spec(parse_scenario(data), "again").scene
    for name in ("CN7", "CN8"):
        assert np.allclose(rebuilt.nerves[name].points, case.scene.nerves[name].points,
                           atol=1e-9)
        assert np.allclose(rebuilt.rest_nerves[name].points,
                           case.scene.rest_nerves[name].points, atol=1e-9)
    contact = next(c for c in mvd_sim.analyze(rebuilt).contacts if c.vessel == "va")
    assert contact.severity == "severe" and contact.deviation_mm == pytest.approx(0.8, abs=0.05)


def test_a_course_of_another_number_of_points_is_refused_in_one_line(severe):
    _, data = severe
    course = data["anatomy"]["displaced_nerves"]["CN7"]
    bad = {**data, "anatomy": {"displaced_nerves": {"CN7": course[:-1]}}}
    with pytest.raises(ScenarioError, match=rf"^anatomy.displaced_nerves.CN7: {len(course) - 1} "
                                            rf"points for the {len(course)} of CN7's rest "
                                            "course; give one point per point of it$"):
        mvd_sim.Case.from_spec(parse_scenario(bad), "bad")


def test_a_course_into_the_brainstem_is_refused(severe):
    _, data = severe
    course = np.asarray(data["anatomy"]["displaced_nerves"]["CN7"])
    medial = (course + [4.0 if data["side"] == "left" else -4.0, 0.0, 0.0]).tolist()
    bad = {**data, "anatomy": {"displaced_nerves": {"CN7": medial}}}
    with pytest.raises(ScenarioError, match=r"^anatomy.displaced_nerves.CN7: the course "
                                            r"passes \d+\.\d\d mm into the brainstem$"):
        mvd_sim.Case.from_spec(parse_scenario(bad), "bad")


def test_a_nerve_displaced_and_deviated_by_a_contact_too_is_refused(severe):
    case, data = severe
    asked = case.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    asked["anatomy"]["displaced_nerves"] = data["anatomy"]["displaced_nerves"]
    with pytest.raises(ScenarioError, match=r"^anatomy.displaced_nerves.CN7: CN7 is also "
                                            r"deviated by a contact's nerve_deviation_mm"):
        mvd_sim.Case.from_spec(parse_scenario(asked), "both")
