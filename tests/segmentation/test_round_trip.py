"""Round trips: bundled scenes voxelised at MRI-like spacing (blurred, noisy, in an oblique
grid with the head turned), written as NIfTI and NRRD (LPS) or exported as STL meshes,
imported, and their contact reports compared with the originals'.

By default two scenarios run each way (about a minute on two cores); set
``MVD_SIM_FULL_ROUND_TRIP=1`` to run every bundled scenario (several minutes).
"""

import os

import pytest

import mvd_sim
from roundtrip_support import mesh_round_trip, volume_round_trip

FULL = os.environ.get("MVD_SIM_FULL_ROUND_TRIP") == "1"
SUBSET = ["aica_as_moderate_right", "pica_rdp_moderate_left"]
NAMES = sorted(mvd_sim.bundled_scenarios()) if FULL else SUBSET
VOXEL_MM = 0.5


@pytest.mark.parametrize("fmt", ["nii.gz", "nrrd"])
@pytest.mark.parametrize("name", NAMES)
def test_a_label_volume_round_trip_keeps_the_contacts(name, fmt, tmp_path):
    result = volume_round_trip(name, tmp_path, fmt, VOXEL_MM)
    # what holds for every bundled scenario: the RExP and every separation within a voxel
    assert result.rexp_error_mm <= VOXEL_MM, result
    assert max(result.separation_errors, default=0.0) <= VOXEL_MM, result.rows
    if name in SUBSET:
        # and for these, the same culprits, segments and severities (touching contacts and
        # severe ones do not all come back so: see the README's figures)
        assert result.culprits_same, result.rows
        assert result.matched == result.total, result.rows


@pytest.mark.parametrize("name", SUBSET[:1])
def test_an_stl_mesh_round_trip_keeps_the_contacts(name, tmp_path):
    result = mesh_round_trip(name, tmp_path / "meshes", spacing_mm=0.4)
    assert result.rexp_error_mm <= 0.4, result
    assert result.culprits_same, result.rows
    assert result.matched == result.total, result.rows
    assert max(result.separation_errors, default=0.0) <= 0.4, result.rows
