"""A mechanical model: rods and sponges laid out on one vector of degrees of freedom.

Rod ``k`` owns six DOFs per node (``ux uy uz rx ry rz``); each sponge owns three
(translation). A translational *slot* is a node or a sponge centre; ``slot_dof[slot]`` is its
first DOF. The static stiffness (frames, tethers, the sponges' hold) is assembled once.

The model is a value: it holds no state of any solve. The contact laws it applies are a field
(:data:`~mvd_sim.mechanics.contacts.DEFAULT_LAWS` unless given); the brainstem's per-slot
tangent planes a solve iterates on are a :class:`~mvd_sim.mechanics.surface.BrainstemSurface`
its caller creates (:meth:`MechanicalModel.new_surface`) and owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.mechanics.contacts import DEFAULT_LAWS, Configuration, ContactLaw
from mvd_sim.mechanics.bodies import Rod, tributary_lengths
from mvd_sim.scene.pads import Sponge
from mvd_sim.mechanics.frame import DOF_PER_NODE, frame_stiffness
from mvd_sim.core.materials import Materials
from mvd_sim.mechanics.sections import nerve_section, vessel_section
from mvd_sim.mechanics.surface import BrainstemSurface

__all__ = ["MechanicalModel"]


@dataclass(frozen=True, eq=False)
class MechanicalModel:
    """Rods, sponges, the brainstem, the materials and the contact laws of a solve.

    Attributes
    ----------
    rods : list[Rod]
    sponges : list[Sponge]
    brainstem : Brainstem
    materials : Materials
    laws : tuple[ContactLaw, ...]
        The contacts it applies, in order; default every law
        (:data:`~mvd_sim.mechanics.contacts.DEFAULT_LAWS`). Leave one out to let those
        bodies pass through each other.
    """

    rods: list[Rod]
    sponges: list[Sponge]
    brainstem: Brainstem
    materials: Materials
    laws: tuple[ContactLaw, ...] = DEFAULT_LAWS

    @cached_property
    def slot0(self) -> np.ndarray:
        """First slot of each rod."""
        return np.concatenate([[0], np.cumsum([r.n_nodes for r in self.rods])[:-1]]).astype(
            np.intp)

    @property
    def sponge_slot0(self) -> int:
        """First slot of the sponges (the rods' node count)."""
        return int(sum(r.n_nodes for r in self.rods))

    @property
    def n_slots(self) -> int:
        """Translational slots: every rod node and sponge centre."""
        return self.sponge_slot0 + len(self.sponges)

    @cached_property
    def slot_dof(self) -> np.ndarray:
        """(slots,) first DOF of each slot."""
        rod_dofs = DOF_PER_NODE * np.arange(self.sponge_slot0)
        start = DOF_PER_NODE * self.sponge_slot0
        return np.concatenate([rod_dofs, start + 3 * np.arange(len(self.sponges))]).astype(
            np.intp)

    @property
    def n_dof(self) -> int:
        return DOF_PER_NODE * self.sponge_slot0 + 3 * len(self.sponges)

    @cached_property
    def tributaries(self) -> list[np.ndarray]:
        return [tributary_lengths(r.tube.points) for r in self.rods]

    @cached_property
    def free(self) -> np.ndarray:
        """(n_dof,) bool: DOFs not held by a clamp."""
        free = np.ones(self.n_dof, dtype=bool)
        for rod, first in zip(self.rods, self.slot0):
            for node in np.flatnonzero(rod.clamped):
                base = DOF_PER_NODE * (first + node)
                free[base:base + DOF_PER_NODE] = False
        return free

    @cached_property
    def reference(self) -> np.ndarray:
        """(slots, 3) stress-free positions, mm."""
        return np.concatenate([r.tube.points for r in self.rods]
                              + [np.array([s.centre for s in self.sponges]).reshape(-1, 3)])

    def translation_dofs(self, rod: int | None = None) -> np.ndarray:
        """(slots, 3) DOF indices of every slot's translation, or (n, 3) of rod ``rod``'s
        nodes."""
        dofs = self.slot_dof[:, None] + np.arange(3)[None, :]
        if rod is None:
            return dofs
        return dofs[self.slot0[rod]:self.slot0[rod] + self.rods[rod].n_nodes]

    @cached_property
    def stiffness(self) -> sp.csr_matrix:
        """Static stiffness: rod frames, tethers and sponge holds (N/mm, N, N mm)."""
        blocks = []
        for rod in self.rods:
            tube = rod.tube
            radius = 0.5 * (tube.radius[1:] + tube.radius[:-1])
            section = (nerve_section(radius, self.materials) if tube.kind in ("CN7", "CN8")
                       else vessel_section(tube.kind, radius, self.materials))
            frame = frame_stiffness(tube.points, section.ea_n, section.gj_nmm2,
                                    section.ei_nmm2)
            tether = np.zeros((rod.n_nodes, DOF_PER_NODE))
            tether[:, :3] = rod.tether_n_per_mm[:, None]
            blocks.append(frame + sp.diags(tether.ravel()))
        if self.sponges:
            blocks.append(sp.identity(3 * len(self.sponges))
                          * self.materials.sponge_hold_n_per_mm)
        return sp.block_diag(blocks, format="csr")

    def new_surface(self) -> BrainstemSurface:
        """A fresh state of the brainstem's per-slot tangent planes (none queried yet) for
        solves of this model; the caller owns it and may pass it to successive solves."""
        return BrainstemSurface(self.brainstem, self.n_slots)

    def positions(self, u: np.ndarray) -> np.ndarray:
        """(slots, 3) positions (mm) for displacements ``u`` (n_dof,)."""
        return self.reference + u[self.translation_dofs()]

    def configuration(self, u: np.ndarray, radii: np.ndarray) -> Configuration:
        """The bodies at displacements ``u`` (n_dof,) with rod radii ``radii`` (rod slots,),
        mm, as the contact laws read them."""
        positions = self.positions(u)
        rods, centres = self.split(positions)
        rod_radii, _ = self.split(np.concatenate([radii, np.zeros(len(self.sponges))]))
        return Configuration(positions, rods, rod_radii, centres)

    def split(self, slots_xyz: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Per-rod arrays and the sponge rows of a per-slot array."""
        bounds = list(self.slot0[1:]) + [self.sponge_slot0]
        rods = np.split(slots_xyz[:self.sponge_slot0], bounds[:-1])
        return rods, slots_xyz[self.sponge_slot0:]
