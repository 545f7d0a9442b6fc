"""Nerve landmarks along arc length and the Campos-Benitez segment labels.

Segments (Campos-Benitez M, Kaufmann AM, J Neurosurg 2008;109:416) in order from the
brainstem, by arc length ``s`` (mm) from the root exit point:

- ``RExP``: root exit point, ``0 <= s < rexp_zone_end_mm``;
- ``AS``: attached segment, up to the RDP zone;
- ``RDP``: root detachment point, ``|s - rdp_mm| <= rdp_zone_mm / 2``;
- ``CP``: cisternal portion, beyond the RDP zone up to the porus.

The root exit zone (REZ) is RExP + AS + RDP. Where zones overlap (a nerve with no attached
segment, like CN VIII) the earlier label wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SEGMENTS", "NerveLandmarks"]

SEGMENTS: tuple[str, ...] = ("RExP", "AS", "RDP", "CP")


@dataclass(frozen=True)
class NerveLandmarks:
    """Arc lengths (mm, from the RExP) of a nerve's landmarks.

    Attributes
    ----------
    rexp_zone_end_mm : float
        End of the root-exit-point zone.
    rdp_mm : float
        Root detachment point (end of the attached segment).
    rdp_zone_mm : float
        Length of the RDP zone, centred on ``rdp_mm``.
    tz_start_mm, tz_end_mm : float
        Transition zone (Obersteiner-Redlich): central myelin ends at ``tz_start_mm``.
    porus_mm : float
        Internal acoustic porus (end of the cisternal portion).
    """

    rexp_zone_end_mm: float
    rdp_mm: float
    rdp_zone_mm: float
    tz_start_mm: float
    tz_end_mm: float
    porus_mm: float

    @property
    def rez_end_mm(self) -> float:
        """End of the root exit zone (RExP + AS + RDP)."""
        return max(self.rdp_mm + 0.5 * self.rdp_zone_mm, self.rexp_zone_end_mm)

    def segment_index(self, s_mm: np.ndarray | float) -> np.ndarray:
        """Index into :data:`SEGMENTS` for each arc length (vectorised)."""
        s = np.asarray(s_mm, dtype=float)
        half = 0.5 * self.rdp_zone_mm
        # the first bound s lies below (the last one inclusive) is its segment
        return np.where(s < self.rexp_zone_end_mm, 0, np.where(
            s < self.rdp_mm - half, 1, np.where(s <= self.rdp_mm + half, 2, 3)))

    def segment_at(self, s_mm: float) -> str:
        """Segment label (``RExP``, ``AS``, ``RDP`` or ``CP``) at arc length ``s_mm``.

        Examples
        --------
        >>> lm = NerveLandmarks(1.0, 10.0, 1.5, 12.6, 14.5, 22.4)
        >>> [lm.segment_at(s) for s in (0.0, 5.0, 10.7, 10.76)]
        ['RExP', 'AS', 'RDP', 'CP']
        """
        return SEGMENTS[int(self.segment_index(s_mm))]

    def in_rez(self, s_mm: np.ndarray | float) -> np.ndarray:
        """True where ``s`` lies in the root exit zone (labelled RExP, AS or RDP)."""
        return self.segment_index(s_mm) < 3

    def centrally_myelinated(self, s_mm: np.ndarray | float) -> np.ndarray:
        """True where ``s`` lies before the transition zone (central myelin)."""
        return np.asarray(s_mm) < self.tz_start_mm

    def segment_interval(self, segment: str) -> tuple[float, float]:
        """Arc-length interval ``(start, end)`` (mm) of a segment label.

        The intervals are contiguous and cover ``[0, porus_mm]``; a segment a nerve does not
        have (CN VIII's attached segment) is an empty interval at its place.
        """
        half = 0.5 * self.rdp_zone_mm
        rexp_end = self.rexp_zone_end_mm
        rdp_start = max(self.rdp_mm - half, rexp_end)
        cp_start = max(self.rdp_mm + half, rexp_end)
        bounds = {"RExP": (0.0, rexp_end), "AS": (rexp_end, rdp_start),
                  "RDP": (rdp_start, cp_start), "CP": (cp_start, self.porus_mm)}
        return bounds[segment]

    def segment_centre(self, segment: str) -> float:
        """Midpoint arc length (mm) of a segment; the RExP zone's is its middle too."""
        return self.segment_point(segment, 0.5)

    def segment_point(self, segment: str, fraction: float) -> float:
        """Arc length (mm) ``fraction`` (0 to 1) of the way along a segment."""
        start, end = self.segment_interval(segment)
        return start + fraction * (end - start)
