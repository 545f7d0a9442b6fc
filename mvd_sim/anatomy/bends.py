"""How tightly a vessel bends, and whether it folds through itself.

An artery loops, but a tube bent tighter than its own radius folds its inner wall through
itself, and one whose course comes back on itself passes through its own wall. A vessel's
bend radius (1/curvature of its centerline, measured over one vessel radius of arc either side,
:func:`mvd_sim.core.geometry.curve.bend_radius`) therefore stays at least
:data:`MIN_BEND_RADIUS_TO_VESSEL_RADIUS` times its own radius there, and no two parts of it
that are not neighbours along it come closer than the sum of their radii. Lengths in mm, in
the scene frame.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry import curve
from mvd_sim.core.tube import Tube

__all__ = ["MIN_BEND_RADIUS_TO_VESSEL_RADIUS", "bend_ratios", "self_contacts",
           "check_vessel_shape"]

#: *estimate*: the smallest bend radius a vessel may have, in its own radii. At 1 the inner
#: wall of the bend touches itself; 1.5 leaves the lumen open with a margin (no published
#: number: issue #22 asks for at least 1.5).
MIN_BEND_RADIUS_TO_VESSEL_RADIUS = 1.5


def bend_ratios(points: np.ndarray, radius_mm: np.ndarray) -> np.ndarray:
    """(n,) float: each point's bend radius over the vessel's radius there (``inf`` where
    straight). ``points`` (n, 3) and ``radius_mm`` (n,), mm."""
    s = curve.arc_length(points)
    return curve.bend_radius(points, s, radius_mm) / radius_mm


def self_contacts(tube: Tube) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a tube passes through itself: pairs of its segments whose exact surface gap
    (:meth:`mvd_sim.core.geometry.closest.SegmentSet.near_pairs`) is at most 0 although
    they lie farther apart along it than half the circumference of a circle of the two
    radii's sum, ``pi (r_a + r_b) / 2`` (closer along it, a bend at the floor's radius brings
    them that near without any fold).

    Returns
    -------
    s_a, s_b : (k,) float, mm
        Arc lengths of each pair's closest points, ``s_a < s_b``.
    gap : (k,) float, mm
        Their surface gap (negative: overlapping).
    """
    s, radius = tube.s, tube.radius
    # a pair whose points all lie within pi r_min of arc of each other (1e-6 mm to spare for
    # the arcs' rounding) is never folded, whatever its radii: it is not searched (a segment
    # and its neighbours always touch)
    a, b, u, v, gap = tube.segments.self_near_pairs(0.0, np.pi * float(radius.min()) - 1e-6)
    s_a = s[a] + u * (s[a + 1] - s[a])
    s_b = s[b] + v * (s[b + 1] - s[b])
    s_a, s_b = np.minimum(s_a, s_b), np.maximum(s_a, s_b)
    r_sum = np.interp(s_a, s, radius) + np.interp(s_b, s, radius)
    folded = (s_b - s_a) > 0.5 * np.pi * r_sum
    return s_a[folded], s_b[folded], gap[folded]


def check_vessel_shape(tube: Tube, field: str, remedy: str) -> None:
    """Refuse a vessel bent tighter than the floor or passing through itself.

    Raises
    ------
    ScenarioError
        One line naming ``field``, where along the vessel and by how much, and ``remedy``.
    """
    ratio = bend_ratios(tube.points, tube.radius)
    k = int(np.argmin(ratio))
    if ratio[k] < MIN_BEND_RADIUS_TO_VESSEL_RADIUS:
        raise ScenarioError(
            f"{field}: {tube.name} would bend with a radius of "
            f"{ratio[k] * tube.radius[k]:.2f} mm at s = {tube.s[k]:.1f} mm along it, "
            f"{ratio[k]:.2f} times its own radius (at least "
            f"{MIN_BEND_RADIUS_TO_VESSEL_RADIUS:g} needed); {remedy}")
    s_a, s_b, gap = self_contacts(tube)
    if len(gap):
        j = int(np.argmin(gap))
        raise ScenarioError(
            f"{field}: {tube.name} would pass through itself ({-gap[j]:.2f} mm deep, "
            f"between s = {s_a[j]:.1f} and {s_b[j]:.1f} mm along it); {remedy}")
