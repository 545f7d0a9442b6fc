"""The ``mvd-sim`` command line, run as a user would: in a subprocess, from a scratch folder.

Each run imports the package (about 1.5 s) and some build a scene, so the runs are few and
shared through module-scoped fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mvd_sim
from mvd_sim.anatomy.context import CONTEXT_KINDS
from support import assert_one_error_line, run_cli

EXPORT_SCENARIO = "aica_as_moderate_right"
EXPORT_STRUCTURES = ("brainstem", "CN7", "CN8", "ba", "aica", "petrous", "CN9", "CN10", "CN11",
                     "flocculus", "cerebellum", "choroid_plexus")
BAD_RADIUS = ("schema_version: 1\ntitle: t\ndescription: d\nside: right\n"
              "vessels:\n  - {id: a, type: AICA, radius_mm: 50}\n")


# -- version, list, usage --------------------------------------------------------------------

@pytest.mark.parametrize("how", ["module", "console-script"])
def test_version(tmp_path, how):
    script = None
    if how == "console-script":
        script = shutil.which("mvd-sim")
        if script is None:
            pytest.skip("the mvd-sim console script is not on PATH")
    result = run_cli("--version", cwd=tmp_path, script=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mvd-sim {mvd_sim.__version__}\n"
    assert result.stderr == ""


def test_list_prints_every_bundled_scenario(tmp_path):
    result = run_cli("list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    bundled = mvd_sim.bundled_scenarios()
    assert [line.split()[0] for line in lines] == list(bundled)
    for line, path in zip(lines, bundled.values()):
        spec = mvd_sim.load_scenario(path)
        assert line.split()[1] == spec.side
        assert line.endswith(spec.title)


def test_no_subcommand_is_a_usage_error(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: mvd-sim" in result.stderr
    assert "required: COMMAND" in result.stderr
    assert "Traceback" not in result.stderr


# -- validate --------------------------------------------------------------------------------

def test_validate_two_bundled_scenarios(tmp_path):
    names = ("aica_as_moderate_right", "va_pushes_aica_right")
    result = run_cli("validate", *names, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, names):
        assert line.startswith("ok") and f" {name}: right side" in line, line
    assert lines[1].endswith("vessels: ba, aica, va")


def test_validate_malformed_file(tmp_path):
    (tmp_path / "bad_radius.yaml").write_text(BAD_RADIUS, encoding="utf-8")
    result = run_cli("validate", "bad_radius.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr, "bad_radius.yaml", "vessels[0].radius_mm",
                                 "(got 50)")
    assert line.startswith("invalid")


def test_validate_refuses_findings_the_analysis_does_not_reproduce(tmp_path):
    """A scenario whose findings say what its anatomy does not show is invalid, in one line
    naming the file and what differs."""
    text = mvd_sim.bundled_scenarios()["aica_as_moderate_right"].read_text(encoding="utf-8")
    assert "severity: moderate" in text and "pattern: single" in text
    wrong = text.replace("severity: moderate", "severity: severe").replace(
        "pattern: single", "pattern: double")
    (tmp_path / "wrong_findings.yaml").write_text(wrong, encoding="utf-8")
    result = run_cli("validate", "wrong_findings.yaml", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    line = assert_one_error_line(result.stderr, "wrong_findings.yaml", "findings:",
                                 "pattern 'double', the analysis finds 'single'")
    assert "(severe) not found" in line and "(moderate) not listed" in line


def test_validate_reports_good_file_after_a_bad_one(tmp_path):
    (tmp_path / "bad_radius.yaml").write_text(BAD_RADIUS, encoding="utf-8")
    good = tmp_path / "good_copy.yaml"
    shutil.copyfile(mvd_sim.bundled_scenarios()["atlas_default_right"], good)
    result = run_cli("validate", "bad_radius.yaml", good.name, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "bad_radius.yaml", "vessels[0].radius_mm")
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ok") and "good_copy.yaml" in lines[0]
    assert "bad_radius" not in result.stdout


# -- export-meshes ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def export_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cli_export")
    result = run_cli("export-meshes", EXPORT_SCENARIO, "-o", "out", "--format", "stl", cwd=cwd)
    return cwd, result


def test_export_writes_one_file_per_structure(export_run):
    cwd, result = export_run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = cwd / "out"
    expected = {f"{name}.stl" for name in EXPORT_STRUCTURES}
    # nothing else is left behind (e.g. the ".export-*" staging folder)
    assert {p.name for p in out.iterdir()} == expected
    printed = [Path(line) for line in result.stdout.splitlines()]
    assert [p.name for p in printed] == [f"{name}.stl" for name in EXPORT_STRUCTURES]
    assert all((cwd / p).is_file() for p in printed)


@pytest.mark.parametrize("name", EXPORT_STRUCTURES)
def test_exported_mesh_is_closed(export_run, name):
    trimesh = pytest.importorskip("trimesh")
    cwd, result = export_run
    assert result.returncode == 0, result.stderr
    mesh = trimesh.load(cwd / "out" / f"{name}.stl", force="mesh")
    assert len(mesh.faces) > 100
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.volume > 0  # outward-oriented


def test_export_unknown_format_is_a_usage_error(tmp_path):
    result = run_cli("export-meshes", EXPORT_SCENARIO, "-o", "out", "--format", "dxf",
                     cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'dxf'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_missing_scenario(tmp_path):
    result = run_cli("export-meshes", "no_such_scenario", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr, "no_such_scenario",
                                 "no such file or bundled scenario")
    assert line.startswith("mvd-sim: error: ")
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())


# -- analyze -----------------------------------------------------------------------------

def test_analyze_prints_a_table_with_the_pattern(tmp_path):
    result = run_cli("analyze", "multi_aica_pica_right", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pattern multivessel" in result.stdout
    assert "aica" in result.stdout and "pica" in result.stdout and "RExP" in result.stdout


def test_analyze_writes_a_json_report_atomically(tmp_path):
    result = run_cli("analyze", "va_pushes_pica_left", "-o", "report.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["schema_name"] == "mvd-sim/contact-report"
    assert report["schema_version"] == 1
    assert report["pattern"] == "multivessel"
    assert [c["vessel"] for c in report["culprits"]] == ["pica", "va"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_analyze_json_to_stdout_matches_the_schema(tmp_path):
    result = run_cli("analyze", "near_miss_control_right", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["contacts"] == [] and report["pattern"] == "none"
    assert report["vessels_at_risk"][0]["vessel"] == "aica"
    schema = json.loads(run_cli("report-schema", cwd=tmp_path).stdout)
    assert set(report) == set(schema["properties"])


def test_analyze_bad_threshold_is_one_line(tmp_path):
    result = run_cli("analyze", "near_miss_control_right", "--margin", "-1", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "near_miss_mm")


@pytest.mark.parametrize("command", [("analyze", "case.yaml", "-o", "case.yaml"),
                                     ("analyze", "case.yaml", "-o", "./sub/../case.yaml"),
                                     ("render", "case.yaml", "-o", "case.yaml")])
def test_an_output_over_its_own_input_is_refused(tmp_path, command):
    original = mvd_sim.bundled_scenarios()["near_miss_control_right"].read_bytes()
    (tmp_path / "case.yaml").write_bytes(original)
    (tmp_path / "sub").mkdir()
    result = run_cli(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "case.yaml", "is the input file")
    assert (tmp_path / "case.yaml").read_bytes() == original


def test_import_into_a_missing_folder_is_refused_before_importing(tmp_path, monkeypatch,
                                                                   capsys):
    from mvd_sim import cli

    def import_case(*args, **kwargs):
        raise AssertionError("the import ran before its output folder was checked")

    monkeypatch.setattr(mvd_sim, "import_case", import_case)
    data = Path(__file__).resolve().parents[1] / "examples" / "data"
    code = cli.main(["import", str(data / "pica_rdp_moderate_left.nii.gz"), "--labels",
                     str(data / "pica_rdp_moderate_left.labels.yaml"), "-o",
                     str(tmp_path / "missing" / "case.yaml")])
    assert code == 1
    assert_one_error_line(capsys.readouterr().err, "missing", "no folder")
    assert list(tmp_path.iterdir()) == []


def test_analyze_unwritable_output_leaves_nothing(tmp_path):
    result = run_cli("analyze", "near_miss_control_right", "-o", "missing/report.json",
                     cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "missing/report.json", "cannot write")
    assert list(tmp_path.iterdir()) == []


# -- decompress and plan -----------------------------------------------------------------

@pytest.fixture(scope="module")
def decompress_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("decompress")
    result = run_cli("decompress", "aica_as_moderate_right", "--sponge", "s=3.5,d=2,vessel=aica",
                     "--save", "postop", cwd=out)
    return out, result


def test_decompress_prints_the_verdict_and_saves_the_postop_case(decompress_run):
    out, result = decompress_run
    assert result.returncode == 0, result.stderr
    assert "DECOMPRESSED" in result.stdout and "root exit zone" in result.stdout
    saved = out / "postop" / "aica_as_moderate_right_postop.yaml"
    assert saved.is_file()
    assert sorted(p.stem for p in (out / "postop" / "meshes").iterdir()) == sorted(
        ["CN7", "CN8", "aica", "ba", "brainstem", "sponge1", "petrous", *CONTEXT_KINDS])
    reanalysed = run_cli("analyze", str(saved), "--json", cwd=out)
    assert reanalysed.returncode == 0, reanalysed.stderr
    report = json.loads(reanalysed.stdout)
    assert report["pattern"] == "none" and report["contacts"] == []


def test_decompress_json_and_not_decompressed_exit_status(tmp_path):
    result = run_cli("decompress", "aica_as_moderate_right", "--sponge", "s=15,d=2,vessel=aica",
                     "--json", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_name"] == "mvd-sim/decompression-report"
    assert report["decompressed"] is False
    assert report["reasons"][0].startswith("aica still touches CN VII")
    schema = json.loads(run_cli("report-schema", "decompression", cwd=tmp_path).stdout)
    assert set(report) == set(schema["properties"])


@pytest.mark.parametrize("sponge, fragments", [
    # a pad from the command line is blamed on its option, not on the scenario's pads
    ("s=5,d=2,side=medial", ("--sponge 's=5,d=2,side=medial'", "inside the brainstem")),
    ("s=5,d=abc", ("--sponge", "diameter_mm", "not a number")),
    ("s=5,d=2,vessel=nope", ("--sponge 's=5,d=2,vessel=nope'", "vessel 'nope'",
                             "ba, aica")),
    ("s=5,d=2,id=CN7", ("--sponge 's=5,d=2,id=CN7'", "id 'CN7' is already taken")),
])
def test_decompress_bad_sponge_is_one_line(tmp_path, sponge, fragments):
    result = run_cli("decompress", "aica_as_moderate_right", "--sponge", sponge, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_decompress_transposes_and_divides_from_the_command_line(tmp_path):
    """--transpose and --divide make the moves, the report says so, and --save writes them
    into the operated scenario, which re-analyses without the divided vein."""
    spec = ("schema_version: 1\ntitle: t\ndescription: d\nside: right\nvessels:\n"
            "  - {id: ba, type: BA}\n"
            "  - id: aica\n    type: AICA\n    compresses:\n"
            "      - {target: CN7, segment: AS, from: caudal, indentation_mm: 0.3}\n"
            "  - {id: vein, type: vein}\n")
    (tmp_path / "case.yaml").write_text(spec)
    result = run_cli("decompress", "case.yaml", "--transpose", "aica,distance=3,width=2",
                     "--divide", "vein", "--json", "--save", "postop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.split("wrote")[0])
    assert report["schema_version"] == 2 and report["divided"] == ["vein"]
    (sling,) = report["transpositions"]
    assert (sling["vessel"], sling["anchor"]) == ("aica", "petrous")
    assert sling["distance_mm"] == pytest.approx(3.0)  # |translation|: float rounding
    assert any("coagulated and divided" in w for w in report["warnings"])
    saved = mvd_sim.load_scenario(tmp_path / "postop" / "case_postop.yaml")
    assert saved.divided == ["vein"] and saved.sponges == []
    assert [(t.vessel, t.distance_mm, t.width_mm) for t in saved.transpositions] == \
        [("aica", 3.0, 2.0)]
    assert "vein.vtp" not in {p.name for p in (tmp_path / "postop" / "meshes").iterdir()}


@pytest.mark.parametrize("args, fragments", [
    (("--transpose", "aica,distance=20"), ("--transpose 'aica,distance=20'", "distance_mm",
                                           "less than or equal to 10")),
    (("--transpose", "nope"), ("--transpose 'nope'", "vessel 'nope' is not one of")),
    (("--divide", "aica"), ("--divide 'aica'", "'aica' is an artery (AICA)",
                            "only a vein may be coagulated and divided")),
    (("--sponge", "vessel_s=12,d=2,vessel=aica,seat=trunk"),
     ("--sponge 'vessel_s=12,d=2,vessel=aica,seat=trunk'", "from its trunk ba")),
    (("--sponge", "s=5,d=2,vessel=aica,seat=brainstem"), ("--sponge", "s_mm: a pad seated on "
                                                          "the brainstem")),
])
def test_decompress_bad_moves_are_one_line(tmp_path, args, fragments):
    result = run_cli("decompress", "aica_as_moderate_right", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_plan_writes_json_and_the_planned_scenario(tmp_path):
    result = run_cli("plan", "aica_as_moderate_right", "-o", "plan.json", "--save", "planned",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["schema_name"] == "mvd-sim/sponge-plan" and plan["feasible"] is True
    assert [(m["kind"], m["vessel"]) for m in plan["moves"]] == [("pad", "aica")]
    planned = mvd_sim.load_scenario(tmp_path / "planned" / "aica_as_moderate_right_postop.yaml")
    assert [(s.diameter_mm, s.seat) for s in planned.sponges] == \
        [(plan["moves"][0]["sponge"]["diameter_mm"], plan["moves"][0]["sponge"]["seat"])]


# -- render ------------------------------------------------------------------------------

def test_render_before_and_after_a_plan(tmp_path):
    planned = run_cli("plan", "aica_as_moderate_right", "-o", "plan.json", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    result = run_cli("render", "aica_as_moderate_right", "-o", "both.png", "--plan",
                     "plan.json", "--size", "600x300", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no display needed, and no warning about one
    from PIL import Image

    assert Image.open(tmp_path / "both.png").size == (600, 300)


@pytest.mark.parametrize("args, fragments", [
    (("--plan", "missing.json"), ("missing.json", "cannot read")),
    (("--plan", "other.json"), ("other.json", "is for scenario 'aica_as_moderate_right'")),
    # several fields are wrong: the line names the first by our own order (field path), not
    # by the order the installed pydantic happens to list them in
    (("--plan", "bad.json"), ("bad.json", "candidates_tried")),
    (("--plan", "v1.json"), ("v1.json", "schema version 1", "run 'mvd-sim plan' again")),
    # a case of the same name but other anatomy: the plan says which case it was made for
    (("--plan", "same_name.json"), ("same_name.json", "made for another case")),
])
def test_render_bad_plan_is_one_line(tmp_path, args, fragments):
    planned = run_cli("plan", "aica_as_moderate_right", "-o", "other.json", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    (tmp_path / "bad.json").write_text('{"nonsense": 1}')
    plan = json.loads((tmp_path / "other.json").read_text())
    (tmp_path / "v1.json").write_text(json.dumps({**plan, "schema_version": 1}))
    (tmp_path / "same_name.json").write_text(json.dumps({**plan,
                                                         "scenario": "near_miss_control_right"}))
    result = run_cli("render", "near_miss_control_right", "-o", "x.png", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, *fragments)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args, fragment", [
    (("--view", "top"), "invalid choice"), (("--size", "10x10"), "--size"),
    (("--plan", "p.json", "--phase", "systole"), "not allowed with"),
])
def test_render_bad_options_are_usage_errors(tmp_path, args, fragment):
    result = run_cli("render", "near_miss_control_right", "-o", "x.png", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


# -- report and view ---------------------------------------------------------------------

def test_report_writes_one_self_contained_html(tmp_path):
    result = run_cli("report", "near_miss_control_right", "-o", "case.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "case.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("data:image/png;base64,") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.html"]


@pytest.mark.parametrize("display", [None, ":97"])  # none, and one nobody answers at
def test_view_without_a_display_says_so_in_one_line(tmp_path, monkeypatch, display):
    """Before any work: with an empty kernel cache (a first run) nothing is compiled first,
    so the refusal is the only line."""
    monkeypatch.setenv("MVD_SIM_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if display is None:
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", display)
    result = run_cli("view", "near_miss_control_right", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "no display", "mvd-sim render")


def test_report_with_a_plan_has_the_outcome(tmp_path):
    assert run_cli("plan", "aica_as_moderate_right", "-o", "plan.json",
                   cwd=tmp_path).returncode == 0
    result = run_cli("report", "aica_as_moderate_right", "--plan", "plan.json", "-o", "r.html",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "r.html").read_text()
    assert "<h2>Decompression</h2>" in text and "Decompressed" in text
    assert text.count("data:image/png;base64,") == 3  # before/after, the pads, the plot
    assert "<h2>The case in 3D</h2>" in text and "id='mvd-scene'" in text


def test_report_refuses_a_plan_made_for_another_case(tmp_path):
    """The README's chain with the plan of one case and the report of another."""
    assert run_cli("plan", "aica_as_moderate_right", "-o", "plan.json",
                   cwd=tmp_path).returncode == 0
    result = run_cli("report", "near_miss_control_right", "--plan", "plan.json", "-o",
                     "r.html", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "plan.json", "'aica_as_moderate_right'",
                          "'near_miss_control_right'", "mvd-sim plan")
    assert not (tmp_path / "r.html").exists()


