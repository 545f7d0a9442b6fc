"""The brainstem's per-slot tangent planes: exact where new, kept until refreshed."""

import numpy as np
import pytest

from mvd_sim.mechanics.surface import BrainstemSurface


def test_the_brainstem_state_keeps_a_tangent_plane_until_refreshed(scene_of):
    """A slot queried once sees the brainstem as its tangent plane there; refresh re-queries
    it exactly only once it has moved more than REQUERY_MM."""
    brainstem = scene_of("atlas_default_right").brainstem
    near = brainstem.query(np.array([[0.0, 3.0, -2.0]]))
    normal = near.normal[0]
    tangent = np.cross(normal, [0.0, 0.0, 1.0])
    tangent /= np.linalg.norm(tangent)
    surface = BrainstemSurface(brainstem, 2)
    here = near.closest[0] + 0.2 * normal
    distance, found = surface.query(np.array([0]), here[None])
    assert distance[0] == pytest.approx(0.2, abs=1e-9)
    np.testing.assert_allclose(found[0], normal, atol=1e-9)
    positions = np.stack([here + 0.04 * tangent, np.zeros(3)])  # slot 1: never queried
    assert surface.refresh(positions) == 0
    distance, _ = surface.query(np.array([0]), positions[:1])
    assert distance[0] == pytest.approx(0.2, abs=1e-12)  # on the plane, not the surface
    positions[0] = here + 0.2 * tangent
    assert surface.refresh(positions) == 1
    distance, _ = surface.query(np.array([0]), positions[:1])
    assert distance[0] == pytest.approx(brainstem.signed_distance(positions[:1])[0], abs=1e-9)
    assert distance[0] > 0.2  # the brainstem curves away from its tangent plane
    assert np.isinf(surface.point[1]).all()
