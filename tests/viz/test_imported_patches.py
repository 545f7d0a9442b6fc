"""An imported case's pictures grade its contact patches as its report does: with the
case's own thresholds (widened to its image's voxel, :func:`mvd_sim.case.case_thresholds`),
not the engine's defaults. Checked on a real render made by ``mvd-sim render``."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mvd_sim
from mvd_sim.cli import main
from mvd_sim.core.labels import DEFAULT_THRESHOLDS
from mvd_sim.scenario import scenario_to_yaml
from mvd_sim.viz.palette import SEVERITY_COLORS
from mvd_sim.viz.render import render

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data"
SIZE = "900x700"


@pytest.fixture(scope="module")
def coarse_case(tmp_path_factory) -> Path:
    """The shipped example volume imported and recorded as from a 1.0 mm study (contact and
    indentation thresholds 0.40 mm): its PICA indents CN VII about 0.33 mm (0.30 in the
    atlas case it was made from), moderate by the defaults and mild by the case's
    thresholds."""
    result = mvd_sim.import_case(EXAMPLE / "pica_rdp_moderate_left.nii.gz",
                                 EXAMPLE / "pica_rdp_moderate_left.labels.yaml")
    anatomy = result.spec.anatomy
    segmented = anatomy.segmented.model_copy(update={"voxel_mm": 1.0})
    spec = result.spec.model_copy(update={"anatomy": anatomy.model_copy(
        update={"segmented": segmented})})
    path = tmp_path_factory.mktemp("imported") / "case.yaml"
    path.write_text(scenario_to_yaml(spec), encoding="utf-8")
    return path


def _count(image: np.ndarray, severity: str) -> int:
    """Pixels drawn in a severity's colour (the patches are drawn flat, on top; the legend
    shows every severity's swatch in every picture)."""
    return int(np.all(image == SEVERITY_COLORS[severity], axis=-1).sum())


def test_the_case_and_the_defaults_grade_its_contact_differently(coarse_case):
    case = mvd_sim.load_case(coarse_case)
    assert [c.severity for c in mvd_sim.analyze(case.scene, case.thresholds).contacts] == \
        ["mild"]
    assert [c.severity for c in mvd_sim.analyze(case.scene, DEFAULT_THRESHOLDS).contacts] == \
        ["moderate"]


def test_render_paints_the_patch_as_the_case_grades_it(coarse_case, tmp_path):
    out = tmp_path / "case.png"
    assert main(["render", str(coarse_case), "-o", str(out), "--size", SIZE]) == 0
    shown = np.asarray(Image.open(out).convert("RGB"))
    case = mvd_sim.load_case(coarse_case)
    # the same picture graded with the defaults, as the renderer did before
    default = np.asarray(Image.open(render([(case.scene, case.name)], tmp_path / "d.png",
                                           size=(900, 700))).convert("RGB"))
    assert _count(shown, "mild") - _count(default, "mild") >= 50
    assert _count(default, "moderate") - _count(shown, "moderate") >= 50


def test_the_3d_scene_paints_it_so_too(coarse_case):
    """The parts the browser and the report's 3D section draw (:func:`web_parts`)."""
    from mvd_sim.viz.camera import camera_for
    from mvd_sim.viz.webscene import web_parts

    case = mvd_sim.load_case(coarse_case)
    camera = camera_for(case.scene, "retrosigmoid")
    patches = {part.color for _, part in web_parts(case.scene, camera,
                                                   thresholds=case.thresholds)
               if part.group == "contact"}
    assert patches == {SEVERITY_COLORS["mild"]}
