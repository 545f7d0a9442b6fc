"""The meshes in meshes/ are exactly what the default atlas scenario exports today."""

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.mesh.files import load_mesh, mesh_check
from mvd_sim.mesh.meshing import scene_meshes

from ..conftest import bundled_scene

MESH_DIR = Path(__file__).resolve().parents[2] / "meshes"


@pytest.fixture(scope="module")
def regenerated():
    return scene_meshes(bundled_scene("atlas_default_right"))


def test_the_folder_holds_one_mesh_per_structure(regenerated):
    assert {p.stem for p in MESH_DIR.glob("*.vtp")} == set(regenerated)


@pytest.mark.parametrize("name", ["brainstem", "CN7", "CN8", "ba", "va", "aica", "pica",
                                  "vein", "petrous", "CN9", "CN10", "CN11", "flocculus",
                                  "cerebellum", "choroid_plexus"])
def test_committed_mesh_matches_regeneration(regenerated, name):
    vertices, faces = load_mesh(MESH_DIR / f"{name}.vtp")
    fresh_vertices, fresh_faces = regenerated[name]
    np.testing.assert_array_equal(faces, fresh_faces)
    assert_allclose(vertices, fresh_vertices, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["brainstem", "CN7", "aica", "petrous", "CN10", "flocculus",
                                  "cerebellum", "choroid_plexus"])
def test_committed_mesh_is_closed_and_outward(name):
    check = mesh_check(load_mesh(MESH_DIR / f"{name}.vtp"))
    assert check.watertight and check.consistently_oriented and check.outward
