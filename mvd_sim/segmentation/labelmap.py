"""The label map: which label (a volume's) or file (a mesh folder's) is which structure.

.. code-block:: yaml

    # label number (label volume) or file name (mesh folder) -> structure
    structures:
      1: brainstem
      2: CN7
      3: CN8
      4: {type: AICA, id: aica}
      5: PICA            # id: pica (the type in lower case, numbered if repeated)

A structure is ``brainstem``, ``CN7``, ``CN8`` or a vessel type (AICA, PICA, VA, BA, vein),
optionally with an ``id`` (the vessel's name in reports). The brainstem and CN VII are
required; CN VIII too (the contact engine grades contacts on both roots).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from mvd_sim.core.constants import VESSEL_TYPES
from mvd_sim.core.errors import ScenarioError, SegmentationError
from mvd_sim.scenario import read_yaml

__all__ = ["Structure", "LabelMap", "load_label_map", "parse_label_map"]

_ROOTS = ("brainstem", "CN7", "CN8")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")


@dataclass(frozen=True)
class Structure:
    """One segmented structure: its key (label number or file name), its kind (``brainstem``,
    ``CN7``, ``CN8`` or a vessel type) and its id (the kind for the brainstem and nerves)."""

    key: int | str
    kind: str
    id: str

    @property
    def is_vessel(self) -> bool:
        """True for a vessel."""
        return self.kind in VESSEL_TYPES


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
                                    "number (1-65535) nor a file name")
        kind, name = _entry(value, f"{source}: structures[{key!r}]")
        if kind in _ROOTS:
            if any(s.kind == kind for s in structures):
                raise SegmentationError(f"{source}: structures[{key!r}]: {kind} is given twice")
            name = kind
        elif name is None:
            counts[kind] = counts.get(kind, 0) + 1
            name = kind.lower() + ("" if counts[kind] == 1 else str(counts[kind]))
        structures.append(Structure(key, kind, name))
    for kind in _ROOTS:
        if not any(s.kind == kind for s in structures):
            raise SegmentationError(f"{source}: structures: no {kind} (the brainstem, CN7 and "
                                    "CN8 are required)")
    ids = [s.id.lower() for s in structures]
    for k, name in enumerate(ids):
        if name in ids[:k]:
            raise SegmentationError(f"{source}: structures: id {structures[k].id!r} is used "
                                    "twice")
    return LabelMap(tuple(structures), source)


def _entry(value: object, where: str) -> tuple[str, str | None]:
    """(kind, id or None) of one entry: a kind, or a mapping with ``type`` and ``id``."""
    kinds = (*_ROOTS, *VESSEL_TYPES)
    name = None
    if isinstance(value, dict):
        if not set(value) <= {"type", "id"} or "type" not in value:
            raise SegmentationError(f"{where}: expected a structure name or {{type, id}}")
        name = value.get("id")
        value = value["type"]
        if name is not None and (not isinstance(name, str) or not _ID.match(name)):
            raise SegmentationError(f"{where}: id {name!r} must be a letter then up to 31 "
                                    "letters, digits, '_' or '-'")
    if value not in kinds:
        raise SegmentationError(f"{where}: unknown structure {value!r} (expected one of "
                                f"{', '.join(kinds)})")
    return str(value), name
