"""The rod-on-rod law's kept list of near node-segment pairs (``NearSegments``): a detection
that reuses it gives the same contacts, to the bit, as one that searches afresh, as long as
the bound it relies on holds, and it searches again when the nodes have moved too far."""

import dataclasses

import numpy as np
import pytest

from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.contact_kernels import node_segment_contacts, rod_contacts, rod_rows
from mvd_sim.mechanics.contacts import ContactSet, NearSegments, RodOnRod, SOFTMIN_MM, detect
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.simulate import build_model, settle
from mvd_sim.mechanics.solver import DETECT_MARGIN_MM

FIELDS = tuple(ContactSet.__dataclass_fields__)
SLACK = NearSegments.SLACK_MM


def _same(a: ContactSet, b: ContactSet) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in FIELDS)


def _fresh(model: MechanicalModel) -> MechanicalModel:
    """The same model with no list kept (its cached properties made again)."""
    return dataclasses.replace(model)


def _detect(model, u, radii, surface):
    return detect(model, model.configuration(u, radii), surface, DETECT_MARGIN_MM)


@pytest.fixture(scope="module")
def settled_case(scene_of):
    """A bundled case's model and its equilibrium at systole (rods pressed together)."""
    scene = scene_of("multi_aica_pica_right")
    model = build_model(scene)
    return model, settle(scene, level=1.0, model=model).solution


def _moves(model, rng, largest_mm):
    """(n_dof,) random translations of every free rod node, each at most ``largest_mm``."""
    step = rng.normal(size=(model.n_slots, 3))
    step *= largest_mm * rng.uniform(0.0, 1.0, (model.n_slots, 1)) / np.linalg.norm(
        step, axis=1, keepdims=True)
    u = np.zeros(model.n_dof)
    u[model.translation_dofs()] = step
    return np.where(model.free, u, 0.0)


def test_reused_lists_give_the_contacts_of_a_fresh_search(settled_case):
    """From a settled case, nodes moved at random by up to 0.99 of a third of the slack
    (the bound counts their displacement twice and the stretch of a half-segment, at most
    that displacement, once): the detections reuse the first list (no new search) and
    equal, to the bit, a detection on the same model with no list; moved by up to twice
    the slack, they search again, and still equal it."""
    model, solution = settled_case
    model = _fresh(model)
    rng = np.random.default_rng(5)
    surface = model.new_surface()
    first = _detect(model, solution.u, solution.radii, surface)
    assert len(first) > 50 and np.count_nonzero(first.body_a >= 0) > 20  # rods touching
    assert model.near_segments.searches == 1
    for largest, reused in ((0.99 * SLACK / 3, True), (2.0 * SLACK, False)):
        for _ in range(4):
            u = solution.u + _moves(model, rng, largest)
            before = model.near_segments.searches
            kept = _detect(model, u, solution.radii, surface)
            assert (model.near_segments.searches == before) == reused
            assert _same(kept, _detect(_fresh(model), u, solution.radii, surface))


def test_an_older_kept_list_serves_a_state_back_within_its_slack(settled_case):
    """A line search's shorter trial, back near the state the list before the last was
    searched at: that list serves it (no new search), and the contacts are a fresh
    search's, to the bit; past ``KEPT`` searches elsewhere it is no longer kept."""
    model, solution = settled_case
    model = _fresh(model)
    rng = np.random.default_rng(7)
    surface = model.new_surface()
    _detect(model, solution.u, solution.radii, surface)
    far = solution.u + _moves(model, rng, 2.0 * SLACK)
    _detect(model, far, solution.radii, surface)
    assert model.near_segments.searches == 2
    back = solution.u + _moves(model, rng, 0.99 * SLACK / 3)
    kept = _detect(model, back, solution.radii, surface)
    assert model.near_segments.searches == 2
    assert _same(kept, _detect(_fresh(model), back, solution.radii, surface))
    for _ in range(NearSegments.KEPT):
        _detect(model, solution.u + _moves(model, rng, 2.0 * SLACK), solution.radii, surface)
    searched = model.near_segments.searches
    _detect(model, back, solution.radii, surface)
    assert model.near_segments.searches == searched + 1


