"""Label volumes: reading NIfTI and NRRD files, and voxelising a folder of meshes.

A :class:`LabelVolume` holds integer labels on a voxel grid and the affine from voxel
indices ``(i, j, k)`` to world coordinates in millimetres, **RAS** (x toward the patient's
right, y anterior, z superior): NIfTI's world frame. NRRD files in LPS (Slicer's default,
``space: left-posterior-superior``) have x and y negated on reading; the image's spacing and
direction cosines are kept, so an oblique acquisition is read as it lies. A 3D Slicer
segmentation (``.seg.nrrd``) of several layers is read layer by layer, each segment a label
of its own that keeps all its voxels, those it shares with another included
(:mod:`~mvd_sim.segmentation.segments`).

Files are untrusted: their size on disk (:data:`~mvd_sim.core.constants.MAX_VOLUME_BYTES`)
and voxel count (:data:`~mvd_sim.core.constants.MAX_VOLUME_VOXELS`) are checked before the
voxels are read, and every failure is a one-line :class:`SegmentationError` naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from mvd_sim.core.constants import MAX_VOLUME_BYTES, MAX_VOLUME_VOXELS
from mvd_sim.core.errors import MeshError, SegmentationError
from mvd_sim.mesh.files import MESH_FORMATS, load_mesh, mesh_check, to_polydata
from mvd_sim.segmentation.segments import layered, segments_of

__all__ = ["LabelVolume", "load_label_volume", "voxelise_meshes", "VOLUME_SUFFIXES"]

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".seg.nrrd")
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_NRRD_SPACES = {"right-anterior-superior": np.eye(4), "ras": np.eye(4),
                "left-posterior-superior": _LPS_TO_RAS, "lps": _LPS_TO_RAS,
                "left-anterior-superior": np.diag([-1.0, 1.0, 1.0, 1.0]),
                "las": np.diag([-1.0, 1.0, 1.0, 1.0])}


@dataclass(frozen=True, eq=False)
class LabelVolume:
    """Integer labels on a voxel grid, in one layer or (a multi-layer Slicer segmentation)
    several, where a voxel may belong to one label of each.

    Attributes
    ----------
    labels : (ni, nj, nk) int
        0 is background; the first layer.
    affine : (4, 4) float
        Voxel index ``(i, j, k, 1)`` to world RAS millimetres.
    source : str
        The file or folder it came from (for messages).
    extra_layers : tuple of (ni, nj, nk) int
        The further layers; a label lies in one layer only.
    segments : segment name or ID -> label
        A Slicer segmentation's segments (0: a name several go by); empty for other files.
    """

    labels: np.ndarray
    affine: np.ndarray
    source: str
    extra_layers: tuple[np.ndarray, ...] = ()
    segments: Mapping[str, int] = field(default_factory=dict)

    @property
    def layers(self) -> tuple[np.ndarray, ...]:
        """Every layer, :attr:`labels` first."""
        return (self.labels, *self.extra_layers)

    def label_of(self, key: int | str) -> int:
        """The label a label map's key names: a label number, or a segment's name or ID.

        Raises
        ------
        SegmentationError
            One line naming the file: no such segment, a name several segments go by, a
            number keying a multi-layer segmentation (its label values repeat from layer
            to layer).
        """
        if isinstance(key, str):
            if not self.segments:
                raise SegmentationError(f"{self.source}: structure {key!r}: this volume has "
                                        "no named segments: key its structures by label "
                                        "number")
            if key not in self.segments:
                raise SegmentationError(f"{self.source}: no segment is named {key!r} (its "
                                        f"segments: {', '.join(sorted(self.segments))})")
            if self.segments[key] == 0:
                raise SegmentationError(f"{self.source}: {key!r} names several segments: "
                                        "key it by its segment ID")
            return self.segments[key]
        if self.extra_layers:
            raise SegmentationError(f"{self.source}: label {key}: a segmentation of "
                                    f"{len(self.layers)} layers repeats label values from "
                                    "layer to layer: key its structures by segment name or ID")
        return key

    @property
    def spacing_mm(self) -> np.ndarray:
        """(3,) voxel size along i, j, k (mm)."""
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel (mm^3)."""
        return float(abs(np.linalg.det(self.affine[:3, :3])))

    def world(self, indices: np.ndarray) -> np.ndarray:
        """(n, 3) world RAS mm of voxel indices (n, 3) (voxel centres for integers)."""
        return np.asarray(indices, dtype=float) @ self.affine[:3, :3].T + self.affine[:3, 3]

    def _in_any_layer(self, box: tuple, test: Callable[[np.ndarray], np.ndarray]
                      ) -> np.ndarray:
        """``test`` (labels -> bool) of each layer's voxels in ``box`` (slices; ``()``: the
        whole grid), or-ed over the layers: a one-layer volume's is its one test."""
        found = test(self.labels[box])
        for layer in self.extra_layers:
            found |= test(layer[box])
        return found

    def mask(self, label: int) -> np.ndarray:
        """Boolean mask of one label (the whole grid)."""
        return self._in_any_layer((), lambda layer: layer == label)

    @cached_property
    def _boxes(self) -> list:
        """Each label's bounding box of slices (None for labels absent), one pass a layer."""
        from scipy.ndimage import find_objects

        boxes: list = []
        for layer in self.layers:
            found = find_objects(layer)
            boxes.extend([None] * (len(found) - len(boxes)))
            for k, box in enumerate(found):
                boxes[k] = box if box is not None else boxes[k]
        return boxes

    def _box(self, label: int, margin: int) -> tuple[tuple[slice, ...], np.ndarray] | None:
        """One label's bounding box grown by ``margin`` voxels (within the grid) and its
        affine, or None if the label is absent."""
        boxes = self._boxes
        if not 0 < label <= len(boxes) or boxes[label - 1] is None:
            return None
        low = np.array([max(b.start - margin, 0) for b in boxes[label - 1]])
        high = np.array([min(b.stop + margin, n) for b, n in zip(boxes[label - 1],
                                                                 self.labels.shape)])
        affine = self.affine.copy()
        affine[:3, 3] = self.world(low[None])[0]
        return tuple(slice(a, b) for a, b in zip(low, high)), affine

    def cropped(self, label: int, margin: int = 3) -> tuple[np.ndarray, np.ndarray] | None:
        """The mask of one label in its bounding box grown by ``margin`` voxels (within the
        grid) and the affine of that box, or None if the label is absent. A structure's
        work then scales with its size, not the study's."""
        found = self._box(label, margin)
        if found is None:
            return None
        box, affine = found
        return self._in_any_layer(box, lambda layer: layer == label), affine

    def others(self, label: int, margin: int = 3) -> np.ndarray | None:
        """Voxels of every other structure in :meth:`cropped`'s box (bool), those the label
        shares with another (in another layer) included, or None if the label is absent."""
        found = self._box(label, margin)
        if found is None:
            return None
        return self._in_any_layer(found[0], lambda layer: (layer != 0) & (layer != label))


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise SegmentationError(f"{path}: cannot read: {err.strerror or err}") from None
    if not path.is_file():
        raise SegmentationError(f"{path}: not a regular file")
    if size > MAX_VOLUME_BYTES:
        raise SegmentationError(f"{path}: file is {size} bytes, over the {MAX_VOLUME_BYTES}"
                                "-byte limit for label volumes")


