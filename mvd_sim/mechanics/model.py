"""A mechanical model: rods and sponges laid out on one vector of degrees of freedom.

Rod ``k`` owns six DOFs per node (``ux uy uz rx ry rz``); each sponge owns three
(translation). A translational *slot* is a node or a sponge centre; ``slot_dof[slot]`` is its
first DOF. The static stiffness (frames, tethers, the sponges' hold, the slings' bands) is
assembled once. A sling (:class:`~mvd_sim.scene.slings.Sling`) is a static spring on each
node of its vessel under the band, pulling it toward where the band holds it
(:attr:`MechanicalModel.sling_springs`): a diagonal in the stiffness and a load
(:meth:`MechanicalModel.sling_force`), so every solve of the model carries it.

The model is a value: it holds no state of any solve. The contact laws it applies are a field
(:data:`~mvd_sim.mechanics.contacts.DEFAULT_LAWS` unless given); the brainstem's per-slot
tangent planes a solve iterates on are a :class:`~mvd_sim.mechanics.surface.BrainstemSurface`
its caller creates (:meth:`MechanicalModel.new_surface`) and owns.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.mechanics.contacts import DEFAULT_LAWS, Configuration, ContactLaw, NearSegments
from mvd_sim.mechanics.bodies import Rod, tributary_lengths
from mvd_sim.scene.bands import Band
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.slings import Sling
from mvd_sim.mechanics.frame import DOF_PER_NODE, frame_stiffness
from mvd_sim.core.materials import Materials
from mvd_sim.core.recent import Recent
from mvd_sim.mechanics.sections import nerve_section, vessel_section
from mvd_sim.mechanics.surface import BrainstemSurface

__all__ = ["MechanicalModel", "rod_stiffness"]

# per rod (a value: never changed once made), its stiffness for each materials it was asked
# with; an operated model shares the case's rods, so the planner's candidates and the pulse
# sweeps assemble each rod once
_ROD_STIFFNESS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rod_stiffness(rod: Rod, materials: Materials) -> sp.csr_matrix:
    """(6 n, 6 n) stiffness of one rod's frame and tethers (N/mm, N, N mm), ``n`` its nodes;
    computed once per rod and materials."""
    cached = _ROD_STIFFNESS.setdefault(rod, {})
    if materials not in cached:
        tube = rod.tube
        radius = 0.5 * (tube.radius[1:] + tube.radius[:-1])
        section = (nerve_section(radius, materials) if tube.kind in ("CN7", "CN8")
                   else vessel_section(tube.kind, radius, materials))
        frame = frame_stiffness(tube.points, section.ea_n, section.gj_nmm2, section.ei_nmm2)
        tether = np.zeros((rod.n_nodes, DOF_PER_NODE))
        tether[:, :3] = rod.tether_n_per_mm[:, None]
        cached[materials] = (frame + sp.diags(tether.ravel())).tocsr()
    return cached[materials]


def _frames(rods: tuple[Rod, ...], materials: Materials, n_sponges: int) -> sp.csr_matrix:
    """The block diagonal of the rods' stiffnesses (:func:`rod_stiffness`) and the
    sponges' holds, kept for the last :data:`_FRAMES_KEPT` sets of rods, materials and
    number of pads asked (the planner's candidates and a decompression's models share
    one: assembling it cost a model about 2 ms). Read only."""
    def assemble() -> sp.csr_matrix:
        blocks = [rod_stiffness(rod, materials) for rod in rods]
        if n_sponges:
            blocks.append(sp.identity(3 * n_sponges) * materials.sponge_hold_n_per_mm)
        return sp.block_diag(blocks, format="csr")

    return _FRAMES.fetch((rods, materials, n_sponges), assemble)


_FRAMES_KEPT = 8
_FRAMES: Recent[tuple, sp.csr_matrix] = Recent(_FRAMES_KEPT)


@dataclass(frozen=True, eq=False)
class MechanicalModel:
    """Rods, sponges, the brainstem, the materials and the contact laws of a solve, and
    the petrous face and slings of an operated case.

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
    petrous : PetrousFace or None
        The petrous face pads meet (:class:`~mvd_sim.mechanics.contacts.SpongeOnPetrous`);
        None: no face.
    slings : tuple[Sling, ...]
        Slings holding vessels (by rod name) where their bands tie them.
    lesions : tuple[Lesion, ...]
        Rigid lesions the rods meet (:class:`~mvd_sim.mechanics.contacts.RodOnLesion`).
    bands : tuple[Band, ...]
        Arachnoid bands: springs, stress-free as built, from a vessel's node to CN VII's
        (:attr:`band_springs`); a band whose vessel or nerve is not a rod is left out (a
        divided vessel).
    """

    rods: list[Rod]
    sponges: list[Sponge]
    brainstem: Brainstem
    materials: Materials
    laws: tuple[ContactLaw, ...] = DEFAULT_LAWS
    petrous: PetrousFace | None = None
    slings: tuple[Sling, ...] = ()
    lesions: tuple[Lesion, ...] = ()
    bands: tuple[Band, ...] = ()

    @cached_property
    def slot0(self) -> np.ndarray:
        """First slot of each rod."""
        return np.concatenate([[0], np.cumsum([r.n_nodes for r in self.rods])[:-1]]).astype(
            np.intp)

    @cached_property
    def sponge_slot0(self) -> int:
        """First slot of the sponges (the rods' node count)."""
        return int(sum(r.n_nodes for r in self.rods))

    @property
    def n_slots(self) -> int:
        """Translational slots: every rod node and sponge centre."""
        return self.sponge_slot0 + len(self.sponges)

    @cached_property
    def brainstem_slots(self) -> np.ndarray:
        """(k,) slots of the rod nodes that may touch the brainstem
        (``Rod.brainstem_contact``), in order."""
        return np.concatenate([first + np.flatnonzero(rod.brainstem_contact)
                               for rod, first in zip(self.rods, self.slot0)]
                              + [np.empty(0, np.intp)]).astype(np.intp)

    @cached_property
    def junction_skip(self) -> np.ndarray:
        """(rods, rods, rod slots) bool: ``[a, b, k]`` is True where node ``k`` (of rod a)
        never touches rod b (``Rod.near_junction``: a branch near its trunk)."""
        skip = np.zeros((len(self.rods), len(self.rods), self.sponge_slot0), dtype=bool)
        index = {rod.name: k for k, rod in enumerate(self.rods)}
        for a, (rod, first) in enumerate(zip(self.rods, self.slot0)):
            for name, near in rod.near_junction.items():
                if name in index:
                    skip[a, index[name], first:first + rod.n_nodes] = near
        return skip

    @cached_property
    def slot_dof(self) -> np.ndarray:
        """(slots,) first DOF of each slot."""
        rod_dofs = DOF_PER_NODE * np.arange(self.sponge_slot0)
        start = DOF_PER_NODE * self.sponge_slot0
        return np.concatenate([rod_dofs, start + 3 * np.arange(len(self.sponges))]).astype(
            np.intp)

    @cached_property
    def n_dof(self) -> int:
        return DOF_PER_NODE * self.sponge_slot0 + 3 * len(self.sponges)

    @cached_property
    def tributaries(self) -> list[np.ndarray]:
        return [tributary_lengths(r.tube.points) for r in self.rods]

    @cached_property
    def node_count(self) -> np.ndarray:
        """(rods,) int: each rod's node count."""
        return np.array([r.n_nodes for r in self.rods], np.intp)

    @cached_property
    def near_segments(self) -> NearSegments:
        """The rod-on-rod law's list of near node-segment pairs, kept across this model's
        detections (a cache: :class:`~mvd_sim.mechanics.contacts.NearSegments`)."""
        return NearSegments()

    @cached_property
    def node_rod(self) -> np.ndarray:
        """(rod slots,) int: the rod of each rod node."""
        return np.repeat(np.arange(len(self.rods)), self.node_count).astype(np.intp)

    @cached_property
    def node_layers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each rod node's compliant layer, rod after rod (the contact laws read them at
        every detection): its dent stiffness (MPa), its capacity (mm) and its tributary
        length (mm), each (rod slots,)."""
        return (np.concatenate([r.dent_mpa for r in self.rods]),
                np.concatenate([r.capacity_mm for r in self.rods]),
                np.concatenate(self.tributaries))

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

    @cached_property
    def lesion_anchors(self) -> tuple[tuple[int, int] | None, ...]:
        """Per lesion: the (rod, node) carrying it, an aneurysm's parent vessel's node nearest
        its dome's centre (at its neck); ``None`` for a mass, a nidus, or a parent that is
        not a rod (a divided vessel)."""
        names = [rod.name for rod in self.rods]
        out: list[tuple[int, int] | None] = []
        for lesion in self.lesions:
            if lesion.vessel not in names:
                out.append(None)
                continue
            k = names.index(lesion.vessel)
            node = int(np.argmin(np.linalg.norm(self.rods[k].tube.points - lesion.body.centre,
                                                axis=1)))
            out.append((k, node))
        return tuple(out)

    def carried_lesions(self, configuration: Configuration) -> tuple[Lesion, ...]:
        """The lesions where ``configuration`` puts them: a lesion with an anchor
        (:attr:`lesion_anchors`) moves as its node does, and out along the line from the node
        to its centre as far as the vessel's radius has grown there (a dome on a pulsing
        wall); the others stay."""
        out = []
        for lesion, anchor in zip(self.lesions, self.lesion_anchors):
            if anchor is None:
                out.append(lesion)
                continue
            k, node = anchor
            tube = self.rods[k].tube
            outward = lesion.body.centre - tube.points[node]
            outward = outward / max(float(np.linalg.norm(outward)), 1e-12)
            shift = (configuration.rods[k][node] - tube.points[node]
                     + (configuration.radii[k][node] - tube.radius[node]) * outward)
            out.append(lesion.moved(shift))
        return tuple(out)

    def translation_dofs(self, rod: int | None = None) -> np.ndarray:
        """(slots, 3) DOF indices of every slot's translation, or (n, 3) of rod ``rod``'s
        nodes."""
        dofs = self.slot_dof[:, None] + np.arange(3)[None, :]
        if rod is None:
            return dofs
        return dofs[self.slot0[rod]:self.slot0[rod] + self.rods[rod].n_nodes]

    @cached_property
    def sling_springs(self) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """Per sling: the (m, 3) translational DOFs of its vessel's nodes under the band, the
        stiffness of each node's spring (N/mm: the band's, shared equally) and the (3,)
        translation (mm) it holds them at.

        Raises
        ------
        ValueError
            If a sling names no rod of the model.
        """
        names = [rod.name for rod in self.rods]
        out = []
        for sling in self.slings:
            if sling.vessel not in names:
                raise ValueError(f"sling {sling.name}: no rod {sling.vessel!r} in the model")
            k = names.index(sling.vessel)
            nodes = sling.nodes(self.rods[k].tube)
            out.append((self.translation_dofs(k)[nodes], sling.stiffness_n_per_mm / len(nodes),
                        sling.translation))
        return out

    def sling_force(self, u: np.ndarray) -> np.ndarray:
        """(n_dof,) forces (N) of the slings' springs at displacements ``u`` (n_dof,): each
        pulls its node toward where its band holds it, ``k (translation - u)``; zero
        without slings."""
        force = np.zeros(self.n_dof)
        for dofs, k, translation in self.sling_springs:
            force[dofs] += k * (translation[None, :] - u[dofs])
        return force

    @cached_property
    def band_springs(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Per band whose vessel and CN VII are rods: the (3,) translational DOFs of the
        vessel's node and of the nerve's node it ties, and its stiffness (N/mm)."""
        names = [rod.name for rod in self.rods]
        out = []
        for band in self.bands:
            if band.vessel not in names or "CN7" not in names:
                continue
            kv, kn = names.index(band.vessel), names.index("CN7")
            out.append((self.translation_dofs(kv)[band.vessel_node(self.rods[kv].tube)],
                        self.translation_dofs(kn)[band.nerve_node(self.rods[kn].tube)],
                        band.stiffness_n_per_mm))
        return out

    @cached_property
    def stiffness(self) -> sp.csr_matrix:
        """Static stiffness: rod frames, tethers, sponge holds and slings (N/mm, N, N mm)."""
        stiffness = _frames(tuple(self.rods), self.materials, len(self.sponges))
        if self.slings:
            diagonal = np.zeros(self.n_dof)
            for dofs, k, _ in self.sling_springs:
                diagonal[dofs] += k
            stiffness = (stiffness + sp.diags(diagonal)).tocsr()
        if self.band_springs:   # k (u_vessel - u_nerve) between the two nodes, per axis
            rows, cols, values = [], [], []
            for a, b, k in self.band_springs:
                for i, j, v in ((a, a, k), (b, b, k), (a, b, -k), (b, a, -k)):
                    rows.append(i)
                    cols.append(j)
                    values.append(np.full(3, v))
            coupling = sp.coo_matrix((np.concatenate(values),
                                      (np.concatenate(rows), np.concatenate(cols))),
                                     shape=stiffness.shape)
            stiffness = (stiffness + coupling).tocsr()
        return stiffness

    def displacements_from(self, other: MechanicalModel, u: np.ndarray) -> np.ndarray:
        """(n_dof,) displacements of this model taking each rod's and each sponge's from the
        rod or sponge of the same name in ``other`` at its displacements ``u`` (other's
        n_dof,); those ``other`` lacks at rest. (A model with pads, slings or fewer vessels
        started from the solved case without them, or with some of them.)"""
        out = np.zeros(self.n_dof)
        first = {rod.name: DOF_PER_NODE * int(k0) for rod, k0 in zip(other.rods, other.slot0)}
        for rod, k0 in zip(self.rods, self.slot0):
            if rod.name in first:
                here, there = DOF_PER_NODE * int(k0), first[rod.name]
                out[here:here + DOF_PER_NODE * rod.n_nodes] = \
                    u[there:there + DOF_PER_NODE * rod.n_nodes]
        base, other_base = DOF_PER_NODE * self.sponge_slot0, DOF_PER_NODE * other.sponge_slot0
        first = {sponge.name: other_base + 3 * k for k, sponge in enumerate(other.sponges)}
        for k, sponge in enumerate(self.sponges):
            if sponge.name in first:
                out[base + 3 * k:base + 3 * k + 3] = u[first[sponge.name]:first[sponge.name] + 3]
        return out

    def new_surface(self) -> BrainstemSurface:
        """A fresh state of the brainstem's per-slot tangent planes (none queried yet) for
        solves of this model; the caller owns it and may pass it to successive solves."""
        return BrainstemSurface(self.brainstem, self.n_slots)

    @cached_property
    def _slot_dofs(self) -> np.ndarray:
        """(slots, 3) :meth:`translation_dofs` of every slot, kept (read at every
        detection; :meth:`translation_dofs` hands out a new array)."""
        return self.translation_dofs()

    def positions(self, u: np.ndarray) -> np.ndarray:
        """(slots, 3) positions (mm) for displacements ``u`` (n_dof,)."""
        return self.reference + u[self._slot_dofs]

    def configuration(self, u: np.ndarray, radii: np.ndarray) -> Configuration:
        """The bodies at displacements ``u`` (n_dof,) with rod radii ``radii`` (rod slots,),
        mm, as the contact laws read them."""
        positions = self.positions(u)
        rods, centres = self.split(positions)
        radius = np.ascontiguousarray(radii, dtype=float)
        rod_radii, _ = self.split(radius)
        return Configuration(positions, rods, rod_radii, centres, radius)

    @cached_property
    def _rod_bounds(self) -> list[tuple[int, int]]:
        """(first, end) slot of each piece :meth:`split` cuts (as ``np.split`` at
        ``slot0[1:]`` would: one piece with no rods)."""
        starts = [0] + [int(k) for k in self.slot0[1:]]
        return list(zip(starts, starts[1:] + [self.sponge_slot0]))

    def split(self, slots_xyz: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Per-rod arrays (views) and the sponge rows of a per-slot array."""
        return ([slots_xyz[a:b] for a, b in self._rod_bounds],
                slots_xyz[self.sponge_slot0:])
