"""Contact laws between rods, sponges and the brainstem (penalty contacts, linearised).

Every contact joins a point ``a`` and a point ``b`` along the unit normal ``n`` (from a to
b); each point is a weighted sum of at most three translational node slots (a rod node, the
two ends of a rod segment, or a sponge's centre). The gap is the surface gap (negative on
overlap). The compressive force is piecewise linear in the gap: ``k_soft * overlap`` while
the compliant layers (nerve dent, vessel flattening, felt) take it, plus ``k_hard`` times the
overlap beyond their ``capacity``. Two compliant layers meeting act in series
(``k1 k2 / (k1 + k2)``) and take both their capacities together before the contact acts as
rigid (in series the softer layer fills first; letting each take its share of the overlap
keeps the force law's kinks few, which the active-set iteration needs to converge on crowded
contacts). The compiled laws' kernels are in :mod:`mvd_sim.mechanics.contact_kernels`.

Each pair of body kinds has its own law, a small operator (:class:`ContactLaw`) with one
method that reads a model, an explicit :class:`Configuration` and the brainstem's tangent
planes (:class:`~mvd_sim.mechanics.surface.BrainstemSurface`) and returns a list of
:class:`ContactSet`; a model lists the laws it applies (``MechanicalModel.laws``, default
:data:`DEFAULT_LAWS`) and :func:`detect` gathers theirs:

- :class:`RodOnRod`: node-to-segment in both directions at half weight each (a symmetric,
  Winkler-type distribution along the tubes);
- :class:`RodOnBrainstem`: rod nodes against the brainstem's tangent planes (rigid);
- :class:`SpongeOnRod`: rod nodes against a pad's flat faces;
- :class:`SpongeOnBrainstem`: a pad's centre (and a cylinder's ends) against the brainstem;
- :class:`SpongeOnSponge`: pad axis against pad axis;
- :class:`SpongeOnPetrous`: a pad's centre (and a cylinder's ends) against the petrous face
  (``MechanicalModel.petrous``), which no rod meets (the AICA's meatal loop enters the canal);
- :class:`RodOnLesion`: rod nodes against a rigid lesion (a mass, an aneurysm's dome, an
  AVM's nidus: ``MechanicalModel.lesions``), exact closest points on its ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from mvd_sim.core.geometry.closest import segment_segment
from mvd_sim.mechanics.contact_kernels import (brainstem_rows, near_segments, pad_face_rows,
                                               rod_contacts, rods_to_search)
from mvd_sim.mechanics.surface import BrainstemSurface

if TYPE_CHECKING:  # the model holds its laws, and the laws read the model
    from mvd_sim.mechanics.model import MechanicalModel
    from mvd_sim.scene.pads import Sponge

__all__ = ["ContactSet", "Configuration", "ContactLaw", "RodOnRod", "NearSegments",
           "RodOnBrainstem", "SpongeOnRod", "SpongeOnBrainstem", "SpongeOnSponge",
           "SpongeOnPetrous", "RodOnLesion", "DEFAULT_LAWS", "BRAINSTEM", "PETROUS", "LESION0",
           "SOFTMIN_MM", "detect"]

BRAINSTEM = -1  # body index of the (fixed) brainstem
PETROUS = -2  # body index of the (fixed) petrous face
LESION0 = -3  # body index of the first (fixed) lesion; lesion k is LESION0 - k
SOFTMIN_MM = 0.02  # gap difference over which a node's candidate segments share its contact


@dataclass(frozen=True, eq=False)
class ContactSet:
    """``c`` contacts.

    Attributes
    ----------
    slots : (c, 3) int
        Translational slots of the points (``-1``: unused or the fixed brainstem).
    weights : (c, 3) float
        Point b minus point a as a weighted sum of the slots' positions.
    normal : (c, 3) float
        Unit normal from a to b.
    gap : (c,) float, mm
    k_soft, k_hard : (c,) float, N/mm
    capacity : (c,) float, mm
    body_a, body_b : (c,) int
        Bodies (rods first, then sponges; :data:`BRAINSTEM` the brainstem, :data:`PETROUS`
        the petrous face).
    node_b : (c,) int
        Node of rod ``body_b`` at point b (``-1`` for a sponge).
    binormal : (c, 3) float
        For a node against a rod, the unit direction square to the rod and the normal, in
        which the gap curves (``d^2 g = 1 / distance`` per mm^2 of sliding around the rod);
        zero for flat contacts.
    curvature : (c,) float, 1/mm
        That second derivative (``1 / centerline distance``); zero for flat contacts.
    """

    slots: np.ndarray
    weights: np.ndarray
    normal: np.ndarray
    gap: np.ndarray
    k_soft: np.ndarray
    k_hard: np.ndarray
    capacity: np.ndarray
    body_a: np.ndarray
    body_b: np.ndarray
    node_b: np.ndarray
    binormal: np.ndarray
    curvature: np.ndarray

    def __len__(self) -> int:
        return len(self.gap)

    def force_n(self, gap: np.ndarray | None = None) -> np.ndarray:
        """(c,) compressive force (N) of each contact at its gap (or at ``gap``, mm)."""
        g = self.gap if gap is None else gap
        overlap = np.maximum(-g, 0.0)
        return self.k_soft * overlap + self.k_hard * np.maximum(overlap - self.capacity, 0.0)

    @staticmethod
    def concat(parts: list[ContactSet]) -> ContactSet:
        """The contacts of ``parts`` in order (none if ``parts`` is empty)."""
        if not parts:
            return _make(0, np.empty((0, 3)), np.empty((0, 3)), np.empty((0, 3)), [], [], [],
                         [], [], [], [], np.empty((0, 3)), [])
        if len(parts) == 1:
            return parts[0]   # (frozen; nothing writes to its arrays)
        return ContactSet(*[np.concatenate([getattr(p, name) for p in parts])
                            for name in _FIELDS])


_FIELDS = tuple(ContactSet.__dataclass_fields__)   # in the order of its constructor


@dataclass(frozen=True, eq=False)
class Configuration:
    """Where a model's bodies are: the state every contact law reads.

    Made by ``MechanicalModel.configuration(u, radii)``; the arrays of one rod are views of
    ``positions``.

    Attributes
    ----------
    positions : (slots, 3) float, mm
        Every translational slot: the rods' nodes in order, then the sponges' centres.
    rods : list of (n_k, 3) float, mm
        The nodes of rod ``k``.
    radii : list of (n_k,) float, mm
        The radii of rod ``k`` (a pulse phase scales the arteries').
    centres : (sponges, 3) float, mm
        The sponges' centres.
    radius : (rod slots,) float, mm
        Every rod node's radius, rod after rod (``radii`` are views of it).
    """

    positions: np.ndarray
    rods: list[np.ndarray]
    radii: list[np.ndarray]
    centres: np.ndarray
    radius: np.ndarray


class ContactLaw(Protocol):
    """A kind of contact: finds the contacts of one pair of body kinds."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        """Contacts with a gap under ``margin_mm`` (mm) in ``configuration``.

        ``surface`` is the brainstem's per-slot tangent planes (read, and filled for slots
        never queried, never refreshed: refreshing is the solver's decision).
        """
        ...


def _make(n: int, slots, weights, normal, gap, k_soft, k_hard, capacity, body_a, body_b,
          node_b, binormal=None, curvature=0.0) -> ContactSet:
    """A :class:`ContactSet` of ``n`` contacts, scalars broadcast to ``(n,)``."""
    def full(v, dtype=float):
        v = np.asarray(v, dtype=dtype)
        if v.shape == (n,):
            return v.copy()
        return np.full(n, v) if v.ndim == 0 else np.broadcast_to(v, (n,)).copy()

    binormal = np.zeros((n, 3)) if binormal is None else binormal
    return ContactSet(np.asarray(slots, np.intp).reshape(n, 3),
                      np.asarray(weights, float).reshape(n, 3), normal.reshape(n, 3),
                      full(gap), full(k_soft), full(k_hard), full(capacity),
                      full(body_a, np.intp), full(body_b, np.intp), full(node_b, np.intp),
                      binormal.reshape(n, 3), full(curvature))


@dataclass(frozen=True)
class RodOnRod:
    """Rod against rod: every node of one rod against the nearest segments of the other,
    both ways, each at half its tributary length (a symmetric, Winkler-type distribution).
    The compliant layers are both rods' (dent or flattening) in series; a branch never
    touches its trunk within their junction (``Rod.near_junction``).

    Attributes
    ----------
    softmin_mm : float, mm
        Where a rod wraps around a node its nearest segment can jump; the node shares its
        contact among the segments whose gaps are within about this of the nearest
        (soft-min weights), so the force is continuous through the jump. Default
        :data:`SOFTMIN_MM`.
    """

    softmin_mm: float = SOFTMIN_MM

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        x = configuration.positions[:model.sponge_slot0]
        radius = configuration.radius
        first, count = model.slot0, model.node_count
        groups = model.near_segments.groups(model, x, radius, margin_mm, self.softmin_mm)
        found = ContactSet(*rod_contacts(x, radius, first, count, *groups, margin_mm,
                                         self.softmin_mm, *model.node_layers,
                                         model.materials.hard_mpa))
        return [found] if len(found) else []


class NearSegments:
    """A model's list of node-segment pairs near enough to be rod-on-rod candidates
    (:func:`~mvd_sim.mechanics.contact_kernels.near_segments`), kept across detections:
    a cache, which changes no number (``MechanicalModel.near_segments`` holds one per
    model).

    A list is searched with :attr:`SLACK_MM` beyond the candidates' reach, each rod at its
    own reference positions, and holds every candidate of a pair of rods while their
    nodes have moved, since, by less than the slack together (less the growth of a rod's
    longest half-segment), with the same radii and margin. Where a pair's bound fails, the
    pairs of the rods that moved half the slack or more are searched again at their new
    positions, the other pairs' groups kept
    (:func:`~mvd_sim.mechanics.contact_kernels.rods_to_search`): two rods that have moved
    little (the nerves a vessel barely moves) are not searched against each other again
    while a vessel swings past them. The last
    :attr:`KEPT` lists are kept; the latest whose bound holds serves, else the one that
    needs the fewest nodes searched again is the old list of the new one.

    Attributes
    ----------
    searches : int
        How many lists were searched, wholly or in part (a detection that reused one did
        not add to it).
    nodes_searched : int
        How many rod nodes those searches took afresh.
    """

    SLACK_MM = 0.3
    #: How many lists are kept (the latest first): a line search's shorter trial lies
    #: between the state and the full step, often within the slack of the one before.
    KEPT = 4

    def __init__(self) -> None:
        self.searches = 0
        self.nodes_searched = 0
        # (reference positions, radius, (margin, width), half-segments, groups), latest first
        self._found: list[tuple] = []

    def groups(self, model: MechanicalModel, x: np.ndarray, radius: np.ndarray,
               margin_mm: float, width_mm: float) -> tuple[np.ndarray, ...]:
        """The list (group rods, nodes, starts, segments) holding every candidate that
        matters to the contacts of rod nodes ``x`` (n, 3) of radii ``radius`` (n,), mm,
        within ``margin_mm`` and soft-min width ``width_mm``."""
        first, count = model.slot0, model.node_count
        slack = self.SLACK_MM - 1e-9   # (1e-9 mm: far above any rounding)
        key = (margin_mm, width_mm)
        base, fresh, fewest = None, np.ones(len(first), bool), len(x)
        for found in self._found:
            x0, radius0, key0, half0, groups = found
            if key0 != key or not np.array_equal(radius0, radius):
                continue
            stale, nodes = rods_to_search(x, x0, first, count, half0, slack)
            if nodes == 0:
                return groups
            if nodes < fewest:
                base, fresh, fewest = found, stale, nodes
        x0, old = (base[0], base[4]) if base is not None else (x, _NO_GROUPS)
        *groups, half, reference = near_segments(
            x, x0, fresh, radius, first, count, model.junction_skip, margin_mm, width_mm,
            self.SLACK_MM, *old)
        self._found = [(reference, radius.copy(), key, half, tuple(groups))] \
            + self._found[:self.KEPT - 1]
        self.searches += 1
        self.nodes_searched += fewest
        return tuple(groups)


#: An empty list of :func:`~mvd_sim.mechanics.contact_kernels.near_segments` (group rods,
#: nodes, starts, segments), the old list of a first search.
_NO_GROUPS = (np.empty(0, np.intp),) * 3 + (np.zeros(1, np.intp), np.empty(0, np.intp))


@dataclass(frozen=True)
class RodOnBrainstem:
    """Rod nodes that may touch the brainstem (``Rod.brainstem_contact``) against its tangent
    planes: rigid (``k_soft = k_hard``, per tributary length), with no compliant layer."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        slots = model.brainstem_slots
        if len(slots) == 0:
            return []
        x = configuration.positions
        surface.ensure(slots, x, configuration.radius + margin_mm)
        found = ContactSet(*brainstem_rows(
            x, configuration.radius, slots, surface.closest, surface.normal,
            model.node_layers[2], model.node_rod, model.slot0, model.materials.hard_mpa,
            margin_mm, BRAINSTEM))
        return [found] if len(found) else []


@dataclass(frozen=True)
class SpongeOnRod:
    """Rod nodes against a pad's flat faces, within its footprint (see ``Sponge``): the vessel
    it holds off on its ``+facing`` face, the rod it is seated against (``Sponge.against``:
    its nerve, or a vessel's trunk) on the other, any other rod on the face it is nearer
    to; felt and the rod's layer in series."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        materials, out = model.materials, []
        if not model.sponges:
            return out
        x = configuration.positions[:model.sponge_slot0]
        index = {rod.name: k for k, rod in enumerate(model.rods)}
        dent, capacity, trib = model.node_layers
        for k, sponge in enumerate(model.sponges):
            centre = configuration.centres[k]
            p0, p1 = sponge.ends(centre)
            found = ContactSet(*pad_face_rows(
                x, configuration.radius, (x - centre) @ sponge.facing, tuple(sponge.facing),
                tuple(p0), tuple(p1), sponge.radius_mm, index.get(sponge.holds_off, -1),
                index.get(sponge.against, -1), model.node_rod, model.slot0, dent, capacity,
                trib, materials.sponge_youngs_mpa, materials.hard_mpa,
                materials.sponge_compressibility * sponge.radius_mm, model.sponge_slot0 + k,
                len(model.rods) + k, margin_mm))
            if len(found):
                out.append(found)
        return out


def _pad_samples(sponge: Sponge, centre: np.ndarray) -> np.ndarray:
    """(k, 3) points standing for a pad against a rigid surface, each for an equal share of
    its length: its centre, and a cylinder's axis ends."""
    p0, p1 = sponge.ends(centre)
    return np.stack([p0, centre, p1]) if sponge.shape == "cylinder" else centre[None]


def _pad_on_surface(model: MechanicalModel, k: int, sponge: Sponge, distance: np.ndarray,
                    normal: np.ndarray, body: int, margin_mm: float) -> list[ContactSet]:
    """Contacts of pad ``k``'s samples at signed ``distance`` (k,) from a rigid surface with
    outward ``normal`` (k, 3) (the samples of :func:`_pad_samples`): the felt compresses."""
    materials = model.materials
    gap = distance - sponge.radius_mm
    near = np.flatnonzero(gap < margin_mm)
    if len(near) == 0:
        return []
    n = len(near)
    share = sponge.length_mm / len(distance)
    slots = np.tile([-1, -1, model.sponge_slot0 + k], (n, 1))
    return [_make(n, slots, np.tile([0.0, 0.0, 1.0], (n, 1)), normal[near], gap[near],
                  share * materials.sponge_youngs_mpa, share * materials.hard_mpa,
                  materials.sponge_compressibility * sponge.radius_mm,
                  body, len(model.rods) + k, -1)]


@dataclass(frozen=True)
class SpongeOnBrainstem:
    """A pad against the brainstem, sampled at its centre (and a cylinder's axis ends), each
    sample standing for an equal share of its length; the felt compresses."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        out = []
        for k, sponge in enumerate(model.sponges):
            samples = _pad_samples(sponge, configuration.centres[k])
            q = model.brainstem.query(samples, max_distance_mm=margin_mm + sponge.radius_mm)
            out += _pad_on_surface(model, k, sponge, q.signed_distance, q.normal, BRAINSTEM,
                                   margin_mm)
        return out


@dataclass(frozen=True)
class SpongeOnPetrous:
    """A pad against the petrous face (``MechanicalModel.petrous``; none without one), sampled
    as by :class:`SpongeOnBrainstem`; the felt compresses against the bone. Only pads meet
    the face: it is no obstacle to rods yet (the AICA's meatal loop enters the canal)."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        face, out = model.petrous, []
        if face is None:
            return out
        for k, sponge in enumerate(model.sponges):
            samples = _pad_samples(sponge, configuration.centres[k])
            normal = np.tile(face.normal, (len(samples), 1))
            out += _pad_on_surface(model, k, sponge, face.signed_distance(samples), normal,
                                   PETROUS, margin_mm)
        return out


@dataclass(frozen=True)
class SpongeOnSponge:
    """Pad against pad at the closest points of their axes; both felts compress."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        sponges, centres, materials = model.sponges, configuration.centres, model.materials
        n_rods, out = len(model.rods), []
        for a in range(len(sponges)):
            for b in range(a + 1, len(sponges)):
                sa, sb = sponges[a], sponges[b]
                (a0, a1), (b0, b1) = sa.ends(centres[a]), sb.ends(centres[b])
                s, t, dist = segment_segment(a0[None], a1[None], b0[None], b1[None])
                gap = dist - sa.radius_mm - sb.radius_mm
                if gap[0] >= margin_mm:
                    continue
                pa, pb = a0 + s[0] * (a1 - a0), b0 + t[0] * (b1 - b0)
                normal = (pb - pa) / max(float(dist[0]), 1e-12)
                size = 2.0 * min(sa.radius_mm, sb.radius_mm)
                out.append(_make(
                    1, [model.sponge_slot0 + a, -1, model.sponge_slot0 + b], [-1.0, 0.0, 1.0],
                    normal[None], gap, size * 0.5 * materials.sponge_youngs_mpa,
                    size * materials.hard_mpa,
                    materials.sponge_compressibility * (sa.radius_mm + sb.radius_mm),
                    n_rods + a, n_rods + b, -1))
        return out


@dataclass(frozen=True)
class RodOnLesion:
    """Rod nodes against a rigid lesion (``MechanicalModel.lesions``: a mass, an aneurysm's
    dome, an AVM's nidus), along the outward normal at each node's exact closest point on
    the ellipsoid; the rod's compliant layer takes the overlap first, per tributary length.
    A mass or a nidus is fixed. An aneurysm's dome is carried by its parent vessel's node at
    its neck (``MechanicalModel.carried_lesions``): it moves and pulses with the vessel, its
    contacts join that node (point a) to the rod node (point b), so the vessel takes their
    reaction, and its own vessel never meets it."""

    def detect(self, model: MechanicalModel, configuration: Configuration,
               surface: BrainstemSurface, margin_mm: float) -> list[ContactSet]:
        out = []
        carried = model.carried_lesions(configuration)
        for k, (lesion, anchor) in enumerate(zip(carried, model.lesion_anchors)):
            reach = float(lesion.body.semi_axes_mm.max()) + margin_mm
            for ia, rod in enumerate(model.rods):
                if anchor is not None and anchor[0] == ia:
                    continue   # the dome is part of its vessel
                x, r = configuration.rods[ia], configuration.radii[ia]
                # a clamped node is held by its anchor (the brainstem, the porus, a parent
                # trunk): a lesion does not move it
                near = np.flatnonzero((np.linalg.norm(x - lesion.body.centre, axis=1)
                                       < reach + r) & ~rod.clamped)
                if len(near) == 0:
                    continue
                _, normal, distance = lesion.closest(x[near])
                gap = distance - r[near]
                keep = gap < margin_mm
                idx, n = near[keep], int(np.count_nonzero(keep))
                if n == 0:
                    continue
                length = model.tributaries[ia][idx]
                carrier = -1 if anchor is None else model.slot0[anchor[0]] + anchor[1]
                slots = np.stack([np.full(n, carrier, np.intp), -np.ones(n, np.intp),
                                  model.slot0[ia] + idx], axis=1)
                weights = np.tile([0.0 if anchor is None else -1.0, 0.0, 1.0], (n, 1))
                out.append(_make(n, slots, weights, normal[keep],
                                 gap[keep], length * rod.dent_mpa[idx],
                                 length * model.materials.hard_mpa, rod.capacity_mm[idx],
                                 LESION0 - k, ia, idx))
        return out


#: Every law, in the order their contacts are listed.
DEFAULT_LAWS: tuple[ContactLaw, ...] = (RodOnRod(), RodOnBrainstem(), SpongeOnRod(),
                                        SpongeOnBrainstem(), SpongeOnSponge(),
                                        SpongeOnPetrous(), RodOnLesion())


def detect(model: MechanicalModel, configuration: Configuration, surface: BrainstemSurface,
           margin_mm: float) -> ContactSet:
    """The contacts of every law of ``model`` (``model.laws``, in order) with a gap under
    ``margin_mm`` (mm) in ``configuration``; ``surface`` as for :meth:`ContactLaw.detect`."""
    return ContactSet.concat([part for law in model.laws
                              for part in law.detect(model, configuration, surface, margin_mm)])
