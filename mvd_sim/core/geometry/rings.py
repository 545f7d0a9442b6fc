"""Sample a tube's surface on rings, with the area each sample stands for.

Used to measure contact patches: the surface between arc lengths ``s0`` and ``s1`` is cut into
rings ``ds`` apart with ``n`` samples around each, each sample standing for a patch of
``r(s) * (2 pi / n) * ds`` mm^2 (the exact area element of a straight tube; curvature changes
it by the factor ``1 - kappa r cos(phi)``, which averages out around a ring).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["SurfaceSamples", "surface_samples", "ring_angles"]


@dataclass(frozen=True, eq=False)
class SurfaceSamples:
    """Samples of a tube's surface.

    Attributes
    ----------
    s : (k,) float, mm
        Arc length of each ring along the tube.
    points : (k, n, 3) float, mm
        Surface points, ring by ring.
    area : (k,) float, mm^2
        Area each sample of a ring stands for.
    centre : (k, 3) float, mm
        Ring centres on the centerline.
    """

    s: np.ndarray
    points: np.ndarray
    area: np.ndarray
    centre: np.ndarray


@cache
def ring_angles(n_around: int) -> np.ndarray:
    """(n_around, 2): ``cos`` and ``sin`` of each sample's angle round a ring, from 0 in
    steps of ``2 pi / n_around`` (read-only, one array per count)."""
    phi = np.arange(n_around) * (2 * np.pi / n_around)
    around = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    around.flags.writeable = False
    return around


def surface_samples(s_mm: np.ndarray, points: np.ndarray, radius: np.ndarray,
                    segment_frames: np.ndarray, s0: float, s1: float, ds: float = 0.05,
                    n_around: int = 48) -> SurfaceSamples:
    """Rings of surface samples of a tube between arc lengths ``s0`` and ``s1`` (clipped).

    Parameters
    ----------
    s_mm : (n,) float, mm
        Arc length of each centerline point.
    points : (n, 3) float, mm
        Centerline points.
    radius : (n,) float, mm
        Radius at each point.
    segment_frames : (n - 1, 2, 3) float
        Each segment's normal and binormal (parallel transport).
    s0, s1 : float, mm
    ds : float, mm
        Ring spacing; default 0.05.
    n_around : int
        Samples around each ring; default 48.

    Ring centres and radii are interpolated linearly on the centerline; each ring lies in the
    plane normal to its segment, oriented by the segment's frame.
    """
    s0, s1 = max(s0, 0.0), min(s1, float(s_mm[-1]))
    count = max(int(np.ceil((s1 - s0) / ds)), 1)
    s = s0 + (np.arange(count) + 0.5) * ((s1 - s0) / count)
    seg = np.minimum(np.maximum(np.searchsorted(s_mm, s, side="right") - 1, 0),
                     len(s_mm) - 2)
    u = (s - s_mm[seg]) / (s_mm[seg + 1] - s_mm[seg])
    start, end = np.take(points, seg, axis=0), np.take(points, seg + 1, axis=0)
    centre = start + u[:, None] * (end - start)
    ring_radius = radius[seg] + u * (radius[seg + 1] - radius[seg])
    around = ring_angles(n_around)
    # cos(phi) normal + sin(phi) binormal of each ring's segment: (k, n_around, 3), as
    # products and a sum (not a matrix product: BLAS may fuse them, by CPU, and the patch
    # kernel, :mod:`mvd_sim.contact.patch_kernels`, computes the same numbers)
    frames = np.take(segment_frames, seg, axis=0)
    ring = around[None, :, 0, None] * frames[:, None, 0, :] + \
        around[None, :, 1, None] * frames[:, None, 1, :]
    samples = centre[:, None, :] + ring_radius[:, None, None] * ring
    area = ring_radius * (2 * np.pi / n_around) * ((s1 - s0) / count)
    return SurfaceSamples(s, samples, area, centre)
