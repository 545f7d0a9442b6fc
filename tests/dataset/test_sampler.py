"""The sampler: diagnoses follow the priors, stratified over a dataset and in a random
order, and a draw that cannot be placed gets new geometry for the same diagnosis before a
new diagnosis, all from (seed, n, index)."""

import numpy as np
import pytest
from scipy import stats

import mvd_sim
import mvd_sim.case
from mvd_sim.dataset import sampler
from mvd_sim.dataset.priors import load_priors
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import parse_scenario
from mvd_sim.scenario.schema import AnatomySpec
from mvd_sim.scene.build import NerveSites, build_scene

PRIORS = load_priors()
N_DRAWS = 4000


def _assert_share(count: int, n: int, probability: float) -> None:
    """A binomial share within 4.5 standard errors of its probability."""
    assert abs(count / n - probability) <= 4.5 * np.sqrt(probability * (1 - probability) / n)


def _normalised(table: dict) -> dict:
    return {k: v / sum(table.values()) for k, v in table.items()}


@pytest.fixture(scope="module")
def diagnoses():
    return [sampler.draw_diagnosis(PRIORS, sampler.diagnosis_uniforms(5, N_DRAWS, i, 0))
            for i in range(N_DRAWS)]


def _compressions(diagnoses, control=False):
    return [c for d in diagnoses if d.control == control for cs in d.compressions.values()
            for c in cs]


def test_diagnoses_follow_the_priors(diagnoses):
    """Every table of the priors, conditional ones given their condition."""
    labels = [d.label for d in diagnoses]
    rate, contact = PRIORS.control.rate, PRIORS.control.contact_rate
    for label, p in (("compression", 1 - rate), ("incidental", rate * contact),
                     ("no_contact", rate * (1 - contact))):
        _assert_share(labels.count(label), N_DRAWS, p)
    symptomatic = [d for d in diagnoses if not d.control]
    combinations = ["+".join(d.culprits) for d in symptomatic]
    for key, p in PRIORS.table("combination").items():
        _assert_share(combinations.count(key), len(symptomatic), p)
    for has_va, table in ((True, "side_given_va"), (False, "side_without_va")):
        sides = [d.side for d in symptomatic if ("VA" in d.culprits) == has_va]
        _assert_share(sides.count("left"), len(sides), PRIORS.table(table)["left"])
    for kind in ("AICA", "PICA"):
        sites = [d.compressions[kind][0].site for d in symptomatic if kind in d.compressions]
        for site, p in PRIORS.table(f"site_given_vessel.{kind}").items():
            _assert_share(sites.count(site), len(sites), p)
    worst = [max((c.severity for cs in d.compressions.values() for c in cs),
                 key=("mild", "moderate", "severe").index) for d in symptomatic]
    for severity, p in PRIORS.table("severity").items():
        _assert_share(worst.count(severity), len(worst), p)
    firsts = [cs for d in symptomatic for cs in list(d.compressions.values())[:1]
              if cs[0].site != "CP"]
    _assert_share(sum(len(cs) == 2 for cs in firsts), len(firsts), PRIORS.double_rate)
    assert all(cs[-1].site == "CP" for d in symptomatic for cs in d.compressions.values()
               if len(cs) == 2)
    incidental = [c for d in diagnoses if d.label == "incidental"
                  for cs in d.compressions.values() for c in cs]
    for table, values in (("control.site", [c.site for c in incidental]),
                          ("control.severity", [c.severity for c in incidental])):
        for key, p in PRIORS.table(table).items():
            _assert_share(values.count(key), len(values), p)
    assert all(c.severity is None for d in diagnoses if d.label == "no_contact"
               for cs in d.compressions.values() for c in cs)
    assert all(not d.culprits and len(d.compressions) == 1 for d in diagnoses if d.control)
    # an AICA touching CN VIII too, at the priors' rate over the cases with an AICA, and no
    # other vessel asked to
    with_aica = [d for d in diagnoses if "AICA" in set(d.culprits) | set(d.compressions)]
    _assert_share(sum(d.cn8_vessel == "AICA" for d in with_aica), len(with_aica),
                  PRIORS.cn8_contact.rate)
    assert all(d.cn8_vessel in (None, "AICA") for d in diagnoses)
    assert not any(d.cn8_vessel for d in diagnoses if d not in with_aica)


