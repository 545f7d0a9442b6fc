"""Datasets: seeded, byte-identical whatever the workers (a real two-worker LocalCluster),
resumable with every finished shard checked, refused before any write when an option,
the folder or its manifest is wrong; a full disk loses nothing finished."""

import errno
import json
import os
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import mvd_sim
import mvd_sim.core.atomic
from mvd_sim.core.atomic import folder_lock
from mvd_sim.dataset import store
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import MAX_SEED, generate
from mvd_sim.dataset.tables import cases_schema

N, SHARD, SEED = 4, 2, 11


def tables(folder):
    """Every shard file of both tables, by path, as bytes."""
    return {f"{t}/{p.name}": p.read_bytes()
            for t in store.TABLES for p in sorted((folder / t).glob("*.parquet"))}


def run(out, **options):
    return generate(N, SEED, out, load_priors(), shard_size=SHARD, **options)


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("in_process")
    run(out)
    return out


def test_each_table_reads_in_one_call_with_lists_as_lists(in_process):
    cases = pd.read_parquet(in_process / "cases")
    assert cases["case"].tolist() == list(range(N))
    assert all(isinstance(c, list) or c.ndim == 1 for c in cases["culprits"])
    assert all(len(c) == n for c, n in zip(cases["culprits"], cases["culprit_count"]))
    contacts = ds.dataset(in_process / "contacts").to_table()
    assert {"min_separation_mm", "severity", "nerve_point_x_mm"} <= set(contacts.column_names)
    assert set(contacts.column("case").to_pylist()) <= set(range(N))
    table = ds.dataset(in_process / "cases").to_table()
    assert table.schema == cases_schema(False)
    assert pa.types.is_list(table.schema.field("asked_compressions").type)
    assert table.column("mesh_path").null_count == N


def test_manifest_lists_every_shard_and_the_card_describes_them(in_process):
    manifest = json.loads((in_process / "manifest.json").read_text())
    assert manifest["complete"] and manifest["counts"]["cases"] == N
    assert manifest["seed"] == SEED and manifest["priors"]["combination"]["AICA"] == 0.3563
    import hashlib

    listed = {s[t]["path"]: s[t] for s in manifest["shards"] for t in store.TABLES}
    assert set(listed) == set(tables(in_process))
    for path, data in tables(in_process).items():
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[path]["bytes"] == len(data)
    card = (in_process / "README.md").read_text()
    assert f"{N} cases" in card and "| AICA |" in card and "read_parquet" in card
    attempts = pd.read_parquet(in_process / "cases")["attempt"]
    assert f"{(attempts > 0).sum()} of {N} cases" in card
    assert (in_process / "distributions.png").read_bytes()[:4] == b"\x89PNG"


def test_every_case_reopens_as_its_scenario(in_process, tmp_path):
    for row in pq.read_table(in_process / "cases" / "part-00001.parquet").to_pylist():
        path = tmp_path / f"case{row['case']}.yaml"
        path.write_text(row["scenario_yaml"])
        report = mvd_sim.analyze(mvd_sim.load_scene(path))
        assert report.pattern == row["pattern"]


def test_same_seed_same_bytes_on_a_two_worker_cluster(in_process, tmp_path):
    run(tmp_path, workers=2)
    assert tables(tmp_path) == tables(in_process)


def test_an_interrupted_run_resumes(in_process, tmp_path):
    shutil.copytree(in_process, tmp_path / "ds")
    (tmp_path / "ds" / "cases" / "part-00001.parquet").unlink()  # as if stopped mid-shard
    summary = run(tmp_path / "ds")
    assert (summary.written, summary.skipped) == (1, 1)
    assert tables(tmp_path / "ds") == tables(in_process)


@pytest.mark.parametrize("damage", ["truncate cases", "truncate contacts", "flip a byte",
                                    "journal lost"])
def test_a_damaged_shard_is_made_again(in_process, tmp_path, damage):
    out = tmp_path / "ds"
    shutil.copytree(in_process, out)
    path = out / ("contacts" if "contacts" in damage else "cases") / "part-00000.parquet"
    data = path.read_bytes()
    if damage.startswith("truncate"):  # cut by a crash or a full disk
        path.write_bytes(data[: len(data) - 100])
    elif damage == "flip a byte":
        path.write_bytes(data[:50] + bytes([data[50] ^ 0xFF]) + data[51:])
    else:
        (out / store.JOURNAL_NAME).unlink()
    summary = run(out)
    assert summary.written == (2 if damage == "journal lost" else 1)
    assert tables(out) == tables(in_process)


def test_a_folder_holding_another_dataset_is_refused(in_process, tmp_path):
    shutil.copytree(in_process, tmp_path / "ds")
    before = tables(tmp_path / "ds")
    with pytest.raises(mvd_sim.MvdSimError, match="different dataset"):
        generate(N, SEED + 1, tmp_path / "ds", load_priors(), shard_size=SHARD)
    assert tables(tmp_path / "ds") == before


