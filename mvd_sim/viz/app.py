"""``mvd-sim serve``: the case in a browser, to step the pulse and place pads by clicking.

A trame app bound to 127.0.0.1 only. The server holds a
:class:`~mvd_sim.surgery.session.Session` (the case, its pads, the phase shown) and draws it
off-screen with VTK (EGL without a display); the browser shows the server's pictures
(trame-vtk's remote view) and sends back its clicks. On the page:

- a case: the bundled scenarios and the scenario given on the command line;
- the cardiac phase, in :data:`~mvd_sim.viz.viewer.PHASE_STEPS` steps: the case is solved
  at that phase with its pads in;
- a click on a vessel places a Teflon pad on CN VII between the two, where that vessel
  point faces the nerve (:meth:`~mvd_sim.surgery.session.Session.with_pad_at`); the pick is
  the first solid on the line of sight through the clicked pixel
  (:func:`~mvd_sim.scene.pick.first_hit`);
- the verdict in one line: decompressed or not through the whole pulse, and why; the pads
  placed, each removable, and an undo.

An exercise (:class:`Handout`, ``mvd-sim serve ex/``) is served as it is handed out: its case
alone, without contact patches, severity legend or verdict, and with a button that saves
the pads placed as the trainee's answer.

Examples
--------
::

    mvd-sim serve aica_as_moderate_right --port 8080     # then open http://127.0.0.1:8080/
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvd_sim.case import Case
from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SeverityThresholds
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.scenario import SpongeSpec, bundled_scenarios, resolve_scenario
from mvd_sim.scene.pick import first_hit
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.planner import PAD_DIAMETERS_MM
from mvd_sim.surgery.session import Session
from mvd_sim.viz.actors import Part, labels, legend_entries, scene_parts
from mvd_sim.viz.camera import DURAL_DEPTH_MM, Camera, camera_for
from mvd_sim.viz.draw import Drawn, add_labels, add_parts, set_camera
from mvd_sim.viz.palette import BACKGROUND, PANEL_COLOR, TEXT_COLOR, unit_rgb
from mvd_sim.viz.render import prefer_headless
from mvd_sim.viz.viewer import PHASE_STEPS

__all__ = ["ServeApp", "Handout", "serve", "case_choices", "HOST", "display_ray",
           "EXERCISE_NOTE"]

HOST = "127.0.0.1"  # the app is for this machine only: it is never bound elsewhere
VIEW_SIZE = (1000, 750)  # the picture's starting size (pixels); the browser's sets it after
AUTO = "auto"  # pad diameter chosen by the planner's rule for the clicked vessel
#: Groups of parts that are solids of the pick (:func:`~mvd_sim.scene.pick.first_hit`'s
#: kinds) and may be drawn over the others.
PICKED_OVER = frozenset({"pad"})
#: What the verdict's line says while an exercise is served (its verdict is the grader's).
EXERCISE_NOTE = ("Exercise: place your pads, then save them as your answer; they are "
                 "simulated through the pulse when mvd-sim exercise grade scores it.")


@dataclass(frozen=True)
class Handout:
    """An exercise served as handed out: its name, its scenario file and what saves the
    pads placed (returns the line shown, e.g. the file written)."""

    name: str
    scenario: Path
    save: Callable[[tuple[SpongeSpec, ...]], str]


def display_ray(renderer, x: float, y: float, near_mm: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """The line of sight through display pixel ``(x, y)`` (from the bottom left) of a VTK
    renderer's perspective camera, from where it crosses the plane ``near_mm`` in front of
    the eye (what is nearer is not drawn): that point and the ray's direction (scene frame,
    mm)."""
    camera = renderer.GetActiveCamera()
    eye = np.array(camera.GetPosition(), dtype=float)
    forward = np.array(camera.GetDirectionOfProjection(), dtype=float)
    renderer.SetDisplayPoint(float(x), float(y), 0.5)
    renderer.DisplayToWorld()
    point = np.array(renderer.GetWorldPoint(), dtype=float)
    direction = point[:3] / point[3] - eye
    return eye + near_mm / float(direction @ forward) * direction, direction


def draw_scene(plotter, scene: Scene, camera: Camera, drawn: Drawn | None = None,
               contacts: bool = True,
               thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> list[Part]:
    """Draw ``scene`` in ``plotter`` as every picture does: the parts of
    :func:`~mvd_sim.viz.actors.scene_parts` (those ``on_top`` in ``drawn.top`` when given;
    without the contact patches unless ``contacts``; graded with ``thresholds``, the case's
    own) and the labels at their anchors; returns the parts."""
    from mvd_sim.contact.analysis import analyze

    report = analyze(scene, thresholds)
    if not contacts:
        report = report.model_copy(update={"contacts": []})
    parts = scene_parts(scene, report, camera)
    add_parts(plotter, parts, drawn)
    add_labels(plotter, labels(scene, report), name="labels")
    return parts


class ServeApp:
    """The app: its trame server, the plotter it draws in and the session history.

    Parameters
    ----------
    cases : Mapping[str, Path]
        The cases offered, by name: the bundled scenarios and the one given.
    first : str
        The case shown first (a key of ``cases``).
    server : trame server, optional
        Default: a new one.
    handout : Handout, optional
        Serve this exercise (``cases`` its case alone): no contact patch, severity legend
        or verdict; a button saves the pads.
    """

    def __init__(self, cases: Mapping[str, Path], first: str, server=None,
                 handout: Handout | None = None):
        prefer_headless()
        import pyvista as pv
        from trame.app import get_server
        from vtkmodules.vtkRenderingCore import vtkRenderWindowInteractor

        self.cases = dict(cases)
        self.handout = handout
        self.server = server or get_server(client_type="vue3")
        self.plotter = pv.Plotter(off_screen=True, window_size=list(VIEW_SIZE))
        self.plotter.set_background(unit_rgb(BACKGROUND))
        # the remote view turns the browser's mouse into camera moves through an interactor
        self.interactor = vtkRenderWindowInteractor()
        self.interactor.SetRenderWindow(self.plotter.ren_win)
        self.interactor.GetInteractorStyle().SetCurrentStyleToTrackballCamera()
        self.plotter.renderer.AddObserver("StartEvent", self._clip_at_dural_opening)
        self.triad = self._orientation_triad()
        self.history: list[Session] = []
        self.view = None
        self.drawn = Drawn()
        self.camera: Camera | None = None
        self.over: tuple[str, ...] = ()
        state = self.server.state
        state.trame__title = "mvd-sim serve"
        state.update(cases=sorted(self.cases), case_name=first, phase_index=0, phase_text="",
                     verdict="", decompressed=False, message="", pads=[], legend=[],
                     diameters=[AUTO, *(f"{d:g}" for d in PAD_DIAMETERS_MM)], diameter=AUTO,
                     can_undo=False, exercise=handout is not None)
        state.change("case_name")(self._on_case)
        state.change("phase_index")(self._on_phase)
        self._build_ui()
        self.load(first)

    def _orientation_triad(self):
        """The orientation triad in the lower left corner, turning with the camera (its x
        axis is labelled per case: lateral on the right side, medial on the left)."""
        from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget
        from vtkmodules.vtkRenderingAnnotation import vtkAxesActor

        axes = vtkAxesActor()
        axes.SetYAxisLabelText("anterior")
        axes.SetZAxisLabelText("rostral")
        widget = vtkOrientationMarkerWidget()
        widget.SetOrientationMarker(axes)
        widget.SetInteractor(self.interactor)
        widget.SetViewport(0.0, 0.0, 0.16, 0.2)
        widget.SetEnabled(1)
        widget.InteractiveOff()
        return widget

    @property
    def session(self) -> Session:
        """The session shown."""
        return self.history[-1]

    # -- what the page asks for ----------------------------------------------------------

    def load(self, name: str) -> None:
        """Show case ``name`` (a key of :attr:`cases`) from the start: no pads but its own,
        phase 0, the surgeon's camera."""
        try:
            case = Case.from_yaml(self.cases[name])
        except MvdSimError as err:  # the case shown stays, and so does its name
            if self.history:
                self.server.state.case_name = self._name_of(self.session.case)
            self._say(str(err))
            return
        self.history = [Session.start(case)]
        self.triad.GetOrientationMarker().SetXAxisLabelText(
            "lateral" if case.scene.lateral[0] > 0 else "medial")
        with self.server.state as state:
            state.case_name, state.phase_index, state.message = name, 0, ""
        self._show(reset_camera=True)

    def step(self, steps: int) -> None:
        """Step the pulse by ``steps`` phases (wrapping round the cycle)."""
        self.server.state.phase_index = (self.server.state.phase_index + steps) % PHASE_STEPS

    def pick(self, x: float, y: float) -> str:
        """A click at display pixel ``(x, y)`` of the picture (from its bottom left): a pad
        on the vessel there, or why not. Returns the message shown."""
        renderer = self.plotter.renderer
        origin, direction = display_ray(renderer, x, y,
                                        self._near_mm(renderer.GetActiveCamera()))
        hit = first_hit(self.session.scene, origin, direction, over=self.over)
        if hit is None or hit.kind != "vessel":
            what = "nothing" if hit is None else \
                {"nerve": hit.name, "pad": f"pad {hit.name}"}.get(hit.kind, f"the {hit.name}")
            return self._say(f"the click met {what}, not a vessel: click on a vessel to place "
                             "a pad between it and CN VII")
        diameter = self.server.state.diameter
        try:
            session = self.session.with_pad_at(
                hit.name, hit.point, None if diameter == AUTO else float(diameter))
        except MvdSimError as err:
            return self._say(str(err))
        pad = session.pads[-1]
        self._push(session)
        return self._say(f"{pad.id}: a {pad.diameter_mm:g} mm pad on CN VII for {pad.vessel} "
                         f"at {pad.vessel_s_mm:.1f} mm along it")

    def remove_pad(self, pad_id: str) -> None:
        """Take out pad ``pad_id``."""
        try:
            self._push(self.session.without_pad(pad_id))
        except MvdSimError as err:
            self._say(str(err))
            return
        self._say(f"{pad_id} removed")

    def save_answer(self) -> str:
        """Save the pads placed as the exercise's answer (:attr:`handout`); the line shown."""
        if self.handout is None:
            return self._say("no exercise is served: nothing to save the pads to")
        try:
            return self._say(self.handout.save(self.session.pads))
        except MvdSimError as err:
            return self._say(str(err))

    def undo(self) -> None:
        """Back to the session before the last pad placed or removed."""
        if len(self.history) > 1:
            self.history.pop()
            self._say("undone")
            self._show()

    # -- internals -------------------------------------------------------------------------

    def _say(self, text: str) -> str:
        self.server.state.message = text
        return text

    def _push(self, session: Session) -> None:
        self.history.append(session.at_phase(self.session.phase))
        self._show()

    def _name_of(self, case: Case) -> str:
        return next(name for name, path in self.cases.items() if path == case.source)

    def _on_case(self, case_name, **_) -> None:
        if self.history and case_name in self.cases and \
                case_name != self._name_of(self.session.case):
            self.load(case_name)

    def _on_phase(self, phase_index, **_) -> None:
        phase = int(phase_index) / PHASE_STEPS
        if self.history and phase != self.session.phase:
            self.history[-1] = self.session.at_phase(phase)
            self._show()

    def _show(self, reset_camera: bool = False) -> None:
        """Draw the session shown (the camera kept where the user left it, unless
        ``reset_camera``) and put its verdict, pads, phase and legend on the page."""
        session = self.session
        try:
            scene = session.scene
            verdict, decompressed = (EXERCISE_NOTE, False) if self.handout is not None else \
                (session.verdict, session.report.decompressed)
        except MvdSimError as err:
            scene, verdict, decompressed = None, f"Not solved: {err}", False
        if reset_camera:
            self.camera = camera_for(session.case.scene, "retrosigmoid")
        self.plotter.clear_actors()
        for renderer in filter(None, (self.plotter.renderer, self.drawn.top)):
            renderer.RemoveAllViewProps()  # the labels and patches too; the lights stay
        self.drawn = Drawn(top=self.drawn.top)
        parts = [] if scene is None else draw_scene(self.plotter, scene, self.camera,
                                                    self.drawn, self.handout is None,
                                                    session.case.thresholds)
        # a click where a part drawn over the others shows meets it (the pads)
        self.over = tuple({part.group for part in parts if part.on_top} & PICKED_OVER)
        if reset_camera:
            set_camera(self.plotter, self.camera)
        level = float(pulse_level(session.phase))
        with self.server.state as state:
            state.verdict, state.decompressed = verdict, decompressed
            state.phase_text = f"phase {session.phase:.3f} of the cycle (pulse level {level:.2f})"
            state.pads = [{"id": pad.id, "text": f"{pad.id}: {pad.diameter_mm:g} mm, "
                           f"{pad.vessel} at {pad.vessel_s_mm:.1f} mm"} for pad in session.pads]
            state.legend = [{"text": entry.text, "color": "rgb({}, {}, {})".format(*entry.color)}
                            for entry in legend_entries(parts)
                            if self.handout is None or not entry.text.startswith("contact")]
            state.can_undo = len(self.history) > 1
        if self.view is not None:
            self.view.update()

    def _near_mm(self, camera) -> float:
        """How far in front of the eye of VTK ``camera`` the picture starts (mm): at the
        dural opening (:data:`~mvd_sim.viz.camera.DURAL_DEPTH_MM` in front of the focus) in
        an operative view, as ``render`` draws it, wherever the user has turned or moved the
        camera; else where the camera's own clipping starts."""
        if self.camera is None or not self.camera.operative:
            return camera.GetClippingRange()[0]
        distance = camera.GetDistance()
        return max(distance - DURAL_DEPTH_MM, 0.1 * distance)

    def _clip_at_dural_opening(self, renderer, _event) -> None:
        """Before every render: nothing nearer than :meth:`_near_mm` is drawn (the web view
        resets the clipping range to everything there is)."""
        if self.camera is not None and self.camera.operative:
            camera = renderer.GetActiveCamera()
            distance = camera.GetDistance()
            camera.SetClippingRange(self._near_mm(camera),
                                    distance + self.camera.far_mm - self.camera.distance_mm)

    def _on_click(self, event: dict) -> None:
        """The remote view's click: its position in the browser's picture (pixels from the
        bottom left) scaled to the render window's pixels."""
        width, height = self.plotter.ren_win.GetSize()
        shown_w, shown_h = event["size"]
        self.pick(event["position"]["x"] * width / shown_w,
                  event["position"]["y"] * height / shown_h)

    def _build_ui(self) -> None:
        from trame.ui.vuetify3 import SinglePageWithDrawerLayout
        from trame.widgets import html
        from trame.widgets import vtk as vtk_widgets
        from trame.widgets import vuetify3 as v3

        with SinglePageWithDrawerLayout(self.server, full_height=True) as layout:
            layout.title.set_text("mvd-sim: place a pad, see the verdict")
            with layout.drawer as drawer:
                drawer.width = 380
                with v3.VContainer(classes="pa-3"):
                    v3.VSelect(label="case", v_model=("case_name",), items=("cases",),
                               id="case", density="compact")
                    html.Div("cardiac phase", classes="text-subtitle-2 mt-2")
                    v3.VSlider(v_model=("phase_index",), min=0, max=PHASE_STEPS - 1, step=1,
                               show_ticks="always", id="phase", hide_details=True)
                    with html.Div(classes="d-flex align-center"):
                        v3.VBtn("previous", click=(self.step, "[-1]"), id="phase-previous",
                                size="small", classes="mr-2")
                        v3.VBtn("next", click=(self.step, "[1]"), id="phase-next",
                                size="small", classes="mr-2")
                        html.Span("{{ phase_text }}", id="phase-text", classes="text-caption")
                    v3.VSelect(label="pad diameter (mm); auto: the planner's size for the "
                               "vessel", v_model=("diameter",), items=("diameters",),
                               id="diameter", density="compact", classes="mt-4")
                    html.Div("Click on a vessel to place a pad between it and CN VII.",
                             classes="text-body-2")
                    html.Div("pads", classes="text-subtitle-2 mt-3")
                    with html.Div(id="pads"):
                        with html.Div(v_for="pad in pads", key="pad.id",
                                      classes="d-flex align-center"):
                            html.Span("{{ pad.text }}", classes="text-body-2")
                            v3.VBtn("remove", click=(self.remove_pad, "[pad.id]"),
                                    size="x-small", variant="text", classes="ml-2")
                        html.Div("none", v_if="!pads.length", classes="text-body-2")
                    v3.VBtn("undo", click=self.undo, disabled=("!can_undo",), id="undo",
                            size="small", classes="mt-2")
                    v3.VBtn("save the pads as my answer", click=self.save_answer,
                            v_if="exercise", id="save-answer", size="small",
                            classes="mt-2 ml-2")
                    html.Div("{{ message }}", id="message", classes="text-body-2 mt-3")
            with layout.content:
                with html.Div(style="display: flex; flex-direction: column; height: 100%;"):
                    # a fixed height, so the picture keeps its size as the verdict changes
                    html.Div("{{ verdict }}", id="verdict",
                             classes=("exercise ? 'pa-2 bg-blue-grey-darken-3' : "
                                      "decompressed ? 'pa-2 bg-green-darken-3' : "
                                      "'pa-2 bg-red-darken-3'",),
                             style="font-size: 1.05rem; height: 4.2em; overflow-y: auto; "
                                   "flex: none;")
                    with html.Div(style="flex: 1; position: relative;"):
                        self.view = vtk_widgets.VtkRemoteView(
                            self.plotter.ren_win, ref="view", id="view",
                            interactive_ratio=1, picking_modes=("['click']",),
                            click=(self._on_click, "[$event]"),
                            style="position: absolute; inset: 0;")
                        panel, text = ("rgb({}, {}, {})".format(*c)
                                       for c in (PANEL_COLOR, TEXT_COLOR))
                        with html.Div(id="legend", style=(
                                "position: absolute; right: 12px; bottom: 12px; padding: "
                                f"6px 10px; background: {panel}; color: {text}; "
                                "font-size: 0.8rem; pointer-events: none;")):
                            with html.Div(v_for="entry in legend", key="entry.text"):
                                html.Span(style=("`display: inline-block; width: 0.8em; "
                                                 "height: 0.8em; margin-right: 0.4em; "
                                                 "background: ${entry.color}`",))
                                html.Span("{{ entry.text }}")


