"""An exercise's folder: opening its files cannot show the answer; grading opens it again
with the secret and refuses an edited scenario."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from mvd_sim.core.errors import MvdSimError
from mvd_sim.exercise.folder import FILES, REPORT, open_exercise
from mvd_sim.exercise.key import ExerciseKeyError, unseal
from support import EXERCISE_SECRET


def _texts(folder) -> dict[str, str]:
    """Every file's bytes as text (a PNG's text chunks, if any, would show there too); the
    report without vtk.js, the library inlined in every report (whose code speaks of a
    zip's "compression")."""
    texts = {path.name: path.read_bytes().decode("latin-1")
             for path in sorted(folder.iterdir())}
    texts[REPORT] = re.sub(r"<script type='module'>.*?</script>", "", texts[REPORT],
                           flags=re.S)
    return texts


def test_the_folder_holds_its_files_and_no_answer_in_any_of_them(exercise_folder):
    assert sorted(p.name for p in exercise_folder.iterdir()) == sorted(FILES)
    key = unseal((exercise_folder / "key.sealed").read_bytes(), EXERCISE_SECRET.encode())
    answer, diagnosis = key["answer"], key["diagnosis"]
    culprit = answer["contacts"][0]
    assert culprit["nerve"] == "CN7"
    found = []
    for name, text in _texts(exercise_folder).items():
        # the culprit's id with its segment or severity anywhere after it on a line
        if re.search(rf"\b{culprit['vessel']}\b[^\n]{{0,80}}\b({culprit['segment']}|"
                     rf"{culprit['severity']})\b", text):
            found.append((name, "culprit with its segment"))
        for word in ("findings", "compresses", '"culprits"', "pushes", "diagnosis",
                     "nerve_deviation_mm", "indentation_mm", diagnosis["label"],
                     '"pattern"', "vessels_at_risk"):
            if re.search(rf"\b{word}\b", text):   # whole words ("decompression" may stay)
                found.append((name, word))
        if re.search(r"culprits:\s*\[?\s*v[0-9]", text):   # a filled-in answer
            found.append((name, "culprits listed"))
    assert found == []


def test_the_sealed_key_does_not_open_without_its_secret(exercise_folder):
    with pytest.raises(ExerciseKeyError, match="does not open with this secret"):
        open_exercise(exercise_folder, b"a guess")
    opened = open_exercise(exercise_folder, EXERCISE_SECRET.encode())
    assert opened.key["exercise"] == "easy-s0"
    assert opened.vessel_ids == [v["id"] for v in yaml.safe_load(
        (exercise_folder / "exercise.yaml").read_text())["vessels"]]


def test_a_scenario_edited_after_the_exercise_was_made_is_refused(exercise_folder, tmp_path):
    copy = tmp_path / "ex"
    shutil.copytree(exercise_folder, copy)
    scenario = copy / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("radius_mm: 1.6", "radius_mm: 1.5"))
    with pytest.raises(MvdSimError, match=r"scenario.yaml: edited since the exercise was made"):
        open_exercise(copy, EXERCISE_SECRET.encode())


def test_a_folder_without_a_key_is_not_an_exercise(tmp_path):
    with pytest.raises(MvdSimError, match=r"scenario.yaml: missing; .* is not an exercise "
                                          r"folder"):
        open_exercise(tmp_path, EXERCISE_SECRET.encode())
