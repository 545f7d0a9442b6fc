"""The reports' words: a phase of the pulse, and where a point lies along CN VII."""

import numpy as np
import pytest

from mvd_sim.mechanics.pulse import DIASTOLE, SYSTOLE
from mvd_sim.report.words import nerve_place, phase_words


@pytest.mark.parametrize("phase, name", [(SYSTOLE, "systole"), (DIASTOLE, "diastole"),
                                         (0.30, "between systole and diastole")])
def test_phase_words_name_the_part_of_the_cycle(phase, name):
    words = phase_words(phase)
    assert words.startswith(f"{100 * phase:.0f}% of the cardiac cycle ({name}:")


@pytest.mark.parametrize("s_rest", [0.5, 3.0, 8.0, 15.0])
def test_a_point_beside_cn7_is_placed_at_its_arc_length(scene_of, s_rest):
    scene = scene_of("multi_aica_pica_right")
    placed, rest = scene.nerves["CN7"], scene.rest_nerves["CN7"]
    s_placed = float(np.interp(s_rest, rest.s, placed.s))
    _, normal, _ = (f[np.argmin(np.abs(placed.s - s_placed))] for f in placed.frames)
    point = placed.point_at(s_placed) + 0.5 * normal  # on the surface, square to the axis
    segment, s = nerve_place(scene, point)
    assert s == pytest.approx(s_rest, abs=0.05)
    assert segment == scene.landmarks["CN7"].segment_at(s_rest)
