"""Build a :class:`~mvd_sim.scene.scene.Scene` from a validated scenario spec.

Everything is generated from parameters (no stored mesh): the brainstem from
:class:`~mvd_sim.core.constants.BrainstemParams`, the nerves from their parameters, each vessel
from its type's default course, its control points, or its clinical contacts, and the petrous
face through the porus at CN VII's end (:class:`~mvd_sim.anatomy.petrous.PetrousFace`), and
the context structures of the operative field (:mod:`mvd_sim.anatomy.context`), which no
vessel may pass through. The builder works in the canonical right-sided frame and mirrors
left cases (``x -> -x``) at the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from mvd_sim.anatomy.avm import connector
from mvd_sim.anatomy.bends import check_vessel_shape
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.context import (LOWER_CRANIAL_NERVES, OBSTACLE_KINDS, ContextStructure,
                                     Ellipsoid, build_context, intrusion, intrusion_at_most,
                                     left_straight)
from mvd_sim.anatomy.lesions import (Lesion, aneurysm_dome, beside_nerve, drape,
                                     drape_clear_of, given_ellipsoid)
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.anatomy.nerves import (NerveBuild, build_facial_nerve,
                                    build_vestibulocochlear_nerve, segmented_facial_nerve,
                                    segmented_vestibulocochlear_nerve)
from mvd_sim.anatomy.placement import (ContactRequest, clear_side, clearing_side, deviate_nerve,
                                       deviation_fits_from, other_nerves, place_vessel,
                                       relax_vessel, resolve_side)
from mvd_sim.anatomy.taper import VESSEL_TAPERS, tapered_radii
from mvd_sim.anatomy.vessels import default_course, spline_through
from mvd_sim.core.constants import (MASS_DEFAULT_DISPLACEMENT_MM, MASS_ORIGIN_FRACTION,
                                    VESSEL_DEFAULT_RADIUS_MM, ContextParams,
                                    FacialNerveParams, VestibulocochlearParams)
from mvd_sim.core.errors import GeometryError, ScenarioError
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import closest_approach, point_polyline
from mvd_sim.core.approach import SIDES, usable_sides
from mvd_sim.core.recent import Recent
from mvd_sim.scenario import NERVES, ScenarioSpec, VesselSpec
from mvd_sim.scenario.schema import AnatomySpec, LesionEllipsoid, MassSpec, SegmentedSpec
from mvd_sim.scene.bands import Band
from mvd_sim.scene.scene import Scene
from mvd_sim.core.tube import Tube

__all__ = ["build_scene", "NerveSites", "SideQuestion"]

_MIRROR = np.array([-1.0, 1.0, 1.0])
_LATERAL = np.array([1.0, 0.0, 0.0])   # lateral in the canonical right-sided frame
#: *estimate*: how far (mm of the target's arc) proximal to a vessel's nerve contact another
#: vessel pushing it touches it, when the scenario does not say.
CHAIN_OFFSET_MM = 3.0
#: How far (mm) a vessel's surface may dip into a solid context structure (the flocculus,
#: the cerebellum, the choroid plexus) before the case is refused: numerical slack only.
CONTEXT_TOLERANCE_MM = 0.05
#: Rounds of relaxing a vessel draped round a mass and draping it again before it is refused
#: for bending under the floor (the bundled schwannoma's AICA needs one: 1.04 radii draped,
#: within the floor after relaxing).
DRAPE_ROUNDS = 4


def _overrides(model) -> dict:
    return {k: v for k, v in model.model_dump().items() if v is not None}


def _segment_fractions(vessels: list[VesselSpec]) -> dict[tuple[int, int], float]:
    """Where along its segment each nerve contact given by segment lands, keyed by (vessel
    index, contact index): at the centre when it is the only one there; ``m`` contacts on
    one segment of one nerve are spread evenly along it, at ``i / (m + 1)`` in the
    scenario's order (two vessels cannot press the same point of a nerve)."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for k, vessel in enumerate(vessels):
        for j, contact in enumerate(vessel.compresses):
            if contact.target in NERVES and contact.segment is not None:
                groups.setdefault((contact.target, contact.segment), []).append((k, j))
    return {key: (i + 1) / (len(keys) + 1)
            for keys in groups.values() for i, key in enumerate(keys)}


