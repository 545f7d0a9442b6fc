"""Mesh files: round trips, atomic and deterministic writes, and untrusted input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.mesh import files as mesh_io
from mvd_sim.core.errors import MeshError
from mvd_sim.mesh.files import MESH_FORMATS, load_mesh, mesh_check, save_mesh, to_polydata
from mvd_sim.mesh.meshing import tube_mesh
from mvd_sim.core.tube import Tube

# float32 formats keep ~7 significant digits: 4e-6 mm at 30 mm
ATOL_MM = {"vtp": 1e-12, "obj": 1e-12, "stl": 1e-5, "ply": 1e-5}


@pytest.fixture(scope="module")
def mesh():
    """A closed tube mesh with coordinates of tens of mm and no special values."""
    u = np.linspace(0.0, 3 * np.pi, 40)
    points = np.stack([12 * np.cos(u) + 3.1, 12 * np.sin(u) - 7.3, 1.7 * u + 20.0], axis=1)
    return tube_mesh(Tube("AICA", "AICA", points, np.linspace(1.1, 0.5, 40)), n_sides=10)


def tetrahedron():
    vertices = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    return vertices, faces


def assert_one_line_error(excinfo, path: Path, reason: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert re.search(reason, message), message


def assert_silent(capfd) -> None:
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


# -- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["vtp", "ply", "obj"])
def test_round_trip_keeps_vertices_and_faces(tmp_path, mesh, fmt, capfd):
    path = tmp_path / f"tube.{fmt}"
    assert save_mesh(mesh, path) == path
    vertices, faces = load_mesh(path)
    assert vertices.dtype == np.float64 and faces.dtype == np.int64
    assert_allclose(vertices, mesh[0], rtol=0, atol=ATOL_MM[fmt])
    np.testing.assert_array_equal(faces, mesh[1])
    assert_silent(capfd)


def test_stl_round_trip_keeps_the_surface(tmp_path, mesh, capfd):
    """STL stores triangle corners, not vertices; the reader merges them again."""
    path = tmp_path / "tube.stl"
    save_mesh(mesh, path)
    loaded = load_mesh(path)
    before, after = mesh_check(mesh), mesh_check(loaded)
    assert after.watertight and after.consistently_oriented and after.outward
    assert len(loaded[0]) == len(mesh[0]) and len(loaded[1]) == len(mesh[1])
    assert_allclose(after.volume_mm3, before.volume_mm3, rtol=1e-5, atol=0)
    assert_allclose(after.area_mm2, before.area_mm2, rtol=1e-5, atol=0)
    assert_allclose(np.sort(loaded[0], axis=0), np.sort(mesh[0], axis=0), rtol=0,
                    atol=ATOL_MM["stl"])
    assert_silent(capfd)


@pytest.mark.parametrize("fmt", MESH_FORMATS)
def test_explicit_format_overrides_the_suffix(tmp_path, mesh, fmt):
    path = tmp_path / "tube.dat"
    save_mesh(mesh, path, fmt=fmt.upper())
    readable = path.rename(tmp_path / f"tube.{fmt}")
    assert_allclose(mesh_check(load_mesh(readable)).volume_mm3, mesh_check(mesh).volume_mm3,
                    rtol=1e-5, atol=0)


def test_suffix_is_case_insensitive(tmp_path, mesh):
    path = tmp_path / "TUBE.VTP"
    save_mesh(mesh, path)
    np.testing.assert_array_equal(load_mesh(path)[1], mesh[1])


def test_polygons_and_strips_are_triangulated(tmp_path, capfd):
    import pyvista

    cube = pyvista.Cube(x_length=2.0, y_length=3.0, z_length=4.0)    # six quads
    cube_path = tmp_path / "cube.vtp"
    cube.save(cube_path)
    vertices, faces = load_mesh(cube_path)
    check = mesh_check((vertices, faces))
    assert faces.shape == (12, 3)
    assert check.watertight and check.consistently_oriented
    assert_allclose(abs(check.volume_mm3), 24.0, rtol=1e-12, atol=0)
    assert_allclose(check.area_mm2, 2 * (6 + 8 + 12), rtol=1e-12, atol=0)

    strip = pyvista.PolyData(np.array([[0.0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0], [2, 0, 0]]),
                             strips=[5, 0, 1, 2, 3, 4])
    strip_path = tmp_path / "strip.vtp"
    strip.save(strip_path)
    vertices, faces = load_mesh(strip_path)
    assert faces.shape == (3, 3)
    assert_allclose(mesh_check((vertices, faces)).area_mm2, 1.5, rtol=1e-12, atol=0)
    assert_silent(capfd)


# -- deterministic and atomic writes ---------------------------------------------------------

@pytest.mark.parametrize("fmt", MESH_FORMATS)
def test_saving_twice_gives_identical_bytes(tmp_path, mesh, fmt):
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"other_name.{fmt}"
    save_mesh(mesh, first)
    data = first.read_bytes()
    save_mesh((mesh[0].copy(), mesh[1].copy()), first)
    save_mesh(mesh, second)
    assert first.read_bytes() == data
    assert second.read_bytes() == data


def test_save_overwrites_and_leaves_only_the_target(tmp_path, mesh):
    path = tmp_path / "tube.vtp"
    path.write_bytes(b"old contents")
    save_mesh(mesh, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tube.vtp"]
    np.testing.assert_array_equal(load_mesh(path)[1], mesh[1])


def test_save_into_a_missing_directory_fails_cleanly(tmp_path, mesh, capfd):
    path = tmp_path / "no_such_dir" / "tube.vtp"
    with pytest.raises(MeshError) as excinfo:
        save_mesh(mesh, path)
    assert_one_line_error(excinfo, path, "cannot write: No such file or directory")
    assert list(tmp_path.iterdir()) == []
    assert_silent(capfd)


def test_save_over_a_directory_fails_and_removes_the_temporary_file(tmp_path, mesh):
    path = tmp_path / "tube.ply"
    path.mkdir()
    with pytest.raises(MeshError) as excinfo:
        save_mesh(mesh, path)
    assert_one_line_error(excinfo, path, "cannot write")
    assert [p.name for p in tmp_path.iterdir()] == ["tube.ply"]
    assert path.is_dir() and list(path.iterdir()) == []


def test_failed_replace_keeps_the_old_file_and_no_temporary_file(tmp_path, mesh, monkeypatch):
    path = tmp_path / "tube.vtp"
    path.write_bytes(b"old contents")
    seen = []

    def failing_replace(src, dst):
        seen.append((Path(src), Path(src).is_file()))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(MeshError) as excinfo:
        save_mesh(mesh, path)
    assert_one_line_error(excinfo, path, "No space left on device")
    (tmp, existed), = seen
    assert existed                                   # the mesh was written in full first ...
    assert tmp.parent == tmp_path                    # ... next to the target, hidden
    assert re.fullmatch(r"\.tube\.tmp-[0-9a-f]{16}\.vtp", tmp.name)
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["tube.vtp"]


def test_interrupted_save_removes_the_temporary_file(tmp_path, mesh, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_mesh(mesh, tmp_path / "tube.obj")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad_mesh, reason", [
    ((np.zeros((4, 2)), np.array([[0, 1, 2]])), r"vertices must be a non-empty \(v, 3\)"),
    ((np.full((3, 3), np.nan), np.array([[0, 1, 2]])), "vertices must be finite"),
    ((np.eye(3), np.array([[0, 1, 3]])), r"face indices must lie in \[0, 3\)"),
    ((np.eye(3), np.array([[0.0, 1.0, 2.0]])), "faces must be integers"),
    ((np.eye(3), np.zeros((0, 3), dtype=int)), r"faces must be a non-empty \(f, 3\)"),
    ((np.eye(3),), r"\(vertices, faces\) pair"),
])
def test_save_rejects_malformed_arrays(tmp_path, bad_mesh, reason):
    path = tmp_path / "bad.vtp"
    with pytest.raises(MeshError) as excinfo:
        save_mesh(bad_mesh, path)
    assert_one_line_error(excinfo, path, reason)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, fmt, reason", [
    ("tube.vtk", None, r"unsupported mesh suffix '\.vtk'"),
    ("tube", None, "unsupported mesh suffix ''"),
    ("tube.vtp", "step", "unsupported mesh format 'step'"),
])
def test_save_rejects_unsupported_formats(tmp_path, mesh, name, fmt, reason):
    with pytest.raises(MeshError) as excinfo:
        save_mesh(mesh, tmp_path / name, fmt=fmt)
    assert_one_line_error(excinfo, tmp_path / name, reason)
    assert list(tmp_path.iterdir()) == []


# -- untrusted input -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", MESH_FORMATS)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_bytes_are_refused(tmp_path, fmt, seed, capfd):
    path = tmp_path / f"noise.{fmt}"
    path.write_bytes(np.random.default_rng(seed).bytes(3000))
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, ".")
    assert_silent(capfd)


@pytest.mark.parametrize("fmt", MESH_FORMATS)
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.97])
def test_truncated_files_are_refused(tmp_path, mesh, fmt, keep, capfd):
    """Includes binary PLY, whose truncation crashes vtkPLYReader (SIGSEGV) in-process."""
    path = tmp_path / f"cut.{fmt}"
    save_mesh(mesh, path)
    data = path.read_bytes()
    path.write_bytes(data[:int(keep * len(data))])
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, ".")
    assert_silent(capfd)


@pytest.mark.parametrize("fmt", MESH_FORMATS)
def test_empty_file_is_refused(tmp_path, fmt, capfd):
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(b"")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "file is empty")
    assert_silent(capfd)


def test_file_over_the_size_limit_is_refused(tmp_path, mesh):
    path = tmp_path / "big.vtp"
    save_mesh(mesh, path)
    size = path.stat().st_size
    assert load_mesh(path, max_bytes=size)[0].shape == mesh[0].shape
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path, max_bytes=size - 1)
    assert_one_line_error(excinfo, path, f"file is {size} bytes, over the limit of {size - 1}")


@pytest.mark.parametrize("name, reason", [
    ("mesh.vtk", r"unsupported mesh suffix '\.vtk'"),
    ("mesh.txt", r"unsupported mesh suffix '\.txt'"),
    ("mesh", "unsupported mesh suffix ''"),
])
def test_unsupported_suffix_is_refused(tmp_path, name, reason):
    path = tmp_path / name
    path.write_text("v 0 0 0\n")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, reason)


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "absent.stl"
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "no such file")


def test_directory_is_refused(tmp_path):
    path = tmp_path / "folder.obj"
    path.mkdir()
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.ply"
    os.mkfifo(path)
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "not a regular file")


@pytest.mark.parametrize("text, reason", [
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", "face vertex index 8 is out of range for 3"),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces"),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nl 1 2\nf 1 2 3\n", "1 vertex or line cells"),
    ("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "1 of 3 vertices have NaN or infinite"),
    ("v 0 0 0\nv 1 0 inf\nv 0 1 0\nf 1 2 3\n", "1 of 3 vertices have NaN or infinite"),
    ("# nothing here\n", "no points"),
])
def test_malformed_obj_content_is_refused(tmp_path, text, reason, capfd):
    path = tmp_path / "bad.obj"
    path.write_text(text)
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, reason)
    assert_silent(capfd)


def test_out_of_range_index_in_ply_is_refused(tmp_path, capfd):
    path = tmp_path / "bad.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                    "property float y\nproperty float z\nelement face 1\n"
                    "property list uchar int vertex_indices\nend_header\n"
                    "0 0 0\n1 0 0\n0 1 0\n3 0 1 99\n")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "face vertex index 99 is out of range for 3")
    assert_silent(capfd)


def test_vtp_declaring_billions_of_points_is_refused(tmp_path, mesh, capfd):
    """In-process, VTK aborts the whole interpreter with std::bad_alloc on this file."""
    path = tmp_path / "huge.vtp"
    save_mesh(mesh, path)
    text = path.read_bytes().replace(f'NumberOfPoints="{len(mesh[0])}"'.encode(),
                                     b'NumberOfPoints="2000000000"')
    path.write_bytes(text)
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "VTP")
    assert_silent(capfd)


def test_vtk_reader_messages_are_kept_as_the_reason(tmp_path, capfd):
    path = tmp_path / "junk.vtp"
    path.write_text("<VTKFile type='PolyData'><PolyData>")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, r"not a valid VTP file \(VTK: .*XML")
    assert "0x" not in str(excinfo.value)            # no VTK object addresses
    assert_silent(capfd)


@pytest.mark.skipif(not hasattr(os, "kill") or sys.platform == "win32", reason="POSIX signals")
def test_a_crashing_reader_process_becomes_a_mesh_error(tmp_path, mesh, monkeypatch, capfd):
    path = tmp_path / "tube.ply"
    save_mesh(mesh, path)
    monkeypatch.setattr(mesh_io, "_WORKER_CODE",
                        "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, r"the PLY reader crashed \(SIGSEGV\)")
    assert_silent(capfd)


def test_a_failing_reader_process_reports_its_last_stderr_line(tmp_path, mesh, monkeypatch):
    path = tmp_path / "tube.obj"
    save_mesh(mesh, path)
    monkeypatch.setattr(mesh_io, "_WORKER_CODE",
                        "raise ModuleNotFoundError(\"No module named 'vtkmodules'\")")
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "reader process failed: ModuleNotFoundError: No module")


def test_a_hanging_reader_process_is_killed(tmp_path, mesh, monkeypatch):
    path = tmp_path / "tube.stl"
    save_mesh(mesh, path)
    monkeypatch.setattr(mesh_io, "_WORKER_CODE", "import time; time.sleep(60)")
    monkeypatch.setattr(mesh_io, "_READ_TIMEOUT_S", 0.5)
    with pytest.raises(MeshError) as excinfo:
        load_mesh(path)
    assert_one_line_error(excinfo, path, "did not finish within 0.5 s")


# -- to_polydata and mesh_check --------------------------------------------------------------

def test_to_polydata_copies_the_arrays():
    vertices, faces = tetrahedron()
    polydata = to_polydata((vertices, faces))
    vertices[0] = [9.0, 9.0, 9.0]
    faces[0] = [3, 3, 3]
    assert polydata.n_points == 4 and polydata.n_cells == 4
    assert_allclose(polydata.points[0], [0.0, 0.0, 0.0], rtol=0, atol=0)
    np.testing.assert_array_equal(polydata.regular_faces[0], [0, 2, 1])


def test_to_polydata_rejects_malformed_arrays():
    with pytest.raises(MeshError, match=r"^mesh: face indices must lie in \[0, 3\)"):
        to_polydata((np.eye(3), np.array([[0, 1, 5]])))


def test_importing_mesh_io_does_not_load_vtk():
    code = "import sys, mvd_sim.mesh.files; print(any(m.startswith(('vtk', 'pyvista')) " \
           "for m in sys.modules))"
    root = str(Path(mesh_io.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == "False"


def test_mesh_check_tetrahedron():
    check = mesh_check(tetrahedron())
    assert check.watertight and check.consistently_oriented and check.outward
    assert_allclose(check.volume_mm3, 1.0 / 6.0, rtol=1e-14, atol=0)
    assert_allclose(check.area_mm2, 1.5 + np.sqrt(3) / 2, rtol=1e-14, atol=0)


@pytest.mark.parametrize("offset", [0.0, 1e3, -5e4])
def test_mesh_check_volume_is_translation_invariant(mesh, offset):
    moved = (mesh[0] + offset, mesh[1])
    assert_allclose(mesh_check(moved).volume_mm3, mesh_check(mesh).volume_mm3,
                    rtol=1e-10, atol=0)


def test_mesh_check_open_mesh_is_not_watertight():
    vertices, faces = tetrahedron()
    check = mesh_check((vertices, faces[1:]))
    assert not check.watertight
    assert check.consistently_oriented


def test_mesh_check_one_flipped_face_is_inconsistent():
    vertices, faces = tetrahedron()
    faces = faces.copy()
    faces[0] = faces[0, ::-1]
    check = mesh_check((vertices, faces))
    assert check.watertight
    assert not check.consistently_oriented


def test_mesh_check_non_manifold_edge_is_not_watertight():
    """Two tetrahedra sharing one edge: that edge has four faces."""
    vertices, faces = tetrahedron()
    second = vertices * [-1.0, -1.0, 1.0]           # shares the z-axis edge (0, 3)
    both = (np.concatenate([vertices, second[[1, 2]]]),
            np.concatenate([faces, np.where(faces == 1, 4, np.where(faces == 2, 5, faces))]))
    check = mesh_check(both)
    assert not check.watertight


def test_mesh_check_inside_out_is_not_outward():
    vertices, faces = tetrahedron()
    check = mesh_check((vertices, faces[:, ::-1]))
    assert check.watertight and check.consistently_oriented
    assert not check.outward
    assert_allclose(check.volume_mm3, -1.0 / 6.0, rtol=1e-14, atol=0)
