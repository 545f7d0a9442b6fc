"""``mvd-sim serve`` in a real headless Chromium: the page loads, the 3D view shows the case,
a click on a vessel places a pad and changes the verdict, stepping the pulse changes the
picture; and the server stops cleanly on Ctrl-C."""

import io
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mvd_sim.case import Case
from mvd_sim.core.geometry.closest import closest_approach, point_polyline
from mvd_sim.scene.pick import first_hit
from mvd_sim.surgery.session import Session
from mvd_sim.viz.camera import camera_for, project
from mvd_sim.viz.palette import BACKGROUND

CASE = "aica_as_moderate_right"
START_TIMEOUT_S = 60.0
WAIT_S = 30.0


def _start_server(*args: str) -> tuple[subprocess.Popen, str]:
    """``mvd-sim serve ARGS --port 0`` in a child process, and its URL once it listens."""
    child = subprocess.Popen([sys.executable, "-m", "mvd_sim", "serve", *args, "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    found = re.search(r"http://127\.0\.0\.1:\d+/", lines[0]) if lines else None
    if found is None:
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"mvd-sim serve did not start in {START_TIMEOUT_S:g} s: {lines} {err}")
    return child, found.group(0)


def _stop(child: subprocess.Popen) -> tuple[int, str, str]:
    """Ctrl-C (SIGINT) the server; killed if it is still up after 10 s."""
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        return -9, out, err
    return child.returncode, out, err


@pytest.fixture(scope="module")
def server():
    child, url = _start_server(CASE)
    try:
        yield url
    finally:
        if child.poll() is None:
            _stop(child)


@pytest.fixture(scope="module")
def browser(server):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(server)
        _wait(driver, lambda: _text(driver, "verdict"), "the verdict to show")
        # until the server's first picture arrives the view is the page's white
        _wait(driver, lambda: np.all(_picture(driver) == 255, axis=2).mean() < 0.5,
              "the 3D view to show the case")
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str, timeout: float = WAIT_S):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page may still be building
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def _text(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text.strip()


def _view(driver):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "view")


def _picture(driver) -> np.ndarray:
    """(h, w, 3) int: a screenshot of the 3D view."""
    from PIL import Image

    png = _view(driver).screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _changed(a: np.ndarray, b: np.ndarray) -> int:
    """How many pixels differ clearly (beyond JPEG noise) between two pictures."""
    assert a.shape == b.shape, "the 3D view changed size"
    return int(np.count_nonzero(np.abs(a - b).max(axis=2) > 40))


def _sight(camera, size: tuple[int, int], column: float, row: float) -> np.ndarray:
    """The direction of the line of sight through a pixel (the inverse of
    :func:`~mvd_sim.viz.camera.project`)."""
    forward, right, up = camera.basis()
    half = np.tan(np.radians(camera.view_angle_deg) / 2)
    x, y = 2 * column / size[0] - 1, 1 - 2 * row / size[1]
    return forward + x * half * size[0] / size[1] * right + y * half * up


def _pixel_showing(name: str, s_mm: float, width: int, height: int) -> tuple[float, float]:
    """A pixel of the picture showing tube ``name`` (a vessel or nerve, in the scene the app
    starts with) near arc length ``s_mm`` along it, from the surgeon's camera: the nearest
    point of its course whose pixel, and every pixel within 2 of it, look first (from the
    dural opening, where the picture starts) at that tube within 1.5 mm of that point."""
    case = Case.bundled(CASE)
    scene = Session.start(case).scene
    tube = {**scene.vessels, **scene.nerves}[name]
    camera = camera_for(case.scene, "retrosigmoid")
    forward = camera.basis()[0]

    def seen_arc(column: float, row: float) -> float:
        sight = _sight(camera, (width, height), column, row)
        hit = first_hit(scene, camera.position + camera.near_mm / (sight @ forward) * sight,
                        sight)
        if hit is None or hit.name != name:
            return np.inf
        _, seg, u, _ = point_polyline(hit.point[None], tube.points)
        return tube.s[seg[0]] + u[0] * (tube.s[seg[0] + 1] - tube.s[seg[0]])

    for offset in np.arange(0.0, 6.0, 0.25):
        for s in (s_mm + offset, s_mm - offset):
            column, row, _ = project(tube.point_at(s), camera, (width, height))[0]
            if all(abs(seen_arc(column + dx, row + dy) - s) <= 1.5
                   for dx in (-2, 0, 2) for dy in (-2, 0, 2)):
                return column, row
    pytest.fail(f"no point of {name} near {s_mm:.1f} mm along it is in view")


def _aica_at_cn7(width: int, height: int) -> tuple[float, float]:
    """A pixel showing the AICA where it comes closest to CN VII."""
    scene = Session.start(Case.bundled(CASE)).scene
    aica, nerve = scene.vessels["aica"], scene.nerves["CN7"]
    closest = closest_approach(aica.points, nerve.points, aica.radius, nerve.radius).arc_a
    return _pixel_showing("aica", closest, width, height)


def _click(driver, x: float, y: float) -> None:
    """Click the 3D view at pixel (x, y) from its top left."""
    from selenium.webdriver.common.action_chains import ActionChains

    view = _view(driver)
    size = view.size
    ActionChains(driver).move_to_element_with_offset(
        view, int(round(x - size["width"] / 2)), int(round(y - size["height"] / 2))).click() \
        .perform()


def test_app_loads_without_console_errors(browser):
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert _text(browser, "verdict").startswith("Not decompressed: aica still touches CN VII")


