"""The contact engine: where, how deep and how severe each vessel compresses the nerves.

``analyze(scene)`` returns a :class:`ContactReport`: every separate contact region of every
vessel with CN VII and CN VIII, vessel-vessel contacts, vessels touching a lesion
(``lesion_contacts``), vessels at risk (near misses), the culprits ordered by severity and
the case's pattern. The report is a pydantic model, so its
JSON form and JSON Schema come from one definition (``schema_version`` 1).

Method (tube path)
------------------
1. All vessel segments of the scene go into one k-d tree over their midpoints (built once
   per scene); each nerve's candidate pairs come from one query against it, pruned by a
   distance bound, and every surviving pair's minimum surface gap is solved exactly,
   tapering radii included (:meth:`~mvd_sim.core.geometry.closest.SegmentSet.near_pairs`).
2. Pairs within the near-miss margin are grouped into regions: runs along each vessel whose
   segments are at most two apart, so a vessel looping back to the nerve gives two regions.
3. Each region's deepest point is its pair of least gap (exact).
4. The patch: the nerve surface over the segments whose pairs touch is sampled on rings
   (0.1 mm x 36) and the signed distance of each sample to the vessel's surface is taken;
   the parts of each ring within the contact threshold (interpolated between samples) make
   the patch's area, the rings that have any its arc-length interval.
5. The deviation: the nerve's largest displacement from its rest course under the patch and
   at the deepest point, where it points away from the vessel (a neighbour's deviation
   beside the contact is not this vessel's).

Structures given only as triangle meshes (imported geometry) take the mesh path: steps 1-3 are
replaced by the same ring sampling along the whole nerve, with signed distances to the mesh
(VTK), so every field is reported the same way, to within the mesh's resolution.

All lengths in mm in the scene frame; arc lengths ``s`` on a nerve are measured from the RExP
along its rest course, so they name the same anatomy whether or not the nerve is deviated.
"""

from __future__ import annotations

import collections
import functools
import weakref
from typing import Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from mvd_sim.anatomy.landmarks import SEGMENTS, NerveLandmarks
from mvd_sim.core.constants import CAUSES, VESSEL_PARENT
from mvd_sim.core.geometry.closest import SegmentSet
from mvd_sim.core.geometry.rings import ring_angles
from mvd_sim.core.approach import SIDES, angle_of_cosine_deg
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SEVERITIES, SeverityThresholds, pattern_of, \
    severity
from mvd_sim.contact.causes import (SECONDARY_CAUSES, LesionSurface,
                                   lesion_vessel_touches, vessel_cause)
from mvd_sim.contact.describe_kernels import describe_contact
from mvd_sim.contact.mesh_path import MeshSurface, mesh_regions, mesh_vessel_contacts
from mvd_sim.contact.patch_kernels import patch_area, tube_patch
from mvd_sim.contact.nerve_kernels import nerve_findings
from mvd_sim.contact.region_kernels import nerve_regions, vessel_contact_rows
from mvd_sim.contact.regions import (PATCH_RING_SPACING_MM, PATCH_SAMPLES_AROUND, Region,
                                     TubeSurface, VesselSurface)
from mvd_sim.core.tube import Tube
from mvd_sim.scene.scene import Scene

__all__ = ["REPORT_SCHEMA", "REPORT_SCHEMA_VERSION", "Contact", "VesselContact",
           "LesionContact", "VesselAtRisk", "Culprit", "ContactReport", "analyze",
           "PATCH_MARGIN_MM", "patch_severity"]

REPORT_SCHEMA = "mvd-sim/contact-report"
REPORT_SCHEMA_VERSION = 1
Vec3 = tuple[float, float, float]

class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_M = TypeVar("_M", bound=_Model)


class Contact(_Model):
    """One contact region between a vessel and a nerve.

    Lengths in mm, areas in mm^2, angles in degrees, points in the scene frame. ``s`` values
    are arc lengths on the nerve's rest course from its root exit point.
    """

    vessel: str
    vessel_type: str
    nerve: Literal["CN7", "CN8"]
    segment: Literal["RExP", "AS", "RDP", "CP"]
    in_rez: bool
    central_myelin: bool
    s_start_mm: float
    s_end_mm: float
    s_centre_mm: float
    s_deepest_mm: float
    min_separation_mm: float
    indentation_mm: float
    deviation_mm: float
    patch_area_mm2: float
    crossing_angle_deg: float
    side: str
    nerve_point_mm: Vec3
    vessel_point_mm: Vec3
    severity: Literal["mild", "moderate", "severe"]
    cause: Literal[CAUSES] = "vascular"


