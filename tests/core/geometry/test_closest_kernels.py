"""Tests of mvd_sim.core.geometry.closest_kernels: the bounds the searches prune with, and the
searches over stacked tubes against each tube on its own (lengths in mm)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.core.geometry import closest_kernels as kernels
from mvd_sim.core.geometry.closest import SegmentSet, segment_min_gap


def _random_tube(rng, n: int, offset) -> tuple[np.ndarray, np.ndarray]:
    points = np.cumsum(rng.normal(scale=0.4, size=(n, 3)), axis=0) + offset
    return points, rng.uniform(0.2, 1.2, n)


def _surface_samples(points, radius, rng, per_segment: int = 40) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """Points on each segment's tube surface (random directions, linear radius), and the
    segment each belongs to."""
    k = len(points) - 1
    seg = np.repeat(np.arange(k), per_segment)
    u = rng.uniform(0, 1, len(seg))
    direction = rng.normal(size=(len(seg), 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    centre = points[seg] + u[:, None] * (points[seg + 1] - points[seg])
    r = radius[seg] + u * (radius[seg + 1] - radius[seg])
    return centre + r[:, None] * direction, seg


@pytest.mark.parametrize("n", [2, 9, 40, 123])
def test_balls_hold_what_they_bound(n):
    rng = np.random.default_rng(n)
    points, radius = _random_tube(rng, n, 0.0)
    segments, half, arc0, balls, runs, run_start, box = kernels.tube_segments(points, radius)
    assert_array_equal(run_start, list(range(0, n - 1, kernels.BLOCK)) + [n - 1])
    np.testing.assert_allclose(arc0 + 2 * half, np.cumsum(np.linalg.norm(
        np.diff(points, axis=0), axis=1)), rtol=0, atol=1e-12)
    surface, seg = _surface_samples(points, radius, rng)
    run = np.searchsorted(run_start, seg, side="right") - 1
    slack = 1e-12
    assert np.all(np.linalg.norm(surface - balls[seg, :3], axis=1) <= balls[seg, 3] + slack)
    assert np.all(np.linalg.norm(surface - runs[run, :3], axis=1) <= runs[run, 3] + slack)
    assert np.all((surface >= box[0] - slack) & (surface <= box[1] + slack))


def test_searches_over_stacked_tubes_match_each_tube_alone():
    """A stack of five tubes (run boundaries inside each tube, none across tubes) against
    a sixth: the same pairs within 1.5 mm and the same nearest gap per tube as tube by tube,
    with more than the near-pair search's first 64 slots filled."""
    rng = np.random.default_rng(5)
    tubes = [SegmentSet.of(*_random_tube(rng, n, rng.normal(scale=2.0, size=3)))
             for n in (30, 17, 9, 44, 25)]
    other = SegmentSet.of(*_random_tube(rng, 50, 0.0))
    stack = SegmentSet.stack(tubes)
    a, b, s, t, gap = other.near_pairs(stack, 1.5)
    assert len(a) > 64
    found = sorted(zip(a, stack.owner[b], stack.local[b]))
    alone = sorted((i, k, j) for k, tube in enumerate(tubes)
                   for i, j in zip(*other.near_pairs(tube, 1.5)[:2]))
    assert found == alone
    nearest = other.nearest_by_tube(stack)[0]
    assert nearest.shape == (len(tubes),)
    for k, tube in enumerate(tubes):
        assert nearest[k] == other.nearest_pair(tube)[4]
        *_, gaps = other.near_pairs(tube, np.inf)
        assert nearest[k] == pytest.approx(gaps.min(), abs=1e-12)



