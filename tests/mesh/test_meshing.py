"""Meshes of the brainstem and of tubes: closed, consistently wound, outward, right volume.

Every closedness claim is checked twice: by ``mesh_io.mesh_check`` and independently by
trimesh.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from numpy.testing import assert_allclose

from scipy.spatial.transform import Rotation

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.context import Ellipsoid, RootletBundle
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.mesh.files import mesh_check
from mvd_sim.mesh.meshing import (brainstem_mesh, context_mesh, ellipsoid_mesh, petrous_mesh,
                                  tube_mesh)
from mvd_sim.core.tube import Tube


@pytest.fixture(scope="module")
def brainstem() -> Brainstem:
    shape = BrainstemShape()
    return Brainstem(shape, shape.root_exit_point(12.0))


def assert_closed_outward(mesh) -> None:
    vertices, faces = mesh
    assert vertices.dtype == np.float64 and faces.dtype == np.int64
    assert vertices.shape[1] == 3 and faces.shape[1] == 3
    check = mesh_check(mesh)
    assert check.watertight
    assert check.consistently_oriented
    assert check.outward
    reference = trimesh.Trimesh(vertices, faces, process=False)
    assert reference.is_watertight
    assert reference.is_winding_consistent
    assert reference.volume > 0
    assert_allclose(check.volume_mm3, reference.volume, rtol=1e-9, atol=0)
    assert_allclose(check.area_mm2, reference.area, rtol=1e-9, atol=0)
    # closed genus-0 surface: V - E + F = 2 with E = 3F / 2
    assert len(vertices) - 3 * len(faces) // 2 + len(faces) == 2


def straight_tube(length: float, radius, n_points: int = 4) -> Tube:
    x = np.linspace(0.0, length, n_points)
    return Tube("t", "vein", np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=1), radius)


def arc_tube(centre_radius: float, angle: float, radius: float, n_points: int) -> Tube:
    phi = np.linspace(0.0, angle, n_points)
    points = np.stack([centre_radius * np.cos(phi), centre_radius * np.sin(phi),
                       np.zeros_like(phi)], axis=1)
    return Tube("arc", "AICA", points, radius)


def regular_polygon_area(n_sides: int, radius: float) -> float:
    return 0.5 * n_sides * radius ** 2 * np.sin(2 * np.pi / n_sides)


# -- brainstem -------------------------------------------------------------------------------

@pytest.mark.parametrize("n_theta, n_t", [(8, 5), (40, 30), (160, 200), (400, 500)])
def test_brainstem_mesh_is_closed_and_outward(brainstem, n_theta, n_t):
    mesh = brainstem_mesh(brainstem, n_theta=n_theta, n_t=n_t)
    assert len(mesh[0]) == n_theta * (n_t - 2) + 2
    assert_closed_outward(mesh)


def test_brainstem_mesh_volume_grows_toward_a_limit(brainstem):
    """An inscribed mesh of a mostly convex body gains volume as it is refined."""
    volumes = [mesh_check(brainstem_mesh(brainstem, n, n)).volume_mm3 for n in (50, 100, 200, 400)]
    gains = np.diff(volumes)
    assert np.all(gains > 0)
    assert_allclose(gains[1:] / gains[:-1], 0.25, rtol=0, atol=0.05)    # second order


# -- tubes -----------------------------------------------------------------------------------

def helix_tube() -> Tube:
    u = np.linspace(0.0, 4 * np.pi, 200)
    return Tube("helix", "vein", np.stack([5 * np.cos(u), 5 * np.sin(u), 2 * u], axis=1),
                np.linspace(1.0, 0.4, 200))


def random_smooth_tube(seed: int) -> Tube:
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(60, 3))
    steps[:, 0] += 2.0
    points = np.cumsum(steps, axis=0)
    kernel = np.ones(7) / 7                  # smooth the walk so rings do not overlap much
    smooth = np.stack([np.convolve(points[:, k], kernel, mode="valid") for k in range(3)], 1)
    return Tube("walk", "PICA", smooth, 0.3)


@pytest.mark.parametrize("tube", [
    straight_tube(10.0, 1.0, n_points=2),
    straight_tube(10.0, [1.2, 1.0, 0.7, 0.5]),
    arc_tube(15.0, np.pi, 1.1, 120),
    helix_tube(),
    random_smooth_tube(0),
    random_smooth_tube(1),
], ids=["straight-2pt", "tapered", "arc", "helix", "walk0", "walk1"])
@pytest.mark.parametrize("n_sides", [3, 8, 24])
def test_tube_mesh_is_closed_and_outward(tube, n_sides):
    mesh = tube_mesh(tube, n_sides=n_sides)
    assert len(mesh[0]) == len(tube.points) * n_sides + 2
    assert_closed_outward(mesh)


@pytest.mark.parametrize("n_sides", [3, 4, 7, 24, 100])
@pytest.mark.parametrize("radius, length", [(1.0, 10.0), (0.51, 3.3)])
def test_straight_tube_volume_is_the_exact_prism_volume(n_sides, radius, length):
    check = mesh_check(tube_mesh(straight_tube(length, radius), n_sides=n_sides))
    base = regular_polygon_area(n_sides, radius)
    side = n_sides * 2 * radius * np.sin(np.pi / n_sides)
    assert_allclose(check.volume_mm3, base * length, rtol=1e-12, atol=0)
    assert_allclose(check.area_mm2, 2 * base + side * length, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n_sides", [5, 24])
def test_tapered_straight_tube_volume_is_the_exact_frustum_volume(n_sides):
    r0, r1, length = 1.5, 0.6, 8.0
    radius = np.linspace(r0, r1, 5)
    check = mesh_check(tube_mesh(straight_tube(length, radius, n_points=5), n_sides=n_sides))
    scale = regular_polygon_area(n_sides, 1.0)
    assert_allclose(check.volume_mm3, scale * length / 3 * (r0 * r0 + r0 * r1 + r1 * r1),
                    rtol=1e-12, atol=0)


def test_straight_tube_volume_converges_to_cylinder_at_second_order():
    radius, length = 1.3, 12.0
    exact = np.pi * radius ** 2 * length
    sides = [12, 24, 48, 96, 192]
    errors = [exact - mesh_check(tube_mesh(straight_tube(length, radius), n)).volume_mm3
              for n in sides]
    assert np.all(np.asarray(errors) > 0)                   # inscribed polygon
    assert_allclose(np.log2(np.asarray(errors[:-1]) / errors[1:]), 2.0, rtol=0, atol=0.02)
    # leading term: pi r^2 L (2 pi / n)^2 / 6
    assert_allclose(errors[-1], exact * (2 * np.pi / sides[-1]) ** 2 / 6, rtol=1e-3, atol=0)


def test_arc_tube_volume_tends_to_pappus():
    """A tube on a circular arc is a torus section: volume pi r^2 R alpha (Pappus)."""
    centre_radius, angle, radius = 20.0, np.pi / 2, 1.0
    exact = np.pi * radius ** 2 * centre_radius * angle
    errors = [abs(mesh_check(tube_mesh(arc_tube(centre_radius, angle, radius, n), n)).volume_mm3
                  - exact) / exact for n in (32, 64, 128, 256)]
    assert errors[-1] < 1e-3
    assert np.all(np.diff(errors) < 0)


# -- winding ---------------------------------------------------------------------------------

def test_left_cases_mesh_outward_without_flipping():
    # left cases mirror their tubes (x -> -x) and mesh them afresh: still outward and closed,
    # and the same shape as the mirror image of the right-sided mesh
    tube = helix_tube()
    right, left = mesh_check(tube_mesh(tube, 12)), mesh_check(tube_mesh(tube.mirrored_x(), 12))
    assert left.outward and left.watertight and left.consistently_oriented
    # (the rings start at another phase on the mirrored curve: volumes agree to 1e-3)
    assert_allclose(left.volume_mm3, right.volume_mm3, rtol=1e-3)
    vertices, faces = tube_mesh(tube, 12)
    assert not mesh_check((vertices * [-1.0, 1.0, 1.0], faces)).outward  # naive mirror fails


# -- context structures and the petrous bone -------------------------------------------------

def test_ellipsoid_mesh_is_closed_outward_and_tends_to_its_volume():
    solid = Ellipsoid("e", "flocculus", [1.0, -2.0, 3.0],
                      Rotation.from_rotvec([0.3, -0.2, 0.5]).as_matrix(), [5.0, 3.0, 2.5])
    exact = 4.0 / 3.0 * np.pi * 5.0 * 3.0 * 2.5
    errors = []
    for n_theta, n_t in ((32, 24), (64, 48), (128, 96)):
        mesh = ellipsoid_mesh(solid, n_theta, n_t)
        assert_closed_outward(mesh)
        errors.append(exact - mesh_check(mesh).volume_mm3)
    # inscribed: under the volume, second order in the spacing
    assert 0 < errors[2] < errors[1] < errors[0]
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.1)


def test_a_mirrored_ellipsoid_meshes_outward():
    solid = Ellipsoid("e", "flocculus", [1.0, -2.0, 3.0],
                      Rotation.from_rotvec([0.3, -0.2, 0.5]).as_matrix(), [5.0, 3.0, 2.5])
    assert_closed_outward(ellipsoid_mesh(solid.mirrored_x()))


def test_petrous_mesh_is_a_closed_slab_with_the_canal_hollowed_out():
    face = PetrousFace(np.array([15.0, 11.0, 7.0]), np.array([-0.9, -0.3, -0.1])
                       / np.linalg.norm([-0.9, -0.3, -0.1]))
    n_around = 256
    mesh = petrous_mesh(face, n_around)
    assert_closed_outward(mesh)
    # polygonal ellipses: the area of an n-gon inscribed in the unit circle, n sin(2 pi / n) / 2
    polygon = 0.5 * n_around * np.sin(2 * np.pi / n_around) / np.pi
    slab = np.pi / 4 * face.drawn_width_mm * face.drawn_height_mm * (face.canal_length_mm + 2)
    canal = np.pi / 4 * face.porus_width_mm * face.porus_height_mm * face.canal_length_mm
    assert_allclose(mesh_check(mesh).volume_mm3, polygon * (slab - canal), rtol=1e-9)
    # the porus opening is in the face, the bone behind it
    vertices = mesh[0]
    assert np.all((vertices - face.porus) @ face.normal < 1e-9)


def test_a_rootlet_bundle_meshes_one_closed_tube_per_rootlet():
    rootlets = tuple(Tube(f"CN10.{k}", "CN10", [[0.0, 0.0, -k], [5.0, 0.0, -k - 1.0],
                                                 [10.0, 0.0, -5.0]], 0.3) for k in range(3))
    mesh = context_mesh(RootletBundle("CN10", "CN10", rootlets), n_sides=24)
    check = mesh_check(mesh)
    assert check.watertight and check.consistently_oriented and check.outward
    parts = [tube_mesh(t, 12) for t in rootlets]
    assert len(mesh[0]) == sum(len(v) for v, _ in parts)
    assert_allclose(check.volume_mm3, sum(mesh_check(p).volume_mm3 for p in parts), rtol=1e-12)


@pytest.mark.parametrize("scenario, lesion", [("schwannoma_porus_right", "schwannoma"),
                                              ("aneurysm_pica_rexp_right", "pica_aneurysm"),
                                              ("avm_rexp_right", "nidus")])
def test_lesion_meshes_are_closed_outward_and_hold_the_ellipsoids_volume(scene_of, scenario,
                                                                          lesion):
    """Each bundled lesion's mesh (in the scene's meshes) is closed, watertight, outward,
    and its volume tends to 4/3 pi abc (an inscribed polyhedron: a little under)."""
    from mvd_sim.mesh.meshing import scene_meshes
    scene = scene_of(scenario)
    mesh = scene_meshes(scene, brainstem_resolution=(16, 12))[lesion]
    assert_closed_outward(mesh)
    a, b, c = scene.lesions[lesion].body.semi_axes_mm
    exact = 4.0 / 3.0 * np.pi * a * b * c
    volume = trimesh.Trimesh(*mesh, process=False).volume
    assert 0.99 * exact < volume < exact
