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
           "AICA_MEATAL_FRONT_OF_FACE_MM", "PetrousParams", "ContextParams",
           "LOWER_CRANIAL_NERVES", "OBSTACLE_KINDS", "MAX_SCENARIO_BYTES", "MAX_MESH_BYTES",
           "MAX_VOLUME_BYTES", "MAX_VOLUME_VOXELS", "MASS_KINDS", "MASS_ORIGINS",
           "MASS_DEFAULT_SEMI_AXES_MM", "MAX_MASS_SEMI_AXIS_MM", "MASS_ORIGIN_FRACTION",
           "MASS_DEFAULT_DISPLACEMENT_MM", "ANEURYSM_DEFAULT_DOME_MM", "ANEURYSM_DEFAULT_NECK_MM",
           "MAX_ANEURYSM_DOME_MM", "AVM_DEFAULT_SEMI_AXES_MM", "DOLICHOECTASIA_DIAMETER_MM",
           "DOLICHOECTASIA_TORTUOSITY", "CAUSES", "CAUSE_FREQUENCY", "MASS_KIND_SHARE",
           "BAND_STIFFNESS_N_PER_MM"]


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
    # *estimate*: half-width of the rostral medulla behind the olives, with the inferior
    # cerebellar peduncles (not in the facts file): 9.5 mm, 22 mm wide with the olives. It
    # sets how far lateral the pontomedullary sulcus reaches: 9.5 puts the RExP 9.9 mm from
    # the midsagittal plane, inside LaRouere & Lundy's 9.5-14.5 (8.5 left it at 9.3).
    medulla_half_width_mm: float = 9.5
    # *estimate*: length of medulla modelled below the sulcus; 32 mm.
    medulla_length_mm: float = 32.0
    # *estimate*: the dorsal (fourth-ventricle) surface of the pons lies this far behind the
    # dorsal surface of the medulla; the pons bulges anteriorly (basilar pons).
    pons_dorsal_step_mm: float = 1.5
    # *estimate*: the olives bulge the rostral medulla laterally (olive about 13 mm long just
    # below the sulcus; the pyramids between them keep the midline depth at the medulla's
    # 13.0); the bulge below and the pons above leave the sulcus as a groove between them.
    olive_bulge_mm: float = 1.5
    # *estimate*: the pyramids bulge the same levels anteriorly, less than the olives do
    # laterally, so the medulla's deepest midsagittal depth (14.1 mm built) stays inside
    # 13.0 +- 0.9 x 2 (J Gandaki Med Coll 2019) and the sulcus stays a groove on the midline
    # (the foramen caecum).
    pyramid_bulge_mm: float = 1.0
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
    # Laid off as arc along the floor of the pontomedullary sulcus from the anterior midline
    # (the way the root is found at surgery, following the sulcus); on the default brainstem
    # that puts the RExP 9.9 mm lateral of the midsagittal plane, also inside their range.
    exit_from_midline_mm: float = 12.0
    # Diameter near the brainstem 2.21 mm mean: Sitnikov & Grigoryan 2009.
    diameter_mm: float = 2.21
    # Diameter in the internal auditory canal about 1.0 mm (Laryngoscope 2012); we taper the
    # cisternal portion toward 1.18 mm at the porus (Xu W et al., 52 heads: 1.18 +- 0.31).
    porus_diameter_mm: float = 1.18
    # Attached segment 5.5 mm: the lateral transition zone starts 8 mm from the upper edge of
    # the supraolivary fossette (Tomii M et al., J Neurosurg 2003;99:121, 75 nerves) and the
    # central myelin runs 2.6 mm beyond the RDP (J Korean Neurosurg Soc 2014;55:244), so the
    # RDP lies 8 - 2.6 = 5.4-5.5 mm from the RExP. Neurographics 2015;5(1) says "about 10
    # mm" (imaging); it is the upper end of the sampled range. With 5.5, VII's root from the
    # RExP to the porus (5.5 + 12.4) matches CN VIII alongside it (16.5 +- 1.8, Guclu 2012).
    attached_segment_length_mm: float = 5.5
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
    # *estimate*: heading of the attached segment at the RExP, measured in the surface's
    # tangent plane from rostral toward anterior. The root is attached along the undersurface
    # of the pons and runs laterally (Neurographics 2015): marching up the pons, whose
    # inferior border flares laterally over the sulcus, carries it lateral; 10 deg keeps the
    # chord RExP -> RDP more lateral than anterior (axial angle to the midline above 45 deg).
    attached_heading_deg: float = 10.0


