"""Material and support constants of the rod model, with their sources (N, mm, MPa).

Every default is overridable per call (:class:`Materials` is a frozen dataclass: use
``dataclasses.replace``) and per scenario (the ``mechanics`` block of a scenario file).
Numbers marked *estimate* have no published value; the README lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Materials", "DEFAULT_MATERIALS", "SLING_STIFFNESS_N_PER_MM"]


@dataclass(frozen=True)
class Materials:
    """Elastic moduli and support stiffnesses.

    Attributes
    ----------
    nerve_youngs_mpa : float
        Young's modulus of CN VII/VIII as solid rods: 1.3 MPa, nerve roots in quasi-static
        tension (Singh A et al., J Biomech 2006); no cranial-nerve value exists.
    artery_youngs_mpa : float
        AICA, PICA and basilar artery wall: 1.6 MPa (Alastruey J et al. 2007).
    vertebral_youngs_mpa : float
        Vertebral artery wall: 0.8 MPa (Alastruey 2007).
    vein_youngs_mpa : float
        Vein wall: *estimate* 0.8 MPa (the softer arterial value; veins are thin-walled and
        do not pulse).
    poisson_ratio : float
        0.5: soft tissue is nearly incompressible, so ``G = E / 3``.
    central_dent_mpa : float
        Transverse stiffness per unit length (N/mm per mm of dent per mm of nerve) of the
        centrally myelinated root: brain tissue, ``E = 3 mu = 2.0 kPa`` with Ogden ``mu = 670
        Pa`` (PMC9748497). The REZ dents easily, which is why it is the vulnerable part.
    peripheral_dent_mpa : float
        The same for the peripherally myelinated root: the root modulus, 1.3 MPa (Singh 2006).
    vessel_wall_dent_mpa : float
        Transverse stiffness of a pressurised vessel (flattening): the mean arterial pressure,
        93 mmHg = 0.0124 MPa (120/80 mmHg, standard). *estimate* (membrane model).
    sponge_youngs_mpa : float
        Teflon felt compressive modulus: *estimate* 0.05 MPa (50 kPa; 5-500 kPa) from the
        facts file.
    sponge_compressibility : float
        A pad compresses to about half its thickness (*estimate*, facts file); beyond that it
        is as hard as the brainstem contact.
    dent_capacity : float
        Fraction of a tube's radius its section can dent or flatten before it acts as
        rigid: *estimate* 0.5.
    arachnoid_push_mn_per_mm : float
        Arachnoid trabeculae: a dissector pushing a vessel with a few mN moves it a few mm
        (facts file); this point stiffness, 1.0 mN/mm, calibrates the vessels' distributed
        tethers (:func:`tether_per_length`). *estimate*
    pia_tether_mpa : float
        The pia binding the attached segment to the pons, per unit length: shear modulus 0.30
        MPa (Ogden mu, Vandemaele P et al., Acta Biomater 2025) times the nerve's width
        (about 1 mm of pial contact) over the layer's 0.40 mm thickness: 0.75 MPa.
    sponge_hold_n_per_mm : float
        Friction and adhesion holding a pad where it was placed: *estimate* 0.01 N/mm.
    hard_mpa : float
        Penalty per unit length for contacts with no compliant layer left (the brainstem's
        surface, a fully compressed pad, a dent as deep as it goes): 50 MPa keeps further
        penetration near 1e-4 mm under mN forces. A numerical constant, not tissue.
    """

    nerve_youngs_mpa: float = 1.3
    artery_youngs_mpa: float = 1.6
    vertebral_youngs_mpa: float = 0.8
    vein_youngs_mpa: float = 0.8
    poisson_ratio: float = 0.5
    central_dent_mpa: float = 0.002
    peripheral_dent_mpa: float = 1.3
    vessel_wall_dent_mpa: float = 0.0124
    sponge_youngs_mpa: float = 0.05
    sponge_compressibility: float = 0.5
    dent_capacity: float = 0.5
    arachnoid_push_mn_per_mm: float = 1.0
    pia_tether_mpa: float = 0.75
    sponge_hold_n_per_mm: float = 0.01
    hard_mpa: float = 50.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{f.name} must be a finite number > 0, got {value!r}")
        if self.poisson_ratio >= 0.5 + 1e-12 or self.sponge_compressibility >= 1.0 \
                or self.dent_capacity >= 1.0:
            raise ValueError("poisson_ratio must be <= 0.5, sponge_compressibility and "
                             "dent_capacity < 1")

    def youngs_mpa(self, kind: str) -> float:
        """Wall or tissue modulus of a structure of type ``kind`` (CN7, CN8, BA, VA, ...)."""
        if kind in ("CN7", "CN8"):
            return self.nerve_youngs_mpa
        if kind == "VA":
            return self.vertebral_youngs_mpa
        if kind == "vein":
            return self.vein_youngs_mpa
        return self.artery_youngs_mpa


DEFAULT_MATERIALS = Materials()

#: Pull of a transposition's sling per mm its vessel falls short of where the band holds it
#: (N/mm, the band's nodes together). *estimate*: no published stiffness. The band is cut
#: from 0.3 mm ePTFE sheet (Tanaka Y et al., Neurol Med Chir 2013), far stiffer than the
#: tissue it holds: the arachnoid tethers give 1 mN/mm and a VA clamped 40 mm apart about
#: 8 mN/mm at mid-span, so at 1 N/mm the vessel ends within about 1% of where it is fixed;
#: the value only has to dominate the tissue, not be exact. A module constant, not a
#: :class:`Materials` field: it is the same for every case.
SLING_STIFFNESS_N_PER_MM = 1.0
