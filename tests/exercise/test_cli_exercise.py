"""The exercise commands end to end, as a fellow runs them: new (the conftest's folder),
grade with a record, progress with its plot and CSV; the curriculum with its key apart."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml

from mvd_sim import cli
from mvd_sim.exercise.key import unseal
from support import EXERCISE_SECRET, IMAGE_MAGIC


def _perfect_identification(folder) -> dict:
    key = unseal((folder / "key.sealed").read_bytes(), EXERCISE_SECRET.encode())["answer"]
    return {"culprits": [c["vessel"] for c in key["culprits"]],
            "contacts": [{k: c[k] for k in ("vessel", "segment", "severity")}
                         for c in key["contacts"] if c["nerve"] == "CN7"],
            "pattern": key["pattern"]}


def test_grade_then_progress(exercise_folder, tmp_path, capsys):
    exercise_folder = Path(shutil.copytree(exercise_folder, tmp_path / "ex"))  # gets feedback
    record = tmp_path / "record.sqlite"
    answer = tmp_path / "answer.yaml"
    # a first try without a pad, then a pad too small, recorded under one name
    for pads in ([], [{"vessel": "v3", "vessel_s_mm": 16.0, "diameter_mm": 1.0,
                       "seat": "brainstem"}]):
        answer.write_text(yaml.safe_dump({**_perfect_identification(exercise_folder),
                                          "pads": pads}))
        assert cli.main(["exercise", "grade", str(exercise_folder), str(answer), "--trainee",
                         "ana", "--record", str(record), "--key", EXERCISE_SECRET]) == 0
    out = capsys.readouterr().out
    assert "identification: 20 / 20" in out and "operation: 0 / 25" in out
    assert "- no pad, sling or division: nothing was decompressed" in out
    assert "recorded attempt 2 of ana" in out
    assert (exercise_folder / "feedback.png").read_bytes().startswith(IMAGE_MAGIC["PNG"][0])

    curve, table = tmp_path / "curve.svg", tmp_path / "ana.csv"
    assert cli.main(["exercise", "progress", "ana", "--record", str(record), "-o", str(curve),
                     "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    assert "ana: 2 attempt(s)" in out
    assert curve.read_text().lstrip().startswith("<?xml") and "<svg" in curve.read_text()
    rows = list(csv.DictReader(table.open()))
    assert [float(r["operation"]) for r in rows][0] == 0.0
    assert float(rows[1]["operation"]) > 0.0 and rows[1]["decompressed"] == "0.0"


def test_grading_with_another_secret_is_one_line_and_records_nothing(exercise_folder,
                                                                     tmp_path, capsys):
    answer = tmp_path / "answer.yaml"
    answer.write_text(yaml.safe_dump({"pattern": "single"}))
    record = tmp_path / "record.sqlite"
    assert cli.main(["exercise", "grade", str(exercise_folder), str(answer), "--trainee",
                     "ana", "--record", str(record), "--key", "wrong"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "does not open with this secret" in err
    assert not record.exists()


def test_a_bad_answer_file_is_one_line_naming_the_field(exercise_folder, tmp_path, capsys):
    answer = tmp_path / "answer.yaml"
    answer.write_text("pattern: single\npads:\n  - {vessel: v3, diameter_mm: 2}\n")
    assert cli.main(["exercise", "grade", str(exercise_folder), str(answer), "--key",
                     EXERCISE_SECRET]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert f"{answer}: pads[0]: give exactly one of s_mm (on the nerve) or vessel_s_mm" in err


def test_progress_of_a_trainee_without_attempts(tmp_path, capsys):
    assert cli.main(["exercise", "progress", "nobody", "--record",
                     str(tmp_path / "r.sqlite")]) == 0
    assert "nobody: no attempt recorded" in capsys.readouterr().out