def _check_shape(path: Path, shape: tuple[int, ...], n_layers: int = 1) -> None:
    """Refuse a grid that is not 3D, or whose voxels over all its layers exceed the limit."""
    if len(shape) != 3 or min(shape) < 2:
        raise SegmentationError(f"{path}: expected a 3D label volume, got shape {shape} (a "
                                "segmentation of several layers: save it as Slicer's "
                                ".seg.nrrd or export it as one label map)")
    if n_layers * int(np.prod(shape, dtype=np.int64)) > MAX_VOLUME_VOXELS:
        layers = f" x {n_layers} layers" if n_layers > 1 else ""
        raise SegmentationError(f"{path}: {shape[0]}x{shape[1]}x{shape[2]} voxels{layers}, "
                                f"over the limit of {MAX_VOLUME_VOXELS} (crop it to the "
                                "cerebellopontine angle)")


def _as_labels(path: Path, data: np.ndarray) -> np.ndarray:
    if not np.issubdtype(data.dtype, np.integer):
        if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
            raise SegmentationError(f"{path}: voxels are not whole numbers: not a label "
                                    "volume")
    if data.size and (data.min() < 0 or data.max() > 65535):
        raise SegmentationError(f"{path}: labels must lie in 0-65535, found "
                                f"{data.min():g} to {data.max():g}")
    return np.asarray(data, dtype=np.uint16)


def _check_affine(path: Path, affine: np.ndarray) -> np.ndarray:
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)) or \
            abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise SegmentationError(f"{path}: the voxel-to-world transform is missing or singular")
    return affine