@dataclass(frozen=True)
class VestibulocochlearParams:
    """CN VIII root (mm): Guclu B, Sindou M et al., Acta Neurochir 2012;154:2277."""

    # Thickness at brainstem entry 2.31 +- 0.68 mm; at the transition zone 1.44 +- 0.38 mm.
    diameter_mm: float = 2.31
    tz_diameter_mm: float = 1.44
    # *estimate*: the entry zone at the brainstem, labelled like VII's RExP zone.
    entry_zone_length_mm: float = 1.0
    # TZ 8 mm from the brainstem: the sources conflict (about 11.5, Guclu 2012; 3.6 +- 1.4,
    # Gupta T et al., Ann Anat 2023); the facts file samples 4-12, and 8 is its middle, at
    # 48% of the 16.5 mm nerve (Gupta's 13-54% of the cisternal length).
    transition_zone_s_mm: float = 8.0
    # VIII sits 0.5-2.0 mm lateral/dorsal of VII at the brainstem (LaRouere & Lundy 1994);
    # nervus intermedius between them 0.62 mm thick (Alfieri A et al., Clin Anat 2012): the
    # surface gap between the two roots where they meet the brainstem.
    gap_to_facial_mm: float = 0.62
    # *estimate*: VII's junction lies below and slightly in front of VIII's (Rhoton's
    # captions, facts 9.1, give no number): VIII's entry is dorsal of VII's turned this far
    # toward rostral in the surface's tangent plane (20 deg: VIII's centre about 1 mm higher).
    entry_tilt_rostral_deg: float = 20.0
    # *estimate*: at the porus VIII lies posteroinferior to VII (VII occupies the
    # anterosuperior quadrant of the 5.9 x 5.7 mm canal, Erkoc MF et al., Folia Morphol 2012)
    # and the two are apposed (facts 9.1): centres 1.7 mm apart, a surface gap of about 0.3,
    # under the 0.62 mm nervus intermedius that may lie between them.
    porus_offset_posterior_mm: float = 1.3
    porus_offset_caudal_mm: float = 1.1


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
    # Internal acoustic canal 9.84 mm long (CT, adults): Marques SR et al. 2012; the drawn
    # bone around it is a slab 2 mm deeper than the canal (*estimate*).
    canal_length_mm: float = 9.84
    # *estimate*: the drawn part of the face around the porus (pictures and meshes only), an
    # ellipse this wide (horizontal) and high.
    drawn_width_mm: float = 24.0
    drawn_height_mm: float = 18.0


#: The context structures of the operative field (:mod:`mvd_sim.anatomy.context`), each its
#: own kind and name: the lower cranial nerves, top to bottom, and the solid ones vessels may
#: not pass through.
LOWER_CRANIAL_NERVES: tuple[str, ...] = ("CN9", "CN10", "CN11")
OBSTACLE_KINDS: tuple[str, ...] = ("flocculus", "cerebellum", "choroid_plexus")


