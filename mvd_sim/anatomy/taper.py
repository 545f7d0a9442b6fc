"""How a vessel's radius varies along its course: the taper from its origin.

A scenario's (or the sampler's) ``radius_mm`` is a vessel's *reference* radius: its radius
along the course beyond the taper, where the literature's "along its course" diameters were
measured and where the culprit vessels meet the nerves. The radius at arc length ``s`` from
the vessel's origin (its first centerline point: on its parent trunk for a branch, the
proximal end for the VA) is the reference times a ratio that eases, by a half cosine, from
``origin_ratio`` at ``s = 0`` to ``end_ratio`` at ``s = length_mm`` (the whole vessel when
``length_mm`` is None) and stays there. All lengths in mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VesselTaper", "VESSEL_TAPERS", "AICA_TAPER", "PICA_TAPER", "VA_TAPER",
           "tapered_radii"]


@dataclass(frozen=True)
class VesselTaper:
    """A vessel type's taper, as ratios to its reference radius.

    Attributes
    ----------
    origin_ratio : float
        Radius at the origin over the reference radius.
    end_ratio : float
        Radius from ``length_mm`` on over the reference radius.
    length_mm : float or None
        Arc (mm) over which the radius eases from one to the other; None: the whole vessel.
    """

    origin_ratio: float
    end_ratio: float = 1.0
    length_mm: float | None = None


#: AICA: 2.10 mm at its origin (median, 1.14-2.88; Dubrowski A et al., Folia Morphol 2024)
#: against 1.02 +- 0.35 mm along its course (Estupinan et al.), the reference.
#: *estimate*: the first 10 mm of its course taper (no published length).
AICA_TAPER = VesselTaper(origin_ratio=2.10 / 1.02, end_ratio=1.0, length_mm=10.0)
#: PICA: 1.8 mm (Fernandez & Dujovny, Neurol Res 1999), the largest published PICA diameter,
#: taken as its diameter at the origin (*estimate*: the source gives no site), against
#: 1.45 +- 0.37 mm (Estupinan et al.), the reference. *estimate*: tapering over 10 mm.
PICA_TAPER = VesselTaper(origin_ratio=1.8 / 1.45, end_ratio=1.0, length_mm=10.0)
#: VA: proximal 3.9 +- 0.8, distal 2.8 +- 0.6 mm (J NeuroIntervent Surg 2013;5:597, CTA of
#: 100 patients), as ratios to its reference, 3.1 mm near VII/VIII (V4; Ates O et al.,
#: Neurosurg Focus 2008); *estimate*: the taper runs the whole modelled course.
VA_TAPER = VesselTaper(origin_ratio=3.9 / 3.1, end_ratio=2.8 / 3.1, length_mm=None)
#: Taper of each vessel type; types not listed (BA, vein) keep their reference radius.
#: Replace an entry (or pass ``tapers`` to the builder's functions) to override.
VESSEL_TAPERS: dict[str, VesselTaper] = {"AICA": AICA_TAPER, "PICA": PICA_TAPER,
                                         "VA": VA_TAPER}


def tapered_radii(reference_mm: float, s_mm: np.ndarray, taper: VesselTaper | None
                  ) -> np.ndarray:
    """(n,) float, mm: the radius at each arc length ``s_mm`` (n,) from the origin.

    Examples
    --------
    >>> tapered_radii(1.0, np.array([0.0, 5.0, 10.0, 20.0]), VesselTaper(2.0, 1.0, 10.0))
    array([2. , 1.5, 1. , 1. ])
    """
    s = np.asarray(s_mm, dtype=float)
    if taper is None:
        return np.full(s.shape, float(reference_mm))
    length = taper.length_mm if taper.length_mm is not None else float(s[-1])
    u = np.clip(s / max(length, 1e-9), 0.0, 1.0)
    ease = 0.5 * (1.0 + np.cos(np.pi * u))
    return reference_mm * (taper.end_ratio + (taper.origin_ratio - taper.end_ratio) * ease)