def load_label_volume(path: str | os.PathLike) -> LabelVolume:
    """Read a NIfTI (``.nii``, ``.nii.gz``; nibabel) or NRRD (``.nrrd``, ``.seg.nrrd``;
    pynrrd) label volume, world coordinates RAS mm; a Slicer segmentation's segments by
    name and ID, in as many layers as it has (:mod:`~mvd_sim.segmentation.segments`).

    Raises
    ------
    SegmentationError
        One line naming the file: unreadable, too large, not 3D integer labels (or a 4D
        NRRD not a Slicer segmentation's layers), malformed segment fields, no usable
        voxel-to-world transform, or a NRRD space other than RAS, LPS or LAS.
    """
    path = Path(path)
    name = path.name.lower()
    if not name.endswith(VOLUME_SUFFIXES):
        raise SegmentationError(f"{path}: unknown label volume format (expected "
                                f"{', '.join(VOLUME_SUFFIXES)})")
    _check_size(path)
    if name.endswith(".nrrd"):
        layers, segments, affine = _read_nrrd(path)
        return LabelVolume(layers[0], _check_affine(path, affine), str(path), layers[1:],
                           segments)
    labels, affine = _read_nifti(path)
    return LabelVolume(labels, _check_affine(path, affine), str(path))


def _reason(err: Exception) -> str:
    """A reader's error in one line: its message's first line, or its type without one (a
    header's missing field, for a KeyError)."""
    if isinstance(err, KeyError) and err.args:
        return f"its header has no {err.args[0]!r} field"
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__


