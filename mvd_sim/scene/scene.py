"""``Scene``: one case's structures in its scene frame (origin at the RExP, mm).

A scene is immutable: a brainstem, the two nerves (as placed and at rest), their landmarks,
and the vessels, all as :class:`~mvd_sim.core.tube.Tube` values keyed by id, and the context
structures of the operative field around them (:mod:`mvd_sim.anatomy.context`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.context import ContextStructure
from mvd_sim.anatomy.landmarks import NerveLandmarks
from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.anatomy.vessels import arc_from_junction
from mvd_sim.core.constants import BRANCH_ORIGIN_MM, VESSEL_PARENT
from mvd_sim.core.geometry.closest import SegmentSet
from mvd_sim.scene.bands import Band
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.slings import Sling
from mvd_sim.core.tube import Tube

__all__ = ["Scene", "MeshVessel"]


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class MeshVessel:
    """A vessel known only as a closed, outward-oriented triangle mesh (imported geometry).

    Attributes
    ----------
    name, kind : str
        Vessel id and type.
    vertices : (v, 3) float, mm, scene frame
    faces : (f, 3) int
    """

    name: str
    kind: str
    vertices: np.ndarray
    faces: np.ndarray


@dataclass(frozen=True, eq=False)
class Scene:
    """A case's anatomy.

    Attributes
    ----------
    name : str
        Usually the scenario's file stem.
    side : ``"left"`` or ``"right"``
        Side of the case; lateral is ``+x`` on the right and ``-x`` on the left.
    brainstem : Brainstem
    nerves : Mapping[str, Tube]
        ``"CN7"`` and ``"CN8"`` as placed (possibly deviated by a vessel).
    rest_nerves : Mapping[str, Tube]
        The same nerves on their undisturbed course; same number of points, so index ``i``
        is the same material point in both (arc lengths of findings refer to the rest course).
    landmarks : Mapping[str, NerveLandmarks]
        Landmark arc lengths of each nerve on its rest course.
    vessels : Mapping[str, Tube]
        Vessels by id; ``Tube.kind`` is the vessel type.
    mesh_vessels : Mapping[str, MeshVessel]
        Vessels given only as meshes, by id (analysed by the contact engine's mesh path).
    sponges : tuple[Sponge, ...]
        Teflon felt pads in place (a decompressed scene), at their solved centres.
    petrous : PetrousFace or None
        The posterior face of the petrous bone around the porus (an *estimate*: a plane;
        :mod:`mvd_sim.anatomy.petrous`), where pads and slings are anchored; None for a scene
        made without one.
    slings : tuple[Sling, ...]
        Slings holding transposed vessels (an operated scene), as placed.
    context : Mapping[str, ContextStructure]
        The operative field around VII/VIII by name (``CN9``, ``CN10``, ``CN11``,
        ``flocculus``, ``cerebellum``, ``choroid_plexus``; :mod:`mvd_sim.anatomy.context`):
        drawn and exported, never graded for contact; vessels do not pass through the solid
        ones. Empty for a scene made without them.
    lesions : Mapping[str, Lesion]
        Masses, aneurysm domes and AVM nidi by id (:mod:`mvd_sim.anatomy.lesions`): graded
        for contact with the nerves (the report's ``cause``), rigid obstacles to the
        mechanics. Empty for a case of vascular compression.
    bands : tuple[Band, ...]
        Arachnoid bands tethering vessels to CN VII (:class:`mvd_sim.scene.bands.Band`).
    """

    name: str
    side: Literal["left", "right"]
    brainstem: Brainstem
    nerves: Mapping[str, Tube]
    rest_nerves: Mapping[str, Tube]
    landmarks: Mapping[str, NerveLandmarks]
    vessels: Mapping[str, Tube] = field(default_factory=dict)
    mesh_vessels: Mapping[str, MeshVessel] = field(default_factory=dict)
    sponges: tuple[Sponge, ...] = ()
    petrous: PetrousFace | None = None
    slings: tuple[Sling, ...] = ()
    context: Mapping[str, ContextStructure] = field(default_factory=dict)
    lesions: Mapping[str, Lesion] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()

    def __post_init__(self) -> None:
        for attr in ("nerves", "rest_nerves", "landmarks", "vessels", "mesh_vessels",
                     "context", "lesions"):
            object.__setattr__(self, attr, _frozen(getattr(self, attr)))

    @property
    def lateral(self) -> np.ndarray:
        """Unit vector pointing lateral (away from the midline) on this case's side."""
        return np.array([1.0 if self.side == "right" else -1.0, 0.0, 0.0])

    @cached_property
    def vessel_segments(self) -> SegmentSet | None:
        """All tube vessels' segments in one set (``owner`` = index in ``vessels``), or None
        without vessels; built once per scene."""
        if not self.vessels:
            return None
        return SegmentSet.stack([v.segments for v in self.vessels.values()])

    @cached_property
    def nerve_segments(self) -> SegmentSet:
        """All nerves' segments in one set (``owner`` = index in ``nerves``); built once per
        scene."""
        return SegmentSet.stack([n.segments for n in self.nerves.values()])

    def nerve_gaps(self) -> dict[tuple[str, str], float]:
        """Minimum surface gap (mm, negative = overlap depth) between each nerve and each
        tube vessel, exact on the tubes: ``(nerve, vessel) -> gap``. One pruned search over
        every pair (:meth:`~mvd_sim.core.geometry.closest.SegmentSet.nearest_by_tube`); the
        question mesh-based collision libraries answer."""
        if not self.vessels:
            return {}
        gaps = self.nerve_segments.nearest_by_tube(self.vessel_segments)
        return dict(zip([(nerve, vessel) for nerve in self.nerves for vessel in self.vessels],
                        gaps.ravel().tolist()))

    @cached_property
    def branch_segments(self) -> Mapping[tuple[str, str], SegmentSet]:
        """For each (branch, trunk) pair of vessels (a PICA on its VA, an AICA on the BA, a
        VA ending in the BA), the branch's segments beyond
        :data:`~mvd_sim.core.constants.BRANCH_ORIGIN_MM` of the junction, where the two do not
        overlap by design; built once per scene."""
        out = {}
        for branch in self.vessels.values():
            for trunk in self.vessels.values():
                if VESSEL_PARENT.get(branch.kind) != trunk.kind:
                    continue
                keep = arc_from_junction(branch, trunk.points) > BRANCH_ORIGIN_MM
                if np.count_nonzero(keep) >= 2:
                    out[(branch.name, trunk.name)] = SegmentSet.of(branch.points[keep],
                                                                   branch.radius[keep])
        return _frozen(out)

    @property
    def tubes(self) -> Mapping[str, Tube]:
        """Every tube (nerves then vessels) by id."""
        return _frozen({**self.nerves, **self.vessels})
