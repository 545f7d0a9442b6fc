"""What the literature does for the causes of hemifacial spasm that pads do not treat, in
the planner's words (facts file section 9.2-9.3).

- A **tumour** (secondary HFS): not a candidate for MVD with pads; resection first, with MVD
  of a vessel also found under the mass (a vessel in 76.9% of 26 CPA tumours; resection with
  MVD effective in 84%, World Neurosurg 2019;125:e10; 7 of 9 resolved, Lee SH et al., Acta
  Neurochir 2010). A **lipoma** is not resected (it encases the cranial nerves): the vessel
  embedded in it is decompressed (Barajas RF et al., Neurosurgery 2008).
- An **aneurysm**: treat the lesion: coiling (balloon-assisted), parent-artery occlusion or
  clipping, with MVD of a co-culprit AICA or PICA (Iida Y et al., SNI 2020; Inoue G et al.
  2023; Ko HC et al. 2022).
- An **AVM**: treat the lesion: nidus removal or embolisation alone can cure (Choi, Yeon,
  Lee, J Neurointensive Care 2022).
- A **dolichoectatic VA or BA**: transposition with a sling rather than pads (sling sutured to
  the petrous dura, Masuoka J et al., Neurosurg Rev 2011; in 102 VBD cases transposition and
  interposition cured alike, 89.7 vs 87.3%, Zheng W et al. 2024).
- An **arachnoid band** tethering a vessel to the nerve: cut the band, then decompress (El
  Refaee E et al., Acta Neurochir 2019).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.mechanics.contacts import LESION0
from mvd_sim.mechanics.simulate import Settled

__all__ = ["lesion_refusal", "lesion_loads", "LesionLoad", "DOLICHOECTASIA_ADVICE",
           "BAND_ADVICE", "LESION_FORCE_TOL_N"]

#: A lesion touching a nerve with less force (N) does not press on it (as a pad's 10 uN).
LESION_FORCE_TOL_N = 1e-5


@dataclass(frozen=True)
class LesionLoad:
    """What a lesion exerts on a nerve in a solved state: force (mN), contact area (mm^2:
    each pressed node's strip ``2 sqrt(2 r overlap)`` wide over its tributary length, the
    lesion taken as flat against the thinner nerve) and mean pressure (kPa)."""

    lesion: str
    nerve: str
    force_mn: float
    area_mm2: float

    @property
    def pressure_kpa(self) -> float:
        """Mean pressure (kPa = mN/mm^2); 0 without area."""
        return self.force_mn / self.area_mm2 if self.area_mm2 > 0 else 0.0


def lesion_loads(state: Settled) -> list[LesionLoad]:
    """Every lesion's load on CN VII and CN VIII in a solved state
    (:class:`~mvd_sim.mechanics.contacts.RodOnLesion`'s contacts), those pressing only."""
    model, contacts = state.model, state.solution.contacts
    forces = state.solution.forces_n()
    out = []
    for k, lesion in enumerate(model.lesions):
        for rod, body in enumerate(model.rods):
            if body.name not in ("CN7", "CN8"):
                continue
            on = (contacts.body_a == LESION0 - k) & (contacts.body_b == rod) & \
                (forces > LESION_FORCE_TOL_N)
            if not np.any(on):
                continue
            nodes = contacts.node_b[on]
            overlap = np.maximum(-contacts.gap[on], 0.0)
            width = 2.0 * np.sqrt(2.0 * body.tube.radius[nodes] * overlap)
            area = float(np.sum(width * model.tributaries[rod][nodes]))
            out.append(LesionLoad(lesion.name, body.name, 1e3 * float(np.sum(forces[on])),
                                  area))
    return out

DOLICHOECTASIA_ADVICE = ("dolichoectatic {vessel}: transposition with a sling to the petrous "
                         "dura rather than pads (Masuoka 2011; Zheng 2024)")
BAND_ADVICE = "cut the arachnoid band {band} tethering {vessel} to CN VII first (El Refaee 2019)"

_TREATMENT = {
    "tumour": ("not a candidate for MVD with pads: {name} ({kind}) {effect}; resection first, "
               "with MVD of any vessel found under it (World Neurosurg 2019: a vessel in "
               "76.9%)"),
    "lipoma": ("not a candidate for MVD with pads on the mass: {name} (lipoma) {effect}; a "
               "lipoma encases the cranial nerves and is not resected: decompress the vessel "
               "embedded in it (Barajas 2008)"),
    "aneurysm": ("not a candidate for MVD with pads: {name} (aneurysm on {vessel}) {effect}; "
                 "treat the lesion: coiling, parent-artery occlusion or clipping, with MVD of "
                 "a co-culprit AICA or PICA (Iida 2020; Inoue 2023; Ko 2022)"),
    "avm": ("not a candidate for MVD with pads: {name} (AVM nidus) {effect}; treat the lesion: "
            "nidus removal or embolisation alone can cure (Choi 2022)"),
}


def lesion_refusal(lesions: Iterable[Lesion], effects: dict[str, str]) -> str | None:
    """The planner's refusal for a case with lesions (tumours first, then AVMs, then
    aneurysms), one clause each, or None without a lesion. ``effects`` says what each lesion
    does to CN VII, by id (e.g. ``"displaces CN VII 1.5 mm at the CP"``)."""
    order = {"tumour": 0, "avm": 1, "aneurysm": 2}
    clauses = []
    for lesion in sorted(lesions, key=lambda x: (order[x.cause], x.name)):
        key = "lipoma" if lesion.kind == "lipoma" else lesion.cause
        clauses.append(_TREATMENT[key].format(
            name=lesion.name, kind=lesion.kind, vessel=lesion.vessel,
            effect=effects.get(lesion.name, "does not touch CN VII")))
    return "; ".join(clauses) or None
