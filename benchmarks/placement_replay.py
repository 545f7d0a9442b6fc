"""Vessel placement alone, replayed: the same ``place_vessel`` calls, this code against
another's (issue #27, part 22).

Run: ``python benchmarks/placement_replay.py BASE [N] [ROUNDS]`` from a git checkout
(default N 240, ROUNDS 4): every ``place_vessel`` call that building the rows of cases
0 .. N-1 of seed 1 (a dataset of N) makes is recorded once (by this code, pickled), then
replayed by two worker processes, one on BASE's ``mvd_sim`` (taken with ``git archive`` into
a temporary folder) and one on this code, in turn, ROUNDS times each, one thread each. A
worker replays every call once to warm up, then three times with the garbage collector off
(its passes fall in whichever stage is running and spread a stage's timings), and prints
the CPU seconds (``time.process_time``) of each. Refusals are part of placement and count.

A replay leaves out the draws, the context and the report, and the machine's load is alike
for both sides, so a change of a few percent in placement, which the whole dataset's
spread hides (``dataset_profile.py``), shows here. The replays keep the placement caches of
their warm-up (the free vessels' courses, the obstacles' runs), on both sides.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gc  # noqa: E402
import pickle  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPEATS = 3


def _record(n: int, path: Path) -> int:
    """Pickle every ``place_vessel`` call of cases 0 .. n-1 of seed 1 to ``path``."""
    from mvd_sim.dataset import runner
    from mvd_sim.dataset.priors import load_priors
    from mvd_sim.scene import build

    calls = []
    place_vessel = build.place_vessel

    def recorded(*args, **kwargs):
        calls.append((args, kwargs))
        return place_vessel(*args, **kwargs)

    build.place_vessel = recorded
    runner.shard_rows(load_priors().model_dump_json(), 1, n, 0, n)
    path.write_bytes(pickle.dumps(calls))
    return len(calls)


def _replay(path: Path) -> None:
    """Worker: replay the calls once, then :data:`REPEATS` times timed; print the times."""
    from mvd_sim.anatomy import placement
    from mvd_sim.core.errors import ScenarioError

    calls = pickle.loads(path.read_bytes())

    def run() -> None:
        for args, kwargs in calls:
            try:
                placement.place_vessel(*args, **kwargs)
            except ScenarioError:
                pass

    run()
    gc.disable()
    for _ in range(REPEATS):
        started = time.process_time()
        run()
        print(f"{time.process_time() - started:.4f}")


def main(base: str, n: int, rounds: int) -> None:
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "old"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(here), "archive", base, "mvd_sim"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        calls = Path(folder) / "calls.pkl"
        print(f"{_record(n, calls)} place_vessel calls of cases 0-{n - 1} of seed 1 (n = {n})")
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(rounds):
            for side, root in (("old", old), ("new", here)):
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", str(calls)], check=True,
                    capture_output=True, text=True,
                    env={**os.environ, "PYTHONPATH": str(root)}).stdout
                times[side] += [float(line) for line in out.split()]
        for side in times:
            print(f"{side} ({base if side == 'old' else 'this code'}): CPU s a replay, min "
                  f"{min(times[side]):.3f}, median {statistics.median(times[side]):.3f} "
                  f"({len(times[side])} replays)")
        print(f"ratio old / new: min {min(times['old']) / min(times['new']):.2f}x, median "
              f"{statistics.median(times['old']) / statistics.median(times['new']):.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _replay(Path(sys.argv[2]))
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 240,
             int(sys.argv[3]) if len(sys.argv) > 3 else 4)
