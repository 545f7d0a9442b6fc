"""Generate a dataset: shards of cases as Parquet tables, resumable, in-process or on Dask.

``generate`` checks every option first (nothing is created before), then takes the
folder's lock, checks what the folder holds (:mod:`mvd_sim.dataset.store`), and splits the
cases into shards of ``shard_size``. Each shard is a part of each table
(``cases/part-NNNNN.parquet``, ``contacts/part-NNNNN.parquet``), written atomically by the
main process, whoever computed it, then recorded in the journal; with ``meshes`` each case's
labelled mesh goes to ``meshes/caseNNNNNNN.vtp``, written by the worker. A shard the journal
records and whose files check out is skipped, so an interrupted or failed run resumes where
it stopped. The rows depend only on (seed, number of cases, case index): the same seed and
number give byte-identical tables whatever the number of workers. At the end come the dataset card (``README.md``
with the realised distributions against the priors, and a plot of them) and
``manifest.json`` listing every shard.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mvd_sim.core.atomic import folder_lock, remove_stale_temporaries
from mvd_sim.contact.analysis import analyze
from mvd_sim.dataset import store
from mvd_sim.dataset.mix import MIX_COLUMNS
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import sample
from mvd_sim.dataset.tables import CONTACTS_SCHEMA, case_row, cases_schema, contact_row, \
    outcome_columns, write_table
from mvd_sim.core.errors import MvdSimError, raised_by_interrupt

__all__ = ["generate", "shard_rows", "check_options", "ShardRows", "DatasetSummary",
           "SHARD_SIZE", "MAX_SEED"]

SHARD_SIZE = 50
#: Largest seed (numpy's seeds are unbounded, Parquet's ``seed`` column is int64).
MAX_SEED = 2**63 - 1
# columns the dataset card reads
_CARD_COLUMNS = [*MIX_COLUMNS, "attempt"]


@dataclass(frozen=True)
class ShardRows:
    """A shard's rows: one per case, one per contact, and the meshes written for it
    (``[path relative to the dataset folder, bytes]`` each)."""

    cases: list[dict]
    contacts: list[dict]
    meshes: list[list]


def shard_rows(priors_json: str, seed: int, n: int, start: int, stop: int,
               meshes_dir: str | None = None, decompress: bool = False) -> ShardRows:
    """The rows of cases ``start .. stop - 1`` of a dataset of ``n`` (runs on any worker).

    With ``meshes_dir`` (a dataset's ``meshes`` folder) each case's labelled mesh is written
    there as ``caseNNNNNNN.vtp`` (atomically, by the worker: a remote cluster needs a shared
    file system); with ``decompress`` each case is planned and its predicted outcome added
    to its row.
    """
    priors = Priors.model_validate_json(priors_json)
    cases, contacts, meshes = [], [], []
    for index in range(start, stop):
        sampled = sample(priors, seed, n, index)
        case = sampled.case
        report = analyze(case.scene, case.thresholds)
        mesh_path = None
        if meshes_dir is not None:
            from mvd_sim.dataset.meshes import write_case_mesh

            mesh_path = f"{store.MESHES_DIR}/{case.scene.name}.vtp"
            size = write_case_mesh(case.scene, report, Path(meshes_dir) / Path(mesh_path).name)
            meshes.append([mesh_path, size])
        outcome = None
        if decompress:
            from mvd_sim.surgery.planner import plan

            outcome = outcome_columns(plan(case))
        cases.append(case_row(sampled, seed, index, report, mesh_path, outcome))
        contacts.extend(contact_row(index, c) for c in report.contacts)
    return ShardRows(cases, contacts, meshes)


@dataclass(frozen=True)
class DatasetSummary:
    """What ``generate`` did: shards written now and skipped (already there), cases/s."""

    out_dir: Path
    written: int
    skipped: int
    cases_per_s: float


def check_options(n: int, seed: int, shard_size: int, workers: int | None,
                  scheduler: str | None) -> None:
    """Refuse options a dataset cannot be made with, before anything is written.

    Raises
    ------
    MvdSimError
        One line naming the option.
    """
    for name, value in (("--n", n), ("--shard-size", shard_size), ("--workers", workers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise MvdSimError(f"{name}: must be a whole number of at least 1, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise MvdSimError(f"--seed: must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    if workers is not None and scheduler:
        raise MvdSimError("--workers, --scheduler: give one (--workers starts a local "
                          "cluster, --scheduler uses one already running)")


def _shards(n: int, shard_size: int) -> list[tuple[int, int, int]]:
    return [(k, start, min(start + shard_size, n))
            for k, start in enumerate(range(0, n, shard_size))]


def _folders(out: Path, meshes: bool) -> list[Path]:
    """The dataset folder and those it writes into: the tables' (and the meshes')."""
    return [out, *(out / t for t in store.TABLES), *([out / store.MESHES_DIR] if meshes else [])]


def _create(folders: list[Path]) -> None:
    """Create folders (and their parents) that do not exist yet."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise MvdSimError(f"{folder}: cannot create the folder: {err.strerror or err}"
                              ) from None


def _write_shard(out: Path, shard: int, rows: ShardRows, decompress: bool) -> dict:
    """Write a shard's tables; returns its journal record. If the second cannot be written
    (a full disk, an interrupt), the first is removed: readers see both or neither."""
    name = store.part_name(shard)
    contacts = write_table(rows.contacts, CONTACTS_SCHEMA, out / "contacts" / name, out)
    try:
        cases = write_table(rows.cases, cases_schema(decompress), out / "cases" / name, out)
    except BaseException:
        (out / contacts.path).unlink(missing_ok=True)
        raise
    return {"shard": shard, "cases": cases.as_dict(), "contacts": contacts.as_dict(),
            "meshes": rows.meshes}


