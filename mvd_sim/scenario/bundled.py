"""Bundled scenarios: the YAML files in the repository's ``scenarios/`` folder.

``mvd_sim/scenarios`` is a symlink to that folder, installed as package data (see
``pyproject.toml``), so a scenario can be named by its file stem (``aica_as_moderate_right``)
as well as by a path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mvd_sim.core.errors import ScenarioError

__all__ = ["bundled_scenarios", "resolve_scenario"]


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario files by name (file stem), sorted by name."""
    folder = resources.files("mvd_sim") / "scenarios"
    found = {Path(str(entry)).stem: Path(str(entry)) for entry in folder.iterdir()
             if entry.name.endswith(".yaml")}
    return dict(sorted(found.items()))


def resolve_scenario(name_or_path: str | Path) -> Path:
    """Path of a scenario given as a file path or as the name of a bundled scenario.

    Raises
    ------
    ScenarioError
        If it is neither an existing file nor a bundled scenario's name.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    bundled = bundled_scenarios()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    raise ScenarioError(f"{name_or_path}: no such file or bundled scenario "
                        "(run 'mvd-sim list' to see the bundled ones)")
