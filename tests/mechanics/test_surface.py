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


def test_a_far_slot_has_its_exact_query_put_off_until_its_plane_could_matter(scene_of):
    """A slot queried beyond FAR_MM keeps a placeholder that lies farther than its reach
    from it; once it has moved near enough, ensure makes the exact query where it was asked:
    the tangent plane an exact query there gives, to the bit. A refresh puts it off again at
    the new point, its bound less the move."""
    brainstem = scene_of("atlas_default_right").brainstem
    near = brainstem.query(np.array([[0.0, 3.0, -2.0]]))
    normal = near.normal[0]
    start = near.closest[0] + 4.0 * normal
    surface = BrainstemSurface(brainstem, 1)
    slots, reach = np.array([0]), np.array([1.3])
    surface.ensure(slots, start[None], reach)
    assert surface.far[0] > BrainstemSurface.FAR_MM
    bound = surface.far[0]
    plane_distance = (start - surface.closest[0]) @ surface.normal[0]
    assert plane_distance >= bound
    nearer = start - (bound - reach[0] - 0.01) * normal   # not yet within its reach
    surface.ensure(slots, nearer[None], reach)
    assert np.isfinite(surface.far[0])
    assert (nearer - surface.closest[0]) @ surface.normal[0] > reach[0]
    surface.ensure(slots, (nearer - 0.02 * normal)[None], reach)
    exact = brainstem.query(start[None])
    assert np.isinf(surface.far[0])
    assert np.array_equal(surface.point[0], start)
    assert np.array_equal(surface.closest[0], exact.closest[0])
    assert np.array_equal(surface.normal[0], exact.normal[0])

    surface = BrainstemSurface(brainstem, 1)   # a slot whose reach is beyond the bound
    surface.ensure(slots, start[None], np.array([bound + 0.1]))
    assert np.isinf(surface.far[0]) and np.array_equal(surface.closest[0], exact.closest[0])

    surface = BrainstemSurface(brainstem, 1)
    surface.ensure(slots, start[None], reach)
    bound = surface.far[0]
    moved = start + 0.5 * normal
    assert surface.refresh(moved[None]) == 1
    assert np.array_equal(surface.point[0], moved)
    assert surface.far[0] == bound - np.linalg.norm(moved - start)
