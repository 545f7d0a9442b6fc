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
