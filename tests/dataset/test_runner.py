"""Datasets: seeded, byte-identical whatever the workers (a real two-worker LocalCluster),
resumable, with a manifest and a card; every case re-opens as a scenario."""

import json
import shutil

import pyarrow.parquet as pq
import pytest

import mvd_sim
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import generate

N, SHARD = 4, 2


def _tables(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("in_process")
    generate(N, 11, out, load_priors(), shard_size=SHARD)
    return out


def test_tables_manifest_and_card(in_process):
    cases = pq.read_table(in_process / "cases-00000.parquet").to_pylist()
    assert [c["case"] for c in cases] == [0, 1]
    manifest = json.loads((in_process / "manifest.json").read_text())
    assert manifest["complete"] and manifest["counts"]["cases"] == N
    assert manifest["seed"] == 11 and manifest["priors"]["culprit"]["AICA"] == 0.43
    card = (in_process / "README.md").read_text()
    assert f"{N} cases" in card and "| AICA |" in card
    attempts = [row["attempt"] for k in range(N // SHARD)
                for row in pq.read_table(in_process / f"cases-{k:05d}.parquet").to_pylist()]
    assert f"{sum(a > 0 for a in attempts)} of {N} cases" in card
    assert (in_process / "distributions.png").read_bytes()[:4] == b"\x89PNG"
    contacts = pq.read_table(in_process / "contacts-00000.parquet")
    assert {"min_separation_mm", "severity", "nerve_point_x_mm"} <= set(contacts.column_names)


def test_every_case_reopens_as_its_scenario(in_process, tmp_path):
    for row in pq.read_table(in_process / "cases-00001.parquet").to_pylist():
        path = tmp_path / f"case{row['case']}.yaml"
        path.write_text(row["scenario_yaml"])
        report = mvd_sim.analyze(mvd_sim.load_scene(path))
        assert report.pattern == row["pattern"]


def test_same_seed_same_bytes_on_a_two_worker_cluster(in_process, tmp_path):
    generate(N, 11, tmp_path, load_priors(), shard_size=SHARD, workers=2)
    assert _tables(tmp_path) == _tables(in_process)


def test_an_interrupted_run_resumes(in_process, tmp_path):
    shutil.copytree(in_process, tmp_path / "ds")
    (tmp_path / "ds" / "cases-00001.parquet").unlink()  # as if stopped mid-shard
    summary = generate(N, 11, tmp_path / "ds", load_priors(), shard_size=SHARD)
    assert (summary.written, summary.skipped) == (1, 1)
    assert _tables(tmp_path / "ds") == _tables(in_process)


def test_a_folder_holding_another_dataset_is_refused(in_process, tmp_path):
    shutil.copytree(in_process, tmp_path / "ds")
    with pytest.raises(mvd_sim.MvdSimError, match="different dataset"):
        generate(N, 12, tmp_path / "ds", load_priors(), shard_size=SHARD)


def test_bad_priors_are_one_line(tmp_path):
    text = (mvd_sim.dataset.priors.DEFAULT_PRIORS_PATH.read_text()
            .replace("multivessel_rate: 0.38", "multivessel_rate: 1.5"))
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(mvd_sim.ScenarioError, match="p.yaml: multivessel_rate") as err:
        load_priors(tmp_path / "p.yaml")
    assert "\n" not in str(err.value)


def test_meshes_and_predicted_outcome(tmp_path):
    generate(1, 5, tmp_path, load_priors(), shard_size=1, meshes=True, decompress=True)
    (row,) = pq.read_table(tmp_path / "cases-00000.parquet").to_pylist()
    assert isinstance(row["plan_feasible"], bool)
    if row["plan_pads"]:
        assert row["postop_decompressed"] == row["plan_feasible"]
        assert row["postop_worst_clearance_mm"] is not None
    meshes = sorted(p.name for p in (tmp_path / "meshes" / "case0000000").iterdir())
    assert "brainstem.vtp" in meshes and "CN7.vtp" in meshes
    assert json.loads((tmp_path / "manifest.json").read_text())["decompress"] is True
