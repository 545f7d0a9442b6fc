"""Scenario files: a strict, documented YAML schema and a safe loader.

A scenario describes one case: the side, optional anatomy overrides, the vessels (by default
course, by control points, or in clinical terms relative to a nerve) and what a surgeon would
find. Every length is in mm, every angle in degrees; points are in the scene frame of
:mod:`mvd_sim.core.constants` (origin at the RExP, x = patient's right, y anterior, z rostral).

Example
-------
.. code-block:: yaml

    schema_version: 1
    title: AICA grooving the attached segment
    description: >-
      Right hemifacial spasm. The AICA's premeatal segment crosses the attached segment of
      VII from caudal and indents it 0.4 mm. A surgeon finds a single moderate compression.
    side: right
    vessels:
      - id: aica
        type: AICA
        compresses:
          - target: CN7
            segment: AS
            from: caudal
            crossing_angle_deg: 85
            indentation_mm: 0.4
    findings:
      pattern: single
      contacts:
        - {vessel: aica, nerve: CN7, segment: AS, severity: moderate}

A case brought in from a segmentation (``mvd-sim import``, :mod:`mvd_sim.segmentation`)
has its fitted brainstem in ``anatomy.brainstem``, its own CN VII and CN VIII and RExP in
``anatomy.segmented`` and its vessels as ``points_mm`` with ``radii_mm``.

Files are read and written by :mod:`mvd_sim.scenario.files`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from typing import Annotated, Literal

import numpy as np
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, create_model,
                      field_validator, model_validator)

from mvd_sim.core.approach import MAX_CROSSING_DEG, MIN_CROSSING_DEG, crossing_angle_refusal
from mvd_sim.core.constants import (AVM_DEFAULT_SEMI_AXES_MM, LOWER_CRANIAL_NERVES,
                                    MASS_DEFAULT_SEMI_AXES_MM, MASS_KINDS, MASS_ORIGINS,
                                    MAX_ANEURYSM_DOME_MM, MAX_MASS_SEMI_AXIS_MM,
                                    OBSTACLE_KINDS, VESSEL_TYPES, BrainstemParams,
                                    ContextParams, FacialNerveParams, VestibulocochlearParams)
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.materials import Materials
from mvd_sim.core.validation import one_line, validate_document

__all__ = ["SCHEMA_VERSION", "ScenarioSpec", "VesselSpec", "ContactSpec", "FindingsSpec",
           "SpongeSpec", "TranspositionSpec", "CenterlineSpec", "SegmentedSpec", "SEATS",
           "materials_of", "parse_sponge", "parse_transposition", "check_sponges", "check_transpositions", "check_divided",
           "case_fingerprint", "parse_scenario", "MassSpec", "AneurysmSpec", "AvmSpec",
           "BandSpec", "LESION_SIDES", "LesionEllipsoid"]

SCHEMA_VERSION = 1
NERVES = ("CN7", "CN8")
# ids no vessel or pad may take (compared in lower case): each structure's id names its mesh
_RESERVED_IDS = {"brainstem": "the brainstem", "cn7": "a nerve", "cn8": "a nerve",
                 "petrous": "the petrous bone",
                 **{name.lower(): "the operative field"
                    for name in (*LOWER_CRANIAL_NERVES, *OBSTACLE_KINDS)}}
_DEFAULT_SPONGE_ID = re.compile(r"sponge[0-9]+")
SIDES_OF_APPROACH = ("anterior", "posterior", "rostral", "caudal", "lateral", "medial",
                     "away_from_nerve")
_MAX_COORD_MM = 150.0
#: Consecutive control points of a vessel closer than this (mm) say nothing about its course.
MIN_CONTROL_POINT_STEP_MM = 0.01
#: Longest course (mm, through its control points) of one vessel given by ``points_mm``: the
#: default courses run 25-90 mm through the scene (the intracranial VA is 40 +- 10.6 mm long,
#: J NeuroIntervent Surg 2013), and the mechanics' work grows with the length of every rod.
MAX_VESSEL_COURSE_MM = 150.0
#: Most course (mm) of all the vessels given by ``points_mm`` together; with at most 20
#: vessels and these lengths a decompression and a plan finish in the times the README states.
MAX_TOTAL_COURSE_MM = 600.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _params_model(name: str, params_cls: type, low: float, high: float) -> type[BaseModel]:
    """Pydantic model of optional overrides for a literature-defaults dataclass.

    A number may be overridden within ``(low, high]`` times its default, which rejects
    negative, zero and absurd sizes while allowing the published ranges; an angle (``*_deg``)
    within (-90, 90] degrees; a field listed in the class's ``OVERRIDE_RANGES`` within that
    range (inclusive).
    """
    explicit = getattr(params_cls, "OVERRIDE_RANGES", {})
    spec = {}
    for f in fields(params_cls):
        default = f.default
        kind = int if isinstance(default, int) else float
        if f.name in explicit:
            limits = {"ge": explicit[f.name][0], "le": explicit[f.name][1]}
        elif f.name.endswith("_deg"):
            limits = {"gt": -90.0, "le": 90.0}
        else:
            limits = {"gt": kind(default * low), "le": kind(default * high)}
        spec[f.name] = (Annotated[kind | None, Field(default=None, strict=True,
                                                      allow_inf_nan=False, **limits)], None)
    model = create_model(name, __base__=_Strict, **spec)
    model.__doc__ = f"Overrides of :class:`~mvd_sim.core.constants.{params_cls.__name__}`."
    return model


BrainstemOverrides = _params_model("BrainstemOverrides", BrainstemParams, 0.6, 1.6)
FacialNerveOverrides = _params_model("FacialNerveOverrides", FacialNerveParams, 0.25, 4.0)
VestibulocochlearOverrides = _params_model("VestibulocochlearOverrides",
                                           VestibulocochlearParams, 0.25, 4.0)
ContextOverrides = _params_model("ContextOverrides", ContextParams, 0.5, 2.0)


MechanicsOverrides = _params_model("MechanicsOverrides", Materials, 1e-3, 1e3)


#: Shortest stretch (mm) of the attached segment proper (between the RExP zone and the RDP
#: zone) and of the cisternal portion (beyond the RDP zone) that a scenario may leave, so
#: every segment a contact can name exists on the nerve.
MIN_SEGMENT_MM = 0.5


Point = Annotated[list[Annotated[float, Field(strict=True, allow_inf_nan=False,
                                              ge=-_MAX_COORD_MM, le=_MAX_COORD_MM)]],
                  Field(min_length=3, max_length=3)]
Radius = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0.0, le=5.0)]
#: Most points of a centerline given point by point (a nerve's or a vessel's ``points_mm``).
MAX_CENTERLINE_POINTS = 500


def _check_course(points: list[list[float]] | None) -> list[list[float]] | None:
    """Distinct consecutive points and at most :data:`MAX_VESSEL_COURSE_MM` of course
    (ValueError otherwise)."""
    if points is None:
        return points
    steps = np.linalg.norm(np.diff(np.asarray(points, dtype=float), axis=0), axis=1)
    close = np.flatnonzero(steps < MIN_CONTROL_POINT_STEP_MM)
    if len(close):
        raise ValueError(f"point [{close[0] + 1}] lies within {MIN_CONTROL_POINT_STEP_MM:g} "
                         "mm of the point before it; give distinct control points")
    if steps.sum() > MAX_VESSEL_COURSE_MM:
        raise ValueError(f"the course through these points is {steps.sum():.0f} mm long; "
                         f"at most {MAX_VESSEL_COURSE_MM:g} mm is accepted")
    return points


def _check_radii(points: list[list[float]], radii: list[float] | None) -> None:
    """One radius a point where ``radii`` are given (ValueError otherwise)."""
    if radii is not None and len(radii) != len(points):
        raise ValueError(f"radii_mm has {len(radii)} values for {len(points)} points_mm; "
                         "give one radius a point")


class CenterlineSpec(_Strict):
    """A nerve root given point by point (a segmented case, ``mvd-sim import``).

    ``points_mm`` run from the root's start at the brainstem (one radius above the RExP) to
    the porus, in the scene frame; ``radii_mm`` give the root's radius at each point.
    ``rest_points_mm`` (optional, one a point, the same material points) is the root's
    estimated rest course (:mod:`mvd_sim.segmentation.rest`), from which deviation is
    measured; without it the root as given is its own rest course.
    """

    points_mm: Annotated[list[Point], Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)]
    radii_mm: Annotated[list[Radius], Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)]
    rest_points_mm: Annotated[list[Point] | None,
                              Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)] = None

    _distinct_points = field_validator("points_mm", "rest_points_mm")(_check_course)

    @model_validator(mode="after")
    def _consistent(self) -> CenterlineSpec:
        _check_radii(self.points_mm, self.radii_mm)
        if self.rest_points_mm is not None and len(self.rest_points_mm) != len(self.points_mm):
            raise ValueError(f"rest_points_mm has {len(self.rest_points_mm)} points for "
                             f"{len(self.points_mm)} points_mm; give one a point")
        return self


class SegmentedSpec(_Strict):
    """The patient's own roots and where they leave the brainstem (a case brought in from a
    segmentation by ``mvd-sim import``; :mod:`mvd_sim.segmentation`).

    Attributes
    ----------
    rexp_midline_mm : (3,) float
        The RExP in the fitted brainstem's midline frame (x = patient's right, y anterior,
        z rostral, mm; :mod:`mvd_sim.anatomy.brainstem`): the scene's origin. The brainstem's
        shape is ``anatomy.brainstem``.
    facial_nerve, vestibulocochlear_nerve : CenterlineSpec
        CN VII and CN VIII; their segments are laid off by arc length from their start by
        the same rules as the atlas roots' (``anatomy.facial_nerve`` and
        ``anatomy.vestibulocochlear_nerve`` lengths).
    fit_rms_mm : float
        RMS distance (mm) of the segmented brainstem's surface from the fitted one.
    surface_rms_mm : dict of str -> float, or None
        Each fitted tube's uncertainty: the RMS distance (mm) of its label's own surface
        from the fitted tube (:func:`mvd_sim.segmentation.sections.surface_rms_mm`), by
        ``CN7``, ``CN8`` and vessel id; reported beside the thresholds' basis. Optional
        (cases imported before it was recorded have none).
    voxel_mm : float or None
        The image's largest voxel spacing (mm; a mesh folder's: the spacing it was
        voxelised at). A case with it is graded with thresholds widened to what the image
        can tell (:func:`mvd_sim.core.labels.image_thresholds`); without it, with the
        defaults.
    source : str
        The segmentation it came from (file or folder name), for the record.
    """

    rexp_midline_mm: Point
    facial_nerve: CenterlineSpec
    vestibulocochlear_nerve: CenterlineSpec
    fit_rms_mm: Mm = Field(ge=0.0, le=10.0)
    surface_rms_mm: dict[Annotated[str, Field(min_length=1, max_length=100)],
                         Annotated[Mm, Field(ge=0.0, le=10.0)]] | None = None
    voxel_mm: Mm | None = Field(None, gt=0.0, le=5.0)
    source: Annotated[str, Field(min_length=1, max_length=500)]


#: A nerve's course as it lies, one point per point of its rest course
#: (``anatomy.displaced_nerves``).
DisplacedCourse = Annotated[list[Point], Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)]


class AnatomySpec(_Strict):
    """Anatomy overrides; anything left out keeps its literature default. ``segmented``
    replaces the atlas roots by the patient's (a case from ``mvd-sim import``).

    ``displaced_nerves`` gives a nerve as it lies, displaced by the vessels (as a surgeon
    sees it): one point (scene frame, mm) per point of its rest course (the atlas root, or
    the segmented one), in order, so that a point names the same piece of nerve in both; the
    rest course stays where it was, and the contact engine measures a deviation from it. A
    case written without its ``compresses`` carries its deviated nerve this way (an
    exercise, ``mvd-sim exercise new``); by hand, a contact's ``nerve_deviation_mm`` asks it.
    """

    brainstem: BrainstemOverrides = Field(default_factory=BrainstemOverrides)
    facial_nerve: FacialNerveOverrides = Field(default_factory=FacialNerveOverrides)
    vestibulocochlear_nerve: VestibulocochlearOverrides = Field(
        default_factory=VestibulocochlearOverrides)
    context: ContextOverrides = Field(default_factory=ContextOverrides)
    segmented: SegmentedSpec | None = None
    displaced_nerves: dict[Literal["CN7", "CN8"], DisplacedCourse] | None = None

    @model_validator(mode="after")
    def _lengths_fit(self) -> AnatomySpec:
        facial = FacialNerveParams(**self.facial_nerve.model_dump(exclude_none=True))
        half_rdp = 0.5 * facial.rdp_zone_length_mm
        attached = facial.attached_segment_length_mm - half_rdp - facial.rexp_zone_length_mm
        if attached < MIN_SEGMENT_MM:
            raise ValueError(
                f"facial_nerve: the attached segment ({facial.attached_segment_length_mm:g}"
                f" mm) leaves {attached:.2f} mm between the RExP zone "
                f"({facial.rexp_zone_length_mm:g} mm) and the RDP zone "
                f"({facial.rdp_zone_length_mm:g} mm); at least {MIN_SEGMENT_MM:g} mm is needed")
        # a segmented root's cisternal length is its own (checked when the root is built)
        if self.segmented is None and facial.cisternal_length_mm - half_rdp < MIN_SEGMENT_MM:
            raise ValueError(
                f"facial_nerve: the cisternal length ({facial.cisternal_length_mm:g} mm)"
                f" leaves under {MIN_SEGMENT_MM:g} mm beyond the RDP zone "
                f"({facial.rdp_zone_length_mm:g} mm)")
        context = ContextParams(**self.context.model_dump(exclude_none=True))
        if context.choroid_cistern_length_mm >= context.choroid_limb_length_mm:
            raise ValueError(
                f"context: the choroid plexus' cistern part "
                f"({context.choroid_cistern_length_mm:g} mm) must be shorter than its limb "
                f"({context.choroid_limb_length_mm:g} mm)")
        return self


Mm = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class ContactSpec(_Strict):
    """A compression in clinical terms: where on which structure, from which side, how hard.

    Attributes
    ----------
    target : str
        ``CN7``, ``CN8`` or the id of another vessel (a vessel pushing another one).
    segment : str, optional
        ``RExP``, ``AS``, ``RDP`` or ``CP``: the contact lands at that segment's centre
        (``m`` contacts asked on one segment of a nerve are spread evenly along it,
        at ``i / (m + 1)`` of its length, in the scenario's order).
    s_mm : float, optional
        Arc length on the target from its start (the RExP for nerves). For a vessel target
        without ``s_mm`` the contact lands 3 mm proximal to where that vessel touches the
        nerve (:data:`mvd_sim.scene.build.CHAIN_OFFSET_MM`).
    from_side : str
        Side the vessel comes from (YAML key ``from``): anterior, posterior, rostral, caudal,
        lateral, medial (projected into the target's normal plane), or ``away_from_nerve`` for
        vessel targets (default for them; ``caudal`` for nerves).
    crossing_angle_deg : float
        Directed angle (deg, 10-170) from the target's direction to the vessel's at the
        contact (:mod:`mvd_sim.core.approach`; ``a`` and ``180 - a`` are mirror images);
        default 85 (MRI 85-88 deg, Miao YY et al., Chin J Clin Anat 2018). An angle out of
        range is refused saying what would work.
    separation_mm, indentation_mm : float
        Gap left between the surfaces (>= 0), or depth of indentation (> 0); at most one.
        Neither means touching (gap 0).
    nerve_deviation_mm : float
        Displacement of the nerve's course away from the vessel at the contact (severe).
    """

    target: str
    segment: Literal["RExP", "AS", "RDP", "CP"] | None = None
    s_mm: Mm | None = Field(default=None, ge=0.0, le=60.0)
    from_side: Literal[SIDES_OF_APPROACH] | None = Field(default=None, alias="from")
    crossing_angle_deg: Mm = Field(default=85.0, ge=MIN_CROSSING_DEG, le=MAX_CROSSING_DEG)
    separation_mm: Mm | None = Field(default=None, ge=0.0, le=10.0)
    indentation_mm: Mm | None = Field(default=None, gt=0.0, le=1.5)
    nerve_deviation_mm: Mm = Field(default=0.0, ge=0.0, le=5.0)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @field_validator("crossing_angle_deg", mode="before")
    @classmethod
    def _crossing_angle_in_range(cls, value: object) -> object:
        """An angle out of range is refused saying what would work (other inputs go on to
        the type and range checks)."""
        if type(value) in (int, float) and np.isfinite(value):
            refusal = crossing_angle_refusal(float(value))
            if refusal is not None:
                raise ValueError(refusal)
        return value

    @model_validator(mode="after")
    def _one_location_and_depth(self) -> ContactSpec:
        if self.segment is not None and self.s_mm is not None:
            raise ValueError("give either segment or s_mm, not both")
        if self.separation_mm is not None and self.indentation_mm is not None:
            raise ValueError("give either separation_mm or indentation_mm, not both")
        is_nerve = self.target in NERVES
        if is_nerve and self.segment is None and self.s_mm is None:
            raise ValueError(f"a contact on {self.target} needs a segment or s_mm")
        if self.from_side == "away_from_nerve" and is_nerve:
            raise ValueError("'away_from_nerve' is only for contacts on another vessel")
        if self.nerve_deviation_mm > 0 and not is_nerve:
            raise ValueError("nerve_deviation_mm is only for contacts on a nerve")
        if self.nerve_deviation_mm > 0 and self.separation_mm:
            raise ValueError("a nerve cannot be deviated by a vessel that does not touch it")
        return self

    @property
    def gap_mm(self) -> float:
        """Signed surface gap asked for: separation, minus indentation, or 0 (touching)."""
        if self.indentation_mm is not None:
            return -self.indentation_mm
        return self.separation_mm or 0.0

    @property
    def side(self) -> str:
        """Side of approach with its default filled in."""
        if self.from_side is not None:
            return self.from_side
        return "caudal" if self.target in NERVES else "away_from_nerve"


class VesselSpec(_Strict):
    """One vessel: its type, size and course.

    The course is the type's default, or ``points_mm`` (control points, scene frame, through
    which a cubic spline passes), or the default bent by ``compresses`` (clinical placement).
    The radius is the type's default (tapered along the course), ``radius_mm`` (tapered the
    same way), or ``radii_mm``, one radius a control point (a segmented vessel), interpolated
    along the course.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")]
    type: Literal[VESSEL_TYPES]
    radius_mm: Mm | None = Field(default=None, gt=0.0, le=5.0)
    points_mm: Annotated[list[Point], Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)] \
        | None = None
    radii_mm: Annotated[list[Radius], Field(min_length=2, max_length=MAX_CENTERLINE_POINTS)] \
        | None = None
    compresses: Annotated[list[ContactSpec], Field(max_length=4)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_course(self) -> VesselSpec:
        if self.points_mm is not None and self.compresses:
            raise ValueError("give either points_mm or compresses, not both")
        if self.radii_mm is not None:
            if self.points_mm is None:
                raise ValueError("radii_mm needs points_mm (one radius a control point)")
            if self.radius_mm is not None:
                raise ValueError("give either radius_mm or radii_mm, not both")
            _check_radii(self.points_mm, self.radii_mm)
        return self

    _distinct_points = field_validator("points_mm")(_check_course)

    @property
    def course_mm(self) -> float:
        """Length (mm) of the polyline through ``points_mm`` (0 without them)."""
        if self.points_mm is None:
            return 0.0
        return float(np.linalg.norm(np.diff(np.asarray(self.points_mm), axis=0), axis=1).sum())


SPONGE_SIDES = ("vessel", "anterior", "posterior", "rostral", "caudal", "lateral", "medial")
#: Where a pad is seated: on the nerve, or between its vessel and the brainstem, the vessel's
#: parent trunk or the petrous dura, away from the nerve.
SEATS = ("nerve", "brainstem", "trunk", "petrous")


class SpongeSpec(_Strict):
    """A Teflon felt pad placed between a vessel and what it is seated against.

    Sizes are *estimates* from the facts file: a ball or rolled cylinder of diameter 0.5-1.5
    times the culprit vessel's (about 1-4 mm), 2-6 mm long. Surgeons prefer pads between the
    vessel and the brainstem that do not touch the root exit zone (Thieme 2015): ``seat``
    says where the pad's inner face lies.

    Attributes
    ----------
    id : str, optional
        Name in reports (default ``sponge1``, ``sponge2`` ... in order).
    shape : ``"ball"`` (shredded felt) or ``"cylinder"`` (rolled felt)
    diameter_mm : float
    length_mm : float, optional
        Overall length of a cylinder (at least its diameter); default 4 mm.
    seat : ``"nerve"``, ``"brainstem"``, ``"trunk"`` or ``"petrous"``
        What the pad's inner face lies on: the nerve (default), or, away from the nerve,
        the brainstem under the vessel point, the vessel's parent trunk
        (:data:`~mvd_sim.core.constants.VESSEL_PARENT`) or the petrous dura. A seat other
        than the nerve needs ``vessel`` and ``vessel_s_mm`` and takes no ``s_mm``,
        ``side`` or ``nerve``.
    nerve : ``"CN7"`` or ``"CN8"``
        The nerve of a pad seated on one.
    s_mm : float, optional
        Where: arc length on the nerve's rest course from the RExP ...
    vessel_s_mm : float, optional
        ... or arc length along ``vessel`` (on the nerve, the pad goes where that point faces
        it; on another seat, under that point).
    vessel : str, optional
        The vessel it holds off (default: the vessel nearest the spot).
    side : str
        Side of the nerve a pad seated on it sits on: ``vessel`` (toward the vessel,
        default) or an anatomical direction.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")] | None = None
    shape: Literal["ball", "cylinder"] = "ball"
    diameter_mm: Mm = Field(ge=0.5, le=6.0)
    length_mm: Mm | None = Field(default=None, ge=0.5, le=12.0)
    nerve: Literal[NERVES] = "CN7"
    s_mm: Mm | None = Field(default=None, ge=0.0, le=60.0)
    vessel_s_mm: Mm | None = Field(default=None, ge=0.0, le=200.0)
    vessel: str | None = None
    side: Literal[SPONGE_SIDES] = "vessel"
    seat: Literal[SEATS] = "nerve"

    @model_validator(mode="after")
    def _one_place(self) -> SpongeSpec:
        if self.seat != "nerve":
            if self.s_mm is not None:
                raise ValueError(f"s_mm: a pad seated on the {self.seat} is placed by "
                                 "vessel_s_mm on its vessel, not on the nerve")
            if self.vessel is None or self.vessel_s_mm is None:
                raise ValueError(f"vessel, vessel_s_mm: a pad seated on the {self.seat} "
                                 "needs the vessel and where along it (vessel_s_mm)")
            if self.side != "vessel":
                raise ValueError(f"side: {self.side!r} is for a pad on the nerve, not one "
                                 f"seated on the {self.seat}")
            if self.nerve != "CN7":
                raise ValueError(f"nerve: {self.nerve!r} is for a pad on the nerve, not one "
                                 f"seated on the {self.seat}")
        if (self.s_mm is None) == (self.vessel_s_mm is None):
            raise ValueError("give exactly one of s_mm (on the nerve) or vessel_s_mm")
        if self.vessel_s_mm is not None and self.vessel is None:
            raise ValueError("vessel_s_mm needs the vessel it is measured on")
        if self.shape == "ball" and self.length_mm is not None:
            raise ValueError("a ball has no length_mm (give shape: cylinder)")
        if self.shape == "cylinder" and self.length_mm is not None and \
                self.length_mm < self.diameter_mm:
            raise ValueError("a cylinder's length_mm must be at least its diameter_mm")
        return self

    @property
    def cylinder_length_mm(self) -> float:
        """Overall length: ``length_mm``, 4 mm by default, never under the diameter."""
        return max(self.length_mm or 4.0, self.diameter_mm)


class TranspositionSpec(_Strict):
    """A vessel transposed with an ePTFE sling tied to the dura (VA transposition: the VA
    moved superolaterally and the sling sutured to the petrous dura, Masuoka J et al.,
    Neurosurg Rev 2011; sling cut from 0.3 mm sheet, Tanaka Y et al., Neurol Med Chir 2013).

    The band holds the vessel's nodes under it ``distance_mm`` from where they lay, away
    from CN VII and toward the anchor (:func:`mvd_sim.surgery.transpose.place_slings`).

    Attributes
    ----------
    id : str, optional
        Name in reports (default ``sling1``, ``sling2`` in order).
    vessel : str
        The vessel (an artery: a vein is divided, not slung).
    vessel_s_mm : float, optional
        Centre of the band along the vessel; default where the vessel comes closest to
        CN VII.
    distance_mm : float
        How far the band moves the vessel, 1-10 mm; default 4. *estimate*: VA displaced
        3-8 mm off the REZ (facts file 9.3, no published number).
    width_mm : float
        Width of the band along the vessel, 1-6 mm; default 3. *estimate*: strip 2-4 mm wide
        x 15-25 mm long (facts file 9.3).
    anchor : ``"petrous"`` or ``"tentorium"``
        The dura the sling is sutured to; default the petrous dura.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")] | None = None
    vessel: str
    vessel_s_mm: Mm | None = Field(default=None, ge=0.0, le=200.0)
    distance_mm: Mm = Field(default=4.0, ge=1.0, le=10.0)
    width_mm: Mm = Field(default=3.0, ge=1.0, le=6.0)
    anchor: Literal["petrous", "tentorium"] = "petrous"


#: Sides of CN VII a mass or a nidus can lie on (projected into the nerve's normal plane).
LESION_SIDES = ("anterior", "posterior", "rostral", "caudal", "lateral", "medial")
LesionId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")]
SemiAxes = Annotated[list[Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0.5,
                                                 le=MAX_MASS_SEMI_AXIS_MM)]],
                     Field(min_length=3, max_length=3)]
