"""3D Slicer segmentations (``.seg.nrrd``): their segments' header fields and their layers.

Slicer stores a segmentation's segments in one or more layers: a 3D array (one layer, a
shared label map) or, where segments overlap, a 4D one (layers x i x j x k; the first axis
of kind ``list``, with no space direction). Each segment is described in the header by
``SegmentN_ID``, ``SegmentN_Name``, ``SegmentN_LabelValue`` (its voxels' value in its
layer) and ``SegmentN_Layer`` (N = 0, 1, ...; Slicer 4.11 and later write all four).

Each segment becomes a label number of its own (:func:`layered`): in a one-layer file its
label value, so a label map keyed by number reads it as any label volume; in a multi-layer
file, whose label values repeat from layer to layer, its N + 1. A label map may key a
segment by its name or its ID (as Slicer's Segments table shows them). Every segment keeps
all its voxels, those it shares with a segment of another layer included
(:class:`~mvd_sim.segmentation.volume.LabelVolume` holds the layers side by side).

Refused in one line naming the file: a segment missing one of the four fields or giving
one that is not a whole number in range, two segments with one ID or with one label value
in one layer, segment numbers with a gap, a layer holding a value no segment declares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvd_sim.core.errors import SegmentationError

__all__ = ["Segment", "segments_of", "layered"]

_FIELD = re.compile(r"^Segment(\d+)_")
_FIELDS = ("ID", "Name", "LabelValue", "Layer")


@dataclass(frozen=True)
class Segment:
    """One segment of a Slicer segmentation: its ID, name, layer and label value there."""

    id: str
    name: str
    layer: int
    value: int


def _whole(path: Path, key: str, text: str, low: int, high: int) -> int:
    """A header field's whole number within ``low``-``high``, or refused."""
    try:
        number = int(str(text).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise SegmentationError(f"{path}: its header's {key!r} is {text!r}: expected a whole "
                                f"number from {low} to {high}")
    return number


def segments_of(path: Path, header: Mapping, n_layers: int) -> tuple[Segment, ...]:
    """The segments a ``.seg.nrrd`` header describes, in their order (none for a plain label
    map's header), checked against the file's ``n_layers``.

    Raises
    ------
    SegmentationError
        One line naming the file and the field (see the module).
    """
    numbers = sorted({int(m.group(1)) for key in header if (m := _FIELD.match(str(key)))})
    if numbers != list(range(len(numbers))):
        raise SegmentationError(f"{path}: its header describes segments "
                                f"{', '.join(map(str, numbers))}: expected Segment0 to "
                                f"Segment{len(numbers) - 1} with none missing")
    segments = []
    for n in numbers:
        for field in _FIELDS:
            if f"Segment{n}_{field}" not in header:
                raise SegmentationError(f"{path}: its header has no 'Segment{n}_{field}' "
                                        "field (each segment needs its ID, Name, LabelValue "
                                        "and Layer)")
        segments.append(Segment(
            str(header[f"Segment{n}_ID"]), str(header[f"Segment{n}_Name"]),
            _whole(path, f"Segment{n}_Layer", header[f"Segment{n}_Layer"], 0, n_layers - 1),
            _whole(path, f"Segment{n}_LabelValue", header[f"Segment{n}_LabelValue"], 1,
                   65535)))
    for k, segment in enumerate(segments):
        for other in segments[:k]:
            if other.id == segment.id:
                raise SegmentationError(f"{path}: segments {segments.index(other)} and {k} "
                                        f"have one ID, {segment.id!r}")
            if (other.layer, other.value) == (segment.layer, segment.value):
                raise SegmentationError(f"{path}: segments {segments.index(other)} and {k} "
                                        f"have one label value, {segment.value}, in layer "
                                        f"{segment.layer}")
    return tuple(segments)


def layered(path: Path, layers: np.ndarray, segments: tuple[Segment, ...]
            ) -> tuple[tuple[np.ndarray, ...], dict[str, int]]:
    """The layers as label numbers (see the module) and each segment's name and ID -> its
    label number (0 for a name several segments go by).

    Parameters
    ----------
    layers : (layers, ni, nj, nk) uint16
        The file's label values, layer by layer.
    segments : the header's (:func:`segments_of`), at least one.

    Raises
    ------
    SegmentationError
        One line naming the file: a layer holds a value no segment declares.
    """
    one = len(layers) == 1
    numbers = [segment.value if one else k + 1 for k, segment in enumerate(segments)]
    out = []
    for index, layer in enumerate(layers):
        lookup = np.zeros(65536, dtype=np.uint16)
        for segment, number in zip(segments, numbers):
            if segment.layer == index:
                lookup[segment.value] = number
        present = np.flatnonzero(np.bincount(layer.ravel()))
        undeclared = present[(present > 0) & (lookup[present] == 0)]
        if len(undeclared):
            raise SegmentationError(f"{path}: layer {index} holds label value "
                                    f"{undeclared[0]}, which no segment declares")
        out.append(layer if one else lookup[layer])
    names: dict[str, int] = {}
    for segment, number in zip(segments, numbers):
        for name in {segment.id, segment.name}:
            names[name] = number if names.get(name, number) == number else 0
    return tuple(out), names
