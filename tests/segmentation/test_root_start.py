"""Where an imported root starts, by closed form: a root whose centerline runs on inside
the fitted brainstem (a root leaving it at an angle: its label ends on the brainstem's and
the line is carried on to the label's end face) starts where its axis leaves the fitted
surface; a root lying on the brainstem is left as it is."""

import numpy as np
import pytest

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.segmentation.centerline import Centerline
from mvd_sim.segmentation.importer import _rooted


@pytest.mark.parametrize("angle_deg", [90.0, 50.0, 25.0])
def test_a_root_that_runs_on_inside_the_brainstem_starts_where_its_axis_leaves_it(
        angle_deg):
    """A straight line from 1.2 mm inside the (atlas) brainstem out through a known surface
    point at a known angle to the surface: the start is that point."""
    brainstem = Brainstem(BrainstemShape(), np.zeros(3))
    surface_point = brainstem.query(np.array([[14.0, 4.0, 6.0]])).closest[0]
    normal = brainstem.query(surface_point[None]).normal[0]
    tangent = np.cross(normal, [0.0, 0.0, 1.0])
    tangent /= np.linalg.norm(tangent)
    angle = np.radians(angle_deg)
    axis = np.sin(angle) * normal + np.cos(angle) * tangent
    s = np.arange(-1.2, 20.0, 0.5)
    line = Centerline(surface_point + s[:, None] * axis, np.full(len(s), 1.0))
    start = _rooted(brainstem, line).points[0]
    # linear between two points 0.5 mm apart across a surface curved on a ~10 mm scale
    assert np.linalg.norm(start - surface_point) < 0.02
    assert np.linalg.norm(start - line.points[0]) > 1.0


def test_a_root_lying_on_the_brainstem_is_left_as_it_is():
    brainstem = Brainstem(BrainstemShape(), np.zeros(3))
    surface_point = brainstem.query(np.array([[14.0, 4.0, 6.0]])).closest[0]
    normal = brainstem.query(surface_point[None]).normal[0]
    tangent = np.cross(normal, [0.0, 0.0, 1.0])
    tangent /= np.linalg.norm(tangent)
    s = np.arange(0.0, 20.0, 0.5)
    line = Centerline(surface_point + normal + s[:, None] * tangent, np.full(len(s), 1.0))
    assert np.array_equal(_rooted(brainstem, line).points, line.points)
