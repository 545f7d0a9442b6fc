"""The dataset's two tables: their rows' columns, Arrow schemas and atomic Parquet writer.

Every shard's tables have exactly the columns of :func:`cases_schema` and
:data:`CONTACTS_SCHEMA`, in that order and with those types, so a dataset folder reads as
one table (``pyarrow.dataset.dataset(DIR)``, ``pandas.read_parquet``) whatever a shard
holds: a shard without a vein still has a ``vein_radius_mm`` column of doubles (all null),
and one without contacts has every contact column. Units are in the column names (``*_mm``,
``*_mm2``, ``*_deg``); the schema metadata says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args, get_origin

import pyarrow as pa
import pyarrow.parquet as pq

from mvd_sim._version import __version__
from mvd_sim.atomic import write_bytes_atomic
from mvd_sim.contact import Contact

__all__ = ["CONTACTS_SCHEMA", "cases_schema", "contact_row", "write_table"]

SCHEMA_METADATA = {b"mvd_sim.units": b"lengths mm, areas mm^2, angles deg (in column names)",
                   b"mvd_sim.version": __version__.encode()}
# contact fields that are points: one column per coordinate
_POINT_FIELDS = ("nerve_point_mm", "vessel_point_mm")
_ARROW_TYPES = {bool: pa.bool_(), float: pa.float64(), int: pa.int64()}

_CASE_FIELDS = [
    ("case", pa.int64()), ("seed", pa.int64()), ("attempt", pa.int64()),
    ("side", pa.string()), ("pattern", pa.string()), ("culprits", pa.string()),
    ("culprit_count", pa.int64()), ("cn7_contact_count", pa.int64()),
    ("worst_severity", pa.string()), ("primary_segment", pa.string()),
    ("cisternal_length_mm", pa.float64()), ("angle_to_midline_deg", pa.float64()),
    ("aica_radius_mm", pa.float64()), ("pica_radius_mm", pa.float64()),
    ("va_radius_mm", pa.float64()), ("vein_radius_mm", pa.float64())]
# the planner's predicted outcome (``--decompress`` only)
_OUTCOME_FIELDS = [
    ("plan_feasible", pa.bool_()), ("plan_pads", pa.int64()),
    ("plan_pad_diameters_mm", pa.string()), ("postop_decompressed", pa.bool_()),
    ("postop_worst_clearance_mm", pa.float64())]


def cases_schema(decompress: bool) -> pa.Schema:
    """Schema of ``cases-*.parquet``: one row per case (with the outcome columns when the
    dataset is made with ``decompress``), the case's scenario (YAML) last."""
    fields = _CASE_FIELDS + (_OUTCOME_FIELDS if decompress else [])
    return pa.schema(fields + [("scenario_yaml", pa.string())], metadata=SCHEMA_METADATA)


def _arrow_type(name: str, annotation) -> pa.DataType:
    """Column type of a contact field: bool, float and int as such, str and string labels
    (``Literal``) as strings; anything else is refused when this module loads."""
    if annotation in _ARROW_TYPES:
        return _ARROW_TYPES[annotation]
    if annotation is str or (get_origin(annotation) is Literal
                             and all(isinstance(a, str) for a in get_args(annotation))):
        return pa.string()
    raise TypeError(f"contact field {name!r}: no Parquet column type for {annotation!r}")


def _point_columns(name: str) -> list[str]:
    """``nerve_point_mm`` -> ``nerve_point_x_mm``, ``nerve_point_y_mm``, ``nerve_point_z_mm``."""
    return [f"{name[:-3]}_{axis}_mm" for axis in "xyz"]


def _contact_fields() -> list[tuple[str, pa.DataType]]:
    fields = [("case", pa.int64())]
    for name, field in Contact.model_fields.items():
        if name in _POINT_FIELDS:
            fields += [(column, pa.float64()) for column in _point_columns(name)]
        else:
            fields.append((name, _arrow_type(name, field.annotation)))
    return fields


#: Schema of ``contacts-*.parquet``: one row per contact, every field of the contact report.
CONTACTS_SCHEMA = pa.schema(_contact_fields(), metadata=SCHEMA_METADATA)


def contact_row(case: int, contact: Contact) -> dict:
    """A contact's row: its fields, with each point split into ``*_x_mm`` ... columns."""
    row = {"case": case}
    for name, value in contact.model_dump().items():
        if name in _POINT_FIELDS:
            row.update(zip(_point_columns(name), value))
        else:
            row[name] = value
    return row


def write_table(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    """Write rows as a Parquet table of ``schema`` (missing values null), atomically."""
    unknown = set().union(*rows) - set(schema.names)
    if unknown:  # from_pylist would drop them silently
        raise ValueError(f"{path.name}: columns {sorted(unknown)} are not in its schema")
    table = pa.Table.from_pylist(rows, schema=schema)
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer, compression="zstd")
    write_bytes_atomic(path, buffer.getvalue().to_pybytes())
