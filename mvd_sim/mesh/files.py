"""Reading, writing and checking triangle meshes: the only module that touches mesh files.

A mesh is the ``(vertices, faces)`` pair of :mod:`mvd_sim.mesh.meshing`: ``vertices (v, 3) float64``
in mm and ``faces (f, 3) int64``. Files are VTK XML PolyData (``.vtp``), STL, PLY or OBJ.

pyvista and VTK are imported inside the functions that need them, so importing :mod:`mvd_sim`
never loads VTK.

Writing is atomic: the file is made in memory, written to a hidden temporary file next to the
target with every byte checked, and then replaces the target in one step, so a reader never
sees a half-written file, and a full disk is an error, not a truncated file. Saving the same
arrays twice gives identical bytes (binary VTP with zlib, binary STL and PLY, 17-digit OBJ text;
no writer stamps a date or a file name).

Reading treats the file as untrusted. VTK's readers are not hardened against malformed input:
a truncated binary PLY file makes ``vtkPLYReader`` dereference garbage (SIGSEGV), and a VTP file
that declares two billion points aborts the process with ``std::bad_alloc``. So the file's bytes
are first copied (at most ``max_bytes`` of them) into a private temporary directory and parsed
by the matching VTK reader in a child Python process, which validates and triangulates the
result. A crash, a hang or an error of the reader becomes a :class:`~mvd_sim.core.errors.MeshError`
naming the file; VTK's messages are captured, never printed.

VTK's message routing is global state, so the functions here that call VTK (:func:`mesh_bytes`
and :func:`save_mesh` for VTP, and the reader process) are not thread-safe with other VTK code
running concurrently.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mvd_sim.core.constants import MAX_MESH_BYTES
from mvd_sim.core.errors import MeshError
from mvd_sim.core.output import write_file

if TYPE_CHECKING:
    import pyvista
    from vtkmodules.vtkCommonCore import vtkStringOutputWindow
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

    from mvd_sim.mesh.meshing import Mesh

__all__ = ["MESH_FORMATS", "MeshCheck", "to_polydata", "mesh_bytes", "save_mesh", "load_mesh",
           "mesh_check"]

#: File formats (and suffixes, without the dot) that :func:`save_mesh` and :func:`load_mesh` know.
MESH_FORMATS: tuple[str, ...] = ("vtp", "stl", "ply", "obj")

_READ_TIMEOUT_S = 120.0    # a reader still busy after this long is killed
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # mvd_sim/
# The reader process imports this module without running mvd_sim/__init__.py, which loads
# scipy and pydantic (about 1 s) that reading does not need. argv: package dir, then
# _reader_process_main's arguments.
_WORKER_CODE = """\
import sys, types
package = types.ModuleType("mvd_sim")
package.__path__ = [sys.argv[1]]
sys.modules["mvd_sim"] = package
from mvd_sim.mesh.files import _reader_process_main
sys.exit(_reader_process_main(sys.argv[2:]))
"""
# One VTK message: "ERROR: In file.cxx, line 12\nvtkClass (0x55d0...): text".
_VTK_MESSAGE = re.compile(r"^(ERROR|Warning): In [^\n]*\n(?:[^\n]*?\([0-9A-Fa-fx]+\): )?([^\n]*)",
                          re.MULTILINE)


class _Malformed(Exception):
    """Raised inside the reader process; its message is the reason the file is refused."""


# -- arrays --------------------------------------------------------------------------------

def _validated(mesh: Mesh, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Fresh ``float64`` vertices and ``int64`` faces of a well-formed triangle mesh."""
    try:
        vertices_in, faces_in = mesh
    except (TypeError, ValueError):
        raise MeshError(f"{where}: a mesh must be a (vertices, faces) pair") from None
    try:
        vertices = np.array(vertices_in, dtype=np.float64)
        faces_arr = np.asarray(faces_in)
    except (TypeError, ValueError):
        raise MeshError(f"{where}: vertices and faces must be numeric arrays") from None
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) == 0:
        raise MeshError(f"{where}: vertices must be a non-empty (v, 3) array, "
                        f"got shape {vertices.shape}")
    if not np.all(np.isfinite(vertices)):
        raise MeshError(f"{where}: vertices must be finite")
    if faces_arr.ndim != 2 or faces_arr.shape[1] != 3 or len(faces_arr) == 0:
        raise MeshError(f"{where}: faces must be a non-empty (f, 3) array, "
                        f"got shape {faces_arr.shape}")
    if not np.issubdtype(faces_arr.dtype, np.integer):
        raise MeshError(f"{where}: faces must be integers, got dtype {faces_arr.dtype}")
    faces = faces_arr.astype(np.int64)
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshError(f"{where}: face indices must lie in [0, {len(vertices)}), "
                        f"got [{faces.min()}, {faces.max()}]")
    return vertices, faces


