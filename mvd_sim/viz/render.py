"""Surgeon's-view pictures of a case, rendered off-screen with pyvista.

The default view is the surgeon's through a retrosigmoid craniotomy: from behind, below and
lateral to the cerebellopontine angle, looking up and in at the root exit zone along the
infrafloccular route (the flocculus hides the REZ from above). Structures are coloured by
kind (:data:`VESSEL_COLORS`), contact patches on the nerves by severity
(:data:`SEVERITY_COLORS`), CN VII's segments and the end of its root exit zone are labelled,
pads drawn white. Around them the operative field: the petrous bone round the porus, CN
IX-XI, the flocculus, the retracted cerebellum and the choroid plexus
(:data:`CONTEXT_COLORS`); one that would hide CN VII's root exit zone from the camera is drawn
see-through, as a surgeon retracts what is in the way.

Rendering needs no display: with none, VTK renders through EGL.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvd_sim.contact.analysis import ContactReport, analyze, patch_severity
from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.mesh.meshing import (Mesh, brainstem_mesh, context_mesh, petrous_mesh,
                                  sponge_mesh, tube_mesh, tube_vertex_s)
from mvd_sim.core.output import output_format, write_file
from mvd_sim.scene.scene import Scene

__all__ = ["VIEWS", "SEVERITY_COLORS", "VESSEL_COLORS", "CONTEXT_COLORS", "IMAGE_SUFFIXES",
           "JPEG_QUALITY", "render", "render_image", "image_bytes", "image_format",
           "prefer_headless", "Camera", "camera_for", "hides_root_exit_zone", "add_context"]

VIEWS = ("retrosigmoid", "lateral", "anterior", "superior")
SEVERITY_COLORS = {"mild": (255, 221, 0), "moderate": (255, 128, 0), "severe": (214, 0, 28)}
VESSEL_COLORS = {"AICA": (230, 60, 60), "PICA": (225, 100, 190), "VA": (150, 25, 40),
                 "BA": (105, 20, 30), "vein": (60, 100, 220)}
VESSEL_OPACITY = 0.55  # vessels are see-through so the contact patches beneath them show
NERVE_COLORS = {"CN7": (245, 240, 200), "CN8": (205, 215, 190)}
BRAINSTEM_COLOR = (222, 196, 170)
#: The operative field by kind (``petrous``: the bone round the porus); colours apart from
#: the nerves', vessels' and severities' hues.
CONTEXT_COLORS = {"petrous": (150, 165, 200), "CN9": (240, 220, 140), "CN10": (240, 220, 140),
                  "CN11": (240, 220, 140), "flocculus": (215, 150, 100),
                  "cerebellum": (200, 140, 130), "choroid_plexus": (180, 70, 110)}
#: The legend's entry of each context kind drawn (the lower cranial nerves share one).
CONTEXT_LEGEND = {"CN9": "CN IX-XI", "flocculus": "flocculus", "cerebellum": "cerebellum",
                  "choroid_plexus": "choroid plexus", "petrous": "petrous bone"}
#: Opacity of a context structure that would hide CN VII's root exit zone from the camera.
SEE_THROUGH_OPACITY = 0.2
SPONGE_COLOR = (255, 255, 255)
BACKGROUND = (18, 18, 24)
TUBE_SIDES = 32
CAMERA_DISTANCE_MM = 55.0  # from the focus; the craniotomy's depth to VII/VIII is 37-47 mm
#: Image file suffixes :func:`render` writes, and the format each names.
IMAGE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                  ".tiff": "TIFF"}
#: JPEG quality (Pillow's 1-95 scale; above 95 only grows the file).
JPEG_QUALITY = 92
_IMAGE_OPTIONS = {"PNG": {}, "JPEG": {"quality": JPEG_QUALITY, "subsampling": 0},
                  "TIFF": {"compression": "tiff_deflate"}}


def prefer_headless() -> None:
    """On Linux with no X or Wayland session, have VTK render through EGL straight away
    (instead of trying X first and warning); set before VTK opens its first window."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


@dataclass(frozen=True)
class Camera:
    """Camera position, focal point and view-up (scene frame, mm)."""

    position: np.ndarray
    focus: np.ndarray
    up: np.ndarray


def camera_for(scene: Scene, view: str) -> Camera:
    """The camera of a named view, aimed at the middle of CN VII's root exit zone on its rest
    course (so before and after panels line up)."""
    if view not in VIEWS:
        raise MvdSimError(f"--view: unknown view {view!r} (expected one of "
                          f"{', '.join(VIEWS)})")
    focus = scene.rest_nerves["CN7"].point_at(0.5 * scene.landmarks["CN7"].rez_end_mm)
    lateral, up = scene.lateral, np.array([0.0, 0.0, 1.0])
    posterior, caudal = np.array([0.0, -1.0, 0.0]), -up
    direction = {"retrosigmoid": 0.7 * lateral + 0.45 * posterior + 0.55 * caudal,
                 "lateral": lateral, "anterior": -posterior,
                 "superior": up}[view]
    direction = direction / np.linalg.norm(direction)
    if view == "superior":
        up = -posterior
    return Camera(focus + CAMERA_DISTANCE_MM * direction, focus, up)


