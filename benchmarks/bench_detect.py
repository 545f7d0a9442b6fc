"""Contact detection (``mvd_sim.mechanics.contacts.detect``), CPU time a call, this code
against an earlier commit (issue #27, part 6).

Run: ``python benchmarks/bench_detect.py [BASELINE] [CASE ...]`` from a git checkout
(default baseline 70758bf, the code before part 6; default cases
``multi_aica_pica_right`` and ``va_pushes_aica_right``). The baseline's ``mvd_sim`` is
taken with ``git archive``; one process per code and task, one thread each, old and new
alternating twice. Per case:

- ``solved``: one detection at the equilibrium at systole with a 2 mm pad at the first
  CN VII contact (as ``bench_speed.py``'s solve), min over 30 repeats of 50 calls;
- ``plan``: every detection ``mvd_sim.plan`` makes, replayed in order from recorded
  states (positions, radii, the brainstem's tangent planes) on unpickled models (no list
  kept from the recording), the min over 3 replays of their mean.

CPU time is ``time.process_time``, which waiting for a core on a shared machine does not
inflate.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: the brainstem surface's per-slot state a recorded detection restores
_PLANES = ("point", "closest", "normal", "far")


def _solved(name: str):
    import mvd_sim
    from mvd_sim.mechanics.simulate import build_model, settle
    from mvd_sim.mechanics.sweep import settle_from
    from mvd_sim.scenario import SpongeSpec
    from mvd_sim.surgery.decompress import postop_starts
    from mvd_sim.surgery.pads import place_sponges
    scene = mvd_sim.load_case(name).scene
    contact = [c for c in mvd_sim.analyze(scene).contacts if c.nerve == "CN7"][0]
    pad = [SpongeSpec(diameter_mm=2.0, s_mm=contact.s_deepest_mm, vessel=contact.vessel)]
    before_model = build_model(scene)
    before = settle(scene, level=1.0, model=before_model)
    bodies, holds_off = place_sponges(scene, pad)
    model = build_model(scene, bodies)
    return model, settle_from(scene, model, 1.0,
                              postop_starts(before_model, model, holds_off, before)).solution


def _recorded_plan(name: str) -> bytes:
    """Every detection of the case's plan, pickled: (models, calls)."""
    import mvd_sim
    import numpy as np
    from mvd_sim.mechanics import solver
    models, calls, detect = {}, [], solver.detect

    def spy(model, configuration, surface, margin):
        models.setdefault(id(model), model)
        # the planes, and the bounds of the queries put off where the code puts them off
        # (issue #27 part 28; a baseline before it has none)
        planes = tuple(getattr(surface, name).copy() for name in _PLANES
                       if hasattr(surface, name))
        calls.append((id(model), configuration.positions.copy(),
                      np.concatenate(configuration.radii), planes, margin))
        return detect(model, configuration, surface, margin)

    solver.detect = spy
    try:
        mvd_sim.plan(mvd_sim.load_case(name))
    finally:
        solver.detect = detect
    index = {key: k for k, key in enumerate(models)}
    return pickle.dumps((list(models.values()), [(index[c[0]],) + c[1:] for c in calls]))


def worker(task: str, name: str) -> None:
    """Print the CPU ms a detection of ``task`` takes for case ``name``."""
    import numpy as np
    from mvd_sim.mechanics.contacts import detect
    from mvd_sim.mechanics.solver import DETECT_MARGIN_MM
    if task == "solved":
        model, solution = _solved(name)
        surface = model.new_surface()
        configuration = model.configuration(solution.u, solution.radii)
        surface.refresh(configuration.positions)
        best = np.inf
        for _ in range(30):
            start = time.process_time()
            for _ in range(50):
                detect(model, configuration, surface, DETECT_MARGIN_MM)
            best = min(best, (time.process_time() - start) / 50)
        print(best * 1e3, 1)
        return
    recorded = _recorded_plan(name)
    best = np.inf
    for _ in range(3):
        models, calls = pickle.loads(recorded)
        for model in models:   # a fresh start: no rod-on-rod list kept from the plan
            model.__dict__.pop("near_segments", None)
        states = []
        for k, positions, radius, planes, margin in calls:
            model = models[k]
            surface = model.new_surface()
            for name, values in zip(_PLANES, planes):
                getattr(surface, name)[:] = values
            u = np.zeros(model.n_dof)
            u[model.translation_dofs()] = positions - model.reference
            states.append((model, model.configuration(u, radius), surface, margin))
        start = time.process_time()
        for model, configuration, surface, margin in states:
            detect(model, configuration, surface, margin)
        best = min(best, (time.process_time() - start) / len(states))
    print(best * 1e3, len(calls))


def _run(path: str, task: str, name: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", task, name], env=env,
                         check=True, capture_output=True, text=True,
                         cwd=tempfile.gettempdir()).stdout.split()
    return float(out[0]), int(out[1])


def main(baseline: str, names: list[str]) -> None:
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as base:
        archive = subprocess.run(["git", "-C", str(root), "archive", baseline, "mvd_sim",
                                  "scenarios"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        print(f"detect, CPU ms a call (old = {baseline}, new = this code; two runs each, "
              "alternating)")
        print(f"{'case':<24} {'task':<7} {'calls':>6} {'old':>15} {'new':>15}  ratio")
        for name in names:
            for task in ("solved", "plan"):
                old, new = [], []
                for _ in range(2):
                    old.append(_run(base, task, name))
                    new.append(_run(str(root), task, name))
                ratio = min(t for t, _ in old) / min(t for t, _ in new)
                print(f"{name:<24} {task:<7} {new[0][1]:>6} "
                      f"{' / '.join(f'{t:.3f}' for t, _ in old):>15} "
                      f"{' / '.join(f'{t:.3f}' for t, _ in new):>15}  {ratio:4.1f}x",
                      flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "70758bf",
             sys.argv[2:] or ["multi_aica_pica_right", "va_pushes_aica_right"])
