"""A close-up camera on a scene's pads, from the named view that sees most of them.

A pad lies between the vessel it holds off and the nerve or brainstem it is seated on, so
from the surgeon's retrosigmoid view it is often behind CN VII or the vessel. For each of the
named views' directions (:data:`~mvd_sim.viz.camera.VIEWS`), the pads' surface points are
ray-traced from an eye on that direction to see which the opaque anatomy (brainstem, nerves,
vessels) hides; the direction that sees the largest share wins (the earlier view on a tie), and
the camera is aimed at the pads' middle with a field that holds them all, and what lies more
than :data:`CUT_MM` in front of them is cut away (the near clipping plane).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.contact.analysis import analyze
from mvd_sim.scene.scene import Scene
from mvd_sim.viz.actors import scene_parts
from mvd_sim.viz.camera import VIEWS, WORKING_DISTANCE_MM, Camera, camera_for

__all__ = ["PadView", "pad_view", "MIN_FIELD_MM", "FIELD_MARGIN_MM", "OCCLUDERS", "CUT_MM"]

#: The close-up's least field across at the pads (mm).
MIN_FIELD_MM = 12.0
#: Field added round the pads' extent (mm).
FIELD_MARGIN_MM = 6.0
#: The parts' groups that hide a pad (the opaque ones).
OCCLUDERS = ("brainstem", "context", "nerve", "vessel")
#: Depth (mm) in front of the pads' middle that the close-up shows: nearer is cut away.
CUT_MM = 12.0
_SAMPLES = 60  # surface points a pad is judged by
_EPS_MM = 1e-3


@dataclass(frozen=True)
class PadView:
    """The close-up: the named view its direction comes from, its camera, and the share of
    the pads' sampled surface points that it sees (0-1)."""

    view: str
    camera: Camera
    visible: float


def _occluder_tree(scene: Scene):
    """A VTK OBB tree over the scene's opaque brainstem, nerves and vessels."""
    import pyvista as pv
    import vtk

    meshes = [p.mesh for p in scene_parts(scene, analyze(scene))
              if p.group in OCCLUDERS and p.opacity >= 1.0]
    merged = pv.merge(meshes) if len(meshes) > 1 else meshes[0]
    tree = vtk.vtkOBBTree()
    tree.SetDataSet(merged)
    tree.BuildLocator()
    return tree


def _seen(tree, direction: np.ndarray, targets: np.ndarray) -> float:
    """Share of ``targets`` (n, 3) mm seen along the unit ``direction`` toward the eye: no
    anatomy on the line from :data:`CUT_MM` out to just short of the target (a pad resting
    on the nerve touches it there). The close-up is nearly orthographic, so the lines are
    parallel."""
    import vtk

    hits, seen = vtk.vtkPoints(), 0
    for target in targets:
        hits.Reset()
        tree.IntersectWithLine((target + CUT_MM * direction).tolist(),
                               (target + _EPS_MM * direction).tolist(), hits, None)
        seen += hits.GetNumberOfPoints() == 0
    return seen / len(targets)


def pad_view(scene: Scene) -> PadView | None:
    """The close-up on ``scene``'s pads (None without a pad)."""
    from mvd_sim.mesh.meshing import sponge_mesh

    if not scene.sponges:
        return None
    surface = np.concatenate([sponge_mesh(sponge)[0] for sponge in scene.sponges])
    rng = np.random.default_rng(0)
    targets = surface[rng.choice(len(surface), min(_SAMPLES, len(surface)), replace=False)]
    focus = surface.mean(axis=0)
    extent = 2.0 * float(np.linalg.norm(surface - focus, axis=1).max())
    field = max(MIN_FIELD_MM, extent + FIELD_MARGIN_MM)
    angle = float(np.degrees(2 * np.arctan(0.5 * field / WORKING_DISTANCE_MM)))
    tree = _occluder_tree(scene)
    best = None
    for view in VIEWS:
        named = camera_for(scene, view)
        direction = (named.position - named.focus) / named.distance_mm
        camera = Camera(focus + WORKING_DISTANCE_MM * direction, focus, named.up, angle,
                        WORKING_DISTANCE_MM - CUT_MM, WORKING_DISTANCE_MM + 4 * CUT_MM)
        seen = _seen(tree, direction, targets)
        if best is None or seen > best.visible:
            best = PadView(view, camera, seen)
    return best
