"""A case's 3D scene for the browser: the structures of one or more solved states, serialized
for vtk.js (:mod:`mvd_sim.viz.vtkjs`) with a manifest saying which actor is which.

Each state is a *view* (e.g. ``before``/``after`` a plan, at ``systole``/``diastole``). Its
structures are :func:`mvd_sim.viz.actors.scene_parts`, drawn by
:func:`mvd_sim.viz.draw.add_parts`: the same meshes, colours, opacities and contact patches
on top as the off-screen pictures and the viewer (a pad's silhouette, traced for one camera,
is left out). A structure identical in every view (the brainstem, the operative field) is
kept once. The parts are drawn into an off-screen VTK render window aimed by the
retrosigmoid picture's camera, and that window is serialized with trame-vtk's serializers into the
``vtksz`` archive vtk.js's offline viewer reads (a zip holding ``index.json``: the scene's
objects, and every data array once, by content hash, as base64). The page's script
(``webscene.js``) finds the actors in the order :attr:`WebScene.manifest` lists them.

Every tube is meshed with :data:`~mvd_sim.viz.actors.TUBE_SIDES` sides as in the pictures;
the archive holds each distinct array once, so what no view changes costs nothing more, and
no point normals: the page computes them (vtk.js's offline viewer has no normals filter), as
VTK's smooth shading does, from the triangles' normals weighted by their areas.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np

from mvd_sim.contact.analysis import analyze
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SeverityThresholds
from mvd_sim.scene.scene import Scene
from mvd_sim.viz.actors import Part, scene_parts
from mvd_sim.viz.camera import Camera, camera_for
from mvd_sim.viz.draw import add_parts, set_camera
from mvd_sim.viz.palette import BACKGROUND, unit_rgb
from mvd_sim.viz.render import prefer_headless

__all__ = ["View", "WebScene", "web_parts", "web_scene", "webscene_script", "PATCHES"]

#: Nerve names as a surgeon reads them (checkbox labels).
NERVE_LABELS = {"CN7": "CN VII", "CN8": "CN VIII"}
#: How much nearer than the retrosigmoid picture the scene opens: the page's box is wide
#: and low, and the picture's field (34 mm) would leave the root exit zone small in it.
OPENING_ZOOM = 1.6
#: The checkbox of the contact patches: the patch parts over everything, and the severity
#: colours painted on the nerves.
PATCHES = "contact patches"


def _checkbox(part: Part, scene: Scene) -> str:
    """The checkbox a part is shown and hidden with: the brainstem; each nerve; each vessel
    (kind and id); the pads; the contact patches; each kind of the operative field (its
    legend entry)."""
    if part.group == "nerve":
        return NERVE_LABELS.get(part.name, part.name)
    if part.group == "vessel":  # its body, or its free ends fading out ("<id>:end")
        name = part.name.split(":")[0]
        kind = scene.vessels[name].kind
        return kind if kind.lower() == name.lower() else f"{kind} {name}"
    if part.group == "pad":
        return "pads"
    if part.group == "contact":
        return PATCHES
    return part.legend or part.group


def _single(part: Part) -> Part:
    """``part`` with its points in single precision (float32: 0.1 um at 100 mm, half the
    bytes), and a pad without its silhouette (traced for one camera; the scene turns)."""
    mesh = part.mesh.copy()
    mesh.points = np.asarray(mesh.points, dtype=np.float32)
    return replace(part, mesh=mesh, outline=part.outline and part.group != "pad")


def web_parts(scene: Scene, camera: Camera, contacts: bool = True,
              thresholds: SeverityThresholds = DEFAULT_THRESHOLDS
              ) -> list[tuple[str, Part]]:
    """:func:`~mvd_sim.viz.actors.scene_parts` of ``scene`` as the browser draws them
    (:func:`_single`), each with its checkbox; without ``contacts``, the anatomy without
    the contact patches (as an exercise shows it); the patches graded with ``thresholds``
    (the case's own, :attr:`mvd_sim.case.Case.thresholds`)."""
    report = analyze(scene, thresholds)
    if not contacts:
        report = report.model_copy(update={"contacts": []})
    return [(_checkbox(part, scene), _single(part))
            for part in scene_parts(scene, report, camera)]


def _same(a: Part, b: Part) -> bool:
    """Whether two parts draw exactly the same thing (it need not be drawn twice)."""
    return (a.name == b.name and a.group == b.group and a.color == b.color
            and a.opacity == b.opacity and a.scalars == b.scalars and a.on_top == b.on_top
            and a.outline == b.outline and a.mesh.n_points == b.mesh.n_points
            and a.mesh.n_cells == b.mesh.n_cells
            and np.array_equal(a.mesh.points, b.mesh.points)
            and np.array_equal(a.mesh.faces, b.mesh.faces)
            and (a.scalars is None
                 or np.array_equal(a.mesh.point_data[a.scalars], b.mesh.point_data[b.scalars])))


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
        ``renderers``: how many actors each renderer holds (the scene, then the layer of
        contact patches drawn on top); ``actors``: per actor, in the renderers' order, its
        checkbox (``group``), its ``view`` (``None``: shown in every view) and whether it
        carries contact patches (a nerve painted by severity) and whether the page computes
        its point normals for smooth shading (:func:`_drop_normals`); ``groups``: each
        checkbox's label and colour (``#rrggbb``); ``views``: the views' ids, states and
        phases; ``states``, ``phases``: the buttons, in order; ``patches``: the checkbox of
        the contact patches; ``camera``: position, focal point and view-up (mm) and view
        angle (degrees) the page opens with (the retrosigmoid picture's, :data:`OPENING_ZOOM`
        nearer).
    """

    archive: bytes
    manifest: dict


def _hex(color: Sequence[int]) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in color)


def _drop_normals(actor) -> bool:
    """Remove the point normals pyvista computed for smooth shading from ``actor``'s mesh
    (the page computes them again: a quarter of the archive less); whether it had them."""
    points = actor.GetMapper().GetInput().GetPointData()
    had = points.GetNormals() is not None
    if had:
        points.SetNormals(None)
    return had


def _serialize(render_window) -> tuple[bytes, dict[str, str]]:
    """The render window as the ``vtksz`` zip vtk.js's offline viewer loads, and the ids its
    objects have there by their VTK ids (:func:`_stable_ids`)."""
    from trame_vtk.modules.vtk.serializers import (SynchronizationContext, extract_array_hash,
                                                   initialize_serializers, serialize)

    initialize_serializers()
    context = SynchronizationContext()
    context.set_ignore_last_dependencies(True)  # every property in full, none as a delta
    scene, ids = _stable_ids(serialize(None, render_window, "mvd-sim-scene", context, 1))
    hashes = {entry["hash"]: dict(entry, content=context.get_cached_data_array(entry["hash"]))
              for entry in extract_array_hash(scene)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # a fixed date, so the same case makes the same bytes
        entry = zipfile.ZipInfo("index.json", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(entry, json.dumps({"hashes": hashes, "scene": scene}),
                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue(), ids


_OBJECT_ID = re.compile(r"[0-9a-f]{16}")


def _stable_ids(scene: dict) -> tuple[dict, dict[str, str]]:
    """The serialized scene with VTK's object ids (memory addresses: new each run, and their
    text compresses differently) renumbered in the order they first appear, in every place
    the serializer writes them (``id``, ``parent``, ``instance:${id}`` in calls), and the
    modification times counted from the scene's earliest (VTK's counter runs on through a
    process); and the new id of each old one."""
    ids: dict[str, str] = {}
    mtimes: list[int] = []

    def collect(node):
        if isinstance(node, dict):
            mtimes.extend([node["mtime"]] if isinstance(node.get("mtime"), int) else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(scene)
    earliest = min(mtimes, default=0)

    def renumbered(text: str) -> str:
        return _OBJECT_ID.sub(lambda m: ids.setdefault(m.group(0), f"{len(ids) + 1:016x}"),
                              text)

    def walk(node, key=None):
        if isinstance(node, dict):
            return {k: v - earliest + 1 if k == "mtime" and isinstance(v, int) else walk(v, k)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str) and (key in ("id", "parent")
                                      or node.startswith("instance:${")):
            return renumbered(node)
        return node

    return walk(scene), ids


def _actor_order(archive: bytes) -> list[list[str]]:
    """Ids of the archive's actors, per renderer, in the order vtk.js adds them."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        scene = json.loads(z.read("index.json"))["scene"]
    return [[d["id"] for d in renderer["dependencies"] if d["type"].endswith("Actor")]
            for renderer in scene["dependencies"]]


