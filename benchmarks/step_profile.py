"""Where a Newton step's CPU time goes: the equilibrium solver's parts, timed in one solve or
one decompression of a bundled case (issue #27, part 14).

Run: ``python benchmarks/step_profile.py CASE [solve|decompress] [REPEATS]`` (default
``va_pushes_aica_right decompress 5``), one thread. The task is ``bench_speed.py``'s (a 2 mm
pad at the case's first CN VII contact, settled at systole from the settled case; or that
operation judged through the pulse), warmed up once, then repeated. The solver's functions
and the compiled kernels it calls from Python are wrapped with timers of the process's CPU
time (``time.process_time``, which waiting for a core on a loaded machine does not
inflate); each part's time is its own, less that of the wrapped parts it calls. Printed per
part: ms a task, us a Newton step, calls a task; what no wrapper holds is "outside the
solver" (the sweeps, the scenes, the models). A wrapper costs about a microsecond a call,
so the small parts read a little high; the total is about 5% over an unwrapped run.
The ``mvd_sim`` imported is whichever is on the path (``PYTHONPATH`` set to an older
checkout profiles that code).
"""

from __future__ import annotations

import collections
import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_speed  # noqa: E402  (this folder's)

import mvd_sim.mechanics.contacts as contacts  # noqa: E402
import mvd_sim.mechanics.model as model  # noqa: E402
import mvd_sim.mechanics.simulate as simulate  # noqa: E402
import mvd_sim.mechanics.solver as solver  # noqa: E402
import mvd_sim.mechanics.surface as surface  # noqa: E402

#: (owner, attribute, part): every wrapped function; parts sharing a name add up
PARTS = [
    (solver, "ldl_factor", "LDL^T factorisation (ldl_factor)"),
    (solver, "merged_upper", "merge of the static and contact entries"),
    (solver._Analysis, "tree_of", "elimination tree (or the last one's)"),
    (solver, "ldl_solve", "solves with the factors (+ Woodbury)"),
    (solver, "ldl_solve_many", "solves with the factors (+ Woodbury)"),
    (solver, "_woodbury", "solves with the factors (+ Woodbury)"),
    (solver._Factor, "solve", "_Factor.solve's own (concatenation, checks)"),
    (solver, "_newton_step", "_Factor.solve's own (concatenation, checks)"),
    (solver, "detect", "detection: gathering the laws' contacts"),
    (contacts.RodOnRod, "detect", "detection: rod on rod"),
    (contacts.NearSegments, "groups", "detection: rod on rod's candidate list"),
    (contacts.RodOnBrainstem, "detect", "detection: rod on brainstem"),
    (contacts.SpongeOnRod, "detect", "detection: pad on rod"),
    (contacts.SpongeOnBrainstem, "detect", "detection: pads on brainstem, petrous, pad"),
    (contacts.SpongeOnPetrous, "detect", "detection: pads on brainstem, petrous, pad"),
    (contacts.SpongeOnSponge, "detect", "detection: pads on brainstem, petrous, pad"),
    (contacts.RodOnLesion, "detect", "detection: rod on lesion"),
    (model.MechanicalModel, "configuration", "configuration (positions, per-rod views)"),
    (surface.BrainstemSurface, "refresh", "brainstem planes: refresh and exact queries"),
    (surface.BrainstemSurface, "_requery", "brainstem planes: refresh and exact queries"),
    (solver, "_line_search", "line search's own (K step, trial states)"),
    (solver, "_model_root", "line search: contact model's root, rim entry"),
    (solver, "rim_entry", "line search: contact model's root, rim entry"),
    (solver, "_state", "active set: state and key"),
    (solver, "_active_key", "active set: state and key"),
    (solver, "_same_state", "active set: state and key"),
    (solver, "_rim_update", "rim term (Woodbury's U, V)"),
    (solver._Rows, "__init__", "contact rows: made"),
    (solver._Rows, "gram", "contact rows: Gram entries"),
    (solver._Rows, "apply", "contact rows: applied, transposed; gradient"),
    (solver._Rows, "transpose_apply", "contact rows: applied, transposed; gradient"),
    (solver, "_gradient", "contact rows: applied, transposed; gradient"),
]
SOLVE = "solve's own loop (K u, state arrays, bookkeeping)"


def _wrap(part: str, function, spent: collections.Counter, calls: collections.Counter,
          stack: list[float]):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = time.process_time()
        stack.append(0.0)
        try:
            return function(*args, **kwargs)
        finally:
            took = time.process_time() - start
            inner = stack.pop()
            spent[part] += took - inner
            calls[part] += 1
            if stack:
                stack[-1] += took
    return timed


def main(case: str, kind: str, repeats: int) -> None:
    job = bench_speed._job(kind, case)
    if job is None:
        raise SystemExit(f"{case}: no CN VII contact, nothing to time")
    job()   # warm: kernels, caches
    spent: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    stack: list[float] = []
    for owner, name, part in PARTS:
        setattr(owner, name, _wrap(part, getattr(owner, name), spent, calls, stack))
    steps = _wrap("", solver._newton_step, collections.Counter(), calls, [])
    solver._newton_step = steps   # counted (as "") on top of its wrapper above
    simulate.solve = _wrap(SOLVE, solver.solve, spent, calls, stack)
    start = time.process_time()
    for _ in range(repeats):
        job()
    total = (time.process_time() - start) / repeats
    n_steps = calls[""] / repeats
    print(f"{case} {kind}: {total * 1e3:.1f} ms CPU a task (wrapped), "
          f"{calls[SOLVE] / repeats:.0f} solves, {n_steps:.0f} Newton steps, "
          f"{total * 1e3 / n_steps:.2f} ms a step")
    print(f"  {'part':<52} {'ms':>7} {'us/step':>8} {'calls':>6}")
    for part, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        each = seconds / repeats
        print(f"  {part:<52} {each * 1e3:7.2f} {each / n_steps * 1e6:8.1f}"
              f" {calls[part] / repeats:6.0f}")
    outside = total - sum(spent.values()) / repeats
    print(f"  {'outside the solver':<52} {outside * 1e3:7.2f} {outside / n_steps * 1e6:8.1f}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(arguments[0] if arguments else "va_pushes_aica_right",
         arguments[1] if len(arguments) > 1 else "decompress",
         int(arguments[2]) if len(arguments) > 2 else 5)
