"""The HTML case report: its contents, and a real headless browser opening it."""

import re

import numpy as np
import pytest

import mvd_sim
from mvd_sim.report.html import case_report_html, separation_profiles, write_case_report
from mvd_sim.viz.render import image_bytes, render_image

CASE = "multi_aica_pica_right"


def test_separation_profile_agrees_with_the_contact_engine(scene_of):
    scene = scene_of(CASE)
    s, gaps = separation_profiles(scene)
    assert s[0] == 0.0 and np.all(np.diff(s) > 0)
    for contact in mvd_sim.analyze(scene).contacts:
        if contact.nerve != "CN7":
            continue
        profile = gaps[contact.vessel]
        deepest = profile[np.argmin(np.abs(s - contact.s_deepest_mm))]
        # the profile measures from the nerve's axis points, the engine between surfaces
        assert deepest == pytest.approx(contact.min_separation_mm, abs=0.1)
        assert profile.min() <= contact.min_separation_mm + 0.05


@pytest.fixture(scope="module")
def report_file(scene_of, tmp_path_factory):
    scene = scene_of(CASE)
    picture = image_bytes(render_image([(scene, CASE)], size=(600, 450)))
    spec_path = mvd_sim.bundled_scenarios()[CASE]
    spec = mvd_sim.load_scenario(spec_path)
    text = case_report_html(scene, spec_path.read_text(), spec.title, spec.description,
                            [(picture, "retrosigmoid view")])
    return write_case_report(tmp_path_factory.mktemp("report") / "case.html", text)


def test_untrusted_text_is_escaped(scene_of):
    text = case_report_html(scene_of("near_miss_control_right"), "title: <script>x</script>",
                            "<img src=x onerror=alert(1)>", "d & <b>", [])
    assert "<script>x" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in text and "&lt;img src=x" in text


def test_report_is_self_contained(report_file):
    text = report_file.read_text()
    assert "<script" not in text
    assert not re.search(r"(src|href)=[\"']?(https?:|//|file:)", text)
    assert text.count("data:image/png;base64,") == 2  # the view and the separation plot
    assert "<b>Pattern:</b> multivessel" in text and "<td>AICA</td>" in text
    assert "schema_version: 1" in text


def test_report_opens_in_headless_chromium(report_file, chromium):
    driver = chromium()
    driver.get(report_file.as_uri())
    assert driver.title == mvd_sim.load_scenario(mvd_sim.bundled_scenarios()[CASE]).title
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    assert len(images) == 2
    assert all(done and width > 100 for done, width in images)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    tables = driver.execute_script("return document.querySelectorAll('table').length;")
    assert tables >= 1


def _rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the report's table whose first header cell is ``header``."""
    start = text.index(f"<th>{header}</th>")
    body = text[start:text.index("</tbody>", start)]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("<tr>")[1:]]


def test_the_pad_table_places_each_pad_along_cn7(planned_report, planned, case_of):
    text = planned_report.read_text(encoding="utf-8")
    rows = {row[0]: row for row in _rows(text, "pad")}
    moves = [m for m in planned.moves if m.kind == "pad"]
    assert sorted(rows) == sorted(m.sponge.id for m in moves)
    marks = case_of(planned.scenario).scene.landmarks["CN7"]
    for move in moves:
        row = rows[move.sponge.id]
        segment, s = re.fullmatch(r"(\w+), s = ([\d.]+)", row[3]).groups()
        # where the plan treated the compression, and the segment the landmarks give there
        assert segment == move.segment == marks.segment_at(float(s))
        assert float(s) == pytest.approx(move.s_mm, abs=1.0)
        assert row[4].startswith(f"{move.vessel} from ")


def test_the_worst_phase_is_said_in_words(planned_report):
    text = planned_report.read_text(encoding="utf-8")
    assert re.search(r"closest to CN VII at \d+% of the cardiac cycle \((systole|diastole|"
                     r"between systole and diastole): arteries at \d+% of their systolic "
                     r"distension\), the worst phase of the \d+ phases", text)
    assert "worst phase 0." not in text


def test_the_report_shows_the_pads_close_up(planned_report):
    text = planned_report.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3  # before/after, the pads, the plot
    assert re.search(r"alt=\"after: the pads, from the \w+ side, close up\"", text)
