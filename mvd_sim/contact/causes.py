"""What causes a contact: a vessel (a looping artery or a vein, or a dolichoectatic VA or
BA) or a lesion (a tumour, an aneurysm's dome, an AVM's nidus), and the lesions seen as
surfaces the contact engine measures on (exact distances to their ellipsoids). Scene frame,
mm."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.core.constants import DOLICHOECTASIA_DIAMETER_MM, DOLICHOECTASIA_TORTUOSITY
from mvd_sim.core.tube import Tube
from mvd_sim.mesh.meshing import ellipsoid_mesh

__all__ = ["LesionSurface", "tortuosity", "dolichoectatic", "vessel_cause",
           "lesion_vessel_touches", "SECONDARY_CAUSES"]

#: Causes that make hemifacial spasm *secondary* (Han IB et al., Neurosurgery 2009: "all
#: secondary (tumour + AVM)").
SECONDARY_CAUSES = ("tumour", "avm")


def tortuosity(tube: Tube) -> float:
    """Tortuosity index of a vessel: its length over its chord (facts file: VA 1.09-1.29)."""
    chord = float(np.linalg.norm(tube.points[-1] - tube.points[0]))
    return tube.length_mm / max(chord, 1e-12)


def dolichoectatic(tube: Tube) -> bool:
    """Whether a VA or BA is dolichoectatic: its largest outer diameter at least
    :data:`~mvd_sim.core.constants.DOLICHOECTASIA_DIAMETER_MM` and its tortuosity index at
    least :data:`~mvd_sim.core.constants.DOLICHOECTASIA_TORTUOSITY` (both *estimates*)."""
    return (tube.kind in ("VA", "BA")
            and 2.0 * float(tube.radius.max()) >= DOLICHOECTASIA_DIAMETER_MM
            and tortuosity(tube) >= DOLICHOECTASIA_TORTUOSITY)


def vessel_cause(tube: Tube) -> str:
    """``dolichoectasia`` for a dolichoectatic VA or BA, else ``vascular`` (a tube never
    changes: asked once per tube)."""
    cause = _CAUSES.get(tube)
    if cause is None:
        cause = _CAUSES[tube] = "dolichoectasia" if dolichoectatic(tube) else "vascular"
    return cause


_CAUSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class LesionSurface:
    """A lesion seen as a surface by the contact engine's ring sampling
    (:func:`mvd_sim.contact.mesh_path.mesh_regions`): exact signed distances to its
    ellipsoid; its mesh's vertices bound where a query is needed."""

    lesion: Lesion

    @property
    def name(self) -> str:
        return self.lesion.name

    @property
    def kind(self) -> str:
        return self.lesion.kind

    @property
    def cause(self) -> str:
        return self.lesion.cause

    @cached_property
    def _mesh(self) -> tuple[np.ndarray, np.ndarray]:
        return ellipsoid_mesh(self.lesion.body)

    @cached_property
    def vertex_tree(self) -> cKDTree:
        """k-d tree over its mesh's vertices."""
        return cKDTree(self._mesh[0])

    @cached_property
    def longest_edge_mm(self) -> float:
        """Longest edge (mm) of its mesh: every surface point is this close to a vertex."""
        vertices, faces = self._mesh
        corners = vertices[faces]
        return float(np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2).max())

    def signed_gap(self, points: np.ndarray) -> np.ndarray:
        """(m,) mm: signed distance of points to the surface, negative inside."""
        return self.lesion.signed_distance(points)

    def axis_near(self, point: np.ndarray) -> np.ndarray:
        """The lesion's first axis (along the nerve for a mass or a nidus, along the parent
        vessel for an aneurysm), for the contact's crossing angle."""
        return self.lesion.body.axes[0]


def lesion_vessel_touches(lesion: Lesion, vessel: Tube, contact_mm: float
                          ) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Where ``vessel`` touches ``lesion``: per run of its centerline points (at most 2 apart)
    whose tube comes within ``contact_mm`` (mm) of the lesion's surface, the least gap (mm,
    negative inside), the lesion's surface point there and the vessel's surface point
    facing it (scene frame, mm). The gap of a centerline point is its exact distance to the
    ellipsoid less the vessel's radius there."""
    near, normal, distance = lesion.closest(vessel.points)
    gap = distance - vessel.radius
    idx = np.flatnonzero(gap <= contact_mm)
    out = []
    for run in np.split(idx, np.flatnonzero(np.diff(idx) > 2) + 1) if len(idx) else []:
        m = run[np.argmin(gap[run])]
        out.append((float(gap[m]), near[m], vessel.points[m] - vessel.radius[m] * normal[m]))
    return out