def test_without_the_cn8_section_no_cn8_contact_is_asked(diagnoses):
    priors = PRIORS.model_copy(update={"cn8_contact": None})
    drawn = [sampler.draw_diagnosis(priors, sampler.diagnosis_uniforms(5, N_DRAWS, i, 0))
             for i in range(200)]
    assert not any(d.cn8_vessel for d in drawn)
    assert any(d.cn8_vessel for d in diagnoses[:200])


def _cn8_contacts_asked(priors, cases: int = 300) -> list:
    """The CN VIII contacts drawn for the first ``cases`` diagnoses of seed 5 that ask one:
    (vessel type, contact)."""
    specs = [sampler.draw_spec(priors, d, np.random.default_rng([7, i]), f"c{i}")
             for i, d in enumerate(sampler.draw_diagnosis(
                 priors, sampler.diagnosis_uniforms(5, N_DRAWS, i, 0)) for i in range(cases))
             if d.cn8_vessel]
    asked = [(v.type, c) for s in specs for v in s.vessels for c in v.compresses
             if c.target == "CN8"]
    assert len(asked) == len(specs) > 20
    return asked


def test_a_cn8_contact_is_asked_of_the_aica_from_behind_along_the_published_stretch():
    asked = _cn8_contacts_asked(PRIORS)
    assert {kind for kind, _ in asked} == {"AICA"}
    prior = PRIORS.cn8_contact.s_mm
    assert all(prior.low <= c.s_mm <= prior.high and c.side in sampler.CN8_SIDE_WEIGHTS
               for _, c in asked)
    assert {c.side for _, c in asked} == set(sampler.CN8_SIDE_WEIGHTS)


def test_a_cn8_contact_crosses_at_its_own_angle_or_cn7s_where_the_priors_give_none():
    """The AICA's postmeatal segment crosses CN VIII obliquely (``cn8_contact``'s
    ``crossing_angle_deg``, 25-45 deg); a priors file without it draws CN VII's angle."""
    own = PRIORS.cn8_contact.crossing_angle_deg
    angles = [c.crossing_angle_deg for _, c in _cn8_contacts_asked(PRIORS)]
    assert all(own.low <= a <= own.high for a in angles)
    assert abs(np.mean(angles) - own.mean) < 2.0
    without = PRIORS.model_copy(update={"cn8_contact": PRIORS.cn8_contact.model_copy(
        update={"crossing_angle_deg": None})})
    cn7 = PRIORS.crossing_angle_deg
    angles = [c.crossing_angle_deg for _, c in _cn8_contacts_asked(without)]
    assert all(cn7.low <= a <= cn7.high for a in angles)
    assert abs(np.mean(angles) - cn7.mean) < 2.0


def test_quasi_random_diagnoses_depart_from_the_priors_less_than_independent_ones():
    """A dataset of 500 cases' combination shares: within a third of a binomial SD (iid
    draws would be within one SD only about two times in three)."""
    n = 500
    drawn = [sampler.draw_diagnosis(PRIORS, sampler.diagnosis_uniforms(8, n, i, 0))
             for i in range(n)]
    symptomatic = ["+".join(d.culprits) for d in drawn if not d.control]
    assert abs(len(symptomatic) / n - (1 - PRIORS.control.rate)) <= 2 / n
    for key, p in PRIORS.table("combination").items():
        sd = np.sqrt(p * (1 - p) / len(symptomatic))
        assert abs(symptomatic.count(key) / len(symptomatic) - p) <= max(sd / 3, 1.5 /
                                                                        len(symptomatic))


def test_no_severe_compression_at_the_root_exit_point_and_the_site_shares_hold(diagnoses):
    """A severe compression deviates the nerve, which cannot move where it leaves the
    brainstem: the sampler never asks it there, and asks milder ones there more often so
    that each vessel's sites keep their priors (checked above)."""
    every = _compressions(diagnoses)
    assert not any(c.site == "RExP" and c.severity == "severe" for c in every)
    assert any(c.site == "RExP" for c in every)


def test_veins_offend_only_with_an_artery_and_a_va_never_pushes_a_vein(diagnoses):
    for d in diagnoses:
        assert d.culprits != ("vein",)
        assert not ("VA" in d.culprits and "vein" in d.culprits)


def test_a_pushing_va_compresses_nothing_itself(diagnoses):
    pushers = [d for d in diagnoses if d.pusher]
    assert pushers and all("VA" not in d.compressions for d in pushers)
    assert all(set(d.compressions) == set(d.culprits) - {"VA"} for d in pushers)


def _worst(diagnosis) -> str:
    """The severity of a diagnosis's worst compression (its first vessel's first)."""
    return next(iter(diagnosis.compressions.values()))[0].severity


