"""A dataset of given scenarios (issue #24: an imported case taken by the dataset-style
export): an imported and a bundled case exported, their rows as ``analyze`` reports the
cases, a sampled case's row made again from its scenario, bad scenarios refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

import mvd_sim
from mvd_sim.case import load_case
from mvd_sim.core.errors import MvdSimError
from mvd_sim.dataset import store
from mvd_sim.dataset.given import export_scenarios
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import generate
from mvd_sim.dataset.tables import cases_schema
from mvd_sim.segmentation import write_import

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data"
BUNDLED = "multi_aica_pica_right"
# columns only a sampled case has
SAMPLED_ONLY = ("seed", "attempt", "asked_culprits", "control", "label", "cause")


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    result = mvd_sim.import_case(EXAMPLE / "pica_rdp_moderate_left.nii.gz",
                                 EXAMPLE / "pica_rdp_moderate_left.labels.yaml")
    path = tmp_path_factory.mktemp("imported") / "patient.yaml"
    write_import(result, path)
    return path


@pytest.fixture(scope="module")
def coarse(imported) -> Path:
    """The imported case as if imaged at 1 mm: graded at 0.4 mm thresholds, its PICA's
    0.33 mm indentation is mild (moderate at the defaults)."""
    path = imported.with_name("coarse.yaml")
    text = imported.read_text()
    assert text.count("voxel_mm: 0.5\n") == 1
    path.write_text(text.replace("voxel_mm: 0.5\n", "voxel_mm: 1.0\n"))
    return path


@pytest.fixture(scope="module")
def given(imported, coarse) -> list:
    return [imported, BUNDLED, coarse]


@pytest.fixture(scope="module")
def exported(given, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("given") / "ds"
    summary = export_scenarios(given, out, shard_size=1, meshes=True)
    assert (summary.written, summary.skipped) == (3, 0)
    return out


def _reported(scenario) -> list[tuple]:
    """What ``analyze`` reports of each contact: vessel, nerve, segment, severity, depth and
    deviation (mm)."""
    case = load_case(scenario)
    report = mvd_sim.analyze(case.scene, case.thresholds)
    return [(c.vessel, c.nerve, c.segment, c.severity, c.indentation_mm, c.deviation_mm)
            for c in report.contacts]


def test_rows_are_what_analyze_reports(given, exported):
    cases = pd.read_parquet(exported / "cases")
    contacts = pd.read_parquet(exported / "contacts")
    assert cases["case"].tolist() == [0, 1, 2]
    assert cases["name"].tolist() == ["patient", BUNDLED, "coarse"]
    for index, scenario in enumerate(given):
        expected = _reported(scenario)
        mine = contacts[contacts["case"] == index]
        assert list(zip(mine["vessel"], mine["nerve"], mine["segment"], mine["severity"],
                        mine["indentation_mm"], mine["deviation_mm"])) == expected
        row = cases.iloc[index]
        cn7 = [c for c in expected if c[1] == "CN7"]
        assert row["cn7_contact_count"] == len(cn7) > 0
        assert row["primary_segment"] == cn7[0][2]
        severities = ("mild", "moderate", "severe")
        assert row["worst_severity"] == max((c[3] for c in cn7), key=severities.index)
        assert all(row[column] is None or pd.isna(row[column]) for column in
                   ("seed", "attempt", "control", "label", "cause"))
        assert (exported / row["mesh_path"]).stat().st_size > 1000
    assert cases.loc[0, "side"] == "left" and list(cases.loc[0, "culprits"]) == ["PICA"]
    assert list(cases.loc[1, "culprits"]) == ["AICA", "PICA"]
    # an imported case is graded at its image's thresholds, as analyze grades it
    assert cases["worst_severity"].tolist() == ["moderate", "moderate", "mild"]


def test_the_folder_is_a_dataset_as_a_sampled_one_is(imported, exported):
    assert ds.dataset(exported / "cases").to_table().schema == cases_schema(False)
    manifest = json.loads((exported / store.MANIFEST_NAME).read_text())
    assert manifest["complete"] and manifest["counts"]["cases"] == 3
    assert [s["name"] for s in manifest["scenarios"]] == ["patient", BUNDLED, "coarse"]
    assert manifest["scenarios"][0]["source"] == str(imported)
    assert len(manifest["shards"]) == 3
    card = (exported / "README.md").read_text()
    assert "3 cases" in card and f"| 1 | {BUNDLED} |" in card and "read_parquet" in card
    assert "| 0 | patient | " in card and "| left | single | PICA | moderate | RDP |" in card
    assert "meshes/caseNNNNNNN.vtp" in card


def test_a_second_run_resumes_and_other_scenarios_are_refused(given, exported, tmp_path):
    import shutil

    shutil.copytree(exported, tmp_path / "ds")
    again = export_scenarios(given, tmp_path / "ds", shard_size=1, meshes=True)
    assert (again.written, again.skipped) == (0, 3)
    with pytest.raises(MvdSimError, match="holds a different dataset"):
        export_scenarios(given[::-1], tmp_path / "ds", shard_size=1, meshes=True)


def test_a_sampled_case_exported_from_its_scenario_gets_the_same_row(tmp_path):
    generate(2, 3, tmp_path / "sampled", load_priors(), shard_size=2)
    sampled = pd.read_parquet(tmp_path / "sampled" / "cases")
    paths = []
    for row in sampled.itertuples():
        paths.append(tmp_path / f"{row.name}.yaml")
        paths[-1].write_text(row.scenario_yaml)
    export_scenarios(paths, tmp_path / "given", shard_size=2)
    given = pd.read_parquet(tmp_path / "given" / "cases")
    shared = [c for c in sampled.columns if c not in SAMPLED_ONLY + ("asked_compressions",)]
    pd.testing.assert_frame_equal(given[shared], sampled[shared])
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "given" / "contacts"),
                                  pd.read_parquet(tmp_path / "sampled" / "contacts"))


@pytest.mark.parametrize("bad, message", [
    ("missing.yaml", "missing.yaml"),
    ("bad.yaml", "bad.yaml"),
])
def test_a_bad_scenario_is_refused_before_anything_is_written(tmp_path, bad, message):
    (tmp_path / "bad.yaml").write_text("schema_version: 1\ntitle: t\ndescription: d\n"
                                       "side: right\nvessels:\n"
                                       "  - {id: a, type: AICA, radius_mm: 50}\n")
    with pytest.raises(MvdSimError, match=message) as error:
        export_scenarios([BUNDLED, tmp_path / bad], tmp_path / "ds")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "ds").exists()


def test_no_scenario_is_refused(tmp_path):
    with pytest.raises(MvdSimError, match="--scenarios"):
        export_scenarios([], tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