class VesselContact(_Model):
    """Two vessels touching (e.g. a VA pushing the PICA into the nerve)."""

    vessel_a: str
    vessel_b: str
    min_separation_mm: float
    point_a_mm: Vec3
    point_b_mm: Vec3


class LesionContact(_Model):
    """A vessel touching a lesion: a mass displacing it (``displacement_mm``: how far the
    mass moved its course, as built), a vessel against an aneurysm's dome or an AVM's nidus
    (its feeders and drainers have their ``role``). An aneurysm's own vessel, which its dome
    sits on, is not listed."""

    lesion: str
    lesion_kind: str
    cause: Literal["tumour", "aneurysm", "avm"]
    vessel: str
    vessel_type: str
    role: Literal["feeder", "drainer"] | None = None
    displacement_mm: float | None = None
    min_separation_mm: float
    point_lesion_mm: Vec3
    point_vessel_mm: Vec3


class VesselAtRisk(_Model):
    """A vessel within the near-miss margin of a nerve without touching it."""

    vessel: str
    vessel_type: str
    nerve: Literal["CN7", "CN8"]
    min_separation_mm: float
    s_mm: float
    segment: Literal["RExP", "AS", "RDP", "CP"]


class Culprit(_Model):
    """A vessel to mobilise: it compresses CN VII, or pushes a vessel that does."""

    vessel: str
    vessel_type: str
    severity: Literal["mild", "moderate", "severe"] | None
    pushes: str | None = None


class ContactReport(_Model):
    """The contact engine's answer for one scene (JSON schema ``mvd-sim/contact-report``).

    ``causes`` lists what causes the CN VII contacts, worst contact first (``vascular``,
    ``dolichoectasia``, ``aneurysm``, ``tumour``, ``avm``; ``dolichoectasia`` too where a
    dolichoectatic VA or BA pushes a culprit, and ``arachnoid_band`` where a band tethers a
    vessel touching CN VII); ``pattern`` is ``secondary`` where a tumour or an
    AVM's nidus touches CN VII (secondary hemifacial spasm).
    """

    schema_name: Literal["mvd-sim/contact-report"] = REPORT_SCHEMA
    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    scenario: str
    side: Literal["left", "right"]
    thresholds_mm: dict[str, float]
    #: Why the thresholds are not the defaults (an imaged case's; None: defaults or given).
    thresholds_basis: str | None = None
    #: An imaged case's fit uncertainty: RMS residual (mm) of each segmented structure's
    #: surface about its fit (brainstem, CN7, CN8, vessels); None for any other case.
    fit_rms_mm: dict[str, float] | None = None
    pattern: Literal["none", "single", "double", "multivessel", "secondary"]
    culprits: list[Culprit]
    contacts: list[Contact]
    vessel_contacts: list[VesselContact]
    vessels_at_risk: list[VesselAtRisk]
    causes: list[Literal[CAUSES]] = []
    lesion_contacts: list[LesionContact] = []


#: Nerve surface this much (mm) beyond the contact threshold from a touching vessel, and within
#: this much of the contact's arc-length interval, is its *patch* (pictures and mesh labels).
PATCH_MARGIN_MM = 0.15


def patch_severity(scene: Scene, report: ContactReport, nerve: str, vertices: np.ndarray,
                   rest_s: np.ndarray) -> np.ndarray:
    """Which contact patch each point of a nerve's surface lies on, by severity.

    Parameters
    ----------
    scene : Scene
    report : ContactReport
        ``analyze(scene)``.
    nerve : ``"CN7"`` or ``"CN8"``
    vertices : (v, 3) float, mm
        Points on the nerve's surface (a mesh's vertices), scene frame.
    rest_s : (v,) float, mm
        Each point's arc length on the nerve's rest course.

    Returns
    -------
    (v,) int8
        0 off every patch, else ``1 + SEVERITIES.index(severity)`` (1 mild, 2 moderate,
        3 severe) of the contact whose patch it is on (the later contact where two overlap).
    """
    codes = np.zeros(len(vertices), dtype=np.int8)
    for contact in (c for c in report.contacts if c.nerve == nerve):
        surface = _surface_of(scene, contact.vessel)
        if surface is None:
            continue
        near = surface.signed_gap(vertices) <= \
            PATCH_MARGIN_MM + report.thresholds_mm["contact"]
        inside = (rest_s >= contact.s_start_mm - PATCH_MARGIN_MM) & \
            (rest_s <= contact.s_end_mm + PATCH_MARGIN_MM)
        codes[near & inside] = 1 + SEVERITIES.index(contact.severity)
    return codes