def test_a_failed_draw_gets_new_geometry_before_a_new_diagnosis(monkeypatch):
    tries = sampler.GEOMETRY_ATTEMPTS
    seen = []

    def build(spec, name):
        seen.append(spec)
        if len(seen) <= tries:   # every geometry of the first diagnosis conflicts
            raise ScenarioError("conflict")
        return "scene"
    monkeypatch.setattr(mvd_sim.case, "build_scene", build)
    spec, scene, attempt = sampler.sample_case(PRIORS, 3, 40, 17)
    assert (scene, attempt, spec) == ("scene", tries, seen[-1])
    # the documented streams: diagnosis_uniforms(seed, n, index, round), geometry
    # [seed, index, 1, attempt]
    rounds = [sampler.draw_diagnosis(PRIORS, sampler.diagnosis_uniforms(3, 40, 17, r))
              for r in (0, 1)]
    # a diagnosis drawn again keeps its label, culprits, side and worst severity
    assert (rounds[0].label, rounds[0].culprits, rounds[0].side, _worst(rounds[0])) == \
        (rounds[1].label, rounds[1].culprits, rounds[1].side, _worst(rounds[1]))
    for a, drawn in enumerate(seen):
        assert drawn == sampler.draw_spec(PRIORS, rounds[a // tries],
                                          np.random.default_rng([3, 17, 1, a]), "case0000017")
    clinical = {(s.side, tuple((v.id, tuple(c.segment for c in v.compresses))
                               for v in s.vessels)) for s in seen[:tries]}
    assert len(clinical) == 1
    assert len({tuple(v.radius_mm for v in s.vessels) for s in seen[:tries]}) == tries


def test_a_case_no_draw_can_place_is_an_error(monkeypatch):
    def build(spec, name):
        raise ScenarioError("conflict")
    monkeypatch.setattr(mvd_sim.case, "build_scene", build)
    with pytest.raises(ScenarioError, match=f"case0000004: no placeable draw in "
                                            f"{sampler.MAX_ATTEMPTS} attempts"):
        sampler.sample_case(PRIORS, 1, 5, 4)


def test_a_side_is_drawn_from_the_usable_ones_by_the_vessels_weights():
    rng = np.random.default_rng(8)
    n = 2000
    weights = sampler.SIDE_WEIGHTS_BY_VESSEL
    # AICA prefers anterior, caudal and posterior alike: renormalised over the two usable
    drawn = [sampler.approach_side(weights["AICA"], ["lateral", "anterior", "caudal"], rng)
             for _ in range(n)]
    assert set(drawn) == {"anterior", "caudal"}
    _assert_share(drawn.count("anterior"), n, 0.5)
    assert {sampler.approach_side(weights["PICA"], ["lateral", "caudal"], rng)
            for _ in range(50)} == {"caudal"}
    # none of the vessel's sides usable: drawn from all of them, to be refused and redrawn
    assert {sampler.approach_side(weights["VA"], ["lateral"], rng) for _ in range(50)} == \
        {"anterior", "caudal"}


def test_a_pick_is_generator_choices_from_the_one_uniform_it_draws():
    """``_pick_of`` picks what ``Generator.choice`` does over the renormalised weights, from
    the one uniform choice draws (the generator left in the same state after)."""
    meta = np.random.default_rng(3)
    for trial in range(3000):
        weights = np.ones(1 + trial % 4) if trial % 2 else meta.random(1 + trial % 6) + 1e-3
        chosen, picked = np.random.default_rng([5, trial]), np.random.default_rng([5, trial])
        assert sampler._pick_of(weights, float(picked.random())) == \
            chosen.choice(len(weights), p=weights / weights.sum())
        assert chosen.random() == picked.random()


@pytest.mark.parametrize("kind", ["AICA", "VA", "vein"])
def test_a_side_asked_one_at_a_time_is_the_side_drawn_from_the_usable_list(kind):
    """Given a test of one side instead of the usable sides, ``approach_side`` asks only the
    sides its pick depends on and picks the same side from the same generator, which it
    leaves in the same state: over every set of usable sides, 300 generators each, it asks
    fewer sides than there are (a fifth fewer or more: AICA's three 0.67 of them, the
    VA's two 0.76), and never one twice."""
    weights = sampler.SIDE_WEIGHTS_BY_VESSEL[kind]
    sides = list(weights)
    asked_in_all = 0
    for mask in range(2 ** len(sides)):
        usable = [side for k, side in enumerate(sides) if mask >> k & 1]
        for seed in range(300):
            asked: list[str] = []

            def ask(side: str) -> bool:
                asked.append(side)
                return side in usable

            listed, lazy = np.random.default_rng([seed, mask]), np.random.default_rng([seed, mask])
            assert sampler.approach_side(weights, ask, lazy) == \
                sampler.approach_side(weights, usable, listed)
            assert lazy.random() == listed.random()
            assert len(set(asked)) == len(asked)
            asked_in_all += len(asked)
    assert asked_in_all < 0.8 * len(sides) * 300 * 2 ** len(sides)


def _aica_from(side: str, angle: float = 85.0, segment: str = "AS") -> dict:
    return {"schema_version": 1, "title": "t", "description": "d", "side": "right",
            "vessels": [{"id": "a", "type": "AICA", "radius_mm": 0.5, "compresses": [
                {"target": "CN7", "segment": segment, "from": side,
                 "crossing_angle_deg": angle}]}]}


@pytest.mark.parametrize("segment, usable, refusal", [
    ("AS", ["anterior", "caudal"], "enter the brainstem"),
    ("CP", ["anterior", "caudal"], "run into CN8")])
def test_the_sides_a_site_allows_are_those_placement_honours(segment, usable, refusal):
    """NerveSites makes placement's own checks before any vessel is placed. At the centre of
    the default anatomy's attached segment (heading laterally on the pons) an AICA can come
    from anterior or caudal, which place, but not from posterior, whose crossing there
    enters the brainstem; in the cisternal portion CN VIII lies apposed behind and below
    CN VII, and a crossing from posterior runs into it (both refused as built)."""
    sites = NerveSites(AnatomySpec())
    s_mm = sites.point("CN7", segment)
    assert sites.sides("CN7", s_mm, 0.5, 85.0, among=sampler.SIDES_BY_VESSEL["AICA"]) == usable
    for side in sampler.SIDES_BY_VESSEL["AICA"]:
        spec = parse_scenario(_aica_from(side, segment=segment))
        if side in usable:
            build_scene(spec)
        else:
            with pytest.raises(ScenarioError, match=rf"from: .* {side} would {refusal}"):
                build_scene(spec)


def test_a_severe_compression_is_asked_where_its_deviation_fits():
    """At the centre of the default attached segment (2.9 mm from the RExP) a 1.2 mm
    deviation by a 0.8 mm vessel would bend CN VII tighter than the vessel and is refused;
    the sampler asks it at the first point of the segment where it fits, which builds, and
    the contact is still reported on the attached segment."""
    sites = NerveSites(AnatomySpec())
    contact = {"target": "CN7", "segment": "AS", "crossing_angle_deg": 85.0,
               "indentation_mm": 0.3, "nerve_deviation_mm": 1.2}
    centre_mm = sites.point("CN7", "AS")
    s_mm = sampler._contact_point(contact, sites, "AS", 0.5, 0.8)
    assert centre_mm < s_mm < sites.segment_end("CN7", "AS")
    assert contact["s_mm"] == s_mm and "segment" not in contact
    spec = {"schema_version": 1, "title": "t", "description": "d", "side": "right",
            "vessels": [{"id": "a", "type": "AICA", "radius_mm": 0.8, "compresses": [
                {**contact, "from": "anterior"}]}]}
    (found,) = mvd_sim.analyze(build_scene(parse_scenario(spec))).contacts
    assert found.segment == "AS" and found.severity == "severe"
    with pytest.raises(ScenarioError, match="would bend CN7 tighter than the vessel"):
        build_scene(parse_scenario({**spec, "vessels": [{**spec["vessels"][0], "compresses": [
            {**contact, "from": "anterior", "s_mm": centre_mm}]}]}))


def test_a_severe_compression_takes_the_distal_place_on_a_shared_segment():
    """It needs room from the RExP to deviate the nerve: on a segment it shares it lands
    last; a shared segment's contacts are spread from 0.2 to 0.8 of it and asked by s_mm
    (the builder would put them at its thirds, in the scenario's order); a lone one and
    other segments keep their segment, at its centre."""
    shared = sampler.Diagnosis("right", ("AICA", "PICA"), False, {
        "PICA": (sampler.Compression("AS", "severe"),),
        "AICA": (sampler.Compression("AS", "moderate"), sampler.Compression("CP", "mild"))})
    assert sampler._segment_fractions(shared) == {("AICA", 0): 0.2, ("PICA", 0): 0.8,
                                                  ("AICA", 1): 0.5}
    assert sampler._pinned(shared) == {"AS"}
    alone = sampler.Diagnosis("right", ("PICA",), False,
                              {"PICA": (sampler.Compression("AS", "severe"),)})
    assert sampler._pinned(alone) == set()


def test_contacts_sharing_a_segment_are_spread_over_it_and_asked_by_arc_length():
    """Two or three vessels on one segment, none severe: evenly from 0.2 to 0.8 of it in the
    vessels' order, so that two on the 5.5 mm attached segment lie 3.3 mm apart (1.8 at its
    thirds, where they pressed each other in most draws)."""
    three = sampler.Diagnosis("right", ("AICA", "PICA", "vein"), False, {
        "PICA": (sampler.Compression("RDP", "mild"),),
        "AICA": (sampler.Compression("RDP", "moderate"),),
        "vein": (sampler.Compression("RDP", "mild"),)})
    assert sampler._segment_fractions(three) == pytest.approx(
        {("PICA", 0): 0.2, ("AICA", 0): 0.5, ("vein", 0): 0.8})
    assert sampler._pinned(three) == {"RDP"}
    rng = np.random.default_rng(3)
    spec = sampler.draw_spec(PRIORS, three, rng, "c")
    sites = NerveSites(spec.anatomy)
    asked = [c.s_mm for v in spec.vessels for c in v.compresses]
    start, end = sites.point("CN7", "RDP", 0.0), sites.segment_end("CN7", "RDP")
    assert sorted(asked) == pytest.approx([start + f * (end - start) for f in (0.2, 0.5, 0.8)],
                                          abs=0.006)


def test_a_dataset_draws_the_stratified_points_in_a_random_order():
    """Its n cases take the R_d points 1 .. n each once (the stratified set), in an order
    that depends on the seed and n; a case is reproducible from (seed, n, index) alone."""
    n = 1000
    points = [sampler.diagnosis_point(4, n, i) for i in range(n)]
    assert sorted(points) == list(range(n))
    assert points != sorted(points)
    assert points != [sampler.diagnosis_point(5, n, i) for i in range(n)]
    assert points[:10] != [sampler.diagnosis_point(4, n + 1, i) for i in range(10)]
    with pytest.raises(IndexError, match="case index 1000 is not in 0 .. 999"):
        sampler.diagnosis_point(4, n, n)


def _labels(diagnoses) -> list[str]:
    return [d.label for d in diagnoses]


def _multivessel(diagnoses) -> list[bool]:
    return [len(d.culprits) > 1 for d in diagnoses]


def _worst_severity(diagnoses) -> list[str]:
    """Each case's worst compression (``none``: a control's vessel that does not touch)."""
    order = ("none", "mild", "moderate", "severe")
    return [max((c.severity or "none" for cs in d.compressions.values() for c in cs),
                key=order.index) for d in diagnoses]


@pytest.mark.parametrize("values", [_labels, _multivessel, _worst_severity])
def test_neighbouring_cases_are_as_unalike_as_independent_ones(diagnoses, values):
    """Case i + 1's diagnosis does not depend on case i's: the table of consecutive pairs
    passes a chi-square test of independence (in R_d order a control never follows a
    control: the chain steps by the golden ratio, past the control rate)."""
    drawn = values(diagnoses)
    kinds = sorted(set(drawn))
    pairs = np.zeros((len(kinds), len(kinds)))
    for a, b in zip(drawn, drawn[1:]):
        pairs[kinds.index(a), kinds.index(b)] += 1
    assert stats.chi2_contingency(pairs).pvalue > 1e-3


@pytest.mark.parametrize("values", [_labels, _multivessel, _worst_severity])
def test_any_range_of_cases_varies_as_a_random_subset_does(diagnoses, values):
    """Blocks of 50 consecutive cases (a split by index) differ in their mix as much as
    random subsets of the dataset do, no less (in R_d order every block was the priors in
    small) and no more: the blocks' counts of each value pass a chi-square test of
    homogeneity, scaled for drawing without replacement."""
    block = 50
    drawn = np.array(values(diagnoses))
    blocks = len(drawn) // block
    scale = (len(drawn) - block) / (len(drawn) - 1)  # finite population correction
    for value in set(drawn.tolist()):
        counts = (drawn[:blocks * block] == value).reshape(blocks, block).sum(axis=1)
        p = counts.sum() / (blocks * block)
        dispersion = np.sum((counts - block * p) ** 2) / (block * p * (1 - p) * scale)
        assert stats.chi2.ppf(1e-3, blocks - 1) < dispersion < stats.chi2.ppf(1 - 1e-3,
                                                                               blocks - 1)