@dataclass(frozen=True)
class ContextParams:
    """Context structures of the operative field (:mod:`mvd_sim.anatomy.context`), mm.

    Positions are offsets in the canonical right-sided scene frame (origin at the RExP, x
    lateral, y anterior, z rostral) from the structures named. Drawn, exported and kept clear
    of vessels; never graded for contact. Numbers from ``shared/anatomy_facts.md`` section
    9.1 unless marked *estimate*.
    """

    # CN IX-XI rootlets leave the postolivary sulcus. Top IX rootlet 2-4 mm below VII and
    # about 2 mm posterior (skull-base anatomy texts); VII is about 4 mm cephalad and 2 mm
    # anterior of IX (Rhoton via Greenberg): 4.0 below, 2 behind, laid off on the brainstem
    # (the foot lands 3.8-3.9 mm below the RExP, inside both).
    ix_below_vii_mm: float = 4.0
    ix_behind_vii_mm: float = 2.0
    # *estimate*: IX leaves by 2 rootlets over 2 mm of the sulcus.
    ix_rootlets: int = 2
    ix_rootlet_span_mm: float = 2.0
    # 6.4 +- 2.3 X rootlets in the retrosigmoid view: Xu W et al. (PMID 19670628).
    x_rootlets: int = 6
    # Lowest X rootlet -1 to +8 mm below the caudal olive (Wiles CC et al., Clin Anat 2007):
    # use the middle, 3.5; highest XI rootlet 5.4 (1-15) mm below it (Lachman N et al., Clin
    # Anat 2002).
    lowest_x_below_olive_mm: float = 3.5
    highest_xi_below_olive_mm: float = 5.4
    # *estimate*: the cranial XI rootlets in view, 3 over 6 mm of the sulcus.
    xi_rootlets: int = 3
    xi_rootlet_span_mm: float = 6.0
    # *estimate*: rootlet diameter (no published X diameter, facts file "not found").
    rootlet_diameter_mm: float = 0.6
    # X in the retrosigmoid view 10.44 +- 2.57 (left), 9.91 +- 2.91 (right) mm long: Xu W et
    # al.; its middle rootlet runs 10.2 mm to the jugular foramen.
    vagus_length_mm: float = 10.2
    # *estimate*: course to the jugular foramen, axial angle to the midline and descent.
    jugular_angle_to_midline_deg: float = 75.0
    jugular_descent_deg: float = 25.0
    # *estimate*: IX enters the pars nervosa this far anterior of X/XI, past the dural
    # septum between them (Ozveren MF, Ture U, Neurosurg Focus 2004).
    ix_ahead_of_x_mm: float = 2.5
    # Flocculus: no published dimension (Tagliavini & Pietrini 1984 count folia only); size
    # *estimate* about 10 x 6 x 5 mm (facts 9.1), along its long axis, vertically, across.
    flocculus_length_mm: float = 10.0
    flocculus_height_mm: float = 6.0
    flocculus_thickness_mm: float = 5.0
    # *estimate*: it sits just above and behind the VII/VIII root entry (facts section 8):
    # it rests on the brainstem (the middle cerebellar peduncle) at the surface point nearest
    # to this far above and behind CN VIII's entry, its long axis turned this far back from
    # lateral.
    flocculus_above_viii_mm: float = 5.0
    flocculus_behind_viii_mm: float = 3.5
    flocculus_heading_deg: float = 35.0
    # *estimate*: the cerebellar hemisphere, an ellipsoid (a hemisphere about 50 mm wide, 55
    # deep and 44 high), held as retracted so the cistern and the infrafloccular route stay
    # open: its centre this far lateral, behind and above the RExP, clear of the flocculus,
    # a lobule of it that stands out of its surface beside CN VIII. Its medial face meets the
    # brainstem along the middle cerebellar peduncle (15.5 +- 1.3 mm thick, J Korean Radiol
    # Soc 1995), which the audit measures.
    hemisphere_width_mm: float = 50.0
    hemisphere_depth_mm: float = 55.0
    hemisphere_height_mm: float = 44.0
    hemisphere_lateral_mm: float = 11.0
    hemisphere_behind_mm: float = 32.0
    hemisphere_above_mm: float = 14.0
    # Choroid plexus through the foramen of Luschka (in 91.7% of 84 CPAs, Barany L et al.,
    # Acta Neurochir 2017): limb 23.6 mm long with a bulbous tip 3.5 mm wide (MRI,
    # Horsburgh et al., Neuroradiology 2012).
    choroid_limb_length_mm: float = 23.6
    choroid_tip_width_mm: float = 3.5
    # *estimate*: the limb's stalk diameter, the part of the limb out in the cistern, and the
    # foramen's place: behind the top IX rootlet, below VII; the tuft hangs out of it, down
    # behind IX/X at this angle below the horizontal (or clear of the vessels).
    choroid_stalk_diameter_mm: float = 1.2
    choroid_cistern_length_mm: float = 7.0
    choroid_descent_deg: float = 55.0
    luschka_behind_ix_mm: float = 3.0
    luschka_below_vii_mm: float = 2.0

    #: Scenario overrides of the angles (degrees, ``[low, high]``): the lower cranial nerves
    #: run laterally and down, the flocculus' long axis between lateral and posterior, the
    #: choroid plexus' tuft out from the brainstem.
    OVERRIDE_RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "jugular_angle_to_midline_deg": (45.0, 90.0), "jugular_descent_deg": (0.0, 60.0),
        "flocculus_heading_deg": (0.0, 60.0), "choroid_descent_deg": (-30.0, 80.0)}


# Untrusted-input bounds: scenario YAML and mesh files larger than this are refused.
MAX_SCENARIO_BYTES: int = 1 << 20
MAX_MESH_BYTES: int = 64 << 20
# Label volumes (NIfTI, NRRD) larger than this on disk, or with more voxels than this, are
# refused: a 512^3 volume is four times a CPA study at 0.4 mm (256^3 covers 102 mm).
MAX_VOLUME_BYTES: int = 512 << 20
MAX_VOLUME_VOXELS: int = 512 ** 3


# -- other causes of hemifacial spasm (issue #26) -------------------------------------------
# Facts file section 9.2. No series gives tumour, aneurysm or nidus sizes in HFS: the sizes
# below are *estimates* (named here, overridable in a scenario), bounded by the case reports.

