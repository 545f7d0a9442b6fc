"""Atomic writes, staged folders and stale temporaries (:mod:`mvd_sim.core.atomic`)."""

from __future__ import annotations

import errno
import math
import os
import re

import pytest

from mvd_sim.core import atomic
from mvd_sim.core.atomic import remove_stale_temporaries, staged_folder, write_bytes_atomic
from mvd_sim.core.errors import MeshError, MvdSimError
from support import FullDisk, temporaries, tree

DATA = bytes(range(256)) * 40     # 10,240 bytes: several writes' worth on a full disk


# -- write_bytes_atomic ---------------------------------------------------------------------

@pytest.mark.parametrize("free_bytes", [0, 1, len(DATA) // 2, len(DATA) - 1])
def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, full_disk,
                                                                  free_bytes):
    path = tmp_path / "report.json"
    path.write_bytes(b"old report")
    disk = full_disk(free_bytes)
    with pytest.raises(MeshError, match=rf"^{re.escape(str(path))}: cannot write: No space "
                                        "left on device$"):
        write_bytes_atomic(path, DATA, MeshError)
    assert disk.files == [free_bytes]             # it did write what fitted, then stopped
    assert tree(tmp_path) == {"report.json": b"old report"}


class ShortWrites(FullDisk):
    """A disk whose writes take at most 1000 bytes at a time (``os.write`` may write fewer
    bytes than asked)."""

    def write(self, fd: int, data) -> int:
        return super().write(fd, bytes(memoryview(data)[:1000]))


def test_every_byte_is_written_across_short_writes(tmp_path, monkeypatch):
    disk = ShortWrites()
    monkeypatch.setattr(atomic, "os", disk)
    path = write_bytes_atomic(tmp_path / "a.bin", DATA)
    assert path.read_bytes() == DATA
    assert disk.files == [len(DATA)]


# -- staged folders ---------------------------------------------------------------------------

def test_a_staged_write_names_the_target_not_the_staging_folder(tmp_path, full_disk):
    """Bug fixed here: a file written into a staging folder failed naming
    ``out/.staging-<random>/meshes/a.vtp``; the user asked for ``out/meshes/a.vtp``."""
    out = tmp_path / "out"
    full_disk(len(DATA) + 100)
    with pytest.raises(MvdSimError) as excinfo:
        with staged_folder(out) as folder:
            folder.write("first.bin", DATA)
            folder.write("meshes/a.vtp", DATA)
    assert str(excinfo.value) == f"{out / 'meshes' / 'a.vtp'}: cannot write: No space left " \
                                 "on device"
    assert not out.exists()


def test_a_failed_move_into_place_names_the_file_and_what_was_moved(tmp_path, full_disk,
                                                                    monkeypatch):
    """Bug fixed here: a rename that failed while publishing named the folder only, and did
    not say that files before it had already replaced their targets. (A rename can need a
    new block for the folder's entries: ENOSPC on ext4.)"""
    out = tmp_path / "out"
    disk = full_disk(math.inf)

    def replace(src, dst):
        if os.path.dirname(dst) == str(out) and os.path.basename(dst) == "b.txt":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.replace(src, dst)

    with pytest.raises(MvdSimError) as excinfo:
        with staged_folder(out) as folder:
            staged = [folder.write(name, b"x") for name in ("a.txt", "b.txt", "c.txt")]
            monkeypatch.setattr(disk, "replace", replace, raising=False)
            folder.publish(staged)
    assert str(excinfo.value) == (f"{out / 'b.txt'}: cannot write: No space left on device "
                                  f"(1 of 3 files already moved into {out})")
    assert tree(out) == {"a.txt": b"x"}


@pytest.mark.parametrize("existing", ["", "a", "a/b"])
def test_a_failed_staged_folder_leaves_no_folder_it_created(tmp_path, existing):
    """Bug fixed here: ``out`` (and its missing parents) stayed behind, empty, after a
    failed write; a folder that was there before stays."""
    if existing:
        (tmp_path / existing).mkdir(parents=True)
    with pytest.raises(MvdSimError, match="boom"):
        with staged_folder(tmp_path / "a" / "b"):
            raise MvdSimError("boom")
    assert sorted(tree(tmp_path)) == {"": [], "a": ["a"], "a/b": ["a", "a/b"]}[existing]


def test_a_created_folder_that_another_run_filled_is_kept(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(MvdSimError, match="boom"):
        with staged_folder(out):
            (out / "theirs.txt").write_bytes(b"someone else's")
            raise MvdSimError("boom")
    assert tree(tmp_path) == {"out": None, "out/theirs.txt": b"someone else's"}


def test_a_successful_staged_folder_leaves_only_the_files(tmp_path):
    out = tmp_path / "new" / "out"
    with staged_folder(out) as folder:
        written = folder.publish([folder.write("a.txt", b"a"), folder.write("m/b.txt", b"b")])
    assert written == [out / "a.txt", out / "m" / "b.txt"]
    assert tree(out) == {"a.txt": b"a", "m": None, "m/b.txt": b"b"}


# -- stale temporaries ------------------------------------------------------------------------

def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path, locked_by_child):
    dead_file = tmp_path / ".report.tmp-0123456789abcdef.json"
    dead_file.write_bytes(b"half a rep")
    dead_staging = tmp_path / ".staging-dead1234"
    (dead_staging / "meshes").mkdir(parents=True)
    (dead_staging / atomic.LOCK_NAME).touch()
    (dead_staging / "meshes" / ".CN7.tmp-00112233445566ff.vtp").write_bytes(b"<VTKF")
    live_file = tmp_path / ".plan.tmp-fedcba9876543210.json"
    live_staging = tmp_path / ".staging-live5678"
    live_staging.mkdir()
    locked_by_child(live_file)
    locked_by_child(live_staging / atomic.LOCK_NAME)
    mine = ["report.json", ".hidden", "x.tmp-0123456789abcdef.json",   # not our names
            ".y.tmp-0123.json", ".staging"]
    for name in mine:
        (tmp_path / name).write_bytes(b"keep")

    removed = remove_stale_temporaries(tmp_path)

    assert sorted(removed) == sorted([dead_file, dead_staging])
    assert sorted(temporaries(tmp_path)) == [".plan.tmp-fedcba9876543210.json",
                                             ".staging-live5678",
                                             f".staging-live5678/{atomic.LOCK_NAME}"]
    assert all((tmp_path / name).read_bytes() == b"keep" for name in mine)


def test_a_staged_folder_removes_stale_temporaries_first(tmp_path):
    out = tmp_path / "out"
    (out / ".staging-dead1234").mkdir(parents=True)
    (out / ".brainstem.tmp-0123456789abcdef.vtp").write_bytes(b"<VTKFile")
    with staged_folder(out) as folder:
        assert temporaries(out) == [folder.staging.name, f"{folder.staging.name}/"
                                    f"{atomic.LOCK_NAME}"]
    assert tree(out) == {}


def test_a_temporary_that_cannot_be_opened_is_kept(tmp_path, monkeypatch):
    """Another user's temporary cannot be checked for a live writer: it is left alone."""
    theirs = tmp_path / ".report.tmp-0123456789abcdef.json"
    theirs.write_bytes(b"being written")
    real_open = os.open

    def refused(path, flags, *args):
        if os.fspath(path) == os.fspath(theirs):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refused)
    assert remove_stale_temporaries(tmp_path) == []
    assert theirs.read_bytes() == b"being written"
