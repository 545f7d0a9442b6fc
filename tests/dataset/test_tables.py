"""Dataset tables: every shard has the same columns and types whatever it holds, so a
table's folder reads as one table; lists are Arrow lists in a canonical order."""

from typing import Literal

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import mvd_sim
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import sample
from mvd_sim.dataset.tables import ASKED_COMPRESSION, CONTACTS_SCHEMA, VESSEL_TYPE_ORDER, \
    case_row, cases_schema, contact_row, vessel_types_in_order, write_table

from ..conftest import bundled_scene


def _case(case: int, **columns) -> dict:
    return {"case": case, "seed": 1, "attempt": 0, "side": "right", "pattern": "single",
            "culprits": ["AICA"], "culprit_count": 1, "cn7_contact_count": 1,
            "worst_severity": "mild", "primary_segment": "AS", "cisternal_length_mm": 20.0,
            "angle_to_midline_deg": 60.0, **columns, "scenario_yaml": "title: x\n"}


def test_shards_with_different_vessels_and_no_contacts_share_one_schema(tmp_path):
    # a shard whose key order and vessels differ, and one without any vein: same schema
    write_table([_case(0, va_radius_mm=1.9, aica_radius_mm=0.6)], cases_schema(False),
                tmp_path / "part-00000.parquet")
    write_table([_case(1, pica_radius_mm=0.9, aica_radius_mm=0.7, vein_radius_mm=0.5)],
                cases_schema(False), tmp_path / "part-00001.parquet")
    schemas = [pq.read_schema(p) for p in sorted(tmp_path.glob("part-*.parquet"))]
    assert schemas[0] == schemas[1] == cases_schema(False)
    assert schemas[0].field("vein_radius_mm").type == "double"
    table = ds.dataset(tmp_path).to_table()
    assert table.column("vein_radius_mm").to_pylist() == [None, 0.5]
    assert table.column_names[-2:] == ["mesh_path", "scenario_yaml"]
    write_table([], CONTACTS_SCHEMA, tmp_path / "contacts.parquet")
    assert pq.read_schema(tmp_path / "contacts.parquet") == CONTACTS_SCHEMA


def test_list_columns_are_arrow_lists():
    schema = cases_schema(True)
    for name, item in [("culprits", pa.string()), ("asked_culprits", pa.string()),
                       ("plan_pad_diameters_mm", pa.float64()),
                       ("asked_compressions", ASKED_COMPRESSION)]:
        assert pa.types.is_list(schema.field(name).type)
        assert schema.field(name).type.value_type == item
    assert not any(field.type == pa.string() and "diameters" in field.name
                   for field in schema)


def test_culprits_are_in_one_order_whatever_the_order_found():
    assert vessel_types_in_order(["PICA", "AICA"]) == vessel_types_in_order(["AICA", "PICA"])
    assert vessel_types_in_order(reversed(VESSEL_TYPE_ORDER)) == list(VESSEL_TYPE_ORDER)


def test_a_case_row_has_what_was_asked_and_what_was_found(tmp_path):
    case = next(c for c in (sample(load_priors(), 3, 40, i) for i in range(40))
                if len(c.diagnosis.culprits) > 1)
    report = mvd_sim.analyze(case.scene)
    row = case_row(case, 3, 7, report)
    assert row["asked_culprits"] == vessel_types_in_order(case.diagnosis.culprits)
    assert row["culprits"] == vessel_types_in_order(c.vessel_type for c in report.culprits)
    assert row["primary_culprit"] == report.culprits[0].vessel_type
    swapped = report.model_copy(update={"culprits": report.culprits[::-1]})
    assert len(report.culprits) > 1
    assert case_row(case, 3, 7, swapped)["culprits"] == row["culprits"]
    asked = [(v.id, c.segment) for v in case.spec.vessels for c in v.compresses]
    assert [(a["vessel"], a["segment"]) for a in row["asked_compressions"]] == asked
    by_vessel = {a["vessel_type"]: a for a in row["asked_compressions"] if a["target"] == "CN7"}
    for kind, compressions in case.diagnosis.compressions.items():
        assert by_vessel[kind]["severity"] == compressions[-1].severity
    # an AICA asked to touch CN VIII too: asked mild, and found touching it
    cn8 = [a for a in row["asked_compressions"] if a["target"] == "CN8"]
    assert [a["vessel_type"] for a in cn8] == [case.diagnosis.cn8_vessel] * bool(cn8)
    assert all(a["severity"] == "mild" for a in cn8)
    assert row["cn8_vessels"] == vessel_types_in_order(
        {c.vessel_type for c in report.contacts if c.nerve == "CN8"})
    assert case.diagnosis.cn8_vessel is None or case.diagnosis.cn8_vessel in row["cn8_vessels"]
    write_table([row], cases_schema(False), tmp_path / "part.parquet")
    (read,) = pq.read_table(tmp_path / "part.parquet").to_pylist()
    assert read["asked_compressions"] == row["asked_compressions"]
    assert read["mesh_path"] is None


def test_decompressed_cases_have_the_outcome_columns():
    names = cases_schema(True).names
    assert {"plan_feasible", "postop_worst_clearance_mm"} <= set(names)
    assert set(names) - set(cases_schema(False).names) == {
        "plan_feasible", "plan_rez_spared", "plan_moves", "plan_pads", "plan_pad_diameters_mm",
        "plan_pad_seats", "plan_transposed", "plan_divided", "postop_status",
        "postop_decompressed", "postop_worst_clearance_mm", "postop_cn8_spared"}


def test_a_contact_row_has_exactly_the_schema_columns(tmp_path):
    report = mvd_sim.analyze(bundled_scene("multi_aica_pica_right"))
    rows = [contact_row(7, c) for c in report.contacts]
    assert all(list(row) == CONTACTS_SCHEMA.names for row in rows)
    written = write_table(rows, CONTACTS_SCHEMA, tmp_path / "contacts.parquet", tmp_path)
    assert (written.path, written.rows) == ("contacts.parquet", len(rows))
    assert written.bytes == (tmp_path / "contacts.parquet").stat().st_size
    (first,) = pq.read_table(tmp_path / "contacts.parquet").slice(0, 1).to_pylist()
    contact = report.contacts[0]
    assert first["nerve_point_y_mm"] == contact.nerve_point_mm[1]
    assert first["severity"] == contact.severity and first["in_rez"] is contact.in_rez


def test_a_column_outside_the_schema_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not in its schema"):
        write_table([_case(0, basilar_radius_mm=1.5)], cases_schema(False),
                    tmp_path / "cases.parquet")
    assert not (tmp_path / "cases.parquet").exists()


def test_a_contact_field_without_a_column_type_is_refused():
    from mvd_sim.dataset.tables import _arrow_type

    assert _arrow_type("segment", Literal["AS", "CP"]) == "string"
    with pytest.raises(TypeError, match="no Parquet column type"):
        _arrow_type("point", tuple[float, float, float])
