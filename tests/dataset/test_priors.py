"""Priors: every number finite and every weight table's sum too, refused in one line naming
the file and the field before anything is drawn."""

import pytest

from mvd_sim.dataset.priors import DEFAULT_PRIORS_PATH, Priors, load_priors
from mvd_sim.core.errors import ScenarioError

DEFAULTS = DEFAULT_PRIORS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, field", [
    ("side: {left: 0.57, right: 0.43}", "side: {left: 1.0e+308, right: 1.0e+308}",
     "side: the weights' sum overflows"),
    # YAML 1.1 (PyYAML) reads an exponent without its sign as text
    ("side: {left: 0.57, right: 0.43}", "side: {left: 1.0e308, right: 1.0e308}",
     "side.left: Input should be a valid number"),
    ("culprit: {AICA: 0.43,", "culprit: {AICA: .inf,", "culprit.AICA"),
    ("sd: 5.0, low: 60.0", "sd: .inf, low: 60.0", "crossing_angle_deg.sd"),
    ("{mean: 86.5,", "{mean: .nan,", "crossing_angle_deg.mean"),
    ("indentation_mm: {low: 0.15, high: 0.6}", "indentation_mm: {low: 0.15, high: .inf}",
     "indentation_mm.high"),
    ("PICA: {mean: 0.72, sd: 0.18, low: 0.4,", "PICA: {mean: 0.72, sd: 0.18, low: -.inf,",
     "vessel_radius_mm.PICA.low"),
])
def test_priors_that_cannot_be_drawn_from_are_one_line(tmp_path, old, new, field):
    assert old in DEFAULTS
    (tmp_path / "p.yaml").write_text(DEFAULTS.replace(old, new), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_priors(tmp_path / "p.yaml")
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'p.yaml'}: {field}"), message
    assert "\n" not in message


def test_priors_survive_the_trip_to_the_workers():
    priors = load_priors()
    assert Priors.model_validate_json(priors.model_dump_json()) == priors
