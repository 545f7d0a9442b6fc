"""Helpers shared by the tests (importable as ``support``: ``conftest.py`` puts this folder on
``sys.path``): running the CLI as a user would, a disk that fills up, folder snapshots, and a
lock held by another process."""

from __future__ import annotations

import errno
import math
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

#: The first bytes of each image format's files.
IMAGE_MAGIC = {"PNG": (b"\x89PNG\r\n\x1a\n",), "JPEG": (b"\xff\xd8\xff",),
               "TIFF": (b"II*\x00", b"MM\x00*")}
#: mvd-sim's own temporaries: ``.<stem>.tmp-<16 hex><suffix>`` files, ``.staging-*`` folders.
TEMPORARY = re.compile(r"(^|/)(\.[^/]*\.tmp-[0-9a-f]{16}[^/]*|\.staging-[^/]*)(/|$)")


def run_cli(*args: str, cwd: Path, script: str | None = None) -> subprocess.CompletedProcess:
    """Run the CLI with ``python -m mvd_sim`` (or the given console script) in ``cwd``."""
    command = [script] if script else [sys.executable, "-m", "mvd_sim"]
    env = {k: v for k, v in os.environ.items() if k != "MVD_SIM_DEBUG"}
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def assert_one_error_line(stderr: str, *fragments: str) -> str:
    """``stderr`` is one line, no traceback, holding every fragment; returns the line."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


class FullDisk:
    """``os`` as :mod:`mvd_sim.core.atomic` sees it, on a disk with ``free_bytes`` left.

    A write that does not fit writes what does (as the kernel does) and the next raises
    ``ENOSPC``. Every other function is the real one. ``files`` counts the bytes written to
    each temporary file (opened with ``O_EXCL``), in order.
    """

    def __init__(self, free_bytes: float = math.inf):
        self.free_bytes = free_bytes
        self.files: list[int] = []

    def __getattr__(self, name: str):
        return getattr(os, name)

    def open(self, path, flags, mode=0o777, **kwargs):
        fd = os.open(path, flags, mode, **kwargs)
        if flags & os.O_EXCL:
            self.files.append(0)
        return fd

    def write(self, fd: int, data) -> int:
        room = self.free_bytes - sum(self.files)
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(memoryview(data)[:int(min(room, len(data)))]))
        self.files[-1] += written
        return written


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (``None``) under ``folder``, hidden ones included,
    by path relative to ``folder``."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        found[path.relative_to(folder).as_posix()] = \
            None if path.is_dir() else path.read_bytes()
    return found


#: What a killed run leaves, unlocked: a temporary file and a staging folder (empty, so they
#: take no room on a nearly full disk).
STALE_TEMPORARIES = (".report.tmp-0123456789abcdef.json", ".staging-dead0001")


def plant_stale_temporaries(folder: Path) -> None:
    """Leave :data:`STALE_TEMPORARIES` in ``folder`` (which must exist)."""
    (folder / STALE_TEMPORARIES[0]).touch()
    (folder / STALE_TEMPORARIES[1]).mkdir(exist_ok=True)


def temporaries(folder: Path | dict) -> list[str]:
    """The mvd-sim temporaries under ``folder`` (or in a :func:`tree` of one), by relative
    path."""
    return [name for name in (folder if isinstance(folder, dict) else tree(folder))
            if TEMPORARY.search(name)]


LOCK_HOLDER = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


def hold_lock(path: Path) -> subprocess.Popen:
    """A child process holding ``path``'s advisory lock (creating it) until killed: a live
    writer's temporary, as another run sees it."""
    child = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "locked\n"
    return child


def failing_file(sizes: list[int], free: int) -> int:
    """Index of the first of the files of ``sizes`` (written in order) that does not fit in
    ``free`` (same unit); the files must not all fit."""
    ends = [sum(sizes[:k + 1]) for k in range(len(sizes))]
    return next(k for k, end in enumerate(ends) if end > free)


def failure_points(sizes: list[int]) -> dict[int, int]:
    """Free bytes at which writing files of ``sizes`` (bytes, in order) fails, each with
    the index of the file that then fails: before the first byte, in the middle of the
    first file, at the start of the second (if any), and at the last byte of the last."""
    frees = {0, sizes[0] // 2, sum(sizes) - 1} | ({sizes[0]} if len(sizes) > 1 else set())
    return {free: failing_file(sizes, free) for free in sorted(frees)}


# -- exercises (tests/exercise) ---------------------------------------------------------------

#: The secret the exercise tests' folder is sealed with.
EXERCISE_SECRET = "director's secret"


@lru_cache(maxsize=None)
def drawn(level: str, seed: int):
    """An exercise drawn once per session (seeds whose cases plan and decompress in about a
    second: easy 0 is one PICA at the attached segment, hard 1 a PICA deviating CN VII at
    the attached segment (severe), pushed by the VA, with a vein near CN VII (a near miss))."""
    from mvd_sim.exercise.generate import draw_exercise

    return draw_exercise(level, seed)


def opened(exercise):
    """An exercise as grading opens it, without writing its folder."""
    from mvd_sim.exercise.folder import OpenExercise, key_document

    return OpenExercise(Path("."), exercise.case, {}, key_document(exercise))