def to_polydata(mesh: Mesh) -> pyvista.PolyData:
    """The mesh as a pyvista ``PolyData`` of triangles (arrays copied, never shared).

    Parameters
    ----------
    mesh : (vertices, faces)
        ``vertices (v, 3) float``, mm; ``faces (f, 3) int``.

    Returns
    -------
    pyvista.PolyData

    Raises
    ------
    MeshError
        If the arrays are not a well-formed triangle mesh.
    """
    import pyvista

    vertices, faces = _validated(mesh, "mesh")
    return pyvista.PolyData.from_regular_faces(vertices, faces, deep=True)


# -- VTK plumbing ----------------------------------------------------------------------------

@contextlib.contextmanager
def _captured_vtk_messages() -> Iterator[vtkStringOutputWindow]:
    """Route VTK's errors and warnings into a string window, and keep VTK's logger quiet.

    VTK reports problems through its global output window (which pyvista forwards to Python
    logging) and, separately, through ``vtkLogger`` on stderr; both are redirected here and
    restored on exit.
    """
    from vtkmodules.vtkCommonCore import vtkLogger, vtkOutputWindow, vtkStringOutputWindow

    window = vtkStringOutputWindow()
    previous_window = vtkOutputWindow.GetInstance()
    # vtkLogger has no getter for the stderr level; the cutoff equals it unless a log file or
    # callback with a higher level is registered (pyvista.vtk_verbosity makes the same choice).
    previous_verbosity = vtkLogger.GetCurrentVerbosityCutoff()
    vtkOutputWindow.SetInstance(window)
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)
    try:
        yield window
    finally:
        vtkLogger.SetStderrVerbosity(previous_verbosity)
        vtkOutputWindow.SetInstance(previous_window)


def _vtk_failure(window: vtkStringOutputWindow) -> str | None:
    """The first VTK message (the root cause) if VTK reported an error, else ``None``."""
    messages = _VTK_MESSAGE.findall(window.GetOutput())
    if not any(level == "ERROR" for level, _ in messages):
        return None
    return messages[0][1].strip() or "unspecified error"


def _format_of(path: Path, fmt: str | None) -> str:
    """Lower-case format name from ``fmt`` or else the suffix of ``path``."""
    name = (fmt if fmt is not None else path.suffix).lower().lstrip(".")
    if name not in MESH_FORMATS:
        given = f"format {fmt!r}" if fmt is not None else f"suffix {path.suffix!r}"
        raise MeshError(f"{path}: unsupported mesh {given}; expected one of "
                        f"{', '.join(MESH_FORMATS)}")
    return name


def _vtk_reader(fmt: str):
    if fmt == "vtp":
        from vtkmodules.vtkIOXML import vtkXMLPolyDataReader
        return vtkXMLPolyDataReader()
    if fmt == "stl":
        from vtkmodules.vtkIOGeometry import vtkSTLReader
        reader = vtkSTLReader()
        reader.MergingOn()      # STL stores each triangle's corners; share them again
        return reader
    if fmt == "ply":
        from vtkmodules.vtkIOPLY import vtkPLYReader
        return vtkPLYReader()
    from vtkmodules.vtkIOGeometry import vtkOBJReader
    return vtkOBJReader()


