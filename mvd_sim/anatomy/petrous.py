"""The posterior face of the petrous bone around the internal acoustic porus.

Pads are seated against it and slings sutured to its dura (VA transposition: Masuoka J et
al., Neurosurg Rev 2011; Lee SH et al., JKNS 2016). It is an *estimate*
(:class:`~mvd_sim.core.constants.PetrousParams`): a plane through the porus, CN VII's end
point, square to the nerve's course there (the nerve runs on into the internal auditory
canal), facing the cerebellopontine angle, with the porus opening an ellipse in it. Callers
use only :meth:`PetrousFace.signed_distance`, :attr:`PetrousFace.normal`,
:meth:`PetrousFace.closest` and :meth:`PetrousFace.off_porus`, so a surface with the opening
itself can replace the plane.

The face is no obstacle to vessels or nerves (the AICA's meatal loop enters the canal):
only pads meet it (:class:`mvd_sim.mechanics.contacts.SpongeOnPetrous`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.constants import PetrousParams
from mvd_sim.core.tube import Tube

__all__ = ["PetrousFace"]


@dataclass(frozen=True, eq=False)
class PetrousFace:
    """The petrous face as a plane (scene frame, mm).

    Attributes
    ----------
    porus : (3,) float, mm
        Centre of the porus: a point of the face.
    normal : (3,) float
        Unit normal out of the bone, into the cerebellopontine angle.
    porus_width_mm, porus_height_mm : float, mm
        The porus opening, an ellipse centred on ``porus``: across (horizontal) and high
        (along the face's upward direction).
    canal_length_mm : float, mm
        Depth of the internal acoustic canal behind the porus (drawn only).
    drawn_width_mm, drawn_height_mm : float, mm
        The part of the face drawn and exported round the porus, an ellipse.
    """

    porus: np.ndarray
    normal: np.ndarray
    porus_width_mm: float = PetrousParams.porus_width_mm
    porus_height_mm: float = PetrousParams.porus_height_mm
    canal_length_mm: float = PetrousParams.canal_length_mm
    drawn_width_mm: float = PetrousParams.drawn_width_mm
    drawn_height_mm: float = PetrousParams.drawn_height_mm

    @classmethod
    def through_porus(cls, nerve: Tube, params: PetrousParams = PetrousParams()
                      ) -> PetrousFace:
        """The face through ``nerve``'s end point (the porus), square to its course there.

        Parameters
        ----------
        nerve : Tube
            CN VII on its rest course (arc length from the RExP to the porus).
        params : PetrousParams
            The porus opening, the canal and the drawn extent.
        """
        inward = nerve.tangent_at(nerve.length_mm)
        return cls(np.array(nerve.points[-1], dtype=float), -inward / np.linalg.norm(inward),
                   params.porus_width_mm, params.porus_height_mm, params.canal_length_mm,
                   params.drawn_width_mm, params.drawn_height_mm)

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(n,) float, mm: distance of ``points`` (n, 3) from the face, negative in the bone."""
        return (np.atleast_2d(points) - self.porus) @ self.normal

    def closest(self, points: np.ndarray) -> np.ndarray:
        """(n, 3) float, mm: the feet of ``points`` (n, 3) on the face."""
        points = np.atleast_2d(points)
        return points - self.signed_distance(points)[:, None] * self.normal

    @property
    def up(self) -> np.ndarray:
        """(3,) unit direction in the face nearest rostral (+z): the porus' height."""
        up = np.array([0.0, 0.0, 1.0]) - self.normal[2] * self.normal
        norm = np.linalg.norm(up)
        if norm < 1e-6:  # a face square to z (never for a nerve running laterally)
            up = np.array([0.0, 1.0, 0.0]) - self.normal[1] * self.normal
            norm = np.linalg.norm(up)
        return up / norm

    def off_porus(self, points: np.ndarray) -> np.ndarray:
        """(n, 3) float, mm: the feet of ``points`` on the face, those that fall inside the
        porus opening moved out along the ray from its centre onto its rim (a suture goes
        into the dura beside the porus, not across it)."""
        feet = self.closest(points)
        up = self.up
        across = np.cross(self.normal, up)
        offset = feet - self.porus
        u, v = offset @ across, offset @ up
        rim = np.sqrt((u / (0.5 * self.porus_width_mm)) ** 2
                      + (v / (0.5 * self.porus_height_mm)) ** 2)
        inside = rim < 1.0
        if np.any(inside):
            # the centre itself goes straight up onto the rim
            scale = np.where(rim > 1e-9, 1.0 / np.maximum(rim, 1e-9), 0.0)
            moved = self.porus + (scale * u)[:, None] * across + (scale * v)[:, None] * up
            moved[rim <= 1e-9] = self.porus + 0.5 * self.porus_height_mm * up
            feet = np.where(inside[:, None], moved, feet)
        return feet
