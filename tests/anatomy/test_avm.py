"""An AVM's feeders and drainers reach its nidus; its tangle lies inside it; the meshes are
closed."""

import numpy as np
import pytest

from mvd_sim.anatomy.avm import (CONNECTOR_DEPTH_TO_RADIUS, CONNECTOR_RADIUS_RATIO,
                                 MEETS_TOLERANCE_MM, NERVE_CLEARANCE_MM, TANGLE_BEND_TO_RADIUS,
                                 connector, reach_gap, tangle)
from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.tube import Tube
from mvd_sim.mesh.files import mesh_check
from mvd_sim.mesh.meshing import tangle_mesh, tube_mesh

SPHERE = Ellipsoid("n", "avm", np.zeros(3), np.eye(3), np.full(3, 3.0))


def _line(name, kind, start, end, radius):
    return Tube(name, kind, np.linspace(start, end, 81), radius)


def test_a_branch_runs_from_the_vessel_point_nearest_the_nidus_into_it():
    """A straight PICA 5 mm off a sphere of radius 3: the branch leaves it where it passes
    nearest (x = 0), with 0.6 of its radius, and ends one of its radii inside the sphere on
    the line between them (no nerve in the way: a straight branch)."""
    pica = _line("pica", "PICA", [-8.0, 0.0, 8.0], [8.0, 0.0, 8.0], 0.7)
    branch = connector("pica:n", pica, SPHERE, [])
    radius = CONNECTOR_RADIUS_RATIO * 0.7
    np.testing.assert_allclose(branch.points[0], [0.0, 0.0, 8.0], atol=1e-12)
    np.testing.assert_allclose(branch.points[-1], [0.0, 0.0, 3.0 - radius], atol=1e-9)
    np.testing.assert_allclose(branch.points[:, :2], 0.0, atol=1e-12)
    assert branch.kind == "PICA" and branch.radius[0] == pytest.approx(radius)
    assert reach_gap(branch, SPHERE) == pytest.approx(
        -(1.0 + CONNECTOR_DEPTH_TO_RADIUS) * radius, abs=1e-9)


def test_a_vessel_already_reaching_the_nidus_needs_no_branch():
    vein = _line("vein", "vein", [-8.0, 0.0, 3.4], [8.0, 0.0, 3.4], 0.5)
    assert reach_gap(vein, SPHERE) <= MEETS_TOLERANCE_MM
    assert connector("vein:n", vein, SPHERE, []) is None


def test_a_branch_bows_round_a_nerve_in_its_way():
    """A nerve crossing the straight line from the vessel to the nidus: the branch goes
    round it, clear of it by the clearance, and still ends inside the nidus."""
    pica = _line("pica", "PICA", [-8.0, 0.0, 10.0], [8.0, 0.0, 10.0], 0.7)
    nerve = _line("CN7", "CN7", [0.0, -8.0, 6.5], [0.0, 8.0, 6.5], 0.9)
    branch = connector("pica:n", pica, SPHERE, [nerve])
    distance, seg, *_ = point_polyline(branch.points, nerve.points)
    assert (distance - nerve.radius[seg] - branch.radius).min() > NERVE_CLEARANCE_MM - 0.05
    assert reach_gap(branch, SPHERE) < 0.0
    np.testing.assert_allclose(branch.points[0], [0.0, 0.0, 10.0], atol=1e-12)


def test_each_feeder_and_drainer_of_the_bundled_avm_meets_its_nidus(scene_of):
    """avm_rexp_right: the PICA (its surface 2.6 mm off the nidus) is joined by a branch that starts
    on its centerline and ends inside the nidus; the vein passes through the nidus. Each
    meets the nidus' surface within MEETS_TOLERANCE_MM; no branch touches a nerve."""
    scene = scene_of("avm_rexp_right")
    nidus = scene.lesions["nidus"]
    branches = {b.name: b for b in nidus.branches}
    assert set(branches) == {"pica:nidus"}
    for name in (*nidus.feeders, *nidus.drainers):
        vessel = scene.vessels[name]
        gaps = [reach_gap(vessel, nidus.body)]
        branch = branches.get(f"{name}:nidus")
        if branch is not None:
            assert branch.kind == vessel.kind
            start, *_ = point_polyline(branch.points[:1], vessel.points)
            assert start[0] < 1e-9
            gaps.append(reach_gap(branch, nidus.body))
            for nerve in scene.nerves.values():
                distance, seg, *_ = point_polyline(branch.points, nerve.points)
                assert (distance - nerve.radius[seg] - branch.radius).min() > 0.0
        assert min(gaps) <= MEETS_TOLERANCE_MM, name
    assert reach_gap(scene.vessels["pica"], nidus.body) > 2.0   # the branch is needed


def test_a_left_avm_mirrors_its_branches(scene_of):
    nidus = scene_of("avm_rexp_right").lesions["nidus"]
    mirrored = nidus.mirrored_x()
    np.testing.assert_allclose(mirrored.branches[0].points,
                               nidus.branches[0].points * [-1.0, 1.0, 1.0])


def test_the_tangle_lies_inside_the_nidus_and_its_mesh_is_closed(scene_of):
    body = scene_of("avm_rexp_right").lesions["nidus"].body
    loops = tangle(body)
    assert len(loops) == 6
    for loop in loops:
        assert body.signed_distance(loop.points).max() < 0.0
        bend = curve.bend_radius(loop.points, loop.s, loop.radius[0])
        assert bend.min() >= TANGLE_BEND_TO_RADIUS * loop.radius[0] - 1e-9
    check = mesh_check(tangle_mesh(body))
    assert check.watertight and check.consistently_oriented and check.outward
    small = Ellipsoid("s", "avm", np.zeros(3), np.eye(3), np.array([1.5, 1.0, 1.0]))
    assert tangle(small)[0].radius[0] < tangle(body)[0].radius[0]   # thinner, not folded


def test_a_branch_mesh_is_closed(scene_of):
    branch = scene_of("avm_rexp_right").lesions["nidus"].branches[0]
    check = mesh_check(tube_mesh(branch, 24))
    assert check.watertight and check.consistently_oriented and check.outward
