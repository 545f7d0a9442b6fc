"""Every output function, on a disk that fills up part way; outputs in the format their
suffix names (:mod:`mvd_sim.core.output` and the writers built on it)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mvd_sim
import mvd_sim.viz.render
from mvd_sim.report.html import write_case_report
from mvd_sim.core.errors import MvdSimError
from mvd_sim.mesh.export import export_meshes
from mvd_sim.mesh.files import save_mesh
from mvd_sim.mesh.meshing import scene_meshes
from mvd_sim.core.output import (HTML_SUFFIXES, JSON_SUFFIXES, output_format, write_file,
                                 write_folder)
from mvd_sim.surgery.postop import save_postop
from mvd_sim.viz.render import IMAGE_SUFFIXES, image_bytes, render
from support import (IMAGE_MAGIC, STALE_TEMPORARIES, failure_points,
                     plant_stale_temporaries, temporaries, tree)

CASE = "aica_as_moderate_right"


def noise_image(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """An (h, w, 3) uint8 image that compresses badly (tens of kB even when small)."""
    width, height = size
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# -- suffixes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, formats, expected", [
    ("r.json", JSON_SUFFIXES, "JSON"), ("R.JSON", JSON_SUFFIXES, "JSON"),
    ("c.html", HTML_SUFFIXES, "HTML"), ("c.htm", HTML_SUFFIXES, "HTML"),
    ("a.png", IMAGE_SUFFIXES, "PNG"), ("a.jpg", IMAGE_SUFFIXES, "JPEG"),
    ("a.Jpeg", IMAGE_SUFFIXES, "JPEG"), ("a.tif", IMAGE_SUFFIXES, "TIFF"),
    ("dir.v2/a.tiff", IMAGE_SUFFIXES, "TIFF"),
])
def test_a_suffix_names_its_format(name, formats, expected):
    assert output_format(name, formats) == expected


@pytest.mark.parametrize("name, formats, message", [
    ("r.txt", JSON_SUFFIXES, "r.txt: -o/--output must end in .json, not '.txt'"),
    ("r.json.bak", JSON_SUFFIXES, "r.json.bak: -o/--output must end in .json, not '.bak'"),
    ("case", HTML_SUFFIXES,
     "case: -o/--output must end in .html or .htm, not a name without a suffix"),
    ("a.bmp", IMAGE_SUFFIXES, "a.bmp: -o/--output must end in .png, .jpg, .jpeg, .tif or "
                              ".tiff (the suffix chooses the format), not '.bmp'"),
])
def test_another_suffix_is_refused_in_one_line(name, formats, message):
    with pytest.raises(MvdSimError) as excinfo:
        output_format(name, formats)
    assert str(excinfo.value) == message


# -- every writer on a full disk --------------------------------------------------------------

@pytest.fixture
def writers(scene_of, monkeypatch):
    """Each output function as ``write(folder) -> files written``. Rendering is replaced by
    a fixed picture: what is under test is how the bytes reach the disk."""
    scene = scene_of(CASE)
    spec = mvd_sim.load_scenario(mvd_sim.bundled_scenarios()[CASE])
    monkeypatch.setattr(mvd_sim.viz.render, "render_image",
                        lambda scenes, view, size, **_: noise_image(size))
    html = "<!DOCTYPE html><p>" + "case report " * 2000 + "</p>"
    found = {
        "write_file": lambda d: [write_file(d / "a.json", b"{}" * 5000)],
        "write_folder": lambda d: write_folder(d / "out", {"a.txt": b"a" * 3000,
                                                           "sub/b.txt": b"b" * 2000}),
        "save_mesh": lambda d: [save_mesh(scene_meshes(scene)["CN7"], d / "CN7.ply")],
        "save_postop": lambda d: save_postop(spec, scene, d / "postop", CASE),
        "write_case_report": lambda d: [write_case_report(d / "case.html", html)],
    }
    for fmt in ("vtp", "stl", "ply", "obj"):
        found[f"export_meshes-{fmt}"] = lambda d, fmt=fmt: export_meshes(scene, d / "out", fmt)
    for suffix in (".png", ".jpg", ".tif"):
        found[f"render{suffix}"] = lambda d, suffix=suffix: [
            render([(scene, "t")], d / f"case{suffix}", size=(160, 120))]
    return found


WRITERS = ("write_file", "write_folder", "save_mesh", "save_postop", "write_case_report",
           "export_meshes-vtp", "export_meshes-stl", "export_meshes-ply", "export_meshes-obj",
           "render.png", "render.jpg", "render.tif")


@pytest.mark.parametrize("name", WRITERS)
def test_a_full_disk_leaves_every_output_as_it_was(name, writers, full_disk, tmp_path):
    """Fails before the first byte, in the middle of the first file, at the start of the
    second and at the last byte of the last: one line naming the file where it was going,
    nothing new, the files already there byte-identical, no temporary (a killed run's
    removed)."""
    write = writers[name]
    good = tmp_path / "good"
    good.mkdir()
    disk = full_disk(math.inf)
    targets = [path.relative_to(good) for path in write(good)]
    assert len(disk.files) == len(targets) and temporaries(good) == []

    for free_bytes, failing in failure_points(disk.files).items():
        folder = tmp_path / f"free-{free_bytes}"
        for target in {targets[0], targets[-1]}:              # files already there
            (folder / target).parent.mkdir(parents=True, exist_ok=True)
            (folder / target).write_bytes(b"old " + target.name.encode())
        before = tree(folder)
        plant_stale_temporaries(folder / targets[0].parent)
        full_disk(free_bytes)
        with pytest.raises(MvdSimError) as excinfo:
            write(folder)
        assert str(excinfo.value) == (f"{folder / targets[failing]}: cannot write: No space "
                                      "left on device"), free_bytes
        assert tree(folder) == before, free_bytes


def test_a_killed_runs_temporaries_go_and_a_live_ones_stay(tmp_path, locked_by_child):
    plant_stale_temporaries(tmp_path)
    live = tmp_path / ".plan.tmp-00000000000000aa.json"
    locked_by_child(live)
    write_file(tmp_path / "plan.json", b"{}")
    write_folder(tmp_path / "out", {"a.txt": b"a"})
    assert not any((tmp_path / name).exists() for name in STALE_TEMPORARIES)
    assert temporaries(tmp_path) == [live.name]


# -- formats named by the suffix --------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_image_bytes_are_the_format_asked(fmt):
    image = noise_image((64, 48))
    image[:, :32] = (214, 0, 28)                    # a flat patch, as contacts are drawn
    data = image_bytes(image, fmt)
    assert data.startswith(IMAGE_MAGIC[fmt])
    with Image.open(io.BytesIO(data)) as decoded:
        assert (decoded.format, decoded.mode, decoded.size) == (fmt, "RGB", (64, 48))
        pixels = np.asarray(decoded).astype(int)
    if fmt == "JPEG":    # lossy, but no chroma subsampling: the patch keeps its colour
        assert np.abs(pixels[:, 4:28] - (214, 0, 28)).max() <= 4
    else:
        np.testing.assert_array_equal(pixels, image)


@pytest.mark.parametrize("name", ["case.png", "case.jpg", "case.JPEG", "case.tif",
                                  "case.tiff"])
def test_render_writes_the_format_its_suffix_names(scene_of, tmp_path, name):
    path = render([(scene_of("near_miss_control_right"), "t")], tmp_path / name,
                  size=(240, 160))
    fmt = IMAGE_SUFFIXES[Path(name).suffix.lower()]
    assert path.read_bytes().startswith(IMAGE_MAGIC[fmt])
    with Image.open(path) as picture:
        assert (picture.format, picture.mode, picture.size) == (fmt, "RGB", (240, 160))
    assert tree(tmp_path) == {name: path.read_bytes()}


def test_render_refuses_another_suffix_before_rendering(tmp_path, monkeypatch, scene_of):
    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered before the suffix was checked")

    monkeypatch.setattr(mvd_sim.viz.render, "render_image", no_rendering)
    with pytest.raises(MvdSimError, match=r"case\.bmp: -o/--output must end in \.png, "):
        render([(scene_of(CASE), "t")], tmp_path / "case.bmp")
    assert tree(tmp_path) == {}


def test_the_case_report_must_be_html(tmp_path):
    with pytest.raises(MvdSimError, match=r"case\.txt: -o/--output must end in \.html or "
                                          r"\.htm, not '\.txt'"):
        write_case_report(tmp_path / "case.txt", "<p>x</p>")
    assert write_case_report(tmp_path / "case.htm", "<p>é</p>").read_bytes() == \
        "<p>é</p>".encode()
    assert tree(tmp_path) == {"case.htm": "<p>é</p>".encode()}
