"""Atomic file output, stale temporaries and folder locks.

Every file mvd-sim writes is made in memory first and then written by :func:`write_bytes_atomic`:
to a hidden temporary file beside the target, with every byte checked (a full disk raises
``ENOSPC`` here, where a library's own writer might stop silently), synced to disk, renamed over
the target in one step, and the folder's entry synced. A reader never sees a half-written file,
and a failed or interrupted write leaves the target as it was.

A process killed mid-write (SIGKILL, a crash in a native library) cannot remove its temporary
file. Each temporary holds an advisory lock (``flock``) while it is written, which the kernel
drops when the process dies, so the next run tells a dead writer's leftovers from a live one's
and removes only the former (:func:`remove_stale_temporaries`).

:func:`folder_lock` keeps two runs from writing into one folder at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mvd_sim.core.errors import MvdSimError

__all__ = ["write_bytes_atomic", "write_text_atomic", "StagedFolder", "staged_folder",
           "remove_stale_temporaries", "folder_lock", "LOCK_NAME"]

#: Name of the lock file :func:`folder_lock` holds in a folder.
LOCK_NAME = ".mvd-sim.lock"
_TMP_MARK = ".tmp-"
_STAGING_PREFIX = ".staging-"
# ``.<stem>.tmp-<hex><suffix>`` (files) and ``.staging-<random>`` (folders)
_TEMPORARY = re.compile(r"^\..*\.tmp-[0-9a-f]{16}(\.[^./]*)?$|^\.staging-[A-Za-z0-9_]+$")


def _cannot_write(path: Path, err: OSError, error: type[MvdSimError]) -> MvdSimError:
    return error(f"{path}: cannot write: {err.strerror or err}")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte or raise (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - POSIX write never returns 0 for n > 0
            raise OSError(errno.EIO, "write wrote nothing")
        view = view[written:]


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike, data: bytes,
                       error: type[MvdSimError] = MvdSimError) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``.

    The bytes go to ``.<stem>.tmp-<random><suffix>`` beside ``path``, held under an advisory
    lock, checked as written, synced, then renamed over ``path``; the folder is synced after.
    On any failure (a full disk, an interrupt) the temporary file is removed and ``path`` is
    left as it was.

    Raises
    ------
    error
        One line naming ``path`` when it cannot be written (an ``OSError``).
    """
    path = Path(path)
    return _write_atomic(path, data, error, shown=path)