# -- dataset -----------------------------------------------------------------------------

def test_dataset_writes_tables_and_resumes(tmp_path):
    result = run_cli("dataset", "--n", "2", "--seed", "3", "-o", "ds", "--shard-size", "1",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 shard(s) new" in result.stdout
    assert sorted(p.relative_to(tmp_path / "ds").as_posix()
                  for p in (tmp_path / "ds").glob("*/*.parquet")) == [
        "cases/part-00000.parquet", "cases/part-00001.parquet",
        "contacts/part-00000.parquet", "contacts/part-00001.parquet"]
    again = run_cli("dataset", "--n", "2", "--seed", "3", "-o", "ds", "--shard-size", "1",
                    cwd=tmp_path)
    assert again.returncode == 0 and "0 shard(s) new, 2 already there" in again.stdout


def test_dataset_bad_priors_file_is_one_line(tmp_path):
    from mvd_sim.dataset.priors import DEFAULT_PRIORS_PATH

    text = DEFAULT_PRIORS_PATH.read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace("side_given_va: {left: 0.658,",
                                                  "side_given_va: {left: -1,"))
    result = run_cli("dataset", "--n", "1", "--seed", "1", "-o", "ds", "--priors", "p.yaml",
                     cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "p.yaml", "side_given_va")
    assert not (tmp_path / "ds").exists()


