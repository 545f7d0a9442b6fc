"""Draw one case from the priors: a scenario fully determined by (seed, case index).

A case is drawn in two parts, each from its own random stream, so that it never depends on
which worker draws it or in which order:

- its *diagnosis* (:class:`Diagnosis`): side, culprit vessels, and the site and severity of
  each compression, double compressions included; the frequencies the priors give;
- its *geometry*: nerve dimensions, vessel radii, and each compression's side of approach,
  crossing angle, indentation and deviation; the side is drawn from the vessel's sides
  (:data:`SIDE_WEIGHTS_BY_VESSEL`) that can be asked at the compression's site
  (:class:`~mvd_sim.scene.build.NerveSites`), so that placement, which honours the side or
  refuses the draw, seldom refuses it.

A draw the scene builder cannot place (a contact that conflicts with the vessel's course,
another vessel or the brainstem) is redrawn: its geometry alone first, up to
:data:`GEOMETRY_ATTEMPTS` times, so that the realised diagnoses follow the priors instead of
leaning toward the ones that are easy to place; then the diagnosis too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.case import Case
from mvd_sim.dataset.priors import Priors
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import ScenarioSpec, parse_scenario
from mvd_sim.scenario.schema import AnatomySpec
from mvd_sim.scene.build import NerveSites
from mvd_sim.scene.scene import Scene

__all__ = ["Compression", "Diagnosis", "SampledCase", "draw_diagnosis", "draw_spec", "sample",
           "sample_case", "approach_side", "MAX_ATTEMPTS", "GEOMETRY_ATTEMPTS",
           "SIDES_BY_VESSEL", "SIDE_WEIGHTS_BY_VESSEL"]

MAX_ATTEMPTS = 32
#: Geometries drawn for one diagnosis before the diagnosis is drawn again too.
GEOMETRY_ATTEMPTS = 4
#: The sides each culprit presses CN VII from, with their weights, ``shared/anatomy_facts.md``:
#: AICA runs ventral to VII/VIII in 53%, dorsal in 44% (Ballesteros 2020, section 3), its
#: premeatal segment anteroinferior, its meatal one inferior, its postmeatal one
#: posteroinferior (Martin & Rhoton 1980, section 8); a PICA loop rises to the REZ from below
#: (Rhoton, section 8); the VA lies caudal-anterior (section 8; "VA inferior-anterior, AICA
#: and PICA inferior", Li 2024, section 9.4). A vein's sides are an *estimate* (the facts
#: file has only the vein of the middle cerebellar peduncle wrapping the ventral root,
#: section 8). The weights within each vessel are *estimates* (equal). A
#: compression's side is drawn from those of its vessel that can be asked at its site, the
#: weights renormalised over them (:func:`approach_side`).
SIDE_WEIGHTS_BY_VESSEL: dict[str, dict[str, float]] = {
    "AICA": {"anterior": 1.0, "caudal": 1.0, "posterior": 1.0},
    "PICA": {"caudal": 1.0, "posterior": 1.0, "anterior": 1.0},
    "VA": {"anterior": 1.0, "caudal": 1.0},
    "vein": {"rostral": 1.0, "posterior": 1.0, "caudal": 1.0}}
#: The sides each culprit comes from (the keys of :data:`SIDE_WEIGHTS_BY_VESSEL`).
SIDES_BY_VESSEL = {kind: tuple(w) for kind, w in SIDE_WEIGHTS_BY_VESSEL.items()}
_VESSEL_ORDER = ("VA", "PICA", "AICA", "vein")


@dataclass(frozen=True)
class Compression:
    """One compression of CN VII: its segment and severity."""

    site: str
    severity: str


@dataclass(frozen=True)
class Diagnosis:
    """The clinical part of a case.

    Attributes
    ----------
    side : str
        ``left`` or ``right``.
    culprits : tuple of str
        Culprit vessel types, the first drawn first.
    control : bool
        A control case: the culprits are present but compress nothing.
    compressions : dict of str to tuple of Compression
        Each compressing culprit's compressions of CN VII (a VA that pushes the other
        culprit into the nerve has none of its own).
    """

    side: str
    culprits: tuple[str, ...]
    control: bool
    compressions: dict[str, tuple[Compression, ...]]

    @property
    def pusher(self) -> bool:
        """Is the VA a culprit by pushing the other culprit into the nerve?"""
        return _va_pushes(self.culprits)


def _va_pushes(culprits: tuple[str, ...] | list[str]) -> bool:
    """A VA among several culprits pushes the other one into the nerve."""
    return "VA" in culprits and len(culprits) > 1


def draw_diagnosis(priors: Priors, rng: np.random.Generator) -> Diagnosis:
    """Side, culprits, and each compression's site and severity, from the priors."""
    side = priors.choose("side", rng)
    culprits = [priors.choose("culprit", rng)]
    if rng.random() < priors.multivessel_rate:
        for _ in range(8):
            other = priors.choose("culprit", rng)
            if other not in culprits:
                culprits.append(other)
                break
    control = rng.random() < priors.control_rate
    pusher = _va_pushes(culprits)
    compressions = {}
    for kind in _VESSEL_ORDER:
        if control or kind not in culprits or (kind == "VA" and pusher):
            continue
        site = priors.choose("site", rng)
        sites = [site] + (["CP"] if site != "CP" and rng.random() < priors.double_rate else [])
        compressions[kind] = tuple(Compression(s, priors.choose("severity", rng))
                                   for s in sites)
    return Diagnosis(side, tuple(culprits), control, compressions)


