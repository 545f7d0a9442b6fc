"""Measure the anatomy of the bundled default scene against its published values (issue #22).

Builds ``atlas_default_right`` (or the bundled scenarios named on the command line) and
measures each quantity ``shared/anatomy_facts.md`` gives a number for from the *built*
geometry (tube centrelines and radii, the brainstem surface, the petrous face, the landmark
arc lengths of the scene), never from the constants. Each row shows the measured value, the
published value or range, its source as the facts file cites it, and a verdict:

- ``in range``: inside the published range. Where a source gives mean +- SD the range is
  mean +- 2 SD (the facts file's rule for sampling); where it gives one number only, +-10%;
- ``OUT OF RANGE``: outside it (also: a physical bound broken, e.g. a vessel bent tighter
  than its own radius);
- ``estimate (no published number)``.

Run it from the repository root (about 2 s; it builds one scene and measures it)::

    PYTHONPATH=. python benchmarks/anatomy_audit.py                     # text table
    PYTHONPATH=. python benchmarks/anatomy_audit.py --markdown          # README table
    PYTHONPATH=. python benchmarks/anatomy_audit.py va_as_severe_left   # another scene

Units are mm and degrees. Frame: RAS with the origin at CN VII's root exit point (RExP),
+x right, +y anterior, +z rostral; arc length ``s`` runs from the RExP. A left scene is
measured in its mirror image (lateral = +x).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import mvd_sim  # noqa: E402
from mvd_sim.anatomy.bends import MIN_BEND_RADIUS_TO_VESSEL_RADIUS, bend_ratios  # noqa: E402
from mvd_sim.anatomy.taper import AICA_TAPER  # noqa: E402
from mvd_sim.core.geometry.closest import point_polyline  # noqa: E402
from mvd_sim.core.tube import Tube  # noqa: E402

#: A nerve counts as detached from the brainstem once it clears the surface by this (mm).
DETACHED_MM = 0.1
# The attached segment: 8 mm to the lateral TZ (Tomii 2003) minus 2.6 (1.6-3.5) mm of central
# myelin beyond the RDP (JKNS 2014) gives 4.5-6.4; imaging says "about 10" (Neurographics 2015).
_AS_PUBLISHED = "5.5 (8 - 2.6; 4.5-6.4); about 10 (imaging)"
_AS_SOURCE = "Tomii 2003 + J Korean Neurosurg Soc 2014; Neurographics 2015;5(1)"
_AS_RANGE = (4.5, 10.0)


@dataclass(frozen=True)
class Row:
    """One audited quantity.

    ``low``/``high`` bound the verdict (None: unbounded on that side); a row with neither
    bound and ``ok`` None is an estimate. ``ok`` overrides the bounds for qualitative checks.
    ``estimate`` marks a row whose reference is itself an estimate: inside its bounds it
    reads "estimate", outside them still "OUT OF RANGE".
    """

    group: str
    quantity: str
    measured: str
    published: str
    source: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    ok: bool | None = None
    estimate: bool = False

    @property
    def verdict(self) -> str:
        if self.ok is not None:
            inside = self.ok
        elif self.low is None and self.high is None:
            return "estimate (no published number)"
        else:
            inside = ((self.low is None or self.value >= self.low)
                      and (self.high is None or self.value <= self.high))
        if not inside:
            return "OUT OF RANGE"
        return "estimate (no published number)" if self.estimate else "in range"


def _sd(mean: float, sd: float) -> tuple[float, float]:
    """The range mean +- 2 SD."""
    return mean - 2 * sd, mean + 2 * sd


def _single(value: float) -> tuple[float, float]:
    """The range +-10% about a single published number."""
    return 0.9 * value, 1.1 * value


def _num(value: float, unit: str = "mm", digits: int = 2) -> str:
    return f"{value:.{digits}f} {unit}".rstrip()


# -- geometry helpers (canonical right-sided frame, mm) ---------------------------------------
def _gap_profile(b: Tube, a: Tube, b_points: np.ndarray, a_points: np.ndarray) -> np.ndarray:
    """(n,) surface gap from each cross-section of tube ``b`` to tube ``a`` (mm)."""
    dist, seg, u, _ = point_polyline(b_points, a_points)
    r_a = a.radius[seg] * (1 - u) + a.radius[seg + 1] * u
    return dist - r_a - b.radius


def _nearest_on(points: np.ndarray, polyline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arc length along ``polyline`` of the point nearest each of ``points``, and that point."""
    _, seg, u, closest = point_polyline(points, polyline)
    s = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(polyline, axis=0), axis=1))))
    return s[seg] + u * (s[seg + 1] - s[seg]), closest


