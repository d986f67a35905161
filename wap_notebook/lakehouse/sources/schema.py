"""Types and names a table can hold: normalising a file's Arrow schema to what PyIceberg stores, and unifying the
schemas of the files of one import."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from wap_notebook.lakehouse.errors import (
    SchemaConflictError,
)
from wap_notebook.lakehouse.sources.files import SourceFile
from wap_notebook.lakehouse.sources.messages import format_error

# A top-level field inferred as `null` (e.g. an all-empty CSV column) is normalized to string, but must stay
# compatible with any type in `unify_schemas`; this field-metadata key remembers where it came from.
_INFERRED_NULL = b"wap_notebook.inferred_null"


# Zone names that mean UTC itself (PyIceberg's aliases plus common spellings).
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "+00:00", "Z", "utc", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Zulu"})


def normalize_type(t: pa.DataType) -> pa.DataType:
    """The PyIceberg-storable type for `t` (see module docs): us timestamps in UTC, 32/64-bit ints, ..."""
    if pa.types.is_dictionary(t):
        return normalize_type(t.value_type)
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if t in (pa.int8(), pa.int16(), pa.uint8(), pa.uint16()):
        return pa.int32()
    if t in (pa.uint32(), pa.uint64()):
        return pa.int64()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_time(t):
        return pa.time64("us")
    if pa.types.is_timestamp(t):
        # Iceberg's timestamptz holds UTC instants only. Relabeling another zone as UTC would keep the
        # instants but silently drop the zone the data was recorded in: refuse, and say how to fix it.
        if t.tz and t.tz not in _UTC_NAMES:
            raise TypeError(f"{t} carries the time zone {t.tz!r}, which an Iceberg timestamptz cannot keep (it "
                            "stores UTC instants only): convert the column to UTC first (pandas: "
                            "s.dt.tz_convert('UTC')), and keep the zone in a column of its own if it matters")
        return pa.timestamp("us", tz="UTC" if t.tz else None)
    if pa.types.is_decimal(t):
        if t.precision > 38:
            raise TypeError(f"{t} has more than 38 digits of precision, which Iceberg cannot store")
        return pa.decimal128(t.precision, t.scale)
    if is_list(t):
        return pa.list_(pa.field("item", normalize_type(t.value_type), t.value_field.nullable))
    if pa.types.is_struct(t):
        return pa.struct([_normalize_child(t.field(i)) for i in range(t.num_fields)])
    if pa.types.is_map(t):
        return pa.map_(normalize_type(t.key_type), _normalize_child(t.item_field))
    if pa.types.is_duration(t) or pa.types.is_interval(t) or pa.types.is_union(t):
        raise TypeError(f"{t} has no Iceberg equivalent")
    if isinstance(t, pa.ExtensionType) and t != pa.uuid():
        return normalize_type(t.storage_type)
    return t


def is_list(t: pa.DataType) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
                or pa.types.is_list_view(t) or pa.types.is_large_list_view(t))


def _normalize_child(f: pa.Field) -> pa.Field:
    return pa.field(f.name, normalize_type(f.type), f.nullable)


def _normalize_field(f: pa.Field) -> pa.Field:
    t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
    # Keep the marker when re-normalizing an already normalized schema (unify_schemas does that).
    metadata = {_INFERRED_NULL: b"true"} if pa.types.is_null(t) or _was_null(f) else None
    return pa.field(f.name, normalize_type(f.type), f.nullable, metadata=metadata)


def normalize_schema(s: pa.Schema) -> pa.Schema:
    """`s` with every type normalized and file-specific metadata (pandas, field ids) dropped."""
    return pa.schema([_normalize_field(f) for f in s])


def _was_null(f: pa.Field) -> bool:
    return bool(f.metadata) and f.metadata.get(_INFERRED_NULL) == b"true"


def check_names(file: SourceFile, names: Sequence[str]) -> None:
    """Refuse column names a table cannot hold: empty, duplicated, or equal once case is ignored (SQL engines
    and many Iceberg readers resolve names case-insensitively, so `Name` and `name` would be ambiguous)."""
    for index, name in enumerate(names):
        if not name.strip():
            raise format_error(file, f"column #{index + 1} has an empty name {name!r}: name every column")
    seen: dict[str, str] = {}
    counts = Counter(names)  # not names.count per name: quadratic, minutes on a 100,000-column header
    for name in names:
        other = seen.setdefault(name.casefold(), name)
        if other == name and counts[name] > 1:
            raise format_error(file, f"duplicate column name {name!r}")
        if other != name:
            raise format_error(file, f"columns {other!r} and {name!r} differ only by letter case, which "
                                      "queries cannot tell apart: rename one of them")


def file_schema(file: SourceFile, raw: pa.Schema) -> pa.Schema:
    """Normalize a file's raw schema, turning unsupported types and unusable names into format errors."""
    check_names(file, raw.names)
    fields = []
    for f in raw:
        try:
            fields.append(_normalize_field(f))
        except TypeError as exc:
            raise format_error(file, f"column {f.name!r}: {exc}") from exc
    return pa.schema(fields)


@dataclass
class _Column:
    field: pa.Field
    uri: str
    files: int = 1
    nullable: bool = True


def _widen(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The common type of two different normalized types, or None if they conflict."""
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return pa.int64()
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if any(p(a) for p in numeric) and any(p(b) for p in numeric):
        return pa.float64()
    return None


def unify_schemas(schemas: Sequence[tuple[SourceFile, pa.Schema]]) -> pa.Schema:
    """One schema for all files: columns by name in first-seen order, numeric types widened."""
    columns: dict[str, _Column] = {}
    for file, schema in schemas:
        for f in normalize_schema(schema):
            column = columns.get(f.name)
            if column is None:
                columns[f.name] = _Column(f, file.uri, nullable=f.nullable)
                continue
            column.files += 1
            column.nullable = column.nullable or f.nullable
            if _was_null(f) or f.type == column.field.type:
                continue
            if _was_null(column.field):
                column.field, column.uri = f, file.uri
                continue
            widened = _widen(column.field.type, f.type)
            if widened is None:
                t1, t2 = str(column.field.type), str(f.type)
                raise SchemaConflictError(
                    f"Column {f.name!r} has type {t1} in {column.uri} but {t2} in {file.uri}; files of one "
                    "import must agree on column types (only int/float widening is automatic)",
                    column=f.name, types=(t1, t2), files=(column.uri, file.uri))
            column.field, column.uri = column.field.with_type(widened), file.uri
    total = len(schemas)
    return pa.schema([
        pa.field(name, c.field.type, c.nullable or c.files < total or _was_null(c.field))
        for name, c in columns.items()
    ])