def _read_nifti(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import nibabel

    try:
        image = nibabel.load(path)
        shape = tuple(int(n) for n in image.shape)
        _check_shape(path, shape)
        affine = np.asarray(image.affine, dtype=float)
        data = np.asanyarray(image.dataobj)
    except SegmentationError:
        raise
    except Exception as err:  # nibabel raises many types on malformed files
        raise SegmentationError(f"{path}: not a readable NIfTI file: {_reason(err)}") from None
    return _as_labels(path, data), affine


def _read_nrrd(path: Path) -> tuple[tuple[np.ndarray, ...], dict[str, int], np.ndarray]:
    """A NRRD file's layers of labels (one but for a multi-layer Slicer segmentation), its
    segments' names and IDs -> labels (empty without segment fields) and its affine."""
    import nrrd

    try:
        header = nrrd.read_header(str(path))
        sizes = tuple(int(n) for n in header["sizes"])
        space = str(header.get("space", "")).lower()
        if space not in _NRRD_SPACES or "space directions" not in header:
            raise SegmentationError(
                f"{path}: NRRD space {header.get('space')!r} is not RAS, LPS or LAS (or has "
                "no space directions): its orientation is unknown")
        directions = np.asarray(header["space directions"], dtype=float)
        n_layers = 1
        if len(sizes) == 4 and directions.shape == (4, 3) and np.all(np.isnan(directions[0])):
            # Slicer's layers: a first axis with no space direction ('none')
            n_layers, sizes, directions = sizes[0], sizes[1:], directions[1:]
        _check_shape(path, sizes, n_layers)
        segments = segments_of(path, header, n_layers)
        if n_layers > 1 and not segments:
            raise SegmentationError(f"{path}: {n_layers} layers but no SegmentN_ fields: not a "
                                    "Slicer segmentation's layers")
        origin = np.asarray(header.get("space origin", np.zeros(3)), dtype=float)
        data, _ = nrrd.read(str(path))
    except SegmentationError:
        raise
    except Exception as err:  # pynrrd raises many types on malformed files
        raise SegmentationError(f"{path}: not a readable NRRD file: {_reason(err)}") from None
    affine = np.eye(4)
    affine[:3, :3] = directions.T
    affine[:3, 3] = origin
    stack = _as_labels(path, data).reshape((n_layers, *sizes))
    layers, names = layered(path, stack, segments) if segments else ((stack[0],), {})
    return layers, names, _NRRD_SPACES[space] @ affine


def voxelise_meshes(meshes: Mapping[int, str | os.PathLike], spacing_mm: float = 0.4,
                    space: str = "RAS", margin_mm: float = 2.0) -> LabelVolume:
    """Voxelise closed meshes into one label volume (VTK's polydata-to-stencil, slice by
    slice; a voxel is inside when its centre is).

    Parameters
    ----------
    meshes : mapping of label -> mesh file
        In priority order: a later mesh's voxels overwrite an earlier one's (give the
        brainstem first, the vessels last).
    spacing_mm : float
        Voxel size (mm), isotropic.
    space : ``"RAS"`` or ``"LPS"``
        The meshes' world frame (Slicer exports models in LPS by default).
    margin_mm : float
        Background kept round the meshes.

    Raises
    ------
    SegmentationError
        One line naming the file: unreadable, open or non-manifold and not repairable, or
        holding no voxel (a mesh not in millimetres).
    """
    if space not in ("RAS", "LPS"):
        raise SegmentationError(f"mesh space {space!r}: expected RAS or LPS")
    flip = np.array([-1.0, -1.0, 1.0]) if space == "LPS" else np.ones(3)
    loaded = {label: _closed_mesh(Path(path), flip) for label, path in meshes.items()}
    # half a voxel off the meshes' bounds, so a face square to an axis at their edge lies
    # between voxel centres, not on them
    low = np.min([v.min(axis=0) for v, _ in loaded.values()], axis=0) - margin_mm \
        - 0.5 * spacing_mm
    high = np.max([v.max(axis=0) for v, _ in loaded.values()], axis=0) + margin_mm
    shape = tuple(int(n) for n in np.ceil((high - low) / spacing_mm).astype(int) + 1)
    if int(np.prod(shape, dtype=np.int64)) > MAX_VOLUME_VOXELS:
        raise SegmentationError(f"{next(iter(meshes.values()))}: the meshes span "
                                f"{high - low} mm, too large to voxelise at {spacing_mm} mm "
                                "(are they in mm?)")
    labels = np.zeros(shape, dtype=np.uint16)
    for label, mesh in loaded.items():
        inside = _stencil(mesh, low, spacing_mm, shape)
        if not inside.any():
            span = np.ptp(mesh[0], axis=0)
            raise SegmentationError(
                f"{meshes[label]}: spans {span[0]:.3g} x {span[1]:.3g} x {span[2]:.3g} mm and "
                f"holds no voxel at {spacing_mm} mm: are its units millimetres?")
        labels[inside] = label
    affine = np.diag([spacing_mm, spacing_mm, spacing_mm, 1.0])
    affine[:3, 3] = low
    return LabelVolume(labels, affine, str(Path(next(iter(meshes.values()))).parent))


def _closed_mesh(path: Path, flip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A mesh file's (vertices RAS, faces), repaired (merged vertices, filled holes,
    consistent winding; trimesh) where it is not closed, or refused."""
    if path.suffix.lower().lstrip(".") not in MESH_FORMATS:
        raise SegmentationError(f"{path}: unknown mesh format (expected "
                                f"{', '.join(MESH_FORMATS)})")
    try:
        vertices, faces = load_mesh(path)
    except MeshError as err:
        raise SegmentationError(str(err)) from None
    vertices = vertices * flip
    if flip[0] < 0:   # a mirror turns the winding inside out
        faces = faces[:, ::-1]
    check = mesh_check((vertices, faces))
    if not (check.watertight and check.consistently_oriented):
        import trimesh

        mesh = trimesh.Trimesh(vertices, faces, process=True)
        trimesh.repair.fill_holes(mesh)
        trimesh.repair.fix_normals(mesh)
        vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces, dtype=np.int64)
        check = mesh_check((vertices, faces))
        if not (check.watertight and check.consistently_oriented):
            raise SegmentationError(f"{path}: the surface is open or non-manifold and could "
                                    "not be repaired (fill its holes, e.g. in 3D Slicer)")
    return vertices, faces


def _stencil(mesh: tuple[np.ndarray, np.ndarray], origin: np.ndarray, spacing: float,
             shape: tuple[int, int, int]) -> np.ndarray:
    """Boolean (shape) mask of the grid points inside a closed mesh."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkImagingStencil import (vtkImageStencilToImage,
                                              vtkPolyDataToImageStencil)

    stencil = vtkPolyDataToImageStencil()
    stencil.SetInputData(to_polydata(mesh))
    stencil.SetOutputOrigin(*origin)
    stencil.SetOutputSpacing(spacing, spacing, spacing)
    stencil.SetOutputWholeExtent(0, shape[0] - 1, 0, shape[1] - 1, 0, shape[2] - 1)
    image = vtkImageStencilToImage()
    image.SetInputConnection(stencil.GetOutputPort())
    image.SetInsideValue(1)
    image.SetOutsideValue(0)
    image.SetOutputScalarTypeToUnsignedChar()
    image.Update()
    values = vtk_to_numpy(image.GetOutput().GetPointData().GetScalars())
    return values.reshape(shape[::-1]).transpose(2, 1, 0).astype(bool)