def _axial_angle_deg(v: np.ndarray) -> float:
    """Angle (deg) between the axial projection of ``v`` and the midline (the y axis)."""
    return float(np.degrees(np.arctan2(abs(v[0]), v[1])))


def _around(offset: np.ndarray, tangent: np.ndarray) -> tuple[float, float]:
    """Anterior and superior components (mm) of ``offset`` in the plane square to
    ``tangent``: anterior is +y made square to the tangent, superior completes the frame."""
    t = tangent / np.linalg.norm(tangent)
    perp = offset - np.dot(offset, t) * t
    ant = np.array([0.0, 1.0, 0.0]) - t[1] * t
    ant /= np.linalg.norm(ant)
    sup = np.cross(t, ant)
    if sup[2] < 0:
        sup = -sup
    return float(perp @ ant), float(perp @ sup)


# -- the audit ---------------------------------------------------------------------------------
def audit(scene) -> list[Row]:
    """Rows measuring ``scene`` (a :class:`mvd_sim.scene.Scene`) against the facts file."""
    mirror = np.array([scene.lateral[0], 1.0, 1.0])
    bs, shape = scene.brainstem, scene.brainstem.shape
    vii, viii = scene.rest_nerves["CN7"], scene.rest_nerves["CN8"]
    p7, p8 = vii.points * mirror, viii.points * mirror
    lm7, lm8 = scene.landmarks["CN7"], scene.landmarks["CN8"]
    rows: list[Row] = []

    def add(*args, **kw):
        rows.append(Row(*args, **kw))

    # -- brainstem (its analytic surface, midline frame: x = 0 midsagittal) ----------------
    g = "brainstem"
    z = np.linspace(shape.z_bottom_mm, shape.z_top_mm, 8001)
    half_width, y_mid, half_depth = shape.section(z)
    y_ant = y_mid + half_depth
    pons = (z > 0) & (z < shape.pons_length_mm)
    depth = float(np.max(2 * half_depth[pons]))
    add(g, "pons anteroposterior depth (midsagittal, deepest)", _num(depth),
        "22.7 +- 1.3", "J Gandaki Med Coll 2019 (MRI, 103 adults)", depth, *_sd(22.7, 1.3))
    width = float(np.max(2 * half_width[pons]))
    add(g, "pons width (ventral view, widest)", _num(width), "31.5",
        "Tsukano S, Niigata Igakkai Zasshi 1991", width, *_single(31.5))
    floor_front = shape.sulcus_points(np.array([np.pi / 2]))[0]
    peak = int(np.argmax(y_ant))
    top = float(np.interp(shape.z_top_mm - 6.0, z, y_ant))   # midbrain stump, below its cap
    rostral = z[peak + int(np.argmax(y_ant[peak:] < 0.5 * (y_ant[peak] + top)))]
    length = float(rostral - floor_front[2])
    add(g, "pons length (ventral: sulcus floor to rostral half-height of the bulge)",
        _num(length), "26.0", "Tsukano 1991", length, *_single(26.0))
    medulla = (z < floor_front[2] - 1.0) & (z > shape.z_bottom_mm + 6.0)
    deepest = float(np.max(2 * half_depth[medulla]))
    z_mid_medulla = 0.5 * (floor_front[2] + shape.z_bottom_mm)
    mid_depth = float(np.interp(z_mid_medulla, z, 2 * half_depth))
    add(g, f"medulla anteroposterior depth, mid-medulla (z = {z_mid_medulla:.0f})",
        _num(mid_depth), "13.0 +- 0.9", "J Gandaki Med Coll 2019", mid_depth, *_sd(13.0, 0.9))
    add(g, "medulla anteroposterior depth, deepest (at the olives)", _num(deepest),
        "13.0 +- 0.9", "J Gandaki Med Coll 2019", deepest, *_sd(13.0, 0.9))
    olive_width = float(np.max(2 * half_width[medulla]))
    add(g, "medulla width (widest, at the olives)", _num(olive_width), "none (19 with the peduncles, + olives)",
        "estimate (BrainstemParams)")
    # groove of the pontomedullary sulcus along the RExP's direction
    rexp_mid = bs.origin_midline_mm * mirror
    theta = float(np.arctan2((rexp_mid[1] - np.interp(rexp_mid[2], z, y_mid))
                             / np.interp(rexp_mid[2], z, half_depth),
                             rexp_mid[0] / np.interp(rexp_mid[2], z, half_width)))
    radial = np.hypot(half_width * np.cos(theta), half_depth * np.sin(theta))
    at = np.interp(rexp_mid[2], z, radial)
    below = radial[(z > rexp_mid[2] - 8) & (z < rexp_mid[2])].max()
    above = radial[(z > rexp_mid[2]) & (z < rexp_mid[2] + 8)].max()
    groove = float(min(below, above) - at)
    add(g, "pontomedullary sulcus groove depth at the RExP", _num(groove), "none",
        "estimate (sulcus_fillet_mm)")
    add(g, "RExP from the midline, straight (lateral distance)", _num(abs(rexp_mid[0])), "9.5-14.5",
        "LaRouere & Lundy, Neurotology 1994", abs(rexp_mid[0]), 9.5, 14.5)
    thetas = np.linspace(np.pi / 2, -np.pi / 2, 2881)
    floor = shape.sulcus_points(thetas)
    arc = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(floor, axis=0), axis=1))))
    rexp_arc = float(arc[np.argmin(np.linalg.norm(floor - rexp_mid, axis=1))])
    add(g, "RExP from the midline, along the sulcus floor", _num(rexp_arc), "9.5-14.5",
        "LaRouere & Lundy 1994 (if measured along the surface)", rexp_arc, 9.5, 14.5)

    # -- CN VII ---------------------------------------------------------------------------
    g = "CN VII"
    clear7 = bs.signed_distance(vii.points) - vii.radius
    free = np.flatnonzero(clear7 > DETACHED_MM)
    s_free = float(vii.s[free[0]]) if len(free) else float(vii.length_mm)
    add(g, "attached segment length (RExP to RDP landmark)", _num(lm7.rdp_mm), _AS_PUBLISHED,
        _AS_SOURCE, lm7.rdp_mm, *_AS_RANGE)
    add(g, f"where VII leaves the brainstem (first s clear by > {DETACHED_MM} mm)",
        _num(s_free), f"the RDP: {_AS_PUBLISHED}", _AS_SOURCE, s_free, *_AS_RANGE)
    rdp = vii.point_at(lm7.rdp_mm) * mirror
    chord = (rdp - p7[0]) / np.linalg.norm(rdp - p7[0])
    heading = _axial_angle_deg(chord)
    add(g, "attached segment heading (unit chord RExP->RDP: lateral / anterior / rostral; "
        "axial angle to the midline)",
        f"{chord[0]:.2f} / {chord[1]:.2f} / {chord[2]:.2f}; {heading:.0f} deg",
        "runs laterally along the undersurface of the pons (axial angle > 45 deg)",
        "Neurographics 2015 (abstract)", ok=bool(heading > 45.0))
    add(g, "RDP zone length", _num(lm7.rdp_zone_mm), "1-2", "Tomii M et al., J Neurosurg 2003",
        lm7.rdp_zone_mm, 1.0, 2.0)
    add(g, "transition zone start, arc from the RExP", _num(lm7.tz_start_mm), "8",
        "Tomii 2003", lm7.tz_start_mm, *_single(8.0))
    beyond = lm7.tz_start_mm - lm7.rdp_mm
    add(g, "central myelin beyond the RDP (RDP to TZ)", _num(beyond),
        "2.6 (1.6-3.5); 0.9-3.6; 3.7 +- 1.6",
        "J Korean Neurosurg Soc 2014;55:244; Sitnikov & Grigoryan 2009; Gupta 2023",
        beyond, 1.6, 3.5)
    add(g, "transition zone length", _num(lm7.tz_end_mm - lm7.tz_start_mm), "1.9", "Tomii 2003",
        lm7.tz_end_mm - lm7.tz_start_mm, *_single(1.9))
    cisternal = vii.length_mm - lm7.rdp_mm
    share = 100 * beyond / cisternal
    add(g, "TZ start as a share of the cisternal length", _num(share, "%", 0), "17-61%",
        "Gupta T et al., Ann Anat 2023", share, 17.0, 61.0)
    add(g, "cisternal length, RDP to porus (arc)", _num(cisternal), "12.4 +- 1.9",
        "Gupta 2023", cisternal, *_sd(12.4, 1.9))
    add(g, "cisternal length, where it leaves the brainstem to porus (arc)",
        _num(vii.length_mm - s_free), "12.4 +- 1.9", "Gupta 2023", vii.length_mm - s_free,
        *_sd(12.4, 1.9))
    add(g, "RExP to porus (arc)", _num(vii.length_mm),
        "none (AS + cisternal; VIII alongside: 16.5 +- 1.8)", "not found (facts file)")
    add(g, "RExP to porus (straight)", _num(float(np.linalg.norm(p7[-1] - p7[0]))), "none",
        "not found")
    add(g, "diameter near the brainstem", _num(2 * vii.radius[0]), "2.21",
        "Sitnikov & Grigoryan 2009", 2 * vii.radius[0], *_single(2.21))
    add(g, "diameter at the porus", _num(2 * vii.radius[-1]),
        "1.18 +- 0.31 (CPA); about 1.0 (canal)", "Xu W et al.; Laryngoscope 2012",
        2 * vii.radius[-1], *_sd(1.18, 0.31))
    angle_cp = _axial_angle_deg(p7[-1] - rdp)
    add(g, "angle to the midline, cisternal course RDP->porus (axial)", _num(angle_cp, "deg", 1),
        "69.7 +- 5.8", "Kakizawa Y et al., J Neurosurg 2008", angle_cp, *_sd(69.7, 5.8))
    angle_root = _axial_angle_deg(p7[-1] - p7[0])
    add(g, "angle to the midline, whole root RExP->porus (axial)",
        _num(angle_root, "deg", 1), "69.7 +- 5.8", "Kakizawa 2008", angle_root,
        *_sd(69.7, 5.8))
    rise = p7[-1] - rdp
    elevation = float(np.degrees(np.arctan2(rise[2], np.hypot(rise[0], rise[1]))))
    add(g, "rise of the cisternal course above the axial plane", _num(elevation, "deg", 1),
        "none", "estimate (elevation_deg)")

    # -- CN VIII --------------------------------------------------------------------------
    g = "CN VIII"
    add(g, "cisternal length, brainstem to porus (arc)", _num(viii.length_mm),
        "16.5 +- 1.8 (14.2-19.2)", "Guclu B, Sindou M et al., Acta Neurochir 2012",
        viii.length_mm, 14.2, 19.2)
    add(g, "thickness at brainstem entry", _num(2 * viii.radius[0]),
        "2.31 +- 0.68 (1.21-3.16)", "Guclu 2012", 2 * viii.radius[0], 1.21, 3.16)
    tz8 = 2 * float(viii.radius_at(lm8.tz_start_mm))
    add(g, "thickness at the transition zone", _num(tz8), "1.44 +- 0.38", "Guclu 2012", tz8,
        *_sd(1.44, 0.38))
    add(g, "transition zone from the brainstem (arc)", _num(lm8.tz_start_mm),
        "11.5 (Guclu) vs 3.6 +- 1.4 (Gupta): sample 4-12", "Guclu 2012; Gupta 2023; facts 9.5",
        lm8.tz_start_mm, 4.0, 12.0)
    share8 = 100 * lm8.tz_start_mm / viii.length_mm
    add(g, "transition zone as a share of VIII's length", _num(share8, "%", 0), "13-54%",
        "Gupta 2023", share8, 13.0, 54.0)

    # -- VII and VIII together --------------------------------------------------------------
    g = "VII-VIII"
    gap8 = _gap_profile(viii, vii, p8, p7)       # from each VIII section to VII
    gap7 = _gap_profile(vii, viii, p7, p8)       # from each VII section to VIII
    at_stem = float(min(gap7[vii.s <= 1.0].min(), gap8[viii.s <= 1.0].min()))
    add(g, "surface gap at the brainstem (closest, first 1 mm)", _num(at_stem),
        "0.5-2.0 (VIII lateral/dorsal of VII); NI 0.62 between",
        "LaRouere & Lundy 1994; Alfieri A et al., Clin Anat 2012", at_stem, 0.5, 2.0)
    offset = p7[0] - p8[0]
    add(g, "VII anterior of VIII's entry (centres, along y)", _num(offset[1]), "2-3",
        "Rhoton captions (facts 9.1)", float(offset[1]), 2.0, 3.0)
    add(g, "VII below VIII at the brainstem (centres, along z)", f"{-offset[2]:+.3f} mm",
        "VII below and slightly in front of VIII", "Rhoton captions (facts 9.1); Greenberg",
        ok=bool(offset[2] < 0.0))
    k_mid = int(np.argmin(np.abs(viii.s - 0.5 * viii.length_mm)))
    add(g, "surface gap mid-CPA (at VIII's midpoint)", _num(gap8[k_mid]),
        "closing from the brainstem (0.5-2.0) to apposed at the porus",
        "LaRouere & Lundy 1994; alpfmedical text; Rhoton (facts 9.1)", float(gap8[k_mid]),
        0.0, 2.0)
    k_max = int(np.argmax(gap7))
    add(g, f"largest surface gap along the course (VII s = {vii.s[k_max]:.1f})",
        _num(gap7[k_max]), "no wider than at the brainstem (<= 2.0)", "same",
        float(gap7[k_max]), 0.0, 2.0)
    at_porus = float(min(gap7[vii.s >= vii.length_mm - 1.0].min(),
                         gap8[viii.s >= viii.length_mm - 1.0].min()))
    add(g, "surface gap at the porus (closest, last 1 mm)", _num(at_porus),
        "apposed (0, or the 0.62 nervus intermedius between)",
        "alpfmedical text; Rhoton; Alfieri 2012", at_porus, 0.0, 0.62)
    _, near7 = _nearest_on(p8[k_mid][None], p7)
    ant, sup = _around(near7[0] - p8[k_mid], viii.tangent_at(viii.s[k_mid]) * mirror)
    add(g, "VII around VIII mid-CPA (anterior / superior, mm)", f"{ant:.2f} / {sup:.2f}",
        "VII anterosuperior to VIII", "Rhoton caption (facts 9.1)", ok=bool(ant > 0 and sup > 0))
    ant, sup = _around(p7[-1] - p8[-1], viii.tangent_at(viii.length_mm) * mirror)
    add(g, "VII around VIII at the porus (anterior / superior, mm)", f"{ant:.2f} / {sup:.2f}",
        "VII anterosuperior to VIII", "Rhoton caption (facts 9.1)", ok=bool(ant > 0 and sup > 0))

    # -- vessels (the first vessel of each type) -----------------------------------------------
    g = "vessels"
    first = {}
    for v in scene.vessels.values():
        first.setdefault(v.kind, v)
    va, ba, aica, pica = (first.get(k) for k in ("VA", "BA", "AICA", "PICA"))
    if va is not None:
        add(g, "VA diameter (V4)", _num(2 * va.radius.max()), "3.1; distal 2.8 +- 0.6",
            "Ates O et al., Neurosurg Focus 2008; J NeuroIntervent Surg 2013", 2 * va.radius.max(),
            *_sd(2.8, 0.6))
        add(g, "VA length (modelled course)", _num(va.length_mm), "40 +- 10.6 (intracranial)",
            "J NeuroIntervent Surg 2013", va.length_mm, *_sd(40.0, 10.6))
        tortuosity = va.length_mm / float(np.linalg.norm(va.points[-1] - va.points[0]))
        add(g, "VA tortuosity (length / chord)", _num(tortuosity, ""), "1.09-1.29",
            "facts file section 8", tortuosity, 1.09, 1.29)
    if ba is not None:
        add(g, "BA diameter", _num(2 * ba.radius.max()), "mid 3.2 +- 0.5",
            "J NeuroIntervent Surg 2013", 2 * ba.radius.max(), *_sd(3.2, 0.5))
        add(g, "BA length", _num(ba.length_mm), "27.3 +- 5.7", "J NeuroIntervent Surg 2013",
            ba.length_mm, *_sd(27.3, 5.7))
    if aica is not None:
        # along its course: beyond the taper from its origin
        course = 2 * aica.radius[aica.s >= AICA_TAPER.length_mm].max()
        add(g, "AICA diameter along its course (largest beyond its taper)", _num(course),
            "1.02 +- 0.35", "Estupinan et al.", course, *_sd(1.02, 0.35))
        add(g, "AICA diameter at its origin", _num(2 * aica.radius[0]), "2.10 (1.14-2.88)",
            "Dubrowski A et al., Folia Morphol 2024", 2 * aica.radius[0], 1.14, 2.88)
        sd_face = scene.petrous.signed_distance(aica.points)
        k_loop = int(np.argmin(np.linalg.norm(aica.points - scene.petrous.porus, axis=1)))
        add(g, "AICA meatal loop diameter", _num(2 * aica.radius[k_loop]), "1.0",
            "Ates 2008", 2 * aica.radius[k_loop], *_single(1.0))
        if ba is not None:
            s_origin, _ = _nearest_on(aica.points[:1], ba.points)
            add(g, "AICA origin above the VBJ (arc along the BA)", _num(s_origin[0]),
                "9.9 +- 3.2", "Ballesteros LE et al., Neurol Res 2020", float(s_origin[0]),
                *_sd(9.9, 3.2))
        # AICA beyond the petrous face: inside the porus opening (enters the canal) or not
        beyond = sd_face < 0
        if np.any(beyond):
            face = scene.petrous
            off = face.closest(aica.points[beyond]) - face.porus
            across = np.cross(face.normal, face.up)
            rim = np.hypot((off @ across) / (0.5 * face.porus_width_mm),
                           (off @ face.up) / (0.5 * face.porus_height_mm))
            in_porus = bool(np.all(rim < 1.0))
            text = (f"{-sd_face.min():.2f} mm beyond the face, "
                    + ("inside the porus" if in_porus else "outside the porus (in bone)"))
        else:
            in_porus, text = True, f"stays {sd_face.min():.2f} mm in front of the face"
        add(g, "AICA meatal loop vs the petrous face", text,
            "stays in the CPA (61%) or enters the canal (39%); never through bone",
            "Chavda grades (facts 8)", ok=in_porus)
        # premeatal course: the AICA before its loop, where it passes VII's cisternal portion
        cp = p7[vii.s >= lm7.rdp_mm]
        pre = aica.points[:k_loop + 1] * mirror
        dist, _, _, near = point_polyline(pre, cp)
        j = int(np.argmin(dist))
        side = pre[j] - near[j]
        add(g, "AICA premeatal segment vs VII (offset ant / sup, mm)",
            f"{side[1]:.2f} / {side[2]:.2f}", "anteroinferior (ventral 53%, dorsal 44%)",
            "Martin RG, Rhoton AL 1980; Ballesteros 2020", ok=bool(side[1] > 0 and side[2] < 0))
    if pica is not None:
        add(g, "PICA diameter", _num(2 * pica.radius.max()), "1.45 +- 0.37 (1.2-1.8)",
            "Estupinan; Fernandez & Dujovny 1999; Ates 2008", 2 * pica.radius.max(),
            *_sd(1.45, 0.37))
        if va is not None:
            s_on_va, _ = _nearest_on(pica.points[:1], va.points)
            add(g, "PICA origin below the VBJ (arc along the VA)",
                _num(va.length_mm - s_on_va[0]), "none", "estimate (PICA_ORIGIN_Z_MIDLINE_MM)")
    for v in first.values():
        if v.kind == "vein":
            add(g, "vein diameter", _num(2 * v.radius.max()), "none (0.5-2.0 estimate)",
                "estimate; Bender B et al., AJNR 2018")
    for v in scene.vessels.values():
        # the builder's own measure: the circle through the points one radius of arc apart
        ratios = bend_ratios(v.points, v.radius)
        k = int(np.argmin(ratios))
        ratio = float(ratios[k])
        add(g, f"{v.name} ({v.kind}) tightest bend / own radius (at s = {v.s[k]:.1f})",
            f"{ratio:.2f} (R {ratio * v.radius[k]:.2f} mm)",
            f">= {MIN_BEND_RADIUS_TO_VESSEL_RADIUS:g} (the floor; at 1 the wall folds "
            "through itself)", "geometry; issue #22 (estimate)", ratio,
            MIN_BEND_RADIUS_TO_VESSEL_RADIUS, estimate=True)

    # -- petrous face and porus -------------------------------------------------------------
    g = "petrous"
    face = scene.petrous
    if face is not None:
        add(g, "porus opening width", _num(face.porus_width_mm), "7.10",
            "Marques SR et al., Iran J Radiol 2012", face.porus_width_mm, *_single(7.10))
        add(g, "porus opening height", _num(face.porus_height_mm), "4.47; 3.68 (2.10-5.26)",
            "Marques 2012; Ann Otol Rhinol Laryngol (histology)", face.porus_height_mm, 2.10,
            5.26)
        mid_as = vii.point_at(0.5 * lm7.rdp_mm)
        reach = float(face.signed_distance(mid_as[None])[0])
        add(g, "petrous face to the mid attached segment (commonest NVC site)", _num(reach),
            "median 13.77 (hearing-loss group; controls shorter)",
            "Lee MH ... Park K, Acta Neurochir 2015 (face is an estimate)")
        add(g, "internal acoustic canal length (drawn)", _num(face.canal_length_mm), "9.84",
            "Marques 2012", face.canal_length_mm, *_single(9.84))
    if scene.context:
        rows += _context_rows(scene, mirror)
    return rows