def _answer_launcher(web_server) -> None:
    """Answer the page's first request, to a session launcher (``POST /paraview/``), with
    this server's websocket address: there is no launcher, and unanswered that request
    would show as a failed one in the browser's console before the page falls back to the
    same address."""
    from aiohttp import web

    async def launcher(_request):
        return web.json_response({"sessionURL": "ws://USE_HOST/ws"})

    web_server.app.router.add_post("/paraview/", launcher)


@contextmanager
def _trame_args_only_ours():
    """While the server starts, keep trame from reading the command line's arguments (ours,
    not its own): it reads ``TRAME_ARGS`` instead when set."""
    before = os.environ.get("TRAME_ARGS")
    os.environ["TRAME_ARGS"] = ""
    try:
        yield
    finally:
        if before is None:
            del os.environ["TRAME_ARGS"]
        else:
            os.environ["TRAME_ARGS"] = before


def case_choices(scenario: str | os.PathLike | None) -> tuple[dict[str, Path], str]:
    """The cases the app offers by name (the bundled scenarios, and ``scenario`` when it is
    another file: by its stem, or its path where a bundled case has that name) and the one
    shown first (``scenario``, default the first bundled one).

    Raises
    ------
    ScenarioError
        One line: ``scenario`` is neither a file nor a bundled name, or is not a valid case.
    """
    cases = dict(bundled_scenarios())
    if scenario is None:
        return cases, next(iter(cases))
    path = resolve_scenario(scenario)
    Case.from_yaml(path)  # a bad file is refused here, before the server starts
    for name, bundled in cases.items():
        if bundled.samefile(path):
            return cases, name
    first = path.stem if path.stem not in cases else str(path)
    cases[first] = path
    return cases, first