def test_the_3d_view_shows_the_case(browser):
    picture = _picture(browser)
    assert picture.std() > 20
    background = np.all(np.abs(picture - np.array(BACKGROUND)) <= 8, axis=2)
    assert 0.1 < 1.0 - background.mean() < 0.95  # the case fills part of the view, not all


def test_a_click_on_the_vessel_places_a_pad_and_the_verdict_changes(browser):
    before, verdict = _picture(browser), _text(browser, "verdict")
    size = _view(browser).size
    _click(browser, *_aica_at_cn7(size["width"], size["height"]))
    after = _wait(browser, lambda: (v := _text(browser, "verdict")) != verdict and v,
                  "the verdict to change")
    assert after.startswith("Decompressed: every vessel clears CN VII")
    assert "pad1" in _text(browser, "pads") and "aica" in _text(browser, "pads")
    assert _wait(browser, lambda: _changed(before, _picture(browser)) > 100,
                 "the pad to show in the picture")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_click_on_the_nerve_places_nothing(browser):
    pads = _text(browser, "pads")
    size = _view(browser).size
    # CN VIII: from the retrosigmoid view it lies in front of CN VII along most of its course
    cn8 = Case.bundled(CASE).scene.rest_nerves["CN8"]
    _click(browser, *_pixel_showing("CN8", cn8.length_mm / 2, size["width"], size["height"]))
    message = _wait(browser, lambda: "not a vessel" in (m := _text(browser, "message")) and m,
                    "the refusal")
    assert message.startswith("the click met CN8, not a vessel")
    assert _text(browser, "pads") == pads


def test_undo_takes_the_pad_out(browser):
    from selenium.webdriver.common.by import By

    if "pad1" not in _text(browser, "pads"):
        pytest.skip("needs the pad of the test before")
    browser.find_element(By.ID, "undo").click()
    _wait(browser, lambda: _text(browser, "verdict").startswith("Not decompressed"),
          "the verdict to go back")
    assert "pad1" not in _text(browser, "pads")


def test_stepping_the_pulse_changes_the_picture(browser):
    from selenium.webdriver.common.by import By

    before, phase = _picture(browser), _text(browser, "phase-text")
    assert phase.startswith("phase 0.000")
    for _ in range(2):  # to phase 0.125, near the systolic peak
        browser.find_element(By.ID, "phase-next").click()
    _wait(browser, lambda: _text(browser, "phase-text").startswith("phase 0.125"),
          "the phase to step")
    assert _wait(browser, lambda: _changed(before, _picture(browser)) > 50,
                 "the picture to change with the pulse")


def test_ctrl_c_stops_the_server_cleanly():
    child, url = _start_server()
    code, out, err = _stop(child)
    assert code == 0, err
    assert out.strip().endswith("mvd-sim serve: stopped")
    assert "Traceback" not in err


def test_it_listens_on_127_0_0_1_only(server):
    port = int(server.rsplit(":", 1)[1].strip("/"))
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            pytest.skip("no /proc/net/tcp here")
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, and nothing else (no 0.0.0.0, no IPv6)


@pytest.mark.parametrize("args, fragments", [
    (("no_such_case", "--port", "0"), ("no_such_case: no such file or bundled scenario",)),
    (("--port", "70000"), ("--port: 70000 is not a port",)),
])
def test_bad_input_is_one_line(tmp_path, args, fragments):
    from support import assert_one_error_line, run_cli

    result = run_cli("serve", *args, cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error_line(result.stderr, *fragments)


def test_a_port_taken_is_one_line(tmp_path):
    import socket

    from support import assert_one_error_line, run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error_line(result.stderr, f"--port {port}: cannot listen on 127.0.0.1:{port}")


def test_no_other_host_is_offered(tmp_path):
    from support import run_cli

    result = run_cli("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "127.0.0.1 only" in result.stdout
    assert "--host" not in result.stdout
    assert run_cli("serve", "--host", "0.0.0.0", cwd=tmp_path).returncode == 2


def test_trame_loads_only_to_serve():
    code = ("import sys, mvd_sim.cli, mvd_sim.viz.app; mvd_sim.cli._parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('trame')}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_switches_case_and_removes_pads_in_process(case_of):
    """The app's own calls, without a browser: a pad placed at the AICA's pixel, removed by
    its id; another case shown from its start."""
    from trame.app import get_server

    from mvd_sim.viz.app import ServeApp, case_choices

    cases, first = case_choices(CASE)
    app = ServeApp(cases, first, server=get_server("test-serve-in-process", client_type="vue3"))
    try:
        state = app.server.state
        width, height = app.plotter.ren_win.GetSize()
        column, row = _aica_at_cn7(width, height)
        message = app.pick(column, height - row)
        assert message.startswith("pad1: a 1 mm pad on CN VII for aica"), message
        assert state.verdict.startswith("Decompressed") and state.decompressed
        # the pad is drawn over everything: a click where it shows meets it, not the vessel
        pad = app.session.scene.sponges[0]
        column, row, _ = project(pad.centre, app.camera, (width, height))[0]
        assert app.pick(column, height - row).startswith("the click met pad pad1, not a "
                                                         "vessel")
        assert [p["id"] for p in state.pads] == ["pad1"]
        app.remove_pad("pad1")
        assert state.pads == [] and state.verdict.startswith("Not decompressed")
        app.undo()
        assert [p["id"] for p in state.pads] == ["pad1"]
        app.load("near_miss_control_right")
        assert state.case_name == "near_miss_control_right" and state.pads == []
        assert app.session.case.name == "near_miss_control_right"
        assert state.verdict == app.session.verdict and not state.can_undo
    finally:
        app.plotter.close()
