"""A case: everything a command or an API call needs to know about one patient's anatomy.

A :class:`Case` holds the validated scenario, the scene built from it, the materials (the
literature defaults with the scenario's ``mechanics:`` overrides) and the contact engine's
thresholds. Every command and every surgery function takes a case, so a scenario's overrides
apply wherever the case goes: nothing downstream rebuilds materials from defaults.

Building a case never solves anything. A scenario that lists ``sponges``, ``transpositions``
or ``divided`` veins (an operated case) keeps them in its spec (the pads also as
:attr:`Case.pads`); :func:`mvd_sim.surgery.postop.operated_scene` solves them.

Examples
--------
>>> from mvd_sim.case import Case
>>> case = Case.bundled("aica_as_moderate_right")
>>> case.name, case.scene.side, case.materials.nerve_youngs_mpa
('aica_as_moderate_right', 'right', 1.3)
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SeverityThresholds, image_thresholds
from mvd_sim.core.materials import Materials
from mvd_sim.scenario import (ScenarioSpec, SpongeSpec, bundled_scenarios, case_fingerprint,
                              load_scenario, materials_of, resolve_scenario)
from mvd_sim.scene.build import build_scene
from mvd_sim.scene.scene import Scene

__all__ = ["Case", "case_thresholds", "load_case", "load_scene"]


@dataclass(frozen=True, eq=False)
class Case:
    """One case (frozen; "changes" return new cases).

    Attributes
    ----------
    name : str
        The scenario's file stem (a bundled case's name).
    spec : ScenarioSpec
        The validated scenario.
    scene : Scene
        The anatomy as built from ``spec`` (pre-operative: no pad solved in).
    materials : Materials
        Moduli and supports: the defaults with ``spec.mechanics`` applied.
    thresholds : SeverityThresholds
        The contact engine's millimetre thresholds (``analyze`` and the verdicts use them):
        unless given, the case's own (:func:`case_thresholds`).
    source : Path or None
        The scenario file, where there is one.
    """

    name: str
    spec: ScenarioSpec
    scene: Scene
    materials: Materials
    thresholds: SeverityThresholds = DEFAULT_THRESHOLDS
    source: Path | None = None

    @classmethod
    def from_spec(cls, spec: ScenarioSpec, name: str = "case",
                  thresholds: SeverityThresholds | None = None,
                  source: Path | None = None) -> Case:
        """Build the case of a validated scenario, graded with ``thresholds`` (None: the
        case's own, :func:`case_thresholds`).

        Raises
        ------
        ScenarioError
            The anatomy cannot be built as asked, or the mechanics overrides are inconsistent
            (one line, prefixed with ``source`` when given).
        """
        try:
            return cls(name, spec, build_scene(spec, name=name), materials_of(spec),
                       case_thresholds(spec) if thresholds is None else thresholds, source)
        except ScenarioError as err:
            if source is None:
                raise
            raise ScenarioError(f"{source}: {err}") from None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike,
                  thresholds: SeverityThresholds | None = None) -> Case:
        """The case of a scenario file (named by its file stem).

        Raises
        ------
        ScenarioError
            One line naming the file, the field and the reason.
        """
        path = Path(path)
        return cls.from_spec(load_scenario(path), path.stem, thresholds, path)

    @classmethod
    def bundled(cls, name: str, thresholds: SeverityThresholds | None = None) -> Case:
        """A bundled case by name (``mvd-sim list`` shows them).

        Raises
        ------
        ScenarioError
            If no bundled scenario has that name.
        """
        scenarios = bundled_scenarios()
        if name not in scenarios:
            raise ScenarioError(f"{name}: no bundled scenario of that name (run 'mvd-sim list')")
        return cls.from_yaml(scenarios[name], thresholds)

    @property
    def pads(self) -> tuple[SpongeSpec, ...]:
        """The scenario's own pads (an operated case), in order; empty before surgery."""
        return tuple(self.spec.sponges)

    @cached_property
    def fingerprint(self) -> str:
        """:func:`~mvd_sim.scenario.schema.case_fingerprint` of the scenario (a plan records
        it, so it is only ever applied to this case)."""
        return case_fingerprint(self.spec)

    def with_thresholds(self, thresholds: SeverityThresholds) -> Case:
        """The same case judged with other thresholds."""
        return dataclasses.replace(self, thresholds=thresholds)


def case_thresholds(spec: ScenarioSpec) -> SeverityThresholds:
    """The thresholds a scenario's case is graded with unless the user gives others: a
    case imported from an image (``anatomy.segmented.voxel_mm``) with the thresholds that
    image can tell (:func:`~mvd_sim.core.labels.image_thresholds`) and its fits' measured
    uncertainty (``fit_rms_mm``: the brainstem's, then each tube's), any other with the
    defaults. The one place a case's thresholds are chosen."""
    segmented = spec.anatomy.segmented
    if segmented is not None and segmented.voxel_mm is not None:
        fits = (("brainstem", segmented.fit_rms_mm),
                *(segmented.surface_rms_mm or {}).items())
        return dataclasses.replace(image_thresholds(segmented.voxel_mm), fit_rms_mm=fits)
    return DEFAULT_THRESHOLDS


def load_case(scenario: str | os.PathLike,
              thresholds: SeverityThresholds | None = None) -> Case:
    """The case of a scenario given by path or by a bundled scenario's name.

    Raises
    ------
    ScenarioError
        One line naming the file (or name), the field and the reason.
    """
    return Case.from_yaml(resolve_scenario(scenario), thresholds)


def load_scene(scenario: str | os.PathLike) -> Scene:
    """The anatomy of a scenario given by path or bundled name, as built: never solved (an
    operated case's pads are not in it; see :func:`mvd_sim.surgery.postop.operated_scene`).

    Raises
    ------
    ScenarioError
        One line naming the file, the field and the reason.
    """
    return load_case(scenario).scene