def _surface_of(scene: Scene, name: str) -> VesselSurface | None:
    """The tube vessel or the lesion of that id as a surface (None for neither)."""
    if name in scene.vessels:
        return TubeSurface.of(scene.vessels[name])
    if name in scene.lesions:
        return LesionSurface(scene.lesions[name])
    return None


def _rest_s(scene: Scene, nerve: str, placed_s: np.ndarray | float) -> np.ndarray:
    """Placed-course arc length to rest-course arc length (same material point)."""
    placed = scene.nerves[nerve]
    return np.interp(placed_s, placed.s, scene.rest_nerves[nerve].s)


def _arc_fraction(gap: np.ndarray, threshold: float) -> np.ndarray:
    """Fraction of each arc between neighbouring samples of a ring (k, n) that lies within
    ``threshold``, interpolating the gap linearly along the arc (sub-sample patch edges)."""
    following = np.concatenate([gap[:, 1:], gap[:, :1]], axis=1)
    low, high = np.minimum(gap, following), np.maximum(gap, following)
    crossing = (threshold - low) / np.where(high > low, high - low, 1.0)
    return np.where(high <= threshold, 1.0, np.where(low <= threshold, crossing, 0.0))


def _patch(placed: Tube, deepest: Region, contact_mm: float
           ) -> tuple[np.ndarray, np.ndarray, float]:
    """The contact patch on the nerve (as placed) over the region's span: its rings' arc
    lengths (mm), which of them have a sample within ``contact_mm`` of the vessel, and the
    patch's area (mm^2). A tube vessel's in one compiled loop
    (:func:`mvd_sim.contact.patch_kernels.tube_patch`, as
    :func:`mvd_sim.contact.nerve_kernels.nerve_findings` measures a report's), any other
    surface's by sampling the rings and asking it their gaps (:func:`_describe`): the same
    numbers."""
    surface = deepest.surface
    if isinstance(surface, TubeSurface):
        s, fraction, ring_area, touching = tube_patch(
            placed.s, placed.points, placed.radius, placed.segment_frames, *deepest.span,
            PATCH_RING_SPACING_MM, ring_angles(PATCH_SAMPLES_AROUND), surface.points,
            surface.radius, contact_mm)
    else:
        rings = placed.surface_samples(*deepest.span, PATCH_RING_SPACING_MM,
                                       PATCH_SAMPLES_AROUND)
        gap = surface.signed_gap(rings.points.reshape(-1, 3)).reshape(rings.points.shape[:2])
        s, fraction, ring_area = rings.s, _arc_fraction(gap, contact_mm), rings.area
        touching = (gap <= contact_mm).any(axis=1)
    return s, touching, patch_area(np.ascontiguousarray(fraction), ring_area)


@functools.lru_cache(maxsize=256)
def _landmark_bounds(landmarks: NerveLandmarks) -> np.ndarray:
    """``rexp_zone_end_mm``, ``rdp_mm``, ``rdp_zone_mm``, ``tz_start_mm`` as the description
    kernel takes them (read-only)."""
    bounds = np.array([landmarks.rexp_zone_end_mm, landmarks.rdp_mm, landmarks.rdp_zone_mm,
                       landmarks.tz_start_mm])
    bounds.flags.writeable = False
    return bounds


