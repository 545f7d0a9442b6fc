"""The label map: which label (a volume's) or file (a mesh folder's) is which structure.

.. code-block:: yaml

    # label number (label volume), segment name or ID (Slicer's .seg.nrrd) or file name
    # (mesh folder) -> structure
    structures:
      1: brainstem
      2: CN7
      3: CN8
      4: {type: AICA, id: aica}
      5: PICA            # id: pica (the type in lower case, numbered if repeated)
      6: vein
      7: {type: mass, kind: schwannoma, id: tumour}
      8: {type: aneurysm, vessel: pica}                       # id: aneurysm
      9: {type: nidus, feeders: [pica], drainers: [vein]}     # id: nidus

A structure is ``brainstem``, ``CN7``, ``CN8``, a vessel type (AICA, PICA, VA, BA, vein) or a
lesion, optionally with an ``id`` (its name in reports). The brainstem and CN VII are
required; CN VIII too (the contact engine grades contacts on both roots).

Lesions (issue #26's causes; each fitted with an ellipsoid,
:mod:`~mvd_sim.segmentation.lesion_fit`, and written with it as imaged,
:class:`~mvd_sim.scenario.schema.LesionEllipsoid`):

- ``mass``: a tumour; ``kind`` is required (schwannoma, meningioma, epidermoid, lipoma).
  The nerves and vessels round it are taken as they lie (already displaced by it).
- ``aneurysm``: an aneurysm's dome (its sac, without the parent artery); ``vessel`` names
  its parent artery, a vessel of the same map by id.
- ``nidus``: an AVM's nidus; ``feeders`` (arteries) and ``drainers`` (veins) name vessels
  of the same map by id, each at least one. A feeder or drainer whose label stops short of
  the nidus is joined to it by a branch when the case is built
  (:func:`mvd_sim.anatomy.avm.connector`).

Arachnoid bands are not segmented: a band is far thinner than an MRI voxel (0.4-0.6 mm),
so an imported case has none; add ``bands`` to its scenario by hand.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from mvd_sim.core.constants import MASS_KINDS, VESSEL_TYPES
from mvd_sim.core.errors import ScenarioError, SegmentationError
from mvd_sim.scenario import read_yaml

__all__ = ["Structure", "LabelMap", "load_label_map", "parse_label_map", "LESION_TYPES"]

_ROOTS = ("brainstem", "CN7", "CN8")
#: Lesion structure types and the keys each entry takes besides ``type`` and ``id``.
LESION_TYPES = {"mass": ("kind",), "aneurysm": ("vessel",), "nidus": ("feeders", "drainers")}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")


@dataclass(frozen=True)
class Structure:
    """One segmented structure: its key (label number or file name), its kind (``brainstem``,
    ``CN7``, ``CN8``, a vessel type or a lesion type) and its id (the kind for the brainstem
    and nerves); a lesion's details: a mass' ``mass_kind``, an aneurysm's parent ``vessel``,
    a nidus' ``feeders`` and ``drainers`` (vessel ids)."""

    key: int | str
    kind: str
    id: str
    mass_kind: str | None = None
    vessel: str | None = None
    feeders: tuple[str, ...] = ()
    drainers: tuple[str, ...] = ()

    @property
    def is_vessel(self) -> bool:
        """True for a vessel."""
        return self.kind in VESSEL_TYPES

    @property
    def is_lesion(self) -> bool:
        """True for a mass, an aneurysm's dome or a nidus."""
        return self.kind in LESION_TYPES


@dataclass(frozen=True)
class LabelMap:
    """The structures of a segmentation, in the map's order."""

    structures: tuple[Structure, ...]
    source: str

    def root(self, kind: str) -> Structure:
        """The brainstem's or a nerve's structure."""
        return next(s for s in self.structures if s.kind == kind)

    @property
    def vessels(self) -> tuple[Structure, ...]:
        """The vessels, in the map's order."""
        return tuple(s for s in self.structures if s.is_vessel)

    @property
    def lesions(self) -> tuple[Structure, ...]:
        """The lesions, in the map's order."""
        return tuple(s for s in self.structures if s.is_lesion)


def load_label_map(path: str | os.PathLike) -> LabelMap:
    """Read a label map file (see the module docstring).

    Raises
    ------
    SegmentationError
        One line naming the file and what is wrong.
    """
    try:
        data = read_yaml(path, "label maps")
    except ScenarioError as err:
        raise SegmentationError(str(err)) from None
    return parse_label_map(data, str(path))


