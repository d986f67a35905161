"""Table creation plans in Bauplan's YAML shape, built by `plan_table_creation` and read back by
`apply_table_creation_plan` (possibly edited by the user in between).

Shape (from Bauplan's docs on import plans and schema conflicts)::

    plan_state:
      plan_id: <job id>
      branch_name: alice.branch
      table_identifier: [bauplan, orders]
      table_replace: false
      search_string: s3://bucket/orders/*.parquet
    schema_info:
      conflicts:
      - column_with_conflict: amount
        reconcile_step: In the destination_datatype, please choose between (long or double)
      detected_schemas:
      - column_name: amount
        src_datatypes: [{datatype: long}, {datatype: double}]
        dst_datatype: [{datatype: long}, {datatype: double}]   # keep exactly one to resolve
      partitions:
      - from_column_name: ordered_at
        transform: {name: day}

A plan resolves when every column has exactly one `dst_datatype`. Datatypes are Iceberg's names
(`int`, `long`, `float`, `double`, `boolean`, `string`, `binary`, `date`, `time`,
`timestamp` with `unit`/`timezone`, `decimal` with `precision`/`scale`); other Arrow types (lists,
structs) are written as their Arrow name and applied only if a source file still has that type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import yaml

from wap_notebook.lakehouse.errors import PartitionSpecError, TablePlanApplyError
from wap_notebook.lakehouse.partitioning import PartitionTerm, terms_from_plan

_SIMPLE: dict[str, pa.DataType] = {
    "int": pa.int32(), "long": pa.int64(), "float": pa.float32(), "double": pa.float64(), "boolean": pa.bool_(),
    "string": pa.string(), "binary": pa.binary(), "date": pa.date32(), "time": pa.time64("us"),
}

KNOWN_TYPES = frozenset(_SIMPLE) | {"timestamp", "decimal"}


def datatype(t: pa.DataType) -> dict[str, Any]:
    """An Arrow type as a plan datatype entry."""
    if pa.types.is_timestamp(t):
        entry: dict[str, Any] = {"datatype": "timestamp", "unit": t.unit}
        if t.tz:
            entry["timezone"] = t.tz
        return entry
    if pa.types.is_decimal(t):
        return {"datatype": "decimal", "precision": t.precision, "scale": t.scale}
    if pa.types.is_integer(t):
        return {"datatype": "long" if t.bit_width == 64 or t in (pa.uint32(),) else "int"}
    if pa.types.is_floating(t):
        return {"datatype": "double" if t.bit_width == 64 else "float"}
    if pa.types.is_boolean(t):
        return {"datatype": "boolean"}
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return {"datatype": "string"}
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return {"datatype": "binary"}
    if pa.types.is_date(t):
        return {"datatype": "date"}
    if pa.types.is_time(t):
        return {"datatype": "time"}
    return {"datatype": str(t)}


def arrow_type(column: str, entry: object, source_types: dict[str, list[pa.DataType]]) -> pa.DataType:
    if not isinstance(entry, dict) or not isinstance(entry.get("datatype"), str):
        raise TablePlanApplyError(f"Column {column!r}: datatype entry {entry!r} needs a 'datatype'")
    name = entry["datatype"]
    if name in _SIMPLE:
        return _SIMPLE[name]
    try:
        if name == "timestamp":
            return pa.timestamp(entry.get("unit", "us"), tz=entry.get("timezone"))
        if name == "decimal":
            return pa.decimal128(int(entry["precision"]), int(entry.get("scale", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise TablePlanApplyError(f"Column {column!r}: invalid {name} datatype {entry!r}: {exc}") from None
    for candidate in source_types.get(column, []):
        if str(candidate) == name:
            return candidate
    raise TablePlanApplyError(f"Column {column!r}: unknown datatype {name!r}")


def build(*, plan_id: str, branch: str, namespace: str, table: str, replace: bool, search_uri: str,
          columns: dict[str, list[pa.DataType]], resolved: dict[str, pa.DataType],
          partitions: list[PartitionTerm]) -> tuple[str, bool]:
    """The plan YAML and whether it is conflict-free. `resolved` holds the columns whose types unify."""
    conflicts, detected = [], []
    for column, types in columns.items():
        sources = [datatype(t) for t in types]
        if column in resolved:
            targets = [datatype(resolved[column])]
        else:
            targets = sources
            names = " or ".join(str(t.get("datatype")) for t in sources)
            conflicts.append({"column_with_conflict": column,
                              "reconcile_step": f"In the destination_datatype, please choose between ({names})"})
        detected.append({"column_name": column, "src_datatypes": sources, "dst_datatype": targets})
    document = {
        "plan_state": {"plan_id": plan_id, "branch_name": branch, "table_identifier": [namespace, table],
                       "table_replace": replace, "search_string": search_uri},
        "schema_info": {"conflicts": conflicts, "detected_schemas": detected,
                        "partitions": [t.to_plan() for t in partitions]},
    }
    return yaml.safe_dump(document, sort_keys=False), not conflicts


@dataclass(frozen=True)
class ParsedPlan:
    plan_id: str | None
    branch: str
    namespace: str
    table: str
    replace: bool
    search_uri: str | None
    columns: list[tuple[str, Any]]  # (name, the single dst_datatype entry)
    partitions: list[PartitionTerm]

    def schema(self, source_types: dict[str, list[pa.DataType]]) -> pa.Schema:
        return pa.schema([pa.field(name, arrow_type(name, entry, source_types)) for name, entry in self.columns])


def parse(plan: object) -> ParsedPlan:
    """Read a plan (YAML text or an already-loaded dict); refuse unresolved or malformed ones."""
    try:
        document = yaml.safe_load(plan) if isinstance(plan, str) else plan
    except yaml.YAMLError as exc:
        raise TablePlanApplyError(f"The plan is not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("plan_state"), dict) \
            or not isinstance(document.get("schema_info"), dict):
        raise TablePlanApplyError("The plan needs 'plan_state' and 'schema_info' sections "
                                  "(pass the plan returned by plan_table_creation)")
    state, info = document["plan_state"], document["schema_info"]
    identifier = state.get("table_identifier")
    if not (isinstance(identifier, list) and len(identifier) == 2 and all(isinstance(p, str) for p in identifier)):
        raise TablePlanApplyError(f"plan_state.table_identifier must be [namespace, table], got {identifier!r}")
    if not isinstance(state.get("branch_name"), str):
        raise TablePlanApplyError("plan_state.branch_name is missing")
    columns, unresolved = [], []
    for entry in info.get("detected_schemas") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("column_name"), str):
            raise TablePlanApplyError(f"Malformed detected_schemas entry {entry!r}")
        targets = entry.get("dst_datatype")
        targets = [targets] if isinstance(targets, dict) else targets
        if not isinstance(targets, list) or len(targets) != 1:
            unresolved.append(entry["column_name"])
            continue
        columns.append((entry["column_name"], targets[0]))
    if unresolved:
        raise TablePlanApplyError(
            f"The plan has unresolved schema conflicts on column(s) {', '.join(unresolved)}: keep exactly one "
            "entry in each column's dst_datatype, then apply the plan again")
    if not columns:
        raise TablePlanApplyError("The plan has no columns (schema_info.detected_schemas is empty)")
    try:
        partitions = terms_from_plan(info.get("partitions"))
    except PartitionSpecError as exc:
        raise TablePlanApplyError(str(exc)) from None
    return ParsedPlan(plan_id=state.get("plan_id"), branch=state["branch_name"], namespace=identifier[0],
                      table=identifier[1], replace=bool(state.get("table_replace")),
                      search_uri=state.get("search_string"), columns=columns, partitions=partitions)
