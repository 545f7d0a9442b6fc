"""Slings holding transposed vessels: their geometry in the scene frame (mm).

A transposition (VA transposition with an ePTFE sling sutured to the petrous dura: Masuoka J
et al., Neurosurg Rev 2011; Lee SH et al., JKNS 2016) wraps a band of ``width_mm`` round a
vessel at ``s_mm`` along it and ties it to the dura, so the vessel's nodes under the band
are held ``translation`` away from where they lay. The mechanics
(:class:`mvd_sim.mechanics.model.MechanicalModel`) holds them there with springs of the
band's stiffness; :func:`mvd_sim.surgery.transpose.place_slings` makes slings from specs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.materials import SLING_STIFFNESS_N_PER_MM
from mvd_sim.core.tube import Tube

__all__ = ["Sling"]


@dataclass(frozen=True, eq=False)
class Sling:
    """A sling round a vessel, tied to the dura.

    Attributes
    ----------
    name : str
    vessel : str
        The vessel it holds.
    s_mm : float, mm
        Centre of the band along the vessel (arc length from its first point).
    width_mm : float, mm
        Width of the band along the vessel.
    translation : (3,) float, mm
        Where the band holds the vessel's nodes under it: where they lay before, plus this.
    anchor : ``"petrous"`` or ``"tentorium"``
        The dura it is sutured to.
    anchor_point : (3,) float, mm
        Where it is sutured (reports and pictures; the mechanics need only
        ``translation``).
    stiffness_n_per_mm : float, N/mm
        The band's pull per mm the vessel falls short of its target, all its nodes
        together; default :data:`~mvd_sim.core.materials.SLING_STIFFNESS_N_PER_MM`.
    """

    name: str
    vessel: str
    s_mm: float
    width_mm: float
    translation: np.ndarray
    anchor: str
    anchor_point: np.ndarray
    stiffness_n_per_mm: float = SLING_STIFFNESS_N_PER_MM

    @property
    def distance_mm(self) -> float:
        """How far the band holds the vessel from where it lay, mm (to 1e-9 mm, so an asked
        3 mm reads 3.0, not the norm's 3.0000000000000004)."""
        return round(float(np.linalg.norm(self.translation)), 9)

    @property
    def direction(self) -> np.ndarray:
        """(3,) unit direction of ``translation``."""
        return self.translation / max(self.distance_mm, 1e-12)

    def nodes(self, tube: Tube) -> np.ndarray:
        """(m,) int: the points of ``tube`` (the vessel, as a rod samples it) under the band,
        those within ``width_mm / 2`` of ``s_mm`` along it; the nearest one if none is."""
        under = np.flatnonzero(np.abs(tube.s - self.s_mm) <= 0.5 * self.width_mm)
        if len(under) == 0:
            under = np.array([int(np.argmin(np.abs(tube.s - self.s_mm)))])
        return under