#: A unit vector's components.
_AxisRow = Annotated[list[Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1.0,
                                                 le=1.0)]], Field(min_length=3, max_length=3)]
#: How far (in each entry of ``axes @ axes.T - I``) given axes may be from a rotation.
AXES_TOLERANCE = 1e-3


class LesionEllipsoid(_Strict):
    """A lesion's solid given explicitly, in place of its placement in clinical terms (a case
    brought in by ``mvd-sim import``: the lesion as imaged). Scene frame (origin at the RExP,
    x = patient's right, y anterior, z rostral), mm.

    Attributes
    ----------
    centre_mm : (3,) float
    semi_axes_mm : (3,) float
        Over 0.5 and at most 15 mm each.
    axes : (3, 3) float
        Rows: the unit directions of the semi-axes, a rotation (orthonormal within
        :data:`AXES_TOLERANCE`, right-handed); re-orthonormalised when built.
    """

    centre_mm: Point
    semi_axes_mm: SemiAxes
    axes: Annotated[list[_AxisRow], Field(min_length=3, max_length=3)]

    @model_validator(mode="after")
    def _rotation(self) -> LesionEllipsoid:
        axes = np.asarray(self.axes, dtype=float)
        if np.abs(axes @ axes.T - np.eye(3)).max() > AXES_TOLERANCE or np.linalg.det(axes) <= 0:
            raise ValueError("axes: the rows must be orthonormal unit vectors in right-handed "
                             "order (a rotation)")
        return self


