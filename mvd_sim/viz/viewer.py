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

from mvd_sim.case import Case
from mvd_sim.surgery.decompress import settle_postop
from mvd_sim.core.errors import MvdSimError
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.mechanics.simulate import Settled, build_model, settle
from mvd_sim.mesh.meshing import tube_mesh
from mvd_sim.viz.render import (BACKGROUND, BRAINSTEM_COLOR, NERVE_COLORS, SPONGE_COLOR,
                                VESSEL_COLORS, VESSEL_OPACITY, add_context, camera_for,
                                prefer_headless)
from mvd_sim.surgery.operation import Operation, operate

__all__ = ["Viewer", "build_viewer", "open_viewer", "has_display", "require_display",
           "PHASE_STEPS"]

PHASE_STEPS = 16  # the pulse slider snaps to this many phases
TUBE_SIDES = 24


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
    """The plotter, the meshes it shows, and the solved states it switches between.

    Attributes
    ----------
    plotter : pyvista.Plotter
    phase : float
        Cardiac phase shown, in [0, 1).
    after : bool
        Whether the operation is made.
    """

    def __init__(self, case: Case, operation: Operation, off_screen: bool):
        import pyvista as pv

        from mvd_sim.mesh.files import to_polydata
        from mvd_sim.mesh.meshing import brainstem_mesh, sponge_mesh

        if off_screen:
            prefer_headless()
        scene = case.scene
        self.scene, self.phase, self.after = scene, 0.0, False
        self.visible = {"brainstem": True, "nerves": True, "vessels": True, "pads": True,
                        "context": True}
        self.models = [build_model(scene, (), case.materials)]
        self.operated = None
        if not operation.is_empty:
            self.operated = operate(scene, operation)
            self.models.append(self.operated.model(self.models[0]))
        self.state = settle(scene, level=float(pulse_level(0.0)), model=self.models[0])
        self.plotter = pv.Plotter(off_screen=off_screen, window_size=[1200, 900])
        self.plotter.set_background(tuple(c / 255 for c in BACKGROUND))
        camera = camera_for(scene, "retrosigmoid")
        self.groups: dict[str, list] = {"brainstem": [], "nerves": [], "vessels": [],
                                        "pads": [],
                                        "context": list(add_context(self.plotter, scene,
                                                                    camera).values())}
        self.groups["brainstem"].append(self.plotter.add_mesh(
            to_polydata(brainstem_mesh(scene.brainstem, 120, 150)), color=BRAINSTEM_COLOR,
            smooth_shading=True))
        self.meshes, self.actors = {}, {}
        shown = self.state.scene
        for name, tube in {**shown.nerves, **shown.vessels}.items():
            self.meshes[name] = to_polydata(tube_mesh(tube, TUBE_SIDES))
            nerve = name in shown.nerves
            self.actors[name] = self.plotter.add_mesh(
                self.meshes[name], smooth_shading=True,
                opacity=1.0 if nerve else VESSEL_OPACITY,
                color=NERVE_COLORS.get(name) if nerve else VESSEL_COLORS.get(tube.kind))
            self.groups["nerves" if nerve else "vessels"].append(self.actors[name])
        self.pad_meshes = []
        for sponge in self.models[-1].sponges:
            self.pad_meshes.append(to_polydata(sponge_mesh(sponge)))
            actor = self.plotter.add_mesh(self.pad_meshes[-1], color=SPONGE_COLOR)
            actor.SetVisibility(False)
            self.groups["pads"].append(actor)
        self.plotter.camera.position = tuple(camera.position)
        self.plotter.camera.focal_point = tuple(camera.focus)
        self.plotter.camera.up = tuple(camera.up)

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
                self.actors[name].SetVisibility(False)

    def _solve(self) -> Settled:
        from mvd_sim.mesh.meshing import sponge_mesh

        model = self.models[1 if self.after else 0]
        level = float(pulse_level(self.phase))
        if self.after:
            before = settle(self.scene, level=level, model=self.models[0])
            state = settle_postop(self.operated.scene, self.models[0], model,
                                  self.operated.holds_off, before, level)
        else:
            state = settle(self.scene, level=level, model=model,
                           u0=self.state.solution.u if self.state.model is model else None)
        for name, tube in {**state.scene.nerves, **state.scene.vessels}.items():
            self.meshes[name].points = tube_mesh(tube, TUBE_SIDES)[0]
        for mesh, sponge in zip(self.pad_meshes, state.scene.sponges):
            mesh.points = sponge_mesh(sponge)[0]
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
    """The viewer: checkboxes for brainstem, nerves, vessels, pads and the operative field
    around them (context), a cardiac-phase slider and, with an ``operation`` that makes a
    move, a before/after switch."""
    operation = Operation() if operation is None else operation
    viewer = Viewer(case, operation, off_screen)
    plotter = viewer.plotter
    groups = ("brainstem", "nerves", "vessels", "pads", "context")
    for k, group in enumerate(groups):
        plotter.add_checkbox_button_widget(
            lambda on, g=group: viewer.show_group(g, on), value=True,
            position=(10, 10 + 45 * k), size=35)
        plotter.add_text(group, position=(52, 16 + 45 * k), font_size=10)
    plotter.add_slider_widget(
        lambda value: viewer.set_phase(round(value * PHASE_STEPS) / PHASE_STEPS),
        rng=(0.0, 1.0 - 1.0 / PHASE_STEPS), value=0.0, title="cardiac phase",
        pointa=(0.55, 0.08), pointb=(0.95, 0.08), style="modern")
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
