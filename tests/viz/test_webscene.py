"""The browser's scene, without a browser: vtk.js read from trame-vtk with no outside
address, and the archive and its manifest describing the same actors."""

import io
import json
import re
import zipfile

import pytest

from mvd_sim.viz.vtkjs import vtkjs_module
from mvd_sim.viz.webscene import PATCHES, View, web_scene

CASE = "multi_aica_pica_right"


def test_vtkjs_is_read_from_trame_vtk_and_names_no_other_host():
    module = vtkjs_module()
    assert len(module) > 500_000 and "OfflineLocalView" in module
    assert "kitware.github.io/vtk-js/icon" not in module and "</script" not in module
    # what is left of http(s) is licence text and docs links, never fetched
    assert not re.search(r"(src|href)\s*[=:,]\s*[\"'`]https?:", module)


@pytest.fixture(scope="module")
def scene(case_of):
    """Two views of the case: as built, labelled systole and diastole (the same scene, so
    everything is shared)."""
    built = case_of(CASE).scene
    return web_scene([View("case", "systole", built), View("case", "diastole", built)]), built


def test_the_manifest_lists_the_archives_actors_in_order(scene):
    web, _ = scene
    with zipfile.ZipFile(io.BytesIO(web.archive)) as z:
        state = json.loads(z.read("index.json"))
    renderers = state["scene"]["dependencies"]
    counts = [sum(d["type"].endswith("Actor") for d in r["dependencies"]) for r in renderers]
    assert counts == web.manifest["renderers"]
    assert sum(counts) == len(web.manifest["actors"])
    # every array the scene refers to is in the archive
    text = json.dumps(state["scene"])
    assert set(re.findall(r'"hash": "([^"]+)"', text)) == set(state["hashes"])
    # no point normals: the page computes them for the actors the manifest marks
    assert '"name": "Normals"' not in text
    assert any(a["normals"] for a in web.manifest["actors"])


def test_identical_views_share_every_actor(scene):
    web, built = scene
    assert all(a["view"] is None for a in web.manifest["actors"])
    groups = {g["name"] for g in web.manifest["groups"]}
    assert {"brainstem", "CN VII", "CN VIII", PATCHES} <= groups
    assert sum(any(g.split()[0] == t.kind for t in built.vessels.values())
               for g in groups) == len(built.vessels)
    assert [a["patches"] for a in web.manifest["actors"]].count(True) == len(built.nerves)


def test_the_same_case_makes_the_same_archive(scene):
    """VTK's object ids are memory addresses, new each run: renumbered, and the zip dated
    1980, the archive is the same bytes every time (a report's size used to vary by tens
    of bytes between runs)."""
    web, built = scene
    again = web_scene([View("case", "systole", built), View("case", "diastole", built)])
    assert again.archive == web.archive and again.manifest == web.manifest
    with zipfile.ZipFile(io.BytesIO(web.archive)) as z:
        assert z.getinfo("index.json").date_time == (1980, 1, 1, 0, 0, 0)
        text = z.read("index.json").decode()
    ids = {int(i, 16) for i in re.findall(r'"(?:id|parent)": "([0-9a-f]{16})', text)}
    assert ids == set(range(1, len(ids) + 1))    # numbered from 1, not addresses