def _explicit_or_placed(spec: BaseModel, placement: tuple[str, ...], what: str) -> None:
    """An ``ellipsoid`` and the placement fields (attribute names) are exclusive: with it,
    each of them must keep its default (a full dump, defaults written out, reads back)."""
    fields_ = type(spec).model_fields
    given = [f for f in placement if getattr(spec, f) != fields_[f].default]
    if getattr(spec, "ellipsoid") is not None and given:
        names = [fields_[f].alias or f for f in given]
        raise ValueError(f"ellipsoid gives the {what}'s geometry; leave out "
                         f"{', '.join(names)}")


class MassSpec(_Strict):
    """A cerebellopontine-angle mass (secondary hemifacial spasm), placed in clinical terms.

    The mass is a solid ellipsoid beside CN VII: centred at the arc length its ``origin``
    names (:data:`~mvd_sim.core.constants.MASS_ORIGIN_FRACTION`, an *estimate*: against the
    porus, mid-cistern, against the brainstem; moved inward to lie between the nerve's
    anchors where it fits), on the side
    ``from`` of the nerve, so that it occupies ``displacement_mm`` of the nerve's rest course;
    CN VII, CN VIII and any vessel in its way are displaced round it
    (:func:`mvd_sim.anatomy.lesions.drape`).

    Attributes
    ----------
    id : str
    kind : ``schwannoma``, ``meningioma``, ``epidermoid`` or ``lipoma``
    origin : ``porus`` (default), ``petrous`` or ``brainstem``
    semi_axes_mm : (3,) float, optional
        Along CN VII, across it toward the nerve, and the third (mm, 0.5-15); default the
        kind's :data:`~mvd_sim.core.constants.MASS_DEFAULT_SEMI_AXES_MM` (*estimates*).
    from_side : str
        Side of CN VII the mass lies on (YAML key ``from``); default ``posterior`` (a
        vestibular schwannoma arises from CN VIII, behind VII, and pushes VII forward).
    displacement_mm : float
        How far the mass displaces CN VII from its rest course, 0-10 mm, at most the mass'
        thickness across the nerve; default
        :data:`~mvd_sim.core.constants.MASS_DEFAULT_DISPLACEMENT_MM` (*estimate*).
    ellipsoid : LesionEllipsoid, optional
        The mass as imaged, in place of ``origin``, ``from``, ``semi_axes_mm`` and
        ``displacement_mm``. In a segmented case (``anatomy.segmented``) the nerves and
        vessels round it already lie as imaged, so nothing is draped round it; elsewhere
        they are, as round a placed mass.
    """

    id: LesionId
    kind: Literal[MASS_KINDS]
    origin: Literal[MASS_ORIGINS] = "porus"
    semi_axes_mm: SemiAxes | None = None
    from_side: Literal[LESION_SIDES] = Field(default="posterior", alias="from")
    displacement_mm: Mm | None = Field(default=None, ge=0.0, le=10.0)
    ellipsoid: LesionEllipsoid | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _fits(self) -> MassSpec:
        _explicit_or_placed(self, ("origin", "from_side", "semi_axes_mm", "displacement_mm"),
                            "mass")
        across = 2.0 * self.axes[1]
        if self.displacement_mm is not None and self.displacement_mm > across:
            raise ValueError(f"displacement_mm: {self.displacement_mm:g} mm is more than the "
                             f"mass' thickness across the nerve ({across:g} mm)")
        return self

    @property
    def axes(self) -> tuple[float, float, float]:
        """Semi-axes (mm) with the kind's default filled in (an explicit ellipsoid's)."""
        if self.ellipsoid is not None:
            return tuple(self.ellipsoid.semi_axes_mm)
        return tuple(self.semi_axes_mm or MASS_DEFAULT_SEMI_AXES_MM[self.kind])


