"""A case's 3D scene for the browser: the structures of one or more solved states, serialized
for vtk.js (:mod:`mvd_sim.viz.vtkjs`) with a manifest saying which actor is which.

Each state is a *view* (e.g. ``before``/``after`` a plan, at ``systole``/``diastole``). Its
structures come from :func:`scene_parts` (the same meshes, colours and opacities as the
off-screen pictures); a structure identical in every view (the brainstem, the operative field)
is kept once. The structures are drawn into an off-screen VTK render window aimed by the
picture's camera, and that window is serialized with trame-vtk's serializers into the
``vtksz`` archive vtk.js's offline viewer reads (a zip holding ``index.json``: the scene's
objects, and every data array once, by content hash, as base64). The page's script
(``webscene.js``) finds the actors in the order :attr:`WebScene.manifest` lists them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from mvd_sim.contact.analysis import analyze, patch_severity
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.scene.scene import Scene
from mvd_sim.viz.render import (BACKGROUND, BRAINSTEM_COLOR, CONTEXT_COLORS, CONTEXT_LEGEND,
                                NERVE_COLORS, SEE_THROUGH_OPACITY, SEVERITY_COLORS,
                                SPONGE_COLOR, VESSEL_COLORS, VESSEL_OPACITY, Camera,
                                camera_for, hides_root_exit_zone, prefer_headless)

__all__ = ["Part", "View", "WebScene", "scene_parts", "web_scene", "webscene_script"]

#: Nerve names as a surgeon reads them (checkbox labels).
NERVE_LABELS = {"CN7": "CN VII", "CN8": "CN VIII"}
#: The checkbox that shows or hides the severity colours on the nerves.
PATCHES = "contact patches"
#: The operative field's checkbox labels by kind (the lower cranial nerves share one).
CONTEXT_LABELS = {**CONTEXT_LEGEND, "CN10": CONTEXT_LEGEND["CN9"],
                  "CN11": CONTEXT_LEGEND["CN9"]}
#: Vertices round each tube, and the brainstem's (round, rings), in the browser: about a
#: third of the pictures' (32 and 24 round; 120 x 150), smooth-shaded, for a report of a few
#: MB rather than ten.
WEB_TUBE_SIDES = 12
WEB_BRAINSTEM_RESOLUTION = (64, 80)
#: The camera's vertical view angle (degrees), as in the pictures.
VIEW_ANGLE_DEG = 30.0


@dataclass(frozen=True)
class Part:
    """One structure to draw.

    Attributes
    ----------
    key : str
        Names the structure across views (``"nerve:CN7"``, ``"vessel:aica"``, ...).
    group : str
        The checkbox it is shown or hidden with (``"CN VII"``, ``"AICA aica"``, ``"pads"``).
    vertices : (v, 3) float, mm
    faces : (f, 3) int
    color : (3,) int, 0-255
        Its colour (a nerve's own colour under its contact patches).
    opacity : float in (0, 1]
    point_colors : (v, 3) uint8 or None
        Per-vertex colours (a nerve's contact patches in their severity colours).
    """

    key: str
    group: str
    vertices: np.ndarray
    faces: np.ndarray
    color: tuple[int, int, int]
    opacity: float = 1.0
    point_colors: np.ndarray | None = None

    def same_as(self, other: Part) -> bool:
        """Whether ``other`` draws exactly the same thing (it need not be drawn twice)."""
        return (self.key == other.key and self.group == other.group
                and self.color == other.color and self.opacity == other.opacity
                and np.array_equal(self.vertices, other.vertices)
                and np.array_equal(self.faces, other.faces)
                and (self.point_colors is None) == (other.point_colors is None)
                and (self.point_colors is None
                     or np.array_equal(self.point_colors, other.point_colors)))


def scene_parts(scene: Scene, camera: Camera, sides: int = WEB_TUBE_SIDES,
                brainstem_resolution: tuple[int, int] = WEB_BRAINSTEM_RESOLUTION
                ) -> list[Part]:
    """The structures of ``scene`` as the off-screen pictures draw them (contact patches by
    severity on the nerves, see-through vessels, white pads, the operative field see-through
    where it would hide CN VII's root exit zone from ``camera``), meshed with ``sides``
    vertices round each tube and the brainstem at ``brainstem_resolution`` (vertices round,
    rings)."""
    from mvd_sim.mesh.meshing import (brainstem_mesh, context_mesh, petrous_mesh, sponge_mesh,
                                      tube_mesh, tube_vertex_s)

    report = analyze(scene)
    parts = [Part("brainstem", "brainstem", *brainstem_mesh(scene.brainstem,
                                                            *brainstem_resolution),
                  BRAINSTEM_COLOR)]
    for name, tube in scene.nerves.items():
        vertices, faces = tube_mesh(tube, sides)
        palette = np.array([NERVE_COLORS[name], *(SEVERITY_COLORS[s] for s in SEVERITIES)],
                           dtype=np.uint8)
        severity = patch_severity(scene, report, name, vertices,
                                  tube_vertex_s(scene.rest_nerves[name].s, sides))
        parts.append(Part(f"nerve:{name}", NERVE_LABELS.get(name, name), vertices, faces,
                          NERVE_COLORS[name], point_colors=palette[severity]))
    for name, tube in scene.vessels.items():
        parts.append(Part(f"vessel:{name}", f"{tube.kind} {name}", *tube_mesh(tube, sides),
                          VESSEL_COLORS.get(tube.kind, (200, 40, 60)), VESSEL_OPACITY))
    for sponge in scene.sponges:
        parts.append(Part(f"pad:{sponge.name}", "pads", *sponge_mesh(sponge), SPONGE_COLOR))
    field = {} if scene.petrous is None else {"petrous": ("petrous",
                                                          petrous_mesh(scene.petrous))}
    field.update({name: (structure.kind, context_mesh(structure, sides))
                  for name, structure in scene.context.items()})
    for name, (kind, mesh) in field.items():
        opacity = SEE_THROUGH_OPACITY if hides_root_exit_zone(mesh, camera, scene) else 1.0
        parts.append(Part(f"context:{name}", CONTEXT_LABELS.get(kind, kind), *mesh,
                          CONTEXT_COLORS[kind], opacity))
    return parts


@dataclass(frozen=True)
class View:
    """One solved state of the case: ``state`` (``"case"``, ``"before"``, ``"after"``),
    ``phase`` (``"systole"``, ``"diastole"``) and its scene."""

    state: str
    phase: str
    scene: Scene

    @property
    def id(self) -> str:
        return f"{self.state}/{self.phase}"


@dataclass(frozen=True)
class WebScene:
    """A serialized scene and what its script needs to drive it.

    Attributes
    ----------
    archive : bytes
        The zip vtk.js's ``OfflineLocalView.load`` reads (``index.json``).
    manifest : dict
        ``actors``: per actor, in the renderer's order, its ``group``, its ``view`` (``None``:
        shown in every view) and whether it carries contact patches; ``groups``: each
        checkbox's label and colour (``#rrggbb``); ``views``: the views' ids, states and
        phases; ``states``, ``phases``: the buttons, in order; ``patches``: the checkbox of
        the contact patches; ``camera``: position, focal point and view-up (mm) and view
        angle (degrees).
    """

    archive: bytes
    manifest: dict


def _hex(color: Sequence[int]) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in color)


def _polydata(part: Part):
    import pyvista as pv

    faces = np.column_stack([np.full(len(part.faces), 3), part.faces]).astype(np.int64)
    mesh = pv.PolyData(np.asarray(part.vertices, dtype=np.float32), faces.ravel())
    if part.point_colors is not None:
        mesh.point_data["rgb"] = np.asarray(part.point_colors, dtype=np.uint8)
    return mesh


def _serialize(render_window) -> bytes:
    """The render window as the ``vtksz`` zip vtk.js's offline viewer loads."""
    from trame_vtk.modules.vtk.serializers import (SynchronizationContext, extract_array_hash,
                                                   initialize_serializers, serialize)

    initialize_serializers()
    context = SynchronizationContext()
    context.set_ignore_last_dependencies(True)  # every property in full, none as a delta
    scene = serialize(None, render_window, "mvd-sim-scene", context, 1)
    hashes = {entry["hash"]: dict(entry, content=context.get_cached_data_array(entry["hash"]))
              for entry in extract_array_hash(scene)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.json", json.dumps({"hashes": hashes, "scene": scene}),
                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def _actor_order(archive: bytes) -> list[str]:
    """Ids of the archive's actors in the order vtk.js adds them to the renderer."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        scene = json.loads(z.read("index.json"))["scene"]
    (renderer,) = scene["dependencies"]
    return [d["id"] for d in renderer["dependencies"] if d["type"].endswith("Actor")]


def web_scene(views: Sequence[View], size: tuple[int, int] = (900, 600)) -> WebScene:
    """Serialize ``views`` (all of one case) for vtk.js, aimed like the retrosigmoid picture
    of the first.

    Parameters
    ----------
    views : sequence of View
        Distinct ids; the first is shown when the page opens.
    size : (width, height) pixels of the off-screen window the scene is drawn in (only its
        aspect reaches the page, through the camera).
    """
    prefer_headless()
    import pyvista as pv
    from trame_vtk.modules.vtk.serializers import reference_id

    camera = camera_for(views[0].scene, "retrosigmoid")
    per_view = [(view.id, scene_parts(view.scene, camera)) for view in views]
    shared = [part for part in per_view[0][1]
              if all(any(part.same_as(other) for other in parts) for _, parts in per_view[1:])]
    shared_keys = {part.key for part in shared}
    drawn = [(None, part) for part in shared]
    drawn += [(view_id, part) for view_id, parts in per_view for part in parts
              if part.key not in shared_keys]
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        plotter.set_background(tuple(c / 255 for c in BACKGROUND))
        ids = {}
        for k, (view_id, part) in enumerate(drawn):
            mesh = _polydata(part)
            if part.point_colors is None:
                actor = plotter.add_mesh(mesh, color=part.color, opacity=part.opacity,
                                         smooth_shading=True)
            else:
                actor = plotter.add_mesh(mesh, scalars="rgb", rgb=True, opacity=part.opacity,
                                         smooth_shading=True)
                actor.prop.color = tuple(c / 255 for c in part.color)
            ids[reference_id(actor)] = k
        plotter.camera.position = tuple(camera.position)
        plotter.camera.focal_point = tuple(camera.focus)
        plotter.camera.up = tuple(camera.up)
        plotter.camera.view_angle = VIEW_ANGLE_DEG
        plotter.camera.clipping_range = (1.0, 400.0)
        archive = _serialize(plotter.render_window)
        order = [ids[actor_id] for actor_id in _actor_order(archive)]
    finally:
        plotter.close()
    groups: dict[str, str] = {}
    for _, part in drawn:
        groups.setdefault(part.group, _hex(part.color))
    manifest = {
        "actors": [{"group": drawn[k][1].group, "view": drawn[k][0],
                    "patches": drawn[k][1].point_colors is not None} for k in order],
        "groups": [{"name": name, "color": color} for name, color in groups.items()]
        + [{"name": PATCHES, "color": None}],
        "views": [{"id": v.id, "state": v.state, "phase": v.phase} for v in views],
        "states": list(dict.fromkeys(v.state for v in views)),
        "phases": list(dict.fromkeys(v.phase for v in views)),
        "patches": PATCHES,
        "camera": {"position": camera.position.tolist(), "focus": camera.focus.tolist(),
                   "up": camera.up.tolist(), "view_angle_deg": VIEW_ANGLE_DEG},
    }
    return WebScene(archive, manifest)


def webscene_script() -> str:
    """The page's hand-written script (``webscene.js``): loads the archive into vtk.js and
    wires the checkboxes and the view buttons."""
    return resources.files("mvd_sim.viz").joinpath("webscene.js").read_text(encoding="utf-8")
