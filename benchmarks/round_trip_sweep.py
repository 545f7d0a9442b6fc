"""The import's round trip (issue #24) by every route, spacing and noise seed, one table.

Run: ``python benchmarks/round_trip_sweep.py [--runs NAME ...] [--names SCENARIO ...]
[--jobs N] [--details]`` (about 20 minutes for every run on one core).

Each run voxelises every bundled scenario without a lesion (the set
``tests/segmentation/test_round_trip.py`` runs) as ``tests/roundtrip_support.py`` does (an
oblique grid, the head turned, blurred and noisy labels), writes it as NIfTI or NRRD, or
exports the scene's STL meshes, imports it and compares the contact reports. Per run it
prints the contacts with the same segment and severity (issue #24 asks >= 95%), the
round trips with the same culprits, and the largest separation and RExP errors in voxels
(each must be <= 1); ``--details`` lists every contact that differs, with its indentation
and deviation before and after.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import mvd_sim  # noqa: E402
from roundtrip_support import Comparison, mesh_round_trip, volume_round_trip  # noqa: E402

#: Run name -> (route, voxel mm, noise seed).
RUNS = {
    "nii 0.5 s0": ("nii.gz", 0.5, 0), "nii 0.5 s1": ("nii.gz", 0.5, 1),
    "nii 0.5 s2": ("nii.gz", 0.5, 2), "nii 0.4 s0": ("nii.gz", 0.4, 0),
    "nii 0.4 s1": ("nii.gz", 0.4, 1), "nii 0.4 s2": ("nii.gz", 0.4, 2),
    "nii 0.6 s0": ("nii.gz", 0.6, 0), "nii 0.6 s1": ("nii.gz", 0.6, 1),
    "nii 0.6 s2": ("nii.gz", 0.6, 2), "nrrd 0.5 s0": ("nrrd", 0.5, 0),
    "stl 0.4": ("stl", 0.4, 0),
}
MATCH_FRACTION = 0.95


def scenarios() -> list[str]:
    """Every bundled scenario without a lesion (the round-trip test's set)."""
    out = []
    for name, path in sorted(mvd_sim.bundled_scenarios().items()):
        spec = mvd_sim.load_scenario(path)
        if not (spec.masses or spec.aneurysms or spec.avms):
            out.append(name)
    return out


def one(run: str, name: str) -> tuple[str, str, Comparison, float]:
    """One scenario's round trip by one run, and its seconds."""
    route, voxel_mm, seed = RUNS[run]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        if route == "stl":
            result = mesh_round_trip(name, Path(folder) / "meshes", voxel_mm)
        else:
            result = volume_round_trip(name, Path(folder), route, voxel_mm, seed)
    return run, name, result, time.perf_counter() - start


def differing(result: Comparison) -> list[tuple]:
    """The rows whose imported contact is missing or differs in segment or severity."""
    return [row for row in result.rows
            if row[-1] is None or tuple(row[-1][:2]) != tuple(row[2:4])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--names", nargs="+", default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--details", action="store_true")
    args = parser.parse_args(argv)
    names = args.names or scenarios()
    tasks = [(run, name) for run in args.runs for name in names]
    results: dict[str, dict[str, Comparison]] = {run: {} for run in args.runs}
    seconds = 0.0
    with ProcessPoolExecutor(args.jobs) as pool:
        for run, name, result, took in pool.map(one, *zip(*tasks)):
            results[run][name] = result
            seconds += took
    print(f"{'run':<12} {'contacts same':>14} {'%':>6} {'culprits same':>14} "
          f"{'sep err (vox)':>14} {'RExP err (vox)':>15}  ok")
    failed = False
    for run, by_name in results.items():
        voxel_mm = RUNS[run][1]
        total = sum(r.total for r in by_name.values())
        matched = sum(r.matched for r in by_name.values())
        culprits = sum(r.culprits_same for r in by_name.values())
        sep = max((e for r in by_name.values() for e in r.separation_errors), default=0.0)
        rexp = max(r.rexp_error_mm for r in by_name.values())
        ok = (matched >= MATCH_FRACTION * total and culprits >= MATCH_FRACTION * len(by_name)
              and sep <= voxel_mm and rexp <= voxel_mm)
        failed |= not ok
        print(f"{run:<12} {f'{matched}/{total}':>14} {100 * matched / max(total, 1):6.1f} "
              f"{f'{culprits}/{len(by_name)}':>14} {sep / voxel_mm:14.2f} "
              f"{rexp / voxel_mm:15.2f}  {'yes' if ok else 'NO'}")
        if args.details:
            for name, r in by_name.items():
                for row in differing(r):
                    print(f"    {name}: {row}")
    print(f"{len(tasks)} round trips, {seconds:.0f} s of work")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
