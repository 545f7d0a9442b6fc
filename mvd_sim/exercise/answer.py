"""A trainee's answer: a small YAML file, validated like a scenario (one-line errors naming the
file and the field).

Example
-------
.. code-block:: yaml

    culprits: [v3]
    contacts:
      - {vessel: v3, segment: AS, severity: moderate}
    pattern: single
    pads:
      - {vessel: v3, s_mm: 4.0, diameter_mm: 2.0}
    transpositions: []
    divided: []

``pads`` are Teflon pads as in a scenario's ``sponges`` (:class:`~mvd_sim.scenario.SpongeSpec`:
``s_mm`` on the nerve or ``vessel_s_mm`` on the vessel, ``side``, ``seat``, ``diameter_mm``,
``shape``), or on the nerve by ``segment`` (``RExP``, ``AS``, ``RDP``, ``CP``: at its centre,
the ``s_mm`` the case's landmarks give); ``transpositions`` as a scenario's (:class:`~mvd_sim.scenario.TranspositionSpec`);
``divided`` the veins coagulated and divided.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mvd_sim.anatomy.landmarks import SEGMENTS, NerveLandmarks
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.validation import require_mapping, validate_document
from mvd_sim.scenario import SpongeSpec, TranspositionSpec, read_yaml
from mvd_sim.surgery.operation import Operation

__all__ = ["AnswerContact", "Answer", "load_answer", "parse_answer", "answer_template"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AnswerContact(_Strict):
    """One contact the trainee reports."""

    vessel: str
    nerve: Literal["CN7", "CN8"] = "CN7"
    segment: Literal["RExP", "AS", "RDP", "CP"]
    severity: Literal["mild", "moderate", "severe"]


class Answer(_Strict):
    """A trainee's answer to an exercise (see the module docstring)."""

    culprits: Annotated[list[str], Field(max_length=20)] = Field(default_factory=list)
    contacts: Annotated[list[AnswerContact], Field(max_length=20)] = Field(default_factory=list)
    pattern: Literal["none", "single", "double", "multivessel"]
    pads: Annotated[list[SpongeSpec], Field(max_length=8)] = Field(default_factory=list)
    transpositions: Annotated[list[TranspositionSpec], Field(max_length=2)] = \
        Field(default_factory=list)
    divided: Annotated[list[str], Field(max_length=20)] = Field(default_factory=list)

    @property
    def operation(self) -> Operation:
        return Operation(self.pads, self.transpositions, self.divided)


def _pads_by_segment(data: dict, landmarks: Mapping[str, NerveLandmarks] | None,
                     source: str) -> dict:
    """``data`` with each pad given by ``segment`` placed at that segment's centre
    (``s_mm`` on its nerve's rest course, from ``landmarks``)."""
    pads = data.get("pads")
    if not isinstance(pads, list) or not any(isinstance(p, dict) and "segment" in p
                                              for p in pads):
        return data
    placed = []
    for k, pad in enumerate(pads):
        if not isinstance(pad, dict) or "segment" not in pad:
            placed.append(pad)
            continue
        pad, segment = dict(pad), pad["segment"]
        del pad["segment"]
        nerve = pad.get("nerve", "CN7")
        why = None
        if segment not in SEGMENTS:
            why = f"{segment!r} is not one of {', '.join(SEGMENTS)}"
        elif "s_mm" in pad or "vessel_s_mm" in pad:
            why = "give one of segment, s_mm or vessel_s_mm"
        elif landmarks is None or nerve not in landmarks:
            why = f"no landmarks of {nerve!r} to place a pad by segment"
        if why is not None:
            raise ScenarioError(f"{source}: pads[{k}].segment: {why}")
        placed.append({**pad, "s_mm": round(landmarks[nerve].segment_centre(segment), 3)})
    return {**data, "pads": placed}


def parse_answer(data: object, vessel_ids: Collection[str], source: str = "answer.yaml",
                 landmarks: Mapping[str, NerveLandmarks] | None = None) -> Answer:
    """Validate a parsed answer against the exercise's vessels; a pad given by ``segment``
    is placed at the centre of that segment of its nerve (``landmarks``, the case's
    ``scene.landmarks``).

    Raises
    ------
    ScenarioError
        One line: ``"{source}: {field}: {reason}"``.
    """
    answer = validate_document(
        Answer, _pads_by_segment(require_mapping(data, source, "answer"), landmarks, source),
        source, "answer")
    named = [(f"culprits[{k}]", v) for k, v in enumerate(answer.culprits)]
    named += [(f"contacts[{k}].vessel", c.vessel) for k, c in enumerate(answer.contacts)]
    named += [(f"divided[{k}]", v) for k, v in enumerate(answer.divided)]
    for field, vessel in named:
        if vessel not in vessel_ids:
            raise ScenarioError(f"{source}: {field}: {vessel!r} is not one of the exercise's "
                                f"vessels ({', '.join(vessel_ids)})")
    return answer


def load_answer(path: str | os.PathLike, vessel_ids: Collection[str],
                landmarks: Mapping[str, NerveLandmarks] | None = None) -> Answer:
    """Read and validate an answer file (safe YAML, size-limited like scenarios)."""
    return parse_answer(read_yaml(Path(path), "answer files"), vessel_ids, str(path),
                        landmarks)


def answer_template(vessels: list[tuple[str, str]]) -> str:
    """A commented answer file for an exercise's vessels ``[(id, type), ...]``."""
    listed = ", ".join(f"{vid} ({kind})" for vid, kind in vessels)
    return f"""# Your answer. The vessels: {listed}.
# Identification: the culprit vessels, each contact with CN VII, the pattern.
culprits: []            # vessel ids, e.g. [<id>, <id>]
contacts: []            # one line per contact: - {{vessel: <id>, segment: <S>, severity: <grade>}}
                        #   <S>: RExP, AS, RDP or CP; <grade>: mild, moderate or severe
pattern: none           # single, double (REZ and CP both) or multivessel
# The operation, simulated through the pulse when graded.
pads: []                # - {{vessel: <id>, s_mm: <mm on CN VII>, diameter_mm: <mm>}}
                        #   or - {{vessel: <id>, segment: <S>, diameter_mm: <mm>}}
                        #   or - {{vessel: <id>, vessel_s_mm: <mm>, diameter_mm: <mm>, seat: brainstem}}
                        #   keys as a scenario's sponges: side, seat, shape, length_mm
transpositions: []      # - {{vessel: <id>, distance_mm: <mm>}}
divided: []             # veins coagulated and divided: [<id>]
"""
