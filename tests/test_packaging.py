"""The wheel ships every subpackage (an editable install would hide a missing one)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_declared():
    declared = set(SETUPTOOLS["packages"])
    code = {".".join(p.parent.relative_to(ROOT).parts)
            for p in (ROOT / "mvd_sim").rglob("__init__.py")}
    assert code <= declared


def test_a_declared_folder_without_code_ships_its_data():
    """`mvd_sim.scenarios` (the bundled scenarios) has no __init__.py: its files are data."""
    declared = set(SETUPTOOLS["packages"])
    for name in declared:
        folder = ROOT / name.replace(".", "/")
        assert folder.is_dir(), name
        if not (folder / "__init__.py").exists():
            patterns = SETUPTOOLS["package-data"][name]
            assert any(any(folder.glob(pattern)) for pattern in patterns), name
