"""A dataset folder on disk: its layout, its manifest, the journal of finished shards, and
the checks a resumed run makes of what it finds.

Layout of a dataset folder ``DIR``::

    manifest.json                 settings (seed, n, shard size, options, priors); once the
                                  dataset is complete, every shard with rows, bytes, SHA-256
    README.md, distributions.png  the dataset card
    cases/part-NNNNN.parquet      shard NNNNN of the cases table (one row per case)
    contacts/part-NNNNN.parquet   shard NNNNN of the contacts table (one row per contact)
    meshes/caseNNNNNNN.vtp        each case's labelled mesh (``--meshes``)
    .journal.jsonl                one line per finished shard (rows, bytes, SHA-256)
    .workers.log                  what the workers of ``--workers`` printed
    .mvd-sim.lock                 held by the run writing into the folder

Names starting with ``.`` (the journal, the lock, temporaries of atomic writes) are skipped
by ``pyarrow.dataset`` and pandas, so ``DIR/cases`` and ``DIR/contacts`` each read as one
table. The journal is appended to (and synced) as each shard is finished, so the manifest is
written twice only, at the start and at the end, however many shards there are; a line torn
by a crash is ignored. A resumed run trusts a shard only if the journal records it for the
same settings and its files have the recorded size, SHA-256, readable Parquet footer, row
count and schema (and its meshes the recorded sizes); any other shard is made again.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa

from mvd_sim._version import __version__
from mvd_sim.core.atomic import write_text_atomic
from mvd_sim.core.errors import MvdSimError

__all__ = ["MANIFEST_NAME", "JOURNAL_NAME", "WORKER_LOG_NAME", "TABLES", "MESHES_DIR",
           "FORMAT", "FORMAT_VERSION", "part_name", "fingerprint", "counts", "read_manifest",
           "check_same_dataset", "refuse_strays", "shard_intact", "write_manifest", "Journal"]

MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = ".journal.jsonl"
WORKER_LOG_NAME = ".workers.log"
#: The tables, each a folder of Parquet shards of that name.
TABLES: tuple[str, ...] = ("cases", "contacts")
MESHES_DIR = "meshes"
#: What ``manifest.json`` says a dataset folder is, and the version of its layout (1: the
#: tables' shards at the top as ``cases-NNNNN.parquet``; 2: ``cases/``, ``contacts/``,
#: Arrow list columns, labelled meshes, the journal).
FORMAT = "mvd-sim-dataset"
FORMAT_VERSION = 2
_AFRESH = "remove it and run again (finished shards are checked and kept), or use another folder"


def part_name(shard: int) -> str:
    """File name of a shard of a table.

    Examples
    --------
    >>> part_name(7)
    'part-00007.parquet'
    """
    return f"part-{shard:05d}.parquet"


def fingerprint(settings: dict) -> str:
    """A short digest of a dataset's settings: journal lines carry it, so a shard made with
    other settings is never taken for one of this dataset."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_manifest(out: Path) -> dict | None:
    """The folder's manifest (None if it has none yet).

    Raises
    ------
    MvdSimError
        One line naming the manifest and what to do when it is not a manifest of this
        version: a folder, unreadable, empty, not JSON, not a JSON object, not mvd-sim's, or
        of another layout version.
    """
    path = out / MANIFEST_NAME
    if not os.path.lexists(path):
        return None
    if path.is_dir():
        raise MvdSimError(f"{path}: is a folder, not a dataset manifest; {_AFRESH}")
    try:
        text = path.read_bytes()
    except OSError as err:
        raise MvdSimError(f"{path}: cannot read: {err.strerror or err}") from None
    if not text.strip():
        raise MvdSimError(f"{path}: empty, not a dataset manifest; {_AFRESH}")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        reason = f" ({err.msg} at line {err.lineno})" if isinstance(
            err, json.JSONDecodeError) else " (not UTF-8)"
        raise MvdSimError(f"{path}: not JSON{reason}; {_AFRESH}") from None
    if not isinstance(data, dict):
        raise MvdSimError(f"{path}: a JSON {type(data).__name__}, not a dataset manifest (a "
                          f"JSON object); {_AFRESH}")
    # layout 1 had no "format" fields; its manifests are known by their "seed"
    version = data.get("format_version", 1 if "seed" in data else None)
    if data.get("format", FORMAT if version == 1 else None) != FORMAT:
        raise MvdSimError(f"{path}: not an mvd-sim dataset manifest (no \"format\": "
                          f"\"{FORMAT}\"); use another folder")
    if version != FORMAT_VERSION:
        made_by = data.get("mvd_sim_version", "an older mvd-sim")
        raise MvdSimError(f"{path}: a dataset of layout version {version!r} (made by mvd-sim "
                          f"{made_by}); this mvd-sim ({__version__}) writes version "
                          f"{FORMAT_VERSION}: use another folder, or that mvd-sim to finish it")
    return data


def check_same_dataset(out: Path, manifest: dict | None, settings: dict) -> None:
    """Refuse a folder whose manifest holds other settings than ``settings``, or that
    another version of mvd-sim started (its rows could differ from this version's)."""
    if manifest is None:
        return
    if {k: manifest.get(k) for k in settings} != settings:
        raise MvdSimError(f"{out}: holds a different dataset (seed, n, shard size, options or "
                          "priors differ); use another folder")
    if manifest.get("mvd_sim_version") != __version__:
        raise MvdSimError(f"{out}: was started by mvd-sim {manifest.get('mvd_sim_version')}, "
                          f"not {__version__} (their cases may differ); finish it with that "
                          "version or use another folder")


