"""Scene building at the edges of what a scenario may ask: a scene or one line, nothing else."""

from __future__ import annotations

import dataclasses

import annotated_types
import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

import mvd_sim
from mvd_sim.anatomy.context import OBSTACLE_KINDS, Ellipsoid, RootletBundle, intrusion
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario.schema import AnatomySpec, parse_scenario
from mvd_sim.scene.build import CONTEXT_TOLERANCE_MM

from ..conftest import bundled_spec


def _extremes(model) -> list[tuple[str, float]]:
    """(field, value) at both ends of every override the schema accepts."""
    out = []
    for name, field in model.model_fields.items():
        low = high = None
        for item in field.metadata:
            if isinstance(item, annotated_types.Gt):
                low = item.gt + (1 if isinstance(item.gt, int) else 1e-6)
            elif isinstance(item, annotated_types.Ge):
                low = item.ge
            elif isinstance(item, annotated_types.Le):
                high = item.le
        out += [(name, value) for value in (low, high) if value is not None]
    return out


# the override groups of the anatomy (``segmented`` is a patient's own roots and
# ``displaced_nerves`` nerves as they lie, not overrides)
GROUPS = {group: field.annotation for group, field in AnatomySpec.model_fields.items()
          if group not in ("segmented", "displaced_nerves")}
OVERRIDES = [(group, name, value) for group, model in GROUPS.items()
             for name, value in _extremes(model)]


def test_every_override_field_has_both_bounds():
    assert len(OVERRIDES) == 2 * sum(len(model.model_fields) for model in GROUPS.values())


@pytest.mark.parametrize("scenario", ["atlas_default_right", "aica_as_moderate_right"])
def test_overrides_at_their_bounds_build_or_are_refused_in_one_line(scenario):
    base = yaml.safe_load(mvd_sim.resolve_scenario(scenario).read_text(encoding="utf-8"))
    outcomes = {"built": 0, "refused": 0}
    for group, name, value in OVERRIDES:
        data = {**base, "anatomy": {group: {name: value}}}
        try:
            scene = mvd_sim.build_scene(parse_scenario(data, "case.yaml"))
        except ScenarioError as err:
            assert "\n" not in str(err)
            outcomes["refused"] += 1
        else:
            mvd_sim.analyze(scene)
            outcomes["built"] += 1
    assert outcomes["built"] > outcomes["refused"] > 0


