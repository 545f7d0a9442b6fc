"""Conventions, tolerances and literature defaults of mvd-sim.

Units
-----
Every length is in millimetres (mm), every angle in degrees at the boundaries (scenario files,
reports) and radians inside numerical kernels, stiffness in N/mm^2 (= MPa).

Frame
-----
Scenes live in a right-handed patient frame with RAS axes, translated so that the origin is
the facial nerve's root exit point (RExP) on the brainstem surface of the case's side:

- ``+x`` points to the patient's right,
- ``+y`` points anterior,
- ``+z`` points rostral (superior).

For a right-sided case the lateral direction is ``+x``; for a left-sided case it is ``-x``.
Builders work in the canonical right-sided frame and a left case is its mirror image
``x -> -x`` (meshes have their triangle winding flipped so they stay outward-oriented).

Arc length ``s`` along a nerve is measured from the RExP (``s = 0``) toward the internal
acoustic porus.

Defaults
--------
Numbers below come from ``shared/anatomy_facts.md``; each names its source. Numbers marked
*estimate* have no published source: they are named, documented and overridable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = ["Tolerances", "TOL", "BrainstemParams", "FacialNerveParams",
           "VestibulocochlearParams", "VESSEL_DEFAULT_RADIUS_MM", "VESSEL_TYPES",
           "VESSEL_PARENT", "BRANCH_ORIGIN_MM", "AICA_MEATAL_BELOW_PORUS_MM",
           "AICA_MEATAL_FRONT_OF_FACE_MM", "PetrousParams", "MAX_SCENARIO_BYTES",
           "MAX_MESH_BYTES"]


@dataclass(frozen=True)
class Tolerances:
    """Every tolerance mvd-sim compares against, in one place (mm unless stated).

    Attributes
    ----------
    length_mm : float
        Two lengths closer than this are equal; default 1e-9.
    zero_segment_mm : float
        A polyline segment shorter than this is degenerate; default 1e-9.
    newton_steps : int
        Most Newton steps of the closest-point solve on the brainstem (it stops earlier once
        converged); 30.
    """

    length_mm: float = 1e-9
    zero_segment_mm: float = 1e-9
    newton_steps: int = 30


TOL = Tolerances()


@dataclass(frozen=True)
class BrainstemParams:
    """Parametric brainstem, in a midline frame (x right, y anterior, z rostral, mm).

    ``z = 0`` is the floor of the pontomedullary sulcus; ``x = 0`` the midsagittal plane.
    """

    # Pons width (ventral view) 31.5 and length 26.0: Tsukano S, Niigata Igakkai Zasshi 1991.
    pons_half_width_mm: float = 31.5 / 2
    pons_length_mm: float = 26.0
    # Pons anteroposterior depth 22.7 +- 1.3: J Gandaki Med Coll 2019 (MRI, 103 adults).
    pons_depth_mm: float = 22.7
    # Medulla anteroposterior depth 13.0 +- 0.9: J Gandaki Med Coll 2019.
    medulla_depth_mm: float = 13.0
    # *estimate*: medulla width at the olives (not in the facts file); 17 mm.
    medulla_half_width_mm: float = 8.5
    # *estimate*: length of medulla modelled below the sulcus; 32 mm.
    medulla_length_mm: float = 32.0
    # *estimate*: the dorsal (fourth-ventricle) surface of the pons lies this far behind the
    # dorsal surface of the medulla; the pons bulges anteriorly (basilar pons).
    pons_dorsal_step_mm: float = 1.5
    # *estimate*: the olives bulge the rostral medulla (olive about 13 mm long just below the
    # sulcus); the bulge below and the pons above leave the sulcus as a groove between them.
    olive_bulge_mm: float = 1.5
    olive_centre_below_sulcus_mm: float = 7.5
    olive_half_length_mm: float = 7.5
    # *estimate*: midbrain stump above the pons, closing the surface rostrally.
    midbrain_half_width_mm: float = 12.0
    midbrain_depth_mm: float = 17.0
    midbrain_length_mm: float = 10.0
    # *estimate*: sharpness (mm) of the smooth maximum that fillets pons onto medulla and
    # so shapes the pontomedullary sulcus; smaller is a deeper, sharper groove. 3.0 leaves a
    # groove about 0.9 mm deep whose floor has a radius of curvature above 3 mm, so a nerve
    # or vessel can lie in it.
    sulcus_fillet_mm: float = 3.0
    # *estimate*: exponent m of the pons' rostro-caudal bell profile 1 / (1 + u^(2m)); larger
    # is boxier with sharper borders.
    pons_profile_exponent: int = 3

    #: Scenario overrides accepted outside the general rule (``[low, high]``, inclusive):
    #: the default vertebral artery rises from 30 mm below the sulcus, on the medulla, so
    #: the modelled medulla is never shorter than its default.
    OVERRIDE_RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "medulla_length_mm": (32.0, 51.2)}


@dataclass(frozen=True)
class FacialNerveParams:
    """Facial nerve (CN VII) root, arc length ``s`` from the RExP (mm)."""

    # VII emerges 9.5-14.5 mm from the midline (use 12): LaRouere & Lundy, Neurotology 1994.
    exit_from_midline_mm: float = 12.0
    # Diameter near the brainstem 2.21 mm mean: Sitnikov & Grigoryan 2009.
    diameter_mm: float = 2.21
    # Diameter in the internal auditory canal about 1.0 mm (Laryngoscope 2012); we taper the
    # cisternal portion toward 1.18 mm at the porus (Xu W et al., 52 heads: 1.18 +- 0.31).
    porus_diameter_mm: float = 1.18
    # Attached segment about 10 mm long: Neurographics 2015;5(1) "Imaging hemifacial spasm".
    attached_segment_length_mm: float = 10.0
    # RDP is a short zone, 1-2 mm (Tomii M et al., J Neurosurg 2003;99:121): use 1.5.
    rdp_zone_length_mm: float = 1.5
    # *estimate*: the RExP zone is the first millimetre of the root at the sulcus.
    rexp_zone_length_mm: float = 1.0
    # Medial REZ, RDP to transition zone 2.6 mm (1.6-3.5): J Korean Neurosurg Soc 2014;55:244.
    rdp_to_transition_zone_mm: float = 2.6
    # Lateral transition zone length 1.9 mm: Tomii M et al., J Neurosurg 2003;99:121.
    transition_zone_length_mm: float = 1.9
    # Cisternal length brainstem (RDP) to porus 12.4 +- 1.9 mm: Gupta T et al., Ann Anat 2023.
    cisternal_length_mm: float = 12.4
    # Angle of VII to the midline on axial MRI 69.7 +- 5.8 deg: Kakizawa Y et al.,
    # J Neurosurg 2008;108:483.
    angle_to_midline_deg: float = 69.7
    # *estimate*: rise of the cisternal course above the axial plane toward the porus.
    elevation_deg: float = 5.0
    # *estimate*: heading of the attached segment on the pons, measured in the surface's
    # tangent plane from rostral toward lateral; the root runs rostro-laterally on the pons.
    attached_heading_deg: float = 35.0


@dataclass(frozen=True)
class VestibulocochlearParams:
    """CN VIII root (mm): Guclu B, Sindou M et al., Acta Neurochir 2012;154:2277."""

    # Thickness at brainstem entry 2.31 +- 0.68 mm; at the transition zone 1.44 +- 0.38 mm.
    diameter_mm: float = 2.31
    tz_diameter_mm: float = 1.44
    # *estimate*: the entry zone at the brainstem, labelled like VII's RExP zone.
    entry_zone_length_mm: float = 1.0
    # TZ about 11.5 mm from the brainstem.
    transition_zone_s_mm: float = 11.5
    # VIII sits 0.5-2.0 mm lateral/dorsal of VII at the brainstem (LaRouere & Lundy 1994);
    # nervus intermedius between them 0.62 mm thick (Alfieri A et al., Clin Anat 2012).
    gap_to_facial_mm: float = 0.62
    # *estimate*: at the porus VIII lies posteroinferior to VII (VII occupies the
    # anterosuperior quadrant of the 5.9 x 5.7 mm canal, Erkoc MF et al., Folia Morphol 2012).
    porus_offset_posterior_mm: float = 1.6
    porus_offset_caudal_mm: float = 1.4


# Outer radii (mm) by vessel type, half the diameters in shared/anatomy_facts.md section 8.
VESSEL_DEFAULT_RADIUS_MM: dict[str, float] = {
    # AICA along its course 1.02 +- 0.35 mm (Estupinan); 2.10 at origin (Dubrowski 2024).
    "AICA": 1.02 / 2,
    # PICA 1.45 +- 0.37 mm (Estupinan et al.).
    "PICA": 1.45 / 2,
    # VA near VII/VIII (V4) 3.1 mm (Ates O et al., Neurosurg Focus 2008).
    "VA": 3.1 / 2,
    # Basilar artery mid 3.2 +- 0.5 mm (J NeuroIntervent Surg 2013;5:597).
    "BA": 3.2 / 2,
    # *estimate*: no published mean vein diameter; 0.5-2.0 mm (Bender B et al., AJNR 2018).
    "vein": 1.0 / 2,
}
VESSEL_TYPES: tuple[str, ...] = tuple(VESSEL_DEFAULT_RADIUS_MM)
# The trunk each vessel type arises from (AICA from the BA, PICA from the VA, 70%,
# Ballesteros-Acuna 2022; the VA ends in the BA): where they join they overlap by design.
VESSEL_PARENT: dict[str, str] = {"AICA": "BA", "PICA": "VA", "VA": "BA"}
# Length (mm) of a branch from its origin that may overlap its parent trunk.
BRANCH_ORIGIN_MM: float = 6.0
# The AICA's meatal loop (default course): a Chavda grade I loop, the commonest (61%; II
# enters the canal 27%, III 12%), stays in the cerebellopontine angle below the porus.
# *estimate*: its apex lies 3.4 mm below the porus centre along the petrous face (below the
# 4.47 mm-high opening) and its centerline 1.0 mm in front of the face, in the angle (the
# face: :class:`PetrousParams`): the default AICA's wall then clears the face by 0.47 mm
# and bends no tighter than 1.88 radii (0.5 mm in front: its wall 0.03 mm in the bone).
# Placed relative to the porus alone it lay 1.3 mm in the bone (issue #22 audit, item 14).
AICA_MEATAL_BELOW_PORUS_MM: float = 3.4
AICA_MEATAL_FRONT_OF_FACE_MM: float = 1.0



@dataclass(frozen=True)
class PetrousParams:
    """The posterior face of the petrous bone around the internal acoustic porus, where pads
    and slings are anchored (:class:`mvd_sim.anatomy.petrous.PetrousFace`).

    *estimate*: its shape and orientation. No published number places it relative to the
    nerve; the face is taken as a plane through the porus (CN VII's end point), square to
    the nerve's course there (the nerve runs into the internal auditory canal, 5.9 x 5.7 mm,
    Erkoc MF et al., Folia Morphol 2012), facing the cerebellopontine angle. The porus
    opening in that plane is an ellipse ``porus_width_mm`` across (horizontal) and
    ``porus_height_mm`` high (vertical), centred on the nerve's end; nothing is anchored
    inside it. A later surface with the opening itself replaces the plane.
    """

    # Porus opening 7.10 mm wide, vertical diameter 4.47 mm (CT, adults): Marques SR et al.,
    # Iran J Radiol 2012;9:71.
    porus_width_mm: float = 7.10
    porus_height_mm: float = 4.47


# Untrusted-input bounds: scenario YAML and mesh files larger than this are refused.
MAX_SCENARIO_BYTES: int = 1 << 20
MAX_MESH_BYTES: int = 64 << 20
