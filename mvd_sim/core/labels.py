"""Clinical labels: severity of a contact and the case's pattern (the side a vessel presses
from is :mod:`mvd_sim.core.approach`).

Severity follows the seed's definitions (Campos-Benitez & Kaufmann 2008): *mild* is contact
without indentation, *moderate* is indentation, *severe* is deviation of the nerve's course.
The thresholds that turn millimetres into those words are named, documented and overridable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SeverityThresholds", "DEFAULT_THRESHOLDS", "SEVERITIES", "severity",
           "pattern_of", "IMAGE_GAP_VOXELS", "image_thresholds"]

SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class SeverityThresholds:
    """Millimetre thresholds of the contact engine (all overridable).

    Attributes
    ----------
    contact_mm : float
        Surfaces closer than this touch (a contact); default 0.05, the placement tolerance
        of issue #2 and well under MRI resolution. *estimate*
    indentation_mm : float
        Overlap at least this deep is an indentation (moderate); default 0.1. *estimate*
    deviation_mm : float
        Displacement of the nerve's centerline from its rest course at least this large is a
        deviation (severe); default 0.5, the largest net pulsatile brain motion (Radiology
        1992;185:645), so a deviation cannot be mistaken for pulsation.
    near_miss_mm : float
        Vessels whose surface comes within this of a nerve without touching it are reported
        as vessels at risk; default 0.5 (issue #3).
    basis : str or None
        Why the thresholds are what they are, where they are not the defaults or the user's
        (an imported case's, :func:`image_thresholds`); the report repeats it.
    fit_rms_mm : tuple of (str, float)
        An imported case's measured fit uncertainty, (structure, RMS residual mm) pairs
        (the brainstem's fit and each tube's, ``anatomy.segmented``); the report repeats
        it beside the basis. Not used in grading; empty for any other case.
    """

    contact_mm: float = 0.05
    indentation_mm: float = 0.1
    deviation_mm: float = 0.5
    near_miss_mm: float = 0.5
    basis: str | None = None
    fit_rms_mm: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        for name in ("contact_mm", "indentation_mm", "deviation_mm", "near_miss_mm"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.near_miss_mm < self.contact_mm:
            raise ValueError("near_miss_mm must be at least contact_mm")


DEFAULT_THRESHOLDS = SeverityThresholds()

#: An imported case's surface gaps are measured within this share of its image's voxel (k):
#: the 95th percentile of the gap error of touching contacts (true gap 0) over the import's
#: round trips, 0.38 voxel (56 touches, nerve-vessel and vessel-vessel: every bundled scene
#: at 0.5 and at 0.4 mm with three noise seeds each, and as STL meshes voxelised at 0.4 mm;
#: the largest 0.42), rounded up to a tenth of a voxel. A half voxel would be too much: at 0.5 mm a near miss
#: 0.30 mm off the nerve reads 0.23-0.25 mm. *measured* (README, "Patient cases")
IMAGE_GAP_VOXELS = 0.4


def image_thresholds(voxel_mm: float,
                     base: SeverityThresholds = DEFAULT_THRESHOLDS) -> SeverityThresholds:
    """The thresholds a case measured on an image of ``voxel_mm`` spacing is graded with.

    On an image one cannot tell a touch from a sub-voxel gap or a sub-voxel indentation,
    as a radiologist grading it cannot: the contact and indentation thresholds become
    ``max(base, IMAGE_GAP_VOXELS * voxel_mm)`` and the near-miss margin moves out by as
    much as the contact threshold did (the band of vessels at risk keeps its width).
    Vessel-vessel contacts (culprit chains) use the same contact threshold. Deviation,
    millimetres of the nerve's course rather than a surface gap, keeps ``base``'s.

    Parameters
    ----------
    voxel_mm : float
        The image's largest voxel spacing (mm).
    base : SeverityThresholds
        The thresholds widened (default: the engine's defaults).

    Examples
    --------
    >>> t = image_thresholds(0.5)
    >>> t.contact_mm, t.indentation_mm, t.deviation_mm, t.near_miss_mm
    (0.2, 0.2, 0.5, 0.65)
    """
    tolerance = IMAGE_GAP_VOXELS * float(voxel_mm)
    contact = max(base.contact_mm, tolerance)
    return SeverityThresholds(
        contact_mm=round(contact, 4), indentation_mm=round(max(base.indentation_mm,
                                                               tolerance), 4),
        deviation_mm=base.deviation_mm,
        near_miss_mm=round(base.near_miss_mm + contact - base.contact_mm, 4),
        basis=(f"imaged case ({voxel_mm:g} mm voxels): surface gaps are measured within "
               f"{IMAGE_GAP_VOXELS:g} voxel ({tolerance:.2f} mm), so a touch cannot be told "
               f"from a smaller gap or indentation; contact and indentation thresholds are "
               f"at least that, the near-miss margin moved out as far"))


def severity(indentation_mm: float, deviation_mm: float,
             thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> str:
    """``"severe"`` if the nerve is deviated, else ``"moderate"`` if indented, else ``"mild"``.

    Examples
    --------
    >>> severity(0.0, 0.0), severity(0.3, 0.1), severity(0.3, 1.0)
    ('mild', 'moderate', 'severe')
    """
    if deviation_mm >= thresholds.deviation_mm:
        return "severe"
    if indentation_mm >= thresholds.indentation_mm:
        return "moderate"
    return "mild"


def pattern_of(rez_contact: bool, cp_contact: bool, culprit_count: int) -> str:
    """The case's pattern from its CN VII contacts.

    ``none`` without contact; ``double`` when the root exit zone and the cisternal portion
    are both compressed (by one vessel or two, Acta Neurochir 2010); otherwise
    ``multivessel`` with two or more culprit vessels, else ``single``.

    Examples
    --------
    >>> pattern_of(False, False, 0), pattern_of(True, True, 1), pattern_of(True, False, 2)
    ('none', 'double', 'multivessel')
    """
    if culprit_count == 0:
        return "none"
    if rez_contact and cp_contact:
        return "double"
    return "multivessel" if culprit_count >= 2 else "single"
