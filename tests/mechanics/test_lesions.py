"""A rigid lesion in the mechanics: a mass of known size beside a straight nerve displaces it
by the closed-form amount; an arachnoid band holds a vessel on the nerve."""

import numpy as np
import pytest

from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.anatomy.lesions import Lesion, drape
from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.contacts import LESION0, RodOnLesion, RodOnRod
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.solver import solve
from mvd_sim.scene.bands import Band

FAR = np.array([70.0, 0.0, 0.0])  # far lateral of the brainstem


def _sphere(radius_mm: float, centre: np.ndarray) -> Lesion:
    body = Ellipsoid("vs", "schwannoma", centre, np.eye(3), np.full(3, radius_mm))
    return Lesion("vs", "schwannoma", "tumour", body)


def _nerve_along_y(clamped_rod, radius_mm, half_length=15.0, nodes=121, dent_mpa=0.01):
    points = FAR + np.linspace(-half_length, half_length, nodes)[:, None] * [0.0, 1.0, 0.0]
    return clamped_rod("CN7", points, radius_mm, dent_mpa=dent_mpa)


@pytest.mark.parametrize("sphere_mm, offset_mm", [(4.0, 3.5), (6.0, 5.0), (2.5, 2.2)])
def test_a_mass_beside_a_straight_nerve_displaces_it_by_the_closed_form(
        scene_of, clamped_rod, sphere_mm, offset_mm):
    """A sphere of radius R whose centre lies d from the axis of a straight nerve of radius r
    (d < R + r), the nerve clamped 15 mm either side: draping the nerve round the sphere
    displaces it exactly R + r - d, and so does the solve, to within the dent its (here
    stiff) compliant layer takes; with the default soft layer it is displaced less, by at
    most the layer's capacity."""
    r = 0.6
    nerve = _nerve_along_y(clamped_rod, r, dent_mpa=5.0)
    mass = _sphere(sphere_mm, FAR + [0.0, 0.0, -offset_mm])
    expected = sphere_mm + r - offset_mm
    draped = drape(nerve.tube, mass)
    assert np.max(np.linalg.norm(draped.points - nerve.tube.points, axis=1)) == \
        pytest.approx(expected, abs=1e-9)
    model = MechanicalModel([nerve], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS, (RodOnLesion(),), lesions=(mass,))
    solution = solve(model, np.full(nerve.n_nodes, r))
    assert solution.success, solution.message
    displaced = model.positions(solution.u) - nerve.tube.points
    assert np.max(displaced[:, 2]) == pytest.approx(expected, abs=0.01)
    # pushed straight up, away from the sphere's centre, with the ends held
    assert np.argmax(displaced[:, 2]) == pytest.approx(nerve.n_nodes // 2, abs=2)
    assert np.all(displaced[[0, -1]] == 0.0)
    soft = _nerve_along_y(clamped_rod, r)
    model = MechanicalModel([soft], [], model.brainstem, DEFAULT_MATERIALS, (RodOnLesion(),),
                            lesions=(mass,))
    solution = solve(model, np.full(soft.n_nodes, r))
    assert solution.success, solution.message
    peak = np.max((model.positions(solution.u) - soft.tube.points)[:, 2])
    assert expected - soft.capacity_mm[0] <= peak < expected


def test_a_node_inside_a_lesion_meets_it_along_the_outward_normal(scene_of, clamped_rod):
    """One node delta inside a sphere's top: the contact's gap is -delta - r, its normal +z,
    its body the lesion's index."""
    r, delta = 0.5, 0.2
    points = FAR + np.array([[0.0, -1.0, 3.0 - delta], [0.0, 0.0, 3.0 - delta],
                             [0.0, 1.0, 3.0 - delta]]) + [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    rod = clamped_rod("CN7", points, r)
    mass = _sphere(3.0, FAR)
    model = MechanicalModel([rod], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS, (RodOnLesion(),), lesions=(mass,))
    radii = np.full(3, r)
    found = RodOnLesion().detect(model, model.configuration(np.zeros(model.n_dof), radii),
                                 model.new_surface(), 0.1)
    middle = [c for c in found][0]
    k = int(np.flatnonzero(middle.node_b == 1)[0])
    assert middle.gap[k] == pytest.approx(-delta - r, abs=1e-9)
    np.testing.assert_allclose(middle.normal[k], [0.0, 0.0, 1.0], atol=1e-9)
    assert middle.body_a[k] == LESION0


def test_an_arachnoid_band_holds_a_pulled_vessel_on_the_nerve(scene_of, clamped_rod):
    """A vessel tied by a band to the nerve and pulled away by a load: with the band the pull
    moves it the load over the stiffnesses in series less; without it, farther."""
    nerve = _nerve_along_y(clamped_rod, 0.6, nodes=61)
    vessel_points = FAR + [0.0, 0.0, 1.2] + \
        np.linspace(-15.0, 15.0, 61)[:, None] * [1.0, 0.0, 0.0]
    vessel = clamped_rod("aica", vessel_points, 0.5)
    band = Band("band1", "aica", 15.0, 15.0, stiffness_n_per_mm=0.05)
    moved = {}
    for bands in ((), (band,)):
        model = MechanicalModel([nerve, vessel], [], scene_of("atlas_default_right").brainstem,
                                DEFAULT_MATERIALS, (RodOnRod(),), bands=bands)
        load = np.zeros(model.n_dof)
        node = model.translation_dofs(1)[30]
        load[node[2]] = 0.002   # 2 mN upward on the vessel's middle node
        solution = solve(model, np.full(model.n_slots, 0.55), load=load)
        assert solution.success, solution.message
        moved[len(bands)] = float(solution.u[node[2]])
    assert moved[1] < 0.8 * moved[0]


def test_an_aneurysm_dome_moves_with_its_parent_vessel(scene_of):
    """aneurysm_pica_rexp_right: displacing the PICA by d displaces its dome by d, a wider
    wall at its neck pushes it out by the radius' growth, and moving the PICA and the
    nerves together leaves the dome's contacts with CN VII as they were; the PICA never
    meets its own dome, and the contacts join the PICA's neck node to the nerve's."""
    from mvd_sim.mechanics.simulate import build_model
    scene = scene_of("aneurysm_pica_rexp_right")
    model = build_model(scene)
    (rod, node), = model.lesion_anchors
    assert model.rods[rod].name == "pica"
    radii = np.concatenate([r.tube.radius for r in model.rods])
    centre = scene.lesions["pica_aneurysm"].body.centre
    d = np.array([0.3, -0.2, 0.15])
    u = np.zeros(model.n_dof)
    u[model.translation_dofs(rod)] += d
    moved, = model.carried_lesions(model.configuration(u, radii))
    np.testing.assert_allclose(moved.body.centre - centre, d, atol=1e-12)
    wider = radii.copy()
    first = model.slot0[rod]
    wider[first:first + model.rods[rod].n_nodes] *= 1.1
    grown, = model.carried_lesions(model.configuration(np.zeros(model.n_dof), wider))
    outward = centre - model.rods[rod].tube.points[node]
    np.testing.assert_allclose(grown.body.centre - centre, 0.1 * model.rods[rod].tube.radius[
        node] * outward / np.linalg.norm(outward), atol=1e-12)

    def dome_contacts(u):
        found = RodOnLesion().detect(model, model.configuration(u, radii),
                                     model.new_surface(), 0.1)
        return [c for c in found if len(c)]

    rest = dome_contacts(np.zeros(model.n_dof))
    assert rest and all(rod not in c.body_b for c in rest)
    nerve = [c for c in rest if model.rods[c.body_b[0]].name == "CN7"][0]
    assert np.all(nerve.slots[:, 0] == first + node)
    np.testing.assert_allclose(nerve.weights, np.tile([-1.0, 0.0, 1.0], (len(nerve), 1)))
    together = np.zeros(model.n_dof)
    together[model.translation_dofs()[:model.sponge_slot0]] += d
    moved = [c for c in dome_contacts(together) if model.rods[c.body_b[0]].name == "CN7"][0]
    np.testing.assert_allclose(moved.gap, nerve.gap, atol=1e-12)


def test_an_aneurysm_dome_presses_the_nerve_harder_at_systole(scene_of):
    """Solved at diastole and at systole, the dome sits where its vessel's neck node carries
    it, and its force on CN VII pulses with the vessel (a fixed dome's would not)."""
    from mvd_sim.mechanics.contacts import detect
    from mvd_sim.mechanics.simulate import build_model, settle
    scene = scene_of("aneurysm_pica_rexp_right")
    model = build_model(scene)
    (rod, node), = model.lesion_anchors
    cn7 = [r.name for r in model.rods].index("CN7")
    forces = []
    for level in (0.0, 1.0):
        settled = settle(scene, level=level, model=model)
        where = model.configuration(settled.solution.u, settled.solution.radii)
        shift = where.rods[rod][node] - model.rods[rod].tube.points[node]
        dome = settled.scene.lesions["pica_aneurysm"].body.centre
        grown = where.radii[rod][node] - model.rods[rod].tube.radius[node]
        assert np.linalg.norm(dome - scene.lesions["pica_aneurysm"].body.centre - shift) \
            == pytest.approx(grown, abs=1e-12)
        contacts = detect(model, where, model.new_surface(), 0.0)
        on = (contacts.body_a == LESION0) & (contacts.body_b == cn7)
        forces.append(contacts.force_n()[on].sum())
    assert 0.0 < forces[0] < 0.95 * forces[1]
