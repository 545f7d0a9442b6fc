"""An interactive pyvista window: toggle structures, step through the pulse, before/after.

``build_viewer`` makes the plotter (off-screen for tests); ``open_viewer`` shows it and, with
no display, refuses in one line (use ``mvd-sim render`` instead). Every picture is a solved
state: the case settled at the chosen phase of the pulse, without or with the operation
(pads, slings, divided veins hidden).
"""

from __future__ import annotations

import os
import socket
import sys

import dataclasses

import numpy as np

from mvd_sim.case import Case
from mvd_sim.contact.analysis import analyze
from mvd_sim.core.errors import MvdSimError
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.mechanics.simulate import Settled, build_model, settle
from mvd_sim.surgery.decompress import settle_postop
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.viz.actors import labels, legend_entries, scene_parts
from mvd_sim.viz.camera import camera_for
from mvd_sim.viz.draw import add_labels, add_parts, set_camera
from mvd_sim.viz.overlay import legend_image
from mvd_sim.viz.palette import BACKGROUND, unit_rgb
from mvd_sim.viz.render import prefer_headless

__all__ = ["Viewer", "build_viewer", "open_viewer", "has_display", "require_display",
           "PHASE_STEPS", "TOGGLES"]

PHASE_STEPS = 16  # the pulse slider snaps to this many phases
#: The viewer's checkboxes, each a group of parts (``contacts``: the patches on top).
TOGGLES = ("brainstem", "nerves", "vessels", "pads", "context", "contacts")
_TOGGLE_OF = {"brainstem": "brainstem", "nerve": "nerves", "vessel": "vessels",
              "pad": "pads", "context": "context"}


def _image_data(rgb: np.ndarray):
    """A pyvista image of an (h, w, 3) uint8 picture, its first row at the top."""
    import pyvista as pv

    h, w = rgb.shape[:2]
    image = pv.ImageData(dimensions=(w, h, 1))
    image.point_data["rgb"] = np.flipud(rgb).reshape(-1, 3)
    return image


def _x_server_reachable(display: str) -> bool:
    """Whether an X server answers at ``display`` (``[host]:N[.screen]``)."""
    host, _, rest = display.rpartition(":")
    try:
        number = int(rest.split(".")[0])
    except ValueError:
        return False
    address = (f"/tmp/.X11-unix/X{number}", None) if host in ("", "unix") else \
        (host, 6000 + number)
    family = socket.AF_UNIX if address[1] is None else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(address[0] if address[1] is None else address)
        except OSError:
            return False
    return True


