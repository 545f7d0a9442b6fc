"""Dataset tables: every shard has the same columns and types whatever it holds, so a
dataset folder reads as one table."""

from typing import Literal

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import mvd_sim
from mvd_sim.dataset.tables import CONTACTS_SCHEMA, cases_schema, contact_row, write_table

from ..conftest import bundled_scene


def _case(case: int, **radii) -> dict:
    return {"case": case, "seed": 1, "attempt": 0, "side": "right", "pattern": "single",
            "culprits": "AICA", "culprit_count": 1, "cn7_contact_count": 1,
            "worst_severity": "mild", "primary_segment": "AS", "cisternal_length_mm": 20.0,
            "angle_to_midline_deg": 60.0, **radii, "scenario_yaml": "title: x\n"}


def test_shards_with_different_vessels_and_no_contacts_share_one_schema(tmp_path):
    # a shard whose key order and vessels differ, and one without any vein: same schema
    write_table([_case(0, va_radius_mm=1.9, aica_radius_mm=0.6)], cases_schema(False),
                tmp_path / "cases-00000.parquet")
    write_table([_case(1, pica_radius_mm=0.9, aica_radius_mm=0.7, vein_radius_mm=0.5)],
                cases_schema(False), tmp_path / "cases-00001.parquet")
    schemas = [pq.read_schema(p) for p in sorted(tmp_path.glob("cases-*.parquet"))]
    assert schemas[0] == schemas[1] == cases_schema(False)
    assert schemas[0].field("vein_radius_mm").type == "double"
    table = ds.dataset(sorted(tmp_path.glob("cases-*.parquet"))).to_table()
    assert table.column("vein_radius_mm").to_pylist() == [None, 0.5]
    assert table.column_names[-1] == "scenario_yaml"
    write_table([], CONTACTS_SCHEMA, tmp_path / "contacts-00000.parquet")
    assert pq.read_schema(tmp_path / "contacts-00000.parquet") == CONTACTS_SCHEMA


def test_decompressed_cases_have_the_outcome_columns():
    names = cases_schema(True).names
    assert {"plan_feasible", "postop_worst_clearance_mm"} <= set(names)
    assert not set(names) - set(cases_schema(False).names) - {
        "plan_feasible", "plan_pads", "plan_pad_diameters_mm", "postop_decompressed",
        "postop_worst_clearance_mm"}


def test_a_contact_row_has_exactly_the_schema_columns(tmp_path):
    report = mvd_sim.analyze(bundled_scene("multi_aica_pica_right"))
    rows = [contact_row(7, c) for c in report.contacts]
    assert all(list(row) == CONTACTS_SCHEMA.names for row in rows)
    write_table(rows, CONTACTS_SCHEMA, tmp_path / "contacts.parquet")
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
