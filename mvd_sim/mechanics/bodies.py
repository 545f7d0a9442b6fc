"""The bodies of a mechanical model: elastic rods (nerves, vessels) and sponges.

A :class:`Rod` is a tube's centerline as frame elements (:mod:`mvd_sim.mechanics.frame`) with
its supports: clamped nodes, distributed tethers, and the compliant surface layer a contact
compresses (the nerve's section dents, a pressurised vessel flattens). A sponge
(:class:`mvd_sim.scene.pads.Sponge`, the pad's geometry) is a compressible felt pad (a ball
or a rolled cylinder) with three translational degrees of freedom, held where it was placed
by friction. Pressed between a vessel and what it is seated against (the nerve, the
brainstem, the vessel's trunk or the petrous face), felt conforms to both: its two working
faces are modelled as flat, square to the direction it was inserted along (``facing``), over
its footprint (a disc for a ball, a stadium for a cylinder). Flat faces carry no tangential
force, so a frictionless vessel cannot roll off a round pad, which in surgery friction and
the felt's grip prevent.
Scene frame, mm, N.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mvd_sim.core.tube import Tube

__all__ = ["Rod", "tributary_lengths"]


def tributary_lengths(points: np.ndarray) -> np.ndarray:
    """Length of centerline each node stands for (half of each adjacent segment), mm."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    out = np.zeros(len(points))
    out[:-1] += 0.5 * seg
    out[1:] += 0.5 * seg
    return out


@dataclass(frozen=True, eq=False)
class Rod:
    """An elastic rod.

    Attributes
    ----------
    tube : Tube
        Stress-free centerline and radii (``tube.kind`` says what it is).
    start : (n, 3) float, mm
        Starting configuration (a deviated nerve starts deviated).
    clamped : (n,) bool
        Nodes held fixed in position and rotation.
    tether_n_per_mm : (n,) float
        Spring from each node to its stress-free position (tributary length included).
    dent_mpa : (n,) float
        Transverse stiffness of the surface layer per unit length (N/mm per mm of overlap per
        mm of rod).
    capacity_mm : (n,) float
        Overlap the layer can take before acting as rigid.
    brainstem_contact : (n,) bool
        Nodes that may touch the brainstem (not those rooted in it).
    near_junction : dict[str, (n,) bool]
        For a branch, its nodes within its junction with each trunk (by rod name): they
        overlap the trunk by design and never contact it.
    pulsatile : bool
        Arteries pulse; nerves and veins do not.
    """

    tube: Tube
    start: np.ndarray
    clamped: np.ndarray
    tether_n_per_mm: np.ndarray
    dent_mpa: np.ndarray
    capacity_mm: np.ndarray
    brainstem_contact: np.ndarray
    near_junction: dict[str, np.ndarray] = field(default_factory=dict)
    pulsatile: bool = False

    @property
    def name(self) -> str:
        return self.tube.name

    @property
    def n_nodes(self) -> int:
        return len(self.tube.points)
