"""The scenario schema: clinical terms parse into specs; malformed scenarios fail in one line.

Every rejection must be a :class:`~mvd_sim.core.errors.ScenarioError` whose message is a single
line ``"{file}: {field}: {reason}"`` (``"{file}: {reason}"`` for file-level problems), with no
traceback text in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import mvd_sim
import mvd_sim.scenario
import mvd_sim.scenario.files
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import load_scenario, parse_scenario, scenario_to_yaml

BUNDLED = mvd_sim.bundled_scenarios()

# a minimal valid scenario; cases below append to it or replace one of its lines
BASE = "schema_version: 1\ntitle: t\ndescription: d\nside: right\n"


def vessels(*lines: str) -> str:
    """BASE with a ``vessels:`` list made of flow-style mappings."""
    return BASE + "vessels:\n" + "".join(f"  - {line}\n" for line in lines)


def assert_one_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message, message
    assert "Traceback" not in message, message


def write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_keeps_the_from_alias_and_contact_fields():
    spec = parse_scenario(yaml.safe_load(vessels(
        "{id: a, type: AICA, radius_mm: 0.6, compresses: [{target: CN7, s_mm: 4.5, "
        "from: rostral, crossing_angle_deg: 70, separation_mm: 0.2}]}",
        "{id: v, type: VA, compresses: [{target: a}]}",
        "{id: p, type: PICA, points_mm: [[1, 2, -3], [4, 5, -6.5]]}")))
    data = yaml.safe_load(scenario_to_yaml(spec))
    contact = data["vessels"][0]["compresses"][0]
    assert contact["from"] == "rostral" and "from_side" not in contact
    assert contact["separation_mm"] == pytest.approx(0.2)
    assert "indentation_mm" not in contact          # None fields are left out
    back = parse_scenario(data)
    assert back == spec
    assert back.vessels[0].compresses[0].gap_mm == pytest.approx(0.2)
    assert back.vessels[1].compresses[0].side == "away_from_nerve"
    assert back.vessels[2].points_mm == [[1, 2, -3], [4, 5, -6.5]]


@pytest.mark.parametrize("contact, gap, side", [
    ("{target: CN7, segment: AS}", 0.0, "caudal"),
    ("{target: CN7, segment: AS, indentation_mm: 0.4}", -0.4, "caudal"),
    ("{target: CN7, segment: AS, separation_mm: 0.3, from: anterior}", 0.3, "anterior"),
    ("{target: CN8, s_mm: 2.0, from: medial}", 0.0, "medial"),
])
def test_contact_gap_and_default_side(contact, gap, side):
    text = vessels(f"{{id: a, type: AICA, compresses: [{contact}]}}")
    spec = parse_scenario(yaml.safe_load(text))
    c = spec.vessels[0].compresses[0]
    assert c.gap_mm == pytest.approx(gap)
    assert c.side == side


def test_parse_scenario_uses_the_source_name():
    with pytest.raises(ScenarioError, match=r"^mine\.yaml: side: "):
        parse_scenario({"schema_version": 1, "title": "t", "description": "d", "side": "up"},
                       source="mine.yaml")


# -- malformed scenarios: one line naming the file, the field and the reason -----------------

# (id, file text, field regex, reason regex)
FIELD_CASES = [
    ("unknown-top-level-key", BASE + "colour: red\n",
     r"colour", r"unknown field"),
    ("missing-title", "schema_version: 1\ndescription: d\nside: right\n",
     r"title", r"required field missing"),
    ("wrong-type-side", BASE.replace("side: right", "side: 3"),
     r"side", r"\(got 3\)"),
    ("bad-enum-side", BASE.replace("side: right", "side: up"),
     r"side", r"\(got 'up'\)"),
    ("unknown-vessel-type", vessels("{id: a, type: SCA}"),
     r"vessels\[0\]\.type", r"\(got 'SCA'\)"),
    ("negative-radius", vessels("{id: a, type: AICA, radius_mm: -1}"),
     r"vessels\[0\]\.radius_mm", r"\(got -1\)"),
    ("absurd-radius", vessels("{id: a, type: AICA, radius_mm: 50}"),
     r"vessels\[0\]\.radius_mm", r"\(got 50\)"),
    ("nan-radius", vessels("{id: a, type: AICA, radius_mm: .nan}"),
     r"vessels\[0\]\.radius_mm", r"\(got nan\)"),
    ("inf-radius", vessels("{id: a, type: AICA, radius_mm: .inf}"),
     r"vessels\[0\]\.radius_mm", r"\(got inf\)"),
    ("string-radius", vessels('{id: a, type: AICA, radius_mm: "1.2"}'),
     r"vessels\[0\]\.radius_mm", r"\(got '1\.2'\)"),
    ("bool-radius", vessels("{id: a, type: AICA, radius_mm: true}"),
     r"vessels\[0\]\.radius_mm", r"\(got True\)"),
    ("bad-vessel-id", vessels("{id: 'a b', type: AICA}"),
     r"vessels\[0\]\.id", r"\(got 'a b'\)"),
    ("duplicate-vessel-id", vessels("{id: a, type: AICA}", "{id: a, type: PICA}"),
     r"vessels", r"duplicate vessel id 'a'"),
    ("vessel-id-is-a-nerve", vessels("{id: CN7, type: AICA}"),
     r"vessels", r"vessel id 'CN7' is reserved for a nerve"),
    # every structure's id names its mesh file: no id may take another's, in any letter case
    ("vessel-id-is-the-brainstem", vessels("{id: brainstem, type: AICA}"),
     r"vessels", r"vessel id 'brainstem' is reserved for the brainstem"),
    ("vessel-id-is-the-flocculus", vessels("{id: Flocculus, type: AICA}"),
     r"vessels", r"vessel id 'Flocculus' is reserved for the operative field"),
    ("vessel-id-is-the-petrous-bone", vessels("{id: petrous, type: vein}"),
     r"vessels", r"vessel id 'petrous' is reserved for the petrous bone"),
    ("vessel-id-is-a-nerve-in-lower-case", vessels("{id: cn8, type: AICA}"),
     r"vessels", r"vessel id 'cn8' is reserved for a nerve"),
    ("vessel-id-is-a-default-pad-name", vessels("{id: sponge2, type: AICA}"),
     r"vessels", r"vessel id 'sponge2' is reserved for a pad"),
    ("vessel-ids-differ-only-in-case", vessels("{id: aica, type: AICA}", "{id: AICA, type: PICA}"),
     r"vessels", r"duplicate vessel id 'AICA'"),
    ("pad-id-is-a-vessel", vessels("{id: aica, type: AICA}")
     + "sponges: [{diameter_mm: 2, s_mm: 5, id: Aica}]\n",
     r"sponges\[0\]", r"id 'Aica' is already taken by vessel 'aica'"),
    ("pad-id-is-the-brainstem", BASE + "sponges: [{diameter_mm: 2, s_mm: 5, id: brainstem}]\n",
     r"sponges\[0\]", r"id 'brainstem' is already taken by the brainstem"),
    ("two-pads-one-id", BASE + "sponges: [{diameter_mm: 2, s_mm: 5, id: p},"
     " {diameter_mm: 2, s_mm: 6, id: p}]\n",
     r"sponges\[1\]", r"id 'p' is already taken by pad 'p'"),
    ("pad-id-is-the-default-of-another", BASE + "sponges: [{diameter_mm: 2, s_mm: 5},"
     " {diameter_mm: 2, s_mm: 6, id: sponge1}]\n",
     r"sponges\[1\]", r"id 'sponge1' is already taken by pad 'sponge1'"),
    ("repeated-control-point",
     vessels("{id: a, type: AICA, points_mm: [[1, 2, 3], [1, 2, 3], [4, 5, 6]]}"),
     r"vessels\[0\]\.points_mm", r"point \[1\] lies within 0\.01 mm of the point before it"),
    # the mechanics' work grows with every rod's length: the schema bounds it
    ("vessel-course-too-long",
     vessels("{id: a, type: AICA, points_mm: [[20, -80, 0], [20, 80, 0]]}"),
     r"vessels\[0\]\.points_mm", r"the course through these points is 160 mm long; at most 150"),
    ("vessel-courses-too-long-together",
     vessels(*[f"{{id: a{k}, type: AICA, points_mm: [[{20 + k}, -70, 0], [{20 + k}, 70, 0]]}}"
               for k in range(5)]),
     r"vessels", r"the courses given by points_mm add up to 700 mm; at most 600 mm"),
    ("attached-segment-too-short", BASE + "anatomy:\n  facial_nerve: "
     "{attached_segment_length_mm: 2.6, rexp_zone_length_mm: 1.5}\n",
     r"anatomy", r"facial_nerve: the attached segment \(2\.6 mm\) leaves 0\.35 mm"),
    ("cisternal-portion-too-short", BASE + "anatomy:\n  facial_nerve: "
     "{cisternal_length_mm: 3.2, rdp_zone_length_mm: 6}\n",
     r"anatomy", r"facial_nerve: the cisternal length \(3\.2 mm\) leaves under 0\.5 mm"),
    ("medulla-shorter-than-the-vertebral-course",
     BASE + "anatomy:\n  brainstem: {medulla_length_mm: 25.0}\n",
     r"anatomy\.brainstem\.medulla_length_mm", r"\(got 25\.0\)"),
    ("unknown-compress-target",
     vessels("{id: a, type: AICA, compresses: [{target: CN5, segment: AS}]}"),
     r"vessels\[0\]\.compresses\[0\]\.target", r"unknown target 'CN5'"),
    ("self-compression", vessels("{id: a, type: AICA, compresses: [{target: a}]}"),
     r"vessels\[0\]\.compresses\[0\]\.target", r"cannot compress itself"),
    ("bad-segment", vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: REZ}]}"),
     r"vessels\[0\]\.compresses\[0\]\.segment", r"'RExP', 'AS', 'RDP' or 'CP' \(got 'REZ'\)"),
    # a directed angle out of range: the line says what would work
    ("crossing-angle-mirror-too-flat",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "crossing_angle_deg: 175}]}"),
     r"vessels\[0\]\.compresses\[0\]\.crossing_angle_deg",
     r"crossing angles are directed, 10-170 degrees; 175 crosses the nerve at a line angle "
     r"of 5 degrees \(the mirror image of 5\), below the 10-degree minimum: the flattest "
     r"crossing that way is 170$"),
    ("crossing-angle-too-flat",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "crossing_angle_deg: 5}]}"),
     r"vessels\[0\]\.compresses\[0\]\.crossing_angle_deg",
     r"5 crosses the nerve at a line angle of 5 degrees, below the 10-degree minimum: the "
     r"flattest crossing that way is 10$"),
    ("crossing-angle-past-180",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "crossing_angle_deg: 265}]}"),
     r"vessels\[0\]\.compresses\[0\]\.crossing_angle_deg",
     r"265 is the same crossing as 85 \(they repeat every 180 degrees\): ask 85$"),
    ("crossing-angle-not-a-number",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "crossing_angle_deg: '90'}]}"),
     r"vessels\[0\]\.compresses\[0\]\.crossing_angle_deg", r"\(got '90'\)"),
    ("segment-and-s_mm",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, s_mm: 3}]}"),
     r"vessels\[0\]\.compresses\[0\]", r"either segment or s_mm, not both"),
    ("separation-and-indentation",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "separation_mm: 0.2, indentation_mm: 0.3}]}"),
     r"vessels\[0\]\.compresses\[0\]", r"either separation_mm or indentation_mm, not both"),
    ("nerve-contact-without-location",
     vessels("{id: a, type: AICA, compresses: [{target: CN7}]}"),
     r"vessels\[0\]\.compresses\[0\]", r"contact on CN7 needs a segment or s_mm"),
    ("away_from_nerve-on-a-nerve",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "from: away_from_nerve}]}"),
     r"vessels\[0\]\.compresses\[0\]", r"'away_from_nerve' is only for contacts on another"),
    ("deviation-of-a-vessel",
     vessels("{id: a, type: AICA}",
             "{id: b, type: VA, compresses: [{target: a, nerve_deviation_mm: 1}]}"),
     r"vessels\[1\]\.compresses\[0\]", r"nerve_deviation_mm is only for contacts on a nerve"),
    ("deviation-with-separation",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, segment: AS, "
             "separation_mm: 0.5, nerve_deviation_mm: 1}]}"),
     r"vessels\[0\]\.compresses\[0\]", r"cannot be deviated by a vessel that does not touch"),
    ("two-element-point", vessels("{id: a, type: AICA, points_mm: [[0, 1, 2], [1, 2]]}"),
     r"vessels\[0\]\.points_mm\[1\]", r"at least 3 items"),
    ("single-point", vessels("{id: a, type: AICA, points_mm: [[0, 1, 2]]}"),
     r"vessels\[0\]\.points_mm", r"at least 2 items"),
    ("point-out-of-range", vessels("{id: a, type: AICA, points_mm: [[0, 1, 2], [1, 2, 999]]}"),
     r"vessels\[0\]\.points_mm\[1\]\[2\]", r"\(got [0-9.]+\)"),
    ("points-and-compresses",
     vessels("{id: a, type: AICA, points_mm: [[0, 1, 2], [1, 2, 3]], "
             "compresses: [{target: CN7, segment: AS}]}"),
     r"vessels\[0\]", r"either points_mm or compresses, not both"),
    ("anatomy-override-negative", BASE + "anatomy:\n  facial_nerve:\n    diameter_mm: -1\n",
     r"anatomy\.facial_nerve\.diameter_mm", r"\(got -1\)"),
    ("anatomy-exit-beyond-schema-bound",
     BASE + "anatomy:\n  facial_nerve:\n    exit_from_midline_mm: 60\n",
     r"anatomy\.facial_nerve\.exit_from_midline_mm", r"\(got 60\)"),
    ("unknown-anatomy-key", BASE + "anatomy:\n  trigeminal_nerve:\n    diameter_mm: 1\n",
     r"anatomy\.trigeminal_nerve", r"unknown field"),
    ("unknown-anatomy-parameter", BASE + "anatomy:\n  facial_nerve:\n    colour_mm: 1\n",
     r"anatomy\.facial_nerve\.colour_mm", r"unknown field"),
    ("schema-version-2", BASE.replace("schema_version: 1", "schema_version: 2"),
     r"schema_version", r"\(got 2\)"),
    ("title-too-long", BASE.replace("title: t", "title: " + "x" * 201),
     r"title", r"at most 200 characters"),
    ("findings-unknown-vessel",
     vessels("{id: a, type: AICA}") + "findings:\n  pattern: single\n  contacts:\n"
     "    - {vessel: ghost, nerve: CN7, segment: AS, severity: mild}\n",
     r"findings\.contacts", r"unknown vessel 'ghost'"),
    ("top-level-list", "- schema_version: 1\n- title: t\n",
     r"\(top level\)", r"expected a mapping of scenario fields, got list"),
    ("top-level-scalar", "just a sentence\n",
     r"\(top level\)", r"expected a mapping of scenario fields, got str"),
    ("empty-file", "",
     r"\(top level\)", r"expected a mapping of scenario fields, got NoneType"),
]


@pytest.mark.parametrize("text, field, reason",
                         [pytest.param(*case[1:], id=case[0]) for case in FIELD_CASES])
def test_malformed_scenario_names_file_field_and_reason(tmp_path, text, field, reason):
    path = write(tmp_path, text, "bad_case.yaml")
    with pytest.raises(ScenarioError,
                       match=rf"^{re.escape(str(path))}: {field}: .*{reason}") as info:
        load_scenario(path)
    assert_one_line(str(info.value))


def test_unknown_key_with_newline_still_gives_one_line(tmp_path):
    path = write(tmp_path, BASE + '"bad\\nkey": 1\n')
    with pytest.raises(ScenarioError, match=r"unknown field") as info:
        load_scenario(path)
    assert_one_line(str(info.value))


def test_unknown_key_with_bracket_is_named(tmp_path):
    path = write(tmp_path, BASE + '"x[0]": 1\n')
    with pytest.raises(ScenarioError, match=r": 'x\[0\]': unknown field"):
        load_scenario(path)


# -- schema-valid but anatomically impossible: rejected when the scene is built --------------

# (id, file text, field regex, reason regex)
ANATOMY_CASES = [
    ("exit-misses-brainstem",
     BASE + "anatomy:\n  facial_nerve:\n    exit_from_midline_mm: 40\n",
     r"anatomy\.facial_nerve\.exit_from_midline_mm",
     r"40 mm from the midline misses the brainstem"),
    ("contact-beyond-nerve-end",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, s_mm: 40}]}"),
     r"vessels\[0\]\.compresses\[0\]\.s_mm", r"40 mm is beyond the end of CN7"),
    ("deviation-too-close-to-rexp",
     vessels("{id: a, type: AICA, compresses: [{target: CN7, s_mm: 0.5, from: anterior, "
             "nerve_deviation_mm: 1.0}]}"),
     r"vessels\[0\]\.compresses\[0\]\.nerve_deviation_mm",
     r"would bend CN7 tighter than the vessel"),
    ("vessels-compress-in-a-cycle",
     vessels("{id: a, type: AICA, compresses: [{target: b}]}",
             "{id: b, type: PICA, compresses: [{target: a}]}"),
     r"vessels\[\d\]\.compresses", r"compress each other in a cycle"),
    ("three-vessel-cycle",
     vessels("{id: a, type: AICA, compresses: [{target: b}]}",
             "{id: b, type: PICA, compresses: [{target: c}]}",
             "{id: c, type: VA, compresses: [{target: a}]}"),
     r"vessels\[\d\]\.compresses", r"compress each other in a cycle"),
]


@pytest.mark.parametrize("text, field, reason",
                         [pytest.param(*case[1:], id=case[0]) for case in ANATOMY_CASES])
def test_impossible_anatomy_rejected_by_load_scene(tmp_path, text, field, reason):
    path = write(tmp_path, text, "impossible.yaml")
    load_scenario(path)  # schema-valid: the rejection must come from the anatomy
    with pytest.raises(ScenarioError,
                       match=rf"^{re.escape(str(path))}: {field}: .*{reason}") as info:
        mvd_sim.load_scene(path)
    assert_one_line(str(info.value))


# -- sponges and mechanics overrides ------------------------------------------------------

_BASE = {"schema_version": 1, "title": "t", "description": "d", "side": "right",
         "vessels": [{"id": "aica", "type": "AICA"}]}


def test_sponges_and_mechanics_round_trip(tmp_path):
    data = {**_BASE, "mechanics": {"sponge_youngs_mpa": 0.1},
            "sponges": [{"shape": "cylinder", "diameter_mm": 2.0, "length_mm": 4.0,
                         "s_mm": 5.0, "vessel": "aica"}]}
    spec = parse_scenario(data)
    assert mvd_sim.scenario.materials_of(spec).sponge_youngs_mpa == 0.1
    path = tmp_path / "case.yaml"
    path.write_text(scenario_to_yaml(spec))
    assert load_scenario(path) == spec


@pytest.mark.parametrize("extra, field", [
    ({"sponges": [{"diameter_mm": 2.0, "s_mm": 5.0, "vessel": "nope"}]},
     "sponges[0]: vessel 'nope'"),
    ({"sponges": [{"diameter_mm": -2.0, "s_mm": 5.0}]}, "diameter_mm"),
    ({"sponges": [{"diameter_mm": 2.0}]}, "exactly one of s_mm"),
    ({"mechanics": {"nerve_youngs_mpa": -1.0}}, "mechanics.nerve_youngs_mpa"),
    ({"mechanics": {"stiffness": 1.0}}, "mechanics.stiffness"),
])
def test_bad_sponges_and_mechanics_are_one_line(extra, field):
    with pytest.raises(ScenarioError, match=re.escape(field)) as err:
        parse_scenario({**_BASE, **extra}, "case.yaml")
    assert str(err.value).startswith("case.yaml: ") and "\n" not in str(err.value)


def test_inconsistent_mechanics_overrides_are_refused():
    spec = parse_scenario({**_BASE, "mechanics": {"poisson_ratio": 0.9}})
    with pytest.raises(ScenarioError, match="mechanics: poisson_ratio"):
        mvd_sim.scenario.materials_of(spec)