def serve(scenario: str | os.PathLike | None = None, port: int = 8080,
          handout: Handout | None = None) -> None:
    """Serve the app on ``http://127.0.0.1:PORT/`` until Ctrl-C (or SIGTERM); then say so
    and return.

    Parameters
    ----------
    scenario : str or PathLike, optional
        The case shown first, a file or a bundled name (see :func:`case_choices`).
    port : int
        0 picks a free port.
    handout : Handout, optional
        Serve this exercise alone, as handed out (``scenario`` is not used).

    Raises
    ------
    MvdSimError
        One line: an unknown or bad scenario, a port out of range or already taken.
    """
    if not 0 <= port <= 65535:
        raise MvdSimError(f"--port: {port} is not a port (0-65535; 0 picks a free one)")
    if handout is not None:
        Case.from_yaml(handout.scenario)  # a bad file is refused before the server starts
        cases, first = {handout.name: handout.scenario}, handout.name
    else:
        cases, first = case_choices(scenario)
    app = ServeApp(cases, first, handout=handout)
    server = app.server

    def listening(**_) -> None:
        print(f"mvd-sim serve: http://{HOST}:{server.port}/ (Ctrl-C stops)", flush=True)

    server.controller.on_server_ready.add(listening)
    server.controller.on_server_bind.add(_answer_launcher)
    try:
        with _trame_args_only_ours():
            server.start(port=port, host=HOST, open_browser=False, timeout=0,
                         show_connection_info=False, disable_logging=True)
    except OSError as err:
        raise MvdSimError(f"--port {port}: cannot listen on {HOST}:{port} ({err.strerror})") \
            from None
    except KeyboardInterrupt:  # a second Ctrl-C while the server shuts down
        pass
    finally:
        app.plotter.close()
    print("mvd-sim serve: stopped", flush=True)
