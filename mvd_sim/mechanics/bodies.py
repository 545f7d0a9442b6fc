"""The bodies of a mechanical model: elastic rods (nerves, vessels) and sponges.

A :class:`Rod` is a tube's centerline as frame elements (:mod:`mvd_sim.mechanics.frame`) with
its supports: clamped nodes, distributed tethers, and the compliant surface layer a contact
compresses (the nerve's section dents, a pressurised vessel flattens). A :class:`Sponge` is a
compressible felt pad (a ball or a rolled cylinder) with three translational degrees of
freedom, held where it was placed by friction. Pressed between a vessel and a nerve, felt
conforms to both: its two working faces are modelled as flat, square to the direction it was
inserted along (``facing``), over its footprint (a disc for a ball, a stadium for a cylinder).
Flat faces carry no tangential force, so a frictionless vessel cannot roll off a round pad,
which in surgery friction and the felt's grip prevent. Scene frame, mm, N.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mvd_sim.geometry.closest import point_segment
from mvd_sim.tube import Tube

__all__ = ["Rod", "Sponge", "tributary_lengths"]


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


@dataclass(frozen=True, eq=False)
class Sponge:
    """A Teflon felt pad.

    Attributes
    ----------
    name : str
    shape : ``"ball"`` or ``"cylinder"``
    centre : (3,) float, mm
        Where it was placed.
    half_axis : (3,) float, mm
        Half of the cylinder's axis (its straight part, end caps excluded); zero for a ball.
        Square to ``facing``.
    radius_mm : float
    facing : (3,) float
        Unit direction from the nerve toward the vessel it holds off.
    holds_off : str
        That vessel: it always presses on the ``+facing`` face and ``nerve`` on the other,
        so neither can pass through the pad to its wrong side. Other bodies press on the
        face they are nearer to.
    nerve : str
        The nerve the pad lies on (``CN7`` or ``CN8``).
    """

    name: str
    shape: str
    centre: np.ndarray
    half_axis: np.ndarray
    radius_mm: float
    facing: np.ndarray
    holds_off: str
    nerve: str = "CN7"

    @property
    def diameter_mm(self) -> float:
        return 2.0 * self.radius_mm

    @property
    def length_mm(self) -> float:
        """Overall length (a ball's is its diameter)."""
        return float(2.0 * np.linalg.norm(self.half_axis)) + self.diameter_mm

    def ends(self, centre: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Axis end points (equal for a ball) for a centre (default: as placed)."""
        c = self.centre if centre is None else centre
        return c - self.half_axis, c + self.half_axis

    def over_faces(self, points: np.ndarray, centre: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Where points lie against the pad's flat faces (centre default: as placed).

        Returns ``height`` (n,), mm above the mid-plane along ``facing``, and ``across``
        (n,), mm from the axis within that plane: a point of radius ``r`` is over the
        footprint while ``across < radius_mm + r``. The contact model and pad placement
        both measure the faces this way.
        """
        centre = self.centre if centre is None else centre
        height = (points - centre) @ self.facing
        flat = points - height[:, None] * self.facing
        p0, p1 = self.ends(centre)
        _, across, _ = point_segment(flat, np.broadcast_to(p0, flat.shape),
                                     np.broadcast_to(p1, flat.shape))
        return height, across
