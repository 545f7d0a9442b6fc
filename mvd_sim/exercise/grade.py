"""Grading an answer by the rubric (:mod:`mvd_sim.exercise.rubric`).

Identification is compared with the answer key (the contact engine's report of the case).
The operation is the trainee's own: their pads, slings and divided veins are simulated
through the pulse with :func:`mvd_sim.surgery.decompress.decompress_states` and judged with
its verdict's checks, plus where each pad was put (on a culprit, on the vessel's side of
the nerve, off the root exit zone) and how many moves were made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mvd_sim.core.errors import SolverError
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.exercise.answer import Answer, load_answer
from mvd_sim.exercise.folder import OpenExercise, open_exercise
from mvd_sim.exercise.rubric import FALSE_CULPRIT_PENALTY, RUBRIC, item
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.decompress import DecompressionReport, decompress_states
from mvd_sim.surgery.operation import operate

__all__ = ["ItemResult", "Grade", "identification_items", "operation_items", "grade_answer",
           "grade_exercise", "feedback_picture", "FEEDBACK_PICTURE", "PAD_SIDE_MAX_DEG"]

#: The feedback picture written into the exercise's folder by :func:`grade_exercise`.
FEEDBACK_PICTURE = "feedback.png"
#: A pad on the nerve lies on its vessel's side when the directions from the nerve to the
#: pad and to the vessel are within this angle (degrees): beside the vessel, or under it.
PAD_SIDE_MAX_DEG = 60.0


@dataclass(frozen=True)
class ItemResult:
    """One rubric item as scored: its points of its maximum, and what was wrong (empty
    when full marks)."""

    key: str
    part: str
    points: float
    max_points: float
    errors: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return self.points >= self.max_points - 1e-9


@dataclass(frozen=True)
class Grade:
    """A graded answer: every item, the parts' scores and the decompression's status."""

    exercise: str
    level: str
    items: tuple[ItemResult, ...]
    status: str
    picture: Path | None = None
    after: Scene | None = field(default=None, repr=False)

    def score(self, part: str | None = None) -> float:
        """Points of a part (``identification``, ``operation``) or of all."""
        return round(sum(i.points for i in self.items if part in (None, i.part)), 2)

    def max_score(self, part: str | None = None) -> float:
        return sum(i.max_points for i in self.items if part in (None, i.part))

    @property
    def errors(self) -> list[str]:
        """Every error named, item by item."""
        return [e for i in self.items for e in i.errors]


def _result(key: str, points: float, errors: list[str]) -> ItemResult:
    it = item(key)
    return ItemResult(key, it.part, round(max(points, 0.0), 4), it.points, tuple(errors))


def _named(vessel: str, types: dict[str, str]) -> str:
    return f"{vessel} ({types[vessel]})" if vessel in types else vessel


def _why_not(vessel: str, truth: dict) -> str:
    """Why ``vessel`` is not a culprit, in the key's words: a near miss, a contact with
    CN VIII only, or neither."""
    near = [r for r in truth["vessels_at_risk"] if r["vessel"] == vessel and r["nerve"] == "CN7"]
    if near:
        return (f"it comes within {near[0]['min_separation_mm']:.2f} mm of CN VII without "
                "touching it, a near miss")
    if any(c["vessel"] == vessel and c["nerve"] == "CN8" for c in truth["contacts"]):
        return "it touches CN VIII, not CN VII"
    return "it neither touches CN VII nor pushes a vessel that does"


def identification_items(truth: dict, answer: Answer, types: dict[str, str]
                         ) -> list[ItemResult]:
    """The identification items (culprits, segment, severity, pattern) of ``answer`` against
    the key's ``truth`` (:func:`~mvd_sim.exercise.generate.truth_of`); ``types`` gives each
    vessel's type for the feedback."""
    culprits = [c["vessel"] for c in truth["culprits"]]
    named = list(dict.fromkeys(answer.culprits))
    errors = [f"culprit {_named(v, types)} missed" for v in culprits if v not in named]
    wrong = [v for v in named if v not in culprits]
    errors += [f"{_named(v, types)} named as a culprit: {_why_not(v, truth)} "
               f"(-{FALSE_CULPRIT_PENALTY:g})" for v in wrong]
    full = item("culprits").points
    points = full * sum(v in named for v in culprits) / max(len(culprits), 1) \
        - FALSE_CULPRIT_PENALTY * len(wrong)
    results = [_result("culprits", points, errors)]

    contacts = [c for c in truth["contacts"] if c["nerve"] == "CN7"]
    given = [c for c in answer.contacts if c.nerve == "CN7"]
    used: set[int] = set()
    segment_points = severity_points = 0.0
    segment_errors, severity_errors = [], []
    share_segment = item("segment").points / max(len(contacts), 1)
    share_severity = item("severity").points / max(len(contacts), 1)
    for c in contacts:
        where = f"{_named(c['vessel'], types)} at the {c['segment']}"
        mine = [k for k, g in enumerate(given) if g.vessel == c["vessel"] and k not in used]
        if not mine:
            segment_errors.append(f"contact of {where} ({c['severity']}) not given")
            severity_errors.append(f"severity of the contact of {where} not given")
            continue
        k = next((k for k in mine if given[k].segment == c["segment"]), mine[0])
        used.add(k)
        if given[k].segment == c["segment"]:
            segment_points += share_segment
        else:
            segment_errors.append(f"contact of {where}: you gave the {given[k].segment}")
        if given[k].severity == c["severity"]:
            severity_points += share_severity
        else:
            severity_errors.append(f"contact of {where} is {c['severity']}: you gave "
                                   f"{given[k].severity}")
    results.append(_result("segment", segment_points, segment_errors))
    results.append(_result("severity", severity_points, severity_errors))
    right = answer.pattern == truth["pattern"]
    results.append(_result("pattern", item("pattern").points if right else 0.0,
                           [] if right else [f"the pattern is {truth['pattern']}: you gave "
                                             f"{answer.pattern}"]))
    return results


