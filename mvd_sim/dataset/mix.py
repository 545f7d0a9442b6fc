"""A dataset's mix: the realised share of each diagnosis against the share its priors give.

The realised values are what the contact engine found in each case as built (the cases
table's ``culprits``, ``culprit_segments``, ``extent``, ``worst_severity``), not what the
sampler asked for, so a case the scene builder did not realise as asked shows here. Each
share is over the cases (or culprit vessels) it is conditional on, and comes with the
binomial standard deviation of a share of that many independent draws, the scale to judge
a departure by (the sampler's diagnoses, stratified over the dataset, make the whole
dataset's departure smaller).

Quantities (the prior of each is read from, or derived from, ``priors.yaml``):

- ``label`` (all cases): ``compression`` (a symptomatic case the engine finds a culprit in),
  ``incidental`` (a control with a vessel touching CN VII), ``no_contact``;
- over symptomatic cases: ``combination`` (the culprits' types), ``culprit`` (each type
  among the culprits; the combinations' sum), ``multivessel`` (two culprits or more),
  ``side | VA``, ``side | no VA``, ``severity`` (the worst), ``extent`` (proximal only,
  double, distal only: the combinations, sites and ``double_rate`` enumerated);
- ``site | AICA`` ... (each culprit vessel of that type touching CN VII: its most proximal
  contact's segment);
- over controls with a contact: ``incidental vessel``, ``incidental site`` and
  ``incidental severity``;
- over all cases with an AICA: ``CN VIII | AICA``, does the AICA touch CN VIII too
  (``priors.yaml``'s ``cn8_contact``);
- over symptomatic cases, where the table has a ``cause`` column and the priors a
  ``causes`` section: ``cause``, the other cause drawn (``vascular`` for none).

A lesion named among a case's culprits (a case of another cause) is left out of the
vessel quantities: it is no vessel type of the combination tables.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import product

import pyarrow as pa

from mvd_sim.dataset.priors import CULPRIT_TYPES, Priors, combination_types

__all__ = ["Share", "MIX_COLUMNS", "mix", "expected_extent", "format_mix", "odds_ratios"]

#: Columns of the cases table that :func:`mix` reads.
MIX_COLUMNS = ["control", "side", "culprits", "culprit_segments", "extent", "worst_severity",
               "aica_radius_mm", "cn8_vessels"]
_SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class Share:
    """One value's realised share against its prior, over ``n`` cases (or vessels)."""

    quantity: str
    value: str
    realised: float
    prior: float
    n: int

    @property
    def sd(self) -> float:
        """Binomial standard deviation of a share of ``n`` independent draws at the prior."""
        return math.sqrt(self.prior * (1.0 - self.prior) / self.n) if self.n else math.nan

    @property
    def difference(self) -> float:
        """Realised minus prior."""
        return self.realised - self.prior


def expected_extent(priors: Priors) -> dict[str, float]:
    """Share of symptomatic cases whose CN VII is touched at the root exit zone only
    (``proximal``), there and at the cisternal portion (``double``), or there only
    (``distal``), from the combinations, each compressing vessel's site and the double rate."""
    cp = {kind: priors.table(f"site_given_vessel.{kind}").get("CP", 0.0)
          for kind in priors.site_given_vessel}
    out = {"proximal": 0.0, "double": 0.0, "distal": 0.0}
    for key, weight in priors.table("combination").items():
        types = combination_types(key)
        compressing = [t for t in types if not (t == "VA" and len(types) > 1)]
        for distal in product((False, True), repeat=len(compressing)):
            p = weight * math.prod(cp[t] if d else 1.0 - cp[t]
                                   for t, d in zip(compressing, distal))
            if all(distal):
                out["distal"] += p
            elif any(distal):
                out["double"] += p
            else:
                out["double"] += p * priors.double_rate
                out["proximal"] += p * (1.0 - priors.double_rate)
    return out


def _shares(quantity: str, values: list[str], prior: dict[str, float],
            keys: tuple[str, ...] = ()) -> list[Share]:
    counts, n = Counter(values), len(values)
    shown = list(prior) + [k for k in (*keys, *sorted(counts)) if k not in prior]
    return [Share(quantity, k, counts[k] / n if n else 0.0, prior.get(k, 0.0), n)
            for k in dict.fromkeys(shown)]


