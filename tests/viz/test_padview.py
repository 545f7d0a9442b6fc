"""The close-up on the pads: aimed from the named view that sees most of them, it shows more
of the pads' white felt than the surgeon's view of the same scene."""

from dataclasses import replace

import numpy as np
import pytest

from mvd_sim.scenario import SpongeSpec
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.viz.camera import VIEWS
from mvd_sim.viz.padview import pad_view
from mvd_sim.viz.palette import PAD_COLOR
from mvd_sim.viz.render import render_panel

CASE = "multi_aica_pica_right"


@pytest.fixture(scope="module")
def padded(scene_of):
    """The case with a 2 mm pad under each culprit where it presses CN VII (as placed,
    not solved)."""
    operation = Operation(pads=[SpongeSpec(id="p1", diameter_mm=2.0, s_mm=0.6, vessel="pica"),
                                SpongeSpec(id="p2", diameter_mm=2.0, s_mm=3.9, vessel="aica")])
    operated = operate(scene_of(CASE), operation)
    return replace(operated.scene, sponges=operated.sponges)


def _felt(image: np.ndarray) -> int:
    """Pixels of the pads' white felt as lit: light and grey (nothing else drawn is both;
    CN VII is cream, the petrous bone blue-grey)."""
    rgb = image.astype(int)
    grey = rgb.max(axis=-1) - rgb.min(axis=-1) < 18
    return int(np.count_nonzero(grey & (rgb.min(axis=-1) > 130)))


def test_the_pads_are_drawn_white():
    assert min(PAD_COLOR) > 230 and max(PAD_COLOR) - min(PAD_COLOR) < 10


def test_no_pad_no_close_up(scene_of):
    assert pad_view(scene_of(CASE)) is None


def test_the_close_up_sees_the_pads_better_than_the_surgeons_view(padded):
    close = pad_view(padded)
    assert close.view in VIEWS and close.visible > 0.5
    assert np.allclose(close.camera.focus,
                       np.mean([s.centre for s in padded.sponges], axis=0), atol=2.0)
    size = (600, 450)
    near = render_panel(padded, size=size, annotate_it=False, camera=close.camera).image
    far = render_panel(padded, view="retrosigmoid", size=size, annotate_it=False).image
    assert _felt(near) > 5 * max(_felt(far), 1)
    assert _felt(near) > 0.005 * size[0] * size[1]  # two 2 mm balls in a 12 mm field