def _build_order(vessels: list[VesselSpec]) -> list[int]:
    """Indices of vessels so that every vessel comes after the vessels it compresses."""
    index = {v.id: k for k, v in enumerate(vessels)}
    order: list[int] = []
    state: dict[int, str] = {}

    def visit(k: int) -> None:
        if state.get(k) == "done":
            return
        if state.get(k) == "visiting":
            raise ScenarioError(f"vessels[{k}].compresses: vessels compress each other in a "
                                "cycle; one of them must compress a nerve or nothing")
        state[k] = "visiting"
        for c in vessels[k].compresses:
            if c.target in index:
                visit(index[c.target])
        state[k] = "done"
        order.append(k)

    for k in range(len(vessels)):
        visit(k)
    return order


class _Anatomy:
    """The brainstem and nerves of a scenario's anatomy, in the canonical right-sided frame
    (no vessel yet)."""

    def __init__(self, anatomy: AnatomySpec, side: str = "right"):
        segmented = anatomy.segmented
        try:
            self.shape = BrainstemShape(**_overrides(anatomy.brainstem))
            self.facial_params = FacialNerveParams(**_overrides(anatomy.facial_nerve))
            self.cochlear_params = VestibulocochlearParams(
                **_overrides(anatomy.vestibulocochlear_nerve))
            self.context_params = ContextParams(**_overrides(anatomy.context))
            if segmented is None:
                self.rexp_theta, rexp = _root_exit(self.shape,
                                                   self.facial_params.exit_from_midline_mm)
                rexp = rexp.copy()
        except ScenarioError as err:
            raise ScenarioError(f"anatomy.facial_nerve.exit_from_midline_mm: {err}") from None
        if segmented is not None:
            mirror = _MIRROR if side == "left" else np.ones(3)
            rexp = np.asarray(segmented.rexp_midline_mm, dtype=float) * mirror
            self.rexp_theta = _theta_of(self.shape, rexp)
        self.rexp_midline = rexp
        self.brainstem = Brainstem(self.shape, rexp)
        try:
            if segmented is None:
                self.facial = build_facial_nerve(self.brainstem, self.facial_params)
                self.cochlear = build_vestibulocochlear_nerve(self.brainstem, self.facial,
                                                              self.cochlear_params)
            else:
                self.facial, self.cochlear = self._segmented(segmented, mirror, rest=True)
                placed = self._segmented(segmented, mirror, rest=False)
        except (ScenarioError, GeometryError) as err:
            where = "segmented" if segmented is not None else "facial_nerve"
            raise ScenarioError(f"anatomy.{where}: {err}") from None
        self.nerves: dict[str, Tube] = {"CN7": self.facial.tube, "CN8": self.cochlear.tube}
        if segmented is not None:   # the patient's roots as they lie
            self.nerves = {"CN7": placed[0].tube, "CN8": placed[1].tube}
        self.builds: dict[str, NerveBuild] = {"CN7": self.facial, "CN8": self.cochlear}

    def _segmented(self, segmented: SegmentedSpec, mirror: np.ndarray, rest: bool
                   ) -> tuple[NerveBuild, NerveBuild]:
        """The patient's CN VII and CN VIII (canonical frame), with the atlas' landmarks:
        at rest (their ``rest_points_mm`` where given) or as they lie."""
        facial, cochlear = segmented.facial_nerve, segmented.vestibulocochlear_nerve

        def course(root) -> np.ndarray:
            points = root.rest_points_mm if rest and root.rest_points_mm else root.points_mm
            return np.asarray(points) * mirror

        return (segmented_facial_nerve(self.brainstem, course(facial),
                                       np.asarray(facial.radii_mm), self.facial_params),
                segmented_vestibulocochlear_nerve(
                    self.brainstem, course(cochlear),
                    np.asarray(cochlear.radii_mm), self.cochlear_params))


@lru_cache(maxsize=8)
def _root_exit(shape: BrainstemShape, arc_from_midline_mm: float) -> tuple[float, np.ndarray]:
    """:meth:`BrainstemShape.root_exit`, found once per shape and arc (every atlas case of
    a dataset asks the same); the caller copies the point."""
    return shape.root_exit(arc_from_midline_mm)


