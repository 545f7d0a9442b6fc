"""Clinical placement: every asked contact lands where asked, within 0.05 mm."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.ndimage import gaussian_filter1d

import mvd_sim
from mvd_sim.anatomy import placement
from mvd_sim.anatomy.avoidance_kernels import smooth_rows
from mvd_sim.scene.build import build_scene
from mvd_sim.anatomy.placement import (_DEPTH_TOLERANCE_MM, _STRETCH_LIMIT,
                                       AVOIDANCE_CLEARANCE_MM, SIDE_TOLERANCE_DEG,
                                       TURN_RADII, ContactRequest,
                                       _check_approach, _check_no_unasked_contact,
                                       _gaussian_weights, _unstretched, _with_turns,
                                       avoid_tubes)
from mvd_sim.anatomy.vessels import BRAINSTEM_CLEARANCE_MM, VESSEL_SPACING_MM
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import sample_case
from mvd_sim.core.geometry.closest import closest_approach, point_polyline
from mvd_sim.scenario import NERVES, parse_scenario
from mvd_sim.core.approach import ANGLE_TOLERANCE_DEG
from mvd_sim.core.tube import Tube

from ..conftest import bundled_scene, bundled_spec

PLACEMENT_TOL_MM = 0.05  # issue #2: the contact lands where asked within 0.05 mm


def _nerve_contacts():
    for name in mvd_sim.bundled_scenarios():
        for k, vessel in enumerate(bundled_spec(name).vessels):
            for j, contact in enumerate(vessel.compresses):
                if contact.target in NERVES:
                    yield pytest.param(name, vessel.id, contact, id=f"{name}-{vessel.id}-{j}")


def _local_contact(scene, nerve, vessel, s_mm, window_mm=3.0):
    """Closest approach of a vessel to the nerve's stretch within ``window_mm`` of s, the
    nerve arc length where it is reached, and the gap at ``s_mm`` itself."""
    placed = scene.nerves[nerve]
    rest_s = scene.rest_nerves[nerve].s
    idx = np.flatnonzero(np.abs(rest_s - s_mm) <= window_mm)
    idx = np.arange(max(idx[0] - 1, 0), min(idx[-1] + 2, len(rest_s)))
    ca = closest_approach(placed.points[idx], vessel.points, placed.radius[idx],
                          vessel.radius)
    dist, *_ = point_polyline(placed.point_at(s_mm)[None], vessel.points)
    gap_at_s = dist[0] - placed.radius_at(s_mm) - vessel.radius[0]
    # the arc length asked for is measured on the nerve as placed
    return ca, placed.s[idx[0]] + ca.arc_a, gap_at_s


def _assert_lands(ca, s_found, gap_at_s, s_asked, gap_asked):
    """The deepest point is as deep as asked, and the asked point lies in the contact: it is
    the deepest point, or (a broad contact) as deep as it."""
    assert abs(ca.gap - gap_asked) <= PLACEMENT_TOL_MM
    assert abs(s_found - s_asked) <= PLACEMENT_TOL_MM or gap_at_s - ca.gap <= PLACEMENT_TOL_MM


@pytest.mark.parametrize("scenario, vessel_id, contact", list(_nerve_contacts()))
def test_contact_lands_where_asked(scenario, vessel_id, contact):
    scene = bundled_scene(scenario)
    landmarks = scene.landmarks[contact.target]
    s_asked = contact.s_mm if contact.s_mm is not None else \
        landmarks.segment_centre(contact.segment)
    ca, s_found, gap_at_s = _local_contact(scene, contact.target, scene.vessels[vessel_id],
                                           s_asked)
    _assert_lands(ca, s_found, gap_at_s, s_asked, contact.gap_mm)
    if contact.segment is not None:
        assert landmarks.segment_at(s_asked) == contact.segment


@pytest.mark.parametrize("scenario, vessel_id, contact",
                         [p for p in _nerve_contacts() if p.values[2].nerve_deviation_mm > 0])
def test_nerve_deviation_lands_where_asked(scenario, vessel_id, contact):
    scene = bundled_scene(scenario)
    placed, rest = scene.nerves[contact.target], scene.rest_nerves[contact.target]
    moved = np.linalg.norm(placed.points - rest.points, axis=1)
    s_asked = contact.s_mm if contact.s_mm is not None else \
        scene.landmarks[contact.target].segment_centre(contact.segment)
    assert_allclose(np.interp(s_asked, rest.s, moved), contact.nerve_deviation_mm,
                    atol=PLACEMENT_TOL_MM)
    # the ends stay put
    assert moved[0] < 1e-9 and moved[-1] < 1e-9
    # no moved point enters the brainstem (beyond the attached segment they were pushed up
    # to 0.59 mm into it, where no image could show them)
    clearance = scene.brainstem.clearance(placed.points[moved > 1e-9],
                                          placed.radius[moved > 1e-9])
    assert clearance.min() >= -1e-6


@pytest.mark.parametrize("segment, side", [("RDP", "anterior"), ("AS", "anterior")])
def test_a_deviated_nerve_moves_away_from_its_vessel(segment, side):
    """The nerve is deviated away from where the vessel lies (not from the side first asked,
    which once pushed the nerve into the vessel's way); on the attached segment it slides
    over the brainstem instead of entering it."""
    spec = parse_scenario({
        "schema_version": 1, "title": "t", "description": "d", "side": "right",
        "vessels": [{"id": "aica", "type": "AICA", "compresses": [
            {"target": "CN7", "segment": segment, "from": side, "indentation_mm": 0.2,
             "nerve_deviation_mm": 1.0}]}]})
    scene = build_scene(spec, "deviated")
    s_asked = scene.landmarks["CN7"].segment_centre(segment)
    ca, *_ = _local_contact(scene, "CN7", scene.vessels["aica"], s_asked)
    towards_vessel = (ca.point_b - ca.point_a) / ca.centre_distance
    placed, rest = scene.nerves["CN7"], scene.rest_nerves["CN7"]
    moved = placed.point_at(s_asked) - rest.point_at(s_asked)
    # away from the vessel; sliding over the brainstem turns it off the straight line (up to
    # 70 deg on the attached segment)
    assert np.dot(moved, towards_vessel) < -0.25 * np.linalg.norm(moved)
    (contact,) = mvd_sim.analyze(scene).contacts
    assert contact.severity == "severe"
    assert_allclose(contact.deviation_mm, 1.0, atol=PLACEMENT_TOL_MM)


def test_a_side_facing_the_brainstem_is_refused_naming_the_sides_that_clear():
    """From posterior (or rostral) a vessel at the root detachment point would enter the
    brainstem; it used to be turned silently round the nerve to lateral (80-110 deg). (From
    lateral it would run into CN VIII, beside and behind CN VII there: not named.)"""
    with pytest.raises(mvd_sim.ScenarioError,
                       match=r"^vessels\[0\]\.compresses\[0\]\.from: a vessel of radius "
                             r"0\.51 mm from posterior would enter the brainstem to cross CN7 at "
                             r"s = 5\.5 mm; it clears from anterior, caudal$"):
        build_scene(_spec_with({"target": "CN7", "segment": "RDP", "from": "posterior",
                                "indentation_mm": 0.2, "nerve_deviation_mm": 1.0}), "bad")


def test_a_side_whose_crossing_runs_into_the_other_nerve_is_refused_naming_it():
    """In the cisternal portion CN VIII lies apposed behind and below CN VII: a vessel
    crossing CN VII from posterior would press it too, and is refused before it is placed
    (it used to be placed and refused as pressing CN VIII somewhere along its course)."""
    with pytest.raises(mvd_sim.ScenarioError,
                       match=r"^vessels\[0\]\.compresses\[0\]\.from: a vessel of radius "
                             r"0\.51 mm from posterior would run into CN8 to cross CN7 at "
                             r"s = 12\.1 mm; it clears from anterior, rostral, caudal$"):
        build_scene(_spec_with({"target": "CN7", "segment": "CP", "from": "posterior",
                                "indentation_mm": 0.2}), "bad")


def test_no_side_to_try_clears_nothing():
    """A batch of no sides (a vessel target leaves no side outside those tried) is an empty
    answer, not an error."""
    scene = bundled_scene("atlas_default_right")
    request = ContactRequest("probe", scene.nerves["CN7"], 5.0, np.array([0.0, 0.0, -1.0]),
                             0.0, 85.0, "caudal")
    assert placement._clearing(scene.brainstem, request, np.empty((0, 3)), 0.5,
                               (scene.nerves["CN8"],)).shape == (0,)


def _touching_request(side_deg: float, asked: str = "rostral", angle_deg: float = 90.0,
                      ) -> tuple[Tube, ContactRequest, np.ndarray]:
    """The crossing tubes 0.3 mm deep, at right angles, with the vessel rolled round the
    obstacle (which runs along +y, anterior) to lie ``side_deg`` from straight up (+z)
    towards +x; a request asking for the side ``asked`` at the directed angle
    ``angle_deg``; and the side the vessel lies on."""
    vessel, obstacle = _crossing_tubes(1.2)
    a = np.radians(side_deg)
    side = np.array([np.sin(a), 0.0, np.cos(a)])
    vessel = Tube(vessel.name, vessel.kind, vessel.points @ _rotation_about_y(-a).T,
                  vessel.radius)
    return vessel, ContactRequest("vessels[1].compresses[0]", obstacle, 20.0, side, -0.3,
                                  angle_deg, asked), side


@pytest.mark.parametrize("side_deg", [0.0, 30.0, 44.0])
def test_a_vessel_on_its_side_passes(side_deg):
    """Across a nerve running anteriorly, rostral names the directions within 45 deg of
    straight up."""
    vessel, req, side = _touching_request(side_deg)
    _check_approach(vessel, [req], [side], [20.0])


@pytest.mark.parametrize("side_deg, asked, message", [
    (46.0, "rostral", r"\.from: aica would press CN7 at s = 20\.0 mm from lateral, not "
                      r"rostral as asked \(kept"),
    (0.0, "caudal", r"\.from: .* from rostral, not caudal as asked"),
    (SIDE_TOLERANCE_DEG + 1.0, "away_from_nerve",
     r"\.from: aica would press CN7 at s = 20\.0 mm 46 deg off the side it was placed on")])
def test_a_vessel_rolled_round_its_target_is_refused(side_deg, asked, message):
    vessel, req, side = _touching_request(side_deg, asked)
    if asked == "away_from_nerve":   # placed straight up, rolled to side_deg
        side = np.array([0.0, 0.0, 1.0])
    with pytest.raises(mvd_sim.ScenarioError,
                       match=r"vessels\[1\]\.compresses\[0\]" + message):
        _check_approach(vessel, [req], [side], [20.0])


def _rotation_about_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


@pytest.mark.parametrize("angle_deg", [90.0, 88.0, 92.0, 180.0 - 88.0, 85.5])
def test_a_crossing_at_the_asked_line_angle_passes(angle_deg):
    """The vessel crosses at 90 deg: every asked directed angle whose line angle is within
    ANGLE_TOLERANCE_DEG of it passes (92 deg is the line angle 88)."""
    vessel, req, side = _touching_request(0.0, angle_deg=angle_deg)
    _check_approach(vessel, [req], [side], [20.0])


@pytest.mark.parametrize("angle_deg, line", [(60.0, 60), (100.0, 80), (170.0, 10)])
def test_a_crossing_at_another_angle_is_refused(angle_deg, line):
    vessel, req, side = _touching_request(0.0, angle_deg=angle_deg)
    with pytest.raises(mvd_sim.ScenarioError,
                       match=r"vessels\[1\]\.compresses\[0\]\.crossing_angle_deg: aica would "
                             rf"press CN7 at s = 20\.0 mm at 90 deg, not the {line} deg asked "
                             rf"\(within {ANGLE_TOLERANCE_DEG:g}\); .* ask for about 90 deg$"):
        _check_approach(vessel, [req], [side], [20.0])


@pytest.mark.parametrize("scenario", list(mvd_sim.bundled_scenarios()))
def test_vessels_stay_out_of_the_brainstem(scenario):
    scene = bundled_scene(scenario)
    for vessel in scene.vessels.values():
        clearance = scene.brainstem.signed_distance(vessel.points) - vessel.radius
        assert clearance.min() >= -0.05, vessel.name


def test_vessels_keep_clear_of_nerves_they_are_not_asked_to_touch():
    scene = bundled_scene("aica_as_moderate_right")
    aica, cn8 = scene.vessels["aica"], scene.nerves["CN8"]
    ca = closest_approach(aica.points, cn8.points, aica.radius, cn8.radius)
    assert ca.gap >= AVOIDANCE_CLEARANCE_MM - 0.02


def test_left_case_is_the_mirror_image_of_the_right():
    spec = bundled_spec("aica_as_moderate_right")
    left = build_scene(spec.model_copy(update={"side": "left"}), "left")
    right = bundled_scene("aica_as_moderate_right")
    mirror = np.array([-1.0, 1.0, 1.0])
    for name, tube in right.tubes.items():
        assert_allclose(left.tubes[name].points, tube.points * mirror, atol=1e-9)
        assert_allclose(left.tubes[name].radius, tube.radius, atol=0)
    probe = np.array([[3.0, 2.0, 1.0], [-5.0, 8.0, 4.0], [12.0, -3.0, -6.0]])
    assert_allclose(left.brainstem.signed_distance(probe * mirror),
                    right.brainstem.signed_distance(probe), atol=1e-9)
    assert left.lateral[0] == -1.0 and right.lateral[0] == 1.0


def _spec_with(contact: dict) -> mvd_sim.ScenarioSpec:
    return parse_scenario({
        "schema_version": 1, "title": "t", "description": "d", "side": "right",
        "vessels": [{"id": "aica", "type": "AICA", "compresses": [contact]}]})


@pytest.mark.parametrize("gap_key, gap", [("separation_mm", 0.8), ("indentation_mm", 0.25),
                                          (None, 0.0)])
@pytest.mark.parametrize("s_mm, side", [(3.0, "caudal"), (8.0, "anterior"),
                                        (11.0, "rostral"), (16.5, "anterior")])
def test_placement_grid(s_mm, side, gap_key, gap):
    contact = {"target": "CN7", "s_mm": s_mm, "from": side}
    if gap_key:
        contact[gap_key] = gap
    scene = build_scene(_spec_with(contact), "grid")
    expected = -gap if gap_key == "indentation_mm" else gap
    ca, s_found, gap_at_s = _local_contact(scene, "CN7", scene.vessels["aica"], s_mm)
    _assert_lands(ca, s_found, gap_at_s, s_mm, expected)


@pytest.mark.parametrize("contact, message", [
    ({"target": "CN7", "s_mm": 40.0}, r"compresses\[0\]\.s_mm: 40 mm is beyond the end"),
    ({"target": "CN7", "s_mm": 0.5, "from": "anterior", "nerve_deviation_mm": 1.0},
     r"nerve_deviation_mm: .* tighter than the vessel"),
    ({"target": "CN7", "s_mm": 0.2, "from": "rostral"}, r"from: side 'rostral' runs along"),
    # CN VIII lies posteroinferior of VII and apposed to it in the cistern: a vessel cannot
    # reach VII from posterior there without pressing VIII (from caudal it is turned, within
    # the side, off VIII: test_a_crossing_turned_off_the_other_nerve_keeps_its_side)
    ({"target": "CN7", "s_mm": 15.0, "from": "posterior"}, r"from posterior would run into CN8"),
])
def test_impossible_requests_are_refused(contact, message):
    with pytest.raises(mvd_sim.ScenarioError, match=message):
        build_scene(_spec_with(contact), "bad")


def test_a_crossing_turned_off_the_other_nerve_keeps_its_side():
    """From caudal in the cistern the straight crossing would run into CN VIII; the side is
    turned within caudal's sector until it clears, and the contact is reported from caudal,
    clear of CN VIII."""
    scene = build_scene(_spec_with({"target": "CN7", "s_mm": 15.0, "from": "caudal"}), "ok")
    (contact,) = [c for c in mvd_sim.analyze(scene).contacts if c.vessel == "aica"]
    assert (contact.nerve, contact.side) == ("CN7", "caudal")


def test_a_long_chord_through_the_brainstem_is_subdivided_and_pushed_out():
    scene = bundled_scene("aica_as_moderate_right")
    brainstem, radius = scene.brainstem, 0.6
    # two points just clear of the pons, 1 rad apart around its front: a 16 mm chord that
    # cuts 0.8 mm into it
    height = radius + BRAINSTEM_CLEARANCE_MM
    ends = brainstem.offset_points(np.array([1.0, 2.0]), np.array([12.0, 12.0]),
                                   np.array([height, height]))
    assert brainstem.signed_distance(np.linspace(ends[0], ends[1], 3)).min() < -0.5
    points, radii = _unstretched(brainstem, ends, np.full(2, radius))
    assert_allclose(radii, radius)
    assert np.linalg.norm(np.diff(points, axis=0), axis=1).max() <= \
        _STRETCH_LIMIT * VESSEL_SPACING_MM
    assert brainstem.signed_distance(points).min() >= radius + BRAINSTEM_CLEARANCE_MM - 1e-9
    assert_allclose(points[[0, -1]], ends)


@pytest.mark.parametrize("index", [2, 7, 10, 25])
def test_sampled_vessels_have_no_stretched_segments(index):
    """Avoidance once left 5-8 mm chords in about one sampled vessel in five (one through
    the brainstem); every segment now stays near the vessel spacing. (Cases of a dataset of
    30 of seed 1.)"""
    from mvd_sim.dataset.priors import load_priors
    from mvd_sim.dataset.sampler import sample_case

    _, scene, _ = sample_case(load_priors(), 1, 30, index)
    for vessel in scene.vessels.values():
        assert np.linalg.norm(np.diff(vessel.points, axis=0), axis=1).max() <= \
            _STRETCH_LIMIT * VESSEL_SPACING_MM, vessel.name


def _crossing_tubes(height_mm: float) -> tuple[Tube, Tube]:
    """A vessel (radius 0.5) along x at height ``height_mm`` over an obstacle (radius 1)
    along y: their surface gap is ``height_mm - 1.5``, 20 mm along the vessel."""
    line = np.linspace(-20.0, 20.0, 101)[:, None] * np.array([1.0, 0.0, 0.0])
    vessel = Tube("aica", "AICA", line + [0.0, 0.0, height_mm], 0.5)
    return vessel, Tube("CN7", "CN7", line[:, [1, 0, 2]], 1.0)


@pytest.mark.parametrize("height, message", [(1.2, "press 0.30 mm into CN7 20.0 mm along"),
                                             (1.53, "touch CN7 20.0 mm along")])
def test_an_unasked_contact_is_refused(height, message):
    vessel, obstacle = _crossing_tubes(height)
    with pytest.raises(mvd_sim.ScenarioError, match=r"vessels\[1\]: aica would also " + message):
        _check_no_unasked_contact(
            vessel, [(obstacle, np.full(101, AVOIDANCE_CLEARANCE_MM))], "vessels[1]")
    # 0.6 mm of clearance asked but 0.1 mm kept: a near miss, not a contact
    vessel, obstacle = _crossing_tubes(1.6)
    _check_no_unasked_contact(vessel, [(obstacle, np.full(101, AVOIDANCE_CLEARANCE_MM))], "v")


@pytest.mark.parametrize("held", [False, True])
def test_avoidance_frees_what_it_can_and_reports_the_shortfall_left(held):
    """A vessel 0.1 mm over an obstacle it must clear by 0.6 mm, far from the brainstem:
    free, it is bent clear and nothing is left short; held (99%) where it crosses, it only
    creeps, and what it is still short by is reported (placement stops its rounds on
    that)."""
    vessel, obstacle = _crossing_tubes(1.6)
    far = np.array([40.0, 0.0, 0.0])   # lateral, in the cerebellopontine angle
    frozen = 0.99 * (np.abs(vessel.points[:, 0]) < 2.0) if held else np.zeros(101)
    points, shortfall_mm = avoid_tubes(
        bundled_scene("aica_as_moderate_right").brainstem, vessel.points + far, 0.5,
        [(Tube("CN7", "CN7", obstacle.points + far, 1.0), np.full(101, 0.6))], frozen)
    gap = closest_approach(obstacle.points + far, points, obstacle.radius,
                           np.full(len(points), 0.5)).gap
    if held:
        assert 0.1 < gap < 0.3
        assert 0.3 < shortfall_mm < 0.5
        assert abs((0.6 - gap) - shortfall_mm) < 0.01   # measured before the last step
    else:
        assert gap >= 0.6 - 1e-9
        assert shortfall_mm == 0.0


def _tightest_bend_in_radii(tube: Tube) -> float:
    """The tightest bend of a tube's centerline, in tube radii: the least ratio of the arc
    between points one radius either side of a point to the angle between their chords."""
    r = float(tube.radius.max())
    step = np.median(np.diff(tube.s))
    k = max(int(round(r / step)), 1)
    before = tube.points[k:-k] - tube.points[:-2 * k]
    after = tube.points[2 * k:] - tube.points[k:-k]
    cosine = np.einsum("ij,ij->i", before, after) / (np.linalg.norm(before, axis=1)
                                                    * np.linalg.norm(after, axis=1))
    angle = np.arccos(np.clip(cosine, -1.0, 1.0))
    arc = tube.s[2 * k:] - tube.s[:-2 * k]
    return float(np.min(arc / np.maximum(angle, 1e-12))) / r


@pytest.mark.parametrize("behind, turns", [(True, True), (False, False)])
def test_a_course_that_doubles_back_after_a_crossing_gets_room_to_turn(behind, turns):
    """Far from the brainstem, a crossing along +x whose next waypoint lies behind its end
    gets a turn: waypoints on a circle of TURN_RADII vessel radii (at least 2 mm) that
    leaves its end along +x, at most 30 deg apart, up to where the course heads straight
    for that waypoint; one whose next waypoint lies ahead does not."""
    brainstem = bundled_scene("aica_as_moderate_right").brainstem
    far = np.array([40.0, 0.0, 0.0])
    crossing = far + np.linspace(0.0, 6.0, 5)[:, None] * np.array([1.0, 0.0, 0.0])
    before = far + np.array([-10.0, 0.0, 0.0])
    after = far + (np.array([-4.0, 10.0, 0.0]) if behind else np.array([16.0, 5.0, 0.0]))
    radius = 1.5
    out = _with_turns(brainstem, crossing, before, after, radius)
    assert_allclose(out[:5], crossing)
    if turns:
        turn = max(TURN_RADII * radius, 2.0)
        arc, centre = out[5:], crossing[-1] + turn * np.array([0.0, 1.0, 0.0])
        assert len(arc) >= 4
        assert_allclose(np.linalg.norm(arc - centre, axis=1), turn, rtol=1e-12)
        steps = np.linalg.norm(np.diff(np.vstack([crossing[-1:], arc]), axis=0), axis=1)
        assert np.all(steps <= 2.0 * turn * np.sin(np.radians(15.0)) + 1e-9)
        # it leaves the circle on the tangent through the next waypoint
        assert_allclose(np.dot(after - arc[-1], arc[-1] - centre), 0.0, atol=1e-9)
        assert np.cross(arc[-1] - centre, after - arc[-1])[2] > 0
    else:
        assert len(out) == 5


@pytest.mark.parametrize("scenario, vessel", [("aica_cp_mild_right", "aica"),
                                              ("pica_rexp_moderate_right", "pica")])
def test_a_vessel_turning_back_after_its_contact_does_not_fold(scenario, vessel):
    """These courses double back right after their contact: the spline used to turn round
    within the crossing's last waypoints, bending 0.94 and 0.98 times as tight as the
    vessel's radius (the tube folds on its inner side); now 1.5 and 1.1."""
    assert _tightest_bend_in_radii(bundled_scene(scenario).vessels[vessel]) >= 1.0


def test_an_asked_contact_may_be_as_deep_as_asked_but_no_deeper():
    vessel, obstacle = _crossing_tubes(1.2)   # 0.3 mm deep
    _check_no_unasked_contact(vessel, [(obstacle, np.full(101, -0.3))], "v")
    _check_no_unasked_contact(vessel, [(obstacle, np.full(101, -0.3 + 0.9 * _DEPTH_TOLERANCE_MM))],
                              "v")
    with pytest.raises(mvd_sim.ScenarioError, match="press 0.30 mm into CN7"):
        _check_no_unasked_contact(vessel, [(obstacle, np.full(101, -0.25))], "v")


def test_placed_vessels_touch_only_what_they_are_asked_to():
    """Two culprits asked on one segment once pressed into each other (the second placed
    around the first, its points held at its contact): now they land apart, and a scene
    that would have one vessel press into another is refused. (The attached segment is 3.75
    mm long between the RExP and RDP zones: the two are asked 2.2 mm apart along it.)"""
    spec = parse_scenario({
        "schema_version": 1, "title": "t", "description": "d", "side": "right",
        "vessels": [{"id": "va", "type": "VA"},
                    {"id": "pica", "type": "PICA", "radius_mm": 0.747, "compresses": [
                        {"target": "CN7", "s_mm": 2.2, "from": "caudal",
                         "indentation_mm": 0.2}]},
                    {"id": "aica", "type": "AICA", "radius_mm": 0.58, "compresses": [
                        {"target": "CN7", "s_mm": 4.4, "from": "anterior",
                         "indentation_mm": 0.3}]}]})
    scene = build_scene(spec, "two on AS")
    report = mvd_sim.analyze(scene)
    assert sorted((c.vessel, c.segment) for c in report.contacts) == [("aica", "AS"),
                                                                      ("pica", "AS")]
    assert report.vessel_contacts == []
    for contact, vessel in ((spec.vessels[1].compresses[0], "pica"),
                            (spec.vessels[2].compresses[0], "aica")):
        ca, s_found, gap_at_s = _local_contact(scene, "CN7", scene.vessels[vessel],
                                               contact.s_mm)
        _assert_lands(ca, s_found, gap_at_s, contact.s_mm, contact.gap_mm)


@pytest.mark.parametrize("sigma", [0.4, 1.0, 2.37, 6.0])
@pytest.mark.parametrize("n, pushed", [(5, slice(None)), (80, slice(None)),
                                       (80, slice(30, 34)), (80, slice(0, 2)),
                                       (80, slice(77, 80)), (80, slice(0, 0)),
                                       (200, [4, 40, 41, 91, 152, 196])])
def test_avoidance_smooths_exactly_as_gaussian_filter1d(sigma, n, pushed):
    """The weights avoidance computes once per vessel, correlated in its compiled loop, give
    bit for bit the smoothing scipy's Gaussian filter would at every step (also where the
    filter is longer than the vessel, and where only a few rows, at an end, scattered or
    none, are pushed)."""
    pushes = np.zeros((n, 3))
    pushes[pushed] = np.random.default_rng(7).normal(size=(n, 3))[pushed]
    pushes[::3] = 0.0
    smoothed = np.full_like(pushes, np.nan)
    smooth_rows(pushes, _gaussian_weights(sigma), smoothed)
    assert_array_equal(smoothed, gaussian_filter1d(pushes, sigma, axis=0, mode="nearest"))


def test_avoidance_skipping_points_with_room_changes_no_vessel(monkeypatch):
    """Avoidance re-checks a point against an obstacle or the brainstem only once it has used
    up its room to move (a lower bound): the vessels come out bit for bit as when every point
    is checked at every step. (In case 8 of seed 7 the earlier k-d tree screen, whose room
    ignored a tapering obstacle, left a vessel 0.3 um off.)"""
    priors = load_priors()
    cases = (8, 5)
    screened = [sample_case(priors, 7, 200, i)[1] for i in cases]
    avoid = placement.avoid
    calls = []

    def every_point(*args):
        calls.append(args[-1])
        return avoid(*args[:-1], False)

    monkeypatch.setattr(placement, "avoid", every_point)
    for i, scene in zip(cases, screened):
        checked = sample_case(priors, 7, 200, i)[1]
        assert scene.vessels.keys() == checked.vessels.keys()
        for name, vessel in scene.vessels.items():
            assert_array_equal(vessel.points, checked.vessels[name].points)
    assert len(calls) > 5 and all(calls)


@pytest.mark.parametrize("contact", [
    {"target": "CN7", "segment": "AS", "from": "caudal", "crossing_angle_deg": 85,
     "indentation_mm": 0.4},
    {"target": "CN7", "segment": "AS", "from": "anterior", "crossing_angle_deg": 170,
     "indentation_mm": 0.4},
    # (at 30 deg the straight crossing heads into CN VIII, dorsal at the brainstem: turned
    # off it, the vessel slides round to caudal and is refused; its mirror image places)
    {"target": "CN7", "segment": "AS", "from": "lateral", "crossing_angle_deg": 150},
    {"target": "CN7", "segment": "RDP", "from": "anterior", "crossing_angle_deg": 80,
     "indentation_mm": 0.3},
    {"target": "CN7", "s_mm": 13.0, "from": "anterior", "crossing_angle_deg": 80}])
def test_what_was_asked_is_reported(contact):
    """The side asked is the side reported, and the line angle of the directed angle asked
    (170 deg: the line angle 10) the angle reported, within ANGLE_TOLERANCE_DEG."""
    scene = build_scene(_spec_with(contact), "asked")
    (got,) = mvd_sim.analyze(scene).contacts
    assert got.side == contact["from"]
    assert abs(got.crossing_angle_deg - min(contact["crossing_angle_deg"],
                                            180 - contact["crossing_angle_deg"])) \
        <= ANGLE_TOLERANCE_DEG


def test_a_side_the_nerve_runs_along_is_refused_in_one_line_naming_file_and_field(tmp_path):
    """At the root exit point the nerve rises, so from caudal is along it: the PICA of a
    scenario asking that was placed from anterior and reported so; now refused."""
    path = tmp_path / "pica_rdp_caudal.yaml"
    path.write_text(
        "schema_version: 1\ntitle: t\ndescription: d\nside: left\nvessels:\n"
        "  - {id: va, type: VA}\n  - id: pica\n    type: PICA\n    compresses:\n"
        "      - {target: CN7, segment: RExP, from: caudal, crossing_angle_deg: 80,"
        " indentation_mm: 0.3}\n")
    with pytest.raises(mvd_sim.ScenarioError) as err:
        mvd_sim.load_scene(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: vessels[1].compresses[0].from: side 'caudal' runs "
                              "along CN7 at s = 0.5 mm")
    assert message.endswith("sides that can: lateral, medial, anterior, posterior")


def test_a_crossing_angle_out_of_range_is_refused_naming_file_and_field(tmp_path):
    path = tmp_path / "angle.yaml"
    path.write_text(
        "schema_version: 1\ntitle: t\ndescription: d\nside: right\nvessels:\n"
        "  - id: aica\n    type: AICA\n    compresses:\n"
        "      - {target: CN7, segment: AS, from: caudal, crossing_angle_deg: 175}\n")
    with pytest.raises(mvd_sim.ScenarioError,
                       match=rf"^{path}: vessels\[0\]\.compresses\[0\]\.crossing_angle_deg: "
                             r"crossing angles are directed, 10-170 degrees; 175 .*line angle "
                             r"of 5 degrees.*the flattest crossing that way is 170$"):
        mvd_sim.load_scenario(path)


def test_a_folded_vessel_is_refused_before_its_contacts_are_measured(monkeypatch):
    """An AICA asked from caudal on the attached segment whose course passes through itself
    (a draw of the sampler: cases of seed 1, issue #27 part 23) is refused for its shape
    before the checks of its contacts and approach run: neither is called on it."""
    spec = parse_scenario({
        "schema_version": 1, "title": "t", "description": "d", "side": "right",
        "anatomy": {"facial_nerve": {"cisternal_length_mm": 9.34,
                                     "angle_to_midline_deg": 81.0}},
        "vessels": [{"id": "ba", "type": "BA"},
                    {"id": "aica", "type": "AICA", "radius_mm": 0.445, "compresses": [
                        {"target": "CN7", "segment": "AS", "from": "caudal",
                         "crossing_angle_deg": 91.59}]}]})

    def unless_aica(check):
        def checked(vessel, *args):
            assert vessel.name != "aica", f"the folded aica was measured ({check.__name__})"
            return check(vessel, *args)
        return checked

    for name in ("_check_no_unasked_contact", "_check_approach"):
        monkeypatch.setattr(placement, name, unless_aica(getattr(placement, name)))
    with pytest.raises(mvd_sim.ScenarioError, match="aica would pass through itself"):
        build_scene(spec, "folded")
