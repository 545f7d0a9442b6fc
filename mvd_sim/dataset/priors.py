"""Dataset priors: one YAML file a researcher can copy and edit, validated like scenarios.

The bundled defaults (``priors.yaml`` beside this module) come from
``../shared/anatomy_facts.md``; numbers without a published source are marked *estimate*
there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.materials import Materials
from mvd_sim.core.validation import one_line
from mvd_sim.scenario import read_yaml
from mvd_sim.scenario.schema import MechanicsOverrides

__all__ = ["Priors", "Normal", "Uniform", "DEFAULT_PRIORS_PATH", "load_priors"]

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


SideWeights = _weights(("left", "right"))
CulpritWeights = _weights(("AICA", "PICA", "VA", "vein"))
SiteWeights = _weights(("RExP", "AS", "RDP", "CP"))
SeverityWeights = _weights(("mild", "moderate", "severe"))


class FacialNervePriors(_Strict):
    cisternal_length_mm: Normal
    angle_to_midline_deg: Normal


class Priors(_Strict):
    """Every distribution a dataset draws from (see ``priors.yaml``)."""

    schema_version: Literal[1]
    side: SideWeights
    culprit: CulpritWeights
    site: SiteWeights
    severity: SeverityWeights
    multivessel_rate: Probability
    double_rate: Probability
    control_rate: Probability
    crossing_angle_deg: Normal
    indentation_mm: Uniform
    deviation_mm: Uniform
    facial_nerve: FacialNervePriors
    vessel_radius_mm: dict[Literal["AICA", "PICA", "VA", "vein"], Normal]
    mechanics: MechanicsOverrides = Field(default_factory=lambda: MechanicsOverrides())

    @model_validator(mode="after")
    def _weights_positive(self) -> Priors:
        for name in ("side", "culprit", "site", "severity"):
            total = sum(getattr(self, name).values())
            if total <= 0:
                raise ValueError(f"{name}: the weights must not all be zero")
            if not np.isfinite(total):
                raise ValueError(f"{name}: the weights' sum overflows to infinity; scale "
                                 "them down (only their ratios matter)")
        try:  # every case gets these materials: check them once, here
            Materials(**self.mechanics.model_dump(exclude_none=True))
        except ValueError as err:
            raise ValueError(f"mechanics: {err}") from None
        missing = set(self.culprit) - set(self.vessel_radius_mm)
        if missing:
            raise ValueError(f"vessel_radius_mm: no prior for {', '.join(sorted(missing))}")
        return self

    def choose(self, name: str, rng: np.random.Generator) -> str:
        """Draw a key of the weight table ``name``."""
        table = getattr(self, name)
        keys = sorted(table)
        weights = np.array([table[k] for k in keys], dtype=float)
        return str(keys[int(rng.choice(len(keys), p=weights / weights.sum()))])


def load_priors(path: str | Path | None = None) -> Priors:
    """Read and validate a priors file (the bundled defaults when ``path`` is None).

    Raises
    ------
    ScenarioError
        One line naming the file, the field and the reason.
    """
    path = DEFAULT_PRIORS_PATH if path is None else Path(path)
    raw = read_yaml(path, "priors files")
    try:
        return Priors.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(f"{path}: {one_line(err)}") from None
