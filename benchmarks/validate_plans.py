"""The planner over many cases, checked as a surgeon would check it (issue #21).

Run: ``python benchmarks/validate_plans.py [N] [SEED] [WORKERS]`` (default 300 sampled cases
of seed 11 on 2 processes, plus every bundled case; about 15 minutes on 2 cores).

Each case is planned (:func:`mvd_sim.plan`), and a plan's operated case is re-analysed the
way a user would (``mvd-sim plan --save`` then ``mvd-sim analyze`` of the saved post-operative
scenario: the scenario with the plan's moves, solved at the worst phase of the pulse). It
prints:

- the verdicts (decompressed, at a cost, not decompressed, no plan, nothing to do);
- plans called decompressed whose re-analysed post-operative case has a CN VIII contact the
  case settled at the same phase before the operation did not have (or a deeper one), or a
  vessel touching or at risk of CN VII: both must be zero; and, for comparison, CN VIII
  contacts new against the case as built (unsettled: these include contacts the pulse makes
  before any operation, a VA swelling onto CN VIII at systole, say);
- how many plans spare the root exit zone (no pad touching it), over the cases whose
  compressions all lie outside the root exit point (the target: all of them);
- the severe VA cases, how many the planner transposed, and whether the transposed course
  frees the nerve;
- which moves the plans use, and the time per plan.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402

import mvd_sim  # noqa: E402
from mvd_sim.case import Case  # noqa: E402
from mvd_sim.core.errors import MvdSimError  # noqa: E402
from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.dataset.sampler import sample  # noqa: E402
from mvd_sim.surgery.decompress import decompress_states, new_cn8_contacts  # noqa: E402
from mvd_sim.surgery.postop import postop_spec  # noqa: E402


def _harm(case: Case, operated: Case) -> tuple[bool, bool, bool]:
    """What re-analysing the operated case (``analyze`` of the saved post-operative
    scenario: the settled case at the worst phase) finds: (a CN VIII contact new or deeper
    than in the case settled at that phase before the operation: the operation's doing; one
    new or deeper than in the case as built, which also counts contacts the pulse makes
    before any operation; a vessel touching or at risk of CN VII)."""
    thresholds = case.thresholds
    _, before, after = decompress_states(operated)
    settled = mvd_sim.analyze(before.scene, thresholds)
    post = mvd_sim.analyze(after.scene, thresholds)
    built = mvd_sim.analyze(case.scene, thresholds)
    cn7 = any(c.nerve == "CN7" for c in post.contacts) or \
        any(r.nerve == "CN7" for r in post.vessels_at_risk)
    return (bool(new_cn8_contacts(settled.contacts, post.contacts, thresholds.contact_mm)),
            bool(new_cn8_contacts(built.contacts, post.contacts, thresholds.contact_mm)), cn7)


def check(case: Case) -> dict:
    """Plan one case and check its plan; a dict of what the summary counts."""
    contacts = [c for c in mvd_sim.analyze(case.scene).contacts if c.nerve == "CN7"]
    severe_va = any(c.vessel_type == "VA" and c.severity == "severe" for c in contacts)
    row = {"name": case.name, "outside_rexp": bool(contacts) and
           all(c.segment != "RExP" for c in contacts), "severe_va": severe_va}
    start = time.perf_counter()
    try:
        result = mvd_sim.plan(case)
    except MvdSimError as err:
        return {**row, "status": f"error: {type(err).__name__}", "seconds": 0.0}
    row.update(seconds=time.perf_counter() - start, rez_spared=result.rez_spared,
               moves=[m.kind if m.kind != "pad" else f"pad:{m.sponge.seat}"
                      for m in result.moves],
               transposed_va=any(m.kind == "transposition" and
                                 case.scene.vessels[m.vessel].kind == "VA"
                                 for m in result.moves))
    if result.predicted is None or not result.feasible:
        # nothing to do, or no plan (its closest try may come with a prediction)
        row["status"] = "nothing to do" if result.feasible else "no plan"
        return row
    row["status"] = result.predicted.status
    operated = Case.from_spec(postop_spec(case.spec, result.operation), case.name)
    row["cn8_harm"], row["cn8_vs_built"], row["cn7_left"] = _harm(case, operated)
    return row


def _sampled(args: tuple[int, int, int]) -> dict:
    """The check of case ``index`` of a dataset of ``n`` cases of ``seed``."""
    seed, n, index = args
    return check(sample(load_priors(), seed, n, index).case)


def _bundled(name: str) -> dict:
    return check(Case.bundled(name))


def summary(rows: list[dict]) -> list[str]:
    status = Counter(r["status"] for r in rows)
    called = [r for r in rows if r["status"] == "decompressed"]
    outside = [r for r in rows if r["outside_rexp"] and r.get("moves")]
    severe = [r for r in rows if r["severe_va"]]
    moves = Counter(m for r in rows for m in r.get("moves", []))
    times = [r["seconds"] for r in rows if r.get("moves")]
    return [
        "verdicts: " + ", ".join(f"{k} {v}" for k, v in status.most_common()),
        f"called decompressed: {len(called)}; of them leaving a new or deeper CN VIII "
        f"contact: {sum(r['cn8_harm'] for r in called)} (against the case settled at the "
        f"same phase; {sum(r['cn8_vs_built'] for r in called)} against the case as built, "
        "counting contacts the pulse makes before surgery), a vessel touching or at risk of "
        f"CN VII: {sum(r['cn7_left'] for r in called)}",
        f"REZ spared: {sum(r['rez_spared'] for r in outside)} of {len(outside)} planned cases "
        "whose compressions lie outside the RExP",
        f"severe VA: {len(severe)} cases, {sum(r.get('transposed_va', False) for r in severe)} "
        f"transposed, {sum(r['status'] == 'decompressed' for r in severe if r.get('transposed_va'))}"
        " of those freed",
        "moves: " + ", ".join(f"{k} {v}" for k, v in sorted(moves.items())),
        (f"seconds a plan: median {np.median(times):.1f}, max {max(times):.1f}" if times
         else "no plan made a move")]


def main(n: int, seed: int, workers: int) -> None:
    names = mvd_sim.bundled_scenarios()
    progress = Progress(console=Console(stderr=True), transient=True)
    with ProcessPoolExecutor(workers) as pool, progress:
        task = progress.add_task("planning", total=len(names) + n)

        def run(function, items):
            rows = []
            for row in pool.map(function, items, chunksize=2):
                rows.append(row)
                progress.advance(task)
            return rows

        bundled = run(_bundled, names)
        sampled = run(_sampled, [(seed, n, k) for k in range(n)])
    for title, rows in ((f"bundled ({len(bundled)})", bundled),
                        (f"sampled ({n}, seed {seed})", sampled)):
        print(title)
        for line in summary(rows):
            print("  " + line)
    print("sampled cases to look at (index: what):")
    for k, r in enumerate(sampled):
        what = [w for w, bad in (
            (r["status"], r["status"] not in ("decompressed", "nothing to do")),
            ("new CN VIII contact", r.get("cn8_harm")), ("CN VII not free", r.get("cn7_left")),
            ("REZ padded", r["outside_rexp"] and r.get("moves") and not r.get("rez_spared")))
            if bad]
        if what:
            print(f"  {k}: {', '.join(what)}; {' '.join(r.get('moves', []))}")
    print("bundled, one line each:")
    for r in bundled:
        print(f"  {r['name']:<26} {r['status']:<24} rez spared {r.get('rez_spared')!s:<5} "
              f"{' '.join(r.get('moves', []))}")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    main(*(arguments + [300, 11, 2][len(arguments):]))
