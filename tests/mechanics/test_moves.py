"""The surgical moves' mechanics against closed forms: a pad seated between a vessel and a flat
brainstem, a pad on the petrous face, a rod the pad is seated against, a sling pulling a
clamped-clamped rod."""

import dataclasses

import numpy as np
import pytest

from mvd_sim.anatomy.brainstem import SurfaceQuery
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.contacts import (BRAINSTEM, PETROUS, ContactSet, SpongeOnBrainstem,
                                        SpongeOnPetrous, SpongeOnRod)
from mvd_sim.mechanics.frame import DOF_PER_NODE
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.sections import vessel_section
from mvd_sim.mechanics.solver import DETECT_MARGIN_MM, solve
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.slings import Sling
from mvd_sim.surgery.pads import vessel_lift

UP = np.array([0.0, 0.0, 1.0])


class FlatBrainstem:
    """A brainstem-like surface, locally flat: the plane ``z = 0``, outward ``+z``."""

    def query(self, points, max_distance_mm=np.inf, exact_inside=False):
        points = np.atleast_2d(np.asarray(points, dtype=float))
        closest = points * [1.0, 1.0, 0.0]
        return SurfaceQuery(points[:, 2].copy(), closest, np.tile(UP, (len(points), 1)))


def _along_y(height, length, nodes):
    return np.stack([np.zeros(nodes), np.linspace(-length / 2, length / 2, nodes),
                     np.full(nodes, height)], axis=1)


def _ei(radius):
    return float(vessel_section("AICA", np.array(radius)).ei_nmm2)


def _contacts(model, law, u=None):
    radii = np.concatenate([rod.tube.radius for rod in model.rods])
    u = np.zeros(model.n_dof) if u is None else u
    return ContactSet.concat(law.detect(model, model.configuration(u, radii),
                                        model.new_surface(), DETECT_MARGIN_MM))


def _mid(model, u, rod=0):
    node = model.rods[rod].n_nodes // 2
    base = DOF_PER_NODE * (model.slot0[rod] + node)
    return u[base:base + 3]


def test_a_pad_seated_on_a_flat_brainstem_lifts_a_straight_vessel_onto_it(clamped_rod):
    """A straight vessel of radius r lying on a flat brainstem (clamped 40 mm apart, no
    tethers), a felt ball of diameter d seated between them at mid-span: the vessel is lifted
    to rest on the pad. Hand calculation, three springs in series: the beam's mid-span
    stiffness k_b = 192 EI / L^3 (a point load: the pad's footprint, 2R + r, is 4% of the
    span), the felt and vessel wall over that footprint k_v = (2R + r) (E_f E_w / (E_f +
    E_w)), and the felt on the brainstem k_s = d E_f (the ball's one sample stands for its
    diameter). The vessel would rise d to clear the pad; it rises
    delta = d k / k_b with 1 / k = 1 / k_b + 1 / k_v + 1 / k_s, under the force F = k d, which
    the felt passes on to the brainstem whole (its hold is all but switched off)."""
    radius, pad, length = 0.5, 0.75, 40.0
    materials = dataclasses.replace(DEFAULT_MATERIALS, sponge_hold_n_per_mm=1e-7)
    vessel = clamped_rod("aica", _along_y(radius, length, 401), radius,
                         dent_mpa=materials.vessel_wall_dent_mpa)
    sponge = Sponge("pad1", "ball", np.array([0.0, 0.0, pad]), np.zeros(3), pad, UP, "aica",
                    "brainstem", "brainstem")
    model = MechanicalModel([vessel], [sponge], FlatBrainstem(), materials,
                            (SpongeOnRod(), SpongeOnBrainstem()))
    u0 = np.zeros(model.n_dof)
    u0[model.translation_dofs(0)] = vessel_lift(vessel.tube, sponge)  # as surgery starts it
    result = solve(model, np.full(vessel.n_nodes, radius), u0)
    assert result.success, result.message

    felt, wall = materials.sponge_youngs_mpa, materials.vessel_wall_dent_mpa
    k_b = 192 * _ei(radius) / length ** 3
    k_v = (2 * pad + radius) * felt * wall / (felt + wall)
    k_s = 2 * pad * felt
    k = 1 / (1 / k_b + 1 / k_v + 1 / k_s)
    force = k * 2 * pad
    lift = _mid(model, result.u)[2]
    assert lift == pytest.approx(force / k_b, rel=0.03)

    contacts, forces = result.contacts, result.forces_n()
    on_vessel = forces[contacts.body_b == 0].sum()
    on_brainstem = forces[contacts.body_a == BRAINSTEM].sum()
    assert on_vessel == pytest.approx(force, rel=0.03)
    # the felt passes it on whole (its hold, 1e-7 N/mm, carries a millionth of it)
    assert on_brainstem == pytest.approx(on_vessel, rel=1e-5)
    assert on_vessel == pytest.approx(k_b * lift, rel=0.03)  # the beam's reaction
    # the vessel rests on the outer face: at mid-span, its height is the brainstem's, plus d
    # less the felt's compressions there (on the brainstem, under the vessel), plus r
    squeezed_on_brainstem = -contacts.gap[contacts.body_a == BRAINSTEM].max()
    mid = vessel.n_nodes // 2
    (squeezed_under_vessel,) = -contacts.gap[(contacts.body_b == 0) & (contacts.node_b == mid)]
    assert squeezed_on_brainstem == pytest.approx(on_brainstem / k_s, rel=1e-6)
    assert radius + lift == pytest.approx(
        2 * pad - squeezed_on_brainstem - squeezed_under_vessel + radius, abs=1e-6)