def has_display() -> bool:
    """Whether a window can open: a reachable X server or a Wayland socket (always on macOS
    and Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland and os.path.exists(os.path.join(os.environ.get("XDG_RUNTIME_DIR", ""),
                                               wayland)):
        return True
    display = os.environ.get("DISPLAY")
    return bool(display) and _x_server_reachable(display)


class Viewer:
    """The plotter, the parts it shows (:func:`~mvd_sim.viz.actors.scene_parts`, as
    ``render`` draws them) and the solved states it switches between.

    Attributes
    ----------
    plotter : pyvista.Plotter
    phase : float
        Cardiac phase shown, in [0, 1).
    after : bool
        Whether the operation is made.
    groups : dict of group -> list of actors
        The toggles' groups (:data:`TOGGLES`), each the actors of its parts.
    meshes : dict of name -> pyvista.PolyData
        The meshes shown of the nerves, vessels and pads, updated in place as the case moves.
    labels : list of Label
        The labels drawn (at their first anchors, on the case as first shown).
    """

    def __init__(self, case: Case, operation: Operation, off_screen: bool):
        import pyvista as pv

        if off_screen:
            prefer_headless()
        scene = case.scene
        self.scene, self.phase, self.after = scene, 0.0, False
        self.thresholds = case.thresholds   # the patches are graded as the case is
        self.visible = {group: True for group in TOGGLES}
        self.models = [build_model(scene, (), case.materials)]
        self.operated = None
        if not operation.is_empty:
            self.operated = operate(scene, operation)
            self.models.append(self.operated.model(self.models[0]))
        self.state = settle(scene, level=float(pulse_level(0.0)), model=self.models[0])
        self.camera = camera_for(scene, "retrosigmoid")
        self.plotter = pv.Plotter(off_screen=off_screen, window_size=[1200, 900])
        self.plotter.set_background(unit_rgb(BACKGROUND))
        # the pads of the operation, drawn (hidden) from the start so toggling is instant
        shown = self.state.scene
        pads = self.models[-1].sponges
        parts = scene_parts(dataclasses.replace(shown, sponges=tuple(pads)),
                            analyze(shown, case.thresholds), self.camera)
        self.drawn = add_parts(self.plotter, [p for p in parts if p.group != "contact"])
        self.meshes = {p.name: p.mesh for p in parts
                       if p.group in ("nerve", "vessel", "pad")}
        self.pad_names = [p.name for p in parts if p.group == "pad"]
        self.groups: dict[str, list] = {group: [] for group in TOGGLES}
        for part in parts:
            if part.group in _TOGGLE_OF:
                self.groups[_TOGGLE_OF[part.group]] += self.drawn.actors[part.name]
        self._contacts(parts)
        self._annotate(shown, parts)
        set_camera(self.plotter, self.camera)
        self._apply_visibility()

    def _contacts(self, parts) -> None:
        """(Re)draw the contact patches, on top."""
        for name in [n for n in self.drawn.actors if n.startswith("contact:")]:
            for actor in self.drawn.actors.pop(name):
                self.drawn.top.RemoveActor(actor)
        self.groups["contacts"] = []
        add_parts(self.plotter, [p for p in parts if p.group == "contact"], self.drawn)
        for name, actors in self.drawn.actors.items():
            if name.startswith("contact:"):
                self.groups["contacts"] += actors

    def _annotate(self, scene, parts) -> None:
        """Labels at their first anchors, the legend (as ``render`` draws it) and the
        triad."""
        self.labels = labels(scene)
        self.label_actor = add_labels(self.plotter, self.labels)
        legend = legend_image(legend_entries(parts))
        h, w = legend.shape[:2]
        self.plotter.add_logo_widget(_image_data(legend),
                                     position=(1.0 - w / 1200 - 0.01, 0.01),
                                     size=(w / 1200, h / 900))
        lateral = "lateral" if np.asarray(scene.lateral)[0] > 0 else "medial"
        self.plotter.add_axes(xlabel=lateral, ylabel="anterior", zlabel="rostral")

    def show_group(self, group: str, visible: bool) -> None:
        """Show or hide a group of structures (pads show only after they go in)."""
        self.visible[group] = bool(visible)
        self._apply_visibility()
        self.plotter.render()

    def _apply_visibility(self) -> None:
        for group, actors in self.groups.items():
            on = self.visible[group] and (group != "pads" or self.after)
            for actor in actors:
                actor.SetVisibility(on)
        if self.after:  # a divided vein is gone
            for name in self.operated.divided:
                for actor in self.drawn.actors[name]:
                    actor.SetVisibility(False)

    def _solve(self) -> Settled:
        model = self.models[1 if self.after else 0]
        level = float(pulse_level(self.phase))
        if self.after:
            before = settle(self.scene, level=level, model=self.models[0])
            state = settle_postop(self.operated.scene, self.models[0], model,
                                  self.operated.holds_off, before, level)
        else:
            state = settle(self.scene, level=level, model=model,
                           u0=self.state.solution.u if self.state.model is model else None)
        shown = state.scene
        parts = scene_parts(shown, analyze(shown, self.thresholds))
        for part in parts:
            if part.name in self.meshes:
                self.meshes[part.name].copy_from(part.mesh)
        self._contacts(parts)
        self._apply_visibility()
        self.state = state
        self.plotter.render()
        return state

    def set_phase(self, phase: float) -> Settled:
        """Show the case at a cardiac phase in [0, 1)."""
        self.phase = float(phase) % 1.0
        return self._solve()

    def set_after(self, after: bool) -> Settled:
        """Show the case with (True) or without the operation."""
        if after and len(self.models) < 2:
            raise MvdSimError("no operation to show: give --plan")
        self.after = bool(after)
        return self._solve()

def build_viewer(case: Case, operation: Operation | None = None,
                 off_screen: bool = False) -> Viewer:
    """The viewer: checkboxes for brainstem, nerves, vessels, pads, the operative field
    around them (context) and the contact patches, labels and the legend as ``render``
    draws them, a cardiac-phase slider and, with an ``operation`` that makes a
    move, a before/after switch."""
    operation = Operation() if operation is None else operation
    viewer = Viewer(case, operation, off_screen)
    plotter = viewer.plotter
    groups = TOGGLES
    for k, group in enumerate(groups):
        plotter.add_checkbox_button_widget(
            lambda on, g=group: viewer.show_group(g, on), value=True,
            position=(10, 10 + 45 * k), size=35)
        plotter.add_text(group, position=(52, 16 + 45 * k), font_size=10)
    plotter.add_slider_widget(
        lambda value: viewer.set_phase(round(value * PHASE_STEPS) / PHASE_STEPS),
        rng=(0.0, 1.0 - 1.0 / PHASE_STEPS), value=0.0, title="cardiac phase",
        pointa=(0.45, 0.93), pointb=(0.8, 0.93), style="modern")
    if not operation.is_empty:
        plotter.add_checkbox_button_widget(viewer.set_after, value=False,
                                           position=(10, 10 + 45 * len(groups)), size=35)
        plotter.add_text("after the operation", position=(52, 16 + 45 * len(groups)),
                         font_size=10)
    return viewer


def require_display() -> None:
    """Raise a one-line :class:`MvdSimError` when no window can open."""
    if not has_display():
        raise MvdSimError("no display: mvd-sim view needs a graphical session (no X or "
                          "Wayland server answers); use mvd-sim render -o FILE.png instead")


def open_viewer(case: Case, operation: Operation | None = None) -> None:
    """Open the window and block until it is closed (:func:`require_display` first)."""
    require_display()
    build_viewer(case, operation).plotter.show()
