"""The equilibrium solver: closed-form beams, contacts, non-penetration, its result and
failure, and the brainstem state it is given."""

import numpy as np
import pytest
from scipy.sparse.linalg import spsolve

from mvd_sim.core.errors import SolverError
from mvd_sim.mechanics import simulate, solver
from mvd_sim.mechanics.contacts import DEFAULT_LAWS, RodOnBrainstem
from mvd_sim.mechanics.frame import DOF_PER_NODE
from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.sections import vessel_section
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.solver import solve

RADIUS, LENGTH, NODES = 0.5, 20.0, 41
CASE = "aica_as_moderate_right"


def _line(start, direction):
    direction = np.asarray(direction, float) / np.linalg.norm(direction)
    return np.asarray(start, float) + np.linspace(-LENGTH / 2, LENGTH / 2, NODES)[:, None] \
        * direction


def _ei():
    return float(vessel_section("AICA", np.array(RADIUS)).ei_nmm2)


def _translation(model, rod_index, node):
    base = DOF_PER_NODE * (model.slot0[rod_index] + node)
    return np.arange(base, base + 3)


def _pressed_onto_the_brainstem(brainstem, clamped_rod, laws=DEFAULT_LAWS, off_mm=0.3):
    """A rod ``off_mm`` off the brainstem pushed into it (78 mN in all): the model and
    load."""
    near = brainstem.query(np.array([[0.0, 3.0, -2.0]]))
    normal = near.normal[0]
    along = np.cross(normal, [0.0, 0.0, 1.0])
    centre = near.closest[0] + (RADIUS + off_mm) * normal
    model = MechanicalModel([clamped_rod("rod", _line(centre, along), brainstem_contact=True)],
                            [], brainstem, DEFAULT_MATERIALS, laws)
    load = np.zeros(model.n_dof)
    for node in range(1, NODES - 1):
        load[_translation(model, 0, node)] = -2e-3 * normal
    return model, load


def _crossing(scene_of, clamped_rod):
    """Two rods crossing 0.4 mm into each other, far from the brainstem."""
    centre = np.array([70.0, 0.0, 0.0])
    a = clamped_rod("a", _line(centre, [0, 1, 0]))
    b = clamped_rod("b", _line(centre + [0, 0, 0.6], [1, 0, 0]))
    return MechanicalModel([a, b], [], scene_of("atlas_default_right").brainstem,
                           DEFAULT_MATERIALS)


