"""The sampler: diagnoses follow the priors, and a draw that cannot be placed gets new
geometry for the same diagnosis before a new diagnosis, all from (seed, index)."""

import numpy as np
import pytest

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
    return [sampler.draw_diagnosis(PRIORS, np.random.default_rng([5, i]))
            for i in range(N_DRAWS)]


def test_diagnoses_follow_the_priors(diagnoses):
    primary = [d.culprits[0] for d in diagnoses]
    for kind, p in _normalised(PRIORS.culprit).items():
        _assert_share(primary.count(kind), N_DRAWS, p)
    for side, p in _normalised(PRIORS.side).items():
        _assert_share(sum(d.side == side for d in diagnoses), N_DRAWS, p)
    _assert_share(sum(len(d.culprits) > 1 for d in diagnoses), N_DRAWS,
                  PRIORS.multivessel_rate)
    first = [c[0] for d in diagnoses for c in d.compressions.values()]
    for site, p in _normalised(PRIORS.site).items():
        _assert_share(sum(c.site == site for c in first), len(first), p)
    every = [c for d in diagnoses for cs in d.compressions.values() for c in cs]
    for severity, p in _normalised(PRIORS.severity).items():
        _assert_share(sum(c.severity == severity for c in every), len(every), p)
    could_be_double = [cs for d in diagnoses for cs in d.compressions.values()
                       if cs[0].site != "CP"]
    _assert_share(sum(len(cs) == 2 for cs in could_be_double), len(could_be_double),
                  PRIORS.double_rate)
    assert all(cs[-1].site == "CP" for d in diagnoses for cs in d.compressions.values()
               if len(cs) == 2)


def test_a_pushing_va_compresses_nothing_itself(diagnoses):
    pushers = [d for d in diagnoses if d.pusher]
    assert pushers and all("VA" not in d.compressions for d in pushers)
    assert all(set(d.compressions) == set(d.culprits) - {"VA"} for d in pushers)


def test_a_failed_draw_gets_new_geometry_before_a_new_diagnosis(monkeypatch):
    tries = sampler.GEOMETRY_ATTEMPTS
    seen = []

    def build(spec, name):
        seen.append(spec)
        if len(seen) <= tries:   # every geometry of the first diagnosis conflicts
            raise ScenarioError("conflict")
        return "scene"
    monkeypatch.setattr(mvd_sim.case, "build_scene", build)
    spec, scene, attempt = sampler.sample_case(PRIORS, 3, 17)
    assert (scene, attempt, spec) == ("scene", tries, seen[-1])
    # the documented streams: diagnosis [seed, index, 0, round], geometry [.., 1, attempt]
    rounds = [sampler.draw_diagnosis(PRIORS, np.random.default_rng([3, 17, 0, r]))
              for r in (0, 1)]
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
        sampler.sample_case(PRIORS, 1, 4)


def test_a_side_is_drawn_from_the_usable_ones_by_the_vessels_weights():
    rng = np.random.default_rng(8)
    n = 2000
    # AICA prefers anterior, caudal and posterior alike: renormalised over the two usable
    drawn = [sampler.approach_side("AICA", ["lateral", "anterior", "caudal"], rng)
             for _ in range(n)]
    assert set(drawn) == {"anterior", "caudal"}
    _assert_share(drawn.count("anterior"), n, 0.5)
    assert {sampler.approach_side("PICA", ["lateral", "caudal"], rng)
            for _ in range(50)} == {"caudal"}
    # none of the vessel's sides usable: drawn from all of them, to be refused and redrawn
    assert {sampler.approach_side("VA", ["lateral"], rng) for _ in range(50)} == \
        {"anterior", "caudal"}


def _aica_from(side: str, angle: float = 85.0) -> dict:
    return {"schema_version": 1, "title": "t", "description": "d", "side": "right",
            "vessels": [{"id": "a", "type": "AICA", "radius_mm": 0.5, "compresses": [
                {"target": "CN7", "segment": "AS", "from": side,
                 "crossing_angle_deg": angle}]}]}


def test_the_sides_a_site_allows_are_those_placement_honours():
    """NerveSites makes placement's own checks before any vessel is placed: at the attached
    segment's centre of the default anatomy an AICA can come from caudal (which places) but
    not from anterior or posterior, whose narrow sectors there face the brainstem (refused
    as built)."""
    sites = NerveSites(AnatomySpec())
    s_mm = sites.point("CN7", "AS")
    usable = sites.sides("CN7", s_mm, 0.5, 85.0, among=sampler.SIDES_BY_VESSEL["AICA"])
    assert usable == ["caudal"]
    for side in sampler.SIDES_BY_VESSEL["AICA"]:
        spec = parse_scenario(_aica_from(side))
        if side in usable:
            build_scene(spec)
        else:
            with pytest.raises(ScenarioError, match=rf"from: .*{side}"):
                build_scene(spec)
