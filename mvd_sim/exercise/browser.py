"""Answering an exercise in the browser: ``mvd-sim serve ex/`` serves its case as handed out
(:class:`~mvd_sim.viz.app.Handout`: no contact patch, severity legend or verdict) and saves
the pads the trainee places into the folder's :data:`ANSWER` for ``mvd-sim exercise grade``.

The pads are written as the answer's ``pads`` (as a scenario's sponges: vessel, arc length
along it, diameter), the answer's other fields kept as they are in the file, or, the first
time, the template's (to be filled in: culprits, contacts, pattern). The file is rewritten
as plain YAML (its comments are not kept; ``answer_template.yaml`` keeps them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.output import write_file
from mvd_sim.exercise.answer import answer_template
from mvd_sim.scenario import SpongeSpec, read_yaml

__all__ = ["ANSWER", "save_pads", "handout", "serve_exercise"]

#: The answer file the browser writes into the exercise's folder.
ANSWER = "answer.yaml"


def _exercise_sheet(folder: Path) -> dict:
    """The folder's ``exercise.yaml``, checked to be an exercise's (one-line error)."""
    for name in ("scenario.yaml", "exercise.yaml"):
        if not (folder / name).is_file():
            raise MvdSimError(f"{folder / name}: missing; {folder} is not an exercise folder "
                              "(mvd-sim exercise new makes one)")
    sheet = read_yaml(folder / "exercise.yaml", "exercise files")
    if not isinstance(sheet, dict) or not isinstance(sheet.get("exercise"), str) or \
            not isinstance(sheet.get("vessels"), list):
        raise MvdSimError(f"{folder / 'exercise.yaml'}: not an exercise sheet (no exercise "
                          "id or vessels); write the folder again with mvd-sim exercise new")
    return sheet


def save_pads(folder: str | os.PathLike, pads: Sequence[SpongeSpec]) -> Path:
    """Write ``pads`` as the answer's ``pads`` in the folder's :data:`ANSWER` (atomically),
    keeping its other fields; the template's the first time.

    Raises
    ------
    MvdSimError
        One line: not an exercise folder, an answer file that is not a YAML mapping, or a
        file that cannot be written.
    """
    folder = Path(folder)
    sheet = _exercise_sheet(folder)
    path = folder / ANSWER
    if path.is_file():
        answer = read_yaml(path, "answer files")
        if not isinstance(answer, dict):
            raise MvdSimError(f"{path}: not a mapping of answer fields; fix or remove it "
                              "before saving the pads")
    else:
        answer = yaml.safe_load(answer_template([(v["id"], v["type"])
                                                 for v in sheet["vessels"]]))
    answer["pads"] = [pad.model_dump(mode="json", exclude_defaults=True, exclude={"id"})
                      for pad in pads]
    text = yaml.safe_dump(answer, sort_keys=False, default_flow_style=None, width=100)
    return write_file(path, text.encode("utf-8"))


def handout(folder: str | os.PathLike):
    """The exercise in ``folder`` as the browser serves it (:class:`~mvd_sim.viz.app.Handout`).

    Raises
    ------
    MvdSimError
        One line: not an exercise folder.
    """
    from mvd_sim.viz.app import Handout

    folder = Path(folder)
    sheet = _exercise_sheet(folder)

    def save(pads: tuple[SpongeSpec, ...]) -> str:
        path = save_pads(folder, pads)
        return (f"wrote {len(pads)} pad(s) to {path}; fill in its culprits, contacts and "
                f"pattern, then run: mvd-sim exercise grade {folder} {path}")

    return Handout(f"exercise {sheet['exercise']}", folder / "scenario.yaml", save)


def serve_exercise(folder: str | os.PathLike, port: int = 8080) -> None:
    """Serve the exercise in ``folder`` (:func:`mvd_sim.viz.app.serve`) until Ctrl-C."""
    from mvd_sim.viz.app import serve

    serve(port=port, handout=handout(folder))