def _patch_colors(scene: Scene, report: ContactReport, nerve: str,
                  vertices: np.ndarray) -> np.ndarray:
    """Per-vertex RGB of a nerve mesh (:func:`tube_mesh` with ``TUBE_SIDES``): its own colour,
    severity colours on contact patches (:func:`~mvd_sim.contact.analysis.patch_severity`)."""
    palette = np.array([NERVE_COLORS[nerve], *(SEVERITY_COLORS[s] for s in SEVERITIES)],
                       dtype=np.uint8)
    rest_s = tube_vertex_s(scene.rest_nerves[nerve].s, TUBE_SIDES)
    return palette[patch_severity(scene, report, nerve, vertices, rest_s)]


def _context_meshes(scene: Scene) -> dict[str, tuple[str, Mesh]]:
    """The operative field's meshes by name, with their kinds: the petrous bone, then the
    context structures."""
    out = {} if scene.petrous is None else {"petrous": ("petrous", petrous_mesh(scene.petrous))}
    out.update({name: (structure.kind, context_mesh(structure, TUBE_SIDES))
                for name, structure in scene.context.items()})
    return out


def _root_exit_zone(scene: Scene) -> np.ndarray:
    """(n, 3) float, mm: CN VII's centerline points (as placed) along its root exit zone."""
    rest = scene.rest_nerves["CN7"]
    return scene.nerves["CN7"].points[rest.s <= scene.landmarks["CN7"].rez_end_mm]


def hides_root_exit_zone(mesh: Mesh, camera: Camera, scene: Scene) -> bool:
    """Whether ``mesh`` lies across a line of sight from the camera to CN VII's root exit
    zone (to its centerline points, :func:`_root_exit_zone`)."""
    from mvd_sim.mesh.files import to_polydata

    polydata = to_polydata(mesh)
    return any(len(polydata.ray_trace(camera.position, target, first_point=True)[0])
               for target in _root_exit_zone(scene))


def add_context(plotter, scene: Scene, camera: Camera) -> dict[str, object]:
    """Draw the operative field (the petrous bone, then the context structures) in its
    colours, see-through where it would hide CN VII's root exit zone from ``camera``;
    returns the actors by name."""
    from mvd_sim.mesh.files import to_polydata

    return {name: plotter.add_mesh(
        to_polydata(mesh), color=CONTEXT_COLORS[kind], smooth_shading=True,
        opacity=SEE_THROUGH_OPACITY if hides_root_exit_zone(mesh, camera, scene) else 1.0)
        for name, (kind, mesh) in _context_meshes(scene).items()}


def _add_scene(plotter, scene: Scene, report: ContactReport | None, annotate: bool,
               camera: Camera) -> None:
    import pyvista as pv

    from mvd_sim.mesh.files import to_polydata

    plotter.add_mesh(to_polydata(brainstem_mesh(scene.brainstem, 120, 150)),
                     color=BRAINSTEM_COLOR, smooth_shading=True)
    context = add_context(plotter, scene, camera)
    for name, tube in scene.nerves.items():
        mesh = to_polydata(tube_mesh(tube, TUBE_SIDES))
        if report is None:
            plotter.add_mesh(mesh, color=NERVE_COLORS[name], smooth_shading=True)
            continue
        mesh.point_data["rgb"] = _patch_colors(scene, report, name, np.asarray(mesh.points))
        plotter.add_mesh(mesh, scalars="rgb", rgb=True, smooth_shading=True)
    for tube in scene.vessels.values():
        plotter.add_mesh(to_polydata(tube_mesh(tube, 24)), smooth_shading=True,
                         color=VESSEL_COLORS.get(tube.kind, (200, 40, 60)),
                         opacity=VESSEL_OPACITY)
    for sponge in scene.sponges:
        plotter.add_mesh(to_polydata(sponge_mesh(sponge)), color=SPONGE_COLOR,
                         smooth_shading=True)
    if not annotate:
        return
    marks, nerve, rest = scene.landmarks["CN7"], scene.nerves["CN7"], scene.rest_nerves["CN7"]
    # the REZ is RExP + AS + RDP: its end is labelled with the RDP
    names = ["RExP", "AS", "RDP | REZ end", "CP"]
    rest_s = [marks.segment_centre("RExP"), marks.segment_centre("AS"), marks.rez_end_mm,
              marks.segment_centre("CP")]
    points = np.array([nerve.point_at(float(np.interp(v, rest.s, nerve.s))) for v in rest_s])
    plotter.add_point_labels(pv.PolyData(points), names, font_size=14, point_size=6,
                             text_color="white", shape_opacity=0.4, always_visible=True)
    entries = [[kind, tuple(c / 255 for c in color)] for kind, color in VESSEL_COLORS.items()
               if any(t.kind == kind for t in scene.vessels.values())]
    entries += [[f"contact: {sev}", tuple(c / 255 for c in color)]
                for sev, color in SEVERITY_COLORS.items()]
    if scene.sponges:
        entries.append(["Teflon pad", (1.0, 1.0, 1.0)])
    drawn = {"petrous" if name == "petrous" else scene.context[name].kind for name in context}
    entries += [[label, tuple(c / 255 for c in CONTEXT_COLORS[kind])]
                for kind, label in CONTEXT_LEGEND.items() if kind in drawn]
    plotter.add_legend(entries, bcolor=(0.1, 0.1, 0.12), size=(0.2, 0.018 * len(entries)),
                       face="rectangle", loc="lower right")


