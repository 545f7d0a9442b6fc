"""The report's interactive 3D scene, opened in a real headless Chromium rendering WebGL: it
loads with no console error and no request anywhere, draws something, and its checkboxes,
state and phase buttons and mouse change what it draws."""

import io
import re

import numpy as np
import pytest

#: A canvas whose pixels vary less than this (standard deviation over RGB, 0-255) is blank.
BLANK_STD = 8.0
#: The fraction of the canvas' pixels a change must alter to count as visible (about 340
#: pixels of 1200 x 560: a contact patch seen from the surgeon's side).
CHANGED = 0.0005


@pytest.fixture(scope="module")
def page(planned_report, chromium):
    """The report open in Chromium, its 3D scene loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    driver.get(planned_report.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return document.getElementById('mvd-scene').getAttribute('data-ready') === 'true'"))
    driver.execute_script("document.getElementById('mvd-scene').scrollIntoView()")
    return driver


def _canvas(driver) -> np.ndarray:
    """The 3D scene's pixels, (h, w, 3) uint8, once the browser has drawn two frames."""
    from PIL import Image

    driver.execute_async_script("const done = arguments[0]; "
                                "requestAnimationFrame(() => requestAnimationFrame(done));")
    png = driver.find_element("css selector", "#mvd-scene canvas").screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels that differ by more than 8 levels in some channel."""
    return float(np.mean(np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 8))


def _click(driver, selector: str) -> None:
    driver.execute_script("document.querySelector(arguments[0]).click()", selector)


def _box(group: str) -> str:
    return f'input[data-group="{group}"]'


def test_the_scene_loads_without_console_errors(page):
    for selector in ('input[name="mvd-state"][value="after"]',
                     'input[name="mvd-phase"][value="diastole"]', _box("CN VII"),
                     _box("CN VII"), 'input[name="mvd-state"][value="before"]',
                     'input[name="mvd-phase"][value="systole"]', "#mvd-scene-reset"):
        _click(page, selector)
    _canvas(page)
    log = page.get_log("browser")
    assert [e for e in log if e["level"] == "SEVERE"] == []
    assert page.find_element("id", "mvd-scene-status").text == ""


def test_the_page_computes_the_normals_the_archive_leaves_out(page):
    counts = page.execute_script(
        "const m = JSON.parse(document.getElementById('mvd-scene-manifest').textContent);"
        "const rs = window.global.renderWindow.getRenderers().slice(-m.renderers.length);"
        "const actors = rs.flatMap(r => r.getActors());"
        "const smooth = actors.filter((a, i) => m.actors[i].normals);"
        "return [smooth.length, smooth.filter(a => {"
        "  const n = a.getMapper().getInputData().getPointData().getNormals();"
        "  return n && n.getNumberOfTuples() === a.getMapper().getInputData().getNumberOfPoints()"
        "    && Math.abs(Math.hypot(...n.getTuple(0)) - 1) < 1e-4; }).length];")
    assert counts[0] > 10 and counts[1] == counts[0]


def test_the_canvas_is_not_blank(page):
    image = _canvas(page)
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert image.reshape(-1, 3).std(axis=0).mean() > BLANK_STD
    assert len(np.unique(image.reshape(-1, 3) // 16, axis=0)) > 50


def _groups(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('input[data-group]'))"
        ".map(b => b.getAttribute('data-group'));")


def _vessel_boxes(driver, scene) -> list[str]:
    """The checkboxes of the vessels: labelled by kind (and id, where it differs)."""
    kinds = {tube.kind for tube in scene.vessels.values()}
    return [g for g in _groups(driver) if g.split()[0] in kinds]


def test_every_structure_has_a_checkbox(page, case_of, planned):
    groups = _groups(page)
    scene = case_of(planned.scenario).scene
    assert {"brainstem", "CN VII", "CN VIII", "contact patches", "pads", "petrous bone",
            "cerebellum", "flocculus", "CN IX-XI"} <= set(groups)
    assert len(_vessel_boxes(page, scene)) == len(scene.vessels)
    assert len(groups) == len(set(groups))


@pytest.mark.parametrize("group", ["CN VII", "contact patches", "brainstem"])
def test_unchecking_a_structure_changes_the_pixels_and_checking_it_restores_them(page,
                                                                                 group):
    shown = _canvas(page)
    _click(page, _box(group))
    hidden = _canvas(page)
    _click(page, _box(group))
    again = _canvas(page)
    assert _changed(shown, hidden) > CHANGED
    assert _changed(shown, again) < CHANGED / 10


def test_hiding_every_vessel_changes_the_pixels(page, case_of, planned):
    shown = _canvas(page)
    vessels = _vessel_boxes(page, case_of(planned.scenario).scene)
    for group in vessels:
        _click(page, _box(group))
    hidden = _canvas(page)
    for group in vessels:
        _click(page, _box(group))
    assert _changed(shown, hidden) > 10 * CHANGED


@pytest.mark.parametrize("name, first, second", [("mvd-state", "before", "after"),
                                                 ("mvd-phase", "systole", "diastole")])
def test_switching_state_or_phase_changes_the_pixels(page, name, first, second):
    one = _canvas(page)
    _click(page, f'input[name="{name}"][value="{second}"]')
    other = _canvas(page)
    _click(page, f'input[name="{name}"][value="{first}"]')
    back = _canvas(page)
    assert _changed(one, other) > CHANGED / 4  # the pulse moves a vessel by a fraction of a mm
    assert _changed(one, back) < CHANGED / 40


def test_the_pads_show_only_after_the_operation(page):
    _click(page, _box("pads"))  # hide the pads
    after_without = (_click(page, 'input[name="mvd-state"][value="after"]'), _canvas(page))[1]
    _click(page, _box("pads"))
    after_with = _canvas(page)
    _click(page, 'input[name="mvd-state"][value="before"]')
    before_with = _canvas(page)
    _click(page, _box("pads"))
    before_without = _canvas(page)
    _click(page, _box("pads"))
    assert _changed(after_with, after_without) > CHANGED / 4
    assert _changed(before_with, before_without) == 0.0


def test_dragging_turns_the_scene_and_reset_puts_it_back(page):
    from selenium.webdriver.common.action_chains import ActionChains

    start = _canvas(page)
    canvas = page.find_element("css selector", "#mvd-scene canvas")
    # short moves in quick succession: vtk.js ends a drag after 200 ms without a move
    drag = ActionChains(page, duration=20).move_to_element(canvas).click_and_hold()
    for _ in range(10):
        drag = drag.move_by_offset(12, 4)
    drag.release().perform()
    turned = _canvas(page)
    _click(page, "#mvd-scene-reset")
    reset = _canvas(page)
    assert _changed(start, turned) > 10 * CHANGED
    assert _changed(start, reset) < CHANGED / 10


def test_the_page_requests_nothing_from_anywhere(page, planned_report):
    text = planned_report.read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//|file:)", text, re.I)
    assert "default-src 'none'" in text  # anything that tried would be blocked, and logged
    requested = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    assert requested == []
    linked = page.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href]'))"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'));")
    assert all(not re.match(r"\s*(https?:|//)", url) for url in linked)
