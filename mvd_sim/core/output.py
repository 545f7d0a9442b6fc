"""Where mvd-sim's outputs go: the suffix each kind of file must have, and files and folders
written whole or not at all.

Every command's output is made in memory first, then written here:

- a single file (:func:`write_file`) through :func:`mvd_sim.core.atomic.write_bytes_atomic`, after
  removing what a killed run left beside it;
- a folder of files (:func:`write_folder`) staged in a hidden folder inside it and moved into
  place once every file is written, so a failure leaves none of them.

On a full disk either raises one line naming the file that could not be written (its real
place, never the hidden temporary or staging one) and leaves no partial, empty or temporary
file; a file that was already there is left as it was.

A file's format follows its suffix (:func:`output_format`): a suffix that names another
format is refused before any work is done, instead of writing, say, PNG bytes into a ``.jpg``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mvd_sim.core.atomic import remove_stale_temporaries, staged_folder, write_bytes_atomic
from mvd_sim.core.errors import MvdSimError

__all__ = ["JSON_SUFFIXES", "HTML_SUFFIXES", "output_format", "write_file", "write_folder"]

#: Suffixes accepted for a JSON report (``analyze``, ``decompress``, ``plan -o``).
JSON_SUFFIXES: Mapping[str, str] = {".json": "JSON"}
#: Suffixes accepted for the HTML case report (``report -o``).
HTML_SUFFIXES: Mapping[str, str] = {".html": "HTML", ".htm": "HTML"}


def output_format(path: str | os.PathLike, formats: Mapping[str, str],
                  option: str = "-o/--output") -> str:
    """The format an output file's suffix names (case-insensitive), or a one-line refusal.

    Parameters
    ----------
    path : str or PathLike
        The file the user asked for.
    formats : mapping of suffix to format name
        The suffixes accepted, with their dots (e.g. :data:`JSON_SUFFIXES`).
    option : str
        The option ``path`` was given with, named in the refusal.

    Returns
    -------
    str
        ``formats[suffix]``.

    Raises
    ------
    MvdSimError
        ``"<path>: <option> must end in .a, .b or .c, not '<suffix>'"`` (adding "the suffix
        chooses the format" when the suffixes name more than one).

    Examples
    --------
    >>> output_format("case.JPG", {".png": "PNG", ".jpg": "JPEG"})
    'JPEG'
    >>> output_format("case.bmp", {".png": "PNG", ".jpg": "JPEG"})
    Traceback (most recent call last):
    ...
    mvd_sim.core.errors.MvdSimError: case.bmp: -o/--output must end in .png or .jpg (the suffix chooses the format), not '.bmp'
    >>> output_format("report", {".json": "JSON"})
    Traceback (most recent call last):
    ...
    mvd_sim.core.errors.MvdSimError: report: -o/--output must end in .json, not a name without a suffix
    """
    suffix = Path(path).suffix.lower()
    if suffix in formats:
        return formats[suffix]
    accepted = list(formats)
    listed = ", ".join(accepted[:-1]) + " or " + accepted[-1] if len(accepted) > 1 \
        else accepted[0]
    why = " (the suffix chooses the format)" if len(set(formats.values())) > 1 else ""
    given = f"not {Path(path).suffix!r}" if suffix else "not a name without a suffix"
    raise MvdSimError(f"{path}: {option} must end in {listed}{why}, {given}")


def write_file(path: str | os.PathLike, data: bytes,
               error: type[MvdSimError] = MvdSimError) -> Path:
    """Write one file atomically (every byte checked, synced, renamed into place), after
    removing the temporaries a killed mvd-sim run left in its folder.

    Parameters
    ----------
    path : str or PathLike
        The target; its folder must exist.
    data : bytes
        The whole file.
    error : MvdSimError subclass
        Raised on failure.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    error
        One line naming ``path`` when it cannot be written; ``path`` is then as it was.
    """
    path = Path(path)
    remove_stale_temporaries(path.parent)
    return write_bytes_atomic(path, data, error)


def write_folder(out_dir: str | os.PathLike, files: Mapping[str, bytes],
                 error: type[MvdSimError] = MvdSimError) -> list[Path]:
    """Write several files into a folder, all or none.

    Each file is written into a hidden staging folder inside ``out_dir`` with every byte
    checked; only when all are written are they moved into place, one atomic rename each.
    What a killed run left in ``out_dir`` (and in its subfolders that receive files) is
    removed first.

    Parameters
    ----------
    out_dir : str or PathLike
        Created (with its parents) if missing; removed again if the write fails and leaves
        it empty.
    files : mapping of relative path to bytes
        In the order to write them (e.g. ``{"case.yaml": ..., "meshes/CN7.vtp": ...}``).
    error : MvdSimError subclass
        Raised on failure.

    Returns
    -------
    list of Path
        The files written, ``out_dir / name``, in the order given.

    Raises
    ------
    error
        One line naming ``out_dir / name`` for the file that could not be written; none of
        the files is then in ``out_dir``, and those that were there before are unchanged
        (should a rename into place fail part way, which is rare, the line says how many
        files had been moved).
    """
    with staged_folder(out_dir, error) as folder:
        for subfolder in {(folder.out / name).parent for name in files} - {folder.out}:
            remove_stale_temporaries(subfolder)
        staged = [folder.write(name, data) for name, data in files.items()]
        return folder.publish(staged)
