"""The dataset folder on disk: a manifest that is not one is refused in one line saying what
to do; the journal's torn last line is ignored; a shard is trusted only if its files are
exactly what the journal recorded."""

import json

import pytest

from mvd_sim.dataset import store
from mvd_sim.dataset.tables import CONTACTS_SCHEMA, cases_schema, write_table
from mvd_sim.core.errors import MvdSimError

SCHEMAS = {"cases": cases_schema(False), "contacts": CONTACTS_SCHEMA}


def _make_bad_manifest(path, form):
    if form == "folder":
        path.mkdir()
    else:
        path.write_bytes({"empty": b"", "blank": b" \n", "list": b"[1, 2]",
                          "not JSON": b"{seed: 1", "not UTF-8": b"\xff\xfe{}",
                          "not ours": b'{"name": "x"}',
                          "layout 1": b'{"seed": 1, "n": 2, "mvd_sim_version": "0.0.9"}',
                          "layout 3": b'{"format": "mvd-sim-dataset", "format_version": 3}'
                          }[form])


@pytest.mark.parametrize("form, says", [
    ("folder", "is a folder"), ("empty", "empty"), ("blank", "empty"),
    ("list", "a JSON list"), ("not JSON", "not JSON"), ("not UTF-8", "not JSON"),
    ("not ours", "not an mvd-sim dataset manifest"),
    ("layout 1", "layout version 1 (made by mvd-sim 0.0.9)"),
    ("layout 3", "layout version 3"),
])
def test_a_manifest_that_is_not_one_is_one_line(tmp_path, form, says):
    _make_bad_manifest(tmp_path / "manifest.json", form)
    with pytest.raises(MvdSimError) as err:
        store.read_manifest(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'manifest.json'}: ") and says in message
    assert "\n" not in message
    assert "another folder" in message  # what to do


def test_no_manifest_is_a_new_dataset(tmp_path):
    assert store.read_manifest(tmp_path) is None


def test_a_manifest_of_other_settings_is_another_dataset(tmp_path):
    store.write_manifest(tmp_path, {"seed": 1, "n": 2})
    manifest = store.read_manifest(tmp_path)
    store.check_same_dataset(tmp_path, manifest, {"seed": 1, "n": 2})
    with pytest.raises(MvdSimError, match="holds a different dataset"):
        store.check_same_dataset(tmp_path, manifest, {"seed": 2, "n": 2})


def test_a_dataset_another_version_started_is_not_resumed(tmp_path):
    store.write_manifest(tmp_path, {"seed": 1, "n": 2})
    manifest = {**store.read_manifest(tmp_path), "mvd_sim_version": "0.0.1"}
    with pytest.raises(MvdSimError, match="was started by mvd-sim 0.0.1, not"):
        store.check_same_dataset(tmp_path, manifest, {"seed": 1, "n": 2})


def _shard(out, k=0):
    """Write shard ``k`` (one case row, no contacts) and return its journal record."""
    (out / "cases").mkdir(exist_ok=True)
    (out / "contacts").mkdir(exist_ok=True)
    row = {"case": k, "seed": 1, "attempt": 0, "culprits": ["AICA"], "scenario_yaml": "x"}
    name = store.part_name(k)
    return {"shard": k,
            "cases": write_table([row], SCHEMAS["cases"], out / "cases" / name, out).as_dict(),
            "contacts": write_table([], CONTACTS_SCHEMA, out / "contacts" / name, out).as_dict(),
            "meshes": []}


def test_the_journal_keeps_records_and_skips_a_torn_line(tmp_path):
    records = [_shard(tmp_path, k) for k in range(2)]
    with store.Journal(tmp_path, "abc") as journal:
        journal.append(records[0])
    with open(tmp_path / store.JOURNAL_NAME, "ab") as torn:  # a crash mid-line
        torn.write(b'{"fingerprint": "abc", "shard": 1, "cas')
    with store.Journal(tmp_path, "abc") as journal:
        assert journal.records() == {0: {"fingerprint": "abc", **records[0]}}
        journal.append(records[1])  # starts on a line of its own
    assert set(store.Journal(tmp_path, "abc").records()) == {0, 1}
    with pytest.raises(MvdSimError, match="holds a different dataset"):
        store.Journal(tmp_path, "other").records()


def test_an_intact_shard_is_trusted(tmp_path):
    record = _shard(tmp_path)
    assert store.shard_intact(tmp_path, 0, record, SCHEMAS, meshes=False)
    assert not store.shard_intact(tmp_path, 0, None, SCHEMAS, meshes=False)
    assert not store.shard_intact(tmp_path, 1, record, SCHEMAS, meshes=False)  # other name


@pytest.mark.parametrize("damage", ["truncated", "same size, other bytes", "missing",
                                    "a folder", "other schema", "other row count"])
def test_a_damaged_shard_is_not_trusted(tmp_path, damage):
    record = _shard(tmp_path)
    path = tmp_path / record["cases"]["path"]
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "same size, other bytes":
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "missing":
        path.unlink()
    elif damage == "a folder":
        path.unlink()
        path.mkdir()
    elif damage == "other schema":  # a file the journal describes, of another table
        record["cases"] = _shard(tmp_path)["contacts"] | {"path": record["cases"]["path"]}
        path.write_bytes((tmp_path / record["contacts"]["path"]).read_bytes())
    else:
        record["cases"]["rows"] = 2
    assert not store.shard_intact(tmp_path, 0, record, SCHEMAS, meshes=False)


def test_meshes_are_checked_by_their_recorded_size(tmp_path):
    record = _shard(tmp_path)
    (tmp_path / "meshes").mkdir()
    (tmp_path / "meshes" / "case0000000.vtp").write_bytes(b"x" * 10)
    record["meshes"] = [["meshes/case0000000.vtp", 10]]
    assert store.shard_intact(tmp_path, 0, record, SCHEMAS, meshes=True)
    (tmp_path / "meshes" / "case0000000.vtp").write_bytes(b"x" * 9)
    assert not store.shard_intact(tmp_path, 0, record, SCHEMAS, meshes=True)


def test_a_file_among_the_shards_that_is_not_one_is_refused(tmp_path):
    _shard(tmp_path)
    (tmp_path / "cases" / ".hidden").write_text("readers skip it")
    store.refuse_strays(tmp_path, 1)
    (tmp_path / "cases" / "part-00001.parquet").write_bytes(b"")
    with pytest.raises(MvdSimError, match="part-00001.parquet: not a shard of this dataset"):
        store.refuse_strays(tmp_path, 1)


def test_the_complete_manifest_lists_every_shard(tmp_path):
    records = [_shard(tmp_path, k) for k in range(2)]
    store.write_manifest(tmp_path, {"seed": 1}, records)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"] and manifest["counts"] == {"cases": 2, "contacts": 0}
    assert [s["cases"]["sha256"] for s in manifest["shards"]] == \
        [r["cases"]["sha256"] for r in records]
    assert store.read_manifest(tmp_path)["format_version"] == store.FORMAT_VERSION
