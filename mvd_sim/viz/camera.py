"""The named views' cameras, and the projection of scene points to pixels (pure numpy).

The two operative views are the surgeon's operating microscope looking through a
retrosigmoid craniotomy: the objective ``WORKING_DISTANCE_MM`` from the focus (a near
orthographic view, as through a microscope), a circular field ``FIELD_DIAMETER_MM`` across at
the focus, and nothing drawn nearer than the dural opening, ``DURAL_DEPTH_MM`` in front of the
focus (37-47 mm from the dural opening to VII/VIII, JAREM 2019; ``shared/anatomy_facts.md``
section 8).

- ``retrosigmoid``: from behind and lateral, along the posterior petrous surface, at the
  middle of CN VII's cisternal course (the root exit zone medially, the porus laterally).
- ``infrafloccular``: the route for hemifacial spasm: from below the flocculus, between CN IX
  and the flocculus, looking up at CN VII's root exit zone.
- ``lateral``, ``anterior``, ``superior``: atlas views along the scene's axes, no
  microscope field.

Frames: the scene frame (mm; x lateral for a right case, y anterior, z rostral); pixels as
(column, row) from the top left corner of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.geometry.vec import unit
from mvd_sim.scene.scene import Scene

__all__ = ["VIEWS", "OPERATIVE_VIEWS", "WORKING_DISTANCE_MM", "DURAL_DEPTH_MM",
           "FIELD_DIAMETER_MM", "Camera", "camera_for", "project", "pixels_per_mm"]

VIEWS = ("retrosigmoid", "infrafloccular", "lateral", "anterior", "superior")
#: The views through the microscope (circular field, depth cue, dural opening).
OPERATIVE_VIEWS = ("retrosigmoid", "infrafloccular")
#: *estimate*: an operating microscope's objective focal length, 200-300 mm.
WORKING_DISTANCE_MM = 250.0
#: Depth from the dural opening to VII/VIII, 37-47 (mean 42) mm (JAREM 2019).
DURAL_DEPTH_MM = 42.0
#: *estimate*: the microscope's field across at the focus (about 6x magnification).
FIELD_DIAMETER_MM = 34.0
#: Field across at the focus of the atlas views.
ATLAS_FIELD_MM = 40.0
#: Least cosine between an operative view's direction (toward the eye) and the petrous
#: face's plane normal.
PETROUS_CLEARANCE = 0.05
#: Scene directions toward the camera (lateral, posterior, caudal weights) of each view.
_DIRECTIONS = {"retrosigmoid": (0.30, 0.90, 0.25), "infrafloccular": (0.55, 0.45, 0.70),
               "lateral": (1.0, 0.0, 0.0), "anterior": (0.0, -1.0, 0.0),
               "superior": (0.0, 0.0, -1.0)}


@dataclass(frozen=True)
class Camera:
    """A perspective camera (scene frame, mm).

    Attributes
    ----------
    position, focus, up : (3,) float
        Eye, focal point (mm) and view-up direction.
    view_angle_deg : float
        Vertical view angle.
    near_mm, far_mm : float
        Clipping distances from the eye along the view direction.
    operative : bool
        Whether this is a microscope view (circular field, depth cue).
    """

    position: np.ndarray
    focus: np.ndarray
    up: np.ndarray
    view_angle_deg: float = 30.0
    near_mm: float = 1.0
    far_mm: float = 1000.0
    operative: bool = False

    @property
    def distance_mm(self) -> float:
        """Eye to focus (mm)."""
        return float(np.linalg.norm(self.focus - self.position))

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit (forward, right, up) of the image: forward into the picture, up square to
        it (the view-up projected, as VTK does)."""
        forward = self.focus - self.position
        forward = forward / np.linalg.norm(forward)
        right = np.cross(forward, self.up)
        right = right / np.linalg.norm(right)
        return forward, right, np.cross(right, forward)


def _along_petrous_face(direction: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """``direction`` turned toward the petrous face's ``normal`` (out of the bone) until it
    leaves the face by at least ``PETROUS_CLEARANCE``: the microscope looks in along the
    petrous surface, never from inside the bone."""
    for _ in range(3):
        short = PETROUS_CLEARANCE - float(direction @ normal)
        if short <= 0:
            break
        direction = unit(direction + short * normal)
    return direction


def camera_for(scene: Scene, view: str) -> Camera:
    """The camera of a named view (:data:`VIEWS`), aimed on CN VII's rest course (so
    before and after panels line up).

    Raises
    ------
    MvdSimError
        ``view`` is not one of :data:`VIEWS` (one line, naming ``--view``).
    """
    if view not in VIEWS:
        raise MvdSimError(f"--view: unknown view {view!r} (expected one of "
                          f"{', '.join(VIEWS)})")
    rest, marks = scene.rest_nerves["CN7"], scene.landmarks["CN7"]
    focus_s = 0.45 * marks.porus_mm if view == "retrosigmoid" else 0.5 * marks.rez_end_mm
    focus = rest.point_at(focus_s)
    lateral_w, posterior_w, caudal_w = _DIRECTIONS[view]
    direction = unit(lateral_w * np.asarray(scene.lateral, float)
                      + posterior_w * np.array([0.0, -1.0, 0.0])
                      + caudal_w * np.array([0.0, 0.0, -1.0]))
    operative = view in OPERATIVE_VIEWS
    if operative and scene.petrous is not None:
        direction = _along_petrous_face(direction, np.asarray(scene.petrous.normal, float))
    up = np.array([0.0, 1.0, 0.0]) if view == "superior" else np.array([0.0, 0.0, 1.0])
    field = FIELD_DIAMETER_MM if operative else ATLAS_FIELD_MM
    angle = float(np.degrees(2 * np.arctan(0.5 * field / WORKING_DISTANCE_MM)))
    near = WORKING_DISTANCE_MM - DURAL_DEPTH_MM if operative else 1.0
    return Camera(focus + WORKING_DISTANCE_MM * direction, focus, up, angle, near,
                  2 * WORKING_DISTANCE_MM, operative)


def project(points: np.ndarray, camera: Camera, size: tuple[int, int]) -> np.ndarray:
    """(n, 3) pixel column, row and depth (mm from the eye along the view) of scene
    ``points`` (n, 3) or (3,), in a picture of ``size`` (width, height) pixels."""
    forward, right, up = camera.basis()
    rel = np.atleast_2d(np.asarray(points, dtype=float)) - camera.position
    depth = rel @ forward
    half = np.tan(np.radians(camera.view_angle_deg) / 2) * depth
    x = (rel @ right) / (half * size[0] / size[1])
    y = (rel @ up) / half
    return np.column_stack([(x + 1) / 2 * size[0], (1 - y) / 2 * size[1], depth])


def pixels_per_mm(camera: Camera, size: tuple[int, int]) -> float:
    """Pixels a millimetre at the focus, square to the view, in a picture ``size`` (width,
    height) pixels."""
    return size[1] / (2 * np.tan(np.radians(camera.view_angle_deg) / 2) * camera.distance_mm)
