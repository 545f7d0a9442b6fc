"""The dataset's two tables: their rows' columns, Arrow schemas and atomic Parquet writer.

Every shard's tables have exactly the columns of :func:`cases_schema` and
:data:`CONTACTS_SCHEMA`, in that order and with those types, so a table's folder reads as
one table (``pyarrow.dataset.dataset(DIR / "cases")``, ``pandas.read_parquet``) whatever a
shard holds: a shard without a vein still has a ``vein_radius_mm`` column of doubles (all
null), and one without contacts has every contact column. Units are in the column names
(``*_mm``, ``*_mm2``, ``*_deg``); the schema metadata says so.

Lists are Arrow lists, never joined strings: ``culprits`` and ``asked_culprits`` are
``list<string>`` of vessel types in the fixed order of :data:`VESSEL_TYPE_ORDER` (so the
same set of culprits is the same value however the report ordered them),
``plan_pad_diameters_mm`` is ``list<double>`` in the plan's order, and
``asked_compressions`` is ``list<struct>`` (:data:`ASKED_COMPRESSION`): what the sampler
asked of each compression, to set against what the contact report found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args, get_origin

import pyarrow as pa
import pyarrow.parquet as pq

from mvd_sim._version import __version__
from mvd_sim.core.atomic import write_bytes_atomic
from mvd_sim.core.constants import VESSEL_TYPES
from mvd_sim.contact.analysis import Contact, ContactReport
from mvd_sim.case import Case
from mvd_sim.dataset.sampler import Diagnosis, SampledCase
from mvd_sim.scenario import ScenarioSpec, scenario_to_yaml

__all__ = ["CONTACTS_SCHEMA", "ASKED_COMPRESSION", "VESSEL_TYPE_ORDER", "ShardFile",
           "cases_schema", "case_row", "given_case_row", "outcome_columns", "contact_row",
           "vessel_types_in_order", "table_bytes", "write_table"]

#: Order of vessel types in list columns (``culprits``, ``asked_culprits``).
VESSEL_TYPE_ORDER: tuple[str, ...] = VESSEL_TYPES

SCHEMA_METADATA = {b"mvd_sim.units": b"lengths mm, areas mm^2, angles deg (in column names)",
                   b"mvd_sim.version": __version__.encode()}
# contact fields that are points: one column per coordinate
_POINT_FIELDS = ("nerve_point_mm", "vessel_point_mm")
_ARROW_TYPES = {bool: pa.bool_(), float: pa.float64(), int: pa.int64()}



def _list_of(value_type: pa.DataType) -> pa.ListType:
    """A list column type as Parquet files store it (items named ``element``), so a shard's
    schema reads back equal to the one it was written with."""
    return pa.list_(pa.field("element", value_type))


#: One compression the sampler asked for (an element of ``asked_compressions``): the
#: vessel (id and type), its target (``CN7`` or the id of the vessel it pushes), where
#: (``segment``, or ``s_mm`` on the target's rest course), the side it comes from, the
#: crossing angle, the gap asked (``separation_mm`` or ``indentation_mm``; both null for
#: touching), the nerve deviation asked, and the severity of the diagnosis (null for a vessel
#: that pushes another one). Field names match the contacts table's where they mean the same.
ASKED_COMPRESSION = pa.struct([
    ("vessel", pa.string()), ("vessel_type", pa.string()), ("target", pa.string()),
    ("segment", pa.string()), ("s_mm", pa.float64()), ("side", pa.string()),
    ("crossing_angle_deg", pa.float64()), ("separation_mm", pa.float64()),
    ("indentation_mm", pa.float64()), ("nerve_deviation_mm", pa.float64()),
    ("severity", pa.string())])
_SEVERITY_ORDER = ("mild", "moderate", "severe")
_VESSEL_TYPES = _list_of(pa.string())
_CASE_FIELDS = [
    ("case", pa.int64()), ("name", pa.string()), ("seed", pa.int64()),
    ("attempt", pa.int64()),
    ("side", pa.string()), ("pattern", pa.string()), ("culprits", _VESSEL_TYPES),
    ("primary_culprit", pa.string()), ("culprit_segments", _list_of(pa.string())),
    ("extent", pa.string()), ("culprit_count", pa.int64()), ("cn7_contact_count", pa.int64()),
    ("cn8_vessels", _VESSEL_TYPES),
    ("worst_severity", pa.string()), ("primary_segment", pa.string()),
    ("cisternal_length_mm", pa.float64()), ("angle_to_midline_deg", pa.float64()),
    ("aica_radius_mm", pa.float64()), ("pica_radius_mm", pa.float64()),
    ("va_radius_mm", pa.float64()), ("vein_radius_mm", pa.float64()),
    ("asked_culprits", _VESSEL_TYPES), ("control", pa.bool_()), ("label", pa.string()),
    ("asked_compressions", _list_of(ASKED_COMPRESSION)), ("cause", pa.string()),
    ("causes", _list_of(pa.string()))]
# the vessel radii a row holds (a scenario's other vessel types', the BA's, are not drawn)
_RADIUS_COLUMNS = frozenset(name for name, _ in _CASE_FIELDS if name.endswith("_radius_mm"))
# the planner's predicted outcome (``--decompress`` only)
_OUTCOME_FIELDS = [
    ("plan_feasible", pa.bool_()), ("plan_rez_spared", pa.bool_()),
    ("plan_moves", _list_of(pa.string())), ("plan_pads", pa.int64()),
    ("plan_pad_diameters_mm", _list_of(pa.float64())),
    ("plan_pad_seats", _list_of(pa.string())), ("plan_transposed", _list_of(pa.string())),
    ("plan_divided", _list_of(pa.string())), ("postop_status", pa.string()),
    ("postop_decompressed", pa.bool_()), ("postop_worst_clearance_mm", pa.float64()),
    ("postop_cn8_spared", pa.bool_())]


def cases_schema(decompress: bool) -> pa.Schema:
    """Schema of the cases table: one row per case (with the outcome columns when the
    dataset is made with ``decompress``), then ``mesh_path`` (the case's labelled mesh
    relative to the dataset folder; null without meshes) and the case's scenario (YAML)."""
    fields = _CASE_FIELDS + (_OUTCOME_FIELDS if decompress else [])
    return pa.schema(fields + [("mesh_path", pa.string()), ("scenario_yaml", pa.string())],
                     metadata=SCHEMA_METADATA)


