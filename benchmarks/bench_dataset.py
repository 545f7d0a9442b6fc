"""Dataset generation speed (issue #6): cases/s for each mode, and the 1 -> 2 worker
efficiency.

Run: ``python benchmarks/bench_dataset.py [N]`` (default 480 cases; one thread per process).

Modes, each on the same N cases of seed 1 (meshes and decompression on fewer):

- in-process (no meshes): the default ``mvd-sim dataset``;
- in-process with ``--meshes`` (VTP per case) and with ``--decompress`` (a plan per case);
- 2 Dask workers on a ``LocalCluster`` started (with the settings and the worker plugin
  ``--workers`` uses) and warmed up beforehand (its start-up, printed apart, is a one-off
  cost per run, not a per-case one).

Each rate is cases per second of wall clock from the first case to the last shard written
(``DatasetSummary.cases_per_s``); the in-process run is warmed up on other cases first, like
the workers. The in-process and 2-worker runs alternate, REPEATS times each (this VM's
speed drifts; a fresh cluster for each 2-worker run, none during in-process ones), and print
their best and median rates; the efficiency is the 2-worker rate
over twice the in-process rate, of the medians. Against issue #27's floors: the in-process
median against 200 cases/s (one core), the 2-worker median against 1.8 times the in-process
one. Small shards (10 cases) keep both workers
busy to the end, and 480 cases keep a 2-worker run about 5 s long, so the main process's
table writes and the last shard weigh little in it. Last, the N cases once more in process,
timing their two stages apart: drawing and building the scene (failed draws included) and
the contact report.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from mvd_sim.contact.analysis import analyze  # noqa: E402
from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.dataset.cluster import LOCAL_CLUSTER_CONFIG  # noqa: E402
from mvd_sim.dataset.frozen_heap import FrozenLibrary  # noqa: E402
from mvd_sim.dataset.runner import generate, shard_rows  # noqa: E402
from mvd_sim.dataset.sampler import sample_case  # noqa: E402

SHARD = 10
REPEATS = 3
#: issue #27's floors: cases/s in one process (one thread), and 2 workers over one process
FLOOR_PER_CORE = 200.0
FLOOR_TWO_WORKERS = 1.8


def rate(n: int, **options) -> float:
    with tempfile.TemporaryDirectory() as out:
        return generate(n, 1, out, load_priors(), shard_size=SHARD, **options).cases_per_s


def warm_up(priors_json: str) -> None:
    """Import everything and build the per-shape caches (grids, profile tables)."""
    shard_rows(priors_json, 2, 2, 0, 2)


def stage_times(n: int) -> dict[str, list[float]]:
    """Seconds per case of each stage, in process: drawing and building the scene (failed
    draws included) and the contact report; what ``shard_rows`` does besides them (row
    building) and writing are left out, they are small."""
    priors = load_priors()
    out: dict[str, list[float]] = {"scene (draws + builds)": [], "contact report": []}
    for index in range(n):
        started = time.perf_counter()
        _, scene, _ = sample_case(priors, 1, n, index)
        built = time.perf_counter()
        analyze(scene)
        out["scene (draws + builds)"].append(built - started)
        out["contact report"].append(time.perf_counter() - built)
    return out


def best_and_median(rates: list[float]) -> str:
    return f"{max(rates):6.2f} / {statistics.median(rates):<6.2f}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 480
    priors_json = load_priors().model_dump_json()
    warm_up(priors_json)
    meshes = rate(max(n // 4, SHARD), meshes=True)
    decompress = rate(max(n // 24, 2), decompress=True)

    import dask
    from dask.distributed import Client, LocalCluster

    one, two, start_up = [], [], []
    for _ in range(REPEATS):
        # in-process first, with no cluster alive: a scheduler thread in this process would
        # compete with it for the GIL
        one.append(rate(n))
        started = time.perf_counter()
        with dask.config.set(LOCAL_CLUSTER_CONFIG), \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             dashboard_address=None) as cluster, Client(cluster) as client:
            client.register_plugin(FrozenLibrary(shard_rows.__module__))
            client.run(warm_up, priors_json)
            start_up.append(time.perf_counter() - started)
            two.append(rate(n, scheduler=cluster.scheduler_address))

    ratio = statistics.median(two) / statistics.median(one)
    print(f"{n} cases (seed 1), shards of {SHARD}, one thread per process; "
          f"cases/s best / median of {REPEATS}")
    print(f"  in-process              {best_and_median(one)}")
    print(f"  2 Dask workers          {best_and_median(two)}  efficiency {ratio / 2:.0%} "
          f"(cluster start-up and warm-up {statistics.median(start_up):.1f} s, not included)")
    print(f"  in-process --meshes     {meshes:6.2f}           ({max(n // 4, SHARD)} cases)")
    print(f"  in-process --decompress {decompress:6.2f}           ({max(n // 24, 2)} cases)")
    print(f"  floors: {FLOOR_PER_CORE:g} cases/s per core without meshes (in-process median "
          f"is {statistics.median(one) / FLOOR_PER_CORE:.0%} of it); 2 workers "
          f"{FLOOR_TWO_WORKERS:g}x one process (medians: {ratio:.2f}x)")
    stages = stage_times(n)
    total = sum(sum(times) for times in stages.values())
    print(f"where a case's time goes, in process ({n} cases): ms median / mean, share")
    for name, times in stages.items():
        print(f"  {name:<24}{1e3 * statistics.median(times):7.1f} / "
              f"{1e3 * statistics.mean(times):<7.1f}{sum(times) / total:6.0%}")


if __name__ == "__main__":
    main()
