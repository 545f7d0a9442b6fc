"""The operation as one value: the moves a surgeon makes, and the case they make.

An :class:`Operation` lists felt pads (:mod:`~mvd_sim.surgery.pads`), transpositions with a
sling (:mod:`~mvd_sim.surgery.transpose`), veins coagulated and divided and arachnoid bands
cut. :func:`operate` applies it to a scene: the divided veins' tubes and the cut bands are
removed, the pads and slings placed in
what remains, every spec checked with one-line errors naming where it came from. The
decompression (:func:`mvd_sim.surgery.decompress.decompress`), the operated case
(:mod:`~mvd_sim.surgery.postop`), the viewer and the command line all take an operation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mvd_sim.case import Case
from mvd_sim.core.errors import ScenarioError
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.scenario import SpongeSpec, TranspositionSpec, check_divided, check_sponges
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.scene import Scene
from mvd_sim.scene.slings import Sling
from mvd_sim.surgery.pads import place_sponges
from mvd_sim.surgery.transpose import place_slings

__all__ = ["Operation", "Operated", "operate", "division_warning"]


@dataclass(frozen=True)
class Operation:
    """What a surgeon does to a case (frozen; any sequences given are kept as tuples).

    Attributes
    ----------
    pads : tuple[SpongeSpec, ...]
        Teflon felt pads, in the order placed.
    transpositions : tuple[TranspositionSpec, ...]
        Vessels moved and held with a sling.
    divided : tuple[str, ...]
        Veins (ids) coagulated and divided.
    cut_bands : tuple[str, ...]
        Arachnoid bands (ids, :class:`~mvd_sim.scene.bands.Band`) divided, before any pad.

    Examples
    --------
    >>> from mvd_sim.scenario import SpongeSpec
    >>> Operation(pads=[SpongeSpec(diameter_mm=2.0, s_mm=5.0)]).is_empty
    False
    """

    pads: tuple[SpongeSpec, ...] = ()
    transpositions: tuple[TranspositionSpec, ...] = ()
    divided: tuple[str, ...] = ()
    cut_bands: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("pads", "transpositions", "divided", "cut_bands"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @classmethod
    def of_case(cls, case: Case) -> Operation:
        """The case's own operation: its scenario's ``sponges``, ``transpositions``,
        ``divided`` and ``cut_bands`` (empty before surgery)."""
        spec = case.spec
        return cls(spec.sponges, spec.transpositions, spec.divided, spec.cut_bands)

    @property
    def is_empty(self) -> bool:
        """Whether it makes no move at all."""
        return not (self.pads or self.transpositions or self.divided or self.cut_bands)


@dataclass(frozen=True, eq=False)
class Operated:
    """An operation applied to a scene.

    Attributes
    ----------
    scene : Scene
        The scene the operated mechanics solve: the case's, less the divided veins.
    sponges : tuple[Sponge, ...]
        The pads as placed.
    holds_off : tuple[str, ...]
        The vessel each pad holds off.
    slings : tuple[Sling, ...]
        The slings as placed.
    divided : tuple[str, ...]
        The veins removed.
    cut_bands : tuple[str, ...]
        The arachnoid bands divided.
    """

    scene: Scene
    sponges: tuple[Sponge, ...]
    holds_off: tuple[str, ...]
    slings: tuple[Sling, ...]
    divided: tuple[str, ...]
    cut_bands: tuple[str, ...] = ()

    def model(self, before: MechanicalModel) -> MechanicalModel:
        """The operated model: ``before``'s (the case's, unoperated) rods less the divided
        veins', its bands less the cut ones, with the pads and slings."""
        rods = [rod for rod in before.rods if rod.name not in self.divided]
        bands = tuple(b for b in before.bands if b.name not in self.cut_bands)
        return dataclasses.replace(before, rods=rods, sponges=list(self.sponges),
                                   slings=self.slings, bands=bands)


def operate(scene: Scene, operation: Operation,
            labels: Mapping[str, Sequence[str]] | None = None) -> Operated:
    """Apply ``operation`` to ``scene`` (see the module docstring).

    ``labels`` names where each move came from in errors, by the operation's field
    (``{"pads": [...], "transpositions": [...], "divided": [...]}``; default
    ``sponges[k]``, ``transpositions[k]``, ``divided[k]``, as in a scenario file).

    Raises
    ------
    ScenarioError
        ``<label>: ...``: a divided vessel that is not one of the scene's veins, a pad that
        names a divided vein or cannot go where asked
        (:func:`~mvd_sim.surgery.pads.place_sponges`), a sling that cannot
        (:func:`~mvd_sim.surgery.transpose.place_slings`).
    """
    labels = labels or {}
    kinds = {name: tube.kind for name, tube in scene.vessels.items()}
    check_divided(kinds, operation.divided, labels.get("divided"))
    check_sponges(list(kinds), operation.pads, labels.get("pads"), divided=operation.divided)
    remaining = scene
    unknown = [b for b in operation.cut_bands if b not in {band.name for band in scene.bands}]
    if unknown:
        raise ScenarioError(f"cut_bands: {unknown[0]!r} is not one of the case's arachnoid "
                            "bands")
    if operation.divided or operation.cut_bands:
        remaining = dataclasses.replace(scene, vessels={
            name: tube for name, tube in scene.vessels.items()
            if name not in operation.divided}, bands=tuple(
                b for b in scene.bands
                if b.name not in operation.cut_bands and b.vessel not in operation.divided))
    sponges, holds_off = place_sponges(remaining, operation.pads, labels.get("pads"))
    slings = place_slings(remaining, operation.transpositions, labels.get("transpositions"))
    return Operated(remaining, sponges, holds_off, slings, operation.divided,
                    operation.cut_bands)


def division_warning(vein: str) -> str:
    """The caveat a decompression carries for each vein coagulated and divided."""
    return (f"{vein} coagulated and divided: venous complications follow 4.8% of MVDs "
            "(Thieme 2018), and sacrificing a vein without need (the petrosal vein above "
            "all) is a scored error")