# -- writing -------------------------------------------------------------------------------

def save_mesh(mesh: Mesh, path: str | os.PathLike, fmt: str | None = None,
              cell_data: Mapping[str, np.ndarray] | None = None,
              point_data: Mapping[str, np.ndarray] | None = None,
              field_data: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write a triangle mesh atomically.

    The file is made in memory (:func:`mesh_bytes`), then written to
    ``.<stem>.tmp-<random>.<suffix>`` in the target's directory with every byte checked, synced
    to disk and renamed over ``path`` (:func:`mvd_sim.core.output.write_file`, which first removes
    what a killed run left there); on any failure, a full disk included, the temporary file
    is removed and ``path`` is left as it was. (VTK's file writers stop silently on a full
    disk, so no library writes the file itself.)

    Parameters
    ----------
    mesh : (vertices, faces)
        ``vertices (v, 3) float``, mm; ``faces (f, 3) int``.
    path : str or PathLike
        Target file.
    fmt : {"vtp", "stl", "ply", "obj"}, optional
        File format; default: the suffix of ``path``.
    cell_data, point_data, field_data : mapping of name to array, optional
        VTP only (see :func:`mesh_bytes`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MeshError
        One line naming the file: unsupported format, malformed arrays, or a write failure.
    """
    path = Path(path)
    data = mesh_bytes(mesh, _format_of(path, fmt), cell_data, point_data, field_data,
                      name=str(path))
    return write_file(path, data, MeshError)


def mesh_bytes(mesh: Mesh, fmt: str, cell_data: Mapping[str, np.ndarray] | None = None,
               point_data: Mapping[str, np.ndarray] | None = None,
               field_data: Mapping[str, np.ndarray] | None = None, name: str = "mesh"
               ) -> bytes:
    """A triangle mesh as the bytes of a mesh file, made in memory.

    Parameters
    ----------
    mesh : (vertices, faces)
        ``vertices (v, 3) float``, mm; ``faces (f, 3) int``.
    fmt : {"vtp", "stl", "ply", "obj"}
        File format (case-insensitive). STL and PLY store coordinates as float32 (about
        4e-6 mm resolution at 30 mm); VTP and OBJ keep float64. VTP is made by VTK (binary,
        zlib), STL, PLY and OBJ by trimesh's exporters. The same arrays give the same bytes.
    cell_data, point_data : mapping of name to (f,) or (v,) array, optional
        Arrays stored with the mesh, one value per face or per vertex (labels, for
        instance); VTP only.
    field_data : mapping of name to array, optional
        Arrays of any length stored once for the whole mesh (a label code's names, for
        instance); VTP only.
    name : str
        What errors name (the file the bytes are for).

    Returns
    -------
    bytes

    Raises
    ------
    MeshError
        One line naming ``name``: unsupported format or malformed arrays.
    """
    fmt = _format_of(Path(name), fmt)
    vertices, faces = _validated(mesh, name)
    if (cell_data or point_data or field_data) and fmt != "vtp":
        raise MeshError(f"{name}: only VTP files carry data arrays, not {fmt.upper()}")
    if fmt == "vtp":
        return _vtp_bytes(vertices, faces, cell_data or {}, point_data or {}, field_data or {},
                          name)
    return _trimesh_bytes(vertices, faces, fmt)


def _vtp_bytes(vertices: np.ndarray, faces: np.ndarray, cell_data: Mapping[str, np.ndarray],
               point_data: Mapping[str, np.ndarray], field_data: Mapping[str, np.ndarray],
               name: str) -> bytes:
    """A binary, zlib-compressed VTK XML PolyData file, made in memory by VTK."""
    from vtkmodules.vtkIOXML import vtkXMLPolyDataWriter

    polydata = to_polydata((vertices, faces))
    for kind, arrays, count in (("cell", cell_data, len(faces)),
                                ("point", point_data, len(vertices))):
        target = polydata.cell_data if kind == "cell" else polydata.point_data
        for array, values in arrays.items():
            values = np.asarray(values)
            if len(values) != count:
                raise MeshError(f"{name}: {kind} array {array!r} has {len(values)} values "
                                f"for {count} {kind}s")
            target[array] = values
    for array, values in field_data.items():
        polydata.field_data[array] = np.asarray(values)
    writer = vtkXMLPolyDataWriter()
    writer.SetDataModeToBinary()     # inline base64: the whole file is ASCII text
    writer.SetCompressorTypeToZLib()
    writer.WriteToOutputStringOn()
    writer.SetInputData(polydata)
    with _captured_vtk_messages() as window:
        ok = writer.Write()
    failure = _vtk_failure(window)
    if failure is not None or ok != 1:
        raise MeshError(f"{name}: cannot write VTP: {failure or 'VTK writer failed'}")
    return writer.GetOutputString().encode("ascii")


def _trimesh_bytes(vertices: np.ndarray, faces: np.ndarray, fmt: str) -> bytes:
    """Binary STL, binary PLY or 17-digit OBJ text, made in memory by trimesh."""
    import trimesh
    from trimesh.exchange import obj, ply, stl

    shape = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    if fmt == "stl":
        return stl.export_stl(shape)
    if fmt == "ply":
        return ply.export_ply(shape, encoding="binary", vertex_normal=False,
                              include_attributes=False)
    return obj.export_obj(shape, include_normals=False, include_color=False,
                          include_texture=False, digits=17, header=None).encode("ascii")


# -- reading -------------------------------------------------------------------------------

def load_mesh(path: str | os.PathLike,
              max_bytes: int = MAX_MESH_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Read a triangle mesh from an untrusted file.

    Polygons and triangle strips are triangulated. The file must be a regular file of at
    most ``max_bytes`` bytes with a supported suffix, and must hold at least one face, only
    polygons or strips (no vertex or line cells), finite coordinates, face indices in range
    and no vertex outside every face (what faces cut off by a truncated file leave); an OBJ
    file must end with a line break (a text file cut short ends mid-line). STL readers merge
    the corners shared by neighbouring triangles.

    Parameters
    ----------
    path : str or PathLike
        A ``.vtp``, ``.stl``, ``.ply`` or ``.obj`` file (suffix case-insensitive).
    max_bytes : int
        Largest file accepted; default: :data:`mvd_sim.core.constants.MAX_MESH_BYTES` (64 MiB).

    Returns
    -------
    vertices : (v, 3) float64, mm
    faces : (f, 3) int64

    Raises
    ------
    MeshError
        One line, ``"<path>: <reason>"``, for every way the file can be unusable.
    """
    path = Path(path)
    fmt = _format_of(path, None)
    with tempfile.TemporaryDirectory(prefix="mvd_sim_mesh_") as work:
        source = Path(work, f"input.{fmt}")
        source.write_bytes(_read_bounded(path, max_bytes))
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _WORKER_CODE, str(_PACKAGE_DIR), fmt, str(source), work],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=_READ_TIMEOUT_S,
                check=False)
        except subprocess.TimeoutExpired:
            raise MeshError(f"{path}: the {fmt.upper()} reader did not finish within "
                            f"{_READ_TIMEOUT_S:g} s") from None
        error_file = Path(work, "error.txt")
        if error_file.is_file():
            raise MeshError(f"{path}: {error_file.read_text(encoding='utf-8')}")
        if proc.returncode < 0:
            raise MeshError(f"{path}: the {fmt.upper()} reader crashed "
                            f"({_signal_name(-proc.returncode)}); the file is malformed")
        if proc.returncode > 0:
            lines = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit code {proc.returncode}"
            raise MeshError(f"{path}: the {fmt.upper()} reader process failed: {detail}")
        with np.load(Path(work, "mesh.npz"), allow_pickle=False) as arrays:
            return arrays["vertices"], arrays["faces"]


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; refuses all but a non-empty regular file of at most ``max_bytes``."""
    # One open + fstat decides everything, so the checks and the read see the same file;
    # O_NONBLOCK keeps a FIFO from blocking the open.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise MeshError(f"{path}: no such file") from None
    except OSError as exc:
        raise MeshError(f"{path}: cannot open: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MeshError(f"{path}: not a regular file")
        raise MeshError(f"{path}: file is {info.st_size} bytes, over the limit of "
                        f"{max_bytes} bytes")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise MeshError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data:
        raise MeshError(f"{path}: file is empty")
    if len(data) > max_bytes:
        raise MeshError(f"{path}: file grew past the limit of {max_bytes} bytes while read")
    return data


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _reader_process_main(argv: list[str]) -> int:
    """Entry point of the reader process: ``fmt source work_dir``.

    Writes ``mesh.npz`` (``vertices``, ``faces``) and returns 0, or writes the one-line reason
    to ``error.txt`` and returns 1.
    """
    fmt, source, work = argv
    try:
        vertices, faces = _read_in_this_process(source, fmt)
    except _Malformed as exc:
        Path(work, "error.txt").write_text(str(exc), encoding="utf-8")
        return 1
    np.savez(Path(work, "mesh.npz"), vertices=vertices, faces=faces)
    return 0


def _read_in_this_process(source: str, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse, validate and triangulate with VTK; only ever called in the reader process."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkFiltersCore import vtkTriangleFilter

    if fmt == "obj" and not Path(source).read_bytes().endswith((b"\n", b"\r")):
        # OBJ has no counts or checksum; a text file cut short (a writer killed, a full
        # disk) ends mid-line, and VTK's reader silently drops that line
        raise _Malformed("ends in the middle of a line: the file is truncated")
    reader = _vtk_reader(fmt)
    reader.SetFileName(source)
    with _captured_vtk_messages() as window:
        reader.Update()
    failure = _vtk_failure(window)
    if failure is not None:
        raise _Malformed(f"not a valid {fmt.upper()} file (VTK: {failure})")
    polydata = reader.GetOutput()
    n_points = polydata.GetNumberOfPoints()
    if n_points == 0:
        raise _Malformed("no points")
    vertices = vtk_to_numpy(polydata.GetPoints().GetData()).astype(np.float64)
    bad = int(np.count_nonzero(~np.all(np.isfinite(vertices), axis=1)))
    if bad:
        raise _Malformed(f"{bad} of {n_points} vertices have NaN or infinite coordinates")
    n_other = polydata.GetNumberOfVerts() + polydata.GetNumberOfLines()
    if n_other:
        raise _Malformed(f"{n_other} vertex or line cells; expected only surface polygons")
    if polydata.GetNumberOfPolys() + polydata.GetNumberOfStrips() == 0:
        raise _Malformed("no faces")
    # Check connectivity before any filter touches it: VTK trusts indices blindly.
    _check_cells(polydata.GetPolys(), "polygon", n_points)
    _check_cells(polydata.GetStrips(), "triangle strip", n_points)
    triangulate = vtkTriangleFilter()
    triangulate.SetInputData(polydata)
    with _captured_vtk_messages() as window:
        triangulate.Update()
    failure = _vtk_failure(window)
    if failure is not None:
        raise _Malformed(f"cannot triangulate (VTK: {failure})")
    faces = _triangles(triangulate.GetOutput())
    unused = n_points - len(np.unique(faces))
    if unused:  # a well-formed surface uses every vertex; faces cut off leave some unused
        raise _Malformed(f"{unused} of {n_points} vertices belong to no face (a truncated "
                         "or damaged file)")
    return vertices, faces


def _cell_arrays(cells: vtkCellArray) -> tuple[np.ndarray, np.ndarray]:
    from vtkmodules.util.numpy_support import vtk_to_numpy

    return (vtk_to_numpy(cells.GetOffsetsArray()).astype(np.int64),
            vtk_to_numpy(cells.GetConnectivityArray()).astype(np.int64))


def _check_cells(cells: vtkCellArray, kind: str, n_points: int) -> None:
    offsets, connectivity = _cell_arrays(cells)
    if len(offsets) <= 1:
        return
    sizes = np.diff(offsets)
    if offsets[0] != 0 or np.any(sizes < 0) or offsets[-1] != len(connectivity):
        raise _Malformed(f"inconsistent {kind} connectivity")
    if np.any(sizes < 3):
        raise _Malformed(f"a {kind} has fewer than 3 vertices")
    low, high = int(connectivity.min()), int(connectivity.max())
    if low < 0 or high >= n_points:
        index = low if low < 0 else high
        raise _Malformed(f"face vertex index {index} is out of range for {n_points} vertices")


def _triangles(polydata: vtkPolyData) -> np.ndarray:
    """(f, 3) int64 faces of an all-triangle ``PolyData``."""
    offsets, connectivity = _cell_arrays(polydata.GetPolys())
    if (polydata.GetNumberOfCells() != polydata.GetNumberOfPolys()
            or np.any(np.diff(offsets) != 3)):
        raise _Malformed("triangulation left cells that are not triangles")
    if len(connectivity) == 0:
        raise _Malformed("no faces after triangulation")
    return connectivity.reshape(-1, 3)


# -- checking ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MeshCheck:
    """Closedness and orientation of a triangle mesh (see :func:`mesh_check`).

    Attributes
    ----------
    watertight : bool
        Every edge is shared by exactly two faces.
    consistently_oriented : bool
        Every directed edge occurs once, so neighbouring faces are wound the same way.
    outward : bool
        The signed volume is positive: faces are counter-clockwise seen from outside.
    volume_mm3 : float
        Signed enclosed volume, mm^3 (negative for inward winding); meaningful when
        ``watertight`` and ``consistently_oriented``.
    area_mm2 : float
        Total face area, mm^2.
    """

    watertight: bool
    consistently_oriented: bool
    outward: bool
    volume_mm3: float
    area_mm2: float


def mesh_check(mesh: Mesh) -> MeshCheck:
    """Check that a triangle mesh is closed, consistently wound and outward; pure numpy.

    Parameters
    ----------
    mesh : (vertices, faces)
        ``vertices (v, 3) float``, mm; ``faces (f, 3) int``.

    Returns
    -------
    MeshCheck

    Raises
    ------
    MeshError
        If the arrays are not a well-formed triangle mesh.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    >>> f = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> check = mesh_check((v, f))
    >>> check.watertight, check.consistently_oriented, check.outward
    (True, True, True)
    >>> round(check.volume_mm3, 12)
    0.166666666667
    """
    vertices, faces = _validated(mesh, "mesh")
    n = len(vertices)
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    undirected = np.sort(directed, axis=1)
    _, edge_counts = np.unique(undirected[:, 0] * n + undirected[:, 1], return_counts=True)
    _, directed_counts = np.unique(directed[:, 0] * n + directed[:, 1], return_counts=True)
    # Centre first: the divergence-theorem sum then loses less to cancellation far from 0.
    corners = (vertices - vertices.mean(axis=0))[faces]
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    volume = float(np.einsum("ij,ij->", corners[:, 0], cross)) / 6.0
    area = 0.5 * float(np.linalg.norm(cross, axis=1).sum())
    return MeshCheck(watertight=bool(np.all(edge_counts == 2)),
                     consistently_oriented=bool(np.all(directed_counts == 1)),
                     outward=volume > 0.0, volume_mm3=volume, area_mm2=area)
