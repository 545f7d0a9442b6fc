"""CN VII and CN VIII builders: exact arc lengths, landmarks, attachment and clearance."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.nerves import (build_facial_nerve, build_vestibulocochlear_nerve,
                                    surface_march)
from mvd_sim.core.constants import FacialNerveParams, VestibulocochlearParams
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import closest_approach, point_polyline


def _build(**overrides):
    shape = BrainstemShape()
    params = FacialNerveParams(**overrides)
    brainstem = Brainstem(shape, shape.root_exit_point(params.exit_from_midline_mm))
    facial = build_facial_nerve(brainstem, params)
    cochlear = build_vestibulocochlear_nerve(brainstem, facial, VestibulocochlearParams())
    return brainstem, params, facial, cochlear


@pytest.fixture(scope="module")
def default():
    return _build()


@pytest.mark.parametrize("attached, cisternal", [(10.0, 12.4), (6.0, 14.0), (12.0, 9.0)])
def test_arc_lengths_and_landmarks_are_exact(attached, cisternal):
    _, params, facial, _ = _build(attached_segment_length_mm=attached,
                                  cisternal_length_mm=cisternal)
    lm = facial.landmarks
    assert_allclose(facial.tube.length_mm, attached + cisternal, rtol=0, atol=1e-9)
    assert_allclose(lm.porus_mm, attached + cisternal, rtol=0, atol=1e-9)
    assert lm.rdp_mm == attached
    # the RDP is a vertex of the polyline: the attached march ends exactly there
    assert np.min(np.abs(facial.tube.s - attached)) < 1e-9
    assert_allclose(lm.tz_start_mm, attached + params.rdp_to_transition_zone_mm, atol=1e-12)
    assert_allclose(lm.tz_end_mm - lm.tz_start_mm, params.transition_zone_length_mm,
                    atol=1e-12)


def test_root_starts_on_the_brainstem_at_the_origin(default):
    brainstem, params, facial, _ = default
    r0 = params.diameter_mm / 2
    # the scene origin is the RExP on the surface; the centerline starts one radius above it
    assert_allclose(brainstem.signed_distance(np.zeros((1, 3))), 0.0, atol=1e-6)
    assert_allclose(np.linalg.norm(facial.tube.points[0]), r0, atol=1e-6)


def test_attached_segment_lies_on_the_pons_and_cisternal_portion_is_free(default):
    brainstem, params, facial, _ = default
    tube, lm = facial.tube, facial.landmarks
    clearance = brainstem.signed_distance(tube.points) - tube.radius
    attached = tube.s <= lm.rdp_mm
    assert_allclose(clearance[attached], 0.0, atol=1e-6)
    beyond = tube.s > lm.rdp_mm + 2.0
    assert np.all(clearance[beyond] > 0.05)
    # and it really is the pons above the sulcus: the root rises rostrally along it
    assert tube.point_at(lm.rdp_mm)[2] > 3.0



def test_a_surface_march_from_any_point_lies_on_the_offset_surface_and_keeps_its_length(default):
    """The attached root's rule from any start and heading (the imported rest course's
    bridge uses it): from the offset surface's point over the start, on that surface, and
    exactly as long as asked."""
    brainstem = default[0]
    start = np.array([1.5, -1.0, 2.0])
    line = surface_march(brainstem, start, np.array([0.2, 0.3, 1.0]), 0.9, 6.3)
    assert_allclose(brainstem.signed_distance(line), 0.9, atol=1e-6)
    q = brainstem.query(start[None])
    assert_allclose(line[0], q.closest[0] + 0.9 * q.normal[0], atol=1e-9)
    assert curve.arc_length(line)[-1] == pytest.approx(6.3, abs=1e-9)

def test_cisternal_portion_heads_for_the_porus_at_the_published_angle(default):
    _, params, facial, _ = default
    end = facial.tube.points[-1] - facial.tube.points[-2]
    axial = np.array([end[0], end[1]]) / np.hypot(end[0], end[1])
    angle_to_midline = np.degrees(np.arccos(abs(axial[1])))  # midline = anteroposterior axis
    assert_allclose(angle_to_midline, params.angle_to_midline_deg, atol=0.5)
    assert end[0] > 0  # lateral on a right-sided build


def test_radius_tapers_from_root_to_porus(default):
    _, params, facial, _ = default
    tube = facial.tube
    assert_allclose(tube.radius[0], params.diameter_mm / 2, rtol=1e-12)
    assert_allclose(tube.radius[-1], params.porus_diameter_mm / 2, rtol=1e-12)
    assert np.all(np.diff(tube.radius) <= 1e-12)


def test_vestibulocochlear_nerve_is_dorsal_and_clear_of_the_facial(default):
    brainstem, _, facial, cochlear = default
    ca = closest_approach(facial.tube.points, cochlear.tube.points, facial.tube.radius,
                          cochlear.tube.radius)
    assert ca.gap > 0.0
    # VIII enters dorsal to VII at the brainstem and ends posteroinferior at the porus
    assert cochlear.tube.points[0, 1] < facial.tube.points[0, 1]
    assert cochlear.tube.points[-1, 1] < facial.tube.points[-1, 1]
    assert cochlear.tube.points[-1, 2] < facial.tube.points[-1, 2]
    # its length stays within the published 16.5 +- 1.8 mm (mean +- 2 SD)
    assert 16.5 - 3.6 <= cochlear.tube.length_mm <= 16.5 + 3.6


def _surface_gaps(cochlear, facial) -> np.ndarray:
    """(n,) mm: from each CN VIII section to CN VII, the gap between their surfaces (VII's
    radius taken where its closest point lies)."""
    distance, segment, t, _ = point_polyline(cochlear.tube.points, facial.tube.points)
    radius7 = np.interp(facial.tube.s[segment] + t * np.diff(facial.tube.s)[segment],
                        facial.tube.s, facial.tube.radius)
    return distance - cochlear.tube.radius - radius7


def test_vestibulocochlear_nerve_runs_beside_the_facial_closing_toward_the_porus(default):
    """VIII leaves the brainstem the nervus intermedius' 0.62 mm from VII, with VII's
    junction below and in front of VIII's; the gap never widens on the way and the two are
    apposed at the porus; VIII is as long as Guclu 2012 measured (14.2-19.2 mm)."""
    _, _, facial, cochlear = default
    params = VestibulocochlearParams()
    start = np.linalg.norm(cochlear.tube.points[0] - facial.tube.points[0])
    assert_allclose(start - cochlear.tube.radius[0] - facial.tube.radius[0],
                    params.gap_to_facial_mm, atol=1e-6)
    offset = cochlear.tube.points[0] - facial.tube.points[0]
    assert offset[2] > 0.5 and offset[1] < -2.0        # VIII above and behind VII
    gaps = _surface_gaps(cochlear, facial)
    assert np.all(gaps > 0.0)
    assert gaps.max() <= params.gap_to_facial_mm + 0.05
    assert gaps[-1] < params.gap_to_facial_mm and gaps[-1] < gaps[0]
    assert 14.2 <= cochlear.tube.length_mm <= 19.2


def test_attached_segment_longer_than_the_pons_allows_is_refused_or_built_clear():
    # a very long attached segment still follows the surface exactly
    brainstem, _, facial, _ = _build(attached_segment_length_mm=14.0)
    tube = facial.tube
    attached = tube.s <= 14.0
    assert_allclose(brainstem.signed_distance(tube.points[attached]) - tube.radius[attached],
                    0.0, atol=1e-6)
