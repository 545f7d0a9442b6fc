"""The interactive viewer, driven off-screen: toggles, the pulse slider, before/after."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.scenario import SpongeSpec
from mvd_sim.surgery.operation import Operation
from mvd_sim.viz.viewer import build_viewer, has_display, open_viewer


@pytest.fixture(scope="module")
def viewer(case_of):
    view = build_viewer(case_of("aica_as_moderate_right"),
                        Operation(pads=[SpongeSpec(diameter_mm=2.0, s_mm=3.5, vessel="aica")]),
                        off_screen=True)
    yield view
    view.plotter.close()


def _shot(view):
    return view.plotter.screenshot(return_img=True).astype(int)


def test_pulse_slider_moves_the_artery(viewer):
    start = viewer.meshes["aica"].points.copy()
    state = viewer.set_phase(mvd_sim.mechanics.pulse.SYSTOLE)
    assert state.level == pytest.approx(1.0, abs=1e-3)
    moved = np.linalg.norm(viewer.meshes["aica"].points - start, axis=1).max()
    assert 0.01 < moved < 1.0
    viewer.set_phase(0.0)


def test_before_after_switch_shows_the_pad_and_frees_the_nerve(viewer):
    before = _shot(viewer)
    state = viewer.set_after(True)
    assert all(actor.GetVisibility() for actor in viewer.groups["pads"])
    assert not [c for c in mvd_sim.analyze(state.scene).contacts if c.nerve == "CN7"]
    assert np.abs(_shot(viewer) - before).mean() > 0.5
    viewer.set_after(False)
    assert not any(actor.GetVisibility() for actor in viewer.groups["pads"])


def test_toggles_hide_and_show_structures(viewer):
    shown = _shot(viewer)
    viewer.show_group("vessels", False)
    assert np.abs(_shot(viewer) - shown).mean() > 0.5
    viewer.show_group("vessels", True)
    assert np.abs(_shot(viewer) - shown).mean() < 0.01


def test_the_operative_field_toggles_too(viewer):
    assert len(viewer.groups["context"]) == 1 + len(viewer.scene.context)   # and the petrous
    shown = _shot(viewer)
    viewer.show_group("context", False)
    assert np.abs(_shot(viewer) - shown).mean() > 0.5
    viewer.show_group("context", True)
    assert np.abs(_shot(viewer) - shown).mean() < 0.01


def test_no_display_is_one_line(case_of, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert not has_display()
    with pytest.raises(mvd_sim.MvdSimError, match="no display"):
        open_viewer(case_of("near_miss_control_right"))


def test_the_viewer_shows_what_render_shows(viewer):
    """The contact patch in its severity colour (on top, toggled with ``contacts``), the
    labels and the legend, from the same parts as ``render``."""
    from mvd_sim.viz.palette import SEVERITY_COLORS, TEXT_COLOR

    (contact,) = [c for c in mvd_sim.analyze(viewer.state.scene).contacts if c.nerve == "CN7"]
    colour = SEVERITY_COLORS[contact.severity]
    shot = _shot(viewer)
    assert np.all(shot[..., :3] == colour, axis=-1).sum() > 20
    viewer.show_group("contacts", False)
    assert np.all(_shot(viewer)[..., :3] == colour, axis=-1).sum() < \
        np.all(shot[..., :3] == colour, axis=-1).sum()
    viewer.show_group("contacts", True)
    texts = {label.text for label in viewer.labels}
    assert {"CN VII", "CN VIII", "AICA", "RExP", "REZ end"} <= texts
    # the legend picture in the lower right corner: light text on the dark panel
    corner = shot[-200:, -260:, :3]
    assert np.all(corner == TEXT_COLOR, axis=-1).sum() > 50