class AneurysmSpec(_Strict):
    """A saccular aneurysm on a vessel: a neck on the vessel ``vessel_s_mm`` along it and a
    dome (a sphere) pointing toward CN VII's nearest point (or CN VIII's).

    Attributes
    ----------
    id : str
    vessel : str
        The parent vessel (an artery).
    vessel_s_mm : float
        Where along the vessel (mm from its start) the neck sits.
    dome_mm : float
        Dome diameter, 1-15 mm; default 4 (*estimate*; one VA case measured 12 x 8 x 6 mm).
    neck_mm : float
        Neck diameter, at most the dome's; default 2 (*estimate*).
    toward : ``CN7`` or ``CN8``
        The nerve the dome points at.
    ellipsoid : LesionEllipsoid, optional
        The dome as imaged, in place of ``vessel_s_mm``, ``dome_mm``, ``neck_mm`` and
        ``toward`` (one of ``vessel_s_mm`` and ``ellipsoid`` is required); it stays on
        ``vessel``.
    """

    id: LesionId
    vessel: str
    vessel_s_mm: Mm | None = Field(default=None, ge=0.0, le=200.0)
    dome_mm: Mm = Field(default=4.0, ge=1.0, le=MAX_ANEURYSM_DOME_MM)
    neck_mm: Mm = Field(default=2.0, ge=0.5, le=MAX_ANEURYSM_DOME_MM)
    toward: Literal[NERVES] = "CN7"
    ellipsoid: LesionEllipsoid | None = None

    @model_validator(mode="after")
    def _neck_fits(self) -> AneurysmSpec:
        _explicit_or_placed(self, ("vessel_s_mm", "dome_mm", "neck_mm", "toward"), "dome")
        if self.vessel_s_mm is None and self.ellipsoid is None:
            raise ValueError("give vessel_s_mm (where on the vessel the neck sits) or "
                             "ellipsoid (the dome as imaged)")
        if self.neck_mm > self.dome_mm:
            raise ValueError(f"neck_mm ({self.neck_mm:g}) is wider than dome_mm "
                             f"({self.dome_mm:g}): a saccular aneurysm's neck is narrower")
        return self