def _theta_of(shape: BrainstemShape, midline_point: np.ndarray) -> float:
    """Angle (rad) round the axial section at a midline-frame point's level (0 right
    lateral, pi/2 anterior): where a segmented case's RExP lies round the brainstem."""
    half_width, y_mid, half_depth = shape.section(np.array([midline_point[2]]))
    return float(np.arctan2((midline_point[1] - y_mid[0]) / half_depth[0],
                            midline_point[0] / half_width[0]))


#: Atlas anatomies (no segmented roots) built lately, by their spec's JSON, most recent last:
#: a sampled case asks its sites of an anatomy (:class:`NerveSites`) and then builds its
#: scene on it, and a dataset worker does so case after case.
_RECENT_ANATOMIES: Recent[str, _Anatomy] = Recent(4)


def _shared_anatomy(anatomy: AnatomySpec, side: str) -> _Anatomy:
    """The brainstem and nerves of ``anatomy``, built once for the last few atlas anatomies
    (each is the same whatever the side; the builders copy, never change, it)."""
    if anatomy.segmented is not None:
        return _Anatomy(anatomy, side)
    return _RECENT_ANATOMIES.fetch(anatomy.model_dump_json(), lambda: _Anatomy(anatomy))


class NerveSites:
    """Which sides a vessel can be asked to come from at a nerve's sites, for an anatomy,
    before any vessel is placed.

    A side can be asked where its sector across the nerve is wide enough
    (:func:`mvd_sim.core.approach.usable_sides`) and where a vessel crossing the nerve from
    it clears the brainstem and the other nerve (CN VIII beside CN VII, and CN VII beside
    CN VIII; :func:`mvd_sim.anatomy.placement.clear_side`): the checks placement makes
    before it places. The vessel's course, the other vessels and a nerve deviated by
    another contact may still refuse a side that passes them.

    Parameters
    ----------
    anatomy : AnatomySpec
        The scenario's anatomy.

    Raises
    ------
    ScenarioError
        If the anatomy cannot be built.
    """

    def __init__(self, anatomy: AnatomySpec):
        self._anatomy = _shared_anatomy(anatomy, "right")

    def point(self, nerve: str, segment: str, fraction: float = 0.5) -> float:
        """Arc length (mm) of the point ``fraction`` along ``segment`` of ``nerve``, where a
        contact asked by segment lands (:class:`~mvd_sim.scenario.schema.ContactSpec`)."""
        return float(self._anatomy.builds[nerve].landmarks.segment_point(segment, fraction))

    def length(self, nerve: str) -> float:
        """Length (mm) of ``nerve`` from the brainstem to the porus."""
        return float(self._anatomy.nerves[nerve].s[-1])

    def segment_end(self, nerve: str, segment: str) -> float:
        """Arc length (mm) of the distal end of ``segment`` of ``nerve``."""
        return self.point(nerve, segment, 1.0)

    def deviation_from(self, nerve: str, s_mm: float, deviation_mm: float,
                       radius_mm: float) -> float | None:
        """The first arc length (mm) at or beyond ``s_mm`` where a vessel of radius
        ``radius_mm`` can deviate ``nerve`` by ``deviation_mm``
        (:func:`mvd_sim.anatomy.placement.deviation_fits_from`), or None."""
        return deviation_fits_from(self._anatomy.nerves[nerve], s_mm, deviation_mm, radius_mm)

    def sides(self, nerve: str, s_mm: float, radius_mm: float, crossing_angle_deg: float,
              gap_mm: float = 0.0, among: Iterable[str] = SIDES,
              deviation_mm: float = 0.0) -> list[str]:
        """The sides, of ``among``, a vessel of radius ``radius_mm`` can be asked to come
        from to cross ``nerve`` at ``s_mm`` at the directed ``crossing_angle_deg``, leaving
        ``gap_mm`` (negative: indenting) and deviating the nerve by ``deviation_mm``
        (:func:`mvd_sim.anatomy.placement.deviate_nerve`: on the attached segment only
        along the brainstem's surface), in the order of
        :data:`mvd_sim.core.approach.SIDES` (:meth:`question` asked of each)."""
        question = self.question(nerve, s_mm, radius_mm, crossing_angle_deg, gap_mm,
                                 deviation_mm)
        return [side for side in question.sectors if side in among and question(side)]

    def question(self, nerve: str, s_mm: float, radius_mm: float, crossing_angle_deg: float,
                 gap_mm: float = 0.0, deviation_mm: float = 0.0) -> SideQuestion:
        """Whether such a vessel can be asked to come from a side (:meth:`sides`), one side
        at a time: a draw asks only the sides its pick depends on
        (:func:`mvd_sim.dataset.sampler.approach_side`)."""
        return SideQuestion(self, nerve, float(s_mm), radius_mm, crossing_angle_deg, gap_mm,
                            deviation_mm)

    def _deviates(self, nerve: str, request: ContactRequest, side: np.ndarray,
                  deviation_mm: float, radius_mm: float) -> bool:
        """Can a vessel of radius ``radius_mm`` lying on ``side`` (unit, canonical frame)
        deviate ``nerve`` by ``deviation_mm`` at the request's point (True for none)?"""
        if deviation_mm <= 0.0:
            return True
        anatomy = self._anatomy
        try:
            deviate_nerve(anatomy.brainstem, request.target, anatomy.builds[nerve].landmarks,
                          request.s_mm, side, deviation_mm, radius_mm, request.field)
        except ScenarioError:
            return False
        return True


