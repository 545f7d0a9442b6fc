"""A scene as the parts every picture draws: what one shows, all show.

:func:`scene_parts` turns a scene and its contact report into :class:`Part` s (a mesh, a
colour, an opacity, optionally per-point colours), :func:`labels` into the :class:`Label` s
written beside them and :func:`legend_entries` into the legend. ``render`` (off-screen
pictures), ``view`` (the pyvista window), the HTML report's 3D scene and ``mvd-sim serve``
all build from these; :func:`mvd_sim.viz.draw.add_parts` puts them in a pyvista plotter.
This module draws nothing: pure data (pyvista meshes are data too).

Groups (:data:`GROUPS`), drawn in this order:

- ``brainstem``;
- ``context``: the operative field (the petrous bone round the porus, CN IX-XI at their
  rootlets' size, the flocculus, the retracted cerebellum, the choroid plexus), see-through
  where it would hide CN VII's root exit zone from the camera;
- ``nerve``: CN VII and CN VIII, contact patches painted on them (per-point ``rgb``);
- ``vessel``: by kind, opaque; an end that is attached to nothing (not on another vessel,
  not inside the brainstem or a solid of the field) is a part of its own (``<id>:end``)
  fading out over ``FADE_MM`` (per-point ``rgba``), so no vessel ends as a cut stub in
  mid-air;
- ``lesion``: a mass, an aneurysm's dome, an AVM's nidus, each in its cause's colour
  (:data:`~mvd_sim.viz.palette.LESION_COLORS`), opaque; a nidus is a see-through shell
  round its tangle of small vessels (``<id>:tangle``), and the branches joining its feeders
  and drainers to it (``<vessel>:<id>``) are in the ``vessel`` group, in their vessels'
  colours;
- ``pad``: Teflon felt, noise-modulated white (per-point ``rgb``), outlined and drawn over
  everything (``on_top``): the operation is what the "after" picture is about, and a pad sits
  under the vessel it holds off;
- ``contact``: one part per contact, the nerve surface it covers in its severity colour,
  drawn over everything (``on_top``) and outlined, so a patch under its vessel or behind CN
  VIII still shows.

Every mesh is a :class:`pyvista.PolyData` in the scene frame, mm.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mvd_sim.contact.analysis import ContactReport, patch_severity
from mvd_sim.contact.regions import TubeSurface
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.mesh.meshing import (Mesh, brainstem_mesh, context_mesh, ellipsoid_mesh,
                                  petrous_mesh, sponge_mesh, tangle_mesh, tube_mesh,
                                  tube_vertex_s)
from mvd_sim.scene.scene import Scene
from mvd_sim.viz.camera import Camera
from mvd_sim.viz.palette import (BRAINSTEM_COLOR, CONTEXT_COLORS, LESION_COLORS,
                                 NERVE_COLORS, OTHER_VESSEL_COLOR, PAD_COLOR, RGB,
                                 SEVERITY_COLORS, VESSEL_COLORS)

if TYPE_CHECKING:
    import pyvista

__all__ = ["GROUPS", "Part", "Label", "LegendEntry", "scene_parts", "labels",
           "legend_entries", "hides_root_exit_zone", "root_exit_zone", "TUBE_SIDES",
           "FADE_MM", "SEE_THROUGH_OPACITY", "NIDUS_SHELL_OPACITY"]

GROUPS = ("brainstem", "context", "nerve", "vessel", "lesion", "pad", "contact")
TUBE_SIDES = 32
#: Length (mm) over which a vessel's free end fades out.
FADE_MM = 4.0
#: An end this near (mm) the surface of another vessel, or inside a solid, is attached.
ATTACHED_MM = 1.0
#: Opacity of a context structure that would hide CN VII's root exit zone from the camera.
SEE_THROUGH_OPACITY = 0.12
#: Opacity of an AVM nidus' shell, through which its tangle shows.
NIDUS_SHELL_OPACITY = 0.3
#: Context kinds a window is cut through (retracted) where they would hide CN VII; the
#: others across the line of sight are drawn see-through.
RETRACTED_KINDS = ("cerebellum",)
#: Half-width (mm) of that window round each line of sight to CN VII.
RETRACTION_WINDOW_MM = 5.0
#: The legend's entry of each context kind drawn (the lower cranial nerves share one).
CONTEXT_LEGEND = {"CN9": "CN IX-XI", "CN10": "CN IX-XI", "CN11": "CN IX-XI",
                  "flocculus": "flocculus", "cerebellum": "cerebellum",
                  "choroid_plexus": "choroid plexus", "petrous": "petrous bone"}
#: Felt texture: relative brightness noise of a pad's vertices (+-).
FELT_NOISE = 0.08


@dataclass(frozen=True, eq=False)
class Part:
    """One drawable structure.

    Attributes
    ----------
    name : str
        Unique in a scene's parts: a structure's id (``CN7``, ``aica``, ``flocculus``, a
        pad's name) or ``contact:<nerve>:<vessel>:<k>``.
    group : one of :data:`GROUPS`
    mesh : pyvista.PolyData
        Scene frame, mm.
    color : (3,) int, 0-255
        Its colour (the severity's for a contact patch).
    opacity : float
        0-1.
    scalars : str or None
        Name of a point-data array of per-point uint8 ``rgb`` (n, 3) or ``rgba`` (n, 4)
        colours to draw instead of ``color``.
    legend : str or None
        Its legend entry's text (:func:`legend_entries`).
    on_top : bool
        Drawn over every other part (contact patches).
    outline : bool
        Drawn with a dark outline (contact patches' boundary, pads' silhouette).
    """

    name: str
    group: str
    mesh: "pyvista.PolyData"
    color: RGB
    opacity: float = 1.0
    scalars: str | None = None
    legend: str | None = None
    on_top: bool = False
    outline: bool = False


@dataclass(frozen=True, eq=False)
class Label:
    """Text written beside a structure.

    Attributes
    ----------
    text : str
    kind : ``"nerve"``, ``"vessel"`` or ``"landmark"``
    anchors : (n, 3) float, mm
        Points it may point at, preferred first (the first one the camera sees is used):
        on the structure's centerline.
    color : (3,) int
        The structure's colour (a marker beside the text; the text itself is light).
    radii : (n,) float, mm
        The structure's radius at each anchor: an anchor is seen when the surface drawn in
        front of it is no more than this (and a little) nearer.
    """

    text: str
    kind: str
    anchors: np.ndarray
    color: RGB
    radii: np.ndarray

    @property
    def anchor(self) -> np.ndarray:
        """(3,) float, mm: the preferred anchor."""
        return self.anchors[0]


@dataclass(frozen=True)
class LegendEntry:
    """A legend line: a colour swatch and its text."""

    text: str
    color: RGB


def _polydata(mesh: Mesh) -> "pyvista.PolyData":
    from mvd_sim.mesh.files import to_polydata

    return to_polydata(mesh)


def root_exit_zone(scene: Scene) -> np.ndarray:
    """(n, 3) float, mm: CN VII's centerline points (as placed) along its root exit zone."""
    rest = scene.rest_nerves["CN7"]
    return scene.nerves["CN7"].points[rest.s <= scene.landmarks["CN7"].rez_end_mm]


def hides_root_exit_zone(mesh: "pyvista.PolyData", camera: Camera, scene: Scene) -> bool:
    """Whether ``mesh`` lies across a line of sight from the camera to CN VII's root exit
    zone (to its centerline points, :func:`root_exit_zone`)."""
    return any(len(mesh.ray_trace(camera.position, target, first_point=True)[0])
               for target in root_exit_zone(scene))


def _retracted(mesh: "pyvista.PolyData", camera: Camera, scene: Scene) -> "pyvista.PolyData":
    """``mesh`` with a window cut through it where it lies in front of CN VII's course
    (brainstem to porus) within ``RETRACTION_WINDOW_MM`` of a line of sight to it, as the
    retractor holds the cerebellum out of the way."""
    rest, marks = scene.rest_nerves["CN7"], scene.landmarks["CN7"]
    targets = scene.nerves["CN7"].points[rest.s <= marks.porus_mm]
    forward = camera.focus - camera.position
    forward = forward / np.linalg.norm(forward)
    points = np.asarray(mesh.points)
    rel = points[:, None, :] - targets[None, :, :]
    along = rel @ forward
    across = np.linalg.norm(rel - along[..., None] * forward, axis=-1)
    window = np.where(along < 0.0, across, np.inf).min(axis=1) - RETRACTION_WINDOW_MM
    mesh = mesh.copy()
    mesh.point_data["window"] = np.minimum(window, 10.0)
    return mesh.clip_scalar(scalars="window", invert=False, value=0.0).extract_surface(
        algorithm="dataset_surface")


def _context_parts(scene: Scene, camera: Camera | None) -> list[Part]:
    meshes = [] if scene.petrous is None else [("petrous", "petrous",
                                                petrous_mesh(scene.petrous))]
    meshes += [(name, structure.kind, context_mesh(structure, TUBE_SIDES))
               for name, structure in scene.context.items()]
    parts = []
    for name, kind, mesh in meshes:
        polydata = _polydata(mesh)
        hides = camera is not None and hides_root_exit_zone(polydata, camera, scene)
        if hides and kind in RETRACTED_KINDS:
            polydata, hides = _retracted(polydata, camera, scene), False
        parts.append(Part(name, "context", polydata, CONTEXT_COLORS[kind],
                          SEE_THROUGH_OPACITY if hides else 1.0,
                          legend=CONTEXT_LEGEND[kind]))
    return parts


def _nerve_part(scene: Scene, report: ContactReport, name: str) -> Part:
    """A nerve, its contact patches painted on it in their severity colours."""
    mesh = _polydata(tube_mesh(scene.nerves[name], TUBE_SIDES))
    palette = np.array([NERVE_COLORS[name], *(SEVERITY_COLORS[s] for s in SEVERITIES)],
                       dtype=np.uint8)
    rest_s = tube_vertex_s(scene.rest_nerves[name].s, TUBE_SIDES)
    mesh.point_data["rgb"] = palette[patch_severity(scene, report, name,
                                                    np.asarray(mesh.points), rest_s)]
    return Part(name, "nerve", mesh, NERVE_COLORS[name], scalars="rgb")


def _contact_parts(scene: Scene, report: ContactReport, nerve_parts: dict[str, Part]
                   ) -> list[Part]:
    """One part per contact: the faces of its nerve's mesh wholly on its patch."""
    parts = []
    for k, contact in enumerate(report.contacts):
        nerve = nerve_parts.get(contact.nerve)
        if nerve is None or (contact.vessel not in scene.vessels
                             and contact.vessel not in scene.lesions):
            continue
        rest_s = tube_vertex_s(scene.rest_nerves[contact.nerve].s, TUBE_SIDES)
        on = patch_severity(scene, report.model_copy(update={"contacts": [contact]}),
                            contact.nerve, np.asarray(nerve.mesh.points), rest_s) > 0
        if not on.any():
            continue
        patch = nerve.mesh.extract_points(on, adjacent_cells=False).extract_surface(algorithm="dataset_surface")
        if patch.n_cells == 0:
            continue
        parts.append(Part(f"contact:{contact.nerve}:{contact.vessel}:{k}", "contact", patch,
                          SEVERITY_COLORS[contact.severity], on_top=True, outline=True,
                          legend=f"contact: {contact.severity}"))
    return parts


def _attached(point: np.ndarray, name: str, scene: Scene) -> bool:
    """Whether a vessel's end ``point`` (3,) mm is on another vessel, or inside the
    brainstem or a solid of the operative field."""
    for other, tube in scene.vessels.items():
        if other != name and TubeSurface.of(tube).signed_gap(point[None])[0] <= ATTACHED_MM:
            return True
    if scene.brainstem.signed_distance(point[None])[0] <= 0.0:
        return True
    return any(hasattr(s, "signed_distance") and s.signed_distance(point[None])[0] <= 0.0
               for s in scene.context.values())


def _vessel_parts(scene: Scene, name: str) -> list[Part]:
    """A vessel by kind, opaque; each free end a part of its own fading out (per-point
    ``rgba``) over :data:`FADE_MM` (``<name>:end``)."""
    tube = scene.vessels[name]
    color = VESSEL_COLORS.get(tube.kind, OTHER_VESSEL_COLOR)
    mesh = _polydata(tube_mesh(tube, TUBE_SIDES))
    s = tube_vertex_s(tube.s, TUBE_SIDES)
    level = np.ones(len(s))
    if not _attached(tube.points[0], name, scene):
        level = np.minimum(level, s / FADE_MM)
    if not _attached(tube.points[-1], name, scene):
        level = np.minimum(level, (tube.length_mm - s) / FADE_MM)
    fading = level < 1.0
    if not fading.any():
        return [Part(name, "vessel", mesh, color, legend=tube.kind)]
    body = mesh.extract_points(~fading, adjacent_cells=False).extract_surface(
        algorithm="dataset_surface")
    mesh.point_data["rgba"] = np.column_stack(
        [np.tile(np.asarray(color, np.uint8), (len(s), 1)),
         np.round(255 * np.clip(level, 0.0, 1.0)).astype(np.uint8)])
    ends = mesh.extract_points(fading, adjacent_cells=True).extract_surface(
        algorithm="dataset_surface")
    return [Part(name, "vessel", body, color, legend=tube.kind),
            Part(f"{name}:end", "vessel", ends, color, scalars="rgba")]


def _lesion_text(lesion) -> str:
    """A lesion's legend and label text: its kind (``AVM nidus`` for a nidus)."""
    return "AVM nidus" if lesion.kind == "avm" else lesion.kind


def _lesion_parts(lesion) -> list[Part]:
    """A lesion in its cause's colour: opaque, but an AVM's nidus a see-through shell
    (:data:`NIDUS_SHELL_OPACITY`) round its tangle of small vessels (``<id>:tangle``), with
    the branches joining its feeders and drainers to it in their vessels' colours."""
    color = LESION_COLORS[lesion.cause]
    shell = _polydata(ellipsoid_mesh(lesion.body))
    if lesion.cause != "avm":
        return [Part(lesion.name, "lesion", shell, color, legend=_lesion_text(lesion))]
    return ([Part(lesion.name, "lesion", shell, color, opacity=NIDUS_SHELL_OPACITY,
                  legend=_lesion_text(lesion)),
             Part(f"{lesion.name}:tangle", "lesion", _polydata(tangle_mesh(lesion.body)),
                  color, legend=_lesion_text(lesion))]
            + [Part(branch.name, "vessel", _polydata(tube_mesh(branch, TUBE_SIDES)),
                    VESSEL_COLORS.get(branch.kind, OTHER_VESSEL_COLOR), legend=None)
               for branch in lesion.branches])


def _pad_part(sponge) -> Part:
    """A Teflon felt pad: white, each vertex a little brighter or darker (seeded by the
    pad's name, so the same scene gives the same picture), outlined, on top."""
    mesh = _polydata(sponge_mesh(sponge))
    rng = np.random.default_rng(zlib.crc32(sponge.name.encode()))
    shade = 1.0 + FELT_NOISE * rng.uniform(-1.0, 1.0, mesh.n_points)
    mesh.point_data["rgb"] = np.clip(np.outer(shade, PAD_COLOR), 0, 255).astype(np.uint8)
    return Part(sponge.name, "pad", mesh, PAD_COLOR, scalars="rgb", legend="Teflon pad",
                on_top=True, outline=True)


def scene_parts(scene: Scene, report: ContactReport, camera: Camera | None = None
                ) -> list[Part]:
    """Everything a picture of ``scene`` draws, in drawing order (:data:`GROUPS`).

    Parameters
    ----------
    scene : Scene
    report : ContactReport
        ``analyze(scene)``: its contacts are painted on the nerves and drawn on top.
    camera : Camera or None
        With a camera, a context structure across its line of sight to CN VII's root exit
        zone is see-through (:data:`SEE_THROUGH_OPACITY`), as a surgeon retracts it.
    """
    parts = [Part("brainstem", "brainstem", _polydata(brainstem_mesh(scene.brainstem, 120, 150)),
                  BRAINSTEM_COLOR, legend=None)]
    parts += _context_parts(scene, camera)
    nerves = {name: _nerve_part(scene, report, name) for name in scene.nerves}
    parts += nerves.values()
    parts += [part for name in scene.vessels for part in _vessel_parts(scene, name)]
    parts += [part for lesion in scene.lesions.values()
              for part in _lesion_parts(lesion)]
    parts += [_pad_part(sponge) for sponge in scene.sponges]
    parts += _contact_parts(scene, report, nerves)
    return parts


def _vessel_text(name: str, kind: str) -> str:
    return kind if name.lower() == kind.lower() else f"{kind} {name}"


def _on_nerve(scene: Scene, nerve: str, rest_s: float) -> np.ndarray:
    """(3,) mm: the point of ``nerve`` as placed at arc length ``rest_s`` of its rest
    course."""
    tube, rest = scene.nerves[nerve], scene.rest_nerves[nerve]
    return tube.point_at(float(np.interp(rest_s, rest.s, tube.s)))


def labels(scene: Scene, report: ContactReport | None = None) -> list[Label]:
    """The labels of a picture: CN VII and CN VIII, every vessel (its kind and, when it
    differs, its id), and CN VII's landmarks (RExP, AS, RDP, REZ end, CP), in priority order.

    A nerve's anchors run along its cisternal course, a vessel's along its length from the
    point nearest CN VII's root exit zone outward; a landmark has one anchor, on CN VII.
    ``report`` is accepted for symmetry with :func:`scene_parts` (labels do not depend on
    it).
    """
    out = []
    marks = scene.landmarks["CN7"]
    for nerve, text in (("CN7", "CN VII"), ("CN8", "CN VIII")):
        if nerve not in scene.nerves:
            continue
        length = scene.rest_nerves[nerve].length_mm
        anchors = np.array([_on_nerve(scene, nerve, f * length)
                            for f in (0.7, 0.6, 0.8, 0.5, 0.9, 0.4)])
        out.append(Label(text, "nerve", anchors, NERVE_COLORS[nerve],
                         np.full(len(anchors), scene.nerves[nerve].radius.max())))
    rez = root_exit_zone(scene).mean(axis=0)
    for name, tube in scene.vessels.items():
        order = np.argsort(np.linalg.norm(tube.points - rez, axis=1))
        out.append(Label(_vessel_text(name, tube.kind), "vessel", tube.points[order],
                         VESSEL_COLORS.get(tube.kind, OTHER_VESSEL_COLOR),
                         tube.radius[order]))
    for lesion in scene.lesions.values():
        out.append(Label(_lesion_text(lesion), "vessel", lesion.body.centre[None],
                         LESION_COLORS[lesion.cause],
                         lesion.body.semi_axes_mm.max(keepdims=True)))
    # the REZ is RExP + AS + RDP: its end is the end of the RDP zone
    for text, s in (("RExP", marks.segment_centre("RExP")), ("AS", marks.segment_centre("AS")),
                    ("RDP", marks.rdp_mm), ("REZ end", marks.rez_end_mm),
                    ("CP", marks.segment_centre("CP"))):
        out.append(Label(text, "landmark", _on_nerve(scene, "CN7", s)[None],
                         NERVE_COLORS["CN7"], scene.nerves["CN7"].radius[:1]))
    return out


def legend_entries(parts: list[Part]) -> list[LegendEntry]:
    """The legend of a picture of ``parts``: each vessel kind drawn, every severity (the
    scale, whether or not a contact of it is drawn), each lesion, the pad and each context
    kind drawn."""
    seen: dict[str, RGB] = {}
    for part in parts:
        if part.group == "vessel" and part.legend:
            seen.setdefault(part.legend, part.color)
    for severity in SEVERITIES:
        seen[f"contact: {severity}"] = SEVERITY_COLORS[severity]
    for group in ("lesion", "pad", "context"):
        for part in parts:
            if part.group == group and part.legend:
                seen.setdefault(part.legend, part.color)
    return [LegendEntry(text, color) for text, color in seen.items()]
