"""Dataset priors: one YAML file a researcher can copy and edit, validated like scenarios.

The bundled defaults (``priors.yaml`` beside this module) come from
``../shared/anatomy_facts.md``; numbers without a published source are marked *estimate*
there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mvd_sim.core.materials import Materials
from mvd_sim.core.validation import validate_document
from mvd_sim.scenario import read_yaml
from mvd_sim.scenario.schema import MechanicsOverrides

__all__ = ["Priors", "ControlPriors", "Cn8ContactPriors", "CausePriors", "Normal", "Uniform", "DEFAULT_PRIORS_PATH", "CULPRIT_TYPES",
           "combination_types", "load_priors"]

DEFAULT_PRIORS_PATH = Path(__file__).with_name("priors.yaml")
Finite = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0.0, strict=True, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Normal(_Strict):
    """A normal distribution clipped to ``[low, high]``."""

    mean: Finite
    sd: Annotated[Finite, Field(ge=0.0)]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        if not self.low <= self.mean <= self.high:
            raise ValueError("need low <= mean <= high")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        return float(np.clip(rng.normal(self.mean, self.sd), self.low, self.high))


class Uniform(_Strict):
    """A uniform distribution on ``[low, high]``."""

    low: Annotated[Finite, Field(ge=0.0)]
    high: Annotated[Finite, Field(ge=0.0)]

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("need low <= high")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


def _weights(names: tuple[str, ...]):
    return Annotated[dict[Literal[names], Weight], Field(min_length=1)]


#: Vessel types a case's culprits (or a control's touching vessel) are drawn from, in the order
#: a combination names them.
CULPRIT_TYPES = ("AICA", "PICA", "VA", "vein")
SideWeights = _weights(("left", "right"))
CulpritWeights = _weights(CULPRIT_TYPES)
SiteWeights = _weights(("RExP", "AS", "RDP", "CP"))
SeverityWeights = _weights(("mild", "moderate", "severe"))
_SEVERITY_ORDER = ("mild", "moderate", "severe")
IncidentalSeverityWeights = _weights(("mild", "moderate"))


def combination_types(key: str) -> tuple[str, ...]:
    """The vessel types of a combination key.

    Examples
    --------
    >>> combination_types("AICA+VA")
    ('AICA', 'VA')
    """
    return tuple(key.split("+"))


def _check_combination(key: str) -> None:
    types = combination_types(key)
    if any(t not in CULPRIT_TYPES for t in types):
        raise ValueError(f"combination: {key!r}: each vessel must be one of "
                         f"{', '.join(CULPRIT_TYPES)}, joined by '+'")
    ordered = tuple(sorted(set(types), key=CULPRIT_TYPES.index))
    if types != ordered:
        raise ValueError(f"combination: {key!r}: name each vessel once, in the order "
                         f"{', '.join(CULPRIT_TYPES)} (write {'+'.join(ordered)!r})")
    if "VA" in types and len(types) > 2:
        raise ValueError(f"combination: {key!r}: a VA pushes one other vessel into the nerve; "
                         "combine it with one at most")


class FacialNervePriors(_Strict):
    cisternal_length_mm: Normal
    angle_to_midline_deg: Normal


class ControlPriors(_Strict):
    """Controls: asymptomatic sides, with an incidental contact or a vessel near CN VII."""

    rate: Probability
    side: SideWeights
    contact_rate: Probability
    vessel: CulpritWeights
    site: SiteWeights
    severity: IncidentalSeverityWeights
    separation_mm: Uniform


class Cn8ContactPriors(_Strict):
    """An AICA touching CN VIII too (an incidental, mild contact): the share of cases with an
    AICA in which it does, where along CN VIII (mm from the brainstem) and the directed
    crossing angle there (deg; left out, CN VII's ``crossing_angle_deg``)."""

    rate: Probability
    s_mm: Normal
    crossing_angle_deg: Normal | None = None


class CausePriors(_Strict):
    """Causes of hemifacial spasm other than a looping artery (issue #26): the share of
    symptomatic cases with each (a dolichoectatic VA among the cases whose VA is a culprit,
    so that its overall share is the rate given), the tumour kinds, and the lesions' sizes
    (*estimates*: no HFS series gives sizes)."""

    rate: dict[Literal["tumour", "avm", "aneurysm", "dolichoectasia", "arachnoid_band"],
               Probability]
    mass_kind: dict[Literal["schwannoma", "meningioma", "epidermoid", "lipoma"], Weight]
    mass_scale: Uniform
    mass_displacement_mm: Uniform
    aneurysm_dome_mm: Uniform
    va_radius_mm: Uniform

    @model_validator(mode="after")
    def _at_most_one(self) -> CausePriors:
        if sum(self.rate.values()) > 0.5:
            raise ValueError("rate: the other causes' shares add up to more than half of "
                             "the cases; they are rare (about 2%)")
        if sum(self.mass_kind.values()) <= 0:
            raise ValueError("mass_kind: the weights must not all be zero")
        return self


def _normalised(table: dict[str, float]) -> dict[str, float]:
    total = sum(table.values())
    return {k: v / total for k, v in table.items()}


class Priors(_Strict):
    """Every distribution a dataset draws from (see ``priors.yaml``, schema 2): conditional
    where the literature is (culprit combinations, side given the VA, site given the vessel),
    with controls as labelled negatives."""

    schema_version: Literal[2]
    combination: Annotated[dict[str, Weight], Field(min_length=1)]
    side_given_va: SideWeights
    side_without_va: SideWeights
    site_given_vessel: dict[Literal[CULPRIT_TYPES], SiteWeights]
    severity: SeverityWeights
    double_rate: Probability
    control: ControlPriors
    crossing_angle_deg: Normal
    indentation_mm: Uniform
    deviation_mm: Uniform
    facial_nerve: FacialNervePriors
    vessel_radius_mm: dict[Literal[CULPRIT_TYPES], Normal]
    #: None (the section left out): no CN VIII contact is asked for
    cn8_contact: Cn8ContactPriors | None = None
    #: None (the section left out): every case is a vascular compression
    causes: CausePriors | None = None
    mechanics: MechanicsOverrides = Field(default_factory=lambda: MechanicsOverrides())

    @model_validator(mode="before")
    @classmethod
    def _version(cls, data):
        if isinstance(data, dict) and data.get("schema_version") == 1:
            raise ValueError("schema_version: priors schema 1 (one culprit table, side and "
                             "site unconditional) is no longer read; start from "
                             "mvd_sim/dataset/priors.yaml (schema 2: combination, "
                             "side_given_va, site_given_vessel, control)")
        return data

    def _tables(self) -> dict[str, dict[str, float]]:
        return {"combination": self.combination, "side_given_va": self.side_given_va,
                "side_without_va": self.side_without_va, "severity": self.severity,
                **{f"site_given_vessel.{k}": v for k, v in self.site_given_vessel.items()},
                **{f"control.{k}": getattr(self.control, k)
                   for k in ("side", "vessel", "site", "severity")}}

    @model_validator(mode="after")
    def _weights_positive(self) -> Priors:
        for key in self.combination:
            _check_combination(key)
        for name, table in self._tables().items():
            total = sum(table.values())
            if total <= 0:
                raise ValueError(f"{name}: the weights must not all be zero")
            if not np.isfinite(total):
                raise ValueError(f"{name}: the weights' sum overflows to infinity; scale "
                                 "them down (only their ratios matter)")
        try:  # every case gets these materials: check them once, here
            Materials(**self.mechanics.model_dump(exclude_none=True))
        except ValueError as err:
            raise ValueError(f"mechanics: {err}") from None
        used = {t for key, w in self.combination.items() if w > 0
                for t in combination_types(key)}
        used |= {t for t, w in self.control.vessel.items() if w > 0}
        for field in ("vessel_radius_mm", "site_given_vessel"):
            missing = used - set(getattr(self, field))
            if missing:
                raise ValueError(f"{field}: no prior for {', '.join(sorted(missing))}")
        return self

    def table(self, name: str) -> dict[str, float]:
        """The weight table ``name`` (a dotted path such as ``site_given_vessel.AICA`` or
        ``control.site``), normalised to sum to 1."""
        return _normalised(self._tables()[name])

    def choose(self, name: str, u: float, below: str | None = None) -> str:
        """The key of the weight table ``name`` at the uniform ``u`` in [0, 1) (inverse CDF
        over the keys in the table's order); with ``below``, among the keys up to it."""
        table = self._tables()[name]
        keys = list(table)
        if below is not None:  # severities, mildest first
            keys = [k for k in _SEVERITY_ORDER[:_SEVERITY_ORDER.index(below) + 1] if k in table]
        cumulative = np.cumsum([table[k] for k in keys])
        if cumulative[-1] <= 0:
            return keys[0]
        at = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
        return keys[min(at, len(keys) - 1)]


def load_priors(path: str | Path | None = None) -> Priors:
    """Read and validate a priors file (the bundled defaults when ``path`` is None).

    Raises
    ------
    ScenarioError
        One line naming the file, the field and the reason.
    """
    path = DEFAULT_PRIORS_PATH if path is None else Path(path)
    raw = read_yaml(path, "priors files")
    return validate_document(Priors, raw, str(path), "priors")