class AvmSpec(_Strict):
    """An arteriovenous malformation's nidus (a tangle, modelled as a solid ellipsoid) beside
    CN VII, with the scenario's vessels that feed and drain it.

    Attributes
    ----------
    id : str
    segment : ``RExP``, ``AS``, ``RDP`` or ``CP``
        Where on CN VII it lies (the segment's centre); default ``RExP``.
    from_side : str
        Side of CN VII (YAML key ``from``); default ``caudal``.
    semi_axes_mm : (3,) float, optional
        Along CN VII, across it, the third; default
        :data:`~mvd_sim.core.constants.AVM_DEFAULT_SEMI_AXES_MM` (*estimate*).
    indentation_mm : float
        How deep the nidus presses into CN VII, 0-1.5 mm; default 0.3.
    feeders, drainers : list[str]
        Ids of the scenario's vessels feeding it (arteries) and draining it (veins).
    ellipsoid : LesionEllipsoid, optional
        The nidus as imaged, in place of ``segment``, ``from``, ``semi_axes_mm`` and
        ``indentation_mm``.
    """

    id: LesionId
    segment: Literal["RExP", "AS", "RDP", "CP"] = "RExP"
    from_side: Literal[LESION_SIDES] = Field(default="caudal", alias="from")
    semi_axes_mm: SemiAxes | None = None
    indentation_mm: Mm = Field(default=0.3, ge=0.0, le=1.5)
    feeders: Annotated[list[str], Field(min_length=1, max_length=4)]
    drainers: Annotated[list[str], Field(min_length=1, max_length=4)]
    ellipsoid: LesionEllipsoid | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _placed_once(self) -> AvmSpec:
        _explicit_or_placed(self, ("segment", "from_side", "semi_axes_mm", "indentation_mm"),
                            "nidus")
        return self

    @property
    def axes(self) -> tuple[float, float, float]:
        """Semi-axes (mm) with the default filled in (an explicit ellipsoid's)."""
        if self.ellipsoid is not None:
            return tuple(self.ellipsoid.semi_axes_mm)
        return tuple(self.semi_axes_mm or AVM_DEFAULT_SEMI_AXES_MM)


