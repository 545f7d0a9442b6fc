"""The dataset card: ``README.md`` in the dataset folder, with the realised distributions
against the priors and a plot of them (``distributions.png``)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa

from mvd_sim.core.atomic import write_bytes_atomic, write_text_atomic
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import GEOMETRY_ATTEMPTS
from mvd_sim.dataset.tables import VESSEL_TYPE_ORDER

__all__ = ["write_card", "realised_vs_prior"]


def _shares(values: list[str]) -> dict[str, float]:
    keys, counts = np.unique(np.asarray(values, dtype=str), return_counts=True)
    return {str(k): float(c / counts.sum()) for k, c in zip(keys, counts)}


def _normalised(table: dict[str, float]) -> dict[str, float]:
    total = sum(table.values())
    return {k: v / total for k, v in table.items()}


def realised_vs_prior(cases: pa.Table, priors: Priors) -> dict[str, tuple[dict, dict]]:
    """For side, primary culprit, primary site and worst severity: (realised, prior).

    ``cases`` holds (at least) the cases table's ``side``, ``primary_culprit``,
    ``primary_segment``, ``worst_severity`` and ``pattern`` columns."""
    column = {name: cases.column(name).to_pylist()
              for name in ("side", "primary_culprit", "primary_segment", "worst_severity",
                           "pattern")}
    return {"side": (_shares(column["side"]), _normalised(priors.side)),
            "culprit": (_shares(column["primary_culprit"]), _normalised(priors.culprit)),
            "site": (_shares(column["primary_segment"]), _normalised(priors.site)),
            "severity": (_shares(column["worst_severity"]), _normalised(priors.severity)),
            "pattern": (_shares(column["pattern"]), {})}


def _plot(comparison: dict) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 3))
    FigureCanvasAgg(figure)
    for ax, (name, (real, prior)) in zip(figure.subplots(1, len(comparison)),
                                         comparison.items()):
        keys = sorted(set(real) | set(prior))
        x = np.arange(len(keys))
        ax.bar(x - 0.2, [real.get(k, 0.0) for k in keys], 0.4, label="realised")
        ax.bar(x + 0.2, [prior.get(k, 0.0) for k in keys], 0.4, label="prior")
        ax.set_xticks(x, keys, rotation=30, fontsize=8)
        ax.set_title(name, fontsize=9)
    figure.axes[0].legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def write_card(out: Path, cases: pa.Table, priors: Priors, settings: dict,
               counts: dict) -> None:
    """Write ``README.md`` and ``distributions.png`` into ``out`` (atomically).

    ``cases`` holds the cases table's columns the card reads (:func:`realised_vs_prior`,
    ``attempt``); ``counts`` the rows of each table."""
    comparison = realised_vs_prior(cases, priors)
    write_bytes_atomic(out / "distributions.png", _plot(comparison))
    lines = ["# mvd-sim dataset", "",
             f"{counts['cases']} cases, {counts['contacts']} contacts; seed {settings['seed']}, "
             f"shards of {settings['shard_size']}.", "", *_layout(settings["meshes"]),
             "", "Realised shares against the priors (the prior of a site or severity is "
             "per compression; the realised value is the case's primary contact, or its worst "
             "severity, so multivessel cases shift them):", "",
             "![distributions](distributions.png)", ""]
    for name, (real, prior) in comparison.items():
        lines += [f"## {name}", "", "| value | realised | prior |", "|---|---|---|"]
        for key in sorted(set(real) | set(prior)):
            shown = f"{prior[key]:.3f}" if key in prior else "-"
            lines.append(f"| {key} | {real.get(key, 0.0):.3f} | {shown} |")
        lines.append("")
    write_text_atomic(out / "README.md", "\n".join(lines + _redraws(cases)))


def _layout(meshes: bool) -> list[str]:
    """The card's paragraphs on the folder's tables (and meshes)."""
    lines = [
        "Tables, each a folder of Parquet shards (`part-NNNNN.parquet`, all of one schema) "
        "that reads as one table: `pandas.read_parquet(\"cases\")`, "
        "`pyarrow.dataset.dataset(\"contacts\")`. `cases/`: one row per case: the anatomy "
        "drawn, what was asked (`asked_culprits`, `control`, `asked_compressions`: a list of "
        "structs, one per compression asked, with its vessel, target, segment, side, "
        "crossing angle, gap, deviation and severity), what the contact report found "
        "(`pattern`, `culprits`, `primary_culprit`, `worst_severity`, `primary_segment`), "
        "`mesh_path` and the scenario as YAML. `contacts/`: one row per contact, every field "
        "of the contact report. Lists are Arrow lists; `culprits` and `asked_culprits` are "
        f"vessel types in the fixed order {', '.join(VESSEL_TYPE_ORDER)}. Units are in the "
        "column names (mm, mm2, deg).",
        "", "`manifest.json` holds the settings and priors and lists every shard with its "
        "rows, bytes and SHA-256."]
    if meshes:
        from mvd_sim.dataset.meshes import MESH_LABELS

        codes = {name: ", ".join(f"{code} {label}" for code, label in table.items())
                 for name, table in MESH_LABELS.items()}
        lines += ["", "`meshes/caseNNNNNNN.vtp`: each case's structures merged into one mesh "
                  f"(its path is the cases table's `mesh_path`) with labels: per cell "
                  f"`structure` ({codes['structure']}; the file's field array `structure_names` "
                  "lists them), "
                  f"per vertex `segment` ({codes['segment']}) and `contact_severity` "
                  f"({codes['contact_severity']}: on the nerves' contact patches)."]
    return lines


def _redraws(cases: pa.Table) -> list[str]:
    """The card's section on draws the scene builder could not place (rejection sampling)."""
    attempts = np.asarray(cases.column("attempt").to_pylist(), dtype=int)
    total = max(len(attempts), 1)
    redrawn = int(np.count_nonzero(attempts))
    rediagnosed = int(np.count_nonzero(attempts >= GEOMETRY_ATTEMPTS))
    return ["## redraws", "",
            f"{redrawn} of {len(attempts)} cases ({redrawn / total:.1%}) are not their first "
            "draw: a draw the scene builder cannot place (a contact that conflicts with the "
            "vessel's course, another vessel or the brainstem) gets new geometry for the same "
            f"diagnosis, up to {GEOMETRY_ATTEMPTS} times, so the realised diagnoses follow the "
            f"priors. {rediagnosed} cases ({rediagnosed / total:.1%}) also had their diagnosis "
            "redrawn, when none of those geometries could be placed (a deviation at the root "
            "exit point, which the nerve's attachment to the brainstem rules out, is one), so "
            "the realised shares lean away from such diagnoses. The `attempt` column says "
            f"which draw each case is (attempt // {GEOMETRY_ATTEMPTS} is its diagnosis).", ""]
