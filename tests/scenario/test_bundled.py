"""Bundled scenarios: the repository's ``scenarios/`` folder, installed as package data."""

from __future__ import annotations

from pathlib import Path

import mvd_sim

REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = mvd_sim.bundled_scenarios()


def test_bundled_scenarios_are_the_repository_folder():
    assert BUNDLED, "no bundled scenario found"
    assert set(BUNDLED) == {p.stem for p in REPO_SCENARIOS.glob("*.yaml")}
    assert list(BUNDLED) == sorted(BUNDLED)
    assert "aica_as_moderate_right" in BUNDLED


