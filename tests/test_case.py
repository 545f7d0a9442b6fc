"""The Case: a scenario's overrides go wherever the case goes (API, CLI, dataset runner), and
building a case never solves anything."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest
import yaml

import mvd_sim
from mvd_sim.case import Case
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import generate
from support import run_cli

# The arachnoid holding the VA 1000 times more firmly: no pad can move it off the nerve
# without pressing the nerve too hard, so the planner finds no plan (with the defaults it does).
STIFF = {"arachnoid_push_mn_per_mm": 1000.0}
CASE = "va_as_severe_left"


@pytest.fixture
def stiff_file(tmp_path):
    data = yaml.safe_load(mvd_sim.bundled_scenarios()[CASE].read_text(encoding="utf-8"))
    path = tmp_path / "stiff.yaml"
    path.write_text(yaml.safe_dump({**data, "mechanics": STIFF}), encoding="utf-8")
    return path


def test_a_case_carries_its_scenarios_mechanics(stiff_file):
    stiff, default = Case.from_yaml(stiff_file), Case.bundled(CASE)
    assert stiff.materials.arachnoid_push_mn_per_mm == 1000.0
    assert default.materials == mvd_sim.Materials()
    assert stiff.name == "stiff" and stiff.source == stiff_file
    assert stiff.fingerprint != default.fingerprint


def test_building_a_case_never_solves(tmp_path, monkeypatch):
    import mvd_sim.mechanics.solver as solver

    data = yaml.safe_load(mvd_sim.bundled_scenarios()[CASE].read_text(encoding="utf-8"))
    path = tmp_path / "operated.yaml"
    path.write_text(yaml.safe_dump({**data, "sponges": [{"diameter_mm": 2.0, "s_mm": 5.0}]}),
                    encoding="utf-8")

    def no_solve(*args, **kwargs):
        raise AssertionError("building a case solved the mechanics")

    monkeypatch.setattr(solver, "solve", no_solve)
    case = mvd_sim.load_case(path)
    assert len(case.pads) == 1 and case.scene.sponges == ()
    assert mvd_sim.load_scene(path).sponges == ()


def test_the_override_changes_the_plan_through_the_api(stiff_file):
    assert mvd_sim.plan(Case.bundled(CASE)).feasible
    stiff = mvd_sim.plan(Case.from_yaml(stiff_file))
    assert not stiff.feasible and stiff.message.startswith("no plan")


def test_the_override_changes_the_plan_through_the_cli(stiff_file, tmp_path):
    assert run_cli("plan", CASE, cwd=tmp_path).returncode == 0
    result = run_cli("plan", stiff_file.name, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "NO PLAN" in result.stdout


def test_the_override_changes_the_outcomes_through_the_dataset_runner(tmp_path):
    """Priors may fix materials for every case they draw; the planner uses them."""
    priors = load_priors()
    stiff = priors.model_copy(update={"mechanics": type(priors.mechanics)(**STIFF)})
    rows = {}
    for name, chosen in (("default", priors), ("stiff", stiff)):
        generate(1, 1, tmp_path / name, chosen, decompress=True)
        rows[name] = ds.dataset(tmp_path / name / "cases").to_table().to_pylist()[0]
    # the AICA held 1000 times more firmly: no pad lifts it off the nerve, a sling does
    assert (rows["default"]["plan_moves"], rows["stiff"]["plan_moves"]) == \
        (["pad"], ["transposition"])
    # the case row's scenario carries the materials it was solved with
    assert "arachnoid_push_mn_per_mm" not in rows["default"]["scenario_yaml"]
    assert "arachnoid_push_mn_per_mm: 1000.0" in rows["stiff"]["scenario_yaml"]
