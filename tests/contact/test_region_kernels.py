"""A nerve's regions, which solve only the segment pairs that decide them, against every pair
within the margin grouped in numpy (issue #27, part 12)."""

import numpy as np
import pytest

from mvd_sim.contact.analysis import _nerve_regions

from ..conftest import bundled_scene


def _regions_from_every_pair(nerve, scene, margin, contact_mm):
    """Per vessel, each region's ``(placed_s, gap, nerve point, vessel point)`` and, for a
    region within ``contact_mm``, its span and vessel rows, from ``near_pairs`` of the nerve
    and all vessels: grouped by vessel and segment (a stable sort), runs of segments at most
    2 apart, the first pair of least gap of each, the pairs within the threshold."""
    mine, theirs = nerve.segments, scene.vessel_segments
    a, b, s, t, gap = mine.near_pairs(theirs, margin)
    owner, local = theirs.owner[b], theirs.local[b]
    order = np.argsort(owner * (local.max(initial=0) + 1) + local, kind="stable")
    out = [[] for _ in scene.vessels]
    start = 0
    for m in range(1, len(order) + 1):
        if m < len(order) and owner[order[m]] == owner[order[m - 1]] \
                and local[order[m]] - local[order[m - 1]] <= 2:
            continue
        run = order[start:m]
        start = m
        deepest = run[np.argmin(gap[run])]
        near = run[gap[run] <= contact_mm]
        found = (float(mine.arc0[a[deepest]] + 2 * s[deepest] * mine.half[a[deepest]]),
                 float(gap[deepest]), mine.point(a[deepest], s[deepest]),
                 theirs.point(b[deepest], t[deepest]))
        if len(near):
            lo, hi = a[near].min(), a[near].max()
            found += ((float(mine.arc0[lo]), float(mine.arc0[hi] + 2 * mine.half[hi])),
                      (max(local[near].min() - 1, 0), local[near].max() + 3))
        out[owner[deepest]].append(found)
    return out


@pytest.mark.parametrize("scenario", ["multi_aica_pica_right", "va_pushes_aica_right",
                                      "double_aica_loop_right", "vein_rexp_mild_right"])
@pytest.mark.parametrize("margin, contact_mm", [(0.5, 0.05), (1.5, 0.3), (3.0, -0.1)])
def test_regions_are_those_of_every_pair_within_the_margin(scenario, margin, contact_mm):
    """The same regions, deepest points and gaps (to the bit), and for each region in contact
    the same span and vessel stretch, as grouping every pair within the margin."""
    scene = bundled_scene(scenario)
    vessels = list(scene.vessels.values())
    seen = touching = 0
    for nerve in scene.nerves.values():
        found = _nerve_regions(nerve, vessels, scene.vessel_segments, margin, contact_mm)
        expected = _regions_from_every_pair(nerve, scene, margin, contact_mm)
        for vessel, regions, wanted in zip(vessels, found, expected):
            assert len(regions) == len(wanted), vessel.name
            for region, want in zip(regions, wanted):
                assert (region.placed_s, region.gap) == want[:2]
                assert np.array_equal(region.nerve_centre, want[2])
                assert np.array_equal(region.vessel_centre, want[3])
                seen += 1
                if len(want) > 4:
                    start, stop = want[5]
                    assert region.span == want[4]
                    assert np.array_equal(region.surface.points,
                                          vessel.points[start:min(stop, len(vessel.points))])
                    touching += 1
    assert seen > 0 and (touching > 0 or contact_mm < 0)


def test_a_region_out_of_contact_spans_its_deepest_pairs_segment():
    """Where no pair is within the threshold, the region's span is its deepest pair's nerve
    segment (its patch is never asked, so its other pairs are not all solved)."""
    scene = bundled_scene("multi_aica_pica_right")
    vessels = list(scene.vessels.values())
    nerve = scene.nerves["CN7"]
    regions = [r for found in _nerve_regions(nerve, vessels, scene.vessel_segments, 3.0, -5.0)
               for r in found]
    assert regions
    arc0, half = nerve.segments.arc0, nerve.segments.half
    for region in regions:
        (k,) = np.flatnonzero(arc0 == region.span[0])
        assert region.span[1] == arc0[k] + 2 * half[k]
        assert region.span[0] <= region.placed_s <= region.span[1]