@pytest.mark.parametrize("apart_mm", [-1.0, 0.5, 2.0, 6.0])
def test_self_near_pairs_are_near_pairs_less_those_close_along_the_tube(apart_mm):
    """A random tube (curled, so it crosses itself) against itself: ``self_near_pairs`` gives
    ``near_pairs``' pairs, in its order, to the bit, less exactly those whose farthest
    points lie within ``apart_mm`` of arc (none left out for a negative one)."""
    rng = np.random.default_rng(11)
    points, radius = _random_tube(rng, 120, 0.0)
    tube = SegmentSet.of(points, radius)
    a, b, s, t, gap = tube.near_pairs(tube, 0.3)
    end = tube.arc0 + 2.0 * tube.half
    farthest = np.maximum(end[b] - tube.arc0[a], end[a] - tube.arc0[b])
    kept = farthest > apart_mm if apart_mm >= 0 else np.ones(len(a), dtype=bool)
    assert 0 < np.count_nonzero(kept) and (apart_mm < 0 or not np.all(kept))
    for mine, theirs in zip(tube.self_near_pairs(0.3, apart_mm), (a, b, s, t, gap)):
        assert_array_equal(mine, theirs[kept])


def _nearest_per_segment(pairs) -> tuple[np.ndarray, ...]:
    """``near_pairs``' answer reduced to each segment of the first tube's pair of least gap
    (the first in its order on a tie), by segment."""
    a, b, s, t, gap = pairs
    keep = []
    for i in np.unique(a):
        rows = np.flatnonzero(a == i)
        keep.append(rows[np.argmin(gap[rows])])
    keep = np.array(keep, dtype=np.intp)
    return a[keep], b[keep], s[keep], t[keep], gap[keep]


def test_a_ball_said_apart_from_a_tubes_box_is_apart_from_each_of_its_runs():
    """Each tube's box holds its runs' balls, and a ball :func:`_ball_box_apart` passes over
    is :func:`_apart` from every run of that tube (the run search skips none it would
    test); some are passed over."""
    rng = np.random.default_rng(4)
    stack = SegmentSet.stack([
        SegmentSet.of(*_random_tube(rng, n, rng.normal(scale=3.0, size=3))) for n in (30, 17, 44)])
    boxes = kernels.tube_boxes(stack.runs, stack.tube_runs)
    passed = 0
    for k in range(3):
        runs = stack.runs[stack.tube_runs[k]:stack.tube_runs[k + 1]]
        assert np.all(runs[:, :3] - runs[:, 3:] >= boxes[k, :3])
        assert np.all(runs[:, :3] + runs[:, 3:] <= boxes[k, 3:])
        for margin in (0.05, 1.5):
            for i in range(len(stack.balls)):
                if kernels._ball_box_apart(stack.balls, i, boxes, k, margin):
                    passed += 1
                    assert all(kernels._apart(stack.balls, i, stack.runs, r, margin)
                               for r in range(stack.tube_runs[k], stack.tube_runs[k + 1]))
    assert passed > 10


@pytest.mark.parametrize("margin", [0.05, 1.5])
def test_nearest_pairs_of_tubes_of_a_stack_in_one_call_are_those_tube_by_tube(margin):
    """Every asked pair of tubes of a stack, searched in one call for each segment's nearest
    pair within the margin: the same segments, pairs and numbers as each pair's own two sets'
    near pairs reduced to each segment's least gap (which pairs it passes over unsolved
    cannot change); pairs not asked give none."""
    rng = np.random.default_rng(8)
    tubes = [SegmentSet.of(*_random_tube(rng, n, rng.normal(scale=1.5, size=3)))
             for n in (30, 17, 9, 44, 25)]
    stack = SegmentSet.stack(tubes)
    asked = np.triu(np.ones((5, 5), dtype=bool), 1)
    asked[1, 3] = False
    pair, a, b, s, t, gap = stack.nearest_near_pairs_by_tube(asked, margin)
    assert len(pair) > 10 and np.all(np.diff(pair) >= 0)
    for k in range(5):
        for m in range(5):
            rows = pair == k * 5 + m
            if not asked[k, m]:
                assert not rows.any()
                continue
            alone = _nearest_per_segment(tubes[k].near_pairs(tubes[m], margin))
            found = (stack.local[a[rows]], stack.local[b[rows]], s[rows], t[rows], gap[rows])
            for x, y in zip(found, alone):
                assert np.array_equal(x, y)
    assert len(np.unique(pair)) > 1


