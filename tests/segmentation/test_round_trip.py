"""Round trips: bundled scenes voxelised at MRI-like spacing (blurred, noisy, in an oblique
grid with the head turned), written as NIfTI and NRRD (LPS) or exported as STL meshes,
imported, and their contact reports compared with the originals' (the original graded with
the default thresholds, the imported case with its image's,
:func:`mvd_sim.core.labels.image_thresholds`).

Issue #24's criterion, asserted the same way on whichever set runs: the same segment and
severity for at least :data:`MATCH_FRACTION` of the contacts (pooled over every round trip
that runs; an imported contact matching none of the original's counts as one that differs),
the same culprits for that share of the round trips, every separation and the RExP within one voxel.

Which scenarios run is a stated rule, not a choice: by default every bundled scenario
without a lesion (:data:`ALL`) as a 0.5 mm NIfTI volume, and every eighth by name (from the
first) as NRRD and as STL meshes (about three minutes on two cores). ``MVD_SIM_FULL_ROUND_TRIP=1`` runs every bundled
scenario by every route, NIfTI also at 0.4 mm; ``MVD_SIM_ROUND_TRIP_SEED=n`` draws the
volumes' noise with seed ``n`` (default 0).
"""

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

import mvd_sim
from roundtrip_support import Comparison, mesh_round_trip, volume_round_trip

def _has_lesion(path: Path) -> bool:
    spec = mvd_sim.load_scenario(path)
    return bool(spec.masses or spec.aneurysms or spec.avms)


FULL = os.environ.get("MVD_SIM_FULL_ROUND_TRIP") == "1"
SEED = int(os.environ.get("MVD_SIM_ROUND_TRIP_SEED", "0"))
#: Every bundled scenario without a lesion: the import brings nerves and vessels, not masses,
#: aneurysm sacs or AVM nidi (issue #26's causes; an arachnoid band is not imaged either,
#: but its case's vessels and contacts are).
ALL = sorted(name for name, path in mvd_sim.bundled_scenarios().items()
             if not _has_lesion(path))
#: Every eighth scenario by name: the default set of the NRRD and STL routes.
SAMPLED = ALL if FULL else ALL[::8]
#: Route -> (voxel mm, scenarios run by it).
ROUTES = {"nii.gz": (0.5, ALL), "nrrd": (0.5, SAMPLED), "stl": (0.4, SAMPLED)}
if FULL:
    ROUTES["nii.gz@0.4"] = (0.4, ALL)
#: Issue #24: the share of contacts (and of scenarios' culprits) that must come back the same.
MATCH_FRACTION = 0.95
CASES = [(name, route) for route, (_, names) in ROUTES.items() for name in names]


@lru_cache(maxsize=None)
def round_trip(name: str, route: str) -> Comparison:
    """One scenario's round trip by ``route`` (a key of :data:`ROUTES`), once a session."""
    voxel_mm = ROUTES[route][0]
    with tempfile.TemporaryDirectory() as folder:
        if route == "stl":
            return mesh_round_trip(name, Path(folder) / "meshes", voxel_mm)
        return volume_round_trip(name, Path(folder), route.split("@")[0], voxel_mm, SEED)


@pytest.mark.parametrize("name, route", CASES)
def test_a_round_trip_keeps_separations_and_rexp_within_a_voxel(name, route):
    result = round_trip(name, route)
    voxel_mm = ROUTES[route][0]
    assert result.rexp_error_mm <= voxel_mm, result
    assert max(result.separation_errors, default=0.0) <= voxel_mm, result.rows


def test_round_trips_keep_segments_severities_and_culprits():
    """Pooled over every round trip that runs (each scenario by each of its routes)."""
    results = {f"{name} ({route})": round_trip(name, route) for name, route in CASES}
    total = sum(r.total for r in results.values())
    matched = sum(r.matched for r in results.values())
    differing = {name: [row for row in r.rows if row[-1] is None
                        or tuple(row[-1][:2]) != tuple(row[2:4])]
                 for name, r in results.items() if r.matched < r.total}
    assert matched >= MATCH_FRACTION * total, (matched, total, differing)
    same = sum(r.culprits_same for r in results.values())
    assert same >= MATCH_FRACTION * len(results), {n: r.rows for n, r in results.items()
                                                   if not r.culprits_same}