def _write_atomic(path: Path, data: bytes, error: type[MvdSimError], shown: Path) -> Path:
    """:func:`write_bytes_atomic`, naming ``shown`` in errors (the user's target when ``path``
    is inside a staging folder)."""
    tmp = path.with_name(f".{path.stem}{_TMP_MARK}{secrets.token_hex(8)}{path.suffix}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:
        raise _cannot_write(shown, err, error) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write_all(fd, data)
        os.fsync(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(shown, exc, error) from None
        raise
    finally:
        os.close(fd)
    _sync_folder(path.parent)
    return path


def write_text_atomic(path: str | os.PathLike, text: str,
                      error: type[MvdSimError] = MvdSimError) -> Path:
    """Write UTF-8 text to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"), error)


def _held_by_a_live_process(path: Path) -> bool:
    """Whether another process holds ``path``'s advisory lock (a temporary it is writing, or a
    staging folder's lock file). A file this process may not open (another user's) cannot be
    checked, so it counts as held: only what is known to be dead is removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if this process took it
    return False


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and staging folders that a killed run left in ``folder``.

    Only mvd-sim's own temporaries are touched (``.<stem>.tmp-<hex><suffix>`` files and
    ``.staging-*`` folders), and only those whose lock no live process holds, so a run
    writing into the same folder at the same moment keeps its own. (A writer takes its lock
    just after creating the file or folder; one caught in between loses it, and its write
    then fails with an error instead of leaving a partial file.) Returns what was removed.
    """
    folder = Path(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    for entry in entries:
        if not _TEMPORARY.match(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if _held_by_a_live_process(path / LOCK_NAME):
                continue
            shutil.rmtree(path, ignore_errors=True)
        elif entry.is_file(follow_symlinks=False):
            if _held_by_a_live_process(path):
                continue
            path.unlink(missing_ok=True)
        else:
            continue
        removed.append(path)
    return removed


@contextmanager
def folder_lock(folder: str | os.PathLike, error: type[MvdSimError] = MvdSimError
                ) -> Iterator[Path]:
    """Hold ``folder``'s lock file (:data:`LOCK_NAME`) for the duration, or refuse at once.

    The lock is advisory (``flock``) and dies with its process, so a killed run never leaves
    the folder locked. ``folder`` must exist.

    Raises
    ------
    error
        One line naming ``folder`` when another run holds its lock or it cannot be locked.
    """
    folder = Path(folder)
    lock = folder / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise error(f"{folder}: cannot lock the folder: {err.strerror or err}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise error(f"{folder}: another mvd-sim run is writing into this folder; "
                            "wait for it to finish or use another folder") from None
            raise error(f"{folder}: cannot lock the folder: {err.strerror or err}") from None
        yield folder
    finally:
        os.close(fd)


class StagedFolder:
    """A temporary folder inside an output folder: files are :meth:`write`-n into ``staging``
    and then :meth:`publish`-ed into ``out`` with one atomic rename each. Errors name the
    files' places in ``out``, never the hidden staging folder."""

    def __init__(self, out: Path, staging: Path, error: type[MvdSimError]):
        self.out, self.staging, self.error = out, staging, error

    def write(self, relative: str | os.PathLike, data: bytes) -> Path:
        """Write ``data`` to ``relative`` inside the staging folder (subfolders created), with
        every byte checked (:func:`write_bytes_atomic`); returns the staged path.

        Raises
        ------
        error
            One line naming ``out / relative``, where the file was going.
        """
        staged, target = self.staging / relative, self.out / relative
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _cannot_write(target, err, self.error) from None
        return _write_atomic(staged, data, self.error, shown=target)

    def publish(self, paths: list[Path]) -> list[Path]:
        """Move staged files to the same relative places under ``out``; returns them.

        Raises
        ------
        error
            One line naming the file that could not be moved, and how many were moved
            before it (a rename cannot be undone once the old file is replaced).
        """
        written: list[Path] = []
        for path in paths:
            target = self.out / path.relative_to(self.staging)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            except OSError as err:
                moved = (f" ({len(written)} of {len(paths)} files already moved into "
                         f"{self.out})" if written else "")
                raise self.error(f"{target}: cannot write: {err.strerror or err}{moved}"
                                 ) from None
            written.append(target)
        for folder in {target.parent for target in written}:
            _sync_folder(folder)
        return written


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its ancestors that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that are still empty; leave any other."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def staged_folder(out_dir: str | os.PathLike, error: type[MvdSimError] = MvdSimError
                  ) -> Iterator[StagedFolder]:
    """Create ``out_dir`` if missing and a staging folder inside it, removed on exit
    whatever happens, so a failure leaves nothing half-written in ``out_dir`` (and no
    ``out_dir`` at all, nor any parent folder, that this call created and left empty).

    The staging folder holds a lock file while it lives; what a killed run left in
    ``out_dir`` is removed first (:func:`remove_stale_temporaries`).

    Raises
    ------
    error
        One line naming ``out_dir`` when it cannot be created.
    """
    out = Path(out_dir)
    created = _missing_folders(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out))
    except OSError as err:
        _remove_empty(created)
        raise error(f"{out}: cannot create the output folder: {err.strerror}") from None
    lock_fd = None
    done = False
    try:
        lock_fd = os.open(staging / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        yield StagedFolder(out, staging, error)
        done = True
    except OSError as err:
        raise _cannot_write(out, err, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if lock_fd is not None:
            os.close(lock_fd)
        if not done:
            _remove_empty(created)
