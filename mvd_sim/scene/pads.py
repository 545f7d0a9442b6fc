"""Teflon felt pads in a scene: their geometry (a ball, or a rolled cylinder with rounded
ends), in the scene frame (mm)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.geometry.closest import point_segment

__all__ = ["Sponge"]


@dataclass(frozen=True, eq=False)
class Sponge:
    """A Teflon felt pad, between the vessel it holds off (on its outer face) and what it is
    seated against (on its inner face).

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
        Unit direction from the inner face toward the outer one: from what the pad is
        seated against toward the vessel it holds off.
    holds_off : str
        That vessel: it always presses on the ``+facing`` face, so it cannot pass through
        the pad to its wrong side.
    against : str
        What lies on the ``-facing`` face: a rod's name (the nerve, ``CN7`` or ``CN8``, or a
        vessel's parent trunk), which always presses that face, or ``"brainstem"`` or
        ``"petrous"``, which meet the pad through their own contact laws. Other rods press
        on the face they are nearer to.
    seat : ``"nerve"``, ``"brainstem"``, ``"trunk"`` or ``"petrous"``
        How it was placed (:class:`~mvd_sim.scenario.SpongeSpec`).
    """

    name: str
    shape: str
    centre: np.ndarray
    half_axis: np.ndarray
    radius_mm: float
    facing: np.ndarray
    holds_off: str
    against: str = "CN7"
    seat: str = "nerve"

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