def approach_side(kind: str, usable: list[str] | tuple[str, ...],
                  rng: np.random.Generator) -> str:
    """The side a ``kind`` of vessel is drawn to press a nerve from, of the sides ``usable``
    at the site: its preferences (:data:`SIDE_WEIGHTS_BY_VESSEL`) renormalised over the
    usable ones; all of them where none is usable (the draw will be refused and redrawn).

    Examples
    --------
    >>> approach_side("VA", ["lateral", "anterior", "posterior"], np.random.default_rng(0))
    'anterior'
    """
    weights = SIDE_WEIGHTS_BY_VESSEL[kind]
    sides = [s for s in weights if s in usable] or list(weights)
    p = np.array([weights[s] for s in sides])
    return str(sides[int(rng.choice(len(sides), p=p / p.sum()))])


def _segment_fractions(diagnosis: Diagnosis) -> dict[tuple[str, int], float]:
    """Where along its segment each compression lands, keyed by (vessel kind, compression
    index): ``m`` contacts on one segment spread at ``i / (m + 1)`` in the scenario's order
    (:class:`~mvd_sim.scenario.schema.ContactSpec`), the vessels in :data:`_VESSEL_ORDER`."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for kind in _VESSEL_ORDER:
        for j, compression in enumerate(diagnosis.compressions.get(kind, ())):
            groups.setdefault(compression.site, []).append((kind, j))
    return {key: (i + 1) / (len(keys) + 1) for keys in groups.values()
            for i, key in enumerate(keys)}


def _contact(priors: Priors, rng: np.random.Generator, kind: str, radius_mm: float,
             compression: Compression, sites: NerveSites | None, fraction: float) -> dict:
    """A compression's geometry: crossing angle, indentation and deviation, then the side,
    drawn from those a vessel of ``radius_mm`` crossing at that angle can be asked at its
    site (:meth:`~mvd_sim.scene.build.NerveSites.sides`)."""
    contact = {"target": "CN7", "segment": compression.site,
               "crossing_angle_deg": round(priors.crossing_angle_deg.draw(rng), 2)}
    if compression.severity != "mild":
        contact["indentation_mm"] = round(priors.indentation_mm.draw(rng), 3)
    if compression.severity == "severe":
        contact["nerve_deviation_mm"] = round(priors.deviation_mm.draw(rng), 3)
    usable: list[str] = []
    if sites is not None:
        usable = sites.sides("CN7", sites.point("CN7", compression.site, fraction), radius_mm,
                             contact["crossing_angle_deg"], -contact.get("indentation_mm", 0.0),
                             among=SIDE_WEIGHTS_BY_VESSEL[kind])
    contact["from"] = approach_side(kind, usable, rng)
    return contact


def draw_spec(priors: Priors, diagnosis: Diagnosis, rng: np.random.Generator,
              name: str) -> ScenarioSpec:
    """The scenario of a diagnosis with its geometry drawn from the priors (not yet built)."""
    nerve = {"cisternal_length_mm": round(priors.facial_nerve.cisternal_length_mm.draw(rng), 2),
             "angle_to_midline_deg": round(priors.facial_nerve.angle_to_midline_deg.draw(rng),
                                           2)}
    anatomy = {"facial_nerve": nerve}
    try:
        sites = NerveSites(AnatomySpec.model_validate(anatomy))
    except (ScenarioError, ValueError):
        sites = None   # the nerve cannot be built: the draw is refused and redrawn
    fractions = _segment_fractions(diagnosis)
    culprits = diagnosis.culprits
    vessels = [{"id": "ba", "type": "BA"}]
    kinds = set(culprits) | ({"VA"} if "PICA" in culprits else set())
    for kind in _VESSEL_ORDER:
        if kind not in kinds:
            continue
        vessel = {"id": kind.lower(), "type": kind,
                  "radius_mm": round(priors.vessel_radius_mm[kind].draw(rng), 3)}
        if kind == "VA" and diagnosis.pusher and not diagnosis.control:
            # the VA pushes the other culprit into the nerve
            target = next(c for c in culprits if c != "VA").lower()
            vessel["compresses"] = [{"target": target}]
        elif kind in diagnosis.compressions:
            vessel["compresses"] = [
                _contact(priors, rng, kind, vessel["radius_mm"], c, sites, fractions[kind, j])
                for j, c in enumerate(diagnosis.compressions[kind])]
        vessels.append(vessel)
    return parse_scenario({
        "schema_version": 1, "title": f"Sampled case {name}",
        "description": "Drawn from the dataset priors: " + ", ".join(culprits)
        + (" (control: no compression)" if diagnosis.control else ""),
        "side": diagnosis.side, "anatomy": anatomy, "vessels": vessels,
        "mechanics": priors.mechanics.model_dump(exclude_none=True)}, name)


@dataclass(frozen=True)
class SampledCase:
    """A case of a dataset: what was asked (``diagnosis``, the case's scenario) and what was
    built (the case's scene).

    Attributes
    ----------
    case : Case
        The case drawn: its scenario (the geometry asked of each compression is in its
        vessels' ``compresses``), the scene built from it and its materials (with the priors'
        ``mechanics`` overrides).
    attempt : int
        The draw that placed (0 for the first).
    diagnosis : Diagnosis
        The clinical part drawn for that attempt.
    """

    case: Case
    attempt: int
    diagnosis: Diagnosis

    @property
    def spec(self) -> ScenarioSpec:
        return self.case.spec

    @property
    def scene(self) -> Scene:
        return self.case.scene


def sample(priors: Priors, seed: int, index: int) -> SampledCase:
    """The case ``index`` of a dataset, with the diagnosis it was drawn from.

    Attempt ``a`` draws its geometry from ``default_rng([seed, index, 1, a])`` for the
    diagnosis drawn from ``default_rng([seed, index, 0, a // GEOMETRY_ATTEMPTS])``.

    Raises
    ------
    ScenarioError
        If no attempt of :data:`MAX_ATTEMPTS` can be placed.
    """
    name = f"case{index:07d}"
    for attempt in range(MAX_ATTEMPTS):
        if attempt % GEOMETRY_ATTEMPTS == 0:
            diagnosis = draw_diagnosis(priors, np.random.default_rng(
                [seed, index, 0, attempt // GEOMETRY_ATTEMPTS]))
        spec = draw_spec(priors, diagnosis, np.random.default_rng([seed, index, 1, attempt]),
                         name)
        try:
            return SampledCase(Case.from_spec(spec, name), attempt, diagnosis)
        except ScenarioError:
            continue
    raise ScenarioError(f"{name}: no placeable draw in {MAX_ATTEMPTS} attempts")


def sample_case(priors: Priors, seed: int, index: int) -> tuple[ScenarioSpec, Scene, int]:
    """The case ``index`` of a dataset: its scenario, its scene and the attempt that placed
    (:func:`sample` without the diagnosis)."""
    sampled = sample(priors, seed, index)
    return sampled.spec, sampled.scene, sampled.attempt
