"""The parametric brainstem's exact queries, checked against a fine mesh and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.core.errors import ScenarioError
from mvd_sim.mesh.files import to_polydata
from mvd_sim.mesh.meshing import brainstem_mesh

ON_SURFACE_MM = 1e-6


@pytest.fixture(scope="module")
def shape() -> BrainstemShape:
    return BrainstemShape()


@pytest.fixture(scope="module")
def brainstem(shape) -> Brainstem:
    return Brainstem(shape, shape.root_exit_point(12.0))


@pytest.fixture(scope="module")
def fine_mesh(brainstem):
    return brainstem_mesh(brainstem, n_theta=400, n_t=500)


@pytest.fixture(scope="module")
def vtk_signed_distance(fine_mesh):
    """Signed distance to the fine mesh by VTK (negative inside for outward faces)."""
    from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkDoubleArray
    from vtkmodules.vtkFiltersCore import vtkImplicitPolyDataDistance

    distance = vtkImplicitPolyDataDistance()
    distance.SetInput(to_polydata(fine_mesh))

    def evaluate(points: np.ndarray) -> np.ndarray:
        out = vtkDoubleArray()
        distance.FunctionValue(numpy_to_vtk(np.ascontiguousarray(points), deep=1), out)
        return vtk_to_numpy(out).copy()

    return evaluate


def away_from_poles(brainstem: Brainstem, points: np.ndarray, margin_mm: float) -> np.ndarray:
    """Mask of scene points whose midline level is ``margin_mm`` or more from both poles."""
    z = brainstem.to_midline(points)[..., 2]
    shape = brainstem.shape
    return (z > shape.z_bottom_mm + margin_mm) & (z < shape.z_top_mm - margin_mm)


def mesh_deviation(brainstem: Brainstem, mesh, rng: np.random.Generator) -> float:
    """Chord error: largest distance from triangle centroids and edge midpoints to the surface.

    Faces within 3 mm of the poles are left out (the chart is singular there).
    """
    vertices, faces = mesh
    corners = vertices[faces]
    corners = corners[np.all(away_from_poles(brainstem, corners, 3.0), axis=1)]
    corners = corners[rng.choice(len(corners), 20_000, replace=False)]
    probes = np.concatenate([corners.mean(axis=1), 0.5 * (corners[:, 0] + corners[:, 1])])
    return float(np.max(np.abs(brainstem.signed_distance(probes))))


@pytest.mark.parametrize("seed", [0, 1])
def test_signed_distance_agrees_with_vtk_on_a_fine_mesh(brainstem, fine_mesh,
                                                        vtk_signed_distance, seed):
    rng = np.random.default_rng(seed)
    vertices, _ = fine_mesh
    vertices = vertices[away_from_poles(brainstem, vertices, 3.0)]
    anchors = brainstem.query(vertices[rng.choice(len(vertices), 2000, replace=False)])
    offsets = rng.uniform(-1.0, 10.0, 2000)
    points = anchors.closest + offsets[:, None] * anchors.normal
    exact = brainstem.signed_distance(points)
    meshed = vtk_signed_distance(points)
    chord = mesh_deviation(brainstem, fine_mesh, rng)
    error = np.max(np.abs(exact - meshed))
    # Measured (seeds 0, 1): chord error 2.2e-3 mm, max disagreement 1.8e-3 and 1.3e-3 mm.
    assert chord < 0.01
    assert error <= 2.0 * chord
    assert error < 0.02
    # Moving along the normal never gets farther than the offset; inside stays inside.
    # (Newton from the nearest grid point finds the local minimum; several mm out from a
    # concave region a neighbouring basin can be up to ~1e-4 mm closer.)
    assert np.all(np.sign(exact) == np.sign(offsets))
    assert np.all(np.abs(exact) <= np.abs(offsets) + 1e-4)


@pytest.mark.parametrize("pole", ["caudal", "rostral"])
@pytest.mark.parametrize("t_from_pole", [0.01, 0.05, 0.3])
def test_points_on_the_polar_caps_have_zero_distance(brainstem, pole, t_from_pole):
    rng = np.random.default_rng(4)
    t = np.full(500, t_from_pole if pole == "caudal" else np.pi - t_from_pole)
    surface = brainstem.surface_points(rng.uniform(-np.pi, np.pi, 500), t)
    assert np.max(np.abs(brainstem.signed_distance(surface))) < ON_SURFACE_MM


@pytest.mark.parametrize("pole", ["caudal", "rostral"])
def test_distance_at_the_very_pole_is_within_its_documented_limit(brainstem, pole):
    # The (theta, t) chart is singular at a pole: within t = 1e-3 (about 0.03 mm of the pole,
    # 35 mm from the root exit zone) Newton converges slowly; the error stays below 0.05 mm.
    rng = np.random.default_rng(5)
    t = np.full(500, 1e-3 if pole == "caudal" else np.pi - 1e-3)
    surface = brainstem.surface_points(rng.uniform(-np.pi, np.pi, 500), t)
    assert np.max(np.abs(brainstem.signed_distance(surface))) < 0.05


@pytest.mark.parametrize("height", [-0.5, -0.2, 0.2, 0.5])
def test_outward_normal_points_out(brainstem, height):
    rng = np.random.default_rng(11)
    theta = rng.uniform(-np.pi, np.pi, 3000)
    t = rng.uniform(0.02, np.pi - 0.02, 3000)
    q = brainstem.query(brainstem.surface_points(theta, t))
    assert_allclose(np.linalg.norm(q.normal, axis=1), 1.0, rtol=0, atol=1e-12)
    shifted = brainstem.signed_distance(q.closest + height * q.normal)
    assert_allclose(shifted, height, rtol=0, atol=1e-9)


def test_surface_points_have_zero_distance_and_are_their_own_closest_point(brainstem):
    rng = np.random.default_rng(5)
    theta = rng.uniform(-np.pi, np.pi, 4000)
    t = np.concatenate([rng.uniform(0.02, np.pi - 0.02, 3990),
                        [0.005, 0.01, 0.02, 0.05, 0.1, np.pi - 0.1, np.pi - 0.05,
                         np.pi - 0.02, np.pi - 0.01, np.pi - 0.005]])
    surface = brainstem.surface_points(theta, t)
    q = brainstem.query(surface)
    assert np.max(np.abs(q.signed_distance)) < ON_SURFACE_MM
    assert_allclose(q.closest, surface, rtol=0, atol=ON_SURFACE_MM)


SHARP = {"pons_length_mm": 8.0, "pons_profile_exponent": 9, "medulla_length_mm": 96.0,
         "midbrain_length_mm": 30.0, "sulcus_fillet_mm": 0.9, "olive_half_length_mm": 2.25}


@pytest.mark.parametrize("overrides", [{}, {"pons_profile_exponent": 9}, SHARP],
                         ids=["default", "steep pons", "sharp overrides"])
def test_profile_table_reproduces_the_closed_form_surface(overrides):
    """The Newton solve reads the surface from piecewise quintic profile tables; they must
    match the closed form, including right at and beside the C1 breakpoints, also for
    sharp shape overrides (a short steep pons, a narrow fillet, short olives)."""
    from mvd_sim.anatomy.brainstem import _profile_table, _surface_frame

    shape = BrainstemShape(**overrides)
    rng = np.random.default_rng(21)
    knots = _profile_table(shape).knots
    knots = knots[(knots > 0.01) & (knots < np.pi - 0.01)]
    t = np.concatenate([rng.uniform(0.01, np.pi - 0.01, 20000), knots, knots + 1e-7,
                        knots - 1e-7])
    theta = rng.uniform(-np.pi, np.pi, len(t))
    assert np.max(np.abs(_surface_frame(shape, theta, t, order=0)[:, 0]
                         - shape.surface(theta, t))) < 1e-9
    # at the poles the closed form itself loses digits (1 - cos t cancels)
    t = np.concatenate([np.linspace(0.0, 0.01, 500), np.linspace(np.pi - 0.01, np.pi, 500)])
    theta = rng.uniform(-np.pi, np.pi, len(t))
    assert np.max(np.abs(_surface_frame(shape, theta, t, order=0)[:, 0]
                         - shape.surface(theta, t))) < 1e-8


def test_profile_table_derivatives_match_finite_differences(shape):
    from mvd_sim.anatomy.brainstem import _CAP_LENGTH_MM, _surface_frame

    rng = np.random.default_rng(22)
    theta, t = rng.uniform(-np.pi, np.pi, 2000), rng.uniform(0.2, np.pi - 0.2, 2000)
    # the profiles are only C1 at the cap junctions and the olives' ends: keep the
    # difference stencils off them
    olive = -shape.olive_centre_below_sulcus_mm
    kinks = shape.t_of_z(np.array([shape.z_bottom_mm + _CAP_LENGTH_MM,
                                   olive - shape.olive_half_length_mm,
                                   olive + shape.olive_half_length_mm,
                                   shape.z_top_mm - _CAP_LENGTH_MM]))
    smooth = np.min(np.abs(t[:, None] - kinks[None]), axis=1) > 1e-3
    theta, t = theta[smooth], t[smooth]
    _, s_theta, s_t, s_thth, s_tt, s_tht = _surface_frame(shape, theta, t).transpose(1, 0, 2)
    surface = shape.surface
    s = surface(theta, t)
    h = 1e-5
    assert_allclose(s_theta, (surface(theta + h, t) - surface(theta - h, t)) / (2 * h),
                    atol=1e-6)
    assert_allclose(s_t, (surface(theta, t + h) - surface(theta, t - h)) / (2 * h), atol=1e-5)
    h = 1e-4  # second differences: a step where rounding and truncation are both small
    assert_allclose(s_thth, (surface(theta + h, t) - 2 * s + surface(theta - h, t)) / h ** 2,
                    atol=1e-4)
    assert_allclose(s_tt, (surface(theta, t + h) - 2 * s + surface(theta, t - h)) / h ** 2,
                    atol=1e-3)
    assert_allclose(s_tht, (surface(theta + h, t + h) - surface(theta + h, t - h)
                            - surface(theta - h, t + h) + surface(theta - h, t - h))
                    / (4 * h * h), atol=1e-3)


def test_a_reach_limited_query_is_exact_within_reach_and_a_lower_bound_beyond(brainstem):
    """... and, asked to, exact everywhere inside."""
    rng = np.random.default_rng(23)
    points = rng.uniform(-25.0, 25.0, (3000, 3))
    exact = brainstem.signed_distance(points)
    reach = 2.0
    limited = brainstem.signed_distance(points, max_distance_mm=reach)
    within = np.abs(exact) <= reach
    assert np.count_nonzero(within) > 100
    assert_allclose(limited[within], exact[within], rtol=0, atol=1e-12)
    assert np.all(np.sign(limited) == np.sign(exact))
    assert np.all(np.abs(limited[~within]) <= np.abs(exact[~within]) + 1e-12)
    # asked to, it also solves every point inside exactly, however deep
    inside = brainstem.query(points, max_distance_mm=reach, exact_inside=True)
    deep = exact < -reach
    assert np.count_nonzero(deep) > 100
    assert_allclose(inside.signed_distance[exact < 0], exact[exact < 0], rtol=0, atol=1e-12)
    assert_allclose(inside.closest[deep], brainstem.query(points[deep]).closest, rtol=0,
                    atol=1e-12)
    assert_allclose(inside.signed_distance[exact > 0], limited[exact > 0], rtol=0, atol=0)


def test_clearance_is_exact_where_a_ball_enters_and_a_positive_bound_elsewhere(brainstem):
    rng = np.random.default_rng(24)
    points = rng.uniform(-25.0, 25.0, (3000, 3))
    radius = rng.uniform(0.2, 2.0, 3000)
    exact = brainstem.signed_distance(points) - radius
    clearance = brainstem.clearance(points, radius)
    enters = exact <= 0
    assert np.count_nonzero(enters) > 100 and np.count_nonzero(exact < -2.0) > 100
    assert_allclose(clearance[enters], exact[enters], rtol=0, atol=1e-12)
    assert np.all((clearance[~enters] > 0) & (clearance[~enters] <= exact[~enters] + 1e-12))
    # one radius for every ball
    exact = brainstem.signed_distance(points) - 0.5
    clearance = brainstem.clearance(points, 0.5)
    assert_allclose(clearance[exact <= 0], exact[exact <= 0], rtol=0, atol=1e-12)
    assert np.all(clearance[exact > 0] > 0)


def test_mesh_vertices_lie_on_the_surface(brainstem, fine_mesh):
    vertices, _ = fine_mesh
    sample = vertices[np.random.default_rng(2).choice(len(vertices), 5000, replace=False)]
    assert np.max(np.abs(brainstem.signed_distance(sample))) < ON_SURFACE_MM


def test_axis_points_are_inside(brainstem):
    z = np.linspace(-20.0, 20.0, 81)
    axis_midline = np.stack([np.zeros_like(z), np.zeros_like(z), z], axis=1)
    sd = brainstem.signed_distance(axis_midline - brainstem.origin_midline_mm)
    # the thinnest level is the medulla, 13 mm deep: the axis is at least ~5 mm inside
    assert np.all(sd < -5.0)


def test_far_points_are_outside_at_about_their_distance(brainstem):
    rng = np.random.default_rng(8)
    direction = rng.normal(size=(500, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    centre = np.array([0.0, 0.0, 0.0]) - brainstem.origin_midline_mm
    far = centre + 200.0 * direction
    sd = brainstem.signed_distance(far)
    # the brainstem fits in a 40 mm ball around the midline-frame origin
    assert np.all((sd > 200.0 - 40.0) & (sd < 200.0))


def test_distance_is_mirror_symmetric_about_the_midsagittal_plane(brainstem):
    rng = np.random.default_rng(9)
    points = rng.uniform(-30.0, 30.0, (2000, 3))
    mirror = brainstem.to_midline(points) * [-1.0, 1.0, 1.0] - brainstem.origin_midline_mm
    assert_allclose(brainstem.signed_distance(mirror), brainstem.signed_distance(points),
                    rtol=0, atol=1e-9)


# -- root exit point -------------------------------------------------------------------------

@pytest.mark.parametrize("arc_mm", [9.5, 12.0, 14.5, 20.0])
def test_root_exit_point_lies_on_the_surface(shape, arc_mm):
    rexp = shape.root_exit_point(arc_mm)
    placed = Brainstem(shape, rexp)
    assert abs(placed.signed_distance(np.zeros((1, 3)))[0]) < ON_SURFACE_MM
    assert rexp[0] > 0.0                      # walked toward the right lateral side


def test_scene_origin_is_the_root_exit_point(brainstem, shape):
    assert_allclose(brainstem.origin_midline_mm, shape.root_exit_point(12.0), rtol=0, atol=0)
    assert_allclose(brainstem.to_midline(np.zeros(3)), brainstem.origin_midline_mm,
                    rtol=0, atol=0)


@pytest.mark.parametrize("arc_mm", [5.0, 12.0, 20.0])
def test_root_exit_point_is_the_requested_arc_from_the_anterior_midline(shape, arc_mm):
    """The exit points for arcs 0..A trace the sulcus floor; that trace is A long."""
    start = 1e-3
    trace = np.array([shape.root_exit_point(a) for a in np.linspace(start, arc_mm, 80)])
    assert abs(trace[0, 0]) < 2 * start                 # begins on the midline (x = 0) ...
    assert trace[0, 1] > 0.0                            # ... anteriorly
    length = np.sum(np.linalg.norm(np.diff(trace, axis=0), axis=1))
    assert_allclose(length, arc_mm - start, rtol=2e-3, atol=0)


@pytest.mark.parametrize("arc_mm", [30.0, 100.0])
def test_exit_beyond_the_sulcus_misses_the_brainstem(shape, arc_mm):
    with pytest.raises(ScenarioError, match=rf"exit at {arc_mm:g} mm .*misses the brainstem"):
        shape.root_exit_point(arc_mm)


def test_offset_points_kept_by_value_are_fresh_arrays_of_the_same_bits(shape):
    """``offset_points`` keeps its last answers by the shape's, placement's and arguments'
    values (the default courses of a dataset's cases ask the same ones case after case):
    another brainstem of an equal shape and placement gets the bits computed afresh, a
    caller's change to one answer does not reach the next, and another height is not taken
    for a kept one."""
    theta, z, height = np.array([1.2, np.pi / 2]), np.array([3.0, 9.0]), np.array([0.7, 0.9])
    first = Brainstem(shape, shape.root_exit_point(12.0))
    other = Brainstem(BrainstemShape(), shape.root_exit_point(12.0).copy())
    first.offset_points(theta, z, height)[:] = 0.0
    again = other.offset_points(theta, z, height)
    assert np.array_equal(again, other._offset_points(theta, z, height))
    higher = other.offset_points(theta, z, np.array([0.7, 1.9]))
    assert np.array_equal(higher[0], again[0]) and not np.array_equal(higher[1], again[1])
    assert_allclose(other.signed_distance(higher), [0.7, 1.9], atol=1e-9)
    assert np.array_equal(other.offset_points(theta, z, 0.7)[0], again[0])
