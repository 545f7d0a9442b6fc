"""The analysis names each contact's cause: a tumour's displacement of CN VII/VIII, an
aneurysm's dome graded like a vessel, a nidus, a dolichoectatic VA, a tethering band."""

import dataclasses

import numpy as np
import pytest

from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.contact.analysis import analyze
from mvd_sim.contact.causes import dolichoectatic, tortuosity
from mvd_sim.core.constants import DOLICHOECTASIA_DIAMETER_MM, DOLICHOECTASIA_TORTUOSITY
from mvd_sim.core.tube import Tube


def _cn7(report):
    return [c for c in report.contacts if c.nerve == "CN7"]


def test_a_tumour_is_reported_as_the_cause_with_the_displacement_it_makes(scene_of):
    """The bundled schwannoma displaces CN VII by the 1.5 mm asked (to the nodes' spacing)
    and CN VIII farther; both contacts are the tumour's, the pattern secondary."""
    report = analyze(scene_of("schwannoma_porus_right"))
    assert report.pattern == "secondary"
    assert report.causes == ["tumour"]
    (cn7,) = _cn7(report)
    assert (cn7.vessel, cn7.vessel_type, cn7.cause) == ("schwannoma", "schwannoma", "tumour")
    assert cn7.deviation_mm == pytest.approx(1.5, abs=0.02)
    (cn8,) = [c for c in report.contacts if c.nerve == "CN8"]
    assert cn8.cause == "tumour" and cn8.deviation_mm > cn7.deviation_mm
    assert report.culprits[0].vessel == "schwannoma"


def test_an_aneurysm_dome_on_the_rez_is_graded_like_a_vessel_and_labelled(scene_of):
    """The dome of the bundled PICA aneurysm presses the RExP: the contact is the
    aneurysm's, graded by the same thresholds as a vessel's; replacing the dome by a vessel
    pressing as deep at the same place gives the same grade."""
    scene = scene_of("aneurysm_pica_rexp_right")
    report = analyze(scene)
    (contact,) = _cn7(report)
    assert (contact.vessel, contact.cause, contact.segment) == \
        ("pica_aneurysm", "aneurysm", "RExP")
    assert contact.in_rez and report.pattern == "single"
    # a vessel through the dome's centre along the parent's direction, as deep in the nerve
    dome = scene.lesions["pica_aneurysm"].body
    radius = float(dome.semi_axes_mm[0])
    axis = dome.axes[0]
    tube = Tube("probe", "AICA", dome.centre + np.linspace(-8, 8, 81)[:, None] * axis, radius)
    as_vessel = dataclasses.replace(scene, lesions={}, vessels={**scene.vessels,
                                                                 "probe": tube})
    probe = [c for c in _cn7(analyze(as_vessel)) if c.vessel == "probe"][0]
    assert probe.cause == "vascular"
    assert probe.indentation_mm == pytest.approx(contact.indentation_mm, abs=0.05)
    assert probe.severity == contact.severity


def test_an_avm_nidus_makes_the_spasm_secondary(scene_of):
    report = analyze(scene_of("avm_rexp_right"))
    (contact,) = _cn7(report)
    assert (contact.vessel, contact.vessel_type, contact.cause) == ("nidus", "avm", "avm")
    assert contact.indentation_mm == pytest.approx(0.3, abs=0.01)
    assert report.pattern == "secondary" and report.causes == ["avm"]


def test_a_dolichoectatic_va_is_labelled_as_such(scene_of):
    """The bundled left VA is wide and tortuous beyond the thresholds: its contact's cause
    is dolichoectasia; the ordinary dominant VA of va_as_severe_left is not ectatic."""
    va = scene_of("dolichoectatic_va_left").vessels["va"]
    assert 2 * va.radius.max() >= DOLICHOECTASIA_DIAMETER_MM
    assert tortuosity(va) >= DOLICHOECTASIA_TORTUOSITY
    (contact,) = _cn7(analyze(scene_of("dolichoectatic_va_left")))
    assert contact.cause == "dolichoectasia"
    assert not dolichoectatic(scene_of("va_as_severe_left").vessels["va"])
    assert [c.cause for c in _cn7(analyze(scene_of("va_as_severe_left")))] == ["vascular"]


@pytest.mark.parametrize("diameter, bend, expected", [(5.0, 6.0, True), (4.0, 6.0, False),
                                                      (5.0, 1.0, False)])
