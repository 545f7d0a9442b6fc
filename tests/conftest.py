"""Shared fixtures: bundled scenes are built once per test session."""

from functools import lru_cache

import pytest

import mvd_sim


@lru_cache(maxsize=None)
def bundled_scene(name: str) -> mvd_sim.Scene:
    """The scene of a bundled scenario, built once per session."""
    return mvd_sim.load_scene(name)


@lru_cache(maxsize=None)
def bundled_spec(name: str) -> mvd_sim.ScenarioSpec:
    """The validated spec of a bundled scenario."""
    return mvd_sim.load_scenario(mvd_sim.bundled_scenarios()[name])


@pytest.fixture(scope="session")
def scene_of():
    """Function returning the (cached) scene of a bundled scenario by name."""
    return bundled_scene
