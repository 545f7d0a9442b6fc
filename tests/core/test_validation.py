"""One line from a ValidationError: the same field whatever order pydantic lists them in."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from mvd_sim.core.validation import one_line


class _Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    alpha: int
    beta: list[int]


def _error(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        _Pair.model_validate(data)
    return info.value


@pytest.mark.parametrize("reverse", [False, True])
def test_the_first_problem_by_field_path_whatever_the_order(monkeypatch, reverse):
    error = _error({"beta": [1, "x"], "zeta": 1})       # alpha missing, beta[1], zeta extra
    errors = error.errors()
    assert len(errors) == 3
    ordered = errors[::-1] if reverse else errors
    monkeypatch.setattr(ValidationError, "errors", lambda self, **_: ordered)
    line = one_line(error)
    assert line.startswith("alpha: ")
    assert "\n" not in line


def test_list_indices_in_brackets_and_the_value_shown():
    line = one_line(_error({"alpha": 1, "beta": [1, 2, "three"]}))
    assert line.startswith("beta[2]: ")
    assert line.endswith("(got 'three')")


def test_indices_sort_as_numbers():
    line = one_line(_error({"alpha": 1, "beta": [1] * 10 + ["x"] + [1] + ["y"]}))
    assert line.startswith("beta[10]: ")
