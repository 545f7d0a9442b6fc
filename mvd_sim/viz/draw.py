"""Put :mod:`~mvd_sim.viz.actors` parts in a pyvista plotter (the one place that does).

Parts marked ``on_top`` (contact patches and pads) go in a second VTK renderer layered over the
plotter's, sharing its camera: they draw over whatever is in front of them, so a patch under
its vessel or behind CN VIII still shows, with its outline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mvd_sim.viz.actors import Label, Part
from mvd_sim.viz.camera import Camera
from mvd_sim.viz.palette import OUTLINE_COLOR, PANEL_COLOR, TEXT_COLOR, unit_rgb

__all__ = ["Drawn", "add_parts", "add_labels", "set_camera", "OUTLINE_WIDTH_PX"]

#: Width (pixels) of contact patches' and pads' outlines.
OUTLINE_WIDTH_PX = 3.0


@dataclass
class Drawn:
    """What :func:`add_parts` drew: each part's actors (its surface, then its outline) by
    part name, and the renderer layered on top (None until an ``on_top`` part needs one)."""

    actors: dict[str, list] = field(default_factory=dict)
    top: object = None


def _top_renderer(plotter):
    """A renderer over the plotter's current one: same viewport and camera, its own depth
    buffer (cleared), the colour buffer kept."""
    import vtk

    base = plotter.renderer
    top = vtk.vtkRenderer()
    top.SetLayer(1)
    top.SetViewport(base.GetViewport())
    top.SetActiveCamera(base.GetActiveCamera())
    top.InteractiveOff()
    window = plotter.render_window
    window.SetNumberOfLayers(max(2, window.GetNumberOfLayers()))
    window.AddRenderer(top)
    return top


def _outline(plotter, part: Part, renderer):
    """A dark outline: the boundary of an open patch, the silhouette of a closed pad."""
    if part.group == "contact":
        edges = part.mesh.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                                manifold_edges=False,
                                                non_manifold_edges=False)
        actor = plotter.add_mesh(edges, color=unit_rgb(OUTLINE_COLOR),
                                 line_width=OUTLINE_WIDTH_PX, render_lines_as_tubes=False,
                                 lighting=False, reset_camera=False)
    else:
        actor = plotter.add_silhouette(part.mesh, color=unit_rgb(OUTLINE_COLOR),
                                       line_width=OUTLINE_WIDTH_PX)
    if renderer is not plotter.renderer:
        plotter.renderer.RemoveActor(actor)
        renderer.AddActor(actor)
    return actor


def add_parts(plotter, parts: list[Part], drawn: Drawn | None = None) -> Drawn:
    """Add ``parts`` to ``plotter``'s current renderer (``on_top`` parts to a layer over
    it); returns (or extends) the :class:`Drawn` record."""
    drawn = Drawn() if drawn is None else drawn
    for part in parts:
        renderer = plotter.renderer
        if part.on_top:
            if drawn.top is None:
                drawn.top = _top_renderer(plotter)
            renderer = drawn.top
        kwargs = {"color": unit_rgb(part.color)} if part.scalars is None else {
            "scalars": part.scalars, "rgb": True}
        flat = part.group == "contact"    # a patch shows its severity's colour exactly
        # felt is matte and bright: more ambient light, no highlight
        felt = {"ambient": 0.45, "diffuse": 0.65, "specular": 0.0} if part.group == "pad" \
            else {}
        actor = plotter.add_mesh(part.mesh, smooth_shading=not flat, lighting=not flat,
                                 **felt,
                                 opacity=part.opacity, reset_camera=False, name=part.name,
                                 **kwargs)
        if renderer is not plotter.renderer:
            plotter.renderer.RemoveActor(actor)
            renderer.AddActor(actor)
        drawn.actors[part.name] = [actor]
        if part.outline:
            drawn.actors[part.name].append(_outline(plotter, part, renderer))
    return drawn


def set_camera(plotter, camera: Camera) -> None:
    """Point the plotter's current renderer's camera (shared by a layer on top)."""
    plotter.camera.position = tuple(camera.position)
    plotter.camera.focal_point = tuple(camera.focus)
    plotter.camera.up = tuple(camera.up)
    plotter.camera.view_angle = camera.view_angle_deg
    plotter.camera.clipping_range = (camera.near_mm, camera.far_mm)


def add_labels(plotter, shown: list[Label], name: str | None = None):
    """The live views' labels (``view``, ``serve``): each at its first anchor, in the
    pictures' text and panel colours, always in front; returns the actor. (A finished picture
    places its labels apart instead, :mod:`~mvd_sim.viz.overlay`.)"""
    import pyvista as pv

    return plotter.add_point_labels(
        pv.PolyData(np.array([label.anchor for label in shown])),
        [label.text for label in shown], font_size=13, point_size=6,
        text_color=unit_rgb(TEXT_COLOR), shape_color=unit_rgb(PANEL_COLOR),
        shape_opacity=0.9, always_visible=True, reset_camera=False, name=name)
