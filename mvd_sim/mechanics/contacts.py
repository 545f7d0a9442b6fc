"""Contact detection between rods, sponges and the brainstem (penalty contacts, linearised).

Every contact joins a point ``a`` and a point ``b`` along the unit normal ``n`` (from a to
b); each point is a weighted sum of at most three translational node slots (a rod node, the
two ends of a rod segment, or a sponge's centre). The gap is the surface gap (negative on
overlap). The compressive force is piecewise linear in the gap: ``k_soft * overlap`` while
the compliant layers (nerve dent, vessel flattening, felt) take it, plus ``k_hard`` times the
overlap beyond their ``capacity``. Rod-rod contacts are node-to-segment in both directions at
half weight each (a symmetric, Winkler-type distribution along the tubes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from mvd_sim.core.geometry.closest import point_segment, segment_segment
from mvd_sim.mechanics.bodies import Rod
from mvd_sim.mechanics.surface import BrainstemSurface
from mvd_sim.scene.pads import Sponge
from mvd_sim.core.materials import Materials

__all__ = ["ContactSet", "BRAINSTEM", "detect"]

BRAINSTEM = -1  # body index of the (fixed) brainstem


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
        Bodies (rods first, then sponges; ``-1`` the brainstem).
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
        """(c,) compressive force (N) of each contact at its gap (or at ``gap``)."""
        g = self.gap if gap is None else gap
        overlap = np.maximum(-g, 0.0)
        return self.k_soft * overlap + self.k_hard * np.maximum(overlap - self.capacity, 0.0)

    @staticmethod
    def concat(parts: list[ContactSet]) -> ContactSet:
        names = ContactSet.__dataclass_fields__
        return ContactSet(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in names})


def _series(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
    return k1 * k2 / (k1 + k2)


def _pair_capacity(c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
    """Overlap two compliant layers take before the contact acts as rigid: both layers'
    capacities together. (In series the softer layer fills first; letting each take its
    share of the overlap keeps the force law's kinks few, which the active-set iteration
    needs to converge on crowded contacts.)"""
    return c1 + c2


def _vertex_tangents(points: np.ndarray) -> np.ndarray:
    """Unit tangents at a polyline's vertices (central differences, one-sided at the ends)."""
    tangent = np.gradient(points, axis=0)
    return tangent / np.linalg.norm(tangent, axis=1, keepdims=True)


SOFTMIN_MM = 0.02  # gap difference over which a node's candidate segments share its contact