class SideQuestion:
    """Whether a vessel of radius ``radius_mm`` (mm) can be asked to come from a side to cross
    ``nerve`` at arc ``s_mm`` (mm) at the directed ``crossing_angle_deg``, leaving ``gap_mm``
    and deviating the nerve by ``deviation_mm`` (:meth:`NerveSites.sides`, one side a call,
    canonical right-sided frame): its sector there is wide enough (:attr:`sectors`), a
    crossing from it clears the brainstem and the other nerve
    (:func:`mvd_sim.anatomy.placement.clearing_side`), and, for ``deviation_mm`` > 0, the
    nerve can be deviated away from it. Each side's answer is the same asked alone or among
    others (every request is searched on its own)."""

    def __init__(self, sites: NerveSites, nerve: str, s_mm: float, radius_mm: float,
                 crossing_angle_deg: float, gap_mm: float, deviation_mm: float):
        self._sites, self._nerve, self._s_mm = sites, nerve, s_mm
        self._radius_mm, self._angle_deg = radius_mm, crossing_angle_deg
        self._gap_mm, self._deviation_mm = gap_mm, deviation_mm
        self._target = sites._anatomy.nerves[nerve]
        #: the sides whose sector is wide enough, in the order of ``SIDES``
        self.sectors: tuple[str, ...] = tuple(
            usable_sides(self._target.smooth_tangent_at(s_mm), _LATERAL))

    def __call__(self, side: str) -> bool:
        """Whether the vessel can be asked to come from ``side`` (an anatomical side)."""
        if side not in self.sectors:
            return False
        anatomy, target = self._sites._anatomy, self._target
        request = ContactRequest("probe", target, self._s_mm,
                                 resolve_side(target, self._s_mm, side, "probe"), self._gap_mm,
                                 self._angle_deg, side)
        lies = clearing_side(anatomy.brainstem, request, self._radius_mm,
                             other_nerves(request, list(anatomy.nerves.values())))
        return lies is not None and self._sites._deviates(self._nerve, request, lies,
                                                           self._deviation_mm, self._radius_mm)


