"""Solve, decompression and plan times, this code against an earlier commit, in one run
(issue #27).

Run: ``python benchmarks/bench_speed.py [BASELINE] [SAMPLED]`` from a git checkout (default
baseline 7357070, the code before issue #27's speed-ups; 100 sampled cases; SAMPLED -1 stops
after the contact report and the dataset). The baseline's
``mvd_sim`` is taken with ``git archive`` into a temporary folder. Two worker processes, one
on each code, one thread each, take the same tasks in turn (the baseline first, then this
code, case by case), so both see the same load on this shared VM; each warms up on the case
before timing it.

First the contact report against the bare exact gaps (``Scene.nerve_gaps``) of the
five- and ten-vessel scenes of ``bench_contact.py`` and two bundled cases (ms a call, min /
median of 30 repeats of about 10 ms), and the cases/s of ``shard_rows`` (the default ``mvd-sim
dataset``'s work, no writing) over 3 x 3 shards of 40 cases of seed 1. Then, per bundled
case with a CN VII contact (min / median of repeats):

- one solve: the case with a 2 mm pad at its first CN VII contact settled at systole, from
  the settled case (:func:`~mvd_sim.surgery.decompress.postop_starts`), 5 repeats;
- decompress: that operation judged through the pulse (both sweeps), 3 repeats;
- plan: :func:`mvd_sim.plan`, 3 repeats;

then the plan of each of the first SAMPLED cases of seed 11 (of 300), once each, with the
median and the largest; then, on each of those cases, the same solve and decompression as
on the bundled cases (after its plan; a case without a CN VII contact has none), and the
median over the cases of each case's median, for solve, decompression and plan (issue #27's
floors: 20 ms, 100 ms, 1 s), old and new, with how many cases are within each floor.
Beside the wall-clock ratio, ``cpu ratio`` is old / new of the
medians of each worker's CPU time (``time.process_time``), which the time spent waiting for
a core on a loaded machine does not inflate, and ``cpu ms`` those medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = {"solve": 5, "decompress": 3, "plan": 3, "sampled": 1, "report": 30, "gaps": 30,
           "dataset": 3}
#: cases per timed dataset shard (seed 1), and calls per timed contact repeat (~10 ms)
DATASET_CASES, CONTACT_CALLS = 40, {"report": 10, "gaps": 300}
SEED, N = 11, 300
#: issue #27's floors (s): one solve, a decompression through the pulse, a plan
FLOORS = {"solve": 0.020, "decompress": 0.100, "sampled": 1.0}


# -- the worker: runs in a process of its own, on whichever mvd_sim is on its path ---------
def _case(name: str):
    if name.startswith("sampled:"):
        from mvd_sim.dataset.priors import load_priors
        from mvd_sim.dataset.sampler import sample
        return sample(load_priors(), SEED, N, int(name.split(":")[1])).case
    import mvd_sim
    return mvd_sim.load_case(name)


def _pad(case):
    import mvd_sim
    from mvd_sim.scenario import SpongeSpec
    contacts = [c for c in mvd_sim.analyze(case.scene).contacts if c.nerve == "CN7"]
    if not contacts:
        return None
    c = contacts[0]
    return [SpongeSpec(diameter_mm=2.0, s_mm=c.s_deepest_mm, vessel=c.vessel)]


def _job(kind: str, name: str):
    """A function timing one task (no argument), or None if the case has no CN VII contact."""
    import mvd_sim
    if kind == "dataset":   # name: the first case's index (seed 1)
        from mvd_sim.dataset.priors import load_priors
        from mvd_sim.dataset.runner import shard_rows
        priors, start = load_priors().model_dump_json(), int(name)
        return lambda: shard_rows(priors, 1, 10**6, start, start + DATASET_CASES)
    if kind in ("report", "gaps"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_contact import five_vessel_scene, ten_vessel_scene
        scene = five_vessel_scene() if name == "five_vessels" else \
            ten_vessel_scene(five_vessel_scene()) if name == "ten_vessels" else _case(name).scene
        call = (lambda: mvd_sim.analyze(scene)) if kind == "report" else scene.nerve_gaps

        def calls():
            for _ in range(CONTACT_CALLS[kind]):
                call()
        return calls
    from mvd_sim.mechanics.simulate import build_model, settle
    from mvd_sim.mechanics.sweep import settle_from
    from mvd_sim.surgery.decompress import decompress_states, postop_starts
    from mvd_sim.surgery.pads import place_sponges
    case = _case(name)
    if kind in ("plan", "sampled"):
        return lambda: mvd_sim.plan(case)
    pad = _pad(case)
    if pad is None:
        return None
    if kind == "decompress":
        return lambda: decompress_states(case, mvd_sim.Operation(pads=pad))
    scene = case.scene
    before_model = build_model(scene)
    before = settle(scene, level=1.0, model=before_model)
    bodies, holds_off = place_sponges(scene, pad)

    def one_solve():
        model = build_model(scene, bodies)
        settle_from(scene, model, 1.0, postop_starts(before_model, model, holds_off, before))
    return one_solve


def worker() -> None:
    """Answer ``kind name`` lines on stdin with one JSON line of times (s) each."""
    for line in sys.stdin:
        kind, name = line.split()
        try:
            job = _job(kind, name)
            times, cpu = [], []
            if job is not None:
                if kind != "sampled":
                    job()  # warm: the case's kernels and caches
                for _ in range(REPEATS[kind]):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    job()
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
            answer = {"times": times, "cpu": cpu}
        except Exception as err:  # noqa: BLE001 - reported, the run goes on
            answer = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(answer), flush=True)


# -- the driver --------------------------------------------------------------------------
class _Worker:
    def __init__(self, path: str):
        env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
        self.process = subprocess.Popen([sys.executable, __file__, "--worker"], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=tempfile.gettempdir())

    def ask(self, kind: str, name: str) -> dict:
        self.process.stdin.write(f"{kind} {name}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _ms(times: list[float], per: int = 1) -> str:
    if not times:
        return f"{'-':>17}"
    ordered = sorted(times)
    digits = 1 if per == 1 else 3
    return f"{ordered[0] * 1e3 / per:8.{digits}f} /{ordered[len(ordered) // 2] * 1e3 / per:8.{digits}f}"


def _median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]


def main(baseline: str, n_sampled: int) -> None:
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as base:
        archive = subprocess.run(["git", "-C", str(root), "archive", baseline, "mvd_sim",
                                  "scenarios"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        old, new = _Worker(base), _Worker(str(root))
        try:
            _run(old, new, baseline, n_sampled)
        finally:
            old.close()
            new.close()


def _run(old: _Worker, new: _Worker, baseline: str, n_sampled: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import mvd_sim
    print(f"one thread per process; ms, min / median of repeats; old = {baseline}, new = this "
          "code; ratio = old / new of the medians")
    _contact_and_dataset(old, new)
    if n_sampled < 0:
        return
    print(f"{'case':<26} {'task':<10} {'old':>17} {'new':>17} {'ratio':>6}  cpu ratio"
          "  cpu ms old / new")
    for name in sorted(mvd_sim.bundled_scenarios()):
        for kind in ("solve", "decompress", "plan"):
            a, b = old.ask(kind, name), new.ask(kind, name)
            if "error" in a or "error" in b:
                print(f"{name:<26} {kind:<10} {a.get('error', '')[:40]} | "
                      f"{b.get('error', '')[:40]}")
                continue
            if not a["times"]:
                break  # no CN VII contact: no pad to place (the plan is nothing to do)
            ratio = _median(a["times"]) / _median(b["times"])
            cpu = _median(a["cpu"]) / _median(b["cpu"])
            print(f"{name:<26} {kind:<10} {_ms(a['times'])} {_ms(b['times'])} {ratio:5.1f}x"
                  f"  {cpu:5.2f}x  {_median(a['cpu']) * 1e3:7.1f} / "
                  f"{_median(b['cpu']) * 1e3:7.1f}", flush=True)
    plans: dict[str, list[float]] = {"old": [], "new": []}
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    errors = {"old": 0, "new": 0}
    for k in range(n_sampled):
        for label, w in (("old", old), ("new", new)):
            answer = w.ask("sampled", f"sampled:{k}")
            if "error" in answer:
                errors[label] += 1
            else:
                plans[label] += answer["times"]
                cpu[label] += answer["cpu"]
    for label in ("old", "new"):
        t = sorted(plans[label])
        print(f"plans of {n_sampled} sampled cases (seed {SEED} of {N}), {label}: median "
              f"{t[len(t) // 2] * 1e3:.0f} ms, largest {t[-1] * 1e3:.0f} ms, "
              f"{sum(x <= 1.0 for x in t)} of {len(t)} within 1 s, {errors[label]} errors; "
              f"CPU time median {_median(cpu[label]) * 1e3:.0f} ms")
    _sampled_floors(old, new, n_sampled, plans, cpu)


def _sampled_floors(old: _Worker, new: _Worker, n_sampled: int,
                    plans: dict[str, list[float]], plan_cpu: dict[str, list[float]]) -> None:
    """The sampled cases' solve and decompression (the bundled cases' operations, after each
    case's plan, old and new code in turn), and the median over the cases of each case's
    median for solve, decompression and plan, beside issue #27's floors."""
    # per task and code: each case's median wall-clock and CPU time (s)
    wall: dict[tuple[str, str], list[float]] = {("sampled", k): v for k, v in plans.items()}
    cpu: dict[tuple[str, str], list[float]] = {("sampled", k): v for k, v in plan_cpu.items()}
    padless, failed = {"solve": 0, "decompress": 0}, {"solve": 0, "decompress": 0}
    for k in range(n_sampled):
        for kind in ("solve", "decompress"):
            answers = {"old": old.ask(kind, f"sampled:{k}"), "new": new.ask(kind, f"sampled:{k}")}
            if any("error" in a for a in answers.values()):
                failed[kind] += 1    # on either code
                continue
            if any(not a["times"] for a in answers.values()):
                padless[kind] += 1   # no CN VII contact: no pad to place
                continue
            for label, answer in answers.items():
                wall.setdefault((kind, label), []).append(_median(answer["times"]))
                cpu.setdefault((kind, label), []).append(_median(answer["cpu"]))
    print(f"sampled cases (the first {n_sampled} of seed {SEED}), median over the cases of each "
          "case's median, ms:")
    print(f"{'task':<12} {'cases':>5} {'old':>8} {'new':>8} {'ratio':>6}  {'cpu old':>8} "
          f"{'cpu new':>8} {'cpu ratio':>9}  floor  new within (cpu)")
    for kind, title in (("solve", "solve"), ("decompress", "decompress"), ("sampled", "plan")):
        a, b = wall.get((kind, "old"), []), wall.get((kind, "new"), [])
        ca, cb = cpu.get((kind, "old"), []), cpu.get((kind, "new"), [])
        if not a or not b:
            print(f"{title:<12} no case timed")
            continue
        floor = FLOORS[kind]
        print(f"{title:<12} {len(b):>5} {_median(a) * 1e3:8.1f} {_median(b) * 1e3:8.1f} "
              f"{_median(a) / _median(b):5.2f}x  {_median(ca) * 1e3:8.1f} {_median(cb) * 1e3:8.1f} "
              f"{_median(ca) / _median(cb):8.2f}x  {floor * 1e3:5.0f}  "
              f"{sum(x <= floor for x in cb)} of {len(cb)}"
              + (f" ({padless[kind]} without a CN VII contact, {failed[kind]} failed)"
                 if kind in padless else ""), flush=True)