class BandSpec(_Strict):
    """An arachnoid band tethering a vessel to CN VII: a spring from the vessel's point
    ``vessel_s_mm`` along it to the nerve's point nearest it, of stiffness
    ``stiffness_n_per_mm`` (*estimate*, :data:`~mvd_sim.core.constants.BAND_STIFFNESS_N_PER_MM`),
    which holds the vessel on the nerve against a pad: the surgeon divides it first
    (El Refaee E et al., Acta Neurochir 2019).
    """

    id: LesionId
    vessel: str
    vessel_s_mm: Mm = Field(ge=0.0, le=200.0)
    stiffness_n_per_mm: Mm | None = Field(default=None, gt=0.0, le=10.0)


class FindingContact(_Strict):
    """One contact a surgeon would find."""

    vessel: str
    nerve: Literal[NERVES] = "CN7"
    segment: Literal["RExP", "AS", "RDP", "CP"]
    severity: Literal["mild", "moderate", "severe"]


class FindingsSpec(_Strict):
    """What a surgeon would find; the contact engine is tested against it."""

    pattern: Literal["none", "single", "double", "multivessel", "secondary"]
    contacts: list[FindingContact] = Field(default_factory=list)
    vessel_contacts: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = \
        Field(default_factory=list)


class ScenarioSpec(_Strict):
    """A whole scenario (see the module docstring for an example)."""

    schema_version: Literal[1]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(min_length=1, max_length=4000)]
    side: Literal["left", "right"]
    anatomy: AnatomySpec = Field(default_factory=AnatomySpec)
    vessels: Annotated[list[VesselSpec], Field(max_length=20)] = Field(default_factory=list)
    findings: FindingsSpec | None = None
    mechanics: MechanicsOverrides = Field(default_factory=lambda: MechanicsOverrides())
    sponges: Annotated[list[SpongeSpec], Field(max_length=8)] = Field(default_factory=list)
    transpositions: Annotated[list[TranspositionSpec], Field(max_length=2)] = \
        Field(default_factory=list)
    divided: Annotated[list[str], Field(max_length=20)] = Field(default_factory=list)
    masses: Annotated[list[MassSpec], Field(max_length=2)] = Field(default_factory=list)
    aneurysms: Annotated[list[AneurysmSpec], Field(max_length=2)] = Field(default_factory=list)
    avms: Annotated[list[AvmSpec], Field(max_length=1)] = Field(default_factory=list)
    bands: Annotated[list[BandSpec], Field(max_length=4)] = Field(default_factory=list)
    cut_bands: Annotated[list[str], Field(max_length=4)] = Field(default_factory=list)

    @property
    def lesion_ids(self) -> list[str]:
        """Ids of the masses, aneurysms and AVM nidi, in that order."""
        return [x.id for x in (*self.masses, *self.aneurysms, *self.avms)]

    @field_validator("vessels")
    @classmethod
    def _unique_ids(cls, vessels: list[VesselSpec]) -> list[VesselSpec]:
        seen: set[str] = set()
        for v in vessels:
            key = v.id.lower()
            if key in seen:
                raise ValueError(f"duplicate vessel id {v.id!r} (ids differ in more than "
                                 "letter case: each names a mesh file)")
            if key in _RESERVED_IDS or _DEFAULT_SPONGE_ID.fullmatch(key):
                raise ValueError(f"vessel id {v.id!r} is reserved for "
                                 f"{_RESERVED_IDS.get(key, 'a pad')}")
            seen.add(key)
        return vessels

    @model_validator(mode="after")
    def _targets_exist(self) -> ScenarioSpec:
        ids = {v.id for v in self.vessels}
        for k, v in enumerate(self.vessels):
            for j, c in enumerate(v.compresses):
                if c.target not in NERVES and c.target not in ids:
                    raise ValueError(f"vessels[{k}].compresses[{j}].target: unknown target "
                                     f"{c.target!r} (expected CN7, CN8 or a vessel id)")
                if c.target == v.id:
                    raise ValueError(f"vessels[{k}].compresses[{j}].target: a vessel cannot "
                                     "compress itself")
        types = {v.id: v.type for v in self.vessels}
        check_divided(types, self.divided, error=ValueError)
        check_sponges(list(types), self.sponges, error=ValueError, divided=self.divided)
        check_transpositions(types, self.transpositions, error=ValueError)
        total = sum(v.course_mm for v in self.vessels)
        if total > MAX_TOTAL_COURSE_MM:
            raise ValueError(f"vessels: the courses given by points_mm add up to {total:.0f} mm;"
                             f" at most {MAX_TOTAL_COURSE_MM:g} mm in all is accepted")
        _check_lesions(self, types)
        if self.findings is not None:
            for c in self.findings.contacts:
                if c.vessel not in ids and c.vessel not in self.lesion_ids:
                    raise ValueError(f"findings.contacts: unknown vessel {c.vessel!r}")
            for pair in self.findings.vessel_contacts:
                for vessel in pair:
                    if vessel not in ids:
                        raise ValueError(f"findings.vessel_contacts: unknown vessel {vessel!r}")
        return self


