"""Placement's effort constants coarsened, measured (issue #27, part 35).

Run a setting: ``python benchmarks/coarse_placement.py run LABEL "CONST=VALUE,..." SEEDS OUT``
runs cases 0-239 of each seed in ``SEEDS`` (comma-separated; a dataset of 240 each) in one
thread, with the named module constants of :mod:`mvd_sim.anatomy.placement` replaced (empty
string: main's), and pickles to ``OUT`` each seed's CPU time (``time.process_time``), vessel
placement's CPU time, builds and refused builds, the case and contact rows, and each placed
vessel's (name, length mm, least bend radius over vessel radius, points). Run each setting in
its own process (placement keeps courses between cases).

Compare: ``python benchmarks/coarse_placement.py compare BASE.pkl OTHER.pkl ...`` prints for
each other setting the CPU and refusal totals, how many case rows are identical to the base's,
and p-values (chi-square for segment, severity, culprit and refusal counts; two-sample KS for
contact separation and depth, vessel length and least bend ratio) with 10/50/90% quantiles.
The settings draw the same cases from the same seeds, so the samples are paired: most rows
are the same, and the identical-row count bounds what can differ.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import collections  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from mvd_sim.anatomy import bends, placement  # noqa: E402
from mvd_sim.case import Case  # noqa: E402
from mvd_sim.core.errors import ScenarioError  # noqa: E402
from mvd_sim.dataset import runner  # noqa: E402
from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.scene import build  # noqa: E402

N_CASES = 240


def run(label: str, overrides: str, seeds: list[int], out: str) -> None:
    """Run ``seeds`` with placement's constants ``overrides`` ("NAME=VALUE,...") and pickle."""
    for item in filter(None, overrides.split(",")):
        name, value = item.split("=")
        setattr(placement, name, type(getattr(placement, name))(float(value)))
    priors_json = load_priors().model_dump_json()
    runner.shard_rows(priors_json, 2, 2, 0, 2)     # warm: imports, kernels, caches
    tally = collections.Counter()
    vessels: list[tuple[str, float, float, int]] = []
    place_vessel, from_spec, sample = build.place_vessel, Case.from_spec.__func__, runner.sample

    def timed_place(*args, **kwargs):
        started = time.process_time()
        try:
            return place_vessel(*args, **kwargs)
        finally:
            tally["place"] += time.process_time() - started

    def counted_build(cls, *args, **kwargs):
        tally["builds"] += 1
        try:
            return from_spec(cls, *args, **kwargs)
        except ScenarioError:
            tally["refused"] += 1
            raise

    def measured_sample(*args, **kwargs):
        sampled = sample(*args, **kwargs)
        for name, tube in sampled.case.scene.vessels.items():
            points, radius = np.asarray(tube.points), np.asarray(tube.radius)
            length = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
            vessels.append((name, length, float(bends.bend_ratios(points, radius).min()),
                            len(points)))
        return sampled

    build.place_vessel, Case.from_spec = timed_place, classmethod(counted_build)
    runner.sample = measured_sample
    result = {"label": label, "overrides": overrides, "seeds": {}}
    for seed in seeds:
        tally.clear()
        vessels.clear()
        started = time.process_time()
        rows = runner.shard_rows(priors_json, seed, N_CASES, 0, N_CASES)
        total = time.process_time() - started
        result["seeds"][seed] = dict(total=total, place=tally["place"], builds=tally["builds"],
                                     refused=tally["refused"], cases=rows.cases,
                                     contacts=rows.contacts, vessels=list(vessels))
        print(f"{label} seed {seed}: {total:.2f} s CPU, placement {tally['place']:.2f} s, "
              f"refused {tally['refused']} of {tally['builds']} builds", flush=True)
    with open(out, "wb") as file:
        pickle.dump(result, file)


def _pooled(result: dict) -> dict:
    """A run's seeds pooled: rows, contacts, vessels and totals."""
    seeds = result["seeds"].values()
    pooled = {key: [item for s in seeds for item in s[key]]
              for key in ("cases", "contacts", "vessels")}
    pooled.update({key: sum(s[key] for s in seeds)
                   for key in ("total", "place", "builds", "refused")})
    return pooled


def _chi_square(a: list, b: list) -> float:
    """p-value of a chi-square test that two samples of labels share one distribution."""
    keys = sorted(set(a) | set(b), key=str)
    count_a, count_b = collections.Counter(a), collections.Counter(b)
    table = np.array([[count_a[k] for k in keys], [count_b[k] for k in keys]])
    return 1.0 if table.shape[1] < 2 else float(stats.chi2_contingency(table)[1])


def compare(base_path: str, other_paths: list[str]) -> None:
    """Print each other run against the base run (see the module docstring)."""
    def load(path: str) -> dict:
        with open(path, "rb") as file:
            return pickle.load(file)

    base = _pooled(load(base_path))
    quantiles = (0.1, 0.5, 0.9)
    for path in other_paths:
        other = _pooled(load(path))
        same = sum(json.dumps(x, sort_keys=True, default=str)
                   == json.dumps(y, sort_keys=True, default=str)
                   for x, y in zip(base["cases"], other["cases"]))
        p = {field: _chi_square([r[field] for r in base[rows]], [r[field] for r in other[rows]])
             for rows, field in (("cases", "primary_segment"), ("cases", "worst_severity"),
                                 ("cases", "primary_culprit"), ("contacts", "severity"),
                                 ("contacts", "vessel_type"))}
        p["refusal"] = float(stats.chi2_contingency(np.array(
            [[base["refused"], base["builds"] - base["refused"]],
             [other["refused"], other["builds"] - other["refused"]]]))[1])
        samples = {"separation": lambda r: [c["min_separation_mm"] for c in r["contacts"]],
                   "depth": lambda r: [c["indentation_mm"] for c in r["contacts"]],
                   "length": lambda r: [v[1] for v in r["vessels"]],
                   "bend ratio": lambda r: [v[2] for v in r["vessels"]]}
        print(f"{path}: CPU {base['total']:.2f} -> {other['total']:.2f} s, placement "
              f"{base['place']:.2f} -> {other['place']:.2f} s, refused {base['refused']}/"
              f"{base['builds']} -> {other['refused']}/{other['builds']}, case rows identical "
              f"{same}/{len(base['cases'])}, contacts {len(base['contacts'])} -> "
              f"{len(other['contacts'])}")
        for name, values in samples.items():
            p[name] = float(stats.ks_2samp(values(base), values(other)).pvalue)
            print(f"  {name} quantiles {np.round(np.quantile(values(base), quantiles), 3)} -> "
                  f"{np.round(np.quantile(values(other), quantiles), 3)}")
        floor = bends.MIN_BEND_RADIUS_TO_VESSEL_RADIUS
        print(f"  vessels under the bend floor: {sum(v[2] < floor for v in base['vessels'])}"
              f" -> {sum(v[2] < floor for v in other['vessels'])}")
        print("  p: " + ", ".join(f"{k} {v:.3f}" for k, v in p.items()))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4].split(",")], sys.argv[5])
    else:
        compare(sys.argv[2], sys.argv[3:])
