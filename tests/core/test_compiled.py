"""Tests of mvd_sim.core.compiled: one signature per kernel, a cache keyed on every kernel
source, and kernels that still run where nothing can be cached."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mvd_sim
from mvd_sim.core import compiled
from mvd_sim.core.geometry import closest, curve

_SCRIPT = """
import numpy as np
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.core.geometry.closest import closest_approach
shape = BrainstemShape()
print(repr(float(Brainstem(shape, shape.root_exit_point(12.0)).signed_distance([[0, 0, 5.0]])[0])))
line = np.linspace([-5.0, 0, 0], [5.0, 0, 0], 21)
print(repr(closest_approach(line, line[:, [1, 0, 2]] + [0, 0, 3.0], 1.0, 0.5).gap))
"""


def test_the_kernels_still_run_where_nothing_can_be_cached(tmp_path):
    """A cache folder that cannot be made (beneath a file): the kernels are compiled in the
    process. Brainstem distance and a tube gap (two crossing tubes 3 mm apart, radii 1 and
    0.5: 1.5 mm) come out as here."""
    from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape

    (tmp_path / "file").write_text("")
    env = {**os.environ, compiled.CACHE_DIR_ENV: str(tmp_path / "file" / "cache")}
    run = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, check=True)
    distance, gap = (float(line) for line in run.stdout.split())
    shape = BrainstemShape()
    here = Brainstem(shape, shape.root_exit_point(12.0)).signed_distance([[0, 0, 5.0]])[0]
    assert distance == pytest.approx(here, abs=1e-12)
    assert gap == pytest.approx(1.5, abs=1e-12)
    assert not (tmp_path / "file" / "cache").exists()


def test_every_kernel_has_its_one_signature_after_typical_calls(scene_of):
    """Writable, read-only and strided arrays, a report and a scene build, then the rest of
    the kernels: each kernel has compiled exactly its declared signature, no other."""
    scene = scene_of("multi_aica_pica_right")
    mvd_sim.analyze(scene)
    points = np.linspace([0.0, 0.0, 0.0], [10.0, 2.0, 1.0], 12)
    frozen = points.copy()
    frozen.flags.writeable = False
    for polyline in (points, frozen, np.asfortranarray(points), points[::2]):
        curve.arc_length(polyline)
        curve.tangents(polyline)
        closest.point_polyline(points[:3] + 1.0, polyline)
    compiled.warm_up()
    for kernel in compiled.kernels():
        assert kernel.signatures == [kernel.argtypes], kernel.py_func.__qualname__


def test_a_kernel_refuses_what_its_signature_cannot_take():
    """An argument numba cannot safely convert (float32 points) is refused, not compiled
    as another version."""
    with pytest.raises(TypeError, match="No matching definition"):
        curve.arc_length_kernel(np.zeros((3, 3), np.float32))
    assert len(curve.arc_length_kernel.signatures) == 1


def test_the_cache_key_hashes_every_file_that_defines_kernels():
    """The files the key hashes are those of the kernels (with the decorator's own), so an
    edit in any of them starts a new cache folder."""
    files = {Path(inspect.getfile(kernel.py_func)).resolve() for kernel in compiled.kernels()}
    assert set(compiled.kernel_sources()) == files | {Path(compiled.__file__).resolve()}
    cache = compiled.kernel_cache()
    assert cache.folder.name == cache.key[:16]


_CALLEE = """
from mvd_sim.core.compiled import FLOAT, compiled
from numba import njit


@compiled(FLOAT)
def offset(x):
    return x + {step}


@njit(cache=True)
def numba_offset(x):
    return x + {step}
"""

_CALLER = """
from mvd_sim.core.compiled import FLOAT, compiled
from numba import njit

from mvd_sim.core.probe_callee import numba_offset, offset


@compiled(FLOAT)
def twice(x):
    return 2.0 * offset(x)


@njit(cache=True)
def numba_twice(x):
    return 2.0 * numba_offset(x)
"""

_PROBE = """
from mvd_sim.core.compiled import kernel_cache
from mvd_sim.core.probe_caller import numba_twice, twice
print(twice(1.0), numba_twice(1.0), kernel_cache().folder.name)
"""


def test_editing_a_callee_in_another_file_recompiles_its_callers(tmp_path):
    """In a copy of the package, a kernel calls one in another file; the callee's step
    goes from 1 to 2. The next process compiles into a new folder and gets the new result;
    numba's own cache (``njit(cache=True)``, keyed on each function's file) keeps the
    caller's stale machine code."""
    package = tmp_path / "mvd_sim"
    shutil.copytree(Path(mvd_sim.__file__).parent, package, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "core" / "probe_caller.py").write_text(_CALLER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path),
           compiled.CACHE_DIR_ENV: str(tmp_path / "cache")}

    def run(step: str) -> list[str]:
        (package / "core" / "probe_callee.py").write_text(_CALLEE.format(step=step))
        return subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout.split()

    ours, numbas, folder = run("1.0")
    assert (ours, numbas) == ("4.0", "4.0")
    ours, numbas, new_folder = run("2.0")
    assert ours == "6.0" and new_folder != folder
    assert numbas == "4.0"  # stale: what this package's key is for


