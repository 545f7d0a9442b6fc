"""What calling the compiled kernels from Python costs in one bundled case's solve or
decompression (issue #27, part 36).

Run: ``python benchmarks/call_overhead.py CASE [solve|decompress] [REPEATS]`` (default
``va_pushes_aica_right solve 30``), one thread. The task is ``bench_speed.py``'s, warmed up
once, then run once with every Python call of a kernel recorded (its arguments, and how many
arrays it returned). Each kernel's recorded calls are then replayed, REPEATS times each of
five rounds (the least CPU time, ``time.process_time``, of the rounds kept): (a) the kernel
itself; (b) a compiled wrapper that calls it and returns 0, so that its results are never
boxed into Python objects (numba boxes each returned array through a call into Python:
``numba.core.serialize._numba_unpickle``); (c) a compiled no-op taking the same arguments
(numba's dispatch: typing the arguments, choosing the compiled version, unboxing).
(a) - (b) is the boxing of the results (and their freeing as Python objects), (c) the
dispatch, per task. Calls from one kernel to another cost neither and are not counted.
The ``mvd_sim`` imported is whichever is on the path.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_speed  # noqa: E402  (this folder's)

from mvd_sim.core.compiled import CPUDispatcher, Kernel  # noqa: E402


def _recorded(job) -> dict[Kernel, list[tuple]]:
    """Every Python call of a kernel in one run of ``job``: its arguments, by kernel."""
    calls: dict[Kernel, list[tuple]] = collections.defaultdict(list)
    returned: collections.Counter = collections.Counter()

    def recording(kernel, *args):
        result = CPUDispatcher.__call__(kernel, *args)
        calls[kernel].append(args)
        parts = result if isinstance(result, tuple) else (result,)
        returned[kernel] += sum(isinstance(part, np.ndarray) for part in parts)
        return result

    Kernel.__call__ = recording
    try:
        job()
    finally:
        del Kernel.__call__
    return calls, returned


def _stand_ins(kernel: Kernel):
    """Compiled functions of the kernel's arguments: one calling it and returning 0, one
    returning 0 at once."""
    @numba.njit
    def unboxed(*args):
        kernel(*args)
        return 0

    @numba.njit
    def no_op(*args):
        return 0

    return unboxed, no_op


def _replayed(function, calls: list[tuple], repeats: int) -> float:
    """Least CPU s of five rounds of ``repeats`` replays of ``calls``, per replay."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeats):
            for args in calls:
                function(*args)
        best = min(best, (time.process_time() - start) / repeats)
    return best


def main(case: str, kind: str, repeats: int) -> None:
    job = bench_speed._job(kind, case)
    if job is None:
        raise SystemExit(f"{case}: no CN VII contact, nothing to time")
    job()   # warm: kernels, caches
    start = time.process_time()
    for _ in range(5):
        job()
    task = (time.process_time() - start) / 5
    calls, returned = _recorded(job)
    print(f"{case} {kind}: {task * 1e3:.1f} ms CPU a task; kernel calls from Python, "
          f"per task: {sum(map(len, calls.values()))}, arrays returned "
          f"{sum(returned.values())}")
    print(f"  {'kernel':<22} {'calls':>5} {'arrays':>6} {'kernel ms':>9} {'boxing ms':>9} "
          f"{'dispatch ms':>11} {'boxing us':>9} {'dispatch us':>11}  (us: a call)")
    total = collections.Counter()
    for kernel, its in sorted(calls.items(), key=lambda item: -len(item[1])):
        unboxed, no_op = _stand_ins(kernel)
        unboxed(*its[0])
        no_op(*its[0])
        whole = _replayed(kernel, its, repeats)
        boxing = whole - _replayed(unboxed, its, repeats)
        dispatch = _replayed(no_op, its, repeats)
        total += {"kernel": whole, "boxing": boxing, "dispatch": dispatch}
        print(f"  {kernel.py_func.__qualname__:<22} {len(its):5d} {returned[kernel]:6d} "
              f"{whole * 1e3:9.3f} {boxing * 1e3:9.3f} {dispatch * 1e3:11.3f} "
              f"{boxing / len(its) * 1e6:9.2f} {dispatch / len(its) * 1e6:11.2f}")
    print(f"  {'all':<22} {sum(map(len, calls.values())):5d} {sum(returned.values()):6d} "
          f"{total['kernel'] * 1e3:9.3f} {total['boxing'] * 1e3:9.3f} "
          f"{total['dispatch'] * 1e3:11.3f}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(arguments[0] if arguments else "va_pushes_aica_right",
         arguments[1] if len(arguments) > 1 else "solve",
         int(arguments[2]) if len(arguments) > 2 else 30)
