"""Fixtures of the exercise tests: a home for per-installation files, an exercise folder
written once by the CLI (exercises drawn once: ``support.drawn``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import EXERCISE_SECRET


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path, monkeypatch):
    """The user's data folder (installation secret, record) is the test's own."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("MVD_SIM_EXERCISE_KEY", raising=False)
    monkeypatch.delenv("MVD_SIM_EXERCISE_RECORD", raising=False)


@pytest.fixture(scope="session")
def exercise_folder(tmp_path_factory) -> Path:
    """``mvd-sim exercise new --level easy --seed 0`` written once (sealed with
    ``support.EXERCISE_SECRET``)."""
    from mvd_sim import cli

    folder = tmp_path_factory.mktemp("exercise") / "ex"
    assert cli.main(["exercise", "new", "--level", "easy", "--seed", "0", "-o", str(folder),
                     "--key", EXERCISE_SECRET]) == 0
    return folder