def test_clamped_clamped_rod_under_a_central_load(scene_of, clamped_rod):
    far = [70.0, 0.0, 0.0]  # far lateral of the brainstem: no contact
    model = MechanicalModel([clamped_rod("beam", _line(far, [0, 1, 0]))], [],
                            scene_of("atlas_default_right").brainstem, DEFAULT_MATERIALS)
    load = np.zeros(model.n_dof)
    force = 2e-3
    load[_translation(model, 0, NODES // 2)] = [0.0, 0.0, force]
    eq = solve(model, np.full(NODES, RADIUS), load=load)
    deflection = eq.u[_translation(model, 0, NODES // 2)][2]
    assert deflection == pytest.approx(force * LENGTH ** 3 / (192 * _ei()), rel=0.02)
    assert eq.residual < 1e-9 and len(eq.contacts) == 0


def test_crossing_rods_share_the_overlap_symmetrically(scene_of, clamped_rod):
    """Two identical clamped rods crossing at 90 deg, their rest shapes overlapping 0.4 mm:
    they push each other apart equally, and each deflects F L^3 / 192 EI under the contact
    force F it carries."""
    centre = np.array([70.0, 0.0, 0.0])
    overlap = 0.4
    a = clamped_rod("a", _line(centre, [0, 1, 0]))
    b = clamped_rod("b", _line(centre + [0, 0, 2 * RADIUS - overlap],
                               [0, 0.0, 1e-9] + np.r_[1, 0, 0]))
    model = MechanicalModel([a, b], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS)
    eq = solve(model, np.full(2 * NODES, RADIUS))
    down = -eq.u[_translation(model, 0, NODES // 2)][2]
    up = eq.u[_translation(model, 1, NODES // 2)][2]
    assert down == pytest.approx(up, rel=1e-3)
    forces = eq.forces_n()
    assert forces.sum() > 0
    # every contact pushes both rods (node-to-segment both ways, half weight each): the
    # total, spread over a few nodes near the middle, acts on each rod like a central load
    assert down == pytest.approx(forces.sum() * LENGTH ** 3 / (192 * _ei()), rel=0.05)
    remaining = overlap - down - up
    assert 0 < remaining < overlap  # the compliant layers carry the rest, as a dent


def test_rod_pressed_onto_the_brainstem_does_not_penetrate(scene_of, clamped_rod):
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod)
    eq = solve(model, np.full(NODES, RADIUS), load=load)
    gap = brainstem.signed_distance(eq.positions) - RADIUS
    assert gap.min() > -0.01
    assert gap.min() < 0.0  # it did reach the surface
    assert eq.residual < 1e-6


def test_a_step_through_a_contact_is_cut_just_past_touching(scene_of, clamped_rod):
    """The line search's model (:func:`solver._model_root`): the Newton step of a rod
    0.2 mm off the brainstem, taken without its contacts, drives it millimetres through;
    the slope along it vanishes just past where the first node touches (the brainstem is
    rigid: the overlap that balances 2 mN a node is under a micrometre)."""
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod, off_mm=0.2)
    radii, free = np.full(NODES, RADIUS), model.free
    surface = model.new_surface()
    configuration = model.configuration(np.zeros(model.n_dof), radii)
    surface.refresh(configuration.positions)
    contacts = solver.detect(model, configuration, surface, solver.DETECT_MARGIN_MM)
    assert len(contacts) > 0 and contacts.gap.min() > 0.19
    step = np.zeros(model.n_dof)
    step[free] = spsolve(model.stiffness[free][:, free].tocsc(), load[free])
    closing = np.einsum("ij,ij->i", contacts.normal,
                        step[model.translation_dofs()[contacts.slots[:, 2]]])
    touch = float(np.min(contacts.gap[closing < 0] / -closing[closing < 0]))
    assert touch < 0.5  # the free step goes well past the surface
    root = solver._model_root(model, contacts, step, -float(load @ step),
                              float(step @ (model.stiffness @ step)))
    assert touch < root < touch * 1.01


def test_without_the_brainstem_law_a_rod_passes_through_it(scene_of, clamped_rod):
    """The laws are the model's: leave the rod-brainstem law out and the same push drives
    the rod millimetres into the brainstem (the solver itself is unchanged)."""
    brainstem = scene_of("atlas_default_right").brainstem
    laws = tuple(law for law in DEFAULT_LAWS if not isinstance(law, RodOnBrainstem))
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod, laws)
    eq = solve(model, np.full(NODES, RADIUS), load=load)
    assert eq.success and len(eq.contacts) == 0
    gap = brainstem.signed_distance(eq.positions) - RADIUS
    assert gap.min() < -1.0


def test_a_converged_solve_says_so(scene_of, clamped_rod):
    eq = solve(_crossing(scene_of, clamped_rod), np.full(2 * NODES, RADIUS))
    assert eq.success and eq.iterations > 1
    assert eq.message.startswith(f"equilibrium converged in {eq.iterations} iterations")


def test_a_solve_cut_short_says_so_and_is_no_answer(scene_of, clamped_rod):
    eq = solve(_crossing(scene_of, clamped_rod), np.full(2 * NODES, RADIUS), max_iter=1)
    assert not eq.success and eq.iterations == 1
    assert eq.message.startswith("equilibrium did not converge in 1 iterations (last update ")
    assert float(eq.message.split("last update ")[1].split()[0]) > 1e-4  # tol_mm: not small
    assert eq.residual > 1e-6  # the forces do not balance at the state it stopped at


def test_settle_refuses_an_unconverged_solve_with_its_message(scene_of, monkeypatch):
    results = []

    def capped(*args, **kwargs):
        results.append(solver.solve(*args, **kwargs, max_iter=1))
        return results[-1]

    monkeypatch.setattr(simulate, "solve", capped)
    with pytest.raises(SolverError, match="did not converge in 1 iterations") as error:
        simulate.settle(scene_of(CASE))
    assert str(error.value) == results[0].message and not results[0].success


def test_a_solve_depends_only_on_what_it_is_given(scene_of, clamped_rod):
    """The model keeps no state of its solves: from the same start a solve gives the same
    answer whatever was solved with the model before, unless it is given the brainstem state
    of an earlier solve (whose tangent planes were taken elsewhere, within 0.05 mm)."""
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod)
    radii = np.full(NODES, RADIUS)
    shared = model.new_surface()
    start = solve(model, radii, load=0.5 * load, surface=shared).u
    fresh = solve(model, radii, start, load=load)
    solve(model, radii, load=0.25 * load)
    assert np.array_equal(solve(model, radii, start, load=load).u, fresh.u)
    carried = solve(model, radii, start, load=load, surface=shared)
    assert carried.success and not np.array_equal(carried.u, fresh.u)
    assert np.abs(carried.u - fresh.u).max() < 1e-3
    # the state holds a tangent plane for every node that may touch the brainstem, only
    assert np.array_equal(np.isfinite(shared.point[:, 0]), model.rods[0].brainstem_contact)


def test_solve_refuses_what_it_cannot_use(scene_of, clamped_rod):
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod)
    radii = np.full(NODES, RADIUS)
    other = _crossing(scene_of, clamped_rod)
    with pytest.raises(ValueError, match="surface: made for another model"):
        solve(model, radii, load=load, surface=other.new_surface())
    with pytest.raises(ValueError, match="max_iter must be at least 1, not 0"):
        solve(model, radii, load=load, max_iter=0)


def test_a_second_cut_is_not_short_of_the_first_contact(scene_of, clamped_rod, monkeypatch):
    """The line search's floor (:func:`solver._line_search`): a rod 0.2 mm off the brainstem
    under a fifth of the load, its free step taken whole, meets the brainstem at some 3% of
    the step (the model's root, under a tenth); the whole step and a tenth of it both
    overshoot, and the secant through the tenth would cut to 1/64, short of touching: the
    third trial is the root, and it is taken."""
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod, off_mm=0.2)
    load = 0.2 * load
    radii, free, u = np.full(NODES, RADIUS), model.free, np.zeros(model.n_dof)
    surface = model.new_surface()
    configuration = model.configuration(u, radii)
    surface.refresh(configuration.positions)
    contacts = solver.detect(model, configuration, surface, solver.DETECT_MARGIN_MM)
    step = np.zeros(model.n_dof)
    step[free] = spsolve(model.stiffness[free][:, free].tocsc(), load[free])
    slope = -float(load @ step)
    root = solver._model_root(model, contacts, step, slope,
                              float(step @ (model.stiffness @ step)))
    assert solver.MIN_STEP < root < 0.1
    trials, detect = [], solver.detect

    def counted(model, configuration, surface, margin):
        trials.append(configuration)
        return detect(model, configuration, surface, margin)

    monkeypatch.setattr(solver, "detect", counted)
    # at u = 0 the elastic residual K u - f is -load
    trial, _, alpha = solver._line_search(model, radii, surface, u, step, contacts, -load,
                                          slope, False)
    assert len(trials) == 3 and alpha == root
    assert brainstem.signed_distance(model.positions(trial)).min() - RADIUS > -1e-3


def test_new_planes_under_open_contacts_alone_leave_a_converged_solve_converged(
        scene_of, clamped_rod):
    """At convergence the brainstem's planes are checked: new planes for slots that carry
    nothing (their nodes clear of the brainstem, before and after) change no force, and the
    solve ends there; a new plane under a node pressed on it changes the forces, and the
    solve iterates on from there."""
    brainstem = scene_of("atlas_default_right").brainstem
    model, load = _pressed_onto_the_brainstem(brainstem, clamped_rod)
    radii = np.full(NODES, RADIUS)

    def stale_at_check(slots, check):
        """A solve whose planes of ``slots`` seem taken 1 mm away at its ``check``-th call
        of ``refresh`` (the first at its first iteration), and how many calls it made."""
        surface = model.new_surface()
        refresh, calls = surface.refresh, []

        def marking(positions):
            calls.append(len(calls))
            if len(calls) == check:
                surface.point[slots] += 1.0
            return refresh(positions)

        surface.refresh = marking
        return solve(model, radii, load=load, surface=surface), len(calls)

    plain, checks = stale_at_check(np.zeros(0, int), 0)
    on = plain.contacts.body_a == -1
    pressed = plain.contacts.slots[on & (plain.contacts.gap < 0.0), 2]
    clear = np.setdiff1d(np.flatnonzero(model.rods[0].brainstem_contact), pressed)
    assert len(pressed) > 3 and len(clear) > 3 and checks > 1
    open_only, _ = stale_at_check(clear, checks)   # at the check it converged at
    assert open_only.success and open_only.iterations == plain.iterations
    assert np.array_equal(open_only.u, plain.u)
    carrying, _ = stale_at_check(pressed, checks)
    assert carrying.success and carrying.iterations > plain.iterations
