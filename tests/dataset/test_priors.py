"""Priors: every number finite and every weight table's sum too, refused in one line naming
the file and the field before anything is drawn."""

import pytest

from mvd_sim.dataset.priors import DEFAULT_PRIORS_PATH, Priors, load_priors
from mvd_sim.core.errors import ScenarioError

DEFAULTS = DEFAULT_PRIORS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, field", [
    ("side_given_va: {left: 0.658, right: 0.342}",
     "side_given_va: {left: 1.0e+308, right: 1.0e+308}",
     "side_given_va: the weights' sum overflows"),
    # YAML 1.1 (PyYAML) reads an exponent without its sign as text
    ("side_given_va: {left: 0.658, right: 0.342}",
     "side_given_va: {left: 1.0e308, right: 1.0e308}",
     "side_given_va.left: Input should be a valid number"),
    ("  AICA: 0.3563", "  AICA: .inf", "combination.AICA"),
    ("sd: 5.0, low: 60.0", "sd: .inf, low: 60.0", "crossing_angle_deg.sd"),
    ("{mean: 86.5,", "{mean: .nan,", "crossing_angle_deg.mean"),
    ("indentation_mm: {low: 0.15, high: 0.6}", "indentation_mm: {low: 0.15, high: .inf}",
     "indentation_mm.high"),
    ("PICA: {mean: 0.72, sd: 0.18, low: 0.4,", "PICA: {mean: 0.72, sd: 0.18, low: -.inf,",
     "vessel_radius_mm.PICA.low"),
    # conditional priors that do not hold together
    ("  AICA+VA: 0.1296", "  VA+AICA: 0.1296", "combination: 'VA+AICA': name each vessel once, "
                                                "in the order AICA, PICA, VA, vein"),
    ("  AICA+VA: 0.1296", "  AICA+PICA+VA: 0.1296", "combination: 'AICA+PICA+VA': a VA pushes"),
    ("  AICA+VA: 0.1296", "  AICA+BA: 0.1296", "combination: 'AICA+BA': each vessel must be"),
    ("  vein: {RExP: 0.10, AS: 0.64, RDP: 0.22}\n", "", "site_given_vessel: no prior for vein"),
    ("  contact_rate: 0.46", "  contact_rate: 1.46", "control.contact_rate"),
    ("  severity: {mild: 0.84, moderate: 0.16}", "  severity: {mild: 0.84, severe: 0.16}",
     "control.severity.severe"),
])
def test_priors_that_cannot_be_drawn_from_or_do_not_cohere_are_one_line(tmp_path, old, new,
                                                                        field):
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


def test_a_schema_1_priors_file_is_refused_in_one_line_saying_what_to_do(tmp_path):
    (tmp_path / "old.yaml").write_text("schema_version: 1\nside: {left: 0.57, right: 0.43}\n",
                                       encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"old\.yaml: schema_version: priors schema 1 .* "
                                            r"start from mvd_sim/dataset/priors\.yaml") as err:
        load_priors(tmp_path / "old.yaml")
    assert "\n" not in str(err.value)


def test_the_bundled_combinations_give_the_facts_files_marginals():
    """The combination table reproduces section 4's figures it is derived from."""
    table = load_priors().table("combination")
    involved = {k: sum(w for c, w in table.items() if k in c.split("+"))
                for k in ("VA", "vein")}
    assert involved["VA"] == pytest.approx(0.23, abs=1e-3)       # Campos-Benitez 2008
    assert table["VA"] / involved["VA"] == pytest.approx(0.03, abs=2e-3)  # VA alone: 3%
    assert involved["vein"] == pytest.approx(0.03, abs=1e-3)
    assert not any(c == "vein" for c in table)                 # always with an artery
    assert sum(w for c, w in table.items() if "+" in c) == pytest.approx(0.38, abs=1e-3)
    priors = load_priors()
    left = 0.23 * priors.table("side_given_va")["left"] \
        + 0.77 * priors.table("side_without_va")["left"]
    assert 0.55 <= left <= 0.60                                 # left 55-60%
