"""Sealed answer keys: they open only with their secret, and an edited key does not open."""

from __future__ import annotations

import stat

import pytest

from mvd_sim.exercise.key import (SEALED_PREFIX, ExerciseKeyError, exercise_secret,
                                  installation_secret_path, seal, unseal)


def test_a_sealed_key_opens_with_its_secret_and_hides_its_text():
    document = {"answer": {"pattern": "double", "culprits": ["v3"]}}
    sealed = seal(document, b"s1")
    assert sealed.startswith(SEALED_PREFIX)
    assert b"double" not in sealed and b"culprits" not in sealed
    assert unseal(sealed, b"s1") == document
    assert seal(document, b"s1") != sealed   # a new salt and IV every time


def test_another_secret_or_an_edited_key_is_refused_in_one_line():
    sealed = seal({"answer": 1}, b"s1")
    with pytest.raises(ExerciseKeyError, match=r"^ex/key.sealed: the answer key does not "
                                               r"open with this secret"):
        unseal(sealed, b"s2", "ex/key.sealed")
    edited = bytearray(sealed)
    edited[-10] ^= 1
    with pytest.raises(ExerciseKeyError, match="does not open"):
        unseal(bytes(edited), b"s1")
    with pytest.raises(ExerciseKeyError, match="not an mvd-sim sealed exercise key"):
        unseal(b"answer: v3 at the AS", b"s1")


def test_the_secret_comes_from_the_option_then_the_environment_then_the_installation(
        monkeypatch):
    monkeypatch.setenv("MVD_SIM_EXERCISE_KEY", "from-env")
    assert exercise_secret("given") == b"given"
    assert exercise_secret() == b"from-env"
    monkeypatch.delenv("MVD_SIM_EXERCISE_KEY")
    first = exercise_secret()
    path = installation_secret_path()
    assert path.is_file() and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert exercise_secret() == first   # made once, then kept
