"""Default courses of the vessels of the cerebellopontine angle, as waypoints.

Canonical right-sided scene frame (origin at the RExP, x lateral, y anterior, z rostral, mm).
Waypoints are placed relative to the brainstem surface (angle around the axial section, level,
height above the surface) or to the nerves, so the same code serves every anatomy the
parameters describe. Courses follow the microsurgical anatomy summarised in
``shared/anatomy_facts.md`` section 8:

- BA: in the basilar groove on the anterior midline of the pons, from the vertebrobasilar
  junction (VBJ) at the pontomedullary junction upward;
- VA: ascends anterolateral to the medulla and turns medially to the VBJ; tortuosity (length /
  chord) 1.09-1.29 (facts section 8);
- AICA: arises from the BA 9.9 mm above the VBJ (Ballesteros 2020), runs laterally and
  caudally over the pons, passes anteroinferior to VII/VIII (premeatal), loops below the porus
  (meatal loop) and returns posteroinferior (postmeatal) (Martin, Rhoton et al. 1980);
- PICA: arises from the VA (70%, Ballesteros-Acuna 2022), runs around the lateral medulla and
  forms a cranial loop that rises toward the VII root exit zone from below before turning
  dorsally (Rhoton);
- vein: the vein of the pontomedullary sulcus, running laterally in the sulcus and turning
  caudally below the VII/VIII roots toward the lateral recess.

By default every vessel lies near the nerves without touching them; clinical placement
(:mod:`mvd_sim.anatomy.placement`) bends them onto the nerve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem, kernel_surface
from mvd_sim.anatomy.nerves import NerveBuild
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.anatomy.surface_kernels import push_out
from mvd_sim.core.constants import AICA_MEATAL_BELOW_PORUS_MM, AICA_MEATAL_FRONT_OF_FACE_MM
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.tube import Tube

__all__ = ["VesselCourse", "default_course", "spline_through", "push_out_of_brainstem",
           "arc_from_junction",
           "AICA_ORIGIN_ABOVE_VBJ_MM", "VBJ_Z_MIDLINE_MM", "PICA_ORIGIN_Z_MIDLINE_MM"]

#: AICA origin 9.9 +- 3.2 mm above the vertebrobasilar junction (Ballesteros LE et al.,
#: Neurol Res 2020).
AICA_ORIGIN_ABOVE_VBJ_MM = 9.9
#: *estimate*: the VBJ lies at the pontomedullary junction, just below the pons' border.
VBJ_Z_MIDLINE_MM = -1.5
#: *estimate*: PICA leaves the VA about 15 mm below the VBJ.
PICA_ORIGIN_Z_MIDLINE_MM = -16.5
#: Spacing (mm) of sampled vessel centerlines.
VESSEL_SPACING_MM = 0.3
#: *estimate*: clearance (mm) a vessel keeps above the brainstem where it is pushed out.
BRAINSTEM_CLEARANCE_MM = 0.1


@dataclass(frozen=True)
class VesselCourse:
    """Waypoints of a vessel's course (scene frame, mm), first = origin on its parent.

    Attributes
    ----------
    waypoints : (k, 3) float, mm
    anchored : (k,) bool
        Waypoints that clinical placement must keep (the origin on the parent trunk and the
        distal end); the others may be replaced near a contact.
    shaping : (k,) bool or None
        Free waypoints that shape a loop (the AICA's meatal loop): replaced
        only near a contact, never dropped at a corner a detour to a contact leaves
        (:func:`mvd_sim.anatomy.placement.place_vessel`).
    """

    waypoints: np.ndarray
    anchored: np.ndarray
    shaping: np.ndarray | None = None

    @property
    def kept_at_corners(self) -> np.ndarray:
        """(m, 3) mm: the waypoints placement keeps where a detour leaves a sharp corner."""
        keep = self.anchored if self.shaping is None else self.anchored | self.shaping
        return self.waypoints[keep]


def spline_through(waypoints: np.ndarray, spacing_mm: float = VESSEL_SPACING_MM) -> np.ndarray:
    """Interpolating cubic spline through waypoints, sampled every ``spacing_mm`` of arc.

    Chord-length parameterised, natural end conditions (:func:`curve.natural_spline`);
    passes exactly through every waypoint (those that are 1e-6 mm or closer to the previous
    one are dropped). Sampled densely (every 0.05 mm of chord, at least 8 samples a
    waypoint), then resampled evenly by arc length.
    """
    keep = np.concatenate(([True], curve.segment_lengths(
        np.ascontiguousarray(waypoints, dtype=float)) > 1e-6))
    pts = waypoints[keep]
    u = curve.arc_length(pts)
    dense = curve.natural_spline(pts, u, np.linspace(0.0, u[-1], max(8 * len(pts),
                                                                     int(u[-1] / 0.05))))
    return curve.resample(dense, spacing_mm)


def push_out_of_brainstem(brainstem: Brainstem, points: np.ndarray, radius_mm: np.ndarray,
                          clearance_mm: float = BRAINSTEM_CLEARANCE_MM) -> np.ndarray:
    """Move centerline points that dip into the brainstem onto its offset surface.

    A point closer than its radius plus ``clearance_mm`` (default
    :data:`BRAINSTEM_CLEARANCE_MM`, a vessel's; 0 puts a nerve resting on it) to the surface
    is moved along the normal at its exact closest point to exactly that height
    (:func:`mvd_sim.anatomy.surface_kernels.push_out`, which avoidance's loop calls too).
    """
    height = np.ascontiguousarray(radius_mm + clearance_mm, dtype=float)
    out = np.array(points, dtype=float)
    if len(out) == 0:
        return out      # nothing to move (and no largest height to reach)
    push_out(kernel_surface(brainstem.shape), brainstem.origin_midline_mm, out,
             np.arange(len(out)), height, float(np.max(height)), np.empty(len(out)))
    return out


def _basilar(bs: Brainstem, radius_mm: float, pons_length_mm: float) -> VesselCourse:
    z = np.linspace(VBJ_Z_MIDLINE_MM, pons_length_mm + 2.0, 7)
    pts = bs.offset_points(np.full(len(z), np.pi / 2), z, np.full(len(z), radius_mm + 0.2))
    return VesselCourse(pts, np.ones(len(z), dtype=bool))


def basilar_point(bs: Brainstem, z_midline_mm: float, radius_mm: float) -> np.ndarray:
    """Point of the default basilar centerline at a midline level (scene frame, mm)."""
    return bs.offset_points(np.array([np.pi / 2]), np.array([z_midline_mm]),
                            np.array([radius_mm + 0.2]))[0]


def _vertebral(bs: Brainstem, radius_mm: float, ba_radius_mm: float) -> VesselCourse:
    # tortuosity about 1.15 (published 1.09-1.29), the middle waypoints 1-2.5 mm off the
    # medulla so the spline between them does not dip into it (issue #22 audit, item 11)
    theta = np.array([0.75, 0.50, 0.70, 1.10, 1.45])
    z = np.array([-30.0, PICA_ORIGIN_Z_MIDLINE_MM - 6.0, PICA_ORIGIN_Z_MIDLINE_MM, -8.0, -4.0])
    h = radius_mm + np.array([0.6, 2.5, 2.0, 1.0, 0.4])
    pts = np.vstack([bs.offset_points(theta, z, h),
                     basilar_point(bs, VBJ_Z_MIDLINE_MM, ba_radius_mm)])
    anchored = np.array([True, False, True, False, False, True])
    return VesselCourse(pts, anchored)


def _pica(bs: Brainstem, radius_mm: float, va: VesselCourse, rexp_theta: float,
          rexp_z: float) -> VesselCourse:
    origin = va.waypoints[2]
    # around the lateral medulla, up in a cranial loop below the root exit zone, then dorsal
    theta = rexp_theta + np.array([0.1, -0.2, -0.75, -1.3])
    z = rexp_z + np.array([-9.0, -4.8, -8.0, -20.0])
    h = radius_mm + np.array([0.5, 1.0, 0.8, 1.5])
    pts = np.vstack([origin, bs.offset_points(theta, z, h)])
    anchored = np.zeros(len(pts), dtype=bool)
    anchored[[0, -1]] = True
    return VesselCourse(pts, anchored)


_AICA_DISTAL_FRACTION = 0.0
_AICA_DISTAL_OFFSET_MM = np.array([3.0, -8.0, -4.0])


def _aica(bs: Brainstem, radius_mm: float, ba_radius_mm: float, facial: NerveBuild,
          cochlear: NerveBuild) -> VesselCourse:
    origin = basilar_point(bs, VBJ_Z_MIDLINE_MM + AICA_ORIGIN_ABOVE_VBJ_MM, ba_radius_mm)
    over_pons = bs.offset_points(np.array([1.15, 0.75]),
                                 np.array([VBJ_Z_MIDLINE_MM + 7.5, VBJ_Z_MIDLINE_MM + 4.0]),
                                 np.full(2, radius_mm + 0.3))
    vii, viii = facial.tube, cochlear.tube
    lm = facial.landmarks
    premeatal = vii.point_at(lm.porus_mm - 5.0) + np.array([0.0, 2.8, -2.8])
    face = PetrousFace.through_porus(vii)     # grade I: below the porus, in the angle
    meatal = (face.porus - AICA_MEATAL_BELOW_PORUS_MM * face.up
              + AICA_MEATAL_FRONT_OF_FACE_MM * face.normal)
    postmeatal = viii.point_at(viii.length_mm - 6.0) + np.array([0.0, -2.6, -2.4])
    distal = viii.point_at(_AICA_DISTAL_FRACTION * viii.length_mm) + _AICA_DISTAL_OFFSET_MM
    pts = np.vstack([origin, over_pons, premeatal, meatal, postmeatal, distal])
    anchored, shaping = np.zeros(len(pts), dtype=bool), np.zeros(len(pts), dtype=bool)
    # the meatal loop is kept whatever the AICA presses on its way: the premeatal segment
    # that compresses the REZ runs on to its loop at the porus (Martin & Rhoton 1980);
    # dropped at corners, the loop vanished or became a hairpin. A contact within 5 mm of
    # one of its waypoints replaces it (the loop is then at the contact)
    anchored[[0, -1]] = True
    shaping[[3, 4, 5]] = True
    return VesselCourse(pts, anchored, shaping)


def _vein(bs: Brainstem, radius_mm: float, rexp_theta: float, rexp_z: float) -> VesselCourse:
    # the last two waypoints 1 mm above the PICA's cranial loop (its apex rexp_z - 4.8):
    # 0.8 mm above it, avoidance bent the vein off the PICA to 0.55 x its radius (issue #22
    # audit, item 12); here it clears the PICA by 0.8 mm unbent
    theta = rexp_theta + np.array([1.0, 0.75, 0.45, 0.15, -0.2, -0.55])
    z = rexp_z + np.array([0.0, 0.0, -0.6, -3.2, -3.0, -2.5])
    h = radius_mm + np.array([0.1, 0.1, 0.2, 0.4, 0.8, 2.5])
    pts = bs.offset_points(theta, z, h)
    anchored = np.zeros(len(pts), dtype=bool)
    anchored[[0, -1]] = True
    return VesselCourse(pts, anchored)


def default_course(kind: str, bs: Brainstem, radius_mm: float, *, facial: NerveBuild,
                   cochlear: NerveBuild, rexp_theta: float, rexp_z_midline_mm: float,
                   pons_length_mm: float, va_radius_mm: float,
                   ba_radius_mm: float) -> VesselCourse:
    """Default course of a vessel of type ``kind`` (``AICA``, ``PICA``, ``VA``, ``BA``,
    ``vein``) in the canonical right-sided scene frame."""
    if kind == "BA":
        return _basilar(bs, radius_mm, pons_length_mm)
    if kind == "VA":
        return _vertebral(bs, radius_mm, ba_radius_mm)
    if kind == "PICA":
        va = _vertebral(bs, va_radius_mm, ba_radius_mm)
        return _pica(bs, radius_mm, va, rexp_theta, rexp_z_midline_mm)
    if kind == "AICA":
        return _aica(bs, radius_mm, ba_radius_mm, facial, cochlear)
    return _vein(bs, radius_mm, rexp_theta, rexp_z_midline_mm)


def arc_from_junction(branch: Tube, trunk_points: np.ndarray) -> np.ndarray:
    """Arc length (mm) of each point of ``branch`` from the end where it joins a trunk.

    The joining end is the one nearer the trunk's centerline ``trunk_points`` (a PICA's
    origin on the VA, a VA's end at the vertebrobasilar junction).
    """
    dist, *_ = point_polyline(branch.points[[0, -1]], trunk_points)
    return branch.s if dist[0] <= dist[1] else branch.length_mm - branch.s
