"""The rubric: every scored item of an exercise with its points, as data.

Two parts, as in training studies of microneurosurgery: identification out of 20, like a
task-specific checklist, and the operation out of 25, like an OSATS-style global rating
(Martin JA et al., Br J Surg 1997). Each item's ``rule`` says how its points are given;
:mod:`mvd_sim.exercise.grade` applies them, and the tests check each mistake loses exactly
these points. An operation that does not settle at every phase of the pulse scores none of
the four items judged from the decompression's verdict (decompressed, pressure, CN VIII, root
exit zone), and an answer with no move scores nothing for the operation.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RubricItem", "RUBRIC", "PARTS", "FALSE_CULPRIT_PENALTY", "item", "part_max"]


@dataclass(frozen=True)
class RubricItem:
    """One scored item: its key, part, points and how they are given."""

    key: str
    part: str
    points: float
    title: str
    rule: str


#: Points lost (within the culprits item, never below 0) per vessel named as a culprit that
#: is not one.
FALSE_CULPRIT_PENALTY = 2.0

RUBRIC: tuple[RubricItem, ...] = (
    RubricItem("culprits", "identification", 8.0, "culprit vessels",
               "8 x (culprits named / culprits), less 2 per vessel named that is not a "
               "culprit (not below 0)"),
    RubricItem("segment", "identification", 4.0, "segment of each contact",
               "shared equally among the CN VII contacts: each one's share if a contact "
               "of that vessel is given at its segment"),
    RubricItem("severity", "identification", 4.0, "severity of each contact",
               "shared equally among the CN VII contacts: each one's share if the contact "
               "of that vessel matched to it is given its severity"),
    RubricItem("pattern", "identification", 4.0, "pattern",
               "all if the pattern (single, double, multivessel) is right"),
    RubricItem("decompressed", "operation", 8.0, "CN VII decompressed through the pulse",
               "all if every vessel clears CN VII by the at-risk margin at every phase and "
               "the pads do not over-impact the nerve (the verdict's cn7_free and "
               "no_over_impaction)"),
    RubricItem("pressure", "operation", 2.0, "no pad presses too hard",
               "all if no pad presses a nerve or the brainstem beyond the limits (the "
               "verdict's nerve_pressure and brainstem_pressure)"),
    RubricItem("on_culprits", "operation", 3.0, "pads and slings on the culprits",
               "all if every pad holds off, and every sling moves, a culprit vessel"),
    RubricItem("pad_side", "operation", 2.0, "pads between the nerve and the vessel",
               "all if every pad seated on the nerve lies on the side its vessel comes "
               "from, within 60 degrees (pads seated on the brainstem, trunk or petrous "
               "dura pass)"),
    RubricItem("cn8_spared", "operation", 3.0, "CN VIII spared",
               "all if no vessel touches CN VIII that did not, nor presses it deeper (the "
               "verdict's cn8_spared)"),
    RubricItem("rez_spared", "operation", 2.0, "root exit zone spared",
               "all if no pad presses on the root exit zone (a pad seated on the brainstem "
               "or trunk spares it even for a compression there)"),
    RubricItem("fewest_moves", "operation", 2.0, "fewest moves",
               "all if the pads, slings and divisions are no more than the culprit vessels"),
    RubricItem("vein_spared", "operation", 3.0, "veins spared",
               "all if no vein is divided that is not a culprit"),
)

PARTS = ("identification", "operation")


def item(key: str) -> RubricItem:
    """The rubric item of ``key``."""
    return next(i for i in RUBRIC if i.key == key)


def part_max(part: str) -> float:
    """The points of a part: 20 for identification, 25 for the operation."""
    return sum(i.points for i in RUBRIC if i.part == part)