def test_a_rod_moved_past_half_the_slack_is_searched_again_alone(settled_case):
    """From a list searched at a settled case, one rod's nodes moved at random by up to
    twice the slack, the others' by up to 0.99 of a sixth of it (each of their own bounds
    under half the slack): only the moved rod's nodes are searched again (its pairs; the
    other pairs' groups kept), and the contacts are a fresh search's, to the bit; every
    rod moved that far: all of them searched again."""
    model, solution = settled_case
    rng = np.random.default_rng(11)
    surface = model.new_surface()
    for rod in [*range(len(model.rods)), None]:
        kept = _fresh(model)
        _detect(kept, solution.u, solution.radii, surface)
        assert kept.near_segments.nodes_searched == model.sponge_slot0
        u = solution.u + _moves(model, rng, 0.99 * SLACK / 6)
        far = solution.u + _moves(model, rng, 2.0 * SLACK)
        rows = model.translation_dofs(rod).ravel() if rod is not None else slice(None)
        u[rows] = far[rows]
        found = _detect(kept, u, solution.radii, surface)
        moved = model.node_count[rod] if rod is not None else model.sponge_slot0
        assert kept.near_segments.searches == 2
        assert kept.near_segments.nodes_searched == model.sponge_slot0 + moved
        assert _same(found, _detect(_fresh(model), u, solution.radii, surface))


def test_a_rod_pair_just_beyond_the_list_closes_to_the_gap_the_bound_allows(scene_of,
                                                                          clamped_rod):
    """Two parallel rods whose gap at the search is just beyond what the list keeps
    (margin + 8 soft-min widths + slack) move toward each other by just under half the
    slack each (less what the segments next to their clamped ends stretch): the list
    kept, and the contacts (none yet, at the reuse's limit; then some, after a new
    search) those of a fresh search."""
    beyond = DETECT_MARGIN_MM + 8 * SOFTMIN_MM + SLACK + 1e-3
    radius = 0.5
    along = np.linspace(-10.0, 10.0, 21)[:, None] * [0.0, 1.0, 0.0] + [70.0, 0.0, 0.0]
    a = clamped_rod("a", along, radius)
    b = clamped_rod("b", along + [0.0, 0.0, 2 * radius + beyond], radius)
    model = MechanicalModel([a, b], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS, (RodOnRod(),))
    radii = np.full(model.sponge_slot0, radius)
    surface = model.new_surface()
    assert len(_detect(model, np.zeros(model.n_dof), radii, surface)) == 0
    for closing, searches in ((0.5 * SLACK - 0.01, 1), (0.5 * SLACK + 0.2, 2)):
        u = np.zeros(model.n_dof)
        dofs = model.translation_dofs()
        u[dofs[1:20, 2]] = closing            # rod a's free nodes up
        u[dofs[22:41, 2]] = -closing          # rod b's down
        kept = _detect(model, u, radii, surface)
        assert model.near_segments.searches == searches
        assert _same(kept, _detect(_fresh(model), u, radii, surface))
        assert (len(kept) > 0) == (searches == 2)


def test_other_radii_or_margin_search_again(settled_case):
    """A list is kept only for the radii and the margin it was searched with."""
    model, solution = settled_case
    model = _fresh(model)
    surface = model.new_surface()
    configuration = model.configuration(solution.u, solution.radii)
    detect(model, configuration, surface, DETECT_MARGIN_MM)
    detect(model, configuration, surface, DETECT_MARGIN_MM)
    assert model.near_segments.searches == 1
    detect(model, configuration, surface, 0.5 * DETECT_MARGIN_MM)
    assert model.near_segments.searches == 2
    wider = model.configuration(solution.u, solution.radii * 1.01)
    assert _same(detect(model, wider, surface, DETECT_MARGIN_MM),
                 detect(_fresh(model), wider, surface, DETECT_MARGIN_MM))
    assert model.near_segments.searches == 3


