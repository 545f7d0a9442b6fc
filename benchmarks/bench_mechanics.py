"""Rod mechanics, decompression and planner speed (issue #4).

Run: ``python benchmarks/bench_mechanics.py`` (one thread; prints min and median of repeats).

1. A clamped beam (20 mm CN VII root, E 1.3 MPa, r 1.1 mm): mvd-sim's sparse cubic frame
   elements against the closed forms (cantilever ``F L^3 / 3 E I``, clamped-clamped
   ``F L^3 / 192 E I``) and, if installed (``pip install pyelastica``), the same cantilever
   in PyElastica (Cosserat rod, damped explicit dynamics to rest): times and errors.
2. Per bundled scenario with a CN VII contact: one equilibrium solve with a pad at the
   contact (at systole), the whole decompression (both pulse sweeps), and the planner.
3. Solver scaling as the vessels' node spacing halves.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

import mvd_sim  # noqa: E402
from mvd_sim.surgery.decompress import decompress_states, postop_starts  # noqa: E402
from mvd_sim.mechanics import assemble  # noqa: E402
from mvd_sim.mechanics.frame import frame_stiffness  # noqa: E402
from mvd_sim.mechanics.simulate import build_model, settle  # noqa: E402
from mvd_sim.surgery.planner import plan  # noqa: E402
from mvd_sim.mechanics.sweep import settle_from  # noqa: E402
from mvd_sim.scenario import SpongeSpec  # noqa: E402
from mvd_sim.surgery.pads import place_sponges  # noqa: E402

E_MPA, RADIUS_MM, LENGTH_MM, FORCE_N, ELEMENTS = 1.3, 1.1, 20.0, 1e-4, 50
ELASTICA_SECONDS = 3.0  # of damped dynamics, enough to come to rest
I_MM4 = np.pi * RADIUS_MM ** 4 / 4
EI = E_MPA * I_MM4


def _stats(times) -> str:
    return f"{min(times) * 1e3:8.2f} / {float(np.median(times)) * 1e3:8.2f}"


def ours(clamp_both: bool) -> float:
    """Deflection under the load (mm): assemble, constrain, solve."""
    n = ELEMENTS + 1
    points = np.zeros((n, 3))
    points[:, 0] = np.linspace(0.0, LENGTH_MM, n)
    k = frame_stiffness(points, E_MPA * np.pi * RADIUS_MM ** 2, E_MPA / 3 * 2 * I_MM4,
                        EI).tocsc()
    node = n // 2 if clamp_both else n - 1
    force = np.zeros(6 * n)
    force[6 * node + 1] = FORCE_N
    free = np.ones(6 * n, bool)
    free[:6] = False
    if clamp_both:
        free[-6:] = False
    u = np.zeros(6 * n)
    u[free] = spla.spsolve(k[free][:, free], force[free])
    return float(u[6 * node + 1])


def elastica_cantilever() -> float | None:
    """Tip deflection (mm) of the same cantilever in PyElastica, or None if not installed."""
    try:
        import elastica as ea
    except ImportError:
        return None

    class Beam(ea.BaseSystemCollection, ea.Constraints, ea.Forcing, ea.Damping):
        pass

    sim = Beam()
    # N, mm, s units: soft tissue is 1e-9 t/mm^3; the mass is scaled up 1000x (a standard
    # trick for a quasi-static answer from explicit dynamics: longer stable time steps)
    density = 1e-6
    rod = ea.CosseratRod.straight_rod(
        ELEMENTS, np.zeros(3), np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]),
        LENGTH_MM, RADIUS_MM, density, youngs_modulus=E_MPA, shear_modulus=E_MPA / 3)
    sim.append(rod)
    sim.constrain(rod).using(ea.OneEndFixedBC, constrained_position_idx=(0,),
                             constrained_director_idx=(0,))
    sim.add_forcing_to(rod).using(ea.EndpointForces, np.zeros(3),
                                  np.array([0.0, FORCE_N, 0.0]), ramp_up_time=0.05)
    dt = 1e-4
    sim.dampen(rod).using(ea.AnalyticalLinearDamper, damping_constant=10.0, time_step=dt)
    sim.finalize()
    final = ELASTICA_SECONDS
    ea.integrate(ea.PositionVerlet(), sim, final, int(final / dt), progress_bar=False)
    return float(rod.position_collection[1, -1])


def beam_section() -> None:
    print("clamped beam, 50 cubic elements: ms (min / median of 30), relative error")
    cant, both = FORCE_N * LENGTH_MM ** 3 / (3 * EI), FORCE_N * LENGTH_MM ** 3 / (192 * EI)
    t_cant = timeit.repeat(lambda: ours(False), number=1, repeat=30)
    t_both = timeit.repeat(lambda: ours(True), number=1, repeat=30)
    err_cant, err_both = abs(ours(False) / cant - 1), abs(ours(True) / both - 1)
    print(f"  mvd-sim cantilever        {_stats(t_cant)}   error {err_cant:.1e}")
    print(f"  mvd-sim clamped-clamped   {_stats(t_both)}   error {err_both:.1e}")
    if elastica_cantilever() is None:  # also compiles PyElastica's kernels
        print("  PyElastica not installed (pip install pyelastica) - no comparison")
        return
    start = time.perf_counter()
    tip = elastica_cantilever()
    took = time.perf_counter() - start
    print(f"  PyElastica cantilever     {took * 1e3:8.1f} (one warm run, {ELASTICA_SECONDS:g} s "
          "of damped dynamics to rest)"
          f"   error {abs(tip / cant - 1):.1e}")
    print(f"  ratio of times: PyElastica / mvd-sim = {took / min(t_cant):.0f}x; of errors: "
          f"{abs(tip / cant - 1):.1e} vs {err_cant:.1e}")


def scenario_section() -> None:
    print("\nper bundled scenario with a CN VII contact, s (min of 3 for one solve and for "
          "decompress; the plan once)")
    print(f"  {'scenario':<26} {'one solve':>10} {'decompress':>11} {'plan':>7}  plan")
    for name in mvd_sim.bundled_scenarios():
        case = mvd_sim.load_case(name)
        scene = case.scene
        contacts = [c for c in mvd_sim.analyze(scene).contacts if c.nerve == "CN7"]
        if not contacts:
            continue
        c = contacts[0]
        pad = [SpongeSpec(diameter_mm=2.0, s_mm=c.s_deepest_mm, vessel=c.vessel)]
        before_model = build_model(scene)
        before = settle(scene, level=1.0, model=before_model)
        bodies, holds_off = place_sponges(scene, pad)

        def one_solve():
            model = build_model(scene, bodies)
            settle_from(scene, model, 1.0, postop_starts(before_model, model, holds_off, before))

        solve_times = timeit.repeat(one_solve, number=1, repeat=3)
        t_dec = min(timeit.repeat(lambda: decompress_states(case, mvd_sim.Operation(pads=pad)),
                                  number=1, repeat=3))
        start = time.perf_counter()
        result = plan(case)
        t_plan = time.perf_counter() - start
        moves = " ".join(m.kind if m.kind != "pad" else f"pad:{m.sponge.seat}"
                         for m in result.moves)
        summary = (f"{moves}, {result.candidates_tried} solved, "
                   + ("frees the nerve" if result.feasible else "no plan"))
        print(f"  {name:<26} {min(solve_times):10.2f} {t_dec:11.2f} {t_plan:7.2f}  {summary}")


def scaling_section() -> None:
    print("\nsolver scaling: settle multi_aica_pica_right as the vessel node spacing halves")
    spec = mvd_sim.load_scenario(mvd_sim.bundled_scenarios()["multi_aica_pica_right"])
    scene = mvd_sim.build_scene(spec, "multi_aica_pica_right")
    default = assemble.VESSEL_NODE_SPACING_MM
    try:
        for spacing in (1.0, 0.5, 0.25, 0.125):
            assemble.VESSEL_NODE_SPACING_MM = spacing
            model = build_model(scene)
            # the solves share one brainstem state, as a pulse sweep's do
            surface = model.new_surface()
            settle(scene, model=model, surface=surface)  # warm
            times = timeit.repeat(lambda: settle(scene, model=model, surface=surface),
                                  number=1, repeat=3)
            print(f"  spacing {spacing:5.3f} mm  dofs {model.n_dof:6d}  {_stats(times)} ms")
    finally:
        assemble.VESSEL_NODE_SPACING_MM = default


def main() -> None:
    beam_section()
    scenario_section()
    scaling_section()


if __name__ == "__main__":
    main()
