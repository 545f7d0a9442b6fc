"""Arachnoid bands tethering a vessel to CN VII: their geometry in the scene frame (mm).

An arachnoid band (adhesion) holds a vessel on the nerve; without a vessel it can cause
hemifacial spasm itself (2 of 353 patients, El Refaee E ... Schroeder HWS, Acta Neurochir
2019), and a pad alone does not undo it: the surgeon cuts it. The mechanics
(:class:`mvd_sim.mechanics.model.MechanicalModel`) models it as a spring, stress-free as
built, between the vessel's node nearest ``vessel_s_mm`` and CN VII's node nearest
``nerve_s_mm``: it pulls the two back together however far a pad parts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.constants import BAND_STIFFNESS_N_PER_MM
from mvd_sim.core.tube import Tube

__all__ = ["Band"]


@dataclass(frozen=True, eq=False)
class Band:
    """An arachnoid band from a vessel to CN VII.

    Attributes
    ----------
    name : str
    vessel : str
        The vessel it tethers.
    vessel_s_mm : float, mm
        Where on the vessel (arc length from its first point).
    nerve_s_mm : float, mm
        Where on CN VII (arc length on its rest course from the RExP).
    stiffness_n_per_mm : float, N/mm
        *estimate* (:data:`~mvd_sim.core.constants.BAND_STIFFNESS_N_PER_MM`).
    """

    name: str
    vessel: str
    vessel_s_mm: float
    nerve_s_mm: float
    stiffness_n_per_mm: float = BAND_STIFFNESS_N_PER_MM

    def vessel_node(self, tube: Tube) -> int:
        """The point of ``tube`` (the vessel as a rod samples it) nearest ``vessel_s_mm``."""
        return int(np.argmin(np.abs(tube.s - self.vessel_s_mm)))

    def nerve_node(self, rest: Tube) -> int:
        """The point of CN VII's rest course nearest ``nerve_s_mm``."""
        return int(np.argmin(np.abs(rest.s - self.nerve_s_mm)))