def mix(cases: pa.Table, priors: Priors) -> list[Share]:
    """Every realised share against its prior (see the module docstring).

    ``cases`` holds (at least) the cases table's :data:`MIX_COLUMNS`."""
    causes = "cause" in cases.column_names and priors.causes is not None
    rows = [_vessels_only(r) for r in
            cases.select(MIX_COLUMNS + ["cause"] * causes).to_pylist()]
    symptomatic = [r for r in rows if not r["control"]]
    controls = [r for r in rows if r["control"]]
    touched = [r for r in controls if r["extent"] != "none"]
    rate, contact = priors.control.rate, priors.control.contact_rate
    combination = priors.table("combination")
    out = _shares("label", [
        ("compression" if r["culprits"] else "no_contact") if not r["control"] else
        ("incidental" if r["extent"] != "none" else "no_contact") for r in rows],
        {"compression": 1.0 - rate, "incidental": rate * contact,
         "no_contact": rate * (1.0 - contact)})
    out += _shares("combination", ["+".join(r["culprits"]) or "none" for r in symptomatic],
                   combination)
    for kind in CULPRIT_TYPES:
        involved = sum(w for k, w in combination.items() if kind in combination_types(k))
        out += _shares("culprit", [kind if kind in r["culprits"] else "-" for r in symptomatic],
                       {kind: involved})[:1]
    out += _shares("multivessel", ["2+" if len(r["culprits"]) > 1 else "1"
                                   for r in symptomatic],
                   {"2+": sum(w for k, w in combination.items() if "+" in k)})[:1]
    for name, table, has_va in (("side | VA", "side_given_va", True),
                                ("side | no VA", "side_without_va", False)):
        out += _shares(name, [r["side"] for r in symptomatic if ("VA" in r["culprits"]) == has_va],
                       priors.table(table))
    for kind in CULPRIT_TYPES:
        sites = [s for r in symptomatic for t, s in zip(r["culprits"], r["culprit_segments"])
                 if t == kind and s is not None]
        if kind in priors.site_given_vessel:
            out += _shares(f"site | {kind}", sites, priors.table(f"site_given_vessel.{kind}"))
    out += _shares("severity", [r["worst_severity"] for r in symptomatic],
                   priors.table("severity"))
    out += _shares("extent", [r["extent"] for r in symptomatic], expected_extent(priors))
    out += _shares("incidental vessel", [r["culprits"][0] if r["culprits"] else "none"
                                         for r in touched], priors.table("control.vessel"))
    out += _shares("incidental site", [_first(r["culprit_segments"]) for r in touched],
                   priors.table("control.site"))
    out += _shares("incidental severity", [r["worst_severity"] for r in touched],
                   priors.table("control.severity"))
    if priors.cn8_contact is not None:
        out += _shares("CN VIII | AICA", ["touched" if "AICA" in r["cn8_vessels"] else "free"
                                          for r in rows if r["aica_radius_mm"] is not None],
                       {"touched": priors.cn8_contact.rate,
                        "free": 1.0 - priors.cn8_contact.rate})
    if causes:
        rates = priors.causes.rate
        out += _shares("cause", [r["cause"] for r in symptomatic],
                       {"vascular": 1.0 - sum(rates.values()), **rates})
    return out


def _vessels_only(row: dict) -> dict:
    """A cases-table row with its culprits (and their segments) limited to vessel types."""
    keep = [k for k, t in enumerate(row["culprits"]) if t in CULPRIT_TYPES]
    return {**row, "culprits": [row["culprits"][k] for k in keep],
            "culprit_segments": [row["culprit_segments"][k] for k in keep]}


def _first(segments: list[str | None]) -> str:
    """The most proximal of a case's culprits' segments."""
    known = [s for s in segments if s is not None]
    order = ("RExP", "AS", "RDP", "CP")
    return min(known, key=order.index) if known else "none"


def format_mix(shares: list[Share], tolerance: float | None = None) -> list[str]:
    """The shares as a text table; with ``tolerance`` (a share, e.g. 0.02), each row whose
    departure exceeds it is marked ``!``, or ``~`` where one case (1/n) is more than the
    tolerance, too few to resolve it."""
    lines = [f"{'quantity':<20} {'value':<12} {'realised':>8} {'prior':>7} {'diff':>7} "
             f"{'n':>6} {'binom SD':>8}"]
    for s in shares:
        flag = ""
        if tolerance is not None and abs(s.difference) > tolerance:
            flag = " ~" if s.n and 1.0 / s.n > tolerance else " !"
        lines.append(f"{s.quantity:<20} {s.value:<12} {s.realised:8.3f} {s.prior:7.3f} "
                     f"{s.difference:+7.3f} {s.n:6d} {s.sd:8.3f}{flag}")
    return lines


#: Odds ratios for HFS of a contact at each segment, symptomatic against asymptomatic sides
#: (Li B et al., Brain Behav 2024, conditional logistic regression on 186 patients, facts
#: file section 9.4; their cisternal contact is not significant, p 0.23).
PUBLISHED_CONTACT_ODDS_RATIOS = {"AS": 4.99, "RDP": 19.98}


def odds_ratios(cases: pa.Table) -> dict[str, float]:
    """Odds of a culprit's (most proximal) contact at each segment on symptomatic sides over
    the odds on controls: a check against :data:`PUBLISHED_CONTACT_ODDS_RATIOS`, which are
    adjusted estimates from a regression, not a prior of the sampler (inf: no control has
    one there)."""
    rows = cases.select(["control", "culprit_segments"]).to_pylist()
    out = {}
    for segment in ("RExP", "AS", "RDP", "CP"):
        odds = []
        for control in (False, True):
            group = [r for r in rows if r["control"] == control]
            hit = sum(segment in r["culprit_segments"] for r in group)
            odds.append(hit / (len(group) - hit) if len(group) > hit else math.inf)
        out[segment] = odds[0] / odds[1] if odds[1] else math.inf
    return out
