"""Draw one case from the priors: a scenario fully determined by (seed, number of cases in
the dataset, case index).

A case is drawn in two parts, each from its own random stream, so that it never depends on
which worker draws it or in which order:

- its *diagnosis* (:class:`Diagnosis`): symptomatic or a control (an asymptomatic side,
  with an incidental contact or a vessel near CN VII), side, culprit vessels, and the site
  and severity of each compression, double compressions included, and whether the case's
  AICA touches CN VIII too (an incidental contact); the frequencies the
  priors give, conditional where they are, stratified over the dataset's cases and
  assigned to them in a random order (:func:`diagnosis_uniforms`), so that the dataset's
  mix follows them closely and any range of its cases is a random subset of it;
- its *geometry*: nerve dimensions, vessel radii, and each compression's side of approach,
  crossing angle, indentation and deviation; the side is drawn from the vessel's sides
  (:data:`SIDE_WEIGHTS_BY_VESSEL`) that can be asked at the compression's site
  (:class:`~mvd_sim.scene.build.NerveSites`), so that placement, which honours the side or
  refuses the draw, seldom refuses it.

A draw the scene builder cannot place (a contact that conflicts with the vessel's course,
another vessel or the brainstem) is redrawn: its geometry alone first, up to
:data:`GEOMETRY_ATTEMPTS` times, so that the realised diagnoses follow the priors instead of
leaning toward the ones that are easy to place; then the diagnosis's sites too.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mvd_sim.case import Case
from mvd_sim.dataset.causes import VASCULAR, draw_cause, with_cause
from mvd_sim.dataset.priors import Priors, combination_types
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import ScenarioSpec, parse_scenario
from mvd_sim.scenario.schema import AnatomySpec
from mvd_sim.scene.build import NerveSites
from mvd_sim.scene.scene import Scene

__all__ = ["Compression", "Diagnosis", "SampledCase", "draw_diagnosis", "draw_spec", "sample",
           "sample_case", "near_miss_vessel", "diagnosis_uniforms", "diagnosis_point", "approach_side", "MAX_ATTEMPTS", "CN8_SIDE_WEIGHTS",
           "GEOMETRY_ATTEMPTS", "SEVERITY_ROUNDS", "SIDES_BY_VESSEL", "SIDE_WEIGHTS_BY_VESSEL",
           "DIAGNOSIS_DIMENSIONS", "LABELS"]

#: Draws of a case before it is refused: up to 8 diagnoses (with 4, case 80 of 2,000 of seed
#: 11, an AICA and a PICA both on the attached segment, one severe, had no placeable draw).
MAX_ATTEMPTS = 128
#: Geometries drawn for one diagnosis before the diagnosis is drawn again too. Redrawn
#: diagnoses lean toward the sites easy to place (an AICA at the root exit or detachment point
#: beside a PICA often cannot be placed from anterior): with 4, 2,000 cases of seed 11
#: realised the AICA at the attached segment 2.3 points above its prior; with 16, 1.7.
GEOMETRY_ATTEMPTS = 16
#: Diagnoses drawn again that keep the first one's worst severity; the case's later ones draw
#: it again too, so that a case whose severity cannot be placed anywhere is not refused (with
#: all 3 keeping it, case 809 of 2,000 of seed 11, a severe PICA pushed by the VA, had no
#: placeable draw in 64 attempts).
SEVERITY_ROUNDS = 1
#: The sides each culprit presses CN VII from, with their weights, ``shared/anatomy_facts.md``:
#: AICA runs ventral to VII/VIII in 53%, dorsal in 44% (Ballesteros 2020, section 3), its
#: premeatal segment anteroinferior, its meatal one inferior, its postmeatal one
#: posteroinferior (Martin & Rhoton 1980, section 8); a PICA loop rises to the REZ from below
#: (Rhoton, section 8); the VA lies caudal-anterior (section 8; "VA inferior-anterior, AICA
#: and PICA inferior", Li 2024, section 9.4); the vein of the middle cerebellar peduncle
#: wraps the ventral VII root (section 8), so a vein may come from anterior, the side usable
#: at the root exit and detachment points (posterior seldom is: without anterior the sampler
#: placed no vein there, and redrew those diagnoses: 40 of 2,000 cases of seed 11); its
#: other sides are an *estimate*. The weights within each vessel are *estimates* (equal). A
#: compression's side is drawn from those of its vessel that can be asked at its site, the
#: weights renormalised over them (:func:`approach_side`).
SIDE_WEIGHTS_BY_VESSEL: dict[str, dict[str, float]] = {
    "AICA": {"anterior": 1.0, "caudal": 1.0, "posterior": 1.0},
    "PICA": {"caudal": 1.0, "posterior": 1.0, "anterior": 1.0},
    "VA": {"anterior": 1.0, "caudal": 1.0},
    "vein": {"rostral": 1.0, "posterior": 1.0, "caudal": 1.0, "anterior": 1.0}}
#: The sides an AICA touching CN VIII (:class:`~mvd_sim.dataset.priors.Cn8ContactPriors`)
#: comes from: dorsal to VII/VIII (Ballesteros 2020, section 3). Its postmeatal segment runs
#: posteroinferior (Martin & Rhoton 1980, section 8), but asked from caudal too, 120 cases
#: of seed 11 needed 20 more redraws (192 against 172: the AICA folds round CN VIII).
CN8_SIDE_WEIGHTS: dict[str, float] = {"posterior": 1.0}
#: Places on CN VIII drawn for one contact with it before the draw is left to be refused.
_CN8_DRAWS = 8
#: How far (mm) short of the porus a contact with CN VIII is asked at most (the priors'
#: ``s_mm`` reaches 15 mm; a short CN VIII ends before that, *estimate*).
_CN8_PORUS_MARGIN_MM = 2.0
#: The sides each culprit comes from (the keys of :data:`SIDE_WEIGHTS_BY_VESSEL`).
SIDES_BY_VESSEL = {kind: tuple(w) for kind, w in SIDE_WEIGHTS_BY_VESSEL.items()}
_VESSEL_ORDER = ("VA", "PICA", "AICA", "vein")
#: Where along a segment shared by several contacts the first is asked, as a fraction of
#: the segment (the last at 1 minus it, the others evenly between): at the scenario's
#: thirds, two vessels on the attached segment (5.5 mm) lay 1.8 mm apart and pressed each
#: other in most draws (31 of 180 builds placed, cases 0-599 of seed 1); at 0.2 and 0.8,
#: 3.3 mm apart, 29 of 47 (README, issue #27 part 18).
_SHARED_SPREAD = 0.2
#: How far (mm) beyond the first point where a deviation fits a severe compression moved
#: there is asked (the deviation's check is exact; this keeps rounding off its edge).
_DEVIATION_MARGIN_MM = 0.05


#: Uniforms one diagnosis is drawn from, one per choice (see :func:`draw_diagnosis`).
DIAGNOSIS_DIMENSIONS = 8
#: Labels of a case: its side is symptomatic (a compression), or a control (an asymptomatic
#: side) with an incidental contact, or with a vessel near CN VII that does not touch it.
LABELS = ("compression", "incidental", "no_contact")


def _rd_steps(dimensions: int) -> np.ndarray:
    """The steps of the R_d low-discrepancy sequence: ``1 / phi_d ** k``, ``k = 1 .. d``, with
    ``phi_d`` the root of ``x ** (d + 1) = x + 1`` (M. Roberts, "The unreasonable effectiveness
    of quasirandom sequences", 2018)."""
    phi = 2.0
    for _ in range(100):
        phi = (1.0 + phi) ** (1.0 / (dimensions + 1))
    return (1.0 / phi) ** np.arange(1, dimensions + 1) % 1.0


_RD_STEPS = _rd_steps(DIAGNOSIS_DIMENSIONS)
# the chain's uniform (0) steps by the golden ratio, the most even of one-dimensional
# sequences (R_d's own first step, about 0.92 for d = 7, spreads one dimension less evenly)
_RD_STEPS[0] = (np.sqrt(5.0) - 1.0) / 2.0


def diagnosis_point(seed: int, n: int, index: int) -> int:
    """Which R_d point case ``index`` of a dataset of ``n`` cases draws its diagnosis from:
    ``k`` (0 .. ``n - 1``) for the point ``k + 1`` (:func:`diagnosis_uniforms`), the ``n``
    points in the order of a random permutation, ``default_rng([seed, 3, n]).permutation(n)``.

    The dataset as a whole gets the first ``n`` points, so its mix is stratified; each case
    gets one at random, so neighbouring cases are no more alike than independent draws and
    any range of indices (a split by index) is a random subset of the dataset's diagnoses.

    Raises
    ------
    IndexError
        If ``index`` is not in ``0 .. n - 1``.
    """
    if not 0 <= index < n:
        raise IndexError(f"case index {index} is not in 0 .. {n - 1} (a dataset of {n} cases)")
    return int(_point_order(seed, n)[index])


@lru_cache(maxsize=4)
def _point_order(seed: int, n: int) -> np.ndarray:
    """The R_d points of a dataset's cases by case index (see :func:`diagnosis_point`): made
    once per process (8 bytes a case), read-only."""
    order = np.random.default_rng([seed, 3, n]).permutation(n)
    order.setflags(write=False)
    return order


def diagnosis_uniforms(seed: int, n: int, index: int, round_: int) -> np.ndarray:
    """The uniforms case ``index`` of a dataset of ``n`` cases draws its diagnosis from
    (:func:`draw_diagnosis`).

    The first diagnosis of every case (``round_`` 0) is the point ``k + 1`` of the R_d
    quasi-random sequence, ``k = diagnosis_point(seed, n, index)``, shifted by a uniform
    draw from ``default_rng([seed, 2])`` (Cranley-Patterson rotation): the dataset's ``n``
    cases then cover the priors' joint distribution evenly, so its realised mix departs from
    the priors far less than ``n`` independent draws would (sampling error about ``1/n``
    instead of ``1/sqrt(n)``), and any range of its case indices is a random subset of them.
    A diagnosis drawn again (``round_`` 1 on, after its geometries could
    not be placed) keeps its label, culprits, side and (symptomatic) worst severity, and
    draws the rest again from ``default_rng([seed, index, 0, round_])`` (up to round
    :data:`SEVERITY_ROUNDS`, all but whether an AICA touches CN VIII, uniform 7), so that the cases
    hard to place shift only their sites, not the mix of culprits or severities (severe
    compressions are the hardest to place: drawn again freely, 300 cases of seed 4 realised
    9.4% severe against 12%); :func:`sample` keeps it for the first
    :data:`SEVERITY_ROUNDS` rounds only, so that a case whose severity cannot be placed
    anywhere is not refused.
    """
    shift = np.random.default_rng([seed, 2]).random(DIAGNOSIS_DIMENSIONS)
    u = (shift + (diagnosis_point(seed, n, index) + 1) * _RD_STEPS) % 1.0
    u[1] = np.nan  # the chain of uniform 0 continues
    if round_ > 0:
        cn8 = u[7]
        u[1:] = np.random.default_rng([seed, index, 0, round_]).random(DIAGNOSIS_DIMENSIONS - 1)
        if round_ <= SEVERITY_ROUNDS:
            u[7] = cn8
    return u


@dataclass(frozen=True)
class Compression:
    """One contact of CN VII asked for: its segment and severity (None: a vessel near the
    nerve that does not touch it, in a control)."""

    site: str
    severity: str | None


@dataclass(frozen=True)
class Diagnosis:
    """The clinical part of a case.

    Attributes
    ----------
    side : str
        ``left`` or ``right``.
    culprits : tuple of str
        Culprit vessel types, in the order AICA, PICA, VA, vein (empty for a control).
    control : bool
        A control case: an asymptomatic side, labelled ``incidental`` or ``no_contact``.
    compressions : dict of str to tuple of Compression
        Each vessel's contacts with CN VII, the case's worst first (a VA that pushes the
        other culprit into the nerve has none of its own; a control's one vessel has one).
    label : str
        One of :data:`LABELS`.
    cn8_vessel : str or None
        The vessel type asked to touch CN VIII too (an incidental, mild contact), or None.
    """

    side: str
    culprits: tuple[str, ...]
    control: bool
    compressions: dict[str, tuple[Compression, ...]]
    label: str = "compression"
    cn8_vessel: str | None = None

    @property
    def pusher(self) -> bool:
        """Is the VA a culprit by pushing the other culprit into the nerve?"""
        return _va_pushes(self.culprits)


def _va_pushes(culprits: tuple[str, ...] | list[str]) -> bool:
    """A VA among several culprits pushes the other one into the nerve."""
    return "VA" in culprits and len(culprits) > 1


def _pick(table: dict[str, float], u: float) -> tuple[str, float]:
    """The key of a weight table at the uniform ``u`` (inverse CDF over the table's order),
    and ``u`` rescaled to [0, 1) within that key's interval: uniform again, and independent
    of the key, so one uniform can make a chain of choices each conditional on the last
    (and a quasi-random one stratifies the whole chain)."""
    keys = [k for k, w in table.items() if w > 0] or list(table)
    weights = np.array([table[k] for k in keys], dtype=float)
    cumulative = np.cumsum(weights) / max(weights.sum(), 1e-300)
    at = min(int(np.searchsorted(cumulative, u, side="right")), len(keys) - 1)
    low = cumulative[at - 1] if at else 0.0
    width = cumulative[at] - low
    return keys[at], float(min(max((u - low) / width, 0.0), np.nextafter(1.0, 0.0))) \
        if width > 0 else 0.0


def draw_diagnosis(priors: Priors, draws: np.random.Generator | np.ndarray,
                   keep_severity: bool = True) -> Diagnosis:
    """A diagnosis from the priors, drawn from :data:`DIAGNOSIS_DIMENSIONS` uniforms
    (``draws``, or that many from a generator).

    Uniform 0 makes a chain of choices, each conditional on the last (:func:`_pick`):
    control or not; a control's contact or none, its site, vessel and severity; a symptomatic
    case's combination of culprits, its side given the VA, its worst severity and its first
    compressing vessel's site (given the vessel and the severity, :func:`_site`). When
    uniform 1 is a number (not NaN) the chain continues from it after a symptomatic case's
    worst severity (after its side, unless ``keep_severity``), or a control's side (a
    diagnosis drawn again keeps its label, culprits, side and worst severity). The others, one choice each: 2 the
    second compressing vessel's site, 3 a double compression, 4 the second vessel's severity,
    5 which vessel compresses worst, 6 the double's cisternal severity (no worse than the
    worst), 7 whether the case's AICA touches CN VIII too (:func:`_cn8_vessel`).
    """
    u = draws.random(DIAGNOSIS_DIMENSIONS) if isinstance(draws, np.random.Generator) \
        else np.asarray(draws, dtype=float)
    rate = priors.control.rate
    chain = u[0]
    if chain < rate:
        touches, chain = _pick({True: priors.control.contact_rate,
                                False: 1.0 - priors.control.contact_rate}, chain / rate)
        side, chain = _pick(priors.table("control.side"), chain)
        if not np.isnan(u[1]):
            chain = u[1]
        site, chain = _pick(priors.table("control.site"), chain)
        vessel, chain = _pick(priors.table("control.vessel"), chain)
        severity = _pick(priors.table("control.severity"), chain)[0] if touches else None
        return Diagnosis(side, (), True, {vessel: (Compression(site, severity),)},
                         "incidental" if touches else "no_contact",
                         _cn8_vessel(priors, (vessel,), u[7]))
    combination, chain = _pick(priors.table("combination"), (chain - rate) / (1.0 - rate))
    culprits = combination_types(combination)
    side, chain = _pick(priors.table("side_given_va" if "VA" in culprits
                                     else "side_without_va"), chain)
    pusher = _va_pushes(culprits)
    compressing = [k for k in _VESSEL_ORDER if k in culprits and not (k == "VA" and pusher)]
    if len(compressing) > 1 and u[5] >= 0.5:
        compressing.reverse()
    if not np.isnan(u[1]) and not keep_severity:
        chain = u[1]
    worst, chain = _pick(priors.table("severity"), chain)
    if not np.isnan(u[1]):
        chain = u[1]
    compressions = {}
    severe = priors.table("severity").get("severe", 0.0)
    for rank, kind in enumerate(compressing):
        severity = worst if rank == 0 else priors.choose("severity", u[4], below=worst)
        # P(this compression is severe): the worst's, or a second one's below a severe worst
        site = _pick(_site(priors, kind, severity == "severe",
                           severe if rank == 0 else severe ** 2), chain if rank == 0 else u[2])[0]
        contacts = [Compression(site, severity)]
        if rank == 0 and site != "CP" and u[3] < priors.double_rate:
            contacts.append(Compression("CP", priors.choose("severity", u[6], below=worst)))
        compressions[kind] = tuple(contacts)
    return Diagnosis(side, culprits, False, compressions,
                     cn8_vessel=_cn8_vessel(priors, culprits, u[7]))


def _cn8_vessel(priors: Priors, kinds: tuple[str, ...], u: float) -> str | None:
    """The vessel of a case's ``kinds`` asked to touch CN VIII too: its AICA, at the priors'
    rate (:class:`~mvd_sim.dataset.priors.Cn8ContactPriors`); None without one."""
    rate = priors.cn8_contact.rate if priors.cn8_contact is not None else 0.0
    return "AICA" if "AICA" in kinds and u < rate else None


def _site(priors: Priors, kind: str, severe: bool, p_severe: float) -> dict[str, float]:
    """The site weights of a compression given its vessel and whether it is severe.

    A severe compression deviates the nerve, which its attachment to the brainstem rules out
    at the root exit point: a severe one is never there, and a milder one is there in
    ``P(RExP) / (1 - p_severe)`` (the rest in proportion), so the site given the vessel keeps
    the priors' shares over all its compressions."""
    table = priors.table(f"site_given_vessel.{kind}")
    rexp = table.get("RExP", 0.0)
    if rexp == 0.0 or rexp >= 1.0 or rexp > 1.0 - p_severe:
        return table
    if severe:
        return {k: 0.0 if k == "RExP" else w / (1.0 - rexp) for k, w in table.items()}
    scale = (1.0 - rexp / (1.0 - p_severe)) / (1.0 - rexp)
    return {k: rexp / (1.0 - p_severe) if k == "RExP" else w * scale for k, w in table.items()}


def approach_side(weights: dict[str, float],
                  usable: list[str] | tuple[str, ...] | Callable[[str], bool],
                  rng: np.random.Generator) -> str:
    """The side a vessel is drawn to press a nerve from, of the sides ``usable`` at the site:
    its preferences ``weights`` (e.g. :data:`SIDE_WEIGHTS_BY_VESSEL` of its type)
    renormalised over the usable ones; all of them where none is usable (the draw will be
    refused and redrawn).

    ``usable`` is the usable sides, or a test of one side
    (:meth:`~mvd_sim.scene.build.NerveSites.question`), asked only of the sides the pick
    depends on: the pick is ``Generator.choice``'s over the usable sides' weights, made from
    the one uniform it draws (:func:`_pick_of`), and a side is asked until every answer the
    sides not asked could give picks the same side (:func:`_settled`).

    Examples
    --------
    >>> approach_side(SIDE_WEIGHTS_BY_VESSEL["VA"], ["lateral", "anterior", "posterior"],
    ...               np.random.default_rng(0))
    'anterior'
    """
    ask = usable if callable(usable) else set(usable).__contains__
    u = float(rng.random())     # the one uniform Generator.choice draws for a pick
    sides = list(weights)
    known: dict[str, bool] = {}
    while len(known) < len(sides):
        unknown = [side for side in sides if side not in known]
        picks = collections.Counter(
            _settled(sides, weights, {**known, **dict(zip(unknown, answers))}, u)
            for answers in itertools.product((False, True), repeat=len(unknown)))
        if len(picks) == 1 and None not in picks:
            break
        # ask first the side most of the possible answers pick
        side = max(unknown, key=lambda name: picks[name])
        known[side] = bool(ask(side))
    kept = [side for side in sides if known.get(side)] or sides
    return kept[_pick_of(np.array([weights[side] for side in kept]), u)]


#: How near (relative) a uniform may come to a boundary between two sides' shares before
#: :func:`_settled` leaves the pick to :func:`_pick_of`'s own arithmetic (which rounds each
#: boundary within a few units of 1e-16 of it).
_PICK_MARGIN = 1e-9


def _settled(sides: list[str], weights: dict[str, float], usable: dict[str, bool],
             u: float) -> str | None:
    """The side :func:`_pick_of` picks with uniform ``u`` when ``usable`` answers every side,
    or None where ``u`` lies within :data:`_PICK_MARGIN` of a boundary of the shares (then
    rounding could decide)."""
    kept = [side for side in sides if usable[side]] or sides
    total = sum(weights[side] for side in kept)
    below = 0.0
    for side in kept:
        low, below = below / total, below + weights[side]
        high = below / total
        if u < high:
            near = u - low < _PICK_MARGIN * low or high - u < _PICK_MARGIN * high
            return None if near else side
    return None


def _pick_of(weights: np.ndarray, u: float) -> int:
    """``Generator.choice(len(weights), p=weights / weights.sum())``'s index, given the one
    uniform ``u`` it draws (numpy 1.17+: the normalised weights' cumulative sum, divided by
    its last, searched for ``u`` from the right)."""
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return int(cdf.searchsorted(u, side="right"))


def _segment_fractions(diagnosis: Diagnosis) -> dict[tuple[str, int], float]:
    """Where along its segment each compression lands, keyed by (vessel kind, compression
    index): a lone one at its segment's centre, as the scenario asks by segment
    (:class:`~mvd_sim.scenario.schema.ContactSpec`); ``m`` > 1 on one segment spread evenly
    from :data:`_SHARED_SPREAD` of it to ``1 -`` that, the vessels in
    :data:`_VESSEL_ORDER`, a severe one (which deviates the nerve, and needs room from the
    RExP) last, and asked by ``s_mm`` (:func:`_pinned`)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for kind in _VESSEL_ORDER:
        for j, compression in enumerate(diagnosis.compressions.get(kind, ())):
            groups.setdefault(compression.site, []).append((kind, j))
    fractions = {}
    for keys in groups.values():
        keys = sorted(keys, key=lambda key: _is_severe(diagnosis, key))   # stable
        step = (1.0 - 2.0 * _SHARED_SPREAD) / max(len(keys) - 1, 1)
        fractions.update({key: _SHARED_SPREAD + i * step if len(keys) > 1 else 0.5
                          for i, key in enumerate(keys)})
    return fractions


def _is_severe(diagnosis: Diagnosis, key: tuple[str, int]) -> bool:
    kind, j = key
    return diagnosis.compressions[kind][j].severity == "severe"


def _pinned(diagnosis: Diagnosis) -> set[str]:
    """The segments whose compressions are asked by ``s_mm`` (at the points
    :func:`_segment_fractions` gives), not by segment: those with more than one, which the
    scenario's spacing (``i / (m + 1)``, in its order) would put nearer each other and out of
    the order :func:`_segment_fractions` gives."""
    sites = collections.Counter(c.site for cs in diagnosis.compressions.values() for c in cs)
    return {site for site, m in sites.items() if m > 1}


def _contact(priors: Priors, rng: np.random.Generator, kind: str, radius_mm: float,
             compression: Compression, sites: NerveSites | None, fraction: float,
             pinned: bool = False) -> dict:
    """A compression's geometry: crossing angle, indentation (a control's separation) and
    deviation, then the side,
    drawn from those a vessel of ``radius_mm`` crossing at that angle (and deviating the
    nerve that far) can be asked at its site (:meth:`~mvd_sim.scene.build.NerveSites.sides`)."""
    contact = {"target": "CN7", "segment": compression.site,
               "crossing_angle_deg": round(priors.crossing_angle_deg.draw(rng), 2)}
    if compression.severity is None:
        contact["separation_mm"] = round(priors.control.separation_mm.draw(rng), 3)
    elif compression.severity != "mild":
        contact["indentation_mm"] = round(priors.indentation_mm.draw(rng), 3)
    if compression.severity == "severe":
        contact["nerve_deviation_mm"] = round(priors.deviation_mm.draw(rng), 3)
    usable: list[str] | Callable[[str], bool] = []
    if sites is not None:
        s_mm = _contact_point(contact, sites, compression.site, fraction, radius_mm, pinned)
        # the gap left (mm): a control's separation, or minus the indentation
        gap_mm = contact.get("separation_mm", -contact.get("indentation_mm", 0.0))
        usable = sites.question("CN7", s_mm, radius_mm, contact["crossing_angle_deg"], gap_mm,
                                deviation_mm=contact.get("nerve_deviation_mm", 0.0))
    contact["from"] = approach_side(SIDE_WEIGHTS_BY_VESSEL[kind], usable, rng)
    return contact


def _cn8_contact(priors: Priors, rng: np.random.Generator, radius_mm: float,
                 sites: NerveSites | None) -> dict:
    """A vessel's incidental contact with CN VIII: where (``s_mm`` from the brainstem) and
    at what directed crossing angle (the priors'
    :class:`~mvd_sim.dataset.priors.Cn8ContactPriors`, CN VII's angle where it gives none;
    short of the porus by :data:`_CN8_PORUS_MARGIN_MM`), touching, from one of
    :data:`CN8_SIDE_WEIGHTS` that can be asked there; the place and angle are drawn again,
    up to :data:`_CN8_DRAWS` times, while none can (then the draw is left to be refused and
    redrawn)."""
    angle = priors.cn8_contact.crossing_angle_deg
    if angle is None:
        angle = priors.crossing_angle_deg
    for _ in range(_CN8_DRAWS):
        s_mm = priors.cn8_contact.s_mm.draw(rng)
        if sites is not None:
            s_mm = min(s_mm, sites.length("CN8") - _CN8_PORUS_MARGIN_MM)
        contact = {"target": "CN8", "s_mm": round(s_mm, 2),
                   "crossing_angle_deg": round(angle.draw(rng), 2)}
        usable = [] if sites is None else sites.sides(
            "CN8", contact["s_mm"], radius_mm, contact["crossing_angle_deg"], 0.0,
            among=CN8_SIDE_WEIGHTS)
        if usable:
            break
    contact["from"] = approach_side(CN8_SIDE_WEIGHTS, usable, rng)
    return contact


def _contact_point(contact: dict, sites: NerveSites, site: str, fraction: float,
                   radius_mm: float, pinned: bool = False) -> float:
    """Where on CN VII (arc length, mm) ``contact`` lands: ``fraction`` along its segment
    ``site``, asked by ``s_mm`` instead of the segment where ``pinned``; a deviating contact
    (severe) that point or, where the deviation does not fit there (near the RExP: the
    attached segment is 5.5 mm long), the first point along the segment where it does, then
    asked by ``s_mm`` (a deviation too large for the whole segment is left to be refused and
    redrawn)."""
    s_mm = sites.point("CN7", site, fraction)
    deviation_mm = contact.get("nerve_deviation_mm", 0.0)
    fits_mm = sites.deviation_from("CN7", s_mm, deviation_mm, radius_mm) \
        if deviation_mm > 0.0 else None
    if fits_mm is not None and fits_mm > s_mm:
        moved_mm = fits_mm + _DEVIATION_MARGIN_MM
        if moved_mm < sites.segment_end("CN7", site):
            s_mm, pinned = moved_mm, True
    if pinned:
        s_mm = round(s_mm, 2)
        del contact["segment"]
        contact["s_mm"] = s_mm
    return s_mm


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
    fractions, pinned = _segment_fractions(diagnosis), _pinned(diagnosis)
    culprits = diagnosis.culprits
    vessels = [{"id": "ba", "type": "BA"}]
    kinds = set(culprits) | set(diagnosis.compressions)
    kinds |= {"VA"} if "PICA" in kinds else set()
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
                _contact(priors, rng, kind, vessel["radius_mm"], c, sites, fractions[kind, j],
                         c.site in pinned)
                for j, c in enumerate(diagnosis.compressions[kind])]
        if kind == diagnosis.cn8_vessel:
            vessel.setdefault("compresses", []).append(
                _cn8_contact(priors, rng, vessel["radius_mm"], sites))
        vessels.append(vessel)
    return parse_scenario({
        "schema_version": 1, "title": f"Sampled case {name}",
        "description": "Drawn from the dataset priors: " + (
            ", ".join(culprits) if not diagnosis.control else
            f"control (asymptomatic side), {diagnosis.label.replace('_', ' ')}: "
            + ", ".join(diagnosis.compressions)),
        "side": diagnosis.side, "anatomy": anatomy, "vessels": vessels,
        "mechanics": priors.mechanics.model_dump(exclude_none=True)}, name)


def near_miss_vessel(priors: Priors, diagnosis: Diagnosis, anatomy: AnatomySpec,
                     rng: np.random.Generator, vessel_id: str) -> dict | None:
    """A vessel near CN VII that does not touch it, drawn as a control's (``no_contact``)
    is: its type from ``control.vessel`` among the types ``diagnosis`` has no vessel of,
    its site from ``control.site`` among CN VII's segments none of its compressions is
    at (the segment's centre), its radius from ``vessel_radius_mm`` and its separation,
    crossing angle and side as a control's contact (:func:`_contact`); a scenario's
    vessel entry (not yet built: placement may refuse it), or None when no type or no
    site is left.

    Symptomatic cases of the stream carry no such vessel: their other vessels are the
    basilar artery and a PICA's vertebral artery on their default courses, which keep
    clear of CN VII by more than the at-risk margin.
    """
    kinds = {k: w for k, w in priors.table("control.vessel").items()
             if k not in diagnosis.compressions and k not in diagnosis.culprits and
             not (k == "VA" and "PICA" in diagnosis.compressions)}
    taken = {c.site for cs in diagnosis.compressions.values() for c in cs}
    sites = {k: w for k, w in priors.table("control.site").items() if k not in taken}
    if not any(w > 0 for w in kinds.values()) or not any(w > 0 for w in sites.values()):
        return None
    kind = _pick(kinds, float(rng.random()))[0]
    site = _pick(sites, float(rng.random()))[0]
    try:
        nerve_sites = NerveSites(anatomy)
    except ScenarioError:
        return None
    radius = round(priors.vessel_radius_mm[kind].draw(rng), 3)
    contact = _contact(priors, rng, kind, radius, Compression(site, None), nerve_sites, 0.5)
    return {"id": vessel_id, "type": kind, "radius_mm": radius, "compresses": [contact]}


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
    cause : str
        ``vascular``, or the other cause drawn for it (:mod:`mvd_sim.dataset.causes`).
    """

    case: Case
    attempt: int
    diagnosis: Diagnosis
    cause: str = VASCULAR

    @property
    def spec(self) -> ScenarioSpec:
        return self.case.spec

    @property
    def scene(self) -> Scene:
        return self.case.scene


def sample(priors: Priors, seed: int, n: int, index: int) -> SampledCase:
    """The case ``index`` of a dataset of ``n`` cases, with the diagnosis it was drawn from.

    Attempt ``a`` draws its geometry from ``default_rng([seed, index, 1, a])`` for the
    diagnosis drawn from ``diagnosis_uniforms(seed, n, index, a // GEOMETRY_ATTEMPTS)``,
    which keeps the first diagnosis's worst severity for the first :data:`SEVERITY_ROUNDS`
    rounds after it. A case drawn with another cause (:func:`mvd_sim.dataset.causes.draw_cause`)
    has it added to that geometry (:func:`~mvd_sim.dataset.causes.with_cause`), with the same
    generator.

    Raises
    ------
    ScenarioError
        If no attempt of :data:`MAX_ATTEMPTS` can be placed.
    """
    name = f"case{index:07d}"
    for attempt in range(MAX_ATTEMPTS):
        if attempt % GEOMETRY_ATTEMPTS == 0:
            round_ = attempt // GEOMETRY_ATTEMPTS
            diagnosis = draw_diagnosis(priors, diagnosis_uniforms(seed, n, index, round_),
                                       keep_severity=round_ <= SEVERITY_ROUNDS)
        rng = np.random.default_rng([seed, index, 1, attempt])
        spec = draw_spec(priors, diagnosis, rng, name)
        cause = draw_cause(priors, diagnosis.culprits, diagnosis.control, seed, index)
        try:
            case = Case.from_spec(spec, name)
            if cause != VASCULAR:
                case = Case.from_spec(with_cause(spec, case.scene, cause, priors, rng), name)
            return SampledCase(case, attempt, diagnosis, cause)
        except ScenarioError:
            continue
    raise ScenarioError(f"{name}: no placeable draw in {MAX_ATTEMPTS} attempts")


def sample_case(priors: Priors, seed: int, n: int,
                index: int) -> tuple[ScenarioSpec, Scene, int]:
    """The case ``index`` of a dataset of ``n`` cases: its scenario, its scene and the attempt
    that placed (:func:`sample` without the diagnosis)."""
    sampled = sample(priors, seed, n, index)
    return sampled.spec, sampled.scene, sampled.attempt