def test_a_bad_manifest_is_refused_and_left_alone(tmp_path):
    (tmp_path / "manifest.json").write_text("[]")
    with pytest.raises(mvd_sim.MvdSimError) as err:
        run(tmp_path)
    assert "manifest.json: a JSON list" in str(err.value) and "\n" not in str(err.value)
    assert (tmp_path / "manifest.json").read_text() == "[]"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == \
        ["manifest.json"]


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(mvd_sim.MvdSimError, match="another mvd-sim run is writing"):
            run(tmp_path)
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.parametrize("options, message", [
    ({"n": 0}, "--n: must be a whole number of at least 1"),
    ({"shard_size": 0}, "--shard-size: must be"), ({"workers": 0}, "--workers: must be"),
    ({"seed": -1}, "--seed: must be a whole number from 0 to"),
    ({"seed": MAX_SEED + 1}, "--seed: must be a whole number from 0 to"),
    ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, "--workers, --scheduler: give one"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, options, message):
    arguments = {"n": N, "seed": SEED, "shard_size": SHARD} | options
    with pytest.raises(mvd_sim.MvdSimError, match=message) as err:
        generate(arguments.pop("n"), arguments.pop("seed"), tmp_path / "ds", load_priors(),
                 **arguments)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "ds").exists()


def test_the_largest_seed_is_a_dataset(tmp_path):
    generate(1, MAX_SEED, tmp_path, load_priors(), shard_size=1)
    assert pd.read_parquet(tmp_path / "cases")["seed"].tolist() == [MAX_SEED]


def test_temporaries_a_killed_run_left_are_removed(in_process, tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(in_process, out)
    left = [out / ".manifest.tmp-0123456789abcdef.json",
            out / "cases" / ".part-00000.tmp-0123456789abcdef.parquet",
            out / "contacts" / ".part-00001.tmp-fedcba9876543210.parquet"]
    for path in left:
        path.write_bytes(b"half")
    run(out)
    assert not any(path.exists() for path in left)


def _disk_fills_after(monkeypatch, budget: int) -> None:
    """Make every ``os.write`` (atomic writes and the journal) fail with ENOSPC once
    ``budget`` bytes have been written, writing what fits first, as a full disk does."""
    real_write = os.write
    left = [budget]

    def write(fd, data):
        if left[0] == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        data = memoryview(data)[: left[0]]
        written = real_write(fd, data)
        left[0] -= written
        return written
    monkeypatch.setattr(mvd_sim.core.atomic.os, "write", write)


@pytest.mark.parametrize("budget_shards", [0.0, 0.5, 1.2, 1.6, 2.0])
def test_a_full_disk_loses_nothing_finished(in_process, tmp_path, monkeypatch,
                                            budget_shards):
    """The disk fills (at the start, in the first or second shard, at the card): one line,
    no part of a shard visible to readers, and a rerun with space completes the same."""
    shard_bytes = sum(len(v) for k, v in tables(in_process).items() if "00000" in k)
    with monkeypatch.context() as patch:
        _disk_fills_after(patch, int(budget_shards * (shard_bytes + 3000)))
        with pytest.raises(mvd_sim.MvdSimError) as err:
            run(tmp_path)
    assert "No space left on device" in str(err.value) and "\n" not in str(err.value)
    visible = {t: sorted(p.name for p in (tmp_path / t).glob("*")) for t in store.TABLES}
    assert visible["cases"] == visible["contacts"]  # each shard whole or absent
    for table in store.TABLES:
        read = ds.dataset(tmp_path / table).to_table()  # every visible file is whole
        assert read.num_rows == sum(pq.read_metadata(tmp_path / table / name).num_rows
                                    for name in visible[table])
    run(tmp_path)
    assert tables(tmp_path) == tables(in_process)
    assert json.loads((tmp_path / "manifest.json").read_text())["complete"]


def test_meshes_and_predicted_outcome(tmp_path):
    generate(1, 5, tmp_path, load_priors(), shard_size=1, meshes=True, decompress=True)
    (row,) = pq.read_table(tmp_path / "cases" / "part-00000.parquet").to_pylist()
    assert isinstance(row["plan_feasible"], bool)
    assert isinstance(row["plan_pad_diameters_mm"], list)
    assert len(row["plan_pad_diameters_mm"]) == row["plan_pads"]
    assert len(row["plan_pad_seats"]) == row["plan_pads"]
    if row["plan_moves"]:
        assert row["postop_decompressed"] == row["plan_feasible"]
        assert row["postop_status"] in ("decompressed", "decompressed_at_a_cost",
                                        "not_decompressed")
        assert row["postop_worst_clearance_mm"] is not None
    assert row["mesh_path"] == "meshes/case0000000.vtp"
    assert [p.name for p in (tmp_path / "meshes").iterdir()] == ["case0000000.vtp"]
    assert json.loads((tmp_path / "manifest.json").read_text())["decompress"] is True
    (tmp_path / row["mesh_path"]).write_bytes(b"cut")  # a damaged mesh: its shard is redone
    assert generate(1, 5, tmp_path, load_priors(), shard_size=1, meshes=True,
                    decompress=True).written == 1
    assert (tmp_path / row["mesh_path"]).stat().st_size > 1000


def test_a_ctrl_c_inside_compiled_code_is_an_interrupt():
    from mvd_sim.dataset.runner import _interruptible

    def compiled(start, stop):  # what numba raises when Ctrl-C lands in a kernel
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise SystemError("returned a result with an exception set") from err

    def broken(start, stop):
        raise SystemError("something else")

    with pytest.raises(KeyboardInterrupt):
        _interruptible(compiled, 0, 1)
    with pytest.raises(SystemError, match="something else"):
        _interruptible(broken, 0, 1)
