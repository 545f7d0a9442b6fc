"""Where a dataset's CPU time goes (issue #27, part 11): by stage, by outcome, by case.

Run: ``python benchmarks/dataset_profile.py [N]`` (default 240): cases 0 .. N-1 of seed 1 (a
dataset of N), one thread, after a warm-up, timed by CPU time (``time.process_time``), which a
loaded machine does not inflate. The sampler's and the scene builder's functions are wrapped
with timers (they run unchanged), and the script prints:

- by stage: the CPU time inside the draws (and their side questions and nerves), vessel
  placement (and its bend relaxation and avoidance), the context structures, the contact
  report and the table rows, callees included;
- by outcome: draws and builds, those that place and those refused, each refusal by where it
  was raised, and the rate a perfect, free pre-check would reach (every refused draw rejected
  at no cost, the placed ones unchanged);
- by case: the cases with an incidental CN VIII contact against the others, and the share of
  the costliest cases.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import collections  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

from mvd_sim.anatomy import placement  # noqa: E402
from mvd_sim.case import Case  # noqa: E402
from mvd_sim.core.errors import ScenarioError  # noqa: E402
from mvd_sim.dataset import runner, sampler  # noqa: E402
from mvd_sim.dataset.priors import load_priors  # noqa: E402
from mvd_sim.scene import build  # noqa: E402

#: (module or class, attribute, label) of each function timed by stage
_SIDES = "  the sides a contact can be asked from"
STAGES = [(sampler, "draw_spec", "draws"),
          (build.NerveSites, "sides", _SIDES),
          # since part 33 a contact's side is picked asking its sides one at a time
          # (approach_side asks a SideQuestion): timed together, once
          (sampler, "approach_side", _SIDES),
          (sampler, "NerveSites", "  the drawn anatomy's nerves"),
          (build, "place_vessel", "vessel placement"),
          (placement, "relax_bends", "  bend relaxation kernel"),
          # placement's rounds call _avoided_rows since part 22 (avoid_tubes before: the
          # name a library from before then is timed by)
          (placement, "_avoided_rows" if hasattr(placement, "_avoided_rows") else "avoid_tubes",
           "  avoidance"),
          (build._Builder, "context", "context structures, intrusions"),
          (runner, "analyze", "contact report"),
          (runner, "case_row", "table rows")]
if hasattr(build, "SideQuestion"):
    STAGES.insert(3, (build.SideQuestion, "__call__", _SIDES))


def _timed(function, label: str, totals: dict[str, float], inside: dict[str, int]):
    """``function`` adding its CPU time to ``totals[label]``, unless it runs inside another
    function timed under the same label (counted once)."""
    def timed(*args, **kwargs):
        started = time.process_time()
        inside[label] += 1
        try:
            return function(*args, **kwargs)
        finally:
            inside[label] -= 1
            if not inside[label]:
                totals[label] += time.process_time() - started
    return timed


def _raised_in(err: BaseException) -> str:
    """Where a build's refusal was raised: the innermost placement or build function."""
    frames = [f.name for f in traceback.extract_tb(err.__traceback__)
              if f.filename.endswith(("placement.py", "build.py", "bends.py"))]
    return frames[-1] if frames else "elsewhere"


def main(n: int) -> None:
    priors_json = load_priors().model_dump_json()
    runner.shard_rows(priors_json, 2, 2, 0, 2)     # warm: imports, kernels, caches
    totals: dict[str, float] = collections.defaultdict(float)
    inside: dict[str, int] = collections.defaultdict(int)
    for owner, name, label in STAGES:
        setattr(owner, name, _timed(getattr(owner, name), label, totals, inside))
    events: list[tuple[str, float, str]] = []      # (draw | build, CPU s, "" or refusal)
    draw_spec, from_spec = sampler.draw_spec, Case.from_spec.__func__

    def drawn(*args, **kwargs):
        started = time.process_time()
        spec = draw_spec(*args, **kwargs)
        events.append(("draw", time.process_time() - started, ""))
        return spec

    def built(cls, *args, **kwargs):
        started = time.process_time()
        try:
            case = from_spec(cls, *args, **kwargs)
        except ScenarioError as err:
            events.append(("build", time.process_time() - started, _raised_in(err)))
            raise
        events.append(("build", time.process_time() - started, ""))
        return case

    cases: list[tuple[float, bool]] = []          # (CPU s drawing it, a CN VIII contact)
    sample = runner.sample

    def sampled(*args, **kwargs):
        started = time.process_time()
        case = sample(*args, **kwargs)
        cases.append((time.process_time() - started, case.diagnosis.cn8_vessel is not None))
        return case

    sampler.draw_spec, Case.from_spec, runner.sample = drawn, classmethod(built), sampled
    started = time.process_time()
    runner.shard_rows(priors_json, 1, n, 0, n)
    total = time.process_time() - started
    print(f"{n} cases (seed 1 of {n}), one thread: {total:.2f} s CPU, "
          f"{n / total:.1f} cases per CPU second")
    print("by stage (CPU time inside, callees included):")
    for label in dict.fromkeys(label for _, _, label in STAGES):
        print(f"  {label:<42}{totals[label]:7.2f} s {totals[label] / total:6.1%}")
    _outcomes(events, total, n)
    _cases(cases, total)


def _outcomes(events: list[tuple[str, float, str]], total: float, n: int) -> None:
    draws = [t for kind, t, _ in events if kind == "draw"]
    placed = [t for kind, t, why in events if kind == "build" and not why]
    refused = collections.defaultdict(list)
    for kind, t, why in events:
        if kind == "build" and why:
            refused[why].append(t)
    # the draw each placed build was made of
    kept_draws = 0.0
    for k, (kind, _, why) in enumerate(events):
        if kind == "build" and not why:
            j = next(j for j in range(k - 1, -1, -1) if events[j][0] == "draw")
            kept_draws += events[j][1]
    refused_s = sum(sum(v) for v in refused.values())
    print(f"by outcome: {len(draws)} draws ({sum(draws) / total:.0%}), {len(placed)} builds "
          f"placed ({sum(placed) / total:.0%}), {sum(map(len, refused.values()))} refused "
          f"({refused_s / total:.0%})")
    for why, times in sorted(refused.items(), key=lambda item: -sum(item[1])):
        print(f"  refused in {why:<32}{len(times):5d} {sum(times) / total:6.1%}")
    perfect = total - (sum(draws) - kept_draws) - refused_s
    print(f"a perfect, free pre-check: {perfect:.2f} s, {n / perfect:.1f} cases per CPU second; "
          f"the placed builds alone {n / sum(placed):.1f} a CPU second")


def _cases(cases: list[tuple[float, bool]], total: float) -> None:
    n, tail = len(cases), max(len(cases) // 16, 1)
    with_cn8 = [t for t, cn8 in cases if cn8]
    print(f"by case: {len(with_cn8)} of {n} with a CN VIII contact took "
          f"{sum(with_cn8) / total:.0%} of the CPU; the costliest {tail} took "
          f"{sum(sorted(t for t, _ in cases)[-tail:]) / total:.0%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 240)