def _softmin_weights(keys: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Per-key normalised weights ``exp(-(gap - min gap) / SOFTMIN_MM)``, zero (and not
    normalised in) beyond ``8 SOFTMIN_MM`` above the key's minimum."""
    order = np.argsort(keys, kind="stable")
    _, start = np.unique(keys[order], return_index=True)
    lowest = np.minimum.reduceat(gap[order], start)
    counts = np.diff(np.append(start, len(order)))
    excess = gap[order] - np.repeat(lowest, counts)
    w = np.where(excess < 8 * SOFTMIN_MM, np.exp(-excess / SOFTMIN_MM), 0.0)
    total = np.add.reduceat(w, start)
    out = np.empty_like(gap)
    out[order] = w / np.repeat(total, counts)
    return out


def _make(n: int, slots, weights, normal, gap, k_soft, k_hard, capacity, body_a, body_b,
          node_b, binormal=None, curvature=0.0) -> ContactSet:
    def full(v, dtype=float):
        return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

    binormal = np.zeros((n, 3)) if binormal is None else binormal
    return ContactSet(np.asarray(slots, np.intp).reshape(n, 3),
                      np.asarray(weights, float).reshape(n, 3), normal.reshape(n, 3),
                      full(gap), full(k_soft), full(k_hard), full(capacity),
                      full(body_a, np.intp), full(body_b, np.intp), full(node_b, np.intp),
                      binormal.reshape(n, 3), full(curvature))


def _rod_rod(rods, positions, radii, slot0, tribs, margin, materials) -> list[ContactSet]:
    out = []
    boxes = [(x.min(axis=0) - r.max(), x.max(axis=0) + r.max()) for x, r in zip(positions, radii)]
    trees = [cKDTree(0.5 * (x[1:] + x[:-1])) for x in positions]
    node_trees = [cKDTree(x) for x in positions]
    halves = [0.5 * np.linalg.norm(np.diff(x, axis=0), axis=1).max() for x in positions]
    tangents = [_vertex_tangents(x) for x in positions]
    for ia, rod_a in enumerate(rods):
        xa, ra = positions[ia], radii[ia]
        for ib, rod_b in enumerate(rods):
            if ia == ib or np.any(boxes[ia][0] - margin > boxes[ib][1]) or \
                    np.any(boxes[ib][0] - margin > boxes[ia][1]):
                continue
            xb, rb = positions[ib], radii[ib]
            reach = margin + ra.max() + rb.max() + halves[ib]
            pairs = node_trees[ia].sparse_distance_matrix(trees[ib], reach,
                                                          output_type="ndarray")
            if len(pairs) == 0:
                continue
            i, j = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp)
            mask = np.ones(len(i), dtype=bool)
            if rod_b.name in rod_a.near_junction:
                mask &= ~rod_a.near_junction[rod_b.name][i]
            if rod_a.name in rod_b.near_junction:
                near = rod_b.near_junction[rod_a.name]
                mask &= ~(near[j] | near[j + 1])
            i, j = i[mask], j[mask]
            if len(i) == 0:
                continue
            u, dist, normal = point_segment(xa[i], xb[j], xb[j + 1])
            r_seg = (1 - u) * rb[j] + u * rb[j + 1]
            gap = dist - ra[i] - r_seg
            # each node takes the closest segments of the other rod with soft-min weights:
            # where a rod wraps around a node its nearest point can jump, and weighting the
            # near-tied candidates keeps the contact force continuous through the jump
            best = _softmin_weights(i, gap)
            keep = np.flatnonzero((best > 0) & (gap < margin))
            if len(keep) == 0:
                continue
            i, j, u, gap, normal, share = i[keep], j[keep], u[keep], gap[keep], normal[keep], \
                best[keep]
            # sliding around the segment: its direction interpolated between the vertex
            # tangents, so the curvature term is continuous from one segment to the next
            tangent = tangents[ib]
            axis = (1 - u)[:, None] * tangent[j] + u[:, None] * tangent[j + 1]
            binormal = np.cross(axis, normal)
            binormal /= np.maximum(np.linalg.norm(binormal, axis=1), 1e-12)[:, None]
            curvature = 1.0 / np.maximum(gap + ra[i] + (1 - u) * rb[j] + u * rb[j + 1], 1e-6)
            dent_b = (1 - u) * rod_b.dent_mpa[j] + u * rod_b.dent_mpa[j + 1]
            cap_b = (1 - u) * rod_b.capacity_mm[j] + u * rod_b.capacity_mm[j + 1]
            length = 0.5 * tribs[ia][i] * share
            slots = np.stack([slot0[ib] + j, slot0[ib] + j + 1, slot0[ia] + i], axis=1)
            weights = np.stack([-(1 - u), -u, np.ones(len(u))], axis=1)
            dent_a = rod_a.dent_mpa[i]
            out.append(_make(len(i), slots, weights, normal, gap,
                             length * _series(dent_a, dent_b), length * materials.hard_mpa,
                             _pair_capacity(rod_a.capacity_mm[i], cap_b),
                             ib, ia, i, binormal, curvature))
    return out


def _rod_brainstem(rods, positions, radii, slot0, tribs, surface, margin, materials
                   ) -> list[ContactSet]:
    idx = [np.flatnonzero(rod.brainstem_contact) for rod in rods]
    slots = np.concatenate([slot0[k] + i for k, i in enumerate(idx)])
    if len(slots) == 0:
        return []
    x = np.concatenate([positions[k][i] for k, i in enumerate(idx)])
    r = np.concatenate([radii[k][i] for k, i in enumerate(idx)])
    trib = np.concatenate([tribs[k][i] for k, i in enumerate(idx)])
    body = np.concatenate([np.full(len(i), k) for k, i in enumerate(idx)])
    node = np.concatenate(idx)
    distance, normal = surface.query(slots, x)
    gap = distance - r
    near = gap < margin
    n = int(np.count_nonzero(near))
    if n == 0:
        return []
    k = trib[near] * materials.hard_mpa
    rows = np.stack([-np.ones(n, np.intp), -np.ones(n, np.intp), slots[near]], axis=1)
    return [_make(n, rows, np.tile([0.0, 0.0, 1.0], (n, 1)), normal[near], gap[near], k, k,
                  np.inf, BRAINSTEM, body[near], node[near])]


def _sponge_rod(sponges, centres, rods, positions, radii, slot0, sponge_slot0, tribs, margin,
                materials) -> list[ContactSet]:
    """Rod nodes against a pad's flat faces, within its footprint (see ``Sponge``)."""
    out = []
    for k, sponge in enumerate(sponges):
        facing = sponge.facing
        for ia, rod in enumerate(rods):
            x, r = positions[ia], radii[ia]
            height, across = sponge.over_faces(x, centres[k])
            if rod.name == sponge.holds_off:
                side = np.ones(len(x))
            elif rod.name == sponge.nerve:
                side = -np.ones(len(x))
            else:
                side = np.where(height >= 0, 1.0, -1.0)
            gap = side * height - sponge.radius_mm - r
            # full contact over the footprint; at its rim the share of the rod's section still
            # over the pad falls linearly to zero, so the force is continuous as a rod slides off
            share = np.clip((sponge.radius_mm + r - across) / r, 0.0, 1.0)
            # a node beyond the far face is not in this pad (it lies behind it)
            within = side * height > -(sponge.radius_mm + r)
            idx = np.flatnonzero((gap < margin) & (share > 0) & within)
            if len(idx) == 0:
                continue
            n = len(idx)
            normal = side[idx, None] * facing
            slots = np.stack([np.full(n, sponge_slot0 + k), -np.ones(n, np.intp),
                              slot0[ia] + idx], axis=1)
            weights = np.tile([-1.0, 0.0, 1.0], (n, 1))
            length = tribs[ia][idx] * share[idx]
            felt = np.full(n, materials.sponge_youngs_mpa)
            out.append(_make(
                n, slots, weights, normal, gap[idx],
                length * _series(felt, rod.dent_mpa[idx]), length * materials.hard_mpa,
                _pair_capacity(materials.sponge_compressibility * sponge.radius_mm,
                               rod.capacity_mm[idx]),
                len(rods) + k, ia, idx))
    return out


