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
``manifest.json`` listing every shard. ``write_dataset`` is that writer for any source of
rows: :mod:`mvd_sim.dataset.given` runs it on given scenarios.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa

from mvd_sim.case import Case
from mvd_sim.core.atomic import folder_lock, remove_stale_temporaries
from mvd_sim.contact.analysis import ContactReport, analyze
from mvd_sim.dataset import store
from mvd_sim.dataset.mix import MIX_COLUMNS
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import sample
from mvd_sim.dataset.tables import CONTACTS_SCHEMA, case_row, cases_schema, contact_row, \
    outcome_columns, write_table
from mvd_sim.dataset.tasks import assembled, plan, task_rows
from mvd_sim.core.errors import MvdSimError, raised_by_interrupt
from mvd_sim.scene.scene import Scene

__all__ = ["generate", "write_dataset", "shard_rows", "analysed_case", "check_options",
           "AnalysedCase", "ShardRows", "DatasetSummary",
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

    def add(self, case: AnalysedCase, row: dict) -> None:
        """Add a case's ``row``, its contacts' rows and its mesh."""
        self.cases.append(row)
        self.contacts.extend(contact_row(case.index, c) for c in case.report.contacts)
        if case.mesh_path is not None:
            self.meshes.append([case.mesh_path, case.mesh_bytes])

    @classmethod
    def joined(cls, parts: list[ShardRows]) -> ShardRows:
        """The rows of consecutive runs of cases, ``parts`` in case order, as one."""
        if len(parts) == 1:
            return parts[0]
        return cls([row for part in parts for row in part.cases],
                   [row for part in parts for row in part.contacts],
                   [mesh for part in parts for mesh in part.meshes])


def shard_rows(priors_json: str, seed: int, n: int, start: int, stop: int,
               meshes_dir: str | None = None, decompress: bool = False) -> ShardRows:
    """The rows of cases ``start .. stop - 1`` of a dataset of ``n`` (runs on any worker).

    With ``meshes_dir`` (a dataset's ``meshes`` folder) each case's labelled mesh is written
    there as ``caseNNNNNNN.vtp`` (atomically, by the worker: a remote cluster needs a shared
    file system); with ``decompress`` each case is planned and its predicted outcome added
    to its row.
    """
    priors = Priors.model_validate_json(priors_json)
    rows = ShardRows([], [], [])
    for index in range(start, stop):
        sampled = sample(priors, seed, n, index)
        case = sampled.case
        made = analysed_case(case, case.scene, index, meshes_dir, decompress)
        rows.add(made, case_row(sampled, seed, index, made.report, made.mesh_path,
                                made.outcome))
    return rows


@dataclass(frozen=True)
class AnalysedCase:
    """What a dataset takes from one case besides its row: its contact report, its labelled
    mesh (path relative to the dataset folder and size in bytes; None without meshes) and
    the planner's outcome columns (None without ``decompress``)."""

    index: int
    report: ContactReport
    mesh_path: str | None
    mesh_bytes: int | None
    outcome: dict | None


def analysed_case(case: Case, scene: Scene, index: int, meshes_dir: str | None,
                  decompress: bool) -> AnalysedCase:
    """Case ``index`` of a dataset analysed as its row needs: ``scene`` (the case as built,
    or an operated case after its operation) analysed with the case's thresholds; with
    ``meshes_dir`` its labelled mesh written there as ``caseNNNNNNN.vtp`` (atomically); with
    ``decompress`` the case planned."""
    report = analyze(scene, case.thresholds)
    mesh_path = size = outcome = None
    if meshes_dir is not None:
        from mvd_sim.dataset.meshes import write_case_mesh

        mesh_path = f"{store.MESHES_DIR}/case{index:07d}.vtp"
        size = write_case_mesh(scene, report, Path(meshes_dir) / Path(mesh_path).name)
    if decompress:
        from mvd_sim.surgery.planner import plan

        outcome = outcome_columns(plan(case))
    return AnalysedCase(index, report, mesh_path, size, outcome)


@dataclass(frozen=True)
class DatasetSummary:
    """What ``generate`` did: shards written now and skipped (already there), cases/s."""

    out_dir: Path
    written: int
    skipped: int
    cases_per_s: float


def check_options(n: int | None, seed: int | None, shard_size: int, workers: int | None,
                  scheduler: str | None) -> None:
    """Refuse options a dataset cannot be made with, before anything is written (``n`` and
    ``seed`` None: a dataset of given scenarios, which has neither).

    Raises
    ------
    MvdSimError
        One line naming the option.
    """
    for name, value in (("--n", n), ("--shard-size", shard_size), ("--workers", workers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise MvdSimError(f"{name}: must be a whole number of at least 1, got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed <= MAX_SEED):
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
    ``client``'s cluster in tasks of shrinking runs of cases (:mod:`mvd_sim.dataset.tasks`;
    a local cluster of ``workers`` processes, their standard error to ``log``, is started
    when there is no client, and closed with ``stack``)."""
    if client is None and not workers:
        return ((k, _interruptible(job, start, stop)) for k, start, stop in todo)
    from mvd_sim.dataset.cluster import in_flight, local_cluster, stream, worker_count

    if client is None:
        client = stack.enter_context(local_cluster(workers, log, __name__))
    calls = ((task, (job, task)) for task in plan(todo, worker_count(client)))
    return assembled(stream(client, task_rows, calls, in_flight(client)), todo,
                     ShardRows.joined)


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
    job = partial(shard_rows, priors.model_dump_json(), seed, n,
                  meshes_dir=str(out / store.MESHES_DIR) if meshes else None,
                  decompress=decompress)
    return write_dataset(out, settings, n, job, workers, scheduler, progress,
                         partial(_card, settings=settings, priors=priors), _CARD_COLUMNS)


def write_dataset(out: Path, settings: dict, n: int, job: Callable[[int, int], ShardRows],
                  workers: int | None, scheduler: str | None,
                  progress: Callable[[int, int, float], None] | None,
                  card: Callable[[Path, pa.Table, dict[str, int]], None],
                  card_columns: list[str]) -> DatasetSummary:
    """Write (or finish writing) the ``n`` cases ``job(start, stop)`` makes the rows of, in
    shards of ``settings["shard_size"]``, into ``out`` (see the module docstring), with
    ``settings`` (those :func:`generate` takes, ``meshes`` and ``decompress`` among them) in
    the manifest; then, under the folder's lock, ``card(out, cases, counts)`` writes the
    dataset card from the cases table's ``card_columns`` and each table's rows, and the
    complete manifest is written. The options are checked by the caller; the rest as
    :func:`generate`."""
    meshes, decompress = settings["meshes"], settings["decompress"]
    schemas = {"cases": cases_schema(decompress), "contacts": CONTACTS_SCHEMA}
    shards = _shards(n, settings["shard_size"])
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
        _finish(out, settings, [records[k] for k, _, _ in shards], card, card_columns)
    return DatasetSummary(out, len(todo), len(shards) - len(todo), rate)


def _card(out: Path, cases: pa.Table, counts: dict[str, int], settings: dict,
          priors: Priors) -> None:
    """The sampled dataset's card (:func:`~mvd_sim.dataset.card.write_card`)."""
    from mvd_sim.dataset.card import write_card

    write_card(out, cases, priors, settings, counts)


def _finish(out: Path, settings: dict, records: list[dict],
            card: Callable[[Path, pa.Table, dict[str, int]], None],
            card_columns: list[str]) -> None:
    """The dataset card, then the complete manifest (still under the folder's lock)."""
    import pyarrow.dataset as ds

    cases = ds.dataset([str(out / r["cases"]["path"]) for r in records],
                       format="parquet").to_table(columns=card_columns)
    card(out, cases, store.counts(records))
    store.write_manifest(out, settings, records)