def parse_label_map(data: object, source: str) -> LabelMap:
    """Validate a parsed label map (see the module docstring).

    Raises
    ------
    SegmentationError
        One line naming ``source``, the entry and the reason.
    """
    if not isinstance(data, dict) or set(data) != {"structures"} or \
            not isinstance(data["structures"], dict) or not data["structures"]:
        raise SegmentationError(f"{source}: expected a mapping with one key, 'structures', "
                                "mapping label numbers or file names to structures")
    structures: list[Structure] = []
    counts: dict[str, int] = {}
    for key, value in data["structures"].items():
        if isinstance(key, bool) or not isinstance(key, (int, str)) or \
                (isinstance(key, int) and not 0 < key < 65536):
            raise SegmentationError(f"{source}: structures: key {key!r} is neither a label "
                                    "number (1-65535) nor a segment or file name")
        kind, name, details = _entry(value, f"{source}: structures[{key!r}]")
        if kind in _ROOTS:
            if any(s.kind == kind for s in structures):
                raise SegmentationError(f"{source}: structures[{key!r}]: {kind} is given twice")
            name = kind
        elif name is None:
            counts[kind] = counts.get(kind, 0) + 1
            name = kind.lower() + ("" if counts[kind] == 1 else str(counts[kind]))
        structures.append(Structure(key, kind, name, **details))
    for kind in _ROOTS:
        if not any(s.kind == kind for s in structures):
            raise SegmentationError(f"{source}: structures: no {kind} (the brainstem, CN7 and "
                                    "CN8 are required)")
    ids = [s.id.lower() for s in structures]
    for k, name in enumerate(ids):
        if name in ids[:k]:
            raise SegmentationError(f"{source}: structures: id {structures[k].id!r} is used "
                                    "twice")
    vessels = [s.id for s in structures if s.is_vessel]
    for s in structures:
        for name in (s.vessel, *s.feeders, *s.drainers):
            if name is not None and name not in vessels:
                known = ", ".join(vessels) or "none"
                raise SegmentationError(f"{source}: structures[{s.key!r}]: {name!r} is not the "
                                        f"id of a vessel of the map ({known})")
    return LabelMap(tuple(structures), source)


def _entry(value: object, where: str) -> tuple[str, str | None, dict]:
    """(kind, id or None, lesion details) of one entry: a kind, or a mapping with ``type``,
    ``id`` and a lesion's keys (:data:`LESION_TYPES`)."""
    kinds = (*_ROOTS, *VESSEL_TYPES, *LESION_TYPES)
    name = None
    entry: dict = {}
    if isinstance(value, dict):
        entry = dict(value)
        if "type" not in entry:
            raise SegmentationError(f"{where}: expected a structure name or {{type, id}}")
        name = entry.pop("id", None)
        value = entry.pop("type")
        if name is not None and (not isinstance(name, str) or not _ID.match(name)):
            raise SegmentationError(f"{where}: id {name!r} must be a letter then up to 31 "
                                    "letters, digits, '_' or '-'")
    if not isinstance(value, str) or value not in kinds:
        raise SegmentationError(f"{where}: unknown structure {value!r} (expected one of "
                                f"{', '.join(kinds)})")
    keys = LESION_TYPES.get(value, ())
    if set(entry) != set(keys):
        wanted = f"type, id and {', '.join(keys)}" if keys else "type and id"
        got = ", ".join(map(str, entry)) or "nothing"
        raise SegmentationError(f"{where}: a {value} entry takes {wanted} (got {got} "
                                "besides type and id)")
    return str(value), name, _details(value, entry, where)


def _details(kind: str, entry: dict, where: str) -> dict:
    """A lesion entry's details as :class:`Structure` fields (checked)."""
    if kind == "mass":
        if entry["kind"] not in MASS_KINDS:
            raise SegmentationError(f"{where}: kind {entry['kind']!r}: expected one of "
                                    f"{', '.join(MASS_KINDS)}")
        return {"mass_kind": entry["kind"]}
    if kind == "aneurysm":
        if not isinstance(entry["vessel"], str):
            raise SegmentationError(f"{where}: vessel: expected a vessel id")
        return {"vessel": entry["vessel"]}
    if kind == "nidus":
        out = {}
        for key in ("feeders", "drainers"):
            names = entry[key]
            if not isinstance(names, list) or not names or \
                    not all(isinstance(n, str) for n in names):
                raise SegmentationError(f"{where}: {key}: expected a list of vessel ids")
            out[key] = tuple(names)
        return out
    return {}
