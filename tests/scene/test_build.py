"""Scene building at the edges of what a scenario may ask: a scene or one line, nothing else."""

from __future__ import annotations

import annotated_types
import pytest
import yaml

import mvd_sim
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario.schema import AnatomySpec, parse_scenario


def _extremes(model) -> list[tuple[str, float]]:
    """(field, value) at both ends of every override the schema accepts."""
    out = []
    for name, field in model.model_fields.items():
        low = high = None
        for item in field.metadata:
            if isinstance(item, annotated_types.Gt):
                low = item.gt + (1 if isinstance(item.gt, int) else 1e-6)
            elif isinstance(item, annotated_types.Ge):
                low = item.ge
            elif isinstance(item, annotated_types.Le):
                high = item.le
        out += [(name, value) for value in (low, high) if value is not None]
    return out


OVERRIDES = [(group, name, value)
             for group, field in AnatomySpec.model_fields.items()
             for name, value in _extremes(field.annotation)]


def test_every_override_field_has_both_bounds():
    groups = {group: field.annotation for group, field in AnatomySpec.model_fields.items()}
    assert len(OVERRIDES) == 2 * sum(len(model.model_fields) for model in groups.values())


@pytest.mark.parametrize("scenario", ["atlas_default_right", "aica_as_moderate_right"])
def test_overrides_at_their_bounds_build_or_are_refused_in_one_line(scenario):
    base = yaml.safe_load(mvd_sim.resolve_scenario(scenario).read_text(encoding="utf-8"))
    outcomes = {"built": 0, "refused": 0}
    for group, name, value in OVERRIDES:
        data = {**base, "anatomy": {group: {name: value}}}
        try:
            scene = mvd_sim.build_scene(parse_scenario(data, "case.yaml"))
        except ScenarioError as err:
            assert "\n" not in str(err)
            outcomes["refused"] += 1
        else:
            mvd_sim.analyze(scene)
            outcomes["built"] += 1
    assert outcomes["built"] > outcomes["refused"] > 0