def vessel_types_in_order(types: Iterable[str]) -> list[str]:
    """Vessel types sorted by :data:`VESSEL_TYPE_ORDER` (repeats kept), lesion kinds after
    them.

    Examples
    --------
    >>> vessel_types_in_order(["PICA", "AICA"]), vessel_types_in_order(["vein", "VA"])
    (['AICA', 'PICA'], ['VA', 'vein'])
    """
    return sorted(types, key=_type_rank)


def _type_rank(kind: str) -> tuple[int, str]:
    """Sort key of a vessel type (:data:`VESSEL_TYPE_ORDER`); a lesion's kind (a culprit of
    another cause: ``schwannoma``, ``aneurysm``, ``avm``...) after every vessel type."""
    order = VESSEL_TYPE_ORDER.index(kind) if kind in VESSEL_TYPE_ORDER else \
        len(VESSEL_TYPE_ORDER)
    return order, kind


def _asked_compressions(spec: ScenarioSpec, diagnosis: Diagnosis | None) -> list[dict]:
    """Each compression the case's scenario asks for, with the diagnosis' severity (mild for
    a contact with CN VIII, which is asked touching; null for a given scenario's, which has
    no diagnosis)."""
    asked = []
    for vessel in spec.vessels:
        severities = []
        if diagnosis is not None:
            severities = [c.severity for c in diagnosis.compressions.get(vessel.type, ())]
            severities += ["mild"] * (vessel.type == diagnosis.cn8_vessel)
        for k, contact in enumerate(vessel.compresses):
            asked.append({
                "vessel": vessel.id, "vessel_type": vessel.type, "target": contact.target,
                "segment": contact.segment, "s_mm": contact.s_mm, "side": contact.side,
                "crossing_angle_deg": contact.crossing_angle_deg,
                "separation_mm": contact.separation_mm,
                "indentation_mm": contact.indentation_mm,
                "nerve_deviation_mm": contact.nerve_deviation_mm,
                "severity": severities[k] if k < len(severities) else None})
    return asked


