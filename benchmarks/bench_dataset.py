"""Dataset generation speed (issue #6): cases/s for each mode, and the 1 -> 2 worker
efficiency.

Run: ``python benchmarks/bench_dataset.py [N]`` (default 120 cases; one thread per process).

Modes, each on the same N cases of seed 1 (meshes and decompression on fewer):

- in-process (no meshes): the default ``mvd-sim dataset``;
- in-process with ``--meshes`` (VTP per case) and with ``--decompress`` (a plan per case);
- 2 Dask workers on a ``LocalCluster`` started and warmed up beforehand (its start-up,
  printed apart, is a one-off cost per run, not a per-case one).

Each rate is cases per second of wall clock from the first case to the last shard written
(``DatasetSummary.cases_per_s``); the in-process run is warmed up on other cases first, like
the workers. The efficiency is the 2-worker rate over twice the in-process rate. Small
shards (5 cases) keep both workers busy to the end.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.dataset.runner import generate, shard_rows  # noqa: E402

SHARD = 5
FLOOR_PER_CORE = 50.0


def rate(n: int, **options) -> float:
    with tempfile.TemporaryDirectory() as out:
        return generate(n, 1, out, load_priors(), shard_size=SHARD, **options).cases_per_s


def warm_up(priors_json: str) -> None:
    """Import everything and build the per-shape caches (grids, profile tables)."""
    shard_rows(priors_json, 2, 0, 2)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    priors_json = load_priors().model_dump_json()
    warm_up(priors_json)
    one = rate(n)
    meshes = rate(max(n // 4, SHARD), meshes=True)
    decompress = rate(max(n // 24, 2), decompress=True)

    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(warm_up, priors_json)
        start_up = time.perf_counter() - started
        two = rate(n, scheduler=cluster.scheduler_address)

    print(f"{n} cases (seed 1), shards of {SHARD}, one thread per process")
    print(f"  in-process              {one:6.2f} cases/s")
    print(f"  in-process --meshes     {meshes:6.2f} cases/s   ({max(n // 4, SHARD)} cases)")
    print(f"  in-process --decompress {decompress:6.2f} cases/s   ({max(n // 24, 2)} cases)")
    print(f"  2 Dask workers          {two:6.2f} cases/s   efficiency {two / (2 * one):.0%} "
          f"(cluster start-up and warm-up {start_up:.1f} s, not included)")
    print(f"  floor: {FLOOR_PER_CORE:g} cases/s per core without meshes "
          f"(in-process is {one / FLOOR_PER_CORE:.0%} of it)")


if __name__ == "__main__":
    main()
