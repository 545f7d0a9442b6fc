"""Contact laws on their own, against closed forms; a model detects with its laws only."""

import numpy as np
import pytest

from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.contacts import (ContactSet, RodOnBrainstem, RodOnRod, SpongeOnRod,
                                        detect)
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.solver import DETECT_MARGIN_MM
from mvd_sim.scene.pads import Sponge

FAR = np.array([70.0, 0.0, 0.0])  # far lateral of the brainstem


def _series(k1, k2):
    return k1 * k2 / (k1 + k2)


def _along_y(offset, half_length, nodes):
    return FAR + offset + np.linspace(-half_length, half_length, nodes)[:, None] * [0, 1, 0]


def _contacts(model, law):
    """``law``'s contacts in the model's rest configuration."""
    radii = np.concatenate([rod.tube.radius for rod in model.rods])
    found = law.detect(model, model.configuration(np.zeros(model.n_dof), radii),
                       model.new_surface(), DETECT_MARGIN_MM)
    return ContactSet.concat(found)


def test_parallel_rods_overlap_by_the_sum_of_radii_less_their_distance(scene_of, clamped_rod):
    """Two parallel rods with axes d apart: every contact has the gap d - r_a - r_b and the
    curvature 1 / d, and together they press like a Winkler foundation, k overlap per mm
    along the rods with k the layers in series."""
    d, radius, length = 0.9, 0.5, 20.0
    a = clamped_rod("a", _along_y([0, 0, 0], length / 2, 21), radius, dent_mpa=0.01)
    b = clamped_rod("b", _along_y([0, 0, d], length / 2, 21), radius, dent_mpa=0.03)
    model = MechanicalModel([a, b], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS, (RodOnRod(),))
    contacts = _contacts(model, RodOnRod())
    assert len(contacts) > 0
    np.testing.assert_allclose(contacts.gap, d - 2 * radius, rtol=0, atol=1e-12)
    np.testing.assert_allclose(contacts.curvature, 1 / d, rtol=1e-12)
    overlap = 2 * radius - d
    for segment_rod in (0, 1):  # each way carries half
        half = contacts.force_n()[contacts.body_a == segment_rod].sum()
        assert half == pytest.approx(0.5 * _series(0.01, 0.03) * overlap * length, rel=1e-12)


def test_a_pad_between_two_parallel_rods_presses_each_over_its_footprint(scene_of,
                                                                          clamped_rod):
    """A ball of radius R between a vessel above and the nerve below, pressed d_v and d_n
    into them: the gaps are -d_v and -d_n along +-facing, and each carries
    k d (2 R + r) (felt and dent in series over the footprint, with the share falling
    linearly to zero over the rod's radius r at the rim)."""
    radius, pad, d_vessel, d_nerve = 0.5, 1.0, 0.1, 0.2
    reach = pad + radius
    nerve = clamped_rod("CN7", _along_y([0, 0, -(reach - d_nerve)], 5.0, 41), radius)
    vessel = clamped_rod("aica", _along_y([0, 0, reach - d_vessel], 5.0, 41), radius)
    sponge = Sponge("pad1", "ball", FAR.copy(), np.zeros(3), pad, np.array([0.0, 0.0, 1.0]),
                    "aica")
    model = MechanicalModel([nerve, vessel], [sponge], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS, (SpongeOnRod(),))
    contacts = _contacts(model, SpongeOnRod())
    k = _series(DEFAULT_MATERIALS.sponge_youngs_mpa, 0.01)
    for rod, depth, side in ((0, d_nerve, -1.0), (1, d_vessel, 1.0)):
        mine = contacts.body_b == rod
        assert np.all(contacts.body_a[mine] == 2)  # the pad, after the two rods
        np.testing.assert_allclose(contacts.gap[mine], -depth, rtol=0, atol=1e-12)
        np.testing.assert_allclose(contacts.normal[mine], [[0.0, 0.0, side]] * mine.sum())
        assert contacts.force_n()[mine].sum() == pytest.approx(k * depth * (2 * pad + radius),
                                                               rel=1e-12)


def test_a_node_pressed_into_the_brainstem_carries_its_rigid_contact(scene_of, clamped_rod):
    """A rod standing on the brainstem along its normal, its end node delta into it: that
    one contact has the gap -delta and the force hard_mpa x tributary length x delta."""
    brainstem = scene_of("atlas_default_right").brainstem
    near = brainstem.query(np.array([[0.0, 3.0, -2.0]]))
    radius, delta, spacing = 0.5, 0.05, 0.5
    points = near.closest[0] + (radius - delta + spacing * np.arange(5))[:, None] \
        * near.normal[0]
    model = MechanicalModel([clamped_rod("rod", points, radius, brainstem_contact=True)], [],
                            brainstem, DEFAULT_MATERIALS, (RodOnBrainstem(),))
    (gap,) = _contacts(model, RodOnBrainstem()).gap
    (force,) = _contacts(model, RodOnBrainstem()).force_n()
    assert gap == pytest.approx(-delta, abs=1e-9)
    assert force == pytest.approx(DEFAULT_MATERIALS.hard_mpa * 0.5 * spacing * delta, rel=1e-6)


def test_a_model_detects_with_its_laws_only(scene_of, clamped_rod):
    """Two rods 0.1 mm into each other touch under a model with the rod-rod law, and pass
    through each other under one without laws."""
    a = clamped_rod("a", _along_y([0, 0, 0], 10.0, 21))
    b = clamped_rod("b", _along_y([0, 0, 0.9], 10.0, 21))
    brainstem = scene_of("atlas_default_right").brainstem
    radii = np.full(42, 0.5)
    found = {}
    for laws in ((RodOnRod(),), ()):
        model = MechanicalModel([a, b], [], brainstem, DEFAULT_MATERIALS, laws)
        found[laws] = detect(model, model.configuration(np.zeros(model.n_dof), radii),
                             model.new_surface(), DETECT_MARGIN_MM)
    alone = _contacts(MechanicalModel([a, b], [], brainstem, DEFAULT_MATERIALS), RodOnRod())
    assert len(alone) > 0 and np.array_equal(found[(RodOnRod(),)].gap, alone.gap)
    assert len(found[()]) == 0