def test_segments_said_apart_are_farther_apart_than_the_margin():
    """The pruning test (balls, then separation along the line through the midpoints) never
    skips a pair within the margin, and it skips pairs side by side the balls cannot."""
    rng = np.random.default_rng(9)
    k = 3000
    start = rng.uniform(-3, 3, (2 * k, 3))
    end = start + rng.normal(scale=0.4, size=(2 * k, 3))
    radius = rng.uniform(0.1, 1.0, (2 * k, 2))
    a = SegmentSet.stack([SegmentSet.of(np.stack([s, e]), r)
                          for s, e, r in zip(start[:k], end[:k], radius[:k])])
    b = SegmentSet.stack([SegmentSet.of(np.stack([s, e]), r)
                          for s, e, r in zip(start[k:], end[k:], radius[k:])])
    rows = np.arange(k)
    *_, gap = segment_min_gap(a.start, a.end, a.r0, a.r1, b.start, b.end, b.r0, b.r1)
    for margin in (-0.5, 0.0, 0.5, 2.0):
        apart = np.array([kernels._segments_apart(a.segments, a.balls, i, b.segments,
                                                  b.balls, i, margin) for i in rows])
        assert np.all(gap[apart] > margin)
        assert apart.any()
    # side by side: parallel 0.3 mm segments 2 mm apart (radius 0.1), the second shifted
    # 0.9 mm along: gap sqrt(2^2 + 0.6^2) - 0.2 = 1.888 mm. Their balls cannot tell it from
    # 1.85 mm (bound 1.693); the separation along the midpoints' line can (bound 1.870)
    line = np.array([[0.0, 0, 0], [0.3, 0, 0]])
    near, shifted = SegmentSet.of(line, 0.1), SegmentSet.of(line + [0.9, 2.0, 0], 0.1)
    assert not kernels._apart(near.balls, 0, shifted.balls, 0, 1.85)
    assert kernels._segments_apart(near.segments, near.balls, 0, shifted.segments,
                                   shifted.balls, 0, 1.85)
    assert not kernels._segments_apart(near.segments, near.balls, 0, shifted.segments,
                                       shifted.balls, 0, 1.88)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paths_clear_is_every_exact_segment_gap_above_the_margin(seed):
    """paths_clear against segment_min_gap over every pair (no pruning), for paths near,
    across and away from a tapered tube, margins either side of their gaps."""
    rng = np.random.default_rng(seed)
    points, radius = _random_tube(rng, 40, 0.0)
    segments = SegmentSet.of(points, radius)
    centre = points.mean(axis=0)
    paths = centre + rng.normal(scale=3.0, size=(60, 1, 3)) \
        + np.cumsum(rng.normal(scale=0.8, size=(60, 5, 3)), axis=1)
    a0, a1 = paths[:, :-1].reshape(-1, 3), paths[:, 1:].reshape(-1, 3)
    pair_a = np.repeat(np.arange(len(a0)), len(points) - 1)
    pair_b = np.tile(np.arange(len(points) - 1), len(a0))
    for path_radius, margin in ((0.3, 0.1), (0.8, -0.2), (0.5, 0.6)):
        *_, gap = segment_min_gap(a0[pair_a], a1[pair_a], path_radius, path_radius,
                                  points[pair_b], points[pair_b + 1], radius[pair_b],
                                  radius[pair_b + 1])
        expected = np.all(gap.reshape(len(paths), -1) > margin, axis=1)
        assert 5 < np.count_nonzero(expected) < len(paths) - 5    # both answers tested
        assert_array_equal(kernels.paths_clear(np.ascontiguousarray(paths), path_radius,
                                               segments.segments, segments.balls, margin),
                           expected)
    assert len(kernels.paths_clear(np.empty((0, 5, 3)), 0.5, segments.segments,
                                   segments.balls, 0.1)) == 0
