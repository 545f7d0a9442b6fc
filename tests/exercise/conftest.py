"""Fixtures of the exercise tests: a home for per-installation files, an exercise drawn once,
an exercise folder written once by the CLI."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from mvd_sim.exercise.folder import OpenExercise, key_document
from mvd_sim.exercise.generate import Exercise, draw_exercise

SECRET = "director's secret"


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path, monkeypatch):
    """The user's data folder (installation secret, record) is the test's own."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("MVD_SIM_EXERCISE_KEY", raising=False)
    monkeypatch.delenv("MVD_SIM_EXERCISE_RECORD", raising=False)


@lru_cache(maxsize=None)
def drawn(level: str, seed: int) -> Exercise:
    """An exercise drawn once per session (seeds whose cases plan and decompress in about a
    second: easy 0 is one PICA at the attached segment, hard 1 an AICA at the RDP pushed by
    the VA, touching CN VIII too)."""
    return draw_exercise(level, seed)


def opened(exercise: Exercise) -> OpenExercise:
    """An exercise as grading opens it, without writing its folder."""
    return OpenExercise(Path("."), exercise.case, {}, key_document(exercise))


@pytest.fixture(scope="session")
def exercise_folder(tmp_path_factory) -> Path:
    """``mvd-sim exercise new --level easy --seed 0`` written once, with :data:`SECRET`."""
    from mvd_sim import cli

    folder = tmp_path_factory.mktemp("exercise") / "ex"
    assert cli.main(["exercise", "new", "--level", "easy", "--seed", "0", "-o", str(folder),
                     "--key", SECRET]) == 0
    return folder