class _Builder(_Anatomy):
    """Holds the canonical-frame state while a scene is assembled."""

    def __init__(self, spec: ScenarioSpec):  # noqa: D107 - the anatomy's state, copied
        vars(self).update(vars(_shared_anatomy(spec.anatomy, spec.side)))
        self.nerves = dict(self.nerves)   # the one part of it a build changes (placed nerves)
        self.spec = spec
        self.vessels: dict[str, Tube] = {}
        self.segment_fractions = _segment_fractions(spec.vessels)
        #: (vessel, contact) -> the side a deviating vessel lies on (canonical frame)
        self.deviation_sides: dict[tuple[int, int], np.ndarray] = {}

    # -- contacts -------------------------------------------------------------------------
    def _target(self, name: str) -> Tube:
        return self.nerves[name] if name in NERVES else self.vessels[name]

    def _nerve_contact_of(self, vessel: Tube) -> tuple[float, np.ndarray]:
        """Where a vessel comes closest to a nerve: arc on the vessel, and the direction from
        the nerve's centerline to the vessel's there."""
        best = None
        for nerve in self.nerves.values():
            ca = closest_approach(vessel.points, nerve.points, vessel.radius, nerve.radius)
            if best is None or ca.gap < best.gap:
                best = ca
        return best.arc_a, best.point_a - best.point_b

    def _request(self, k: int, j: int) -> ContactRequest:
        """The placement request of contact ``j`` of vessel ``k``."""
        contact = self.spec.vessels[k].compresses[j]
        field = f"vessels[{k}].compresses[{j}]"
        target = self._target(contact.target)
        away = None
        if contact.target in NERVES:
            landmarks = self.builds[contact.target].landmarks
            s = contact.s_mm if contact.s_mm is not None else \
                landmarks.segment_point(contact.segment, self.segment_fractions[k, j])
            if s > target.length_mm:
                raise ScenarioError(f"{field}.s_mm: {s:g} mm is beyond the end of "
                                    f"{contact.target} ({target.length_mm:.1f} mm)")
        else:
            s_touch, away = self._nerve_contact_of(target)
            # by default the pushing vessel presses the target just proximal to its contact
            # with the nerve, where the target is still free to be pushed
            s = contact.s_mm if contact.s_mm is not None else \
                max(s_touch - CHAIN_OFFSET_MM, 0.5 * s_touch)
            if s > target.length_mm:
                raise ScenarioError(f"{field}.s_mm: {s:g} mm is beyond the end of vessel "
                                    f"{contact.target} ({target.length_mm:.1f} mm)")
        side = resolve_side(target, s, contact.side, field,
                            self.deviation_sides.get((k, j), away))
        return ContactRequest(field, target, float(s), side, contact.gap_mm,
                              contact.crossing_angle_deg, contact.side)

    def displace(self) -> None:
        """Lay each nerve given by ``anatomy.displaced_nerves`` on its course as it lies,
        point by point over its rest course (before any vessel is placed).

        Raises
        ------
        ScenarioError
            A course of another number of points than the rest course, one that passes
            into the brainstem, or a nerve also deviated by a contact's
            ``nerve_deviation_mm``.
        """
        mirror = _MIRROR if self.spec.side == "left" else np.ones(3)
        for name, course in (self.spec.anatomy.displaced_nerves or {}).items():
            field = f"anatomy.displaced_nerves.{name}"
            rest = self.nerves[name]
            if len(course) != len(rest.points):
                raise ScenarioError(f"{field}: {len(course)} points for the {len(rest.points)} "
                                    f"of {name}'s rest course; give one point per point of it")
            if any(c.target == name and c.nerve_deviation_mm > 0
                   for v in self.spec.vessels for c in v.compresses):
                raise ScenarioError(f"{field}: {name} is also deviated by a contact's "
                                    "nerve_deviation_mm; give one or the other")
            points = np.asarray(course, dtype=float) * mirror
            depth = -float(np.min(self.brainstem.clearance(points, 0.0)))
            if depth > 0.0:
                raise ScenarioError(f"{field}: the course passes {depth:.2f} mm into the "
                                    "brainstem")
            self.nerves[name] = rest.with_points(points)

    def deviate(self) -> None:
        """Apply every asked nerve deviation (before any vessel is placed)."""
        for k, vessel in enumerate(self.spec.vessels):
            for j, contact in enumerate(vessel.compresses):
                if contact.nerve_deviation_mm > 0:
                    req, radius = self._request(k, j), self._radius(vessel)
                    # the vessel's side, turned clear of the brainstem, once: the nerve is
                    # deviated away from it and the vessel placed on it
                    side = clear_side(self.brainstem, req, radius,
                                      other_nerves(req, list(self.nerves.values())))
                    self.deviation_sides[k, j] = side
                    self.nerves[contact.target] = deviate_nerve(
                        self.brainstem, req.target, self.builds[contact.target].landmarks,
                        req.s_mm, side, contact.nerve_deviation_mm, radius, req.field)

    # -- vessels --------------------------------------------------------------------------
    @staticmethod
    def _radius(spec: VesselSpec) -> float:
        return spec.radius_mm or VESSEL_DEFAULT_RADIUS_MM[spec.type]

    def vessel(self, k: int) -> Tube:
        spec = self.spec.vessels[k]
        radius = self._radius(spec)
        field = f"vessels[{k}]"
        if spec.points_mm is not None:
            points = np.asarray(spec.points_mm, dtype=float)
            if self.spec.side == "left":
                points = points * _MIRROR
            try:
                course = spline_through(points)
                s = curve.arc_length(course)
                if spec.radii_mm is not None:
                    # the radii belong to the control points, by their share of the course
                    at = curve.arc_length(points)
                    radii = np.interp(s / s[-1], at / at[-1], spec.radii_mm)
                else:
                    radii = tapered_radii(radius, s, VESSEL_TAPERS.get(spec.type))
                tube = Tube(spec.id, spec.type, course, radii)
            except GeometryError as err:
                raise ScenarioError(f"{field}.points_mm: {err}") from None
            clearance = self.brainstem.clearance(tube.points, 0.0)
            if np.min(clearance) < 0:
                raise ScenarioError(f"{field}.points_mm: the centerline of {spec.id} passes "
                                    f"{-np.min(clearance):.2f} mm into the brainstem")
            check_vessel_shape(tube, f"{field}.points_mm", "space the control points out "
                               "round the turn or give the vessel a smaller radius_mm")
            return tube
        course = default_course(
            spec.type, self.brainstem, radius, facial=self.facial, cochlear=self.cochlear,
            rexp_theta=self.rexp_theta, rexp_z_midline_mm=float(self.rexp_midline[2]),
            pons_length_mm=self.shape.pons_length_mm,
            va_radius_mm=VESSEL_DEFAULT_RADIUS_MM["VA"],
            ba_radius_mm=VESSEL_DEFAULT_RADIUS_MM["BA"])
        requests = [self._request(k, j) for j in range(len(spec.compresses))]
        obstacles = list(self.nerves.values()) + list(self.vessels.values())
        return place_vessel(self.brainstem, spec.id, spec.type, course, radius, requests,
                            obstacles, VESSEL_TAPERS.get(spec.type))

    def context(self) -> dict[str, ContextStructure]:
        """The context structures, once every vessel is placed: refused if a vessel passes
        through a solid one. A segmented case's vessels are the patient's and its context
        structures the atlas', so there a vessel is never refused for them."""
        context = build_context(self.brainstem, self.cochlear.tube, self.context_params,
                                list(self.vessels.values()))
        if self.spec.anatomy.segmented is not None:
            return context
        solids = [(name, context[name]) for name in OBSTACLE_KINDS]
        # a rootlet left straight keeps ROOTLET_CLEARANCE_MM from every vessel: not checked
        solids += [(f"{name} rootlets", rootlet) for name in LOWER_CRANIAL_NERVES
                   for rootlet in context[name].rootlets
                   if not left_straight(self.brainstem, self.context_params, rootlet)]
        for k, spec in enumerate(self.spec.vessels):
            for name, solid in solids:
                if intrusion_at_most(solid, self.vessels[spec.id], CONTEXT_TOLERANCE_MM):
                    continue   # an ellipsoid the vessel's segments show it cannot enter
                depth, s = intrusion(solid, self.vessels[spec.id])
                if depth > CONTEXT_TOLERANCE_MM:
                    raise ScenarioError(
                        f"vessels[{k}]: {spec.id} would pass {depth:.2f} mm into the "
                        f"{name.replace('_', ' ')} {s:.1f} mm along its course; vessels run "
                        "round it: change the vessel's course or anatomy.context")
        return context

    # -- lesions (issue #26) ----------------------------------------------------------------
    def _given(self, name: str, kind: str, spec: LesionEllipsoid) -> Ellipsoid:
        """A lesion's explicit ellipsoid (scene frame) in the canonical right-sided frame."""
        body = given_ellipsoid(name, kind, np.asarray(spec.centre_mm), np.asarray(spec.axes),
                               np.asarray(spec.semi_axes_mm))
        return body.mirrored_x() if self.spec.side == "left" else body

    def _drapes(self, spec: MassSpec) -> bool:
        """Whether a mass drapes the nerves and vessels round it: not one given as imaged in
        a segmented case, whose structures already lie as imaged (round it)."""
        return spec.ellipsoid is None or self.spec.anatomy.segmented is None

    def masses(self) -> dict[str, Lesion]:
        """The masses beside CN VII (:class:`~mvd_sim.scenario.schema.MassSpec`), with both
        nerves draped round them (:meth:`_drapes`)."""
        out = {}
        nerve = self.nerves["CN7"]
        for k, spec in enumerate(self.spec.masses):
            if spec.ellipsoid is not None:
                body = self._given(spec.id, spec.kind, spec.ellipsoid)
                out[spec.id] = Lesion(spec.id, spec.kind, "tumour", body)
                continue
            # between the nerve's anchors (clamped in the mechanics) where the mass fits
            length, along = nerve.length_mm, spec.axes[0]
            s = float(np.clip(MASS_ORIGIN_FRACTION[spec.origin] * length,
                              min(along, 0.5 * length), max(length - along, 0.5 * length)))
            side = resolve_side(nerve, s, spec.from_side, f"masses[{k}]")
            displacement = MASS_DEFAULT_DISPLACEMENT_MM if spec.displacement_mm is None \
                else spec.displacement_mm
            body = beside_nerve(spec.id, spec.kind, nerve, s, side, spec.axes, displacement)
            out[spec.id] = Lesion(spec.id, spec.kind, "tumour", body)
        for k, spec in enumerate(self.spec.masses):
            if self._drapes(spec):
                self.nerves = {n: self.draped_nerve(t, out[spec.id], f"masses[{k}]")
                               for n, t in self.nerves.items()}
        return out

    def draped_nerve(self, nerve: Tube, mass: Lesion, field: str) -> Tube:
        """``nerve`` draped round ``mass`` clear of the brainstem
        (:func:`~mvd_sim.anatomy.lesions.drape_clear_of`: it slides round the mass along the
        brainstem rather than into it).

        Raises
        ------
        ScenarioError
            ``field``: the nerve cannot fit between the mass and the brainstem, or the
            mass covers its root.
        """
        result = drape_clear_of(nerve, mass, self.brainstem)
        if not result.success and result.rounds == 0:
            raise ScenarioError(
                f"{field}: the mass covers {nerve.name}'s root on the brainstem "
                f"({result.mass_depth_mm:.2f} mm into it), which cannot be draped round: "
                "make it smaller or move it")
        if not result.success:
            raise ScenarioError(
                f"{field}: the mass pinches {nerve.name} against the brainstem (still "
                f"{result.brainstem_depth_mm:.2f} mm into it, {result.mass_depth_mm:.2f} mm "
                f"into the mass after {result.rounds} rounds): make it smaller or move it")
        return result.tube

    def vascular_lesions(self) -> dict[str, Lesion]:
        """The aneurysm domes and AVM nidi, once the vessels are placed; an AVM's feeders
        and drainers that do not reach its nidus are joined to it by a branch."""
        out = {}
        for spec in self.spec.aneurysms:
            if spec.ellipsoid is not None:
                body = self._given(spec.id, "aneurysm", spec.ellipsoid)
            else:
                body = aneurysm_dome(spec.id, self.vessels[spec.vessel], spec.vessel_s_mm,
                                     spec.dome_mm, spec.neck_mm, self.nerves[spec.toward])
            out[spec.id] = Lesion(spec.id, "aneurysm", "aneurysm", body, vessel=spec.vessel)
        nerve = self.nerves["CN7"]
        for k, spec in enumerate(self.spec.avms):
            if spec.ellipsoid is not None:
                body = self._given(spec.id, "avm", spec.ellipsoid)
            else:
                s = float(self.builds["CN7"].landmarks.segment_point(spec.segment, 0.5))
                side = resolve_side(nerve, s, spec.from_side, f"avms[{k}]")
                body = beside_nerve(spec.id, "avm", nerve, s, side, spec.axes,
                                    spec.indentation_mm)
            nerves = list(self.nerves.values())
            joined = [connector(f"{v}:{spec.id}", self.vessels[v], body, nerves)
                      for v in (*spec.feeders, *spec.drainers)]
            out[spec.id] = Lesion(spec.id, "avm", "avm", body, feeders=tuple(spec.feeders),
                                  drainers=tuple(spec.drainers),
                                  branches=tuple(b for b in joined if b is not None))
        return out

    def bands(self) -> tuple[Band, ...]:
        """The arachnoid bands, each to CN VII's rest point nearest its vessel point."""
        out = []
        rest = self.facial.tube
        for spec in self.spec.bands:
            point = self.vessels[spec.vessel].point_at(spec.vessel_s_mm)
            _, seg, u, _ = point_polyline(point[None], rest.points)
            s = float(rest.s[seg[0]] + u[0] * (rest.s[seg[0] + 1] - rest.s[seg[0]]))
            extra = {} if spec.stiffness_n_per_mm is None else \
                {"stiffness_n_per_mm": spec.stiffness_n_per_mm}
            out.append(Band(spec.id, spec.vessel, spec.vessel_s_mm, s, **extra))
        return tuple(out)

    def draped(self, vessel: Tube, mass: Lesion, field: str) -> Tube:
        """``vessel`` draped round ``mass`` (:func:`~mvd_sim.anatomy.lesions.drape`), its
        bends then relaxed as placement relaxes them and draped again, up to
        :data:`DRAPE_ROUNDS` times, until it keeps the bend floor; ``vessel`` itself when the
        mass does not reach it.

        Raises
        ------
        ScenarioError
            ``field``: the vessel still bends under the floor or passes through itself.
        """
        remedy = f"the mass drapes {vessel.name} round it too tightly: make it smaller or move it"
        draped = drape(vessel, mass)
        if draped is vessel:
            return vessel
        for _ in range(DRAPE_ROUNDS):
            try:
                check_vessel_shape(draped, field, remedy)
                return draped
            except ScenarioError:
                points = relax_vessel(self.brainstem, draped.points, draped.radius)
                draped = drape(dataclasses.replace(vessel, points=points), mass)
        check_vessel_shape(draped, field, remedy)
        return draped

    def scene(self, name: str) -> Scene:
        self.displace()
        self.deviate()
        masses = self.masses()
        for k in _build_order(self.spec.vessels):
            self.vessels[self.spec.vessels[k].id] = self.vessel(k)
        for k, (name, mass) in enumerate(masses.items()):
            if not self._drapes(self.spec.masses[k]):
                continue
            draped = {v: self.draped(t, mass, f"masses[{k}]") for v, t in self.vessels.items()}
            masses[name] = dataclasses.replace(mass, displaced_mm={
                v: float(np.max(np.linalg.norm(t.points - self.vessels[v].points, axis=1)))
                for v, t in draped.items() if t is not self.vessels[v]})
            self.vessels = draped
        lesions = {**masses, **self.vascular_lesions()}
        context = self.context()
        rest = {"CN7": self.facial.tube, "CN8": self.cochlear.tube}
        nerves, vessels, origin = self.nerves, self.vessels, self.rexp_midline
        if self.spec.side == "left":
            nerves = {k: t.mirrored_x() for k, t in nerves.items()}
            rest = {k: t.mirrored_x() for k, t in rest.items()}
            vessels = {k: t.mirrored_x() for k, t in vessels.items()}
            context = {k: c.mirrored_x() for k, c in context.items()}
            lesions = {k: lesion.mirrored_x() for k, lesion in lesions.items()}
            origin = origin * _MIRROR
        landmarks = {k: b.landmarks for k, b in self.builds.items()}
        return Scene(name=name, side=self.spec.side,
                     brainstem=Brainstem(self.shape, origin), nerves=nerves,
                     rest_nerves=rest, landmarks=landmarks, vessels=vessels,
                     petrous=PetrousFace.through_porus(rest["CN7"]), context=context,
                     lesions=lesions, bands=self.bands())


def build_scene(spec: ScenarioSpec, name: str = "scenario") -> Scene:
    """Build the scene a scenario describes.

    Parameters
    ----------
    spec : ScenarioSpec
        A validated scenario (:func:`mvd_sim.scenario.load_scenario`).
    name : str
        Name of the scene (the file stem, usually).

    Raises
    ------
    ScenarioError
        When the scenario is valid YAML but anatomically impossible: the message names the
        field (e.g. ``vessels[1].compresses[0]``) and the reason.
    """
    return _Builder(spec).scene(name)