#: Kinds of cerebellopontine-angle mass (World Neurosurg 2019;125:e10: meningioma 11,
#: epidermoid 8, vestibular schwannoma 7 of 26 tumours; lipoma: case reports, Barajas RF et
#: al., Neurosurgery 2008).
MASS_KINDS: tuple[str, ...] = ("schwannoma", "meningioma", "epidermoid", "lipoma")
#: Where a mass arises, in clinical terms.
MASS_ORIGINS: tuple[str, ...] = ("porus", "petrous", "brainstem")
#: ESTIMATE: default semi-axes (mm: along CN VII, across it toward the nerve, the third) of
#: each kind's cisternal part. Bounded by the one size published among HFS cases, a 2.5 cm
#: vestibular schwannoma (Zeiler FA, Kaufmann AM, J Mov Disord 2015); epidermoids insinuate
#: (flat), lipomas in HFS are small and encase the nerves (case reports).
MASS_DEFAULT_SEMI_AXES_MM: dict[str, tuple[float, float, float]] = {
    "schwannoma": (6.0, 5.0, 5.0), "meningioma": (7.0, 6.0, 5.0),
    "epidermoid": (6.0, 4.0, 3.0), "lipoma": (3.0, 2.5, 2.0)}
#: Largest semi-axis (mm) a scenario may give a mass: half the 2.5 cm schwannoma, plus room.
MAX_MASS_SEMI_AXIS_MM: float = 15.0
#: ESTIMATE: where along CN VII (fraction of its length from the RExP) a mass of each origin
#: is centred, before it is moved inward to lie between the nerve's anchors (its semi-axis
#: along the nerve from the porus and from the brainstem, where it fits): against the porus
#: (a schwannoma growing out of the canal), mid-cistern against the petrous face, or
#: against the brainstem beside the root exit zone.
MASS_ORIGIN_FRACTION: dict[str, float] = {"porus": 1.0, "petrous": 0.6, "brainstem": 0.0}
#: ESTIMATE: how far (mm) a mass displaces CN VII from its rest course by default (how much
#: of the nerve's rest course it occupies): no published number.
MASS_DEFAULT_DISPLACEMENT_MM: float = 1.5
#: ESTIMATE: aneurysm dome and neck diameters (mm) by default; range of the schema. One VA
#: aneurysm causing HFS measured about 12 x 8 x 6 mm (facts file 9.2, case excerpt); the
#: others are case reports without sizes (Iida Y et al., SNI 2020).
ANEURYSM_DEFAULT_DOME_MM: float = 4.0
ANEURYSM_DEFAULT_NECK_MM: float = 2.0
MAX_ANEURYSM_DOME_MM: float = 15.0
#: ESTIMATE: default semi-axes (mm) of an AVM nidus near the root exit zone (37 NVC cases
#: reported, none with a size: Choi, Yeon, Lee, J Neurointensive Care 2022).
AVM_DEFAULT_SEMI_AXES_MM: tuple[float, float, float] = (5.0, 4.0, 4.0)
#: ESTIMATE: thresholds above which a VA or BA is *dolichoectatic*: outer diameter (mm) and
#: tortuosity index (length / chord). The facts file gives the normal VA tortuosity, 1.09-1.29
#: (section 8), and no diameter criterion; 4.5 mm is the radiological criterion usually cited
#: for the basilar artery (Smoker WR et al., AJNR 1986), not in the facts file.
DOLICHOECTASIA_DIAMETER_MM: float = 4.5
DOLICHOECTASIA_TORTUOSITY: float = 1.3
#: Causes a contact can have (the contact report's ``cause``).
CAUSES: tuple[str, ...] = ("vascular", "dolichoectasia", "aneurysm", "tumour", "avm",
                           "arachnoid_band")
#: Share of hemifacial-spasm cases by cause other than a looping artery (fraction of all
#: cases): tumour 7 and AVM 2 and VBD 12 of 1642 (Han IB ... Chung SS, Neurosurgery
#: 2009;65:130); arachnoid band without a vessel 2 of 353 (El Refaee E ... Schroeder HWS,
#: Acta Neurochir 2019); aneurysm: case reports only, ESTIMATE 1 in 2000.
CAUSE_FREQUENCY: dict[str, float] = {"tumour": 7 / 1642, "avm": 2 / 1642,
                                     "dolichoectasia": 12 / 1642, "arachnoid_band": 2 / 353,
                                     "aneurysm": 0.0005}
#: Share of each tumour kind among HFS tumours (World Neurosurg 2019;125:e10, 26 cases:
#: meningioma 11, epidermoid 8, schwannoma 7); lipoma: case reports, ESTIMATE 1 in 27.
MASS_KIND_SHARE: dict[str, float] = {"meningioma": 11 / 27, "epidermoid": 8 / 27,
                                     "schwannoma": 7 / 27, "lipoma": 1 / 27}
#: ESTIMATE: stiffness (N/mm) of an arachnoid band tethering a vessel to the nerve (facts
#: file: arachnoid trabeculae have no published stiffness). A band is far stiffer than the
#: diffuse trabeculae (1 mN/mm): at 0.05 N/mm the bundled band keeps the AICA on CN VII
#: under the pad that frees it once the band is cut (tests/surgery/test_causes.py).
BAND_STIFFNESS_N_PER_MM: float = 0.05