def web_scene(views: Sequence[View], size: tuple[int, int] = (900, 600),
              contacts: bool = True,
              thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> WebScene:
    """Serialize ``views`` (all of one case) for vtk.js, aimed like the retrosigmoid picture
    of the first.

    Parameters
    ----------
    views : sequence of View
        Distinct ids; the first is shown when the page opens.
    size : (width, height) pixels of the off-screen window the scene is drawn in (only its
        aspect reaches the page, through the camera).
    contacts : bool
        Paint the contact patches (off: the anatomy alone, :func:`web_parts`).
    thresholds : SeverityThresholds
        The contact engine's thresholds the patches are graded with: the case's own
        (:attr:`mvd_sim.case.Case.thresholds`; an imaged case's are widened to its voxel),
        default: the engine's defaults.
    """
    prefer_headless()
    import pyvista as pv
    from trame_vtk.modules.vtk.serializers import reference_id

    camera = camera_for(views[0].scene, "retrosigmoid")
    per_view = [(view.id, web_parts(view.scene, camera, contacts, thresholds))
                for view in views]
    shared = [(box, part) for box, part in per_view[0][1]
              if all(any(_same(part, other) for _, other in parts)
                     for _, parts in per_view[1:])]
    shared_names = {part.name for _, part in shared}
    drawn = [(None, box, part) for box, part in shared]
    drawn += [(view_id, box, replace(part, name=f"{view_id}:{part.name}"))
              for view_id, parts in per_view for box, part in parts
              if part.name not in shared_names]
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        plotter.set_background(unit_rgb(BACKGROUND))
        record = add_parts(plotter, [part for _, _, part in drawn])
        set_camera(plotter, camera)
        about = {}
        for view_id, box, part in drawn:
            for actor in record.actors[part.name]:
                about[reference_id(actor)] = {
                    "group": box, "view": view_id,
                    "patches": part.group == "nerve" and part.scalars is not None,
                    "normals": _drop_normals(actor)}
        archive, ids = _serialize(plotter.render_window)
    finally:
        plotter.close()
    about = {ids[old]: value for old, value in about.items()}
    order = _actor_order(archive)
    groups: dict[str, str] = {}
    for _, box, part in drawn:
        groups.setdefault(box, _hex(part.color))
    manifest = {
        "renderers": [len(ids) for ids in order],
        "actors": [about[actor_id] for ids in order for actor_id in ids],
        "groups": [{"name": name, "color": color} for name, color in groups.items()],
        "views": [{"id": v.id, "state": v.state, "phase": v.phase} for v in views],
        "states": list(dict.fromkeys(v.state for v in views)),
        "phases": list(dict.fromkeys(v.phase for v in views)),
        "patches": PATCHES,
        "camera": {"position": camera.position.tolist(), "focus": camera.focus.tolist(),
                   "up": camera.up.tolist(),
                   "view_angle_deg": camera.view_angle_deg / OPENING_ZOOM},
    }
    return WebScene(archive, manifest)


def webscene_script() -> str:
    """The page's hand-written script (``webscene.js``): loads the archive into vtk.js and
    wires the checkboxes and the view buttons."""
    return resources.files("mvd_sim.viz").joinpath("webscene.js").read_text(encoding="utf-8")
