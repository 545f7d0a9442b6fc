"""A new exercise: a case drawn from the dataset sampler, written without its answer.

An exercise of a level and a seed is the first case of the sampler's stream
``sample(priors, seed, POOL_SIZE, index)``, ``index = 0, 1, ...``, that fits the level
(:data:`LEVELS`) and whose geometry round-trips (below). Its scenario carries the geometry
only: every vessel is written by its centerline (``points_mm``, the scene as built), under a
neutral id (``v1``, ``v2`` ... with its type, which a surgeon sees), with a neutral title and
description, without ``findings`` and without ``compresses`` (whose segments and depths
would be the answer). The case is then rebuilt from that scenario and analysed; the draw is
kept only if the analysis of the rebuilt case is the original's (same contacts, severities,
culprits and pattern), and the answer key is that analysis.

A severe compression deviates the nerve: the scenario carries the nerve as it lies
(``anatomy.displaced_nerves``, its rest course the atlas one), so its rebuild deviates it
as the original did, and nothing in it names the vessel that did. A level other than
``easy`` asks for a severe compression in :data:`SEVERE_SHARE` of its seeds
(:func:`wants_severe`); its other seeds take the stream's cases as they come.

A ``hard`` case gets a vessel near CN VII that does not touch it
(:func:`mvd_sim.exercise.distractor.with_near_miss`; the stream's symptomatic cases have
none of their own), or, where none can be placed, keeps an incidental contact with CN VIII
as its distractor; a draw with neither is passed over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import yaml

from mvd_sim.case import Case
from mvd_sim.contact.analysis import ContactReport, analyze
from mvd_sim.core.constants import VESSEL_DEFAULT_RADIUS_MM
from mvd_sim.core.errors import MvdSimError, ScenarioError
from mvd_sim.dataset.priors import Priors, load_priors
from mvd_sim.dataset.sampler import SampledCase, diagnosis_uniforms, draw_diagnosis, sample
from mvd_sim.exercise.distractor import DISTRACTOR_ID, with_near_miss
from mvd_sim.scenario import ScenarioSpec, parse_scenario, scenario_to_yaml
from mvd_sim.scene.scene import Scene

__all__ = ["LEVELS", "Level", "POOL_SIZE", "MAX_DRAWS", "SEVERE_SHARE", "Exercise",
           "draw_exercise", "neutral_spec", "truth_of", "fits_level", "wants_severe",
           "distractors", "exercise_id"]

Level = Literal["easy", "standard", "hard"]
#: The levels, easiest first: ``easy`` one vessel, one moderate compression (a clear
#: indentation); ``standard`` any symptomatic case; ``hard`` two culprits, a double
#: compression or a VA pushing another vessel, with a distractor (a vessel near CN VII that
#: does not touch it, or an incidental contact with CN VIII).
LEVELS: tuple[str, ...] = ("easy", "standard", "hard")
#: Share of an exercise's seeds that ask for a severe compression, by level (the stream's
#: own cases are severe in about 7%: 8 of 120 symptomatic cases of seeds 0-2).
SEVERE_SHARE: dict[str, float] = {"easy": 0.0, "standard": 0.3, "hard": 0.3}
#: Cases in the sampler's dataset an exercise's case is drawn from (its stratification).
POOL_SIZE = 4096
#: Cases of the stream tried before an exercise of a level and seed is refused.
MAX_DRAWS = 400
#: Centerline points a vessel is written with at most (the schema allows 500).
_MAX_POINTS = 400
#: Points of a centerline closer than this (mm) to the last kept one are dropped.
_MIN_STEP_MM = 0.05
#: A nerve is written as it lies (``anatomy.displaced_nerves``) when a point of it lies
#: further than this (mm) from its rest course.
_DISPLACED_MM = 1e-3


@dataclass(frozen=True)
class Exercise:
    """An exercise in memory.

    Attributes
    ----------
    id : str
        ``<level>-s<seed>`` (a curriculum's adds its number).
    level : str
    seed : int
    index : int
        The sampler's case index it was drawn from.
    case : Case
        The case as the trainee gets it (rebuilt from :attr:`spec`).
    spec : ScenarioSpec
        The neutral scenario.
    report : ContactReport
        The contact engine's answer for :attr:`case`: the answer key's content.
    diagnosis : dict
        What the sampler asked for (vessel types, sites and severities), neutral ids.
    """

    id: str
    level: str
    seed: int
    index: int
    case: Case
    spec: ScenarioSpec
    report: ContactReport
    diagnosis: dict

    @property
    def scenario_yaml(self) -> str:
        """The scenario as written for the trainee (fields at their defaults left out)."""
        return scenario_to_yaml(self.spec, exclude_defaults=True)

    @property
    def scenario_sha256(self) -> str:
        return hashlib.sha256(self.scenario_yaml.encode("utf-8")).hexdigest()


def exercise_id(level: str, seed: int) -> str:
    return f"{level}-s{seed}"


def _centerline(points: np.ndarray) -> list[list[float]]:
    """A built centerline as control points: near-duplicates dropped, at most
    :data:`_MAX_POINTS` (every k-th, the last kept), rounded to 0.1 um."""
    keep = [0]
    for j in range(1, len(points)):
        if np.linalg.norm(points[j] - points[keep[-1]]) > _MIN_STEP_MM:
            keep.append(j)
    stride = -(-len(keep) // _MAX_POINTS)
    keep = keep[::stride] + ([keep[-1]] if (len(keep) - 1) % stride else [])
    return [[round(float(x), 4) for x in points[j]] for j in keep]


def _displaced(scene: Scene) -> dict[str, list[list[float]]]:
    """Each nerve of ``scene`` that lies off its rest course (a vessel deviates it), as it
    lies: one point per point of the rest course, rounded to 0.1 um."""
    return {name: [[round(float(x), 4) for x in p] for p in tube.points]
            for name, tube in scene.nerves.items()
            if np.max(np.linalg.norm(tube.points - scene.rest_nerves[name].points, axis=1))
            > _DISPLACED_MM}


def neutral_spec(sampled: SampledCase, title: str) -> tuple[ScenarioSpec, dict[str, str]]:
    """The scenario of a sampled case with its vessels by centerline under neutral ids, and
    the ids (sampler's id to neutral id).

    Raises
    ------
    ScenarioError
        A centerline the schema refuses (too long a course, say).
    """
    spec, scene = sampled.spec, sampled.scene
    ids = {v.id: f"v{k + 1}" for k, v in enumerate(spec.vessels)}
    vessels = [{"id": ids[v.id], "type": v.type,
                "radius_mm": v.radius_mm or VESSEL_DEFAULT_RADIUS_MM[v.type],
                "points_mm": _centerline(np.asarray(scene.vessels[v.id].points))}
               for v in spec.vessels]
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True,
                           include={"side", "anatomy", "mechanics"})
    displaced = _displaced(scene)
    if displaced:
        data.setdefault("anatomy", {})["displaced_nerves"] = displaced
    data.update(schema_version=1, title=title, vessels=vessels,
                description=f"Hemifacial spasm, {spec.side} side, seen through a retrosigmoid "
                            "craniotomy. Identify every neurovascular contact and plan the "
                            "decompression.")
    return parse_scenario(data, title), ids


def _signature(report: ContactReport, ids: dict[str, str] | None = None) -> tuple:
    """What the answer is made of: the pattern, each contact (vessel, nerve, segment,
    severity), each culprit (vessel, pushes), with vessel ids mapped by ``ids``."""
    rename = (lambda v: ids.get(v, v)) if ids else (lambda v: v)
    return (report.pattern,
            sorted((rename(c.vessel), c.nerve, c.segment, c.severity) for c in report.contacts),
            sorted((rename(c.vessel), rename(c.pushes) if c.pushes else "")
                   for c in report.culprits))


def distractors(report: ContactReport) -> list[str]:
    """The vessels of ``report`` a trainee may take for a culprit that are not: near CN VII
    without touching it (at risk), or touching CN VIII only."""
    culprits = {c.vessel for c in report.culprits}
    return list(dict.fromkeys(
        [r.vessel for r in report.vessels_at_risk if r.vessel not in culprits]
        + [c.vessel for c in report.contacts if c.nerve == "CN8" and c.vessel not in culprits]))


def _hard(sampled: SampledCase, report: ContactReport) -> bool:
    """Two culprits, a double compression or a VA pushing another vessel."""
    return report.pattern in ("double", "multivessel") or sampled.diagnosis.pusher


def _severe(report: ContactReport) -> bool:
    return any(c.severity == "severe" for c in report.contacts if c.nerve == "CN7")


def wants_severe(level: str, seed: int) -> bool:
    """Whether the exercise of ``level`` and ``seed`` asks for a severe compression (in
    :data:`SEVERE_SHARE` of the seeds)."""
    return bool(np.random.default_rng([seed, 25]).random() < SEVERE_SHARE[level])


def fits_level(level: str, sampled: SampledCase, report: ContactReport) -> bool:
    """Whether a sampled case (its diagnosis and its analysis) is an exercise of ``level``:
    ``hard`` needs a distractor (a vessel of :func:`distractors`, or a culprit's
    incidental contact with CN VIII)."""
    # exercises are neurovascular compressions: a case drawn with another cause (a lesion,
    # a band, an ectatic VA; issue #26) is none of the levels
    if sampled.diagnosis.control or not report.culprits or sampled.cause != "vascular":
        return False
    cn7 = [c for c in report.contacts if c.nerve == "CN7"]
    if level == "easy":
        return len(report.culprits) == 1 and len(cn7) == 1 and cn7[0].severity == "moderate"
    if level == "standard":
        return True
    return _hard(sampled, report) and (bool(distractors(report)) or
                                       any(c.nerve == "CN8" for c in report.contacts))


def truth_of(report: ContactReport) -> dict:
    """The answer key's content from the contact engine's report (JSON-ready)."""
    return {"pattern": report.pattern,
            "culprits": [{"vessel": c.vessel, "vessel_type": c.vessel_type,
                          "severity": c.severity, "pushes": c.pushes}
                         for c in report.culprits],
            "contacts": [{"vessel": c.vessel, "vessel_type": c.vessel_type, "nerve": c.nerve,
                          "segment": c.segment, "severity": c.severity,
                          "s_mm": round(c.s_deepest_mm, 2)} for c in report.contacts],
            "vessel_contacts": [[v.vessel_a, v.vessel_b] for v in report.vessel_contacts],
            "vessels_at_risk": [{"vessel": r.vessel, "nerve": r.nerve, "segment": r.segment,
                                 "min_separation_mm": round(r.min_separation_mm, 2)}
                                for r in report.vessels_at_risk]}


def _diagnosis(sampled: SampledCase, ids: dict[str, str]) -> dict:
    d = sampled.diagnosis
    by_type = {v.type: ids[v.id] for v in sampled.spec.vessels}
    return {"label": d.label, "culprits": [by_type[k] for k in d.culprits],
            "compressions": {by_type[k]: [{"site": c.site, "severity": c.severity} for c in cs]
                             for k, cs in d.compressions.items()},
            "cn8_vessel": by_type.get(d.cn8_vessel) if d.cn8_vessel else None,
            "near_miss": ids.get(DISTRACTOR_ID)}


def draw_exercise(level: str, seed: int, priors: Priors | None = None,
                  name: str | None = None) -> Exercise:
    """The exercise of ``level`` and ``seed`` (see the module docstring); ``name`` is its id
    (default :func:`exercise_id`).

    Raises
    ------
    MvdSimError
        An unknown level, a seed out of range, or no case of the level in
        :data:`MAX_DRAWS` draws.
    """
    if level not in LEVELS:
        raise MvdSimError(f"--level: {level!r} is not one of {', '.join(LEVELS)}")
    if not 0 <= seed < 2 ** 63:
        raise MvdSimError(f"--seed: {seed} is not in 0 .. 2**63-1")
    priors = priors or load_priors()
    name = name or exercise_id(level, seed)
    severe = wants_severe(level, seed)
    for index in range(MAX_DRAWS):
        if severe and not _drawn_severe(priors, seed, index):
            continue
        try:
            sampled = sample(priors, seed, POOL_SIZE, index)
        except ScenarioError:
            continue
        if sampled.diagnosis.control:
            continue
        original = analyze(sampled.scene)
        if severe and not _severe(original):
            continue
        if level == "hard" and _hard(sampled, original):
            added = with_near_miss(priors, sampled, seed, index,
                                   lambda after, before=_signature(original):
                                   _signature(after) == before)
            if added is not None:
                sampled, original = added
        if not fits_level(level, sampled, original):
            continue
        try:
            spec, ids = neutral_spec(sampled, f"Exercise {name}")
            case = Case.from_spec(spec, name)
        except ScenarioError:
            continue
        report = analyze(case.scene)
        if _signature(report) != _signature(original, ids) or \
                not fits_level(level, sampled, report):
            continue  # a contact or a near miss the rebuilt centerlines do not keep
        return Exercise(name, level, seed, index, case, spec, report,
                        _diagnosis(sampled, ids))
    raise MvdSimError(f"--seed {seed}: no {level} case{' with a severe compression' * severe} "
                      f"in the first {MAX_DRAWS} cases of the stream; try another seed")


def _drawn_severe(priors: Priors, seed: int, index: int) -> bool:
    """Whether case ``index`` of the stream is drawn with a severe compression (its first
    diagnosis's worst severity, which the sampler keeps while it redraws the geometry):
    a cheap look before the case is built."""
    diagnosis = draw_diagnosis(priors, diagnosis_uniforms(seed, POOL_SIZE, index, 0))
    return any(c.severity == "severe" for cs in diagnosis.compressions.values() for c in cs)


def exercise_sheet(exercise: Exercise) -> str:
    """The exercise's ``exercise.yaml``: what the trainee is told (no answer)."""
    vessels = [{"id": v.id, "type": v.type} for v in exercise.spec.vessels]
    return yaml.safe_dump({
        "exercise": exercise.id, "level": exercise.level, "side": exercise.spec.side,
        "vessels": vessels,
        "task": ("Name the culprit vessels (by id), each contact with CN VII (vessel, "
                 "segment RExP/AS/RDP/CP, severity mild/moderate/severe) and the pattern "
                 "(single, double, multivessel); then plan the operation: Teflon pads "
                 "(as in a scenario's sponges), transpositions or divided veins. Fill in "
                 "answer_template.yaml and run: mvd-sim exercise grade . answer.yaml"),
        "scenario_sha256": exercise.scenario_sha256}, sort_keys=False, width=92)
