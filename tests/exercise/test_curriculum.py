"""A curriculum: fixed by its seed, easy to hard, the director's key written apart."""

from __future__ import annotations

import pytest

from mvd_sim.core.errors import MvdSimError
from mvd_sim.exercise.curriculum import curriculum_plan, write_curriculum


def test_a_curriculum_runs_easy_to_hard_and_is_fixed_by_its_seed():
    plan = curriculum_plan(10, 7)
    assert [level for _, level, _ in plan] == ["easy"] * 4 + ["standard"] * 3 + ["hard"] * 3
    assert plan == curriculum_plan(10, 7)
    assert plan != curriculum_plan(10, 8)
    assert len({seed for _, _, seed in plan}) == 10


def test_the_directors_key_is_refused_inside_the_curriculum(tmp_path):
    with pytest.raises(MvdSimError, match=r"^--key-out .*: inside the curriculum's folder"):
        write_curriculum(tmp_path / "course", tmp_path / "course" / "key.yaml", 1, 0, b"s")
    with pytest.raises(MvdSimError, match=r"--key-out must end in .yaml or .yml"):
        write_curriculum(tmp_path / "course", tmp_path / "key.txt", 1, 0, b"s")
    assert not (tmp_path / "course").exists()


def test_too_many_exercises_are_refused():
    with pytest.raises(MvdSimError, match=r"^--n: 51 exercises; give 1 to 50$"):
        curriculum_plan(51, 0)
