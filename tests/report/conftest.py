"""A real headless Chromium (Debian's chromium and chromedriver) that renders WebGL in
software (SwiftShader), for the HTML report's tests; they skip, saying why, only when the
browser or its driver is not installed."""

import shutil

import pytest

import mvd_sim

#: The case the planned report is made for (two culprits, two pads); its name is also
#: ``planned.scenario``.
PLANNED_CASE = "multi_aica_pica_right"

#: Chromium's flags: headless, and WebGL through ANGLE on SwiftShader (no GPU here).
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                  "--window-size=1280,1000")


@pytest.fixture(scope="module")
def chromium():
    """A function opening a new headless Chromium (closed at the module's end), which keeps
    every console message (``driver.get_log("browser")``)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("needs Debian's chromium and chromedriver on PATH (apt-get install "
                    "chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened = []

    def start():
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        opened.append(webdriver.Chrome(service=Service(driver_path), options=options))
        return opened[-1]

    yield start
    for driver in opened:
        driver.quit()


@pytest.fixture(scope="session")
def planned(case_of):
    """The plan of :data:`PLANNED_CASE` (two pads)."""
    return mvd_sim.plan(case_of(PLANNED_CASE))


@pytest.fixture(scope="session")
def planned_report(case_of, planned, tmp_path_factory):
    """The report file of :data:`PLANNED_CASE` after its plan, as ``mvd-sim report --plan``
    writes it (pictures, the 3D scene, the outcome)."""
    from mvd_sim.report.build import case_report
    from mvd_sim.report.html import write_case_report

    return write_case_report(tmp_path_factory.mktemp("planned") / "case.html",
                             case_report(case_of(PLANNED_CASE), planned.operation))
