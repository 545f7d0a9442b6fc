"""The README's picture of the HTML case report: the report of ``multi_aica_pica_right`` with
its plan, opened in Debian's headless Chromium (software WebGL), at its 3D scene.

    python examples/report_screenshot.py docs/report_3d.png

Needs ``chromium`` and ``chromedriver`` (``apt-get install chromium chromium-driver``) and the
test extra (selenium).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import mvd_sim
from mvd_sim.report.build import case_report
from mvd_sim.report.html import write_case_report

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                  "--window-size=1280,900", "--hide-scrollbars")


def main(out: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    case = mvd_sim.load_case("multi_aica_pica_right")
    with tempfile.TemporaryDirectory() as folder:
        page = write_case_report(Path(folder) / "case.html",
                                 case_report(case, mvd_sim.plan(case).operation))
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            driver.get(page.as_uri())
            WebDriverWait(driver, 120).until(lambda d: d.execute_script(
                "return document.getElementById('mvd-scene').dataset.ready === 'true'"))
            driver.execute_script("document.getElementById('mvd-scene').scrollIntoView();"
                                  "window.scrollBy(0, -190)")
            time.sleep(3)   # two frames drawn in software
            driver.save_screenshot(out)
        finally:
            driver.quit()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "report_3d.png")
