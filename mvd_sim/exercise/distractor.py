"""A hard exercise's distractor: a vessel near CN VII that does not touch it.

The sampler's symptomatic cases carry none (their other vessels, the basilar artery and a
PICA's vertebral artery on their default courses, keep more than the at-risk margin from
CN VII), so one is added to a drawn case the way the sampler draws a control's vessel near
the nerve (:func:`mvd_sim.dataset.sampler.near_miss_vessel`), placed by the scene builder
with the case's other vessels, and kept only where the case's own answer is unchanged
(same contacts, severities, culprits and pattern) and the new vessel is at risk (within the
near-miss margin of CN VII) without touching any nerve.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mvd_sim.case import Case
from mvd_sim.contact.analysis import ContactReport, analyze
from mvd_sim.core.errors import ScenarioError
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import SampledCase, near_miss_vessel
from mvd_sim.scenario import parse_scenario

__all__ = ["DISTRACTOR_ID", "DISTRACTOR_ATTEMPTS", "with_near_miss"]

#: The sampler's id of the vessel added (the exercise renames every vessel).
DISTRACTOR_ID = "near"
#: Draws of the added vessel before the case is left without one.
DISTRACTOR_ATTEMPTS = 6


def with_near_miss(priors: Priors, sampled: SampledCase, seed: int, index: int,
                   keeps: Callable[[ContactReport], bool]
                   ) -> tuple[SampledCase, ContactReport] | None:
    """``sampled`` with a vessel near CN VII added (id :data:`DISTRACTOR_ID`), drawn from
    ``default_rng([seed, index, 25, attempt])``, and its analysis; None when no draw of
    :data:`DISTRACTOR_ATTEMPTS` places one whose case ``keeps`` the answer (given its
    analysis: the caller's test that the contacts, culprits and pattern are as they were)
    and stays at risk without touching."""
    data = sampled.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    for attempt in range(DISTRACTOR_ATTEMPTS):
        rng = np.random.default_rng([seed, index, 25, attempt])
        vessel = near_miss_vessel(priors, sampled.diagnosis, sampled.spec.anatomy, rng,
                                  DISTRACTOR_ID)
        if vessel is None:
            return None
        try:
            spec = parse_scenario({**data, "vessels": [*data["vessels"], vessel]},
                                  sampled.case.name)
            case = Case.from_spec(spec, sampled.case.name)
        except ScenarioError:
            continue
        after = analyze(case.scene)
        at_risk = any(r.vessel == DISTRACTOR_ID and r.nerve == "CN7"
                      for r in after.vessels_at_risk)
        touches = any(c.vessel == DISTRACTOR_ID for c in after.contacts) or \
            any(DISTRACTOR_ID in (v.vessel_a, v.vessel_b) for v in after.vessel_contacts)
        if at_risk and not touches and keeps(after):
            return SampledCase(case, sampled.attempt, sampled.diagnosis, sampled.cause), after
    return None