def _pad_on_vessel_side(scene: Scene, centre: np.ndarray, nerve: str, vessel: str) -> bool:
    """Whether a pad centred at ``centre`` beside ``nerve`` lies on the side ``vessel`` comes
    from: from the nerve's point nearest the pad, the pad and the vessel's nearest point lie
    within :data:`PAD_SIDE_MAX_DEG` of each other."""
    on_nerve = point_polyline(centre[None], scene.nerves[nerve].points)[3][0]
    on_vessel = point_polyline(on_nerve[None], scene.vessels[vessel].points)[3][0]
    to_pad, to_vessel = centre - on_nerve, on_vessel - on_nerve
    cos = float(np.dot(to_pad, to_vessel)) / max(
        float(np.linalg.norm(to_pad) * np.linalg.norm(to_vessel)), 1e-12)
    return cos >= np.cos(np.radians(PAD_SIDE_MAX_DEG))


def _placement_items(scene: Scene, answer: Answer, culprits: list[str],
                     types: dict[str, str], labels: dict) -> list[ItemResult]:
    """Items judged from where the moves are made (no mechanics): pads and slings on the
    culprits, pads on the vessel's side, fewest moves, veins spared."""
    operation = answer.operation
    operated = operate(scene, operation, labels)
    errors = [f"pad {k + 1} holds off {_named(v, types)}, not a culprit"
              for k, v in enumerate(operated.holds_off) if v not in culprits]
    errors += [f"sling {k + 1} moves {_named(t.vessel, types)}, not a culprit"
               for k, t in enumerate(operation.transpositions) if t.vessel not in culprits]
    results = [_result("on_culprits", 0.0 if errors else item("on_culprits").points, errors)]
    errors = [f"pad {k + 1} is on the far side of {pad.nerve} from {_named(v, types)}: it "
              "does not lie between the nerve and the vessel"
              for k, (pad, sponge, v) in enumerate(zip(operation.pads, operated.sponges,
                                                       operated.holds_off))
              if pad.seat == "nerve" and
              not _pad_on_vessel_side(operated.scene, np.asarray(sponge.centre), pad.nerve, v)]
    results.append(_result("pad_side", 0.0 if errors else item("pad_side").points, errors))
    moves = len(operation.pads) + len(operation.transpositions) + len(operation.divided)
    many = moves > len(culprits)
    results.append(_result("fewest_moves", 0.0 if many else item("fewest_moves").points,
                           [f"{moves} moves for {len(culprits)} culprit vessel(s)"]
                           if many else []))
    errors = [f"{_named(v, types)} divided without need: it is not a culprit"
              for v in operation.divided if v not in culprits]
    results.append(_result("vein_spared", 0.0 if errors else item("vein_spared").points,
                           errors))
    return results