def case_row(case: SampledCase, seed: int, index: int, report: ContactReport,
             mesh_path: str | None = None, outcome: dict | None = None) -> dict:
    """A sampled case's row of the cases table: the anatomy drawn, what was asked, what the
    contact report found (``outcome``: :func:`outcome_columns`, with ``decompress``)."""
    return {
        **_found_columns(index, case.case, report, mesh_path, outcome),
        "seed": seed, "attempt": case.attempt,
        "asked_culprits": vessel_types_in_order(case.diagnosis.culprits),
        "control": case.diagnosis.control,
        "label": case.diagnosis.label,
        "asked_compressions": _asked_compressions(case.spec, case.diagnosis),
        "cause": case.cause}


def given_case_row(case: Case, index: int, report: ContactReport,
                   mesh_path: str | None = None, outcome: dict | None = None) -> dict:
    """A given scenario's row of the cases table (a bundled or imported case, exported by
    :func:`mvd_sim.dataset.given.export_scenarios`): the columns :func:`case_row` fills from
    the case and its contact report, the same way; what was asked of its compressions
    (``asked_compressions``, without a severity: there is no diagnosis); ``seed``,
    ``attempt``, ``asked_culprits``, ``control``, ``label`` and ``cause``, which only a
    sampled case has, null."""
    return {**_found_columns(index, case, report, mesh_path, outcome),
            "asked_compressions": _asked_compressions(case.spec, None)}


def _found_columns(index: int, case: Case, report: ContactReport, mesh_path: str | None,
                   outcome: dict | None) -> dict:
    """The columns of any case's row: its index and name, side, what the contact report
    found, its nerve and vessel sizes (mm; a vessel type's first radius given), the
    planner's ``outcome``, its mesh and its scenario (YAML)."""
    cn7 = [c for c in report.contacts if c.nerve == "CN7"]
    facial = case.spec.anatomy.facial_nerve
    culprits = sorted(report.culprits, key=lambda c: _type_rank(c.vessel_type))
    radii = {}
    for vessel in case.spec.vessels:
        column = f"{vessel.type.lower()}_radius_mm"
        if vessel.radius_mm is not None and column in _RADIUS_COLUMNS:
            radii.setdefault(column, vessel.radius_mm)
    return {
        "case": index, "name": case.name, "side": case.spec.side,
        "pattern": report.pattern,
        "culprits": [c.vessel_type for c in culprits],
        "primary_culprit": report.culprits[0].vessel_type if report.culprits else "none",
        "culprit_segments": [_first_segment(cn7, c.vessel) for c in culprits],
        "extent": _extent(cn7),
        "culprit_count": len(report.culprits),
        "cn7_contact_count": len(cn7),
        "cn8_vessels": vessel_types_in_order(
            {c.vessel_type for c in report.contacts if c.nerve == "CN8"}),
        "worst_severity": max((c.severity for c in cn7), key=_SEVERITY_ORDER.index,
                              default="none"),
        "primary_segment": cn7[0].segment if cn7 else "none",
        "cisternal_length_mm": facial.cisternal_length_mm,
        "angle_to_midline_deg": facial.angle_to_midline_deg,
        **radii,
        "causes": list(report.causes),
        **(outcome or {}),
        "mesh_path": mesh_path,
        "scenario_yaml": scenario_to_yaml(case.spec)}


