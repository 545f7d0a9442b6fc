"""Sampled cases realise what they draw: every compression asked of a nerve is reported
from the side asked and at the asked line angle (within ANGLE_TOLERANCE_DEG); a draw the
placement cannot honour is refused and redrawn, and counted."""

import pytest

import mvd_sim
from mvd_sim.core.approach import ANGLE_TOLERANCE_DEG, line_angle_deg
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import GEOMETRY_ATTEMPTS, sample

N_CASES = 120


@pytest.fixture(scope="module")
def sampled():
    priors = load_priors()
    return [sample(priors, 11, N_CASES, k) for k in range(N_CASES)]


def test_every_asked_side_and_angle_is_reported(sampled):
    checked = 0
    for case in sampled:
        report = mvd_sim.analyze(case.scene)
        for vessel in case.spec.vessels:
            # a vessel asked to pass at a separation is at risk, not a contact: the report
            # gives it no side or angle (placement checks them as it places)
            for asked in (c for c in vessel.compresses
                          if c.target in ("CN7", "CN8") and c.gap_mm <= 0.0):
                where = case.scene.landmarks[asked.target].segment_at(
                    asked.s_mm) if asked.segment is None else asked.segment
                (got,) = [c for c in report.contacts if c.vessel == vessel.id
                          and c.nerve == asked.target and c.segment == where]
                assert got.side == asked.side, (case.case.name, vessel.id)
                assert abs(got.crossing_angle_deg - line_angle_deg(asked.crossing_angle_deg)) \
                    <= ANGLE_TOLERANCE_DEG, (case.case.name, vessel.id)
                checked += 1
    assert checked >= N_CASES


def test_draws_that_cannot_be_honoured_are_redrawn_and_counted(sampled):
    """Some first draws ask for a side the nerve's course or the brainstem rules out there
    (from posterior on the attached segment, say): those cases were placed on a later
    attempt, which the dataset card counts."""
    assert sum(case.attempt > 0 for case in sampled) > 0


def test_sides_are_drawn_where_the_site_allows_them_so_few_draws_are_refused(sampled):
    """The sampler draws each side from those usable at its site (NerveSites): 39 redraws
    and no redrawn diagnosis over these 120 cases (2026-12-07, issue #27 part 18: the AICA
    crosses CN VIII obliquely, along its postmeatal course, and contacts sharing a segment
    are spread over it); 167 and 2 before that (2026-12-07, 172 and 2 on 2026-12-06, with
    32 AICAs asked to touch CN VIII from behind as well, at CN VII's crossing angle, folding
    round it in most of the 61 redraws that added); 111 and 1 before that (the AICA keeps
    its meatal loop, which its detours to a contact now fold through or lay on the PICA in
    66 of them; 63 and 1 when the loop was dropped, 123 and 1 before NerveSites kept
    crossings off CN VIII and severe compressions where they can deviate the nerve). Before the nerve
    rework 24 and none (schema 2 priors, 16 geometries a diagnosis); with schema 1 and 4
    geometries, 45 and 8, and 317 and 36 with the sides drawn regardless of the site.
    Geometry redraws keep the diagnosis, so they cost time, not the mix."""
    assert sum(case.attempt for case in sampled) <= 0.5 * N_CASES
    assert sum(case.attempt >= GEOMETRY_ATTEMPTS for case in sampled) <= 0.1 * N_CASES