def _contact_and_dataset(old: _Worker, new: _Worker) -> None:
    """The contact report against the bare exact gaps (ms a call, min / median of repeats of
    ~10 ms), and the dataset's cases/s in one process (shards of DATASET_CASES, best /
    median; by wall clock, and per second of the worker's CPU time, which a loaded machine
    does not inflate), old and new code in turn."""
    print(f"{'scene':<26} {'task':<10} {'old':>17} {'new':>17} {'ratio':>6}  new report / gaps"
          "  (CPU min: old, new)")
    for name in ("five_vessels", "ten_vessels", "multi_aica_pica_right",
                 "aica_as_moderate_right"):
        medians, cpu = {}, {}
        for kind in ("report", "gaps"):
            a, b = old.ask(kind, name), new.ask(kind, name)
            per = CONTACT_CALLS[kind]
            medians[kind] = _median(b["times"]) / per
            cpu[kind] = (min(a["cpu"]) / per, min(b["cpu"]) / per)
            extra = "" if kind == "report" else (
                f"  {medians['report'] / medians['gaps']:5.1f}x  ("
                f"{cpu['report'][0] / cpu['gaps'][0]:.1f}x, "
                f"{cpu['report'][1] / cpu['gaps'][1]:.1f}x)")
            print(f"{name:<26} {kind:<10} {_ms(a['times'], per)} {_ms(b['times'], per)} "
                  f"{_median(a['times']) / _median(b['times']):5.1f}x{extra}", flush=True)
    rates: dict[str, list[float]] = {"old": [], "new": []}
    per_cpu: dict[str, list[float]] = {"old": [], "new": []}
    for start in range(0, 3 * DATASET_CASES, DATASET_CASES):
        for label, w in (("old", old), ("new", new)):
            answer = w.ask("dataset", str(start))
            if "error" in answer:   # reported; the run goes on
                print(f"dataset shard at {start}, {label}: {answer['error']}")
                continue
            rates[label] += [DATASET_CASES / t for t in answer["times"]]
            per_cpu[label] += [DATASET_CASES / t for t in answer["cpu"]]
    if not rates["old"] or not rates["new"]:
        return
    for name, got in (("cases/s", rates), ("cases per CPU second", per_cpu)):
        best = {k: max(v) for k, v in got.items()}
        med = {k: _median(v) for k, v in got.items()}
        print(f"dataset in one process (seed 1, shards of {DATASET_CASES}), {name} best / "
              f"median: old {best['old']:.1f} / {med['old']:.1f}, new {best['new']:.1f} / "
              f"{med['new']:.1f}, ratio of medians {med['new'] / med['old']:.2f}x", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker()
    else:
        arguments = sys.argv[1:]
        main(arguments[0] if arguments else "7357070",
             int(arguments[1]) if len(arguments) > 1 else 100)
