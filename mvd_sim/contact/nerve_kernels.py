"""Compiled kernel of every tube vessel's findings on one nerve in one call: the regions where
the vessels come near it (:func:`mvd_sim.contact.region_kernels.nerve_regions`), each
touching region's patch and description (:func:`mvd_sim.contact.patch_kernels.tube_patch`,
:func:`mvd_sim.contact.describe_kernels.describe_contact`) and each region's place on the
nerve at rest (:func:`mvd_sim.contact.analysis._tube_findings` makes the report's entries
from them). The same kernels as one call per contact ran, on the same arguments, so the same
numbers; one dispatch a nerve instead of one a contact. Scene frame, mm.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.contact.describe_kernels import describe_contact, interp
from mvd_sim.contact.patch_kernels import patch_area, tube_patch
from mvd_sim.contact.region_kernels import nerve_regions
from mvd_sim.core.compiled import FLOAT, array, compiled

__all__ = ["nerve_findings"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)


@compiled(_P, _P, _P, _IDX, _V, _V, _P, _P, _P, _IDX, _IDX, _IDX, _V, _V, _P, _P, _V, _V,
          _IDX, _V, _P, _V, array(3, contiguous=True), _P, _V, _P, _V, FLOAT, _P, FLOAT, FLOAT,
          FLOAT)
def nerve_findings(segments, balls, runs, run_start, arc0, half,
                   vessel_segments, vessel_balls, vessel_runs, vessel_run_start, owner, local,
                   vessel_arc0, vessel_half, vessel_points, vessel_tangents, vessel_s,
                   vessel_radius, point_start, s, points, radius, segment_frames, tangents,
                   rest_s, rest_points, landmarks, spacing, around, margin, contact_mm,
                   lateral):
    """The regions of the vessels near a nerve, and each one's description.

    Parameters
    ----------
    segments, ..., point_start : arrays
        :func:`~mvd_sim.contact.region_kernels.nerve_regions`'s arguments, with the vessels'
        stacked radii ``vessel_radius`` (the rows of ``vessel_points``).
    s, points, radius, segment_frames, tangents : arrays
        The nerve as placed (:class:`mvd_sim.core.tube.Tube`).
    rest_s, rest_points : arrays
        The nerve at rest.
    landmarks : (4,) float, mm
        As :func:`~mvd_sim.contact.describe_kernels.describe_contact` takes them.
    spacing : float, mm
        The patch's ring spacing.
    around : (m, 2) float
        ``cos`` and ``sin`` of each sample's angle round a ring.
    margin, contact_mm : float, mm
        The near-miss margin and the contact threshold.
    lateral : float
        ``+1`` on a right case, ``-1`` on a left one.

    Returns
    -------
    vessel, numbers : arrays
        :func:`~mvd_sim.contact.region_kernels.nerve_regions`'s regions (``keep`` is the
        stretch of the vessel each patch is measured against).
    described : (k, 12) float
        For a region within ``contact_mm`` (``numbers[:, 1]``): ``s_deep``, ``s_start``,
        ``s_end`` (mm, rest course), the deviation (mm), the patch's area (mm^2), the
        crossing angle's cosine, the nerve's and the vessel's surface points (3 each);
        for any other only ``s_deep`` (its deepest point on the rest course).
    codes : (k, 3) int
        The segment index of ``s_deep`` (:data:`mvd_sim.anatomy.landmarks.SEGMENTS`), and
        for a region in contact whether it is centrally myelinated and its side's index
        (:data:`mvd_sim.core.approach.SIDES`).
    """
    vessel, numbers, keep = nerve_regions(
        segments, balls, runs, run_start, arc0, half, vessel_segments, vessel_balls,
        vessel_runs, vessel_run_start, owner, local, vessel_arc0, vessel_half, vessel_points,
        vessel_tangents, vessel_s, point_start, margin, contact_mm)
    count = len(vessel)
    described = np.zeros((count, 12))
    codes = np.zeros((count, 3), np.intp)
    half_zone = 0.5 * landmarks[2]
    for r in range(count):
        row, out = numbers[r], described[r]
        placed_s, gap = row[0], row[1]
        if gap > contact_mm:
            s_deep = interp(placed_s, s, rest_s)
            out[0] = s_deep
            codes[r, 0] = 0 if s_deep < landmarks[0] else 1 if \
                s_deep < landmarks[1] - half_zone else 2 if \
                s_deep <= landmarks[1] + half_zone else 3
            continue
        p0 = point_start[vessel[r]]
        stretch = vessel_points[p0 + keep[r, 0]:p0 + keep[r, 1]]
        stretch_radius = vessel_radius[p0 + keep[r, 0]:p0 + keep[r, 1]]
        ring_s, fraction, ring_area, touching = tube_patch(
            s, points, radius, segment_frames, row[11], row[12], spacing, around, stretch,
            stretch_radius, contact_mm)
        (s_deep, s_start, s_end, deviation, segment, central, side, cosine, nerve_point,
         vessel_point) = describe_contact(
            s, points, radius, tangents, rest_s, rest_points, landmarks, placed_s, ring_s,
            touching, spacing, (row[2], row[3], row[4]), (row[5], row[6], row[7]),
            (row[8], row[9], row[10]), gap, lateral)
        out[0], out[1], out[2], out[3] = s_deep, s_start, s_end, deviation
        out[4], out[5] = patch_area(fraction, ring_area), cosine
        for c in range(3):
            out[6 + c], out[9 + c] = nerve_point[c], vessel_point[c]
        codes[r, 0], codes[r, 1], codes[r, 2] = segment, central, side
    return vessel, numbers, described, codes
