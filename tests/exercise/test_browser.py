"""Answering an exercise in the browser app (``mvd-sim serve ex/``): its case alone, without
contact patches or verdict; a click on the culprit places a pad, which the app saves as the
answer's pads, and the grader takes that file."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from support import EXERCISE_SECRET
from mvd_sim.core.errors import MvdSimError
from mvd_sim.exercise.browser import ANSWER, handout, save_pads
from mvd_sim.exercise.grade import grade_exercise
from mvd_sim.viz.camera import project
from mvd_sim.viz.palette import SEVERITY_COLORS


def _hue_pixels(image: np.ndarray, rgb) -> int:
    """Pixels whose colour is a shade of ``rgb`` (same channel ratios within 0.15)."""
    image = image.astype(float)
    target = np.asarray(rgb, float) / max(rgb)
    brightness = image.max(axis=-1, keepdims=True)
    ratios = image / np.maximum(brightness, 1.0)
    return int(((brightness[..., 0] > 60) & (np.abs(ratios - target).max(axis=-1) < 0.15)).sum())


def _app(cases, first, name, **kwargs):
    from trame.app import get_server

    from mvd_sim.viz.app import ServeApp

    return ServeApp(cases, first, server=get_server(name, client_type="vue3"), **kwargs)


def _picture(app) -> np.ndarray:
    app.plotter.render()
    return np.asarray(app.plotter.screenshot(return_img=True))[..., :3]


@pytest.fixture()
def folder(exercise_folder, tmp_path):
    copy = tmp_path / "ex"
    shutil.copytree(exercise_folder, copy)
    return copy


def _click_on_culprit(app, vessel: str) -> str:
    """Click the app's picture where the culprit shows nearest CN VII (the app's own pick):
    the message of the first click that places a pad."""
    scene = app.session.scene
    tube, nerve = scene.vessels[vessel], scene.nerves["CN7"]
    gaps = [np.min(np.linalg.norm(nerve.points - p, axis=1)) for p in tube.points]
    width, height = app.plotter.ren_win.GetSize()
    for k in np.argsort(gaps)[:40]:
        column, row, _ = project(tube.points[k], app.camera, (width, height))[0]
        message = app.pick(column, height - row)
        if message.startswith("pad1:"):
            return message
    pytest.fail(f"no click on {vessel} placed a pad")


def test_the_exercise_is_served_without_patches_or_verdict_and_saves_its_pads(folder):
    from mvd_sim.viz.app import EXERCISE_NOTE

    served = handout(folder)
    app = _app({served.name: served.scenario}, served.name, "test-exercise-served",
               handout=served)
    try:
        state = app.server.state
        assert state.exercise and state.verdict == EXERCISE_NOTE
        assert list(app.cases) == ["exercise easy-s0"]
        assert not any(entry["text"].startswith("contact") for entry in state.legend)
        hidden = _picture(app)
        message = _click_on_culprit(app, "v3")
        assert message.startswith("pad1: a ") and "for v3" in message
        assert state.verdict == EXERCISE_NOTE
        said = app.save_answer()
        assert said.startswith(f"wrote 1 pad(s) to {folder / ANSWER}")
        pad = app.session.pads[0]
    finally:
        app.plotter.close()
    shown_app = _app({"case": served.scenario}, "case", "test-exercise-shown")
    try:
        shown = _picture(shown_app)
    finally:
        shown_app.plotter.close()
    moderate = SEVERITY_COLORS["moderate"]   # easy 0: one moderate contact
    assert _hue_pixels(shown, moderate) > 15 and _hue_pixels(hidden, moderate) < 5

    answer = yaml.safe_load((folder / ANSWER).read_text())
    assert answer["pads"] == [{k: v for k, v in pad.model_dump(
        mode="json", exclude_defaults=True, exclude={"id"}).items()}]
    # the trainee fills in the identification; the grader simulates the pad saved
    answer.update(culprits=["v3"], pattern="single",
                  contacts=[{"vessel": "v3", "segment": "AS", "severity": "moderate"}])
    (folder / ANSWER).write_text(yaml.safe_dump(answer))
    grade = grade_exercise(folder, folder / ANSWER, EXERCISE_SECRET.encode(), picture=False)
    assert grade.score("identification") == 20
    on_culprits = next(i for i in grade.items if i.key == "on_culprits")
    assert on_culprits.full


def test_saving_again_keeps_the_answers_other_fields(folder):
    from mvd_sim.scenario import SpongeSpec

    (folder / ANSWER).write_text("culprits: [v3]\npattern: single\npads: []\n")
    pad = SpongeSpec(vessel="v3", vessel_s_mm=15.0, diameter_mm=2.0)
    save_pads(folder, [pad])
    assert yaml.safe_load((folder / ANSWER).read_text()) == {
        "culprits": ["v3"], "pattern": "single",
        "pads": [{"diameter_mm": 2.0, "vessel_s_mm": 15.0, "vessel": "v3"}]}
    (folder / ANSWER).write_text("- a list\n")
    with pytest.raises(MvdSimError, match=r"answer.yaml: not a mapping of answer fields"):
        save_pads(folder, [pad])


def test_a_folder_that_is_not_an_exercise_is_refused_in_one_line(tmp_path):
    with pytest.raises(MvdSimError, match=r"exercise.yaml: missing; .* is not an exercise "
                                          r"folder"):
        (tmp_path / "scenario.yaml").write_text("x: 1\n")
        handout(tmp_path)


def _page_saves_the_answer(url: str, folder) -> None:
    """Open the app in a headless Chromium: the exercise's note where the verdict would be,
    no severity in the legend; its save button writes the answer file (no pad yet)."""
    import time

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from mvd_sim.viz.app import EXERCISE_NOTE

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None or shutil.which("chromedriver") is None:
        pytest.skip("needs Debian's chromium and chromedriver on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(url)

        def text(element_id: str) -> str:
            found = driver.find_elements(By.ID, element_id)
            return found[0].text.strip() if found else ""

        end = time.monotonic() + 60
        while text("verdict") != EXERCISE_NOTE and time.monotonic() < end:
            time.sleep(0.2)
        assert text("verdict") == EXERCISE_NOTE
        assert "contact" not in text("legend") and "PICA" in text("legend")
        driver.find_element(By.ID, "save-answer").click()
        while not (folder / ANSWER).exists() and time.monotonic() < end:
            time.sleep(0.2)
        assert yaml.safe_load((folder / ANSWER).read_text())["pads"] == []
        assert text("message").startswith("wrote 0 pad(s) to ")
    finally:
        driver.quit()


def test_mvd_sim_serve_an_exercise_folder_serves_saves_and_stops(folder):
    """``mvd-sim serve ex/`` in a child process: it prints its URL, its page in a real
    browser saves the answer, it stops on Ctrl-C; a folder that is not an exercise is one
    line and exit 1."""
    import re
    import signal
    import subprocess
    import sys
    import threading

    child = subprocess.Popen([sys.executable, "-m", "mvd_sim", "serve", str(folder), "--port",
                              "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(90)
    try:
        found = re.search(r"http://127\.0\.0\.1:\d+/", lines[0]) if lines else None
        assert found, lines
        _page_saves_the_answer(found.group(0), folder)
    finally:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0 and "stopped" in out
    bad = folder.parent / "not_an_exercise"
    bad.mkdir()
    result = subprocess.run([sys.executable, "-m", "mvd_sim", "serve", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "is not an exercise folder" in result.stderr
