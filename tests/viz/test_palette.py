"""The colour science against known values, and the palette against it: severities apart
under simulated dichromacy, vessels off the severity hues."""

import itertools

import numpy as np
import pytest

from mvd_sim.viz.palette import (CVD_MATRICES, MIN_SEVERITY_DELTA_E, MIN_TEXT_CONTRAST,
                                 PANEL_COLOR, SEVERITY_COLORS, TEXT_COLOR, VESSEL_COLORS,
                                 contrast_ratio, delta_e, simulate_cvd, to_lab)


def test_contrast_ratio_closed_forms():
    assert contrast_ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast_ratio((120, 30, 200), (120, 30, 200)) == pytest.approx(1.0)
    # WCAG's own example: #777777 on white is 4.48
    assert contrast_ratio((0x77,) * 3, (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


def test_cielab_known_values():
    assert to_lab((255, 255, 255)) == pytest.approx([100, 0, 0], abs=1e-3)
    assert to_lab((0, 0, 0)) == pytest.approx([0, 0, 0], abs=1e-6)
    # sRGB red, D65 (Lindbloom): L 53.24, a 80.09, b 67.20
    assert to_lab((255, 0, 0)) == pytest.approx([53.24, 80.09, 67.20], abs=0.05)


@pytest.mark.parametrize("kind", sorted(CVD_MATRICES))
def test_dichromat_simulation_keeps_greys_and_merges_its_confusion_colours(kind):
    # each Machado matrix maps white to white (rows sum to 1): greys are kept
    assert CVD_MATRICES[kind].sum(axis=1) == pytest.approx(np.ones(3), abs=1e-3)
    assert simulate_cvd((128, 128, 128), kind) == pytest.approx([128] * 3, abs=1.0)


def test_deuteranopia_confuses_red_and_green():
    red, green = (200, 60, 40), (110, 120, 40)
    assert delta_e(red, green) > 40
    assert delta_e(simulate_cvd(red, "deuteranopia"), simulate_cvd(green, "deuteranopia")) < 15


@pytest.mark.parametrize("kind", [None, "deuteranopia", "protanopia", "tritanopia"])
def test_severity_colours_stay_apart(kind):
    seen = {s: np.asarray(c, float) if kind is None else simulate_cvd(c, kind)
            for s, c in SEVERITY_COLORS.items()}
    for a, b in itertools.combinations(seen, 2):
        assert delta_e(seen[a], seen[b]) >= MIN_SEVERITY_DELTA_E, (kind, a, b)


def test_no_vessel_wears_a_severity_colour():
    for (vessel, v), (severity, s) in itertools.product(VESSEL_COLORS.items(),
                                                         SEVERITY_COLORS.items()):
        assert delta_e(v, s) >= MIN_SEVERITY_DELTA_E, (vessel, severity)
        for kind in ("deuteranopia", "protanopia"):
            assert delta_e(simulate_cvd(v, kind), simulate_cvd(s, kind)) >= 10, \
                (vessel, severity, kind)


def test_text_reads_on_its_panel():
    assert contrast_ratio(TEXT_COLOR, PANEL_COLOR) >= MIN_TEXT_CONTRAST