def test_rod_rows_are_the_numpy_formulas_to_the_bit():
    """The compiled rows of rod-on-rod contacts are, to the last bit, the numpy formulas
    they replaced: unit ``np.gradient`` tangents (central differences, one-sided at both
    ends) interpolated along the segment, crossed with the normal; ``1 / centerline
    distance``; half the node's tributary length times its share, with the layers in
    series and their capacities summed."""
    rng = np.random.default_rng(3)
    counts = np.array([2, 3, 7, 12])
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    x = rng.normal(size=(counts.sum(), 3)) * 4.0
    r, dent, capacity, trib = (rng.uniform(0.3, 1.5, len(x)) for _ in range(4))
    rod = np.repeat(np.arange(len(counts)), counts)
    k = 40
    b = rng.integers(0, len(counts), k)
    seg = first[b] + rng.integers(0, counts[b] - 1)
    node = rng.integers(0, len(x), k)
    a = rod[node]
    u, gap, share = rng.uniform(0, 1, k), rng.uniform(-0.3, 0.3, k), rng.uniform(0, 1, k)
    normal = rng.normal(size=(k, 3))
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    slots, weights, k_soft, k_hard, cap, binormal, curvature = rod_rows(
        x, r, first, counts, a, b, node, seg, u, gap, normal, share, dent, capacity, trib, 300.0)
    tangents = []
    for f, n in zip(first, counts):
        t = np.gradient(x[f:f + n], axis=0)
        tangents.append(t / np.linalg.norm(t, axis=1, keepdims=True))
    tangents = np.concatenate(tangents)
    axis = (1 - u)[:, None] * tangents[seg] + u[:, None] * tangents[seg + 1]
    expected = np.cross(axis, normal)
    expected /= np.maximum(np.linalg.norm(expected, axis=1), 1e-12)[:, None]
    assert np.array_equal(binormal, expected)
    assert np.array_equal(curvature, 1.0 / np.maximum(
        gap + r[node] + (1 - u) * r[seg] + u * r[seg + 1], 1e-6))
    dent_b = (1 - u) * dent[seg] + u * dent[seg + 1]
    length = 0.5 * trib[node] * share
    assert np.array_equal(k_soft, length * (dent[node] * dent_b / (dent[node] + dent_b)))
    assert np.array_equal(k_hard, length * 300.0)
    assert np.array_equal(cap, capacity[node] + ((1 - u) * capacity[seg]
                                                 + u * capacity[seg + 1]))
    assert np.array_equal(slots, np.stack([seg, seg + 1, node], axis=1))
    assert np.array_equal(weights, np.stack([-(1 - u), -u, np.ones(k)], axis=1))


def test_a_solve_with_kept_lists_is_the_solve_that_searches_at_every_detection(
        scene_of, monkeypatch):
    """A case settled at systole with its lists kept, and again searching at every
    detection (no slack: no list reused): the same iterations, displacements and
    contacts, to the bit."""
    scene = scene_of("multi_aica_pica_right")
    kept = settle(scene, level=1.0, model=build_model(scene))
    monkeypatch.setattr(NearSegments, "SLACK_MM", 0.0)
    model = build_model(scene)
    searched = settle(scene, level=1.0, model=model)
    assert model.near_segments.searches > kept.solution.iterations  # every detection
    assert kept.solution.iterations == searched.solution.iterations
    assert np.array_equal(kept.solution.u, searched.solution.u)
    assert _same(kept.solution.contacts, searched.solution.contacts)


def test_rod_contacts_in_one_call_are_the_two_kernels(settled_case):
    """``rod_contacts`` returns, to the bit, ``node_segment_contacts`` then ``rod_rows`` on
    the same list, as the fields of their ``ContactSet``."""
    model, solution = settled_case
    configuration = model.configuration(solution.u, solution.radii)
    x, radius = configuration.positions[:model.sponge_slot0], configuration.radius
    first, count = model.slot0, model.node_count
    groups = _fresh(model).near_segments.groups(model, x, radius, DETECT_MARGIN_MM, SOFTMIN_MM)
    a, b, node, seg, u, gap, normal, share = node_segment_contacts(
        x, radius, first, count, *groups, DETECT_MARGIN_MM, SOFTMIN_MM)
    assert len(gap) > 0
    rows = rod_rows(x, radius, first, count, a, b, node, seg, u, gap, normal, share,
                    *model.node_layers, model.materials.hard_mpa)
    slots, weights, k_soft, k_hard, capacity, binormal, curvature = rows
    want = ContactSet(slots, weights, normal, gap, k_soft, k_hard, capacity, b, a,
                      node - first[a], binormal, curvature)
    got = ContactSet(*rod_contacts(x, radius, first, count, *groups, DETECT_MARGIN_MM,
                                   SOFTMIN_MM, *model.node_layers, model.materials.hard_mpa))
    assert _same(got, want)