def test_dolichoectasia_needs_both_width_and_tortuosity(diameter, bend, expected):
    """A VA over a 20 mm chord waved into one sine period of amplitude ``bend`` (tortuosity
    1.62 at 6 mm, 1.02 at 1 mm) is ectatic only if wide and tortuous enough."""
    t = np.linspace(0.0, 1.0, 201)
    points = np.column_stack([20.0 * t, bend * np.sin(2 * np.pi * t), np.zeros_like(t)])
    tube = Tube("va", "VA", points, diameter / 2)
    assert dolichoectatic(tube) == (diameter >= DOLICHOECTASIA_DIAMETER_MM
                                    and tortuosity(tube) >= DOLICHOECTASIA_TORTUOSITY)
    assert dolichoectatic(tube) == expected


def test_a_tethering_band_is_named_among_the_causes(scene_of):
    report = analyze(scene_of("arachnoid_band_aica_right"))
    assert report.causes == ["vascular", "arachnoid_band"]
    assert report.pattern == "single"


def test_a_lesion_away_from_the_nerves_is_no_contact(scene_of):
    scene = scene_of("atlas_default_right")
    far = Lesion("far", "meningioma", "tumour",
                 Ellipsoid("far", "meningioma", np.array([0.0, -40.0, 30.0]), np.eye(3),
                           np.array([4.0, 3.0, 3.0])))
    report = analyze(dataclasses.replace(scene, lesions={"far": far}))
    assert report.contacts == [] and report.pattern == "none" and report.causes == []


@pytest.mark.parametrize("scenario", ["schwannoma_porus_right", "aneurysm_pica_rexp_right",
                                      "avm_rexp_right"])
def test_a_left_lesion_case_is_the_mirror_of_the_right(case_of, scenario):
    """The same scenario on the left: the same contacts, grades and displacements, the
    lesion mirrored through x = 0."""
    from mvd_sim.scene.build import build_scene
    right = case_of(scenario)
    left = build_scene(right.spec.model_copy(update={"side": "left"}))

    def summary(report):
        return [(c.vessel, c.nerve, c.segment, c.severity, c.cause,
                 round(c.deviation_mm, 6), round(c.indentation_mm, 6))
                for c in report.contacts]

    assert summary(analyze(left)) == summary(analyze(right.scene))
    for name, lesion in right.scene.lesions.items():
        np.testing.assert_allclose(left.lesions[name].body.centre,
                                   lesion.body.centre * [-1.0, 1.0, 1.0], atol=1e-9)


def test_a_vessel_touching_a_sphere_is_found_with_the_closed_form_gap():
    """A straight tube of radius 0.5 whose axis passes d = 3.3 from the centre of a sphere of
    radius 3: one touch, gap d - R - r = -0.2 mm, at the points facing each other."""
    from mvd_sim.contact.causes import lesion_vessel_touches
    body = Ellipsoid("m", "meningioma", np.zeros(3), np.eye(3), np.full(3, 3.0))
    mass = Lesion("m", "meningioma", "tumour", body)
    vessel = Tube("v", "AICA", np.linspace([-10.0, 0.0, 3.3], [10.0, 0.0, 3.3], 201), 0.5)
    (gap, on_lesion, on_vessel), = lesion_vessel_touches(mass, vessel, 0.05)
    assert gap == pytest.approx(-0.2, abs=1e-9)
    np.testing.assert_allclose(on_lesion, [0.0, 0.0, 3.0], atol=1e-9)
    np.testing.assert_allclose(on_vessel, [0.0, 0.0, 2.8], atol=1e-9)
    clear = dataclasses.replace(vessel, points=vessel.points + [0.0, 0.0, 0.5])
    assert lesion_vessel_touches(mass, clear, 0.05) == []


def test_the_report_lists_the_vessels_a_lesion_touches(scene_of):
    """The schwannoma displaces the AICA (draped round it, touching it); the nidus' drainer
    runs through it; an aneurysm's own vessel is not listed. These do not change the
    culprits or the pattern."""
    schwannoma = analyze(scene_of("schwannoma_porus_right"))
    (aica,) = schwannoma.lesion_contacts
    assert (aica.lesion, aica.cause, aica.vessel, aica.vessel_type) == \
        ("schwannoma", "tumour", "aica", "AICA")
    assert -1e-6 <= aica.min_separation_mm <= schwannoma.thresholds_mm["contact"]
    assert aica.displacement_mm > 1.0 and aica.role is None
    assert [c.vessel for c in schwannoma.culprits] == ["schwannoma"]
    avm = analyze(scene_of("avm_rexp_right"))
    assert [(c.vessel, c.role) for c in avm.lesion_contacts] == [("vein", "drainer")]
    assert avm.lesion_contacts[0].displacement_mm is None
    assert analyze(scene_of("aneurysm_pica_rexp_right")).lesion_contacts == []