def test_the_rod_a_pad_is_seated_against_presses_its_inner_face(clamped_rod):
    """A pad seated on a trunk: the trunk (``against``) presses the inner face even where it
    lies nearer the outer one, so it cannot pass through the pad; another rod there presses
    the face it is nearer to."""
    pad, radius = 1.0, 0.5
    centre = np.array([70.0, 0.0, 0.0])
    trunk = clamped_rod("ba", centre + _along_y(0.2, 10.0, 41), radius)  # above mid-plane
    other = clamped_rod("other", centre + _along_y(0.2, 10.0, 41) + [0.3, 0, 0], radius)
    sponge = Sponge("pad1", "ball", centre, np.zeros(3), pad, UP, "aica", "ba", "trunk")
    model = MechanicalModel([trunk, other], [sponge], FlatBrainstem(), DEFAULT_MATERIALS,
                            (SpongeOnRod(),))
    contacts = _contacts(model, SpongeOnRod())
    for rod, side in ((0, -1.0), (1, 1.0)):
        mine = contacts.body_b == rod
        assert mine.any()
        np.testing.assert_allclose(contacts.normal[mine], [side * UP] * mine.sum())
        np.testing.assert_allclose(contacts.gap[mine], side * 0.2 - pad - radius, atol=1e-12)


