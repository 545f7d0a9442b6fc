"""A curriculum: a fixed, seeded set of exercises from easy to hard, and its answer key for
the programme director.

Exercise ``k`` (0-based) of ``n`` is of level ``LEVELS[3 k // n]`` (the first third easy, the
next standard, the last hard) with the seed ``SeedSequence([seed, k])`` gives, so the same
``(n, seed)`` always makes the same curriculum. Each exercise's folder carries its own sealed
key, so it can be graded on its own; the director's key (every answer in plain YAML) is
written apart, never inside the curriculum's folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml

from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.output import output_format, write_file, write_folder
from mvd_sim.dataset.priors import Priors, load_priors
from mvd_sim.exercise.folder import exercise_files, key_document
from mvd_sim.exercise.generate import LEVELS, Exercise, draw_exercise

__all__ = ["MAX_EXERCISES", "curriculum_plan", "draw_curriculum", "director_key",
           "write_curriculum"]

MAX_EXERCISES = 50
_KEY_SUFFIXES = {".yaml": "YAML", ".yml": "YAML"}


def curriculum_plan(n: int, seed: int) -> list[tuple[str, str, int]]:
    """``(id, level, seed)`` of each exercise of a curriculum, easiest first.

    Examples
    --------
    >>> [level for _, level, _ in curriculum_plan(5, 1)]
    ['easy', 'easy', 'standard', 'standard', 'hard']
    """
    if not 1 <= n <= MAX_EXERCISES:
        raise MvdSimError(f"--n: {n} exercises; give 1 to {MAX_EXERCISES}")
    if not 0 <= seed < 2 ** 63:
        raise MvdSimError(f"--seed: {seed} is not in 0 .. 2**63-1")
    plan = []
    for k in range(n):
        level = LEVELS[3 * k // n]
        own = int(np.random.SeedSequence([seed, k]).generate_state(1, np.uint64)[0] >> 1)
        plan.append((f"{k + 1:02d}-{level}", level, own))
    return plan


def draw_curriculum(n: int, seed: int, priors: Priors | None = None) -> list[Exercise]:
    """The exercises of a curriculum (:func:`curriculum_plan`)."""
    priors = priors or load_priors()
    return [draw_exercise(level, own, priors, name) for name, level, own in
            curriculum_plan(n, seed)]


def director_key(exercises: list[Exercise], n: int, seed: int) -> str:
    """The director's answer key: every exercise's answer and diagnosis, as YAML."""
    return yaml.safe_dump({"curriculum": {"n": n, "seed": seed},
                           "exercises": [key_document(e) for e in exercises]},
                          sort_keys=False, width=100)


def write_curriculum(out_dir: str | os.PathLike, key_out: str | os.PathLike, n: int,
                     seed: int, secret: bytes) -> tuple[list[Path], Path]:
    """Write a curriculum's folders (all or none) and the director's key file apart.

    Raises
    ------
    MvdSimError
        One line: ``--key-out`` inside ``out_dir`` or not a ``.yaml`` file (before any
        work), or a file that cannot be written.
    """
    output_format(key_out, _KEY_SUFFIXES, "--key-out")
    out, key = Path(out_dir).resolve(), Path(key_out).resolve()
    if out == key.parent or out in key.parents:
        raise MvdSimError(f"--key-out {key_out}: inside the curriculum's folder {out_dir}; "
                          "the director's key must be kept apart from what trainees get")
    exercises = draw_curriculum(n, seed)
    files = {f"{e.id}/{name}": data for e in exercises
             for name, data in exercise_files(e, secret).items()}
    written = write_folder(out_dir, files)
    return written, write_file(key_out, director_key(exercises, n, seed).encode("utf-8"))
