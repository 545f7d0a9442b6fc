"""Round trips: bundled scenes voxelised at MRI-like spacing (blurred, noisy, in an oblique
grid with the head turned), written as NIfTI and NRRD (LPS) or exported as STL meshes,
imported, and their contact reports compared with the originals' (the original graded with
the default thresholds, the imported case with its image's,
:func:`mvd_sim.core.labels.image_thresholds`).

Issue #24's criterion, asserted the same way on whichever set runs: the same segment and
severity for at least :data:`MATCH_FRACTION` of the contacts (pooled over every round trip
that runs; an imported contact matching none of the original's counts as one that differs),
the same culprits for that share of the round trips, every separation and the RExP within one voxel.
Lesions (issue #26's masses, aneurysm domes and AVM nidi) are labelled and imported too: each
lesion's centre and semi-axes within one voxel, and the same contact pattern (``secondary``
for a tumour or a nidus). An arachnoid band is not imaged (far thinner than a voxel): its
case's vessels and contacts are compared, the imported case has no band.

Which scenarios run is a stated rule, not a choice: by default every bundled scenario
(:data:`ALL`) as a 0.5 mm NIfTI volume, and every eighth by name (from the
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


FULL = os.environ.get("MVD_SIM_FULL_ROUND_TRIP") == "1"
SEED = int(os.environ.get("MVD_SIM_ROUND_TRIP_SEED", "0"))
#: Every bundled scenario, lesions included (an arachnoid band is not imaged, but its case's
#: vessels and contacts are).
ALL = sorted(mvd_sim.bundled_scenarios())
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


#: Contacts of a bundled scene that no image could show as they are: (scenario, nerve) -> why.
#: Their separations are reported (xfail) when they differ by more than a voxel; every other
#: contact of the round trip is held to the voxel.
#: (Empty: the schwannoma's CN VIII, once draped 0.75 mm into the brainstem, now slides along
#: it round the mass, issue #26, and comes back within a voxel.)
UNIMAGEABLE: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("name, route", CASES)
def test_a_round_trip_keeps_separations_and_rexp_within_a_voxel(name, route):
    result = round_trip(name, route)
    voxel_mm = ROUTES[route][0]
    assert result.rexp_error_mm <= voxel_mm, result
    # rows: (vessel, nerve, ..., separation at 4, ..., imported (segment, severity,
    # separation, ...) or None)
    off = [row for row in result.rows if row[4] is not None and row[-1] is not None
           and abs(row[-1][2] - row[4]) > voxel_mm]
    assert all((name, row[1]) in UNIMAGEABLE for row in off), result.rows
    if off:
        pytest.xfail(f"{UNIMAGEABLE[name, off[0][1]]}: {off}")


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


@pytest.mark.parametrize("name, route", CASES)
def test_a_round_trip_keeps_each_lesion_within_a_voxel_and_the_pattern(name, route):
    """A lesion's centre and semi-axes (world mm) within one voxel; the same pattern."""
    result = round_trip(name, route)
    voxel_mm = ROUTES[route][0]
    assert all(centre <= voxel_mm and semi <= voxel_mm
               for centre, semi in result.lesions.values()), result.lesions
    assert result.patterns[0] == result.patterns[1], (result.patterns, result.rows)
