"""What a line of sight meets first in a scene: picking a structure under a mouse click.

A click on a picture is a ray from the camera through the clicked pixel (scene frame, mm).
:func:`first_hit` walks along it and returns the first solid it enters, from the scene's own
geometry (not from the drawn meshes, which approximate it): the vessels and nerves as tubes
(their centerlines and radii), the pads and the brainstem. The operative field around them is
passed through: the context structures (cerebellum, flocculus, lower cranial nerves), which
the pictures draw see-through where they would hide the root exit zone and a surgeon
retracts, and the petrous bone, a plane in the model (:class:`~mvd_sim.anatomy.petrous.
PetrousFace`) whose half-space holds the surgeon's own viewpoint.

Examples
--------
>>> import numpy as np
>>> from mvd_sim.case import Case
>>> scene = Case.bundled("aica_as_moderate_right").scene
>>> aica = scene.vessels["aica"]
>>> target = aica.point_at(22.5)
>>> origin = target + np.array([0.0, 0.0, -30.0])   # 30 mm below it, looking up
>>> hit = first_hit(scene, origin, target - origin)
>>> hit.kind, hit.name
('vessel', 'aica')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.errors import MvdSimError
from mvd_sim.core.geometry.closest import point_polyline, point_segment
from mvd_sim.core.tube import Tube
from mvd_sim.scene.scene import Scene

__all__ = ["Hit", "first_hit", "PICK_STEP_MM", "PICK_REACH_MM"]

#: Spacing (mm) of the samples along a ray; the hit is then refined to 1% of it.
PICK_STEP_MM = 0.05
#: How far along the ray (mm) from its origin a structure is looked for.
PICK_REACH_MM = 150.0
_REFINE_STEPS = 7


@dataclass(frozen=True)
class Hit:
    """The first structure a ray meets.

    Attributes
    ----------
    kind : ``"vessel"``, ``"nerve"``, ``"pad"`` or ``"brainstem"``
    name : str
        The vessel's or nerve's id, the pad's name or ``"brainstem"``.
    point : (3,) float, mm
        Where the ray enters it (scene frame).
    distance_mm : float
        From the ray's origin to ``point``.
    """

    kind: str
    name: str
    point: np.ndarray
    distance_mm: float


def _inside_tube(tube: Tube, points: np.ndarray) -> np.ndarray:
    """(m,) bool: which points lie within the tube (radius interpolated along it)."""
    dist, seg, u, _ = point_polyline(points, tube.points)
    radius = (1.0 - u) * tube.radius[seg] + u * tube.radius[seg + 1]
    return dist <= radius


def _solids(scene: Scene) -> list[tuple[str, str, object]]:
    """``(kind, name, inside)`` for every solid a ray may meet; ``inside(points)`` is (m,)
    bool."""
    solids = [("vessel", name, lambda p, t=tube: _inside_tube(t, p))
              for name, tube in scene.vessels.items()]
    solids += [("nerve", name, lambda p, t=tube: _inside_tube(t, p))
               for name, tube in scene.nerves.items()]
    for sponge in scene.sponges:
        def inside_pad(p, s=sponge):
            p0, p1 = s.ends()
            dist = point_segment(p, np.broadcast_to(p0, p.shape), np.broadcast_to(p1, p.shape))[1]
            return dist <= s.radius_mm
        solids.append(("pad", sponge.name, inside_pad))
    solids.append(("brainstem", "brainstem",
                   lambda p: scene.brainstem.signed_distance(p, PICK_STEP_MM) <= 0.0))
    return solids


def first_hit(scene: Scene, origin: np.ndarray, direction: np.ndarray,
              reach_mm: float = PICK_REACH_MM, over: tuple[str, ...] = ()) -> Hit | None:
    """The first solid of ``scene`` the ray from ``origin`` along ``direction`` enters
    within ``reach_mm``, or None (the ray passes everything); a solid of a kind in ``over``
    (drawn over everything else, as the pictures draw the pads) is met before any other
    wherever it lies along the ray.

    Parameters
    ----------
    scene : Scene
    origin : (3,) float, mm
        Where the ray starts (the camera), scene frame; it should lie outside every solid.
    direction : (3,) float
        Its direction (any length but zero).
    reach_mm : float
        How far along it to look.
    over : tuple of str
        Kinds (``"pad"``, ...) drawn over the others.

    Raises
    ------
    MvdSimError
        If ``direction`` is zero or not finite.
    """
    origin = np.asarray(origin, dtype=float)
    direction = np.asarray(direction, dtype=float)
    norm = float(np.linalg.norm(direction))
    if not (np.isfinite(norm) and norm > 0.0):
        raise MvdSimError(f"pick: the ray's direction {direction.tolist()} is not a direction")
    direction = direction / norm
    t = np.arange(0.0, reach_mm + PICK_STEP_MM, PICK_STEP_MM)
    samples = origin + t[:, None] * direction
    best: tuple[int, str, str, object] | None = None
    for kind, name, inside in _solids(scene):
        hits = np.flatnonzero(inside(samples))
        # a kind drawn over the others comes first: its samples count from -len(t)
        first = int(hits[0]) - (len(t) if kind in over else 0) if len(hits) else None
        if first is not None and (best is None or first < best[0]):
            best = (first, kind, name, inside)
    if best is None:
        return None
    k, kind, name, inside = best
    k %= len(t)
    low, high = max(t[k] - PICK_STEP_MM, 0.0), t[k]  # outside at low (or the start), inside
    for _ in range(_REFINE_STEPS):
        mid = 0.5 * (low + high)
        if inside((origin + mid * direction)[None])[0]:
            high = mid
        else:
            low = mid
    return Hit(kind, name, origin + high * direction, float(high))