@pytest.mark.parametrize("shape, samples", [("ball", 1), ("cylinder", 3)])
def test_a_pad_pressed_into_the_petrous_face_compresses_its_felt(clamped_rod, shape, samples):
    """A pad pressed delta into the petrous face: each sample (centre, and a cylinder's axis
    ends) has the gap -delta along the face's normal, and they carry E_felt x length x delta
    in all; a rod through the face meets nothing (the face is no obstacle to vessels)."""
    nerve = clamped_rod("CN7", np.array([[0.0, 0.0, 0.0], [0.0, 10.0, 0.0]]) + [60, 0, 0])
    face = PetrousFace.through_porus(nerve.tube)  # the plane y = 10, normal -y
    pad, delta, half = 1.0, 0.1, np.array([1.5, 0.0, 0.0]) if shape == "cylinder" else 0
    centre = nerve.tube.points[-1] + (pad - delta) * face.normal + [0.0, 0.0, 3.0]
    sponge = Sponge("pad1", shape, centre, np.zeros(3) + half, pad, face.normal, "aica",
                    "petrous", "petrous")
    crossing = clamped_rod("aica", np.array([[60.0, 8.0, -3.0], [60.0, 12.0, -3.0]]))
    model = MechanicalModel([nerve, crossing], [sponge], FlatBrainstem(), DEFAULT_MATERIALS,
                            (SpongeOnPetrous(),), petrous=face)
    contacts = _contacts(model, SpongeOnPetrous())
    assert len(contacts) == samples and np.all(contacts.body_a == PETROUS)
    assert np.all(contacts.body_b == 2)  # the pad, after the two rods
    np.testing.assert_allclose(contacts.gap, -delta, atol=1e-12)
    np.testing.assert_allclose(contacts.normal, [face.normal] * samples, atol=1e-12)
    assert contacts.force_n().sum() == pytest.approx(
        DEFAULT_MATERIALS.sponge_youngs_mpa * sponge.length_mm * delta, rel=1e-12)
    assert len(_contacts(dataclasses.replace(model, sponges=[]), SpongeOnPetrous())) == 0


@pytest.mark.parametrize("ratio", [0.25, 1.0, 4.0])
def test_a_sling_pulls_a_clamped_rod_as_two_springs_in_series(clamped_rod, ratio):
    """A straight rod clamped at both ends, untethered, slung at mid-span with a band of
    stiffness k holding it delta away: the mid-span moves delta k / (k + 192 EI / L^3), and
    the band pulls with k (delta - that)."""
    radius, length, delta = 0.5, 20.0, 2.0
    rod = clamped_rod("va", _along_y(0.0, length, 41) + [70, 0, 0], radius)
    k_beam = 192 * _ei(radius) / length ** 3
    k = ratio * k_beam
    sling = Sling("sling1", "va", length / 2, 0.01, np.array([delta, 0.0, 0.0]), "petrous",
                  np.zeros(3), stiffness_n_per_mm=k)
    model = MechanicalModel([rod], [], FlatBrainstem(), DEFAULT_MATERIALS, (),
                            slings=(sling,))
    result = solve(model, np.full(rod.n_nodes, radius))
    assert result.success and result.residual < 1e-12
    moved = _mid(model, result.u)
    expected = delta * k / (k + k_beam)
    assert moved[0] == pytest.approx(expected, rel=1e-9)
    assert np.abs(moved[1:]).max() < 1e-12
    pull = model.sling_force(result.u)
    assert np.linalg.norm(pull) == pytest.approx(k * (delta - expected), rel=1e-9)


def test_a_sling_holds_its_nodes_under_the_band_whatever_the_pulse_offset(clamped_rod):
    """The band's target is fixed to the dura: a stress-free offset (the pulse's shift) moves
    the rod's tethered shape, not where the band holds it. A rigid band (k far above the
    beam's) keeps its node at the target with or without an offset."""
    radius, length = 0.5, 20.0
    rod = clamped_rod("va", _along_y(0.0, length, 41) + [70, 0, 0], radius)
    target = np.array([1.0, 0.0, 0.0])
    sling = Sling("sling1", "va", length / 2, 0.01, target, "petrous", np.zeros(3),
                  stiffness_n_per_mm=1e3)
    model = MechanicalModel([rod], [], FlatBrainstem(), DEFAULT_MATERIALS, (),
                            slings=(sling,))
    offset = np.zeros(model.n_dof)
    offset[model.translation_dofs(0)[1:-1]] = [0.0, 0.0, 0.05]
    for shift in (None, offset):
        result = solve(model, np.full(rod.n_nodes, radius), offset=shift)
        assert result.success and result.residual < 1e-9
        np.testing.assert_allclose(_mid(model, result.u), target, atol=1e-5)