def refuse_strays(out: Path, n_shards: int) -> None:
    """Refuse a table folder holding visible files that are not shards of this dataset
    (``pyarrow.dataset`` would read them as part of the table)."""
    expected = {part_name(k) for k in range(n_shards)}
    for table in TABLES:
        try:
            entries = os.scandir(out / table)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise MvdSimError(f"{out / table}: cannot read: {err.strerror or err}") from None
        with entries:
            for entry in entries:
                if entry.name[0] not in "._" and entry.name not in expected:
                    raise MvdSimError(f"{entry.path}: not a shard of this dataset ({n_shards} "
                                      "shards), so readers would take it for part of the "
                                      "table; remove it or use another folder")


def _table_intact(out: Path, entry: object, expected_path: str, schema: pa.Schema) -> bool:
    """Is the table file a journal entry describes there and unchanged?"""
    import pyarrow.parquet as pq

    if not isinstance(entry, dict) or entry.get("path") != expected_path:
        return False
    path = out / expected_path
    try:
        if path.stat().st_size != entry.get("bytes"):
            return False
        data = path.read_bytes()
    except OSError:
        return False
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return False
    try:
        footer = pq.ParquetFile(pa.BufferReader(data))
    except (pa.ArrowException, OSError):
        return False
    return footer.metadata.num_rows == entry.get("rows") and footer.schema_arrow == schema


def _meshes_intact(out: Path, meshes: object) -> bool:
    """Does each mesh a journal entry lists exist with its recorded size?"""
    if not isinstance(meshes, list):
        return False
    for item in meshes:
        try:
            path, size = item
            if (out / path).stat().st_size != size:
                return False
        except (OSError, TypeError, ValueError):
            return False
    return True


def shard_intact(out: Path, shard: int, record: dict | None, schemas: dict[str, pa.Schema],
                 meshes: bool) -> bool:
    """Is shard ``shard`` finished and undamaged, by its journal ``record``?

    ``schemas`` gives each table's schema; with ``meshes`` the shard's meshes are checked
    too (by size: they are written atomically, so a damaged one is a changed one).
    """
    if record is None:
        return False
    tables = all(_table_intact(out, record.get(table), f"{table}/{part_name(shard)}",
                               schemas[table]) for table in TABLES)
    return tables and (not meshes or _meshes_intact(out, record.get("meshes")))


def counts(records: list[dict]) -> dict[str, int]:
    """Rows of each table over shards' journal records."""
    return {table: sum(r[table]["rows"] for r in records) for table in TABLES}


def write_manifest(out: Path, settings: dict, records: list[dict] | None = None) -> None:
    """Write ``manifest.json``: the settings; with ``records`` (every shard's journal record,
    in order) the dataset is complete and the manifest lists them with the counts."""
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "mvd_sim_version": __version__, **settings, "complete": records is not None}
    if records is not None:
        manifest["counts"] = counts(records)
        manifest["shards"] = [{"shard": r["shard"], **{t: r[t] for t in TABLES}}
                              for r in records]
    write_text_atomic(out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")


class Journal:
    """The append-only journal of finished shards (``.journal.jsonl``), for one dataset's
    settings (their :func:`fingerprint`).

    Use as a context manager: entering opens it for appending (after a line a crash tore,
    a new line starts afresh), leaving closes it.
    """

    def __init__(self, out: Path, settings_fingerprint: str):
        self.path = out / JOURNAL_NAME
        self.fingerprint = settings_fingerprint
        self._fd: int | None = None

    def records(self) -> dict[int, dict]:
        """Each shard's last record (lines that do not parse are skipped: a torn last line).

        Raises
        ------
        MvdSimError
            If a record was made for other settings (the folder holds another dataset).
        """
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise MvdSimError(f"{self.path}: cannot read: {err.strerror or err}") from None
        records = {}
        for line in lines:
            try:
                record = json.loads(line)
                shard = record["shard"]
                made_for = record["fingerprint"]
            except (ValueError, TypeError, KeyError):
                continue
            if made_for != self.fingerprint:
                raise MvdSimError(f"{self.path.parent}: holds a different dataset (its journal "
                                  "records shards made with other settings); use another "
                                  "folder")
            records[shard] = record
        return records

    def __enter__(self) -> Journal:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
            size = os.fstat(self._fd).st_size
            torn = size > 0 and os.pread(self._fd, 1, size - 1) != b"\n"
            if torn:
                self._write(b"\n")
        except OSError as err:
            self.__exit__()
            raise MvdSimError(f"{self.path}: cannot write: {err.strerror or err}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _write(self, data: bytes) -> None:
        """Append ``data`` and sync it; a short write (a full disk) is an error."""
        if os.write(self._fd, data) != len(data):
            raise OSError(errno.ENOSPC, "No space left on device (short write)")
        os.fsync(self._fd)

    def append(self, record: dict) -> None:
        """Record a finished shard (one line, synced to disk)."""
        line = json.dumps({"fingerprint": self.fingerprint, **record},
                          separators=(",", ":")) + "\n"
        try:
            self._write(line.encode())
        except OSError as err:
            raise MvdSimError(f"{self.path}: cannot write: {err.strerror or err}") from None
