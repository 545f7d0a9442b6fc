"""Tests of mvd_sim.contact.patch_kernels' bounds (lengths in mm); the patches themselves are
held to the numpy sampling in tests/contact/test_analysis.py."""

from __future__ import annotations

import numpy as np
import pytest

from mvd_sim.contact.patch_kernels import _ring_beyond


def _ring_gaps(centre, ring_radius, normal, binormal, vessel, vessel_radius, samples=720):
    """Each of a ring's densely spaced points' surface gap to the tube vessel (numpy)."""
    angle = np.linspace(0.0, 2 * np.pi, samples, endpoint=False)
    points = centre + ring_radius * (np.cos(angle)[:, None] * normal
                                     + np.sin(angle)[:, None] * binormal)
    start, d = vessel[:-1], np.diff(vessel, axis=0)
    u = np.clip(np.einsum("pkc,kc->pk", points[:, None] - start, d)
                / np.einsum("kc,kc->k", d, d), 0.0, 1.0)
    foot = start + u[..., None] * d
    dist = np.linalg.norm(points[:, None] - foot, axis=2)
    nearest = dist.argmin(axis=1)
    rows = np.arange(samples)
    radius = vessel_radius[nearest] + u[rows, nearest] * (vessel_radius[nearest + 1]
                                                          - vessel_radius[nearest])
    return dist[rows, nearest] - radius


@pytest.mark.parametrize("threshold", [0.05, 0.3])
def test_a_ring_said_beyond_the_threshold_has_no_point_within_it(threshold):
    """Random rings beside random vessels: wherever the bound passes a ring over, every
    point of it is farther than the threshold; and it passes over rings whose centres' own
    bound could not (the vessel beside the ring's plane, not through it)."""
    rng = np.random.default_rng(3)
    said, centre_could_not = 0, 0
    for _ in range(400):
        tangent = rng.normal(size=3)
        tangent /= np.linalg.norm(tangent)
        normal = np.cross(tangent, rng.normal(size=3))
        normal /= np.linalg.norm(normal)
        binormal = np.cross(tangent, normal)
        centre = rng.normal(scale=0.5, size=3)
        ring_radius = rng.uniform(0.5, 1.5)
        vessel = centre + rng.normal(scale=1.5, size=3) + np.cumsum(
            rng.normal(scale=0.3, size=(12, 3)) + rng.normal(size=3), axis=0)
        vessel_radius = rng.uniform(0.3, 1.0, len(vessel))
        near = np.arange(len(vessel) - 1, dtype=np.intp)
        beyond = _ring_beyond(tuple(centre), ring_radius, normal, binormal, vessel,
                              vessel_radius, near, len(near), threshold)
        if beyond:
            said += 1
            assert _ring_gaps(centre, ring_radius, normal, binormal, vessel,
                              vessel_radius).min() > threshold
            start, d = vessel[:-1], np.diff(vessel, axis=0)
            u = np.clip(np.einsum("kc,kc->k", centre - start, d) / np.einsum("kc,kc->k", d, d),
                        0.0, 1.0)
            reach = np.linalg.norm(centre - (start + u[:, None] * d), axis=1)
            centre_could_not += reach.min() - ring_radius - vessel_radius.max() <= threshold
    assert said > 20 and centre_could_not > 5