def test_dataset_exports_an_imported_and_a_bundled_scenario_as_analyze_reports_them(tmp_path):
    import pandas as pd

    data = Path(__file__).resolve().parents[1] / "examples" / "data"
    imported = run_cli("import", str(data / "pica_rdp_moderate_left.nii.gz"), "--labels",
                       str(data / "pica_rdp_moderate_left.labels.yaml"), "-o", "case.yaml",
                       cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    scenarios = ("case.yaml", EXPORT_SCENARIO)
    result = run_cli("dataset", "--scenarios", *scenarios, "-o", "ds", "--meshes",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote ds: 1 shard(s) new, 0 already there" in result.stdout
    cases = pd.read_parquet(tmp_path / "ds" / "cases")
    contacts = pd.read_parquet(tmp_path / "ds" / "contacts")
    assert cases["name"].tolist() == ["case", EXPORT_SCENARIO]
    for index, scenario in enumerate(scenarios):
        analysed = run_cli("analyze", scenario, "--json", cwd=tmp_path)
        assert analysed.returncode == 0, analysed.stderr
        reported = json.loads(analysed.stdout)["contacts"]
        mine = contacts[contacts["case"] == index].to_dict("records")
        assert [(c["vessel"], c["segment"], c["severity"], c["indentation_mm"])
                for c in mine] == [(c["vessel"], c["segment"], c["severity"],
                                    c["indentation_mm"]) for c in reported]
        assert cases.loc[index, "worst_severity"] == reported[0]["severity"] == "moderate"
        assert (tmp_path / "ds" / cases.loc[index, "mesh_path"]).is_file()
    assert "| 0 | case | `case.yaml` |" in (tmp_path / "ds" / "README.md").read_text()


@pytest.mark.parametrize("args, fragments", [
    (("--scenarios", EXPORT_SCENARIO, "missing.yaml"), ("missing.yaml",)),
    (("--scenarios", "bad.yaml"), ("bad.yaml", "radius_mm")),
    (("--scenarios", EXPORT_SCENARIO, "--n", "3"), ("--n", "--scenarios")),
    (("--seed", "3"), ("--n", "required")),
])
def test_dataset_bad_scenarios_or_options_are_one_line(tmp_path, args, fragments):
    (tmp_path / "bad.yaml").write_text(BAD_RADIUS)
    result = run_cli("dataset", *args, "-o", "ds", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, *fragments)
    assert not (tmp_path / "ds").exists()


# -- progress --------------------------------------------------------------------------------

def _stderr_on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; (exit status, what the terminal got)."""
    import pty
    import select

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "MVD_SIM_DEBUG"}
    process = subprocess.Popen([sys.executable, "-m", "mvd_sim", *args], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=slave)
    os.close(slave)
    received = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            received += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=300), received.decode("utf-8", errors="replace")


def test_long_solves_show_progress_on_a_terminal_only(tmp_path):
    args = ("decompress", "aica_as_moderate_right", "--sponge", "s=3.5,d=2")
    status, shown = _stderr_on_a_terminal(*args, cwd=tmp_path)
    assert status == 0
    assert "equilibrium: iteration" in shown
    piped = run_cli(*args, cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""


def test_an_interrupt_inside_compiled_code_ends_as_an_interrupt(monkeypatch, capsys):
    """numba turns a Ctrl-C inside a kernel into a SystemError caused by it: still exit 130."""
    from mvd_sim import cli

    def interrupted_kernel(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as cause:
            raise SystemError("<numba kernel> returned a result with an exception set") \
                from cause

    monkeypatch.setattr(cli, "_cmd_list", interrupted_kernel)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)  # main silences it
    assert cli.main(["list"]) == 130
    assert capsys.readouterr().err == "mvd-sim: interrupted\n"


# -- first run: compiling the kernels ----------------------------------------------------------

def _cache_env(cache: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "MVD_SIM_DEBUG"},
            "MVD_SIM_CACHE_DIR": str(cache)}


def _import_seconds() -> float:
    """How long this machine takes, now, to start Python and import the CLI."""
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mvd_sim.cli"], check=True)
    return time.perf_counter() - start


def _lines_as_they_come(process: subprocess.Popen):
    """A queue of ``(stream name, line)`` read from the process's stdout and stderr as they
    arrive, then ``(name, None)`` at each one's end."""
    import queue
    import threading

    lines = queue.Queue()

    def read(name, stream):
        for line in stream:
            lines.put((name, line))
        lines.put((name, None))

    for name in ("stdout", "stderr"):
        threading.Thread(target=read, args=(name, getattr(process, name)), daemon=True).start()
    return lines


def test_a_first_run_says_at_once_that_it_compiles_and_later_runs_do_not(tmp_path):
    """With an empty cache, the notice is the first line, on stderr, within a second of the
    package's import (the import itself takes 0.5-1 s on a loaded 2-core VM), long before
    the compilation ends; piped, it is the only line on stderr. analyze compiles no
    mechanics kernel (the LDL solver's, the pads' contacts); analyzing a post-operative
    scenario (its pad solved on load) then says in one line that it compiles more. A warm-up
    then compiles what is left, and the next run prints no notice."""
    from mvd_sim.core.compiled import kernels

    env = _cache_env(tmp_path / "cache")
    deadline = 1.0 + _import_seconds()
    with subprocess.Popen([sys.executable, "-m", "mvd_sim", "analyze",
                           "aica_as_moderate_right"], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        lines = _lines_as_they_come(process)
        stream, first = lines.get(timeout=deadline)
        assert stream == "stderr"
        assert first.startswith("mvd-sim: compiling numerical kernels (once per install, "
                                "about "), first
        received = {"stdout": [], "stderr": [first]}
        ended = 0
        while ended < 2:
            stream, line = lines.get(timeout=300)
            if line is None:
                ended += 1
            else:
                received[stream].append(line)
    assert process.returncode == 0
    assert received["stderr"] == [first]
    assert "aica_as_moderate_right (right side)" in received["stdout"][0]
    (folder,) = (tmp_path / "cache").iterdir()
    cached = [path.name for path in folder.glob("*.nbi")]
    mechanics = kernels(("mechanics",))
    assert len(cached) == len(kernels()) - len(mechanics)
    assert not [name for name in cached if name.startswith(("ldl_kernels.", "contact_kernels."))]

    saved = run_cli("decompress", "aica_as_moderate_right", "--sponge",
                    "vessel_s=20,d=2,vessel=aica,seat=brainstem", "--save", "postop",
                    cwd=tmp_path)  # the session's cache, warm
    assert saved.returncode in (0, 3), saved.stderr
    postop = subprocess.run([sys.executable, "-m", "mvd_sim", "analyze",
                             "postop/aica_as_moderate_right_postop.yaml"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert postop.returncode == 0, postop.stderr
    (line,) = postop.stderr.splitlines()
    assert line.startswith("mvd-sim: compiling more numerical kernels (once per install, "
                           "about "), line
    cached = list(folder.glob("*.nbi"))
    assert len(cached) > len(kernels()) - len(mechanics)

    warmup = subprocess.run([sys.executable, "-m", "mvd_sim", "warmup"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert warmup.returncode == 0 and warmup.stderr == ""
    assert f"{len(kernels())} kernels ready in " in warmup.stdout
    assert f": {len(kernels()) - len(cached)} compiled, " in warmup.stdout
    assert len(list(folder.glob("*.nbi"))) == len(kernels())
    again = subprocess.run([sys.executable, "-m", "mvd_sim", "analyze",
                            "aica_as_moderate_right"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout == "".join(received["stdout"])


def test_warmup_compiles_every_kernel_with_a_bar_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("MVD_SIM_CACHE_DIR", str(tmp_path / "cache"))
    status, shown = _stderr_on_a_terminal("warmup", cwd=tmp_path)
    assert status == 0
    assert "compiling" in shown and "kernels" in shown
    folders = list((tmp_path / "cache").iterdir())
    from mvd_sim.core.compiled import kernels

    assert len(folders) == 1 and len(list(folders[0].glob("*.nbi"))) == len(kernels())


def test_warmup_where_nothing_can_be_cached_is_one_error_line(tmp_path):
    (tmp_path / "file").write_text("")
    result = subprocess.run([sys.executable, "-m", "mvd_sim", "warmup"], cwd=tmp_path,
                            env=_cache_env(tmp_path / "file" / "cache"), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error_line(result.stderr, "kernel cache: cannot write", "MVD_SIM_CACHE_DIR")


def test_plan_of_a_tumour_refuses_in_one_line_with_the_literatures_treatment(tmp_path):
    result = run_cli("plan", "schwannoma_porus_right", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "not a candidate for MVD with pads" in result.stdout
    assert "resection first" in result.stdout
    analysed = json.loads(run_cli("analyze", "schwannoma_porus_right", "--json",
                                  cwd=tmp_path).stdout)
    assert analysed["pattern"] == "secondary" and analysed["causes"] == ["tumour"]
    assert {c["cause"] for c in analysed["contacts"]} == {"tumour"}
