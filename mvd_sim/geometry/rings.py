"""Sample a tube's surface on rings, with the area each sample stands for.

Used to measure contact patches: the surface between arc lengths ``s0`` and ``s1`` is cut into
rings ``ds`` apart with ``n`` samples around each, each sample standing for a patch of
``r(s) * (2 pi / n) * ds`` mm^2 (the exact area element of a straight tube; curvature changes
it by the factor ``1 - kappa r cos(phi)``, which averages out around a ring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.tube import Tube

__all__ = ["SurfaceSamples", "surface_samples"]


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


def surface_samples(tube: Tube, s0: float, s1: float, ds: float = 0.05,
                    n_around: int = 48) -> SurfaceSamples:
    """Rings of surface samples between arc lengths ``s0`` and ``s1`` (clipped to the tube).

    Ring centres and radii are interpolated linearly on the centerline; each ring lies in the
    plane normal to its segment, oriented by the segment's parallel-transport frame.
    """
    s0, s1 = max(s0, 0.0), min(s1, tube.length_mm)
    count = max(int(np.ceil((s1 - s0) / ds)), 1)
    s = s0 + (np.arange(count) + 0.5) * ((s1 - s0) / count)
    seg = np.minimum(np.maximum(np.searchsorted(tube.s, s, side="right") - 1, 0),
                     len(tube.s) - 2)
    u = (s - tube.s[seg]) / (tube.s[seg + 1] - tube.s[seg])
    start, end = np.take(tube.points, seg, axis=0), np.take(tube.points, seg + 1, axis=0)
    centre = start + u[:, None] * (end - start)
    radius = tube.radius[seg] + u * (tube.radius[seg + 1] - tube.radius[seg])
    phi = np.arange(n_around) * (2 * np.pi / n_around)
    around = np.stack([np.cos(phi), np.sin(phi)], axis=1)            # (n_around, 2)
    # cos(phi) normal + sin(phi) binormal of each ring's segment: (k, n_around, 3)
    ring = around @ np.take(tube.segment_frames, seg, axis=0)
    points = centre[:, None, :] + radius[:, None, None] * ring
    area = radius * (2 * np.pi / n_around) * ((s1 - s0) / count)
    return SurfaceSamples(s, points, area, centre)
