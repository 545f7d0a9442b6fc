"""Generate a dataset: shards of cases as Parquet tables, resumable, in-process or on Dask.

``generate`` splits the cases into shards of ``shard_size``; each shard is two Parquet files
(``cases-NNNNN.parquet``: one row per case; ``contacts-NNNNN.parquet``: one row per contact
of the contact report), written atomically by the main process, whoever computed it. A
shard whose files exist is skipped, so an interrupted run resumes where it stopped. The
rows depend only on (seed, case index): the same seed gives byte-identical tables whatever
the number of workers. At the end come ``manifest.json`` and the dataset card
(``README.md`` with the realised distributions against the priors, and a plot of them).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mvd_sim._version import __version__
from mvd_sim.atomic import write_text_atomic
from mvd_sim.contact import analyze
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import sample_case
from mvd_sim.dataset.tables import CONTACTS_SCHEMA, cases_schema, contact_row, write_table
from mvd_sim.errors import MvdSimError
from mvd_sim.scenario import scenario_to_yaml

__all__ = ["generate", "shard_rows", "DatasetSummary", "SHARD_SIZE", "LOCAL_CLUSTER_CONFIG"]

SHARD_SIZE = 50
# dask settings of the local cluster ``--workers`` starts (see ``_dask``)
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.tick.interval": "1s"}


def _outcome_columns(scene) -> dict:
    """The planner's answer for a case: whether pads free CN VII through the pulse, how many,
    and the predicted worst clearance after them."""
    from mvd_sim.planner import plan

    result = plan(scene)
    predicted = result.predicted
    return {"plan_feasible": result.feasible, "plan_pads": len(result.steps),
            "plan_pad_diameters_mm": ",".join(f"{s.sponge.diameter_mm:g}"
                                              for s in result.steps),
            "postop_decompressed": predicted.decompressed if predicted else None,
            "postop_worst_clearance_mm": predicted.after.worst_clearance_mm
            if predicted else None}


def shard_rows(priors_json: str, seed: int, start: int, stop: int,
               meshes_dir: str | None = None, decompress: bool = False
               ) -> tuple[list[dict], list[dict]]:
    """Case rows and contact rows of cases ``start .. stop - 1`` (runs on any worker).

    With ``meshes_dir`` each case's closed meshes go to ``meshes_dir/caseNNNNNNN/`` (VTP,
    written atomically by the worker: a remote cluster needs a shared file system); with
    ``decompress`` each case is planned and its predicted outcome added to its row.
    """
    priors = Priors.model_validate_json(priors_json)
    cases, contacts = [], []
    for index in range(start, stop):
        spec, scene, attempt = sample_case(priors, seed, index)
        if meshes_dir is not None:
            from mvd_sim.export import export_meshes

            export_meshes(scene, Path(meshes_dir) / scene.name)
        report = analyze(scene)
        cn7 = [c for c in report.contacts if c.nerve == "CN7"]
        facial = spec.anatomy.facial_nerve
        cases.append({
            "case": index, "seed": seed, "attempt": attempt, "side": spec.side,
            "pattern": report.pattern,
            "culprits": ",".join(c.vessel_type for c in report.culprits),
            "culprit_count": len(report.culprits),
            "cn7_contact_count": len(cn7),
            "worst_severity": max((c.severity for c in cn7),
                                  key=("mild", "moderate", "severe").index, default="none"),
            "primary_segment": cn7[0].segment if cn7 else "none",
            "cisternal_length_mm": facial.cisternal_length_mm,
            "angle_to_midline_deg": facial.angle_to_midline_deg,
            **{f"{v.type.lower()}_radius_mm": v.radius_mm for v in spec.vessels
               if v.radius_mm is not None},
            **(_outcome_columns(scene) if decompress else {}),
            "scenario_yaml": scenario_to_yaml(spec)})
        contacts.extend(contact_row(index, c) for c in report.contacts)
    return cases, contacts


@dataclass(frozen=True)
class DatasetSummary:
    """What ``generate`` did: shards written now and skipped (already there), cases/s."""

    out_dir: Path
    written: int
    skipped: int
    cases_per_s: float


def _shards(n: int, shard_size: int) -> list[tuple[int, int, int]]:
    return [(k, start, min(start + shard_size, n))
            for k, start in enumerate(range(0, n, shard_size))]


def _paths(out: Path, k: int) -> tuple[Path, Path]:
    return out / f"cases-{k:05d}.parquet", out / f"contacts-{k:05d}.parquet"


def _local(priors_json, seed, todo, options) -> Iterator[tuple[int, tuple]]:
    for k, start, stop in todo:
        yield k, shard_rows(priors_json, seed, start, stop, *options)


def _dask(priors_json, seed, todo, options, workers, scheduler
          ) -> Iterator[tuple[int, tuple]]:
    import dask
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if not scheduler:
        # the cases are pure Python: the workers' 10 ms stack sampler and 20 ms event-loop
        # tick would take the GIL from them (see the README's dataset speed), so the
        # cluster this starts runs without the sampler and ticks once a second
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        futures = {client.submit(shard_rows, priors_json, seed, start, stop, *options,
                                 pure=False): k for k, start, stop in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def generate(n: int, seed: int, out_dir: str | os.PathLike, priors: Priors,
             shard_size: int = SHARD_SIZE, workers: int | None = None,
             scheduler: str | None = None,
             progress: Callable[[int, int, float], None] | None = None,
             meshes: bool = False, decompress: bool = False) -> DatasetSummary:
    """Write (or finish writing) a dataset of ``n`` cases (see the module docstring).

    ``workers`` starts a local Dask cluster of that many single-threaded processes;
    ``scheduler`` uses an existing dask.distributed scheduler at that address. ``progress``
    is called with (cases done, cases in all, cases/s) after each shard. ``meshes`` writes
    each case's meshes under ``meshes/``; ``decompress`` adds the planner's predicted
    outcome to every case row.
    """
    if n < 1 or shard_size < 1 or (workers is not None and workers < 1):
        raise MvdSimError("dataset: --n, --shard-size and --workers must be at least 1")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MvdSimError(f"{out}: cannot create the output folder: {err.strerror}") from None
    manifest_path = out / "manifest.json"
    settings = {"seed": seed, "n": n, "shard_size": shard_size, "meshes": meshes,
                "decompress": decompress, "priors": json.loads(priors.model_dump_json())}
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text())
        if {k: previous.get(k) for k in settings} != settings:
            raise MvdSimError(f"{out}: holds a different dataset (seed, n, shard size or "
                              "priors differ); use another folder")
    write_text_atomic(manifest_path, json.dumps({**settings, "complete": False,
                                                 "mvd_sim_version": __version__}, indent=2))
    shards = _shards(n, shard_size)
    todo = [s for s in shards if not all(p.exists() for p in _paths(out, s[0]))]
    done = sum(stop - start for k, start, stop in shards) - sum(b - a for _, a, b in todo)
    priors_json = priors.model_dump_json()
    options = (str(out / "meshes") if meshes else None, decompress)
    runs = _dask(priors_json, seed, todo, options, workers, scheduler) \
        if (workers or scheduler) else _local(priors_json, seed, todo, options)
    started, made = time.perf_counter(), 0
    for k, (case_rows, contact_rows) in runs:
        cases_path, contacts_path = _paths(out, k)
        write_table(contact_rows, CONTACTS_SCHEMA, contacts_path)
        write_table(case_rows, cases_schema(decompress), cases_path)  # last: marks it done
        made += len(case_rows)
        if progress is not None:
            progress(done + made, n, made / max(time.perf_counter() - started, 1e-9))
    rate = made / max(time.perf_counter() - started, 1e-9)
    _finish(out, settings, priors, shards)
    return DatasetSummary(out, len(todo), len(shards) - len(todo), rate)


def _finish(out: Path, settings: dict, priors: Priors, shards: list) -> None:
    import pyarrow.parquet as pq

    from mvd_sim.dataset.card import write_card

    cases = [pq.read_table(_paths(out, k)[0]) for k, _, _ in shards]
    contacts = [pq.read_table(_paths(out, k)[1]) for k, _, _ in shards]
    counts = {"cases": int(sum(t.num_rows for t in cases)),
              "contacts": int(sum(t.num_rows for t in contacts))}
    write_card(out, cases, priors, settings, counts)
    write_text_atomic(out / "manifest.json", json.dumps(
        {**settings, "complete": True, "mvd_sim_version": __version__, "counts": counts,
         "shards": [[_paths(out, k)[0].name, _paths(out, k)[1].name] for k, _, _ in shards]},
        indent=2))
