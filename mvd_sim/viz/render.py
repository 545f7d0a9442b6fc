"""Surgeon's-view pictures of a case, rendered off-screen with pyvista.

A picture draws the parts of :mod:`mvd_sim.viz.actors` (what ``view``, the report's 3D scene
and ``serve`` draw too) from a named view's camera (:mod:`mvd_sim.viz.camera`). The
operative views (``retrosigmoid``, the default, and ``infrafloccular``, the route for
hemifacial spasm) are the operating microscope's: a circular field, the picture darkening
beyond the focus (depth cue), nothing nearer than the dural opening. Over it
(:mod:`mvd_sim.viz.overlay`): labels for CN VII, CN VIII, every vessel and CN VII's landmarks
placed without overlap, a scale bar at the focus, an orientation triad (rostral, lateral,
anterior), the legend and the panel's title. Colours: :mod:`mvd_sim.viz.palette`.

Rendering needs no display: with none, VTK renders through EGL.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvd_sim.contact.analysis import analyze
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SeverityThresholds
from mvd_sim.core.output import output_format, write_file
from mvd_sim.scene.scene import Scene
from mvd_sim.viz.actors import hides_root_exit_zone, labels, legend_entries, scene_parts
from mvd_sim.viz.camera import VIEWS, Camera, camera_for
from mvd_sim.viz.draw import add_parts, set_camera
from mvd_sim.viz.overlay import Annotation, annotate, microscope
from mvd_sim.viz.palette import (BACKGROUND, CONTEXT_COLORS, SEVERITY_COLORS, VESSEL_COLORS,
                                 unit_rgb)

__all__ = ["VIEWS", "SEVERITY_COLORS", "VESSEL_COLORS", "CONTEXT_COLORS", "IMAGE_SUFFIXES",
           "JPEG_QUALITY", "Panel", "render", "render_image", "render_panel", "image_bytes",
           "image_format", "prefer_headless", "Camera", "camera_for", "hides_root_exit_zone",
           "patient_axes"]

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


def patient_axes(scene: Scene) -> dict[str, np.ndarray]:
    """The orientation triad's directions (scene frame): rostral, lateral, anterior."""
    return {"rostral": np.array([0.0, 0.0, 1.0]),
            "lateral": np.asarray(scene.lateral, dtype=float),
            "anterior": np.array([0.0, 1.0, 0.0])}


@dataclass(frozen=True)
class Panel:
    """One rendered panel: its picture (h, w, 3) uint8, its camera, each pixel's depth
    (h, w) float (mm from the eye to the surface drawn beneath the parts on top; NaN where
    nothing is) and what is drawn over it."""

    image: np.ndarray
    camera: Camera
    depth: np.ndarray
    annotation: Annotation | None


def render_panel(scene: Scene, title: str | None = None, view: str = "retrosigmoid",
                 size: tuple[int, int] = (1200, 900), annotate_it: bool = True,
                 legend: bool = True, camera: Camera | None = None,
                 contacts: bool = True,
                 thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> Panel:
    """Render one scene from a named view.

    Parameters
    ----------
    scene : Scene
    title : str or None
        Written upper left (with ``annotate_it``).
    view : one of :data:`~mvd_sim.viz.camera.VIEWS`
    size : (width, height) in pixels
    annotate_it : bool
        Labels, legend, scale bar, triad and title (off: the anatomy alone, still with the
        microscope's field and depth cue).
    legend : bool
        Draw the legend (with ``annotate_it``).
    camera : Camera or None
        Aim this way instead of ``view``'s camera (e.g. :func:`mvd_sim.viz.padview.pad_view`).
    contacts : bool
        Paint the contact patches (off: the anatomy without them, as an exercise shows it).
    thresholds : SeverityThresholds
        The contact engine's thresholds the patches are graded with: the case's own
        (:attr:`mvd_sim.case.Case.thresholds`; an imaged case's are widened to its voxel),
        default: the engine's defaults.
    """
    prefer_headless()
    import pyvista as pv

    camera = camera_for(scene, view) if camera is None else camera
    report = analyze(scene, thresholds)
    if not contacts:
        report = report.model_copy(update={"contacts": []})
    parts = scene_parts(scene, report, camera)
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        plotter.set_background(unit_rgb(BACKGROUND))
        drawn = add_parts(plotter, parts)
        set_camera(plotter, camera)
        image = np.asarray(plotter.screenshot(return_img=True))[..., :3].copy()
        on_top = np.zeros(image.shape[:2], dtype=bool)
        if drawn.top is not None:       # the depth of the scene, not of the patches over it
            drawn.top.DrawOff()
            base = np.asarray(plotter.screenshot(return_img=True))[..., :3]
            on_top = np.any(base != image, axis=-1)
        depth = -np.asarray(plotter.get_image_depth(reset_camera_clipping_range=False))
    finally:
        plotter.close()
    if camera.operative:
        image = microscope(image, depth, camera, clear=on_top)
    annotation = None
    if annotate_it:
        image, annotation = annotate(image, depth, camera, labels(scene, report),
                                     legend_entries(parts) if legend else None, title,
                                     patient_axes(scene))
    return Panel(image, camera, depth, annotation)


def render_image(scenes: list[tuple[Scene, str]], view: str = "retrosigmoid",
                 size: tuple[int, int] = (1200, 900), annotate: bool = True,
                 contacts: bool = True,
                 thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> np.ndarray:
    """Render one or more scenes side by side; returns an (h, w, 3) uint8 image.

    Parameters
    ----------
    scenes : list of (Scene, title)
        Panels from left to right (e.g. before and after a decompression); the legend is
        drawn in the last.
    view : one of :data:`~mvd_sim.viz.camera.VIEWS`
    size : (width, height) of the whole image in pixels
    annotate : bool
        Labels, legend, scale bar, triad and titles (off: the anatomy alone).
    contacts : bool
        Paint the contact patches (:func:`render_panel`).
    thresholds : SeverityThresholds
        The contact engine's thresholds the patches are graded with: the case's own
        (:attr:`mvd_sim.case.Case.thresholds`; an imaged case's are widened to its voxel),
        default: the engine's defaults.
    """
    widths = np.diff(np.linspace(0, size[0], len(scenes) + 1).round().astype(int))
    return np.hstack([render_panel(scene, title, view, (int(width), size[1]), annotate,
                                   legend=k == len(scenes) - 1, contacts=contacts,
                                   thresholds=thresholds).image
                      for k, ((scene, title), width) in enumerate(zip(scenes, widths))])


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
           view: str = "retrosigmoid", size: tuple[int, int] = (1200, 900),
           thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> Path:
    """Render to an image file, written atomically (:func:`mvd_sim.core.output.write_file`).

    Parameters
    ----------
    scenes : list of (Scene, title)
        Panels from left to right (see :func:`render_image`).
    path : str or PathLike
        Its suffix chooses the format (:data:`IMAGE_SUFFIXES`): PNG, JPEG or TIFF.
    view : one of :data:`VIEWS`
    size : (width, height) of the whole image in pixels
    thresholds : SeverityThresholds
        The contact engine's thresholds the patches are graded with: the case's own
        (:attr:`mvd_sim.case.Case.thresholds`; an imaged case's are widened to its voxel),
        default: the engine's defaults.

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
    return write_file(path, image_bytes(render_image(scenes, view, size,
                                                     thresholds=thresholds), fmt))
