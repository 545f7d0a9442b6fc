"""The largest scenarios the schema accepts: how long a decompression and a plan take (issue #19).

Run: ``python benchmarks/bench_limits.py [N]`` (one thread; N random scenes of each shape,
default 6).

The schema bounds the mechanics' work: at most 20 vessels, at most
:data:`~mvd_sim.scenario.MAX_VESSEL_COURSE_MM` of course for a vessel given by control points
and :data:`~mvd_sim.scenario.MAX_TOTAL_COURSE_MM` for all of them together, and the planner
stops after :data:`~mvd_sim.surgery.planner.MAX_CANDIDATES` candidate pads. This draws seeded random
scenes at those limits in the cerebellopontine angle, half of the vessels starting across CN
VII (20 vessels of 30 mm and 4 vessels of 150 mm, 500 control points each), and times
``decompress`` with one 2 mm pad and ``plan`` through the API, as the CLI runs them. A solve
that does not converge ends in a :class:`~mvd_sim.core.errors.SolverError` (one line in the
CLI); its time is counted too. The README states the largest times measured.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import mvd_sim  # noqa: E402
from mvd_sim.core.errors import MvdSimError  # noqa: E402
from mvd_sim.surgery.planner import plan  # noqa: E402
from mvd_sim.scenario import (MAX_TOTAL_COURSE_MM, MAX_VESSEL_COURSE_MM,  # noqa: E402
                              parse_scenario)

POINTS_PER_VESSEL = 500
SHAPES = {"20 x 30 mm": (20, MAX_TOTAL_COURSE_MM / 20 - 0.1),
          "4 x 150 mm": (4, MAX_VESSEL_COURSE_MM - 0.1)}


def random_case(n_vessels: int, course_mm: float, seed: int) -> dict:
    """A scenario of ``n_vessels`` smooth random courses of ``course_mm`` each, in the
    cerebellopontine angle lateral of the brainstem (right side, scene frame): the first half
    start in the angle at large, the others across CN VII's course (about 2-14 mm lateral of
    its root exit point), so the planner has contacts to pad."""
    rng = np.random.default_rng(seed)
    step_mm = course_mm / (POINTS_PER_VESSEL - 1)
    vessels = []
    for k in range(n_vessels):
        if k < n_vessels // 2:
            start = [rng.uniform(12, 30), rng.uniform(-10, 10), rng.uniform(-10, 10)]
        else:
            start = [rng.uniform(12, 16), rng.uniform(-1, 6), rng.uniform(-3, 3)]
        points = [np.array(start)]
        heading = rng.normal(size=3)
        for _ in range(POINTS_PER_VESSEL - 1):
            heading = heading / np.linalg.norm(heading) + 0.15 * rng.normal(size=3)
            heading /= np.linalg.norm(heading)
            if points[-1][0] + step_mm * heading[0] < 12:  # stay lateral of the brainstem
                heading[0] = abs(heading[0])
            points.append(points[-1] + step_mm * heading)
        vessels.append({"id": f"v{k}", "type": str(rng.choice(["AICA", "PICA", "VA", "vein"])),
                        "points_mm": np.round(np.array(points), 4).tolist()})
    return {"schema_version": 1, "title": "at the limits", "description": "random courses",
            "side": "right", "vessels": vessels}


def timed(run) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        outcome = run()
    except MvdSimError as err:
        outcome = type(err).__name__
    return time.perf_counter() - start, outcome


def main(n: int) -> None:
    pad = mvd_sim.SpongeSpec(diameter_mm=2.0, s_mm=5.0)
    print(f"scenes at the schema's limits, one thread, s per call ({n} seeds each)")
    print(f"{'shape':<12} {'seed':>4} {'build':>7} {'decompress':>11}  {'outcome':<14}"
          f"{'plan':>7}  outcome")
    worst = {"decompress": 0.0, "plan": 0.0}
    for shape, (n_vessels, course_mm) in SHAPES.items():
        for seed in range(1, n + 1):
            start = time.perf_counter()
            try:
                case = mvd_sim.Case.from_spec(parse_scenario(random_case(n_vessels, course_mm,
                                                                         seed)))
            except MvdSimError as err:
                print(f"{shape:<12} {seed:>4}  refused: {err}")
                continue
            build_s = time.perf_counter() - start
            decompress_s, decompressed = timed(
                lambda: "freed" if mvd_sim.decompress(case, mvd_sim.Operation(pads=[pad])).decompressed
                else "not freed")
            plan_s, planned = timed(lambda: f"{len(plan(case).moves)} move(s)")
            worst = {"decompress": max(worst["decompress"], decompress_s),
                     "plan": max(worst["plan"], plan_s)}
            print(f"{shape:<12} {seed:>4} {build_s:7.2f} {decompress_s:11.2f}  "
                  f"{decompressed:<14}{plan_s:7.2f}  {planned}")
    print(f"largest: decompress {worst['decompress']:.1f} s, plan {worst['plan']:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