def _pending(out: Path, journal: store.Journal, shards: list, schemas: dict,
             meshes: bool) -> tuple[dict[int, dict], list]:
    """The journal's records and the shards still to make (not recorded, or damaged);
    stale temporaries a killed run left are removed first."""
    for folder in _folders(out, meshes):
        remove_stale_temporaries(folder)
    records = journal.records()
    store.refuse_strays(out, len(shards))
    todo = [s for s in shards
            if not store.shard_intact(out, s[0], records.get(s[0]), schemas, meshes)]
    return records, todo


def _interruptible(job: Callable[[int, int], ShardRows], start: int, stop: int) -> ShardRows:
    """``job(start, stop)``, with a Ctrl-C that lands in compiled code (numba turns it into a
    ``SystemError`` caused by the ``KeyboardInterrupt``) raised as the interrupt it is."""
    try:
        return job(start, stop)
    except SystemError as err:
        if not raised_by_interrupt(err):
            raise
        raise KeyboardInterrupt from None


def _runs(stack: ExitStack, client, workers: int | None, todo: list,
          job: Callable[[int, int], ShardRows], log: Path) -> Iterator[tuple[int, ShardRows]]:
    """Each shard's rows (``job(start, stop)``) as they are made: in this process, or on
    ``client``'s cluster (a local one of ``workers`` processes, their standard error to
    ``log``, is started when there is no client, and closed with ``stack``)."""
    if client is None and not workers:
        return ((k, _interruptible(job, start, stop)) for k, start, stop in todo)
    from mvd_sim.dataset.cluster import in_flight, local_cluster, stream

    if client is None:
        client = stack.enter_context(local_cluster(workers, log, __name__))
    calls = ((k, (start, stop)) for k, start, stop in todo)
    return stream(client, job, calls, in_flight(client))


def generate(n: int, seed: int, out_dir: str | os.PathLike, priors: Priors,
             shard_size: int = SHARD_SIZE, workers: int | None = None,
             scheduler: str | None = None,
             progress: Callable[[int, int, float], None] | None = None,
             meshes: bool = False, decompress: bool = False) -> DatasetSummary:
    """Write (or finish writing) a dataset of ``n`` cases (see the module docstring).

    ``workers`` starts a local Dask cluster of that many single-threaded processes;
    ``scheduler`` uses an existing dask.distributed scheduler at that address (joined before
    the folder is touched). ``progress`` is called with (cases done, cases in all,
    cases/s) once the folder's checks have passed and after each shard. ``meshes``
    writes each case's labelled mesh under ``meshes/``; ``decompress`` adds the
    planner's predicted outcome to every case row.

    Raises
    ------
    MvdSimError
        One line: a bad option (before anything is written), a folder that another run is
        writing into or that holds something else, a scheduler that does not answer, a write
        that fails (a full disk). What was finished before stays, and is resumed.
    """
    check_options(n, seed, shard_size, workers, scheduler)
    out = Path(out_dir)
    settings = {"seed": seed, "n": n, "shard_size": shard_size, "meshes": meshes,
                "decompress": decompress, "priors": priors.model_dump(mode="json")}
    schemas = {"cases": cases_schema(decompress), "contacts": CONTACTS_SCHEMA}
    shards = _shards(n, shard_size)
    job = partial(shard_rows, priors.model_dump_json(), seed, n,
                  meshes_dir=str(out / store.MESHES_DIR) if meshes else None,
                  decompress=decompress)
    with ExitStack() as stack:
        client = None
        if scheduler:
            from mvd_sim.dataset.cluster import connect

            client = stack.enter_context(connect(scheduler))
        _create([out])
        stack.enter_context(folder_lock(out))
        store.check_same_dataset(out, store.read_manifest(out), settings)
        _create(_folders(out, meshes))
        journal = store.Journal(out, store.fingerprint(settings))
        records, todo = _pending(out, journal, shards, schemas, meshes)
        stack.enter_context(journal)
        if todo:
            store.write_manifest(out, settings)
        done = n - sum(stop - start for _, start, stop in todo)
        if progress is not None:  # the checks passed: the work starts
            progress(done, n, 0.0)
        started, made = time.perf_counter(), 0
        log = out / store.WORKER_LOG_NAME
        with ExitStack() as cluster:
            for k, rows in _runs(cluster, client, workers, todo, job, log):
                records[k] = _write_shard(out, k, rows, decompress)
                journal.append(records[k])
                made += len(rows.cases)
                if progress is not None:
                    progress(done + made, n, made / max(time.perf_counter() - started, 1e-9))
        rate = made / max(time.perf_counter() - started, 1e-9)
        _finish(out, settings, priors, [records[k] for k, _, _ in shards])
    return DatasetSummary(out, len(todo), len(shards) - len(todo), rate)


def _finish(out: Path, settings: dict, priors: Priors, records: list[dict]) -> None:
    """The dataset card, then the complete manifest (still under the folder's lock)."""
    import pyarrow.dataset as ds

    from mvd_sim.dataset.card import write_card

    cases = ds.dataset([str(out / r["cases"]["path"]) for r in records],
                       format="parquet").to_table(columns=_CARD_COLUMNS)
    write_card(out, cases, priors, settings, store.counts(records))
    store.write_manifest(out, settings, records)