def _check_lesions(spec: ScenarioSpec, types: Mapping[str, str]) -> None:
    """Lesions and bands name the case's vessels (arteries for an aneurysm, veins to drain an
    AVM), and their ids are their own (ValueError otherwise)."""
    taken = dict(_RESERVED_IDS)
    taken.update({v.lower(): f"vessel {v!r}" for v in types})
    lesions = [("masses", m) for m in spec.masses] + [("aneurysms", a) for a in spec.aneurysms] \
        + [("avms", a) for a in spec.avms] + [("bands", b) for b in spec.bands]
    for field, item in lesions:
        if item.id.lower() in taken:
            raise ValueError(f"{field}: id {item.id!r} is already taken by "
                             f"{taken[item.id.lower()]}")
        taken[item.id.lower()] = f"{field[:-1]} {item.id!r}"
    for k, item in enumerate(spec.aneurysms):
        _check_vessel(item.vessel, list(types), f"aneurysms[{k}]", ValueError)
        if types[item.vessel] == "vein":
            raise ValueError(f"aneurysms[{k}]: vessel {item.vessel!r} is a vein; an aneurysm "
                             "arises on an artery")
    for k, item in enumerate(spec.bands):
        _check_vessel(item.vessel, list(types), f"bands[{k}]", ValueError)
    bands = [b.id for b in spec.bands]
    for k, band in enumerate(spec.cut_bands):
        if band not in bands:
            raise ValueError(f"cut_bands[{k}]: {band!r} is not one of the case's arachnoid "
                             f"bands ({', '.join(bands) or 'none'})")
        if band in spec.cut_bands[:k]:
            raise ValueError(f"cut_bands[{k}]: {band!r} is already cut")
    for k, item in enumerate(spec.avms):
        for vessel in item.feeders:
            _check_vessel(vessel, list(types), f"avms[{k}].feeders", ValueError)
            if types[vessel] == "vein":
                raise ValueError(f"avms[{k}].feeders: {vessel!r} is a vein; arteries feed a "
                                 "nidus")
        for vessel in item.drainers:
            _check_vessel(vessel, list(types), f"avms[{k}].drainers", ValueError)
            if types[vessel] != "vein":
                raise ValueError(f"avms[{k}].drainers: {vessel!r} is an artery; veins drain "
                                 "a nidus")


def _check_vessel(vessel: str, vessel_ids: Collection[str], label: str,
                  error: type[Exception]) -> None:
    if vessel not in vessel_ids:
        known = ", ".join(vessel_ids) or "none"
        raise error(f"{label}: vessel {vessel!r} is not one of the case's vessels ({known})")


def check_sponges(vessel_ids: Collection[str], sponges: Sequence[SpongeSpec],
                  labels: Sequence[str] | None = None,
                  error: type[Exception] = ScenarioError,
                  divided: Collection[str] = ()) -> None:
    """Check pads against their case's vessels: each names one of them (if any) that is not
    ``divided``, and each pad's id is its own (not a vessel's, a nerve's, the brainstem's or
    another pad's, in any letter case: every structure's id names its mesh file).

    ``labels`` says where each pad came from (default ``sponges[k]``; the CLI passes
    ``--sponge 's=5,d=2'``), so the one-line ``error`` names the option or field at fault.
    """
    labels = labels or [f"sponges[{k}]" for k in range(len(sponges))]
    taken = dict(_RESERVED_IDS)
    taken.update({v.lower(): f"vessel {v!r}" for v in vessel_ids})
    for k, (sponge, label) in enumerate(zip(sponges, labels)):
        if sponge.vessel is not None:
            _check_vessel(sponge.vessel, vessel_ids, label, error)
            if sponge.vessel in divided:
                raise error(f"{label}: vessel {sponge.vessel!r} is divided: no pad can hold "
                            "it off")
        name = sponge.id or f"sponge{k + 1}"
        if name.lower() in taken:
            raise error(f"{label}: id {name!r} is already taken by {taken[name.lower()]}")
        taken[name.lower()] = f"pad {name!r}"


