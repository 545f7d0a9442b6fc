"""Rod sections from the materials: axial, torsional and bending stiffness of nerves and
vessels, the vessels' lumen, and the arachnoid tethers (N, mm, MPa)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.core.materials import DEFAULT_MATERIALS, Materials

__all__ = ["RodSection", "nerve_section", "vessel_section", "lumen_radius",
           "tether_per_length"]


@dataclass(frozen=True)
class RodSection:
    """Section stiffnesses of a rod (per element or uniform).

    Attributes
    ----------
    ea_n : N
    gj_nmm2 : N mm^2
    ei_nmm2 : N mm^2
    """

    ea_n: np.ndarray
    gj_nmm2: np.ndarray
    ei_nmm2: np.ndarray


def _section(youngs_mpa: float, poisson: float, r_out: np.ndarray, r_in: np.ndarray
             ) -> RodSection:
    area = np.pi * (r_out ** 2 - r_in ** 2)
    second_moment = 0.25 * np.pi * (r_out ** 4 - r_in ** 4)
    shear = youngs_mpa / (2.0 * (1.0 + poisson))
    return RodSection(youngs_mpa * area, shear * 2.0 * second_moment,
                      youngs_mpa * second_moment)


def nerve_section(radius_mm: np.ndarray, materials: Materials = DEFAULT_MATERIALS
                  ) -> RodSection:
    """Solid circular section (``EI = E pi r^4 / 4``, facts file section 8)."""
    r = np.asarray(radius_mm, dtype=float)
    return _section(materials.nerve_youngs_mpa, materials.poisson_ratio, r, np.zeros_like(r))


def lumen_radius(radius_mm: np.ndarray) -> np.ndarray:
    """Inner radius of a vessel of outer radius ``radius_mm``: the wall is a quarter of the
    lumen radius (Alastruey J et al. 2007), so ``r_in = r_out / 1.25``. This reproduces the
    facts file's bending stiffnesses (D 1.0 mm: 0.02-0.05 N mm^2 for E 0.8-1.6 MPa); the
    histological ``0.1 D + 0.04`` mm gives walls about 40% thicker on small arteries."""
    return np.asarray(radius_mm, dtype=float) / 1.25


def vessel_section(kind: str, radius_mm: np.ndarray, materials: Materials = DEFAULT_MATERIALS
                   ) -> RodSection:
    """Thin-walled tube (:func:`lumen_radius`), ``EI = E pi (ro^4 - ri^4) / 4``; the blood
    adds no bending stiffness."""
    r = np.asarray(radius_mm, dtype=float)
    return _section(materials.youngs_mpa(kind), materials.poisson_ratio, r, lumen_radius(r))


def tether_per_length(materials: Materials = DEFAULT_MATERIALS) -> float:
    """Distributed arachnoid tether stiffness (N/mm per mm of vessel, i.e. MPa).

    Calibrated on a reference 1.0 mm artery (AICA, facts file) as an infinite beam on an
    elastic (Winkler) foundation, whose point stiffness is ``2 k / beta`` with
    ``beta = (k / 4 EI)^(1/4)``; solving for ``k`` gives
    ``k = (K_point / (2 (4 EI)^(1/4)))^(4/3)``.
    """
    reference = vessel_section("AICA", np.array(0.5), materials)
    point = 1e-3 * materials.arachnoid_push_mn_per_mm
    return float((point / (2.0 * (4.0 * reference.ei_nmm2) ** 0.25)) ** (4.0 / 3.0))
