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
