"""Context structures of the operative field against the facts file (section 9.1), their
solids' exact distances, and their mirror images."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.anatomy.context import (LOWER_CRANIAL_NERVES, Ellipsoid, RootletBundle,
                                     intrusion, intrusion_at_most, lower_cranial_nerves)
from mvd_sim.core.constants import BrainstemParams, ContextParams
from mvd_sim.core.errors import GeometryError
from mvd_sim.core.recent import Recent
from mvd_sim.core.tube import Tube

PARAMS = ContextParams()


@pytest.fixture(scope="module")
def scene(scene_of):
    return scene_of("atlas_default_right")


@pytest.fixture(scope="module")
def context(scene):
    return scene.context


def _caudal_olive_z(scene) -> float:
    """Scene z (mm) of the caudal end of the olive (canonical frame)."""
    shape = BrainstemParams()
    return (-(shape.olive_centre_below_sulcus_mm + shape.olive_half_length_mm)
            - scene.brainstem.origin_midline_mm[2])


def test_the_top_ix_rootlet_leaves_2_to_4_mm_below_vii_and_about_2_mm_behind(context):
    top = context["CN9"].rootlets[0].points[0]     # the RExP is the origin
    assert 2.0 <= -top[2] <= 4.0
    assert 1.0 <= -top[1] <= 3.0


def test_the_rootlets_leave_top_to_bottom_ix_x_xi(context, scene):
    tops = [np.array([r.points[0, 2] for r in context[n].rootlets])
            for n in LOWER_CRANIAL_NERVES]
    for upper, lower in zip(tops, tops[1:]):
        assert upper.min() > lower.max()
    assert [len(context[n].rootlets) for n in LOWER_CRANIAL_NERVES] == [2, 6, 3]
    # X: 6.4 +- 2.3 rootlets (Xu); its lowest -1 to +8 mm below the caudal olive (Wiles);
    # XI's highest 1-15 mm below it (Lachman)
    olive = _caudal_olive_z(scene)
    assert -1.0 <= olive - tops[1].min() <= 8.0
    assert 1.0 <= olive - tops[2].max() <= 15.0


def test_the_rootlets_start_on_the_brainstem_and_run_laterally_to_the_jugular_foramen(
        context, scene):
    for name in LOWER_CRANIAL_NERVES:
        bundle = context[name]
        assert isinstance(bundle, RootletBundle) and bundle.kind == name
        starts = np.array([r.points[0] for r in bundle.rootlets])
        ends = np.array([r.points[-1] for r in bundle.rootlets])
        assert_allclose(scene.brainstem.signed_distance(starts),
                        0.5 * PARAMS.rootlet_diameter_mm, rtol=0, atol=1e-6)
        assert np.ptp(ends, axis=0).max() < 1e-9          # they meet at the foramen
        assert np.all(ends[:, 0] - starts[:, 0] > 5.0)    # laterally
        # the jugular foramen lies below the porus
        assert ends[0, 2] < scene.petrous.porus[2] - 10.0


def test_the_middle_x_rootlet_is_as_long_as_x_in_the_retrosigmoid_view(context):
    rootlets = context["CN10"].rootlets
    # Xu W et al.: 10.44 +- 2.57 (left), 9.91 +- 2.91 (right)
    assert 9.91 - 2 * 2.91 <= rootlets[len(rootlets) // 2].length_mm <= 10.44 + 2 * 2.57


def test_the_flocculus_is_10_by_6_by_5_above_and_behind_the_viii_entry(context, scene):
    flocculus = context["flocculus"]
    assert_allclose(2 * flocculus.semi_axes_mm, [10.0, 6.0, 5.0])
    entry = scene.rest_nerves["CN8"].points[0]
    assert flocculus.centre[2] > entry[2] + 2.0      # above
    assert flocculus.centre[1] < entry[1] - 2.0      # behind
    # it rests on the brainstem: its nearest surface point touches it
    theta, t = np.meshgrid(np.linspace(0, 2 * np.pi, 90), np.linspace(0, np.pi, 60))
    surface = flocculus.surface_points(theta, t).reshape(-1, 3)
    assert abs(scene.brainstem.signed_distance(surface).min()) < 0.1


@pytest.mark.parametrize("name", ["flocculus", "cerebellum", "choroid_plexus"])
def test_the_solids_keep_off_vii_and_viii(context, scene, name):
    for nerve in scene.nerves.values():
        depth, _ = intrusion(context[name], nerve)
        assert depth < -0.5, nerve.name


def test_the_choroid_plexus_limb_is_23_6_mm_with_a_3_5_mm_bulb_out_in_the_cistern(
        context, scene):
    limb = context["choroid_plexus"]
    assert limb.length_mm == pytest.approx(23.6, abs=0.1)
    assert 2 * limb.radius.max() == pytest.approx(3.5)
    # the tuft lies out in the cistern, behind the top IX rootlet
    cistern = limb.points[limb.s > limb.length_mm - PARAMS.choroid_cistern_length_mm]
    assert scene.brainstem.signed_distance(cistern).min() > 0.0
    foramen = limb.point_at(limb.length_mm - PARAMS.choroid_cistern_length_mm)
    assert foramen[1] < context["CN9"].rootlets[0].points[0, 1] - 2.0


def test_the_cerebellum_lies_behind_and_above_the_root_exit_zone(context):
    cerebellum = context["cerebellum"]
    assert cerebellum.centre[1] < -20.0 and cerebellum.centre[2] > 0.0
    assert cerebellum.signed_distance(np.zeros((1, 3)))[0] > 5.0


def test_an_ellipsoid_refuses_axes_that_are_no_rotation():
    with pytest.raises(GeometryError, match="axes must be a"):
        Ellipsoid("e", "flocculus", np.zeros(3), np.diag([1.0, 1.0, -1.0]), np.ones(3))
    with pytest.raises(GeometryError, match="semi-axes must be 3 positive"):
        Ellipsoid("e", "flocculus", np.zeros(3), np.eye(3), np.array([1.0, 0.0, 1.0]))


def test_a_mirrored_ellipsoid_is_the_mirror_image_of_the_solid(context):
    flocculus = context["flocculus"]
    mirrored = flocculus.mirrored_x()
    assert np.linalg.det(mirrored.axes) > 0
    points = np.random.default_rng(2).normal(size=(50, 3)) * 6.0 + flocculus.centre
    assert_allclose(mirrored.signed_distance(points * [-1.0, 1.0, 1.0]),
                    flocculus.signed_distance(points), rtol=0, atol=1e-9)


def test_intrusion_of_crossing_tubes_is_their_overlap():
    solid = Tube("c", "choroid_plexus", [[0.0, -5.0, 0.0], [0.0, 5.0, 0.0]], 1.0)
    vessel = Tube("v", "AICA", [[-5.0, 0.0, 1.2], [5.0, 0.0, 1.2]], 0.5)
    depth, s = intrusion(solid, vessel)
    assert depth == pytest.approx(0.3)
    assert s == pytest.approx(5.0)


def test_intrusion_into_an_ellipsoid_is_its_depth_less_the_radius():
    solid = Ellipsoid("e", "flocculus", np.zeros(3), np.eye(3), np.array([5.0, 3.0, 2.5]))
    vessel = Tube("v", "AICA", [[-6.0, 0.0, 2.0], [6.0, 0.0, 2.0]], 0.75)
    depth, s = intrusion(solid, vessel)
    assert depth == pytest.approx(1.25)
    assert s == pytest.approx(6.0)


@pytest.mark.parametrize("name", ["multi_aica_pica_right", "pica_rexp_moderate_right"])
def test_the_rootlets_left_straight_are_those_clear_of_every_vessel(scene_of, name):
    """The rootlets' depths into the vessels, in one compiled call, are :func:`intrusion`'s
    to the bit; the rootlets left straight are those no vessel comes within the clearance of
    (the scene's check of the vessels against the context skips them), the others bent."""
    from mvd_sim.anatomy import context as module
    scene = scene_of(name)
    vessels = list(scene.vessels.values())
    free = module._vessel_free(scene.brainstem, PARAMS)
    straight = [r for n in LOWER_CRANIAL_NERVES for r in free.rootlets[n]]
    depths = module._tube_intrusions(straight, vessels, free.rootlet_segments)
    for j, rootlet in enumerate(straight):
        for k, vessel in enumerate(vessels):
            assert depths[j, k] == intrusion(rootlet, vessel)[0]
    built = module.lower_cranial_nerves(scene.brainstem, PARAMS, vessels)
    kept = [r for n in LOWER_CRANIAL_NERVES for r in built[n].rootlets]
    crossing = (depths > -module.ROOTLET_CLEARANCE_MM).any(axis=1)
    assert crossing.any() and not crossing.all()
    for rootlet, near in zip(kept, crossing):
        assert module.left_straight(scene.brainstem, PARAMS, rootlet) == (not near)


def test_an_ellipsoids_distance_bounds_hold():
    """The bounds below and above the signed distance hold, inside and out, the centre
    included, and close in on it at the surface."""
    rng = np.random.default_rng(7)
    solid = Ellipsoid("e", "flocculus", np.array([1.0, -2.0, 3.0]), _rotation(rng),
                      np.array([6.0, 3.5, 1.5]))
    points = np.concatenate([solid.centre[None], solid.centre + rng.normal(size=(4000, 3))
                             * rng.uniform(0.1, 8.0, (4000, 1))])
    exact = solid.signed_distance(points)
    low, high = solid.signed_distance_bounds(points)
    assert np.all(low <= exact + 1e-9) and np.all(exact <= high + 1e-9)   # the solver: 1e-12
    assert low[0] == -np.inf
    near = np.abs(exact) < 0.01
    assert near.any() and np.all(high[near] - low[near] < 0.1)


def test_the_deepest_point_is_the_one_every_near_point_solved_gives():
    """:func:`intrusion` into an ellipsoid, solving only the points its bounds cannot tell
    farther than another, gives what solving every point within reach gives, to the bit."""
    from mvd_sim.anatomy.context import _SOLID_REACH_MM, _sampled
    rng = np.random.default_rng(8)
    for trial in range(60):
        solid = Ellipsoid("e", "flocculus", rng.normal(size=3), _rotation(rng),
                          rng.uniform(1.0, 6.0, 3))
        start = rng.normal(size=3) * 8.0
        points = start + np.cumsum(rng.normal(size=(12, 3)), axis=0)
        vessel = Tube("v", "AICA", points, rng.uniform(0.3, 1.2, 12))
        sampled = _sampled(vessel)
        gap = (np.linalg.norm(sampled.points - solid.centre, axis=1)
               - solid.semi_axes_mm.max() - sampled.radius)
        near = gap < _SOLID_REACH_MM
        gap[near] = solid.signed_distance(sampled.points[near]) - sampled.radius[near]
        k = int(np.argmin(gap))
        assert intrusion(solid, vessel) == (float(-gap[k]), float(sampled.s[k]))


def test_an_intrusion_told_at_most_a_depth_is_at_most_it():
    """:func:`intrusion_at_most` says yes only where :func:`intrusion`'s depth is at most the
    depth asked; it tells most vessels away from an ellipsoid, none that enters it, and
    leaves a tube to the exact search."""
    rng = np.random.default_rng(9)
    told, entering = 0, 0
    for trial in range(300):
        solid = Ellipsoid("e", "flocculus", rng.normal(size=3), _rotation(rng),
                          rng.uniform(1.0, 6.0, 3))
        points = rng.normal(size=3) * 9.0 + np.cumsum(rng.normal(size=(12, 3)), axis=0)
        vessel = Tube("v", "AICA", points, rng.uniform(0.3, 1.2, 12))
        depth_mm = rng.choice([-0.5, 0.0, 0.05, 0.5])
        depth, _ = intrusion(solid, vessel)
        if intrusion_at_most(solid, vessel, depth_mm):
            told += 1
            assert depth <= depth_mm
        entering += depth > 0.5
    assert told > 100 and entering > 10
    straight = Tube("t", "CN9", [[0.0, 0.0, 0.0], [0.0, 0.0, 10.0]], 0.5)
    far = Tube("v", "AICA", [[50.0, 0.0, 0.0], [60.0, 0.0, 0.0]], 0.5)
    assert not intrusion_at_most(straight, far, 0.05)


def _rotation(rng) -> np.ndarray:
    """A random proper rotation (rows: axes)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else q * np.array([1.0, 1.0, -1.0])[:, None]


def test_a_far_vessel_gets_a_lower_bound_of_its_gap_beyond_the_reach():
    solid = Ellipsoid("e", "flocculus", np.zeros(3), np.eye(3), np.array([5.0, 3.0, 2.5]))
    for height, exact in ((4.0, True), (9.0, False)):
        vessel = Tube("v", "AICA", [[-6.0, 0.0, height], [6.0, 0.0, height]], 0.5)
        depth, _ = intrusion(solid, vessel)
        true_gap = height - 2.5 - 0.5
        if exact:
            assert -depth == pytest.approx(true_gap)
        else:
            assert 3.0 <= -depth <= true_gap


@pytest.mark.parametrize("name", ["multi_aica_pica_right", "pica_rexp_moderate_right",
                                  "double_pica_aica_left"])
def test_the_rootlets_bend_round_a_pica_lying_across_them(scene_of, name):
    """A PICA whose course crosses CN IX's top rootlets (0.36-0.43 mm deep before they
    yielded) runs between them: every rootlet keeps off every vessel and still leaves the
    brainstem at its surface, its root slid along it by less than the PICA's width."""
    scene = scene_of(name)
    straight = lower_cranial_nerves(scene.brainstem, PARAMS) if scene.side == "right" else None
    for nerve in LOWER_CRANIAL_NERVES:
        for k, rootlet in enumerate(scene.context[nerve].rootlets):
            assert_allclose(scene.brainstem.signed_distance(rootlet.points[:1]),
                            0.5 * PARAMS.rootlet_diameter_mm, rtol=0, atol=1e-6)
            for vessel in scene.vessels.values():
                assert intrusion(rootlet, vessel)[0] <= 0.0
            if straight is not None:
                slid = np.linalg.norm(rootlet.points[0] - straight[nerve].rootlets[k].points[0])
                assert slid < 2.0 * scene.vessels["pica"].radius.max()
    if straight is not None:
        bent = [np.abs(r.points - s.points).max() for r, s in
                zip(scene.context["CN9"].rootlets, straight["CN9"].rootlets)]
        assert max(bent) > 0.3       # it did have to yield


