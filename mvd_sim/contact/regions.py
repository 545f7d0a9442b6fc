"""What the contact engine measures on: a vessel seen as a surface (a tube's exact distances,
or a mesh's, :mod:`mvd_sim.contact.mesh_path`), and a region where a vessel comes near a nerve.
Scene frame, mm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.tube import Tube

__all__ = ["PATCH_RING_SPACING_MM", "PATCH_SAMPLES_AROUND", "VesselSurface", "TubeSurface",
           "Region"]

#: Ring spacing (mm) and samples around a ring for contact patches.
PATCH_RING_SPACING_MM = 0.1
PATCH_SAMPLES_AROUND = 36


class VesselSurface(Protocol):
    """What the engine needs of a vessel: its id, type and signed distances to its surface."""

    name: str
    kind: str

    def signed_gap(self, points: np.ndarray) -> np.ndarray:
        """(m,) mm: signed distance from points to the surface, negative inside."""


@dataclass(frozen=True, eq=False)
class TubeSurface:
    """A tube vessel (or a stretch of one) seen as a surface: exact point-to-tube distances.

    Attributes
    ----------
    name, kind : str
    points : (n, 3) float, mm
    radius : (n,) float, mm
    """

    name: str
    kind: str
    points: np.ndarray
    radius: np.ndarray

    @classmethod
    def of(cls, tube: Tube, rows: np.ndarray | slice = slice(None)) -> TubeSurface:
        """The tube, or the stretch of its points ``rows``."""
        return cls(tube.name, tube.kind, tube.points[rows], tube.radius[rows])

    def signed_gap(self, points: np.ndarray) -> np.ndarray:
        dist, seg, u, _ = point_polyline(points, self.points)
        r = self.radius
        return dist - (r[seg] + u * (r[seg + 1] - r[seg]))


@dataclass(frozen=True)
class Region:
    """A region where a vessel comes near a nerve (within the near-miss margin).

    Attributes
    ----------
    placed_s : float, mm
        Arc length of the deepest point along the nerve as placed.
    gap : float, mm
        Minimum surface gap (negative = overlap).
    nerve_centre, vessel_centre : (3,) float, mm
        Centerline points where it is reached.
    vessel_axis : (3,) float
        Unit direction of the vessel there (continuous along it).
    span : (float, float), mm
        Placed arc interval of the nerve that can hold the contact patch.
    surface : VesselSurface
        The vessel (or the part of it near this region).
    """

    placed_s: float
    gap: float
    nerve_centre: np.ndarray
    vessel_centre: np.ndarray
    vessel_axis: np.ndarray
    span: tuple[float, float]
    surface: VesselSurface