# -- context structures of the operative field ----------------------------------------------
def _atlas() -> dict:
    return yaml.safe_load(mvd_sim.resolve_scenario("atlas_default_right").read_text(
        encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(mvd_sim.bundled_scenarios()))
def test_no_bundled_vessel_passes_through_a_solid_context_structure(scene_of, name):
    scene = scene_of(name)
    for solid in OBSTACLE_KINDS:
        for vessel in scene.vessels.values():
            depth, _ = intrusion(scene.context[solid], vessel)
            assert depth <= CONTEXT_TOLERANCE_MM, (solid, vessel.name)


def test_a_vessel_through_the_flocculus_is_refused_in_one_line(scene_of):
    centre = scene_of("atlas_default_right").context["flocculus"].centre
    points = [list(centre + [k, -0.5 * k, 0.0]) for k in (0.0, 4.0, 8.0, 12.0)]
    data = {**_atlas(), "vessels": [{"id": "v", "type": "vein", "points_mm": points}]}
    with pytest.raises(ScenarioError, match=r"^vessels\[0\]: v would pass [0-9.]+ mm into the "
                                            r"flocculus [0-9.]+ mm along its course") as err:
        mvd_sim.build_scene(parse_scenario(data, "case.yaml"))
    assert "\n" not in str(err.value)


def test_a_left_case_has_the_mirror_image_of_the_right_ones_context(scene_of):
    right = scene_of("atlas_default_right")
    spec = bundled_spec("atlas_default_right").model_copy(update={"side": "left"})
    left = mvd_sim.build_scene(spec)
    mirror = np.array([-1.0, 1.0, 1.0])
    for name, structure in right.context.items():
        if isinstance(structure, Ellipsoid):
            points = structure.surface_points(np.array([0.3, 2.0]), np.array([1.0, 2.5]))
            assert_allclose(left.context[name].signed_distance(points * mirror), 0.0,
                            rtol=0, atol=1e-9)
        else:
            tubes = structure.rootlets if isinstance(structure, RootletBundle) else [structure]
            mirrored = (left.context[name].rootlets if isinstance(structure, RootletBundle)
                        else [left.context[name]])
            for tube, other in zip(tubes, mirrored, strict=True):
                assert_allclose(other.points, tube.points * mirror, rtol=0, atol=1e-9)


def test_context_parameters_are_overridable(scene_of):
    data = {**_atlas(), "anatomy": {"context": {"flocculus_length_mm": 12.0,
                                                "x_rootlets": 8}}}
    scene = mvd_sim.build_scene(parse_scenario(data, "case.yaml"))
    assert 2 * scene.context["flocculus"].semi_axes_mm[0] == pytest.approx(12.0)
    assert len(scene.context["CN10"].rootlets) == 8


def test_a_choroid_tuft_longer_than_its_limb_is_refused():
    data = {**_atlas(), "anatomy": {"context": {"choroid_cistern_length_mm": 12.0,
                                                "choroid_limb_length_mm": 11.9}}}
    with pytest.raises(ScenarioError, match="cistern part .* must be shorter than its limb"):
        parse_scenario(data, "case.yaml")


def test_the_contact_engine_ignores_the_context(scene_of):
    scene = scene_of("multi_aica_pica_right")
    bare = dataclasses.replace(scene, context={})
    assert mvd_sim.analyze(scene).contacts == mvd_sim.analyze(bare).contacts


def test_a_build_leaves_the_shared_anatomy_as_it_was():
    """The brainstem and nerves of an atlas anatomy are built once and shared (the sampler's
    site questions, then the build): a build that deviates CN VII must not change them for
    the next one, nor for the sites."""
    from mvd_sim.scene.build import NerveSites, build_scene

    spec = bundled_spec("aica_as_severe_right")
    sites = NerveSites(spec.anatomy)
    length = sites.length("CN7")
    first = build_scene(spec, "first")
    second = build_scene(spec, "second")
    assert not np.array_equal(first.nerves["CN7"].points, first.rest_nerves["CN7"].points)
    assert np.array_equal(first.nerves["CN7"].points, second.nerves["CN7"].points)
    assert np.array_equal(first.rest_nerves["CN7"].points, second.rest_nerves["CN7"].points)
    assert sites.length("CN7") == length == float(second.rest_nerves["CN7"].s[-1])


@pytest.mark.parametrize("nerve, segment, radius_mm, angle_deg, gap_mm", [
    ("CN7", "AS", 0.5, 85.0, 0.0), ("CN7", "CP", 0.5, 85.0, -0.3), ("CN7", "RDP", 1.2, 40.0, 0.4),
    ("CN8", None, 0.6, 35.0, 0.0)])
def test_a_side_question_answers_each_side_as_the_batch_of_a_sites_sides_does(
        monkeypatch, nerve, segment, radius_mm, angle_deg, gap_mm):
    """``NerveSites.question`` asks one side at a time what ``sides`` asked of all the
    site's sides in one batch (``clearing_sides`` of one request a side whose sector is wide
    enough), nothing kept between them: the same answers, refusals among them."""
    from mvd_sim.anatomy import placement
    from mvd_sim.core.approach import SIDES, usable_sides
    from mvd_sim.core.recent import Recent
    from mvd_sim.scene.build import NerveSites

    monkeypatch.setattr(placement, "_CLEARING_ANSWERS", Recent(0))
    sites = NerveSites(AnatomySpec())
    anatomy = sites._anatomy
    target = anatomy.nerves[nerve]
    s_mm = sites.point(nerve, segment) if segment else 0.6 * sites.length(nerve)
    sectors = usable_sides(target.smooth_tangent_at(s_mm), np.array([1.0, 0.0, 0.0]))
    requests = [placement.ContactRequest(
        "probe", target, s_mm, placement.resolve_side(target, s_mm, side, "probe"), gap_mm,
        angle_deg, side) for side in sectors]
    lying = placement.clearing_sides(anatomy.brainstem, requests, radius_mm,
                                     placement.other_nerves(requests[0],
                                                            list(anatomy.nerves.values())))
    batch = [r.side for r, lies in zip(requests, lying) if lies is not None]
    question = sites.question(nerve, s_mm, radius_mm, angle_deg, gap_mm)
    assert [side for side in SIDES if question(side)] == batch
    assert sites.sides(nerve, s_mm, radius_mm, angle_deg, gap_mm) == batch
    if segment in ("AS", "CP"):
        assert "posterior" in sectors and "posterior" not in batch
