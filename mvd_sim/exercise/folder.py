"""An exercise's folder: what is written for the trainee, and opening it again to grade.

The folder holds (:data:`FILES`):

- ``scenario.yaml``: the case's geometry only (:func:`~mvd_sim.exercise.generate.neutral_spec`);
- ``exercise.yaml``: the exercise's id, level, side, vessels (id and type) and the task;
- ``answer_template.yaml``: the answer file to fill in;
- ``retrosigmoid.png``, ``lateral.png``: the anatomy with its landmarks (the nerve's
  segments) and legend, without the contact patches;
- ``report.html``: the case report (:func:`mvd_sim.report.build.case_report`) without the
  answer: those pictures, the case in 3D at systole and diastole without the contact
  patches, and the scenario, with no pattern, culprit, contact table or separation plot;
- ``key.sealed``: the answer key, encrypted (:mod:`mvd_sim.exercise.key`), with the
  scenario's SHA-256, so a scenario edited after the exercise was made is refused.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from mvd_sim.case import Case
from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.output import write_folder
from mvd_sim.exercise.answer import answer_template
from mvd_sim.exercise.generate import Exercise, exercise_sheet, truth_of
from mvd_sim.exercise.key import seal, unseal
from mvd_sim.scenario import read_yaml

__all__ = ["FILES", "REPORT", "KEY_SCHEMA", "PICTURE_VIEWS", "key_document", "exercise_files",
           "write_exercise", "OpenExercise", "open_exercise"]

KEY_SCHEMA = "mvd-sim/exercise-key"
PICTURE_VIEWS = ("retrosigmoid", "lateral")
REPORT = "report.html"
FILES = ("scenario.yaml", "exercise.yaml", "answer_template.yaml",
         *(f"{view}.png" for view in PICTURE_VIEWS), REPORT, "key.sealed")
PICTURE_SIZE = (1000, 750)


def key_document(exercise: Exercise) -> dict:
    """The answer key of an exercise (what :func:`exercise_files` seals)."""
    return {"schema": KEY_SCHEMA, "version": 1, "exercise": exercise.id,
            "level": exercise.level, "seed": exercise.seed, "index": exercise.index,
            "scenario_sha256": exercise.scenario_sha256,
            "answer": truth_of(exercise.report), "diagnosis": exercise.diagnosis}


def exercise_files(exercise: Exercise, secret: bytes) -> dict[str, bytes]:
    """Every file of an exercise's folder (see the module docstring), made in memory."""
    from mvd_sim.report.build import case_report
    from mvd_sim.surgery.operation import Operation
    from mvd_sim.viz.render import image_bytes, render_image

    files = {"scenario.yaml": exercise.scenario_yaml.encode("utf-8"),
             "exercise.yaml": exercise_sheet(exercise).encode("utf-8"),
             "answer_template.yaml": answer_template(
                 [(v.id, v.type) for v in exercise.spec.vessels]).encode("utf-8")}
    for view in PICTURE_VIEWS:
        files[f"{view}.png"] = image_bytes(render_image(
            [(exercise.case.scene, f"exercise {exercise.id}: {view} view")], view,
            PICTURE_SIZE, contacts=False))
    files[REPORT] = case_report(exercise.case, Operation(), answer=False).encode("utf-8")
    files["key.sealed"] = seal(key_document(exercise), secret)
    return files


def write_exercise(out_dir: str | os.PathLike, exercise: Exercise, secret: bytes
                   ) -> list[Path]:
    """Write an exercise's folder, all files or none (:func:`~mvd_sim.core.output.write_folder`)."""
    return write_folder(out_dir, exercise_files(exercise, secret))


@dataclass(frozen=True)
class OpenExercise:
    """An exercise opened for grading: its case (from its scenario), its sheet and its key."""

    folder: Path
    case: Case
    sheet: dict
    key: dict

    @property
    def answer(self) -> dict:
        return self.key["answer"]

    @property
    def vessel_ids(self) -> list[str]:
        return [v.id for v in self.case.spec.vessels]


def open_exercise(folder: str | os.PathLike, secret: bytes) -> OpenExercise:
    """Open an exercise's folder: its key with ``secret``, its scenario checked against it.

    Raises
    ------
    MvdSimError
        One line naming the file: a file missing, a key that does not open
        (:class:`~mvd_sim.exercise.key.ExerciseKeyError`), a scenario edited since.
    """
    folder = Path(folder)
    for name in ("scenario.yaml", "exercise.yaml", "key.sealed"):
        if not (folder / name).is_file():
            raise MvdSimError(f"{folder / name}: missing; {folder} is not an exercise folder "
                              "(mvd-sim exercise new makes one)")
    key = unseal((folder / "key.sealed").read_bytes(), secret, str(folder / "key.sealed"))
    scenario = (folder / "scenario.yaml").read_bytes()
    if hashlib.sha256(scenario).hexdigest() != key["scenario_sha256"]:
        raise MvdSimError(f"{folder / 'scenario.yaml'}: edited since the exercise was made "
                          "(its SHA-256 is not the key's); grade the case as handed out")
    sheet = read_yaml(folder / "exercise.yaml", "exercise files")
    case = Case.from_yaml(folder / "scenario.yaml")
    return OpenExercise(folder, case, sheet if isinstance(sheet, dict) else {}, key)