def test_the_vessel_free_parts_built_once_are_those_built_afresh(scene_of, monkeypatch):
    """The rootlets' straight courses, the choroid plexus limb's candidates, the flocculus
    and the cerebellum are kept for the brainstem and parameters (a dataset worker builds
    them once): bending the rootlets round one case's vessels leaves them as they were, and
    the context built with them kept is the context built with none kept, to the bit."""
    from mvd_sim.anatomy import context as module
    scene = scene_of("multi_aica_pica_right")
    cochlear = scene.rest_nerves["CN8"]
    vessels = list(scene.vessels.values())
    kept = module.build_context(scene.brainstem, cochlear, PARAMS, vessels)
    again = module.build_context(scene.brainstem, cochlear, PARAMS, ())
    monkeypatch.setattr(module, "_RECENT_VESSEL_FREE", Recent(4))
    monkeypatch.setattr(module, "_RECENT_ELLIPSOIDS", Recent(4))
    fresh = module.build_context(scene.brainstem, cochlear, PARAMS, vessels)
    for name in LOWER_CRANIAL_NERVES:
        for a, b in zip(kept[name].rootlets, fresh[name].rootlets):
            assert np.array_equal(a.points, b.points) and np.array_equal(a.radius, b.radius)
    assert np.array_equal(kept["choroid_plexus"].points, fresh["choroid_plexus"].points)
    assert np.array_equal(kept["choroid_plexus"].radius, fresh["choroid_plexus"].radius)
    for name in ("flocculus", "cerebellum"):
        for field in ("centre", "axes", "semi_axes_mm"):
            assert np.array_equal(getattr(kept[name], field), getattr(fresh[name], field))
    assert any(not np.array_equal(a.points, b.points) for a, b in
               zip(kept["CN9"].rootlets, again["CN9"].rootlets))   # bent round the PICA
    straight = module.build_context(scene.brainstem, cochlear, PARAMS, ())
    for a, b in zip(again["CN9"].rootlets, straight["CN9"].rootlets):
        assert np.array_equal(a.points, b.points)
