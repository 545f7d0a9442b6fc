"""A dataset of given scenarios: bundled, written by hand or imported from a patient's images
(``mvd-sim import``), exported as a sampled dataset is.

:func:`export_scenarios` writes the same folder as :func:`~mvd_sim.dataset.runner.generate`
(:mod:`mvd_sim.dataset.store`: the ``cases`` and ``contacts`` tables in shards, the
labelled meshes, the journal, the manifest), through the same writer
(:func:`~mvd_sim.dataset.runner.write_dataset`), so it is resumed, locked, written
atomically and run on Dask the same way; each row is made by the same code as a sampled
case's (:func:`~mvd_sim.dataset.tables.given_case_row`), from the case as
``mvd-sim analyze`` reports it (an operated case after its operation, graded with the
case's own thresholds: an imported case's widened to its voxel). Case ``k`` is the ``k``-th
scenario given. Every scenario is loaded and built before the folder is touched, so a
missing or malformed one is refused in one line naming it and nothing is written. The card
(``README.md``) lists the cases; there are no priors to set them against.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pyarrow as pa

from mvd_sim.case import Case, load_case
from mvd_sim.core.errors import MvdSimError
from mvd_sim.dataset import store
from mvd_sim.dataset.runner import SHARD_SIZE, DatasetSummary, ShardRows, analysed_case, \
    check_options, write_dataset
from mvd_sim.dataset.tables import given_case_row
from mvd_sim.scenario import parse_scenario, scenario_to_yaml

__all__ = ["export_scenarios", "given_shard_rows", "load_given", "GIVEN_CARD_COLUMNS"]

#: Columns of the cases table the card of given cases lists.
GIVEN_CARD_COLUMNS = ["case", "name", "side", "pattern", "culprits", "worst_severity",
                      "primary_segment", "cn7_contact_count", "mesh_path"]


def load_given(scenarios: Sequence[str | os.PathLike]) -> list[Case]:
    """Each scenario (a file or a bundled name) as a case, built, and an operated one
    solved after its operation, as ``mvd-sim analyze`` takes it.

    Raises
    ------
    MvdSimError
        One line naming the first scenario that is missing, malformed or cannot be built.
    """
    from mvd_sim.surgery.postop import operated_scene

    if not scenarios:
        raise MvdSimError("--scenarios: give at least one scenario file or bundled name")
    cases = []
    for item in scenarios:
        case = load_case(item)
        try:
            operated_scene(case)
        except MvdSimError as err:
            raise type(err)(f"{case.source}: {err}") from None
        cases.append(case)
    return cases


def _case_of(text: str) -> Case:
    """A case back from :func:`_payload`'s JSON of it (on any worker)."""
    given = json.loads(text)
    spec = parse_scenario(given["scenario"], given["source"])
    return Case.from_spec(spec, given["name"], source=Path(given["source"]))


def _payload(case: Case) -> str:
    """What a worker needs of a case: its name, file and scenario, as JSON."""
    import yaml

    return json.dumps({"name": case.name, "source": str(case.source),
                       "scenario": yaml.safe_load(scenario_to_yaml(case.spec))})


def given_shard_rows(cases: Sequence[str], start: int, stop: int,
                     meshes_dir: str | None = None, decompress: bool = False) -> ShardRows:
    """The rows of given cases ``start .. stop - 1`` (``cases``: each case as
    :func:`_payload` gives it; runs on any worker), meshes and outcomes as
    :func:`~mvd_sim.dataset.runner.shard_rows`."""
    from mvd_sim.surgery.postop import operated_scene

    rows = ShardRows([], [], [])
    for index in range(start, stop):
        case = _case_of(cases[index])
        made = analysed_case(case, operated_scene(case), index, meshes_dir, decompress)
        rows.add(made, given_case_row(case, index, made.report, made.mesh_path,
                                      made.outcome))
    return rows


def export_scenarios(scenarios: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                     shard_size: int = SHARD_SIZE, workers: int | None = None,
                     scheduler: str | None = None,
                     progress: Callable[[int, int, float], None] | None = None,
                     meshes: bool = False, decompress: bool = False) -> DatasetSummary:
    """Write (or finish writing) a dataset of the given scenarios (files or bundled names),
    case ``k`` the ``k``-th (see the module docstring); the options as
    :func:`~mvd_sim.dataset.runner.generate`'s. The manifest records each scenario's name,
    file and :func:`~mvd_sim.scenario.case_fingerprint`: a folder started with other
    scenarios, or with a scenario since changed, is refused.

    Raises
    ------
    MvdSimError
        One line: a bad option or scenario (before anything is written), or as
        :func:`~mvd_sim.dataset.runner.generate`.
    """
    check_options(None, None, shard_size, workers, scheduler)
    cases = load_given(scenarios)
    out = Path(out_dir)
    settings = {"scenarios": [{"name": c.name, "source": str(c.source),
                               "sha256": c.fingerprint} for c in cases],
                "shard_size": shard_size, "meshes": meshes, "decompress": decompress}
    job = partial(given_shard_rows, [_payload(c) for c in cases],
                  meshes_dir=str(out / store.MESHES_DIR) if meshes else None,
                  decompress=decompress)
    return write_dataset(out, settings, len(cases), job, workers, scheduler, progress,
                         partial(_card, settings=settings), GIVEN_CARD_COLUMNS)


def _card(out: Path, cases: pa.Table, counts: dict[str, int], settings: dict) -> None:
    """The given cases' card (:func:`~mvd_sim.dataset.card.write_given_card`)."""
    from mvd_sim.dataset.card import write_given_card

    write_given_card(out, cases, settings, counts)