def test_warm_up_counts_what_it_compiled():
    """Everything is compiled once warm: a second warm-up compiles nothing."""
    compiled.warm_up()
    again = compiled.warm_up()
    assert again.kernels == len(compiled.kernels()) and again.compiled == 0
    assert compiled.uncached() == []


def test_kernels_are_grouped_by_the_package_area_that_defines_them():
    """The areas partition the kernels; the LDL solver's are the mechanics'; each area has
    its own compile-time estimate."""
    groups = {kernel.group for kernel in compiled.kernels()}
    assert groups == {"core", "anatomy", "contact", "mechanics"}
    assert sum(len(compiled.kernels((group,))) for group in groups) == len(compiled.kernels())
    mechanics = compiled.kernels(("mechanics",))
    modules = {k.py_func.__module__ for k in mechanics}
    assert {"mvd_sim.mechanics.contact_kernels", "mvd_sim.mechanics.ldl_kernels"} <= modules
    assert all(m.startswith("mvd_sim.mechanics.") for m in modules)
    assert all(k.py_func.__module__.split(".")[1] == k.group for k in compiled.kernels())
    assert "ldl_factor" in {k.py_func.__name__ for k in mechanics}
    assert groups <= set(compiled.GROUP_SECONDS_PER_KERNEL)


def test_the_estimate_sums_each_areas_rate_in_steps_of_five_seconds():
    every = compiled.kernels()
    seconds = sum(compiled.GROUP_SECONDS_PER_KERNEL[k.group] for k in every)
    assert compiled.estimated_seconds(every) == 5 * -(-seconds // 5) >= seconds
    assert compiled.estimated_seconds([]) == 5
    scene = compiled.kernels(("core", "anatomy", "contact"))
    assert compiled.estimated_seconds(scene) < compiled.estimated_seconds(every)


_NOTIFIED = """
import numpy as np
from mvd_sim.core import compiled
from mvd_sim.core.geometry import curve
seen = []
with compiled.on_compile(lambda kernel: seen.append(kernel.py_func.__name__)):
    curve.arc_length(np.zeros((3, 3)))
curve.point_at(np.zeros((3, 3)), np.arange(3.0), 0.5)
print(seen)
"""


def test_on_compile_is_told_of_a_compile_not_of_a_load(tmp_path):
    """In an empty cache the kernel compiled within the block is named (once), one compiled
    after the block is not; the next process loads it from the cache and is told nothing."""
    env = {**os.environ, compiled.CACHE_DIR_ENV: str(tmp_path / "cache")}

    def run() -> str:
        return subprocess.run([sys.executable, "-c", _NOTIFIED], env=env, capture_output=True,
                              text=True, check=True).stdout.strip()

    assert run() == "['arc_length_kernel']"
    assert run() == "[]"
