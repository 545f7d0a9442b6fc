"""The realised mix (what the contact engine finds in the cases as built) against the priors:
over a few hundred sampled cases, every share within the binomial error of its prior."""

import math

import pyarrow as pa
import pytest

from mvd_sim.dataset.mix import expected_extent, format_mix, mix, odds_ratios
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import shard_rows
from mvd_sim.dataset.tables import cases_schema

PRIORS = load_priors()
N_CASES = 300
# the clinical mix a model learns from: held to one binomial SD (stratified diagnoses)
HEADLINE = ("label", "combination", "culprit", "multivessel", "side | VA", "side | no VA",
            "severity", "extent")


@pytest.fixture(scope="module")
def shares():
    rows = shard_rows(PRIORS.model_dump_json(), 4, N_CASES, 0, N_CASES)
    return mix(pa.Table.from_pylist(rows.cases, schema=cases_schema(False)), PRIORS)


def test_every_realised_share_is_within_three_binomial_sds_of_its_prior(shares):
    """Tolerance 3 SD of n independent draws, sqrt(p (1 - p) / n) at the quantity's own n
    (300 cases: 225 symptomatic give 3.2 points at p = 0.36, 25 VA-alone-or-with sites
    give more), plus 1/n for a share's granularity."""
    off = [s for s in shares if abs(s.difference) > 3 * s.sd + 1 / max(s.n, 1)]
    assert not off, "\n".join(format_mix(off))


def test_the_clinical_mix_is_within_one_binomial_sd(shares):
    off = [s for s in shares if s.quantity in HEADLINE
           and abs(s.difference) > s.sd + 1 / max(s.n, 1)]
    assert not off, "\n".join(format_mix(off))


def test_every_quantity_of_the_must_show_is_compared(shares):
    names = {s.quantity for s in shares}
    assert set(HEADLINE) | {"site | AICA", "site | PICA", "incidental site",
                            "incidental severity", "incidental vessel", "CN VIII | AICA"} <= names
    assert all(s.n > 0 for s in shares if s.quantity in HEADLINE)


def test_expected_extent_enumerates_the_combinations():
    extent = expected_extent(PRIORS)
    assert sum(extent.values()) == pytest.approx(1.0)
    assert extent["distal"] == pytest.approx(0.021, abs=1e-3)   # Lee HS 2026, all AICA
    assert extent["double"] == pytest.approx(0.047, abs=0.01)   # Acta Neurochir 2010


def test_a_mix_of_known_cases():
    cases = pa.table({
        "control": [False, False, True, True],
        "side": ["left", "right", "left", "right"],
        "culprits": [["AICA", "VA"], ["PICA"], ["AICA"], []],
        "culprit_segments": [["AS", None], ["CP"], ["RDP"], []],
        "extent": ["proximal", "distal", "proximal", "none"],
        "worst_severity": ["severe", "mild", "mild", "none"],
        "aica_radius_mm": [0.5, None, 0.4, None],
        "cn8_vessels": [["AICA"], ["PICA"], [], []]})
    by = {(s.quantity, s.value): s for s in mix(cases, PRIORS)}
    assert by[("label", "compression")].realised == 0.5
    assert by[("label", "incidental")].realised == by[("label", "no_contact")].realised == 0.25
    assert by[("combination", "AICA+VA")].realised == 0.5
    assert by[("side | VA", "left")].realised == 1.0 and by[("side | VA", "left")].n == 1
    assert by[("site | AICA", "AS")].realised == 1.0
    assert by[("site | PICA", "CP")].prior == 0.0 and by[("site | PICA", "CP")].realised == 1.0
    assert by[("incidental site", "RDP")].realised == 1.0
    assert math.isclose(by[("multivessel", "2+")].realised, 0.5)
    # over the cases with an AICA only, and only the AICA's contact with CN VIII
    assert by[("CN VIII | AICA", "touched")].realised == 0.5
    assert by[("CN VIII | AICA", "touched")].n == 2
    assert by[("CN VIII | AICA", "touched")].prior == PRIORS.cn8_contact.rate


def test_odds_ratios_of_contact_by_segment():
    cases = pa.table({
        "control": [False, False, True, True],
        "side": ["left"] * 4,
        "culprits": [["AICA"], ["PICA"], ["AICA"], []],
        "culprit_segments": [["AS"], ["RDP"], ["RDP"], []],
        "extent": ["proximal", "proximal", "proximal", "none"],
        "worst_severity": ["mild", "mild", "mild", "none"]})
    ratios = odds_ratios(cases)
    assert ratios["AS"] == math.inf           # no control touched there
    assert ratios["RDP"] == pytest.approx(1.0)   # odds 1:1 on both sides