def _verdict_items(report: DecompressionReport | None, failure: str | None
                   ) -> list[ItemResult]:
    """Items judged from the simulated decompression's verdict (or its failure to settle)."""
    if report is None:
        return [_result(key, 0.0, [failure] if key == "decompressed" else [])
                for key in ("decompressed", "pressure", "cn8_spared", "rez_spared")]
    checks = {c.name: c for c in report.checks}

    def from_checks(key: str, names: tuple[str, ...]) -> ItemResult:
        failed = [checks[n].text for n in names if not checks[n].passed]
        return _result(key, 0.0 if failed else item(key).points, failed)

    on_rez = [f"{s.id} presses on the root exit zone ({s.nerve_pressure_kpa:.1f} kPa)"
              for s in report.sponges if s.on_rez]
    return [from_checks("decompressed", ("cn7_free", "no_over_impaction")),
            from_checks("pressure", ("nerve_pressure", "brainstem_pressure")),
            from_checks("cn8_spared", ("cn8_spared",)),
            _result("rez_spared", 0.0 if on_rez else item("rez_spared").points, on_rez)]


def operation_items(opened: OpenExercise, answer: Answer, source: str = "answer.yaml"
                    ) -> tuple[list[ItemResult], DecompressionReport | None, Scene | None]:
    """The operation items of ``answer``, the decompression report (None where it did not
    settle or nothing was done) and the operated scene at its worst phase.

    Raises
    ------
    ScenarioError
        A move that cannot be made as asked, naming ``source`` and its field.
    """
    types = {v.id: v.type for v in opened.case.spec.vessels}
    culprits = [c["vessel"] for c in opened.answer["culprits"]]
    operation = answer.operation
    labels = {"pads": [f"{source}: pads[{k}]" for k in range(len(operation.pads))],
              "transpositions": [f"{source}: transpositions[{k}]"
                                 for k in range(len(operation.transpositions))],
              "divided": [f"{source}: divided[{k}]" for k in range(len(operation.divided))]}
    if operation.is_empty:
        return [ItemResult(i.key, i.part, 0.0, i.points,
                           ("no pad, sling or division: nothing was decompressed",)
                           if i.key == "decompressed" else ())
                for i in RUBRIC if i.part == "operation"], None, None
    placement = _placement_items(opened.case.scene, answer, culprits, types, labels)
    try:
        report, _, after = decompress_states(opened.case, operation, labels)
    except SolverError as err:
        verdict = _verdict_items(None, f"the operation does not settle at every phase of "
                                       f"the pulse: {err}")
        report, after = None, None
    else:
        verdict = _verdict_items(report, None)
    order = [i.key for i in RUBRIC]
    return sorted(placement + verdict, key=lambda r: order.index(r.key)), report, \
        after.scene if after is not None else None


def grade_answer(opened: OpenExercise, answer: Answer, source: str = "answer.yaml") -> Grade:
    """Score an answer to an opened exercise by the rubric (no file written)."""
    types = {v.id: v.type for v in opened.case.spec.vessels}
    ident = identification_items(opened.answer, answer, types)
    op, report, after = operation_items(opened, answer, source)
    return Grade(opened.key["exercise"], opened.key["level"], tuple(ident + op),
                 report.status if report is not None else "not_decompressed", None, after)


def feedback_picture(opened: OpenExercise, grade: Grade) -> bytes:
    """The case with its contacts in their severity colours and its landmarks labelled,
    beside the case after the trainee's operation at its worst phase (PNG bytes)."""
    from mvd_sim.viz.render import image_bytes, render_image

    panels = [(opened.case.scene, "the case: its contacts")]
    if grade.after is not None:
        panels.append((grade.after, f"after your operation: {grade.status.replace('_', ' ')}"))
    return image_bytes(render_image(panels, size=(700 * len(panels), 700)))


def grade_exercise(folder: str | os.PathLike, answer_path: str | os.PathLike, secret: bytes,
                   picture: bool = True) -> Grade:
    """Grade an answer file against an exercise's folder; with ``picture``, write the
    feedback picture (:data:`FEEDBACK_PICTURE`) into the folder.

    Raises
    ------
    MvdSimError
        One line: the folder or its key (:func:`~mvd_sim.exercise.folder.open_exercise`), the
        answer file's field, a move that cannot be made, the picture not written.
    """
    from mvd_sim.core.output import write_file

    opened = open_exercise(folder, secret)
    answer = load_answer(answer_path, opened.vessel_ids, opened.case.scene.landmarks)
    grade = grade_answer(opened, answer, str(answer_path))
    if not picture:
        return grade
    path = write_file(Path(folder) / FEEDBACK_PICTURE, feedback_picture(opened, grade))
    return Grade(grade.exercise, grade.level, grade.items, grade.status, path, grade.after)

