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
``shape``); ``transpositions`` as a scenario's (:class:`~mvd_sim.scenario.TranspositionSpec`);
``divided`` the veins coagulated and divided.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.validation import one_line
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


def parse_answer(data: object, vessel_ids: Collection[str], source: str = "answer.yaml"
                 ) -> Answer:
    """Validate a parsed answer against the exercise's vessels.

    Raises
    ------
    ScenarioError
        One line: ``"{source}: {field}: {reason}"``.
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): expected a mapping of answer fields, "
                            f"got {type(data).__name__}")
    try:
        answer = Answer.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(f"{source}: {one_line(err)}") from None
    named = [(f"culprits[{k}]", v) for k, v in enumerate(answer.culprits)]
    named += [(f"contacts[{k}].vessel", c.vessel) for k, c in enumerate(answer.contacts)]
    named += [(f"divided[{k}]", v) for k, v in enumerate(answer.divided)]
    for field, vessel in named:
        if vessel not in vessel_ids:
            raise ScenarioError(f"{source}: {field}: {vessel!r} is not one of the exercise's "
                                f"vessels ({', '.join(vessel_ids)})")
    return answer


def load_answer(path: str | os.PathLike, vessel_ids: Collection[str]) -> Answer:
    """Read and validate an answer file (safe YAML, size-limited like scenarios)."""
    return parse_answer(read_yaml(Path(path), "answer files"), vessel_ids, str(path))


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
                        #   or - {{vessel: <id>, vessel_s_mm: <mm>, diameter_mm: <mm>, seat: brainstem}}
                        #   keys as a scenario's sponges: side, seat, shape, length_mm
transpositions: []      # - {{vessel: <id>, distance_mm: <mm>}}
divided: []             # veins coagulated and divided: [<id>]
"""