def check_transpositions(vessel_types: Mapping[str, str],
                         transpositions: Sequence[TranspositionSpec],
                         labels: Sequence[str] | None = None,
                         error: type[Exception] = ScenarioError) -> None:
    """Check transpositions against their case's vessels (id to type): each names one of
    them, and not a vein (a vein is coagulated and divided, not slung); ids are unique.

    ``labels`` says where each came from (default ``transpositions[k]``; the CLI passes
    ``--transpose 'va,distance=5'``), so the one-line ``error`` names the option or field.
    """
    labels = labels or [f"transpositions[{k}]" for k in range(len(transpositions))]
    names: set[str] = set()
    for k, (spec, label) in enumerate(zip(transpositions, labels)):
        _check_vessel(spec.vessel, list(vessel_types), label, error)
        if vessel_types[spec.vessel] == "vein":
            raise error(f"{label}: vessel {spec.vessel!r} is a vein: a vein is coagulated and "
                        "divided, not slung")
        name = (spec.id or f"sling{k + 1}").lower()
        if name in names:
            raise error(f"{label}: id {spec.id or name!r} is already taken by another sling")
        names.add(name)


def check_divided(vessel_types: Mapping[str, str], divided: Sequence[str],
                  labels: Sequence[str] | None = None,
                  error: type[Exception] = ScenarioError) -> None:
    """Check the vessels to coagulate and divide (ids) against their case's vessels (id to
    type): each is one of them, a vein, named once.

    ``labels`` says where each came from (default ``divided[k]``; the CLI passes
    ``--divide 'vein'``), so the one-line ``error`` names the option or field.
    """
    labels = labels or [f"divided[{k}]" for k in range(len(divided))]
    for k, (vessel, label) in enumerate(zip(divided, labels)):
        _check_vessel(vessel, list(vessel_types), label, error)
        if vessel_types[vessel] != "vein":
            raise error(f"{label}: {vessel!r} is an artery ({vessel_types[vessel]}): only a "
                        "vein may be coagulated and divided")
        if vessel in divided[:k]:
            raise error(f"{label}: {vessel!r} is already divided")


def parse_scenario(data: object, source: str = "<scenario>") -> ScenarioSpec:
    """Validate a mapping (already parsed YAML) into a :class:`ScenarioSpec`.

    Raises
    ------
    ScenarioError
        One line: ``"{source}: {field}: {reason}"``.
    """
    return validate_document(ScenarioSpec, data, source, "scenario")


_SPONGE_KEYS = {"s": "s_mm", "d": "diameter_mm", "diameter": "diameter_mm",
                "length": "length_mm", "vessel_s": "vessel_s_mm"}
_TRANSPOSE_KEYS = {"s": "vessel_s_mm", "vessel_s": "vessel_s_mm", "distance": "distance_mm",
                   "width": "width_mm"}


def _key_values(text: str, source: str, short: Mapping[str, str],
                bare: str | None = None) -> dict[str, object]:
    """``key=value`` pairs separated by commas, as a mapping of fields (``short`` names
    mapped to fields; ``*_mm`` values as numbers); a first item without ``=`` is the value
    of the field ``bare``, where given.

    Raises
    ------
    ScenarioError
        One line naming the option, the field and the reason.
    """
    data: dict[str, object] = {}
    items = [part.strip() for part in text.split(",")]
    if bare is not None and items and items[0] and "=" not in items[0]:
        data[bare] = items.pop(0)
    for item in filter(None, items):
        key, sep, value = item.partition("=")
        key = short.get(key.strip(), key.strip())
        if not sep or not value.strip():
            raise ScenarioError(f"{source} {text!r}: expected key=value, got {item!r}")
        if key in data:
            raise ScenarioError(f"{source} {text!r}: {key} given twice")
        if key.endswith("_mm"):
            try:
                data[key] = float(value)
            except ValueError:
                raise ScenarioError(f"{source} {text!r}: {key}: not a number "
                                    f"({value.strip()!r})") from None
        else:
            data[key] = value.strip()
    return data


def parse_sponge(text: str, source: str = "--sponge") -> SpongeSpec:
    """A sponge from ``key=value`` pairs separated by commas (the CLI's ``--sponge``).

    Keys are :class:`SpongeSpec` fields, or the short forms ``s`` (``s_mm``), ``d`` /
    ``diameter`` (``diameter_mm``), ``length`` and ``vessel_s``; ``*_mm`` values are numbers.

    Examples
    --------
    >>> parse_sponge("s=5,d=2,vessel=aica").diameter_mm
    2.0
    >>> parse_sponge("vessel_s=12,d=2,vessel=aica,seat=brainstem").seat
    'brainstem'

    Raises
    ------
    ScenarioError
        One line naming the option, the field and the reason.
    """
    data = _key_values(text, source, _SPONGE_KEYS)
    try:
        return SpongeSpec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(f"{source} {text!r}: {one_line(err)}") from None


def parse_transposition(text: str, source: str = "--transpose") -> TranspositionSpec:
    """A transposition from the vessel's id then ``key=value`` pairs, separated by commas
    (the CLI's ``--transpose VESSEL[,s=MM][,distance=MM][,width=MM][,anchor=...]``).

    Keys are :class:`TranspositionSpec` fields, or the short forms ``s`` / ``vessel_s``
    (``vessel_s_mm``), ``distance`` and ``width``; ``*_mm`` values are numbers.

    Examples
    --------
    >>> parse_transposition("va,distance=5,anchor=tentorium").distance_mm
    5.0

    Raises
    ------
    ScenarioError
        One line naming the option, the field and the reason.
    """
    data = _key_values(text, source, _TRANSPOSE_KEYS, bare="vessel")
    try:
        return TranspositionSpec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(f"{source} {text!r}: {one_line(err)}") from None


def materials_of(spec: ScenarioSpec) -> Materials:
    """The scenario's materials: the defaults with its ``mechanics`` overrides.

    Raises
    ------
    ScenarioError
        If the overrides are inconsistent (e.g. a Poisson ratio above 0.5).
    """
    try:
        return Materials(**spec.mechanics.model_dump(exclude_none=True))
    except ValueError as err:
        raise ScenarioError(f"mechanics: {err}") from None


def case_fingerprint(spec: ScenarioSpec) -> str:
    """SHA-256 (hex) of what makes a case's anatomy and mechanics: its side, anatomy
    overrides, vessels and mechanics overrides; not its title, description, findings or
    pads. A plan records it, so it is never applied to another case with the same name."""
    # the lesions and bands only where a case has them, so older cases keep their prints
    lesions = {k for k in ("masses", "aneurysms", "avms", "bands") if getattr(spec, k)}
    anatomy = spec.model_dump(mode="json", by_alias=True,
                              include={"side", "anatomy", "vessels", "mechanics", *lesions})
    for key in ("masses", "aneurysms", "avms"):   # an explicit ellipsoid only where given
        for item in anatomy.get(key, []):
            if item.get("ellipsoid", 0) is None:
                del item["ellipsoid"]
    text = json.dumps(anatomy, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