def _first_segment(cn7: list[Contact], vessel: str) -> str | None:
    """The segment of a vessel's most proximal contact with CN VII (None: it has none, it
    pushes another vessel)."""
    mine = [c for c in cn7 if c.vessel == vessel]
    return min(mine, key=lambda c: c.s_start_mm).segment if mine else None


def _extent(cn7: list[Contact]) -> str:
    """Where CN VII is touched: ``proximal`` (the root exit zone only), ``distal`` (the
    cisternal portion only), ``double`` (both; Acta Neurochir 2010) or ``none``."""
    proximal, distal = any(c.in_rez for c in cn7), any(not c.in_rez for c in cn7)
    return {(True, True): "double", (True, False): "proximal",
            (False, True): "distal", (False, False): "none"}[(proximal, distal)]


def outcome_columns(plan) -> dict:
    """The planner's answer for a case (a :class:`~mvd_sim.surgery.planner.Plan`): whether it
    frees CN VII through the pulse and spares the root exit zone; its moves in order
    (``pad``, ``transposition``, ``division``), its pads' diameters (mm) and seats, the
    vessels transposed and divided; and the predicted verdict (status, worst clearance from
    CN VII in mm, whether CN VIII is spared), null when there is nothing to do or no plan."""
    predicted = plan.predicted
    pads = [m.sponge for m in plan.moves if m.kind == "pad"]
    checks = {c.name: c.passed for c in predicted.checks} if predicted else {}
    return {"plan_feasible": plan.feasible, "plan_rez_spared": plan.rez_spared,
            "plan_moves": [m.kind for m in plan.moves], "plan_pads": len(pads),
            "plan_pad_diameters_mm": [p.diameter_mm for p in pads],
            "plan_pad_seats": [p.seat for p in pads],
            "plan_transposed": [m.vessel for m in plan.moves if m.kind == "transposition"],
            "plan_divided": [m.vessel for m in plan.moves if m.kind == "division"],
            "postop_status": predicted.status if predicted else None,
            "postop_decompressed": predicted.decompressed if predicted else None,
            "postop_worst_clearance_mm": predicted.after.worst_clearance_mm
            if predicted else None,
            "postop_cn8_spared": checks.get("cn8_spared")}


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


#: Schema of the contacts table: one row per contact, every field of the contact report.
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


@dataclass(frozen=True)
class ShardFile:
    """A table file as written: its path relative to the dataset folder, rows, size (bytes)
    and SHA-256 (hex)."""

    path: str
    rows: int
    bytes: int
    sha256: str

    def as_dict(self) -> dict:
        return {"path": self.path, "rows": self.rows, "bytes": self.bytes,
                "sha256": self.sha256}


def table_bytes(rows: list[dict], schema: pa.Schema, name: str = "table") -> bytes:
    """Rows as the bytes of a Parquet file of ``schema`` (missing values null; zstd).

    Raises
    ------
    ValueError
        If a row has a column outside the schema (``name`` says which table).
    """
    unknown = set().union(*rows) - set(schema.names)
    if unknown:  # from_pylist would drop them silently
        raise ValueError(f"{name}: columns {sorted(unknown)} are not in its schema")
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer, compression="zstd")
    return buffer.getvalue().to_pybytes()


def write_table(rows: list[dict], schema: pa.Schema, path: Path,
                relative_to: Path | None = None) -> ShardFile:
    """Write rows as a Parquet table of ``schema``, atomically; returns what was written
    (its path relative to ``relative_to``, default the file's own folder)."""
    data = table_bytes(rows, schema, path.name)
    write_bytes_atomic(path, data)
    shown = path.relative_to(relative_to if relative_to is not None else path.parent)
    return ShardFile(shown.as_posix(), len(rows), len(data), hashlib.sha256(data).hexdigest())