def _describe(scene: Scene, nerve: str, vessel: VesselSurface, deepest: Region,
              thresholds: SeverityThresholds, cause: str = "vascular") -> Contact:
    """Every reported field of a contact around its deepest point (``cause``: what the
    vessel or lesion is, :mod:`mvd_sim.contact.causes`); the numbers in one compiled call
    (:func:`mvd_sim.contact.describe_kernels.describe_contact`)."""
    placed, rest = scene.nerves[nerve], scene.rest_nerves[nerve]
    bounds = _landmark_bounds(scene.landmarks[nerve])
    # Python floats, not numpy scalars: the kernel's arguments are typed faster
    at = (tuple(deepest.nerve_centre.tolist()), tuple(deepest.vessel_centre.tolist()),
          tuple(deepest.vessel_axis.tolist()), deepest.gap, float(scene.lateral[0]))
    ring_s, touching, area = _patch(placed, deepest, thresholds.contact_mm)
    (s_deep, s_start, s_end, deviation, segment, central, side, cosine, nerve_point,
     vessel_point) = describe_contact(
        placed.s, placed.points, placed.radius, placed.tangents, rest.s, rest.points,
        bounds, deepest.placed_s, ring_s, touching, PATCH_RING_SPACING_MM, *at)
    return _contact(vessel.name, vessel.kind, nerve, float(deepest.gap),
                    (s_deep, s_start, s_end, deviation, float(area),
                     angle_of_cosine_deg(cosine)),
                    tuple(nerve_point), tuple(vessel_point), (segment, central, side),
                    thresholds, cause)


def _contact(vessel: str, kind: str, nerve: str, gap: float, numbers: list, nerve_point: Vec3,
             vessel_point: Vec3, codes: list, thresholds: SeverityThresholds,
             cause: str) -> Contact:
    """A contact's entry from its numbers (Python floats): ``numbers`` ``s_deep``,
    ``s_start``, ``s_end``, the deviation, the patch's area and the crossing angle (deg),
    ``codes`` the segment's and the side's indices and whether it is centrally
    myelinated (:func:`mvd_sim.contact.nerve_kernels.nerve_findings`). Our own numbers, of
    the fields' types: made without validating them again (:func:`_trusted`)."""
    s_deep, s_start, s_end, deviation, area, angle = numbers
    segment, central, side = codes
    indentation = max(0.0, -gap)
    return _trusted(Contact, {
        "vessel": vessel, "vessel_type": kind, "nerve": nerve, "segment": SEGMENTS[segment],
        "in_rez": segment < _CP, "central_myelin": bool(central), "s_start_mm": s_start,
        "s_end_mm": s_end, "s_centre_mm": 0.5 * (s_start + s_end), "s_deepest_mm": s_deep,
        "min_separation_mm": gap, "indentation_mm": indentation, "deviation_mm": deviation,
        "patch_area_mm2": area, "crossing_angle_deg": angle,
        "side": SIDES[side], "nerve_point_mm": nerve_point, "vessel_point_mm": vessel_point,
        "severity": severity(indentation, deviation, thresholds), "cause": cause})


#: The index of the cisternal portion in :data:`~mvd_sim.anatomy.landmarks.SEGMENTS` (the
#: segments before it are the root exit zone).
_CP = SEGMENTS.index("CP")


def _trusted(model: type[_M], fields: dict[str, object]) -> _M:
    """``model(**fields)`` without validation, for values this module computed and that
    already have the fields' types (Python ``str``, ``bool``, ``float``, tuples for
    points): what validating them would give, the same fields set, the same JSON, at a
    fraction of the cost. ``fields`` in the model's order (the JSON's); a field left out
    takes its default (none of them mutable). Input from outside goes through the model's
    validation."""
    made = object.__new__(model)
    defaults = _field_defaults(model)
    _set(made, "__dict__", fields if len(fields) == len(defaults) else {**defaults, **fields})
    _set(made, "__pydantic_fields_set__", set(fields))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


_set = object.__setattr__


@functools.cache
def _field_defaults(model: type[BaseModel]) -> dict[str, object]:
    """A model's fields in order, each with its default (for :func:`_trusted`)."""
    return {name: info.default for name, info in model.model_fields.items()}