def _set_camera(plotter, camera: Camera) -> None:
    plotter.camera.position = tuple(camera.position)
    plotter.camera.focal_point = tuple(camera.focus)
    plotter.camera.up = tuple(camera.up)
    plotter.camera.view_angle = 30.0
    plotter.camera.clipping_range = (1.0, 400.0)


def render_image(scenes: list[tuple[Scene, str]], view: str = "retrosigmoid",
                 size: tuple[int, int] = (1200, 900), annotate: bool = True,
                 contacts: bool = True) -> np.ndarray:
    """Render one or more scenes side by side; returns an (h, w, 3) uint8 image.

    Parameters
    ----------
    scenes : list of (Scene, title)
        Panels from left to right (e.g. before and after a decompression).
    view : one of :data:`VIEWS`
    size : (width, height) of the whole image in pixels
    annotate : bool
        Landmark labels, legend and titles (off: the anatomy alone).
    contacts : bool
        Contact patches coloured by severity on the nerves (off: the nerves in their own
        colour, as an exercise shows them, :mod:`mvd_sim.exercise`).
    """
    prefer_headless()
    import pyvista as pv

    plotter = pv.Plotter(off_screen=True, window_size=list(size), shape=(1, len(scenes)),
                         border=False)
    try:
        for k, (scene, title) in enumerate(scenes):
            plotter.subplot(0, k)
            plotter.set_background(tuple(c / 255 for c in BACKGROUND))
            camera = camera_for(scene, view)
            _add_scene(plotter, scene, analyze(scene) if contacts else None, annotate, camera)
            if annotate:
                plotter.add_text(title, font_size=11, color="white", position="upper_left")
            _set_camera(plotter, camera)
        return np.asarray(plotter.screenshot(return_img=True))[..., :3].copy()
    finally:
        plotter.close()


def image_format(path: str | os.PathLike) -> str:
    """The Pillow format an image file's suffix names (:data:`IMAGE_SUFFIXES`).

    Raises
    ------
    MvdSimError
        One line naming ``path``, ``-o/--output`` and the suffixes accepted.
    """
    return output_format(path, IMAGE_SUFFIXES)


def image_bytes(image: np.ndarray, fmt: str = "PNG") -> bytes:
    """An (h, w, 3) uint8 RGB image as the bytes of a PNG, JPEG or TIFF file.

    Parameters
    ----------
    image : (h, w, 3) uint8
    fmt : ``"PNG"``, ``"JPEG"`` or ``"TIFF"``
        PNG (lossless), JPEG (RGB, quality :data:`JPEG_QUALITY`, no chroma subsampling, so
        thin contact patches keep their colour) or TIFF (lossless, deflate-compressed).

    Returns
    -------
    bytes
        The whole file; the same image gives the same bytes.
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, **_IMAGE_OPTIONS[fmt])
    return buffer.getvalue()


def render(scenes: list[tuple[Scene, str]], path: str | os.PathLike,
           view: str = "retrosigmoid", size: tuple[int, int] = (1200, 900)) -> Path:
    """Render to an image file, written atomically (:func:`mvd_sim.core.output.write_file`).

    Parameters
    ----------
    scenes : list of (Scene, title)
        Panels from left to right (see :func:`render_image`).
    path : str or PathLike
        Its suffix chooses the format (:data:`IMAGE_SUFFIXES`): PNG, JPEG or TIFF.
    view : one of :data:`VIEWS`
    size : (width, height) of the whole image in pixels

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MvdSimError
        One line: a suffix naming no image format (before anything is rendered), or
        ``path`` cannot be written (it is then as it was).
    """
    fmt = image_format(path)
    return write_file(path, image_bytes(render_image(scenes, view, size), fmt))
