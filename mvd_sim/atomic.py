"""Atomic file output: write beside the target, then rename over it in one step.

A reader never sees a half-written file, and a failed or interrupted write leaves the target
as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mvd_sim.errors import MvdSimError

__all__ = ["atomic_target", "write_text_atomic", "StagedFolder", "staged_folder"]


@contextmanager
def atomic_target(path: str | os.PathLike, error: type[MvdSimError] = MvdSimError,
                  suffix: str | None = None) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; on success it replaces ``path``.

    The temporary file is ``.<stem>.tmp<random><suffix>`` in the same folder (so the rename is
    atomic), with ``path``'s suffix unless ``suffix`` is given (for writers that pick a format
    by suffix). It is synced to disk before the rename, and removed if anything fails,
    including an interrupt.

    Raises
    ------
    error
        One line naming ``path`` when it cannot be written (OSError).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{secrets.token_hex(4)}{suffix or path.suffix}")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise error(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise error(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


def write_text_atomic(path: str | os.PathLike, text: str,
                      error: type[MvdSimError] = MvdSimError) -> Path:
    """Write UTF-8 text to ``path`` atomically; returns ``path``."""
    with atomic_target(path, error) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


class StagedFolder:
    """A temporary folder inside an output folder: files are written into ``staging`` and
    then :meth:`publish`-ed into ``out`` with one atomic rename each."""

    def __init__(self, out: Path, staging: Path, error: type[MvdSimError]):
        self.out, self.staging, self.error = out, staging, error

    def publish(self, paths: list[Path]) -> list[Path]:
        """Move staged files to the same relative places under ``out``; returns them."""
        written = []
        try:
            for path in paths:
                target = self.out / path.relative_to(self.staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                written.append(target)
        except OSError as err:
            raise self.error(f"{self.out}: cannot write: {err.strerror or err}") from None
        return written


@contextmanager
def staged_folder(out_dir: str | os.PathLike, error: type[MvdSimError] = MvdSimError
                  ) -> Iterator[StagedFolder]:
    """Create ``out_dir`` if missing and a staging folder inside it, removed on exit
    whatever happens, so a failure leaves nothing half-written in ``out_dir``.

    Raises
    ------
    error
        One line naming ``out_dir`` when it cannot be created.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    except OSError as err:
        raise error(f"{out}: cannot create the output folder: {err.strerror}") from None
    try:
        yield StagedFolder(out, staging, error)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