def _context_rows(scene, mirror: np.ndarray) -> list[Row]:
    """Rows measuring the context structures of the operative field (facts section 9.1)."""
    from mvd_sim.anatomy.context import LOWER_CRANIAL_NERVES

    bs, shape, context = scene.brainstem, scene.brainstem.shape, scene.context
    g = "context"
    rows = [Row(g, "CN IX-XI: rootlets drawn (IX / X / XI)",
                " / ".join(str(len(context[n].rootlets)) for n in LOWER_CRANIAL_NERVES),
                "X: 6.4 +- 2.3 in the retrosigmoid view; IX and XI not found",
                "Xu W et al. (PMID 19670628)", len(context["CN10"].rootlets),
                *_sd(6.4, 2.3))]
    # the rootlets' origins: their feet on the brainstem (canonical frame)
    feet = {n: bs.query(np.array([r.points[0] for r in context[n].rootlets])).closest * mirror
            for n in LOWER_CRANIAL_NERVES}
    below, behind = -feet["CN9"][0, 2], -feet["CN9"][0, 1]
    rows.append(Row(g, "top IX rootlet below VII's RExP", _num(below), "2-4",
                    "skull-base anatomy texts (facts section 8)", below, 2.0, 4.0))
    rows.append(Row(g, "VII's RExP cephalad of the top IX rootlet", _num(below), "about 4",
                    "Rhoton, as summarised in Greenberg's handbook", below, *_single(4.0)))
    rows.append(Row(g, "top IX rootlet behind VII's RExP", _num(behind), "about 2",
                    "skull-base anatomy texts; Rhoton via Greenberg", behind, *_single(2.0)))
    olive = -(shape.olive_centre_below_sulcus_mm + shape.olive_half_length_mm) \
        - bs.origin_midline_mm[2]
    lowest_x, highest_xi = olive - feet["CN10"][-1, 2], olive - feet["CN11"][0, 2]
    rows.append(Row(g, "lowest X rootlet below the caudal olive", _num(lowest_x),
                    "-1 to +8; 1-21 (mean 8.8)",
                    "Wiles CC et al., Clin Anat 2007; Lachman N et al., Clin Anat 2002",
                    lowest_x, -1.0, 21.0))
    rows.append(Row(g, "highest XI rootlet below the caudal olive", _num(highest_xi),
                    "5.4 (1-15)", "Lachman 2002", highest_xi, 1.0, 15.0))
    middle = context["CN10"].rootlets[len(context["CN10"].rootlets) // 2]
    rows.append(Row(g, "X: middle rootlet, brainstem to jugular foramen (arc)",
                    _num(middle.length_mm), "10.44 +- 2.57 (L), 9.91 +- 2.91 (R)",
                    "Xu W et al. (retrosigmoid view)", middle.length_mm, 9.91 - 2 * 2.91,
                    10.44 + 2 * 2.57))
    flocculus = context["flocculus"]
    size = " x ".join(f"{v:.1f}" for v in 2 * flocculus.semi_axes_mm)
    rows.append(Row(g, "flocculus size (ellipsoid axes)", f"{size} mm",
                    "none found; about 10 x 6 x 5", "estimate (facts 9.1; Tagliavini 1984 "
                    "count folia only)"))
    entry = scene.rest_nerves["CN8"].points[0] * mirror
    offset = flocculus.centre * mirror - entry
    rows.append(Row(g, "flocculus centre from CN VIII's entry (rostral / posterior)",
                    f"{offset[2]:.1f} / {-offset[1]:.1f} mm",
                    "just above and behind the VII/VIII root entry",
                    "facts section 8 (Rhoton captions)", ok=bool(offset[2] > 0 > offset[1])))
    limb = context["choroid_plexus"]
    tip = 2 * float(limb.radius.max())
    rows.append(Row(g, "choroid plexus limb length (arc)", _num(limb.length_mm), "23.6",
                    "Horsburgh et al., Neuroradiology 2012 (MRI)", limb.length_mm,
                    *_single(23.6)))
    rows.append(Row(g, "choroid plexus bulbous tip width", _num(tip), "3.5", "Horsburgh 2012",
                    tip, *_single(3.5)))
    out = float(bs.signed_distance(limb.points[-1:])[0])
    rows.append(Row(g, "choroid plexus tip out in the cistern (from the brainstem)",
                    _num(out), "protrudes through Luschka in 91.7%",
                    "Barany L et al., Acta Neurochir 2017", ok=out > 0))
    # the hemisphere's junction with the brainstem: the height of the band of its surface
    # inside the brainstem, where the middle cerebellar peduncle joins them
    cerebellum = context["cerebellum"]
    theta, t = np.meshgrid(np.linspace(0, 2 * np.pi, 400), np.linspace(0, np.pi, 300))
    surface = cerebellum.surface_points(theta, t).reshape(-1, 3)
    joined = surface[bs.signed_distance(surface, 1.0) < 0, 2]
    height = float(np.ptp(joined)) if len(joined) else 0.0
    rows.append(Row(g, "cerebellum: height of its junction with the brainstem (the MCP)",
                    _num(height), "MCP thickness 15.5 +- 1.3",
                    "J Korean Radiol Soc 1995 (hemisphere an estimate)", height,
                    *_sd(15.5, 1.3)))
    clear = float(cerebellum.signed_distance(_rez(scene)).min())
    rows.append(Row(g, "retracted cerebellum: nearest to CN VII's root exit zone",
                    _num(clear), "none (retracted out of the infrafloccular route)",
                    "estimate (ContextParams)"))
    return rows


def _rez(scene) -> np.ndarray:
    """CN VII's rest centerline points along its root exit zone (scene frame)."""
    rest = scene.rest_nerves["CN7"]
    return rest.points[rest.s <= scene.landmarks["CN7"].rez_end_mm]


# -- output ------------------------------------------------------------------------------------
_COLUMNS = ("quantity", "measured", "published", "source", "verdict")


def _cells(row: Row) -> tuple[str, ...]:
    return (f"{row.group}: {row.quantity}", row.measured, row.published, row.source,
            row.verdict)


def as_text(rows: list[Row]) -> str:
    """A plain fixed-width table."""
    cells = [_COLUMNS] + [_cells(r) for r in rows]
    widths = [min(max(len(c[i]) for c in cells), 70) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(c[i].ljust(widths[i]) for i in range(len(c))).rstrip()
                     for c in cells)


def as_markdown(rows: list[Row]) -> str:
    """The README table: quantity | mvd-sim default (measured) | published | source | status."""
    lines = ["| quantity | mvd-sim default (measured) | published | source | status |",
             "|---|---|---|---|---|"]
    for row in rows:
        cells = list(_cells(row))
        if cells[-1] == "OUT OF RANGE":
            cells[-1] = "**OUT OF RANGE**"
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    names = [a for a in argv if not a.startswith("--")] or ["atlas_default_right"]
    for name in names:
        rows = audit(mvd_sim.Case.bundled(name).scene)
        out = sum(r.verdict == "OUT OF RANGE" for r in rows)
        print(f"{name}: {len(rows)} quantities, {out} out of range\n")
        print(as_markdown(rows) if markdown else as_text(rows))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
