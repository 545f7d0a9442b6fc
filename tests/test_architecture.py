"""The package's architecture: its layers import one way (``[tool.importlinter]`` in
pyproject.toml, checked with import-linter), and no two modules of a package import each
other round a circle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(project: Path) -> subprocess.CompletedProcess:
    """import-linter on the ``mvd_sim`` package and the contracts found in ``project``."""
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert script is not None, "import-linter is not installed (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([script, "--no-cache"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_layers_and_packages_keep_their_contracts():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract is not vacuous: the core importing the contact engine breaks it."""
    shutil.copytree(ROOT / "mvd_sim", tmp_path / "mvd_sim", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    tube = tmp_path / "mvd_sim" / "core" / "tube.py"
    tube.write_text(tube.read_text() + "\nfrom mvd_sim.contact.analysis import analyze\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "mvd_sim.core.tube -> mvd_sim.contact.analysis" in result.stdout
