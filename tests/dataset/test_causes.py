"""Other causes in a dataset: drawn at their published share, labelled, and added to the
case without changing its vascular part."""

import math
from collections import Counter

import pytest

from mvd_sim.contact.analysis import analyze
from mvd_sim.dataset.causes import VASCULAR, draw_cause
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import diagnosis_uniforms, draw_diagnosis, sample

PRIORS = load_priors()
WITHOUT = PRIORS.model_copy(update={"causes": None})
SEED, N = 7, 20000


def test_causes_are_drawn_at_their_published_share():
    """Over 20,000 diagnoses each cause's share of the symptomatic cases is its prior's
    (dolichoectasia's drawn among the VA cases at the share that makes it so) within three
    binomial SDs; controls never have one."""
    counts, symptomatic = Counter(), 0
    for index in range(N):
        d = draw_diagnosis(PRIORS, diagnosis_uniforms(SEED, N, index, 0))
        cause = draw_cause(PRIORS, d.culprits, d.control, SEED, index)
        if d.control:
            assert cause == VASCULAR
            continue
        symptomatic += 1
        counts[cause] += 1
    for cause, rate in PRIORS.causes.rate.items():
        sd = math.sqrt(rate * (1 - rate) / symptomatic)
        assert abs(counts[cause] / symptomatic - rate) < 3 * sd, cause
    other = sum(counts[c] for c in PRIORS.causes.rate) / symptomatic
    assert 0.01 < other < 0.025   # about 1-2% of HFS series in all


@pytest.mark.parametrize("index, cause, found", [
    (63, "arachnoid_band", "arachnoid_band"), (328, "tumour", "tumour"),
    (401, "dolichoectasia", "dolichoectasia"), (757, "avm", "avm"),
    (4778, "aneurysm", "aneurysm")])
def test_a_case_of_each_cause_has_it_and_keeps_its_vascular_part(index, cause, found):
    """The case drawn with a cause has it in its scenario and its analysis; drawn without
    the priors' causes section, the same case is the same diagnosis and vessels."""
    sampled = sample(PRIORS, SEED, N, index)
    assert sampled.cause == cause
    assert found in analyze(sampled.scene).causes
    plain = sample(WITHOUT, SEED, N, index)
    assert plain.cause == VASCULAR
    assert plain.diagnosis == sampled.diagnosis
    if sampled.attempt == plain.attempt and cause not in ("dolichoectasia", "avm"):
        assert plain.spec.vessels == sampled.spec.vessels
    assert not (plain.spec.masses or plain.spec.aneurysms or plain.spec.avms
                or plain.spec.bands)


def test_the_same_seed_gives_the_same_case_of_another_cause():
    one, two = sample(PRIORS, SEED, N, 4778), sample(PRIORS, SEED, N, 4778)
    assert one.spec == two.spec and one.cause == two.cause == "aneurysm"
