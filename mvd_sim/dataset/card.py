"""The dataset card: ``README.md`` in the dataset folder, with the realised distributions
against the priors and a plot of them (``distributions.png``)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa

from mvd_sim.core.atomic import write_bytes_atomic, write_text_atomic
from mvd_sim.dataset.mix import Share, mix
from mvd_sim.dataset.priors import Priors
from mvd_sim.dataset.sampler import GEOMETRY_ATTEMPTS
from mvd_sim.dataset.tables import VESSEL_TYPE_ORDER

__all__ = ["write_card", "write_given_card", "realised_vs_prior"]


def realised_vs_prior(cases: pa.Table, priors: Priors) -> dict[str, list[Share]]:
    """Each quantity's realised shares beside its priors' (:func:`mvd_sim.dataset.mix.mix`),
    by quantity, in order.

    ``cases`` holds (at least) the cases table's :data:`~mvd_sim.dataset.mix.MIX_COLUMNS`."""
    out: dict[str, list[Share]] = {}
    for share in mix(cases, priors):
        out.setdefault(share.quantity, []).append(share)
    return out


def _plot(comparison: dict[str, list[Share]]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = 4
    rows = -(-len(comparison) // columns)
    figure = Figure(figsize=(3.2 * columns, 2.6 * rows))
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, shares) in zip(axes, comparison.items()):
        x = np.arange(len(shares))
        ax.bar(x - 0.2, [s.realised for s in shares], 0.4, label="realised")
        ax.bar(x + 0.2, [s.prior for s in shares], 0.4, label="prior")
        ax.set_xticks(x, [s.value for s in shares], rotation=30, fontsize=7)
        ax.set_title(f"{name} (n {shares[0].n})", fontsize=8)
    for ax in axes[len(comparison):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
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
             "", "Realised shares (what the contact engine found in each case as built) "
             "beside the priors' (`priors.yaml`, schema 2, or derived from it), each over "
             "the n cases it is conditional on (symptomatic cases; culprit vessels of a "
             "type for a site; controls with a contact for the incidental ones), with the "
             "binomial standard deviation of n independent draws (the diagnoses are "
             "stratified over the dataset, so the realised shares usually depart less; "
             "they are assigned to the cases in a random order, so any range of cases is "
             "a random subset):", "",
             "![distributions](distributions.png)", ""]
    for name, shares in comparison.items():
        lines += [f"## {name}", "", "| value | realised | prior | n | binomial SD |",
                  "|---|---|---|---|---|"]
        lines += [f"| {s.value} | {s.realised:.3f} | {s.prior:.3f} | {s.n} | "
                  f"{f'{s.sd:.3f}' if s.n else '-'} |" for s in shares]
        lines.append("")
    write_text_atomic(out / "README.md", "\n".join(lines + _redraws(cases)))


def write_given_card(out: Path, cases: pa.Table, settings: dict, counts: dict) -> None:
    """Write ``README.md`` into ``out`` (atomically) for a dataset of given scenarios
    (:mod:`mvd_sim.dataset.given`): its layout and one line per case, from ``cases`` (the
    cases table's :data:`~mvd_sim.dataset.given.GIVEN_CARD_COLUMNS`), with the scenario
    file each came from (``settings["scenarios"]``)."""
    lines = ["# mvd-sim dataset of given scenarios", "",
             f"{counts['cases']} cases, {counts['contacts']} contacts, from the scenarios "
             f"given (`mvd-sim dataset --scenarios`); shards of {settings['shard_size']}.",
             "", *_layout(settings["meshes"]), "",
             "The columns a sampled case draws (`seed`, `attempt`, `asked_culprits`, "
             "`control`, `label`, `cause`) are null here; `asked_compressions` holds what "
             "the scenario asks of each compression (no severity: there is no diagnosis). "
             "Each row is the case as `mvd-sim analyze` reports it: an operated case after "
             "its operation, an imported case graded at its image's thresholds.", "",
             "## cases", "",
             "| case | name | scenario | side | pattern | culprits | worst severity | "
             "first CN VII segment | CN VII contacts |", "|---|---|---|---|---|---|---|---|---|"]
    sources = [s["source"] for s in settings["scenarios"]]
    for row in cases.to_pylist():
        lines.append(f"| {row['case']} | {row['name']} | `{sources[row['case']]}` | "
                     f"{row['side']} | {row['pattern']} | {', '.join(row['culprits']) or '-'} "
                     f"| {row['worst_severity']} | {row['primary_segment']} | "
                     f"{row['cn7_contact_count']} |")
    write_text_atomic(out / "README.md", "\n".join(lines) + "\n")


def _layout(meshes: bool) -> list[str]:
    """The card's paragraphs on the folder's tables (and meshes)."""
    lines = [
        "Tables, each a folder of Parquet shards (`part-NNNNN.parquet`, all of one schema) "
        "that reads as one table: `pandas.read_parquet(\"cases\")`, "
        "`pyarrow.dataset.dataset(\"contacts\")`. `cases/`: one row per case: its index "
        "`case` and `name`, the anatomy drawn, what was asked (`asked_culprits`, `control`, `label`: `compression` for a "
        "symptomatic side, `incidental` or `no_contact` for a control, an asymptomatic side; "
        "`asked_compressions`: a list of "
        "structs, one per compression asked, with its vessel, target, segment, side, "
        "crossing angle, gap, deviation and severity; `cause`: `vascular` or the other cause "
        "drawn, `tumour`, `avm`, `aneurysm`, `dolichoectasia` or `arachnoid_band`, at its "
        "published share), what the contact report found "
        "(`pattern`, `culprits`, `primary_culprit`, `culprit_segments`, `extent`, "
        "`worst_severity`, `primary_segment`, `causes`; a control's touching vessel is among "
        "`culprits`, as the engine cannot tell an incidental contact), "
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
