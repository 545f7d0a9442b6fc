"""Shared fixtures: bundled scenes are built once per test session; a disk that fills up;
locks held by other processes. Helpers that are not fixtures live in ``support.py``, which
this file makes importable."""

import sys
from functools import lru_cache
from pathlib import Path

import pytest

import mvd_sim

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import FullDisk, hold_lock  # noqa: E402  (importable only from here on)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Compile the kernels into the cache before any test, once (in the controller, before
    xdist starts its workers): the CLI's tests expect no first-run notice on stderr, also
    after a kernel file was edited."""
    if not hasattr(session.config, "workerinput"):
        from mvd_sim.core.compiled import warm_up

        warm_up()


@lru_cache(maxsize=None)
def bundled_case(name: str) -> mvd_sim.Case:
    """A bundled case, built once per session."""
    return mvd_sim.Case.bundled(name)


def bundled_scene(name: str) -> mvd_sim.Scene:
    """The scene of a bundled scenario, built once per session."""
    return bundled_case(name).scene


@lru_cache(maxsize=None)
def bundled_spec(name: str) -> mvd_sim.ScenarioSpec:
    """The validated spec of a bundled scenario."""
    return mvd_sim.load_scenario(mvd_sim.bundled_scenarios()[name])


@pytest.fixture(scope="session")
def scene_of():
    """Function returning the (cached) scene of a bundled scenario by name."""
    return bundled_scene


@pytest.fixture(scope="session")
def case_of():
    """Function returning the (cached) case of a bundled scenario by name."""
    return bundled_case


@pytest.fixture
def full_disk(monkeypatch):
    """Function ``full_disk(free_bytes)``: from then on, every file mvd-sim writes (all go
    through :mod:`mvd_sim.core.atomic`) sees a disk with that many bytes free; returns the
    :class:`support.FullDisk`, which counts the bytes of each file written."""
    from mvd_sim.core import atomic

    def install(free_bytes: float) -> FullDisk:
        disk = FullDisk(free_bytes)
        monkeypatch.setattr(atomic, "os", disk)
        return disk

    return install


@pytest.fixture
def locked_by_child():
    """Function ``locked_by_child(path)``: a child process takes ``path``'s advisory lock
    (creating the file) and holds it, like a live writer, until the test ends."""
    children = []

    def lock(path: Path):
        children.append(hold_lock(path))
        return children[-1]

    yield lock
    for child in children:
        child.kill()
        child.wait()