def _sponge_brainstem(sponges, centres, n_rods, sponge_slot0, brainstem, margin, materials
                      ) -> list[ContactSet]:
    out = []
    for k, sponge in enumerate(sponges):
        p0, p1 = sponge.ends(centres[k])
        samples = np.stack([p0, centres[k], p1]) if sponge.shape == "cylinder" else \
            centres[k][None]
        q = brainstem.query(samples, max_distance_mm=margin + sponge.radius_mm)
        gap = q.signed_distance - sponge.radius_mm
        near = np.flatnonzero(gap < margin)
        if len(near) == 0:
            continue
        n = len(near)
        share = sponge.length_mm / len(samples)
        slots = np.tile([-1, -1, sponge_slot0 + k], (n, 1))
        out.append(_make(n, slots, np.tile([0.0, 0.0, 1.0], (n, 1)), q.normal[near], gap[near],
                         share * materials.sponge_youngs_mpa, share * materials.hard_mpa,
                         materials.sponge_compressibility * sponge.radius_mm,
                         BRAINSTEM, n_rods + k, -1))
    return out


def _sponge_sponge(sponges, centres, n_rods, sponge_slot0, margin, materials
                   ) -> list[ContactSet]:
    out = []
    for a in range(len(sponges)):
        for b in range(a + 1, len(sponges)):
            sa, sb = sponges[a], sponges[b]
            (a0, a1), (b0, b1) = sa.ends(centres[a]), sb.ends(centres[b])
            s, t, dist = segment_segment(a0[None], a1[None], b0[None], b1[None])
            gap = dist - sa.radius_mm - sb.radius_mm
            if gap[0] >= margin:
                continue
            pa, pb = a0 + s[0] * (a1 - a0), b0 + t[0] * (b1 - b0)
            normal = (pb - pa) / max(float(dist[0]), 1e-12)
            size = 2.0 * min(sa.radius_mm, sb.radius_mm)
            out.append(_make(1, [sponge_slot0 + a, -1, sponge_slot0 + b], [-1.0, 0.0, 1.0],
                             normal[None], gap, size * 0.5 * materials.sponge_youngs_mpa,
                             size * materials.hard_mpa,
                             materials.sponge_compressibility * (sa.radius_mm + sb.radius_mm),
                             n_rods + a, n_rods + b, -1))
    return out


def detect(rods: list[Rod], positions: list[np.ndarray], radii: list[np.ndarray],
           sponges: list[Sponge], centres: np.ndarray, surface: BrainstemSurface,
           slot0: np.ndarray, sponge_slot0: int, tribs: list[np.ndarray],
           materials: Materials, margin_mm: float) -> ContactSet:
    """All contacts with a gap under ``margin_mm`` in the configuration given.

    Parameters
    ----------
    positions, radii : per rod (n, 3) and (n,), mm
    centres : (k, 3) float, mm
        Sponge centres.
    surface : BrainstemSurface
        The brainstem's per-slot tangent planes (read, and filled for slots never queried;
        refreshing them is the solver's decision).
    slot0 : (rods,) int
        First translational slot of each rod; sponges start at ``sponge_slot0``.
    tribs : per rod (n,) float, mm
        Tributary lengths of the nodes.
    """
    parts = (_rod_rod(rods, positions, radii, slot0, tribs, margin_mm, materials)
             + _rod_brainstem(rods, positions, radii, slot0, tribs, surface, margin_mm,
                              materials)
             + _sponge_rod(sponges, centres, rods, positions, radii, slot0, sponge_slot0, tribs,
                           margin_mm, materials)
             + _sponge_brainstem(sponges, centres, len(rods), sponge_slot0,
                                 surface.brainstem, margin_mm, materials)
             + _sponge_sponge(sponges, centres, len(rods), sponge_slot0, margin_mm, materials))
    if not parts:
        return _make(0, np.empty((0, 3)), np.empty((0, 3)), np.empty((0, 3)), [], [], [], [],
                     [], [], [], np.empty((0, 3)), [])
    return ContactSet.concat(parts)
