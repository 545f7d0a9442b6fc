"""Fellows' exercises: cases with their answers sealed away, a pad-placement task, a score by
a stated rubric and a trainee's record (see the README's section for fellows).

The modules, each with one job: :mod:`~mvd_sim.exercise.generate` (a case of a level, written
without its answer), :mod:`~mvd_sim.exercise.key` (sealing the answer key),
:mod:`~mvd_sim.exercise.folder` (the exercise's files), :mod:`~mvd_sim.exercise.answer` (the
trainee's answer file), :mod:`~mvd_sim.exercise.rubric` (the items and their points),
:mod:`~mvd_sim.exercise.grade`, :mod:`~mvd_sim.exercise.record` (SQLite),
:mod:`~mvd_sim.exercise.progress` and :mod:`~mvd_sim.exercise.curriculum`.

The names below load their module on first use, so that reading the record does not load
the mechanics.
"""

from __future__ import annotations

import importlib

__all__ = ["draw_exercise", "write_exercise", "open_exercise", "load_answer", "grade_answer",
           "grade_exercise", "RUBRIC", "open_record", "add_attempt", "attempts",
           "write_curriculum"]

_HOMES = {"draw_exercise": "generate", "write_exercise": "folder", "open_exercise": "folder",
          "load_answer": "answer", "grade_answer": "grade", "grade_exercise": "grade",
          "RUBRIC": "rubric", "open_record": "record", "add_attempt": "record",
          "attempts": "record", "write_curriculum": "curriculum"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'mvd_sim.exercise' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mvd_sim.exercise.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