#: The vessels' centerlines stacked for :func:`_nerve_regions`, kept per stack of their
#: segments (a scene's, built once): a scene's constants are made once, not per report.
_CENTERLINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _stacked_centerlines(segments: SegmentSet, vessels: list[Tube]
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The vessels' points, vertex tangents, arc lengths and radii stacked, and where each
    vessel's start (``(vessels + 1,)``), kept with ``segments``, their stacked segments."""
    found = _CENTERLINES.get(segments)
    if found is None or found[0] != [id(v) for v in vessels]:
        found = ([id(v) for v in vessels], (
            np.concatenate([v.points for v in vessels]),
            np.concatenate([v.tangents for v in vessels]),
            np.concatenate([v.s for v in vessels]),
            np.concatenate([v.radius for v in vessels]),
            np.cumsum([0] + [len(v.points) for v in vessels])))
        _CENTERLINES[segments] = found
    return found[1]


def _nerve_regions(nerve: Tube, vessels: list[Tube], segments: SegmentSet, margin: float,
                   contact_mm: float) -> list[list[Region]]:
    """Deepest point of every region where each vessel comes within ``margin`` of the nerve.

    ``segments`` stacks the vessels' segments (one k-d tree); returns regions per vessel.
    A region's span is the nerve segments whose pair gap is within ``contact_mm`` (where the
    patch can be), or its deepest pair's nerve segment when none is; its surface the
    vessel's points that can touch it (a nerve surface point within the threshold of a
    vessel segment makes that pair's gap within it too: only the touching pairs' vessel
    segments, and one either side, for the gap just outside, matter). One compiled call
    (:func:`mvd_sim.contact.region_kernels.nerve_regions`).
    """
    mine = nerve.segments
    points, tangents, s, _, start = _stacked_centerlines(segments, vessels)
    owner, numbers, keep = nerve_regions(
        mine.segments, mine.balls, mine.runs, mine.run_start, mine.arc0, mine.half,
        segments.segments, segments.balls, segments.runs, segments.run_start, segments.owner,
        segments.local, segments.arc0, segments.half, points, tangents, s, start,
        float(margin), float(contact_mm))
    out: list[list[Region]] = [[] for _ in vessels]
    for v, row, (start, stop) in zip(owner.tolist(), numbers, keep.tolist()):
        vessel = vessels[v]
        out[v].append(Region(
            placed_s=float(row[0]), gap=float(row[1]), nerve_centre=row[2:5],
            vessel_centre=row[5:8], vessel_axis=row[8:11],
            span=(float(row[11]), float(row[12])),
            surface=TubeSurface.of(vessel, slice(start, stop))))
    return out


def _related(kinds: tuple[str, ...]) -> frozenset[tuple[int, int]]:
    """For vessels of these kinds, the pairs ``(k, m)``, ``k < m``, of a branch and its
    trunk."""
    return frozenset((k, m) for k, one in enumerate(kinds) for m, two in enumerate(kinds)
                     if m > k and (VESSEL_PARENT.get(one) == two
                                   or VESSEL_PARENT.get(two) == one))


#: Per scene (its stacked vessel segments): the segment sets its vessel pairs are searched
#: between, stacked, which pairs of them are asked, and each asked pair's vessel pair.
_VESSEL_PAIRS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _vessel_pairs(scene: Scene, vessels: list[Tube]
                  ) -> tuple[SegmentSet, np.ndarray, np.ndarray]:
    """The segment sets between which :func:`_vessel_contacts` searches each pair of vessels
    ``k < m``, stacked (every vessel's, then the branches' from beyond their junctions,
    :attr:`~mvd_sim.scene.scene.Scene.branch_segments`), which pairs of them are asked
    ((sets, sets) bool), and for each pair of sets ``(a, b)`` the vessel pair
    ``k * vessels + m`` at ``a * sets + b`` (-1 where none). A scene's constants, made once."""
    found = _VESSEL_PAIRS.get(scene.vessel_segments)
    if found is not None and found[0] == [id(v) for v in vessels]:
        return found[1]
    related = _related(tuple(v.kind for v in vessels))
    sets = [v.segments for v in vessels]
    asked: dict[tuple[int, int], int] = {}
    for k, one in enumerate(vessels):
        for m, two in enumerate(vessels[k + 1:], k + 1):
            first, second = k, m
            if (k, m) in related:
                branch = (scene.branch_segments.get((one.name, two.name)),
                          scene.branch_segments.get((two.name, one.name)))
                if branch == (None, None):
                    continue  # the whole branch lies within its junction
                for end, found_set in enumerate(branch):
                    if found_set is not None:
                        sets.append(found_set)
                        first, second = (len(sets) - 1, second) if end == 0 else \
                            (first, len(sets) - 1)
            asked[(first, second)] = k * len(vessels) + m
    matrix = np.zeros((len(sets), len(sets)), dtype=bool)
    pair_of = np.full(len(sets) ** 2, -1, dtype=np.intp)
    for (first, second), key in asked.items():
        matrix[first, second] = True
        pair_of[first * len(sets) + second] = key
    made = (SegmentSet.stack(sets), matrix, pair_of)
    _VESSEL_PAIRS[scene.vessel_segments] = ([id(v) for v in vessels], made)
    return made


def _vessel_contacts(scene: Scene, thresholds: SeverityThresholds) -> list[VesselContact]:
    """Vessel-vessel contacts: per run of touching segment pairs along the first vessel (at
    most 2 apart), its pair of least gap. A branch is measured from beyond its junction with
    its trunk (:attr:`~mvd_sim.scene.scene.Scene.branch_segments`). Every pair of vessels is
    searched, and the runs' nearest pairs found, in one call (:func:`_vessel_pairs`,
    :func:`mvd_sim.contact.region_kernels.vessel_contact_rows`), which gives each touching
    segment of the first vessel its nearest pair only (the run's least gap is the least of
    theirs)."""
    vessels = list(scene.vessels.values())
    if not vessels:
        return []
    stack, asked, pair_of = _vessel_pairs(scene, vessels)
    key, gap, points = vessel_contact_rows(
        stack.segments, stack.balls, stack.runs, stack.run_start, stack.tube_runs, asked,
        pair_of, stack.local, float(thresholds.contact_mm))
    out = []
    for pair, least, row in zip(key.tolist(), gap.tolist(), points.tolist()):
        k, m = divmod(pair, len(vessels))
        out.append(_trusted(VesselContact, {
            "vessel_a": vessels[k].name, "vessel_b": vessels[m].name,
            "min_separation_mm": least, "point_a_mm": tuple(row[:3]),
            "point_b_mm": tuple(row[3:])}))
    return out


def _lesion_contacts(scene: Scene, contact_mm: float) -> list[LesionContact]:
    """Every tube vessel touching a lesion
    (:func:`~mvd_sim.contact.causes.lesion_vessel_touches`), but an aneurysm's own
    vessel."""
    out = []
    for lesion in scene.lesions.values():
        roles = {**{v: "feeder" for v in lesion.feeders},
                 **{v: "drainer" for v in lesion.drainers}}
        for vessel in scene.vessels.values():
            if vessel.name == lesion.vessel:
                continue
            for gap, on_lesion, on_vessel in lesion_vessel_touches(lesion, vessel, contact_mm):
                out.append(LesionContact(
                    lesion=lesion.name, lesion_kind=lesion.kind, cause=lesion.cause,
                    vessel=vessel.name, vessel_type=vessel.kind,
                    role=roles.get(vessel.name),
                    displacement_mm=lesion.displaced_mm.get(vessel.name),
                    min_separation_mm=gap,
                    point_lesion_mm=tuple(on_lesion), point_vessel_mm=tuple(on_vessel)))
    return out


def _culprits(contacts: list[Contact], vessel_contacts: list[VesselContact],
              kinds: dict[str, str]) -> list[Culprit]:
    """Vessels compressing CN VII (worst first), then vessels pushing one of them."""
    rank = _RANK
    worst: dict[str, Contact] = {}
    for c in contacts:
        if c.nerve == "CN7" and (c.vessel not in worst or
                                 (rank[c.severity], c.indentation_mm) >
                                 (rank[worst[c.vessel].severity], worst[c.vessel].indentation_mm)):
            worst[c.vessel] = c
    direct = sorted(worst.values(), key=lambda c: (-rank[c.severity], -c.indentation_mm,
                                                   c.min_separation_mm))
    culprits = [_trusted(Culprit, {"vessel": c.vessel, "vessel_type": c.vessel_type,
                                   "severity": c.severity}) for c in direct]
    named = {c.vessel for c in culprits}
    # worst culprit first, so a vessel pushing several is named for the worst one it pushes
    # (whatever the process's string hashing)
    touching: dict[str, list[str]] = {}   # each vessel's, in the order they are listed
    for vc in vessel_contacts:
        touching.setdefault(vc.vessel_b, []).append(vc.vessel_a)
        touching.setdefault(vc.vessel_a, []).append(vc.vessel_b)
    frontier = collections.deque(c.vessel for c in culprits)
    while frontier:  # vessels pushing a culprit, transitively
        pushed = frontier.popleft()
        for me in touching.get(pushed, ()):
            if me not in named:
                culprits.append(_trusted(Culprit, {"vessel": me, "vessel_type": kinds[me],
                                                   "severity": None, "pushes": pushed}))
                named.add(me)
                frontier.append(me)
    return culprits


#: Each severity's rank (worst last).
_RANK = {name: i for i, name in enumerate(SEVERITIES)}


def _order(contacts: list[Contact]) -> list[Contact]:
    """By nerve, then worst first (severity, indentation), then nearest, then along the
    nerve."""
    return sorted(contacts, key=lambda c: (c.nerve, -_RANK[c.severity], -c.indentation_mm,
                                           c.min_separation_mm, c.s_deepest_mm))


def analyze(scene: Scene,
            thresholds: SeverityThresholds = DEFAULT_THRESHOLDS) -> ContactReport:
    """Find and grade every neurovascular contact of a scene.

    Parameters
    ----------
    scene : Scene
        Its tube vessels take the exact tube path, its mesh vessels the mesh path.
    thresholds : SeverityThresholds, optional
        Contact, indentation, deviation and near-miss thresholds (mm).

    Returns
    -------
    ContactReport

    Examples
    --------
    >>> import mvd_sim
    >>> report = mvd_sim.analyze(mvd_sim.load_scene("aica_as_moderate_right"))
    >>> report.pattern, [(c.vessel, c.segment, c.severity) for c in report.contacts]
    ('single', [('aica', 'AS', 'moderate')])
    """
    contacts, at_risk = [], []
    vessels = list(scene.vessels.values())
    meshes = []
    if scene.mesh_vessels:
        meshes = [MeshSurface(m) for m in scene.mesh_vessels.values()]
    lesions = [LesionSurface(lesion) for lesion in scene.lesions.values()]
    for nerve_name, nerve in scene.nerves.items():
        if vessels:
            _tube_findings(scene, nerve_name, vessels, thresholds, contacts, at_risk)
        for surface in meshes:
            found = mesh_regions(nerve, surface, thresholds.near_miss_mm)
            _collect(scene, nerve_name, surface, found, thresholds, contacts, at_risk)
        for surface in lesions:
            found = mesh_regions(nerve, surface, thresholds.near_miss_mm)
            _collect(scene, nerve_name, surface, found, thresholds, contacts, at_risk,
                     surface.cause)
    vessel_contacts = _vessel_contacts(scene, thresholds)
    if meshes:
        tubes = [TubeSurface.of(v) for v in vessels]
        for a, b, gap, point in mesh_vessel_contacts(meshes, tubes, thresholds.contact_mm):
            vessel_contacts.append(VesselContact(
                vessel_a=a, vessel_b=b, min_separation_mm=gap, point_a_mm=tuple(point),
                point_b_mm=tuple(point)))
    kinds = {**{v.name: v.kind for v in scene.vessels.values()},
             **{m.name: m.kind for m in scene.mesh_vessels.values()},
             **{lesion.name: lesion.kind for lesion in scene.lesions.values()}}
    culprits = _culprits(contacts, vessel_contacts, kinds)
    ordered = _order(contacts)
    cn7 = [c for c in ordered if c.nerve == "CN7"]   # in order: the nerve is the first key
    causes = list(dict.fromkeys(c.cause for c in cn7))
    ectatic = [c.vessel for c in culprits if c.vessel in scene.vessels
               and vessel_cause(scene.vessels[c.vessel]) == "dolichoectasia"]
    if ectatic and "dolichoectasia" not in causes:
        causes.append("dolichoectasia")   # an ectatic VA pushing the culprit into CN VII
    if any(band.vessel in {c.vessel for c in cn7} for band in scene.bands):
        causes.append("arachnoid_band")   # a band tethers a vessel touching CN VII
    pattern = "secondary" if any(c in SECONDARY_CAUSES for c in causes) else \
        pattern_of(any(c.in_rez for c in cn7), any(not c.in_rez for c in cn7), len(culprits))
    return ContactReport(
        scenario=scene.name, side=scene.side,
        thresholds_mm={"contact": thresholds.contact_mm,
                       "indentation": thresholds.indentation_mm,
                       "deviation": thresholds.deviation_mm,
                       "near_miss": thresholds.near_miss_mm},
        thresholds_basis=thresholds.basis, fit_rms_mm=dict(thresholds.fit_rms_mm) or None,
        pattern=pattern, culprits=culprits,
        contacts=ordered, vessel_contacts=vessel_contacts, vessels_at_risk=at_risk,
        causes=causes, lesion_contacts=_lesion_contacts(scene, thresholds.contact_mm))


def _collect(scene: Scene, nerve: str, vessel: VesselSurface | Tube, regions: list[Region],
             thresholds: SeverityThresholds, contacts: list, at_risk: list,
             cause: str = "vascular") -> None:
    """Turn a vessel's (or a lesion's) regions on a nerve into contacts, or one
    vessel-at-risk entry."""
    touching = [d for d in regions if d.gap <= thresholds.contact_mm]
    contacts.extend(_describe(scene, nerve, vessel, d, thresholds, cause) for d in touching)
    if regions and not touching:
        nearest = min(regions, key=lambda d: d.gap)
        s = float(_rest_s(scene, nerve, nearest.placed_s))
        at_risk.append(VesselAtRisk(
            vessel=vessel.name, vessel_type=vessel.kind, nerve=nerve,
            min_separation_mm=nearest.gap, s_mm=s,
            segment=scene.landmarks[nerve].segment_at(s)))


def _tube_findings(scene: Scene, nerve: str, vessels: list[Tube],
                   thresholds: SeverityThresholds, contacts: list, at_risk: list) -> None:
    """The tube vessels' contacts with a nerve, and a vessel-at-risk entry for each vessel
    within the near-miss margin that touches it nowhere (its nearest region's): regions,
    patches and descriptions in one compiled call
    (:func:`mvd_sim.contact.nerve_kernels.nerve_findings`), the entries made from its
    numbers as :func:`_nerve_regions` and :func:`_describe` would make them."""
    placed, rest, segments = scene.nerves[nerve], scene.rest_nerves[nerve], \
        scene.nerves[nerve].segments
    stack = scene.vessel_segments
    owner, numbers, described, codes = nerve_findings(
        segments.segments, segments.balls, segments.runs, segments.run_start, segments.arc0,
        segments.half, stack.segments, stack.balls, stack.runs, stack.run_start, stack.owner,
        stack.local, stack.arc0, stack.half, *_stacked_centerlines(stack, vessels),
        placed.s, placed.points, placed.radius, placed.segment_frames, placed.tangents,
        rest.s, rest.points, _landmark_bounds(scene.landmarks[nerve]), PATCH_RING_SPACING_MM,
        ring_angles(PATCH_SAMPLES_AROUND), float(thresholds.near_miss_mm),
        float(thresholds.contact_mm), float(scene.lateral[0]))
    # the crossing angles at once: numpy's arccos gives each value as it does alone
    described[:, 5] = np.degrees(np.arccos(np.minimum(np.abs(described[:, 5]), 1.0)))
    gaps, rows, codes = numbers[:, 1].tolist(), described.tolist(), codes.tolist()
    nearest: dict[int, int] = {}   # per vessel out of contact, its first region of least gap
    touching: set[int] = set()
    contact_mm = thresholds.contact_mm
    for r, (v, gap, row) in enumerate(zip(owner.tolist(), gaps, rows)):
        if gap <= contact_mm:
            touching.add(v)
            vessel = vessels[v]
            contacts.append(_contact(vessel.name, vessel.kind, nerve, gap, row[:6],
                                     tuple(row[6:9]), tuple(row[9:12]), codes[r],
                                     thresholds, vessel_cause(vessel)))
        elif v not in nearest or gap < gaps[nearest[v]]:
            nearest[v] = r
    for v, r in nearest.items():
        if v not in touching:
            vessel = vessels[v]
            at_risk.append(_trusted(VesselAtRisk, {
                "vessel": vessel.name, "vessel_type": vessel.kind, "nerve": nerve,
                "min_separation_mm": gaps[r], "s_mm": rows[r][0],
                "segment": SEGMENTS[codes[r][0]]}))
