"""Each imported tube's fit uncertainty: the RMS residual of its label's surface about the
fitted tube, recorded in the scenario (``anatomy.segmented.surface_rms_mm``) and reported by
``analyze`` (text and JSON) beside the thresholds' basis."""

import json
from pathlib import Path

import numpy as np
import pytest

import mvd_sim
from mvd_sim.cli import main
from mvd_sim.segmentation import write_import
from mvd_sim.segmentation.sections import surface_rms_mm

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data"


def _cylinder(radius: float, length: float = 10.0) -> np.ndarray:
    """Points on a cylinder along x (mm), its wall only."""
    x, angle = np.meshgrid(np.linspace(0.5, length - 0.5, 40),
                           np.linspace(0, 2 * np.pi, 36, endpoint=False))
    return np.column_stack([x.ravel(), radius * np.cos(angle.ravel()),
                            radius * np.sin(angle.ravel())])


@pytest.mark.parametrize("offset", [0.0, 0.05, -0.1])
def test_the_rms_of_a_cylinder_about_a_tube_is_their_radial_offset(offset):
    line = np.column_stack([np.linspace(0.0, 10.0, 21), np.zeros(21), np.zeros(21)])
    rms = surface_rms_mm(line, np.full(21, 1.0), _cylinder(1.0 + offset))
    assert rms == pytest.approx(abs(offset), abs=1e-3)


def test_end_caps_are_no_wall():
    line = np.column_stack([np.linspace(0.0, 10.0, 21), np.zeros(21), np.zeros(21)])
    cap = np.column_stack([np.full(50, 10.4), np.linspace(-0.9, 0.9, 50), np.zeros(50)])
    rms = surface_rms_mm(line, np.full(21, 1.0), np.vstack([_cylinder(1.0), cap]))
    assert rms == pytest.approx(0.0, abs=1e-3)


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[mvd_sim.ImportResult, Path]:
    result = mvd_sim.import_case(EXAMPLE / "pica_rdp_moderate_left.nii.gz",
                                 EXAMPLE / "pica_rdp_moderate_left.labels.yaml")
    path = tmp_path_factory.mktemp("imported") / "case.yaml"
    write_import(result, path)
    return result, path


def test_each_tube_records_its_fit_uncertainty(imported):
    result, _ = imported
    segmented = result.spec.anatomy.segmented
    assert set(segmented.surface_rms_mm) == {"CN7", "CN8", *(v.id for v in result.spec.vessels)}
    # within a voxel: the label's steps and noise, not a tube that misses its label
    assert all(0.0 < rms < segmented.voxel_mm for rms in segmented.surface_rms_mm.values())


def test_analyze_reports_it_beside_the_thresholds_basis(imported, tmp_path, capsys):
    result, path = imported
    out = tmp_path / "report.json"
    assert main(["analyze", str(path), "--json", "-o", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    segmented = result.spec.anatomy.segmented
    assert report["thresholds_basis"].startswith("imaged case")
    assert report["fit_rms_mm"] == {"brainstem": segmented.fit_rms_mm,
                                    **segmented.surface_rms_mm}
    assert main(["analyze", str(path)]) == 0
    text = capsys.readouterr().out
    assert "fit uncertainty" in text and f"CN7 {segmented.surface_rms_mm['CN7']:.2f}" in text


def test_an_atlas_case_reports_none():
    assert mvd_sim.analyze(mvd_sim.load_scene("aica_as_moderate_right")).fit_rms_mm is None
