"""Dataset generation speed (issue #6): cases/s in-process and on a 2-worker local Dask
cluster, and the parallel efficiency.

Run: ``python benchmarks/bench_dataset.py [N]`` (default 24 cases; one thread per worker).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.dataset.runner import generate  # noqa: E402


def rate(n: int, workers: int | None) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        generate(n, 1, out, load_priors(), shard_size=max(1, n // 8), workers=workers)
        return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    one = rate(n, None)
    two = rate(n, 2)
    print(f"{n} cases, no meshes, no decompression (wall clock, cluster start-up included)")
    print(f"  in-process        {one:6.2f} cases/s")
    print(f"  2 Dask workers    {two:6.2f} cases/s   efficiency {two / (2 * one):.0%}")
    print("  floor: 50 cases/s per core")


if __name__ == "__main__":
    main()
