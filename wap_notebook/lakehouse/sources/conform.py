"""Batches from a reader to exactly the table's schema: which casts are lossless (done) and which would change
values (refused, naming file, column, both types and an example)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from wap_notebook.lakehouse import temporal
from wap_notebook.lakehouse.sources.files import SourceFile
from wap_notebook.lakehouse.sources.infer import csv_nulls_to_null
from wap_notebook.lakehouse.sources.messages import describe, format_error
from wap_notebook.lakehouse.sources.schema import file_schema, normalize_type


@dataclass(frozen=True)
class _Step:
    """How to produce one output column: take source column `index` (or nulls) and cast it if needed."""

    name: str
    index: int | None
    cast_to: pa.DataType | None
    safe: bool
    required: bool


_INT64_MAX = 2**63 - 1
_UNIT_NAMES = {"s": "second", "ms": "millisecond", "us": "microsecond", "ns": "nanosecond"}


def _loss(name: str, array: pa.Array, target: pa.DataType) -> str | None:
    """Why a safe cast of `array` to `target` failed, counting the values that would change, if we know."""
    source = array.type
    if (pa.types.is_timestamp(source) and pa.types.is_timestamp(target)
            or pa.types.is_time(source) and pa.types.is_time(target)):
        truncated = array.cast(target, safe=False).cast(source)
        lost = pc.sum(pc.not_equal(truncated, array)).as_py() or 0
        if lost:
            return (f"column {name!r}: {lost} value(s) have digits below the {_UNIT_NAMES[target.unit]}, which "
                    f"Iceberg cannot hold (e.g. {pc.min(array.filter(pc.not_equal(truncated, array)))}); "
                    "round them before importing")
    if pa.types.is_unsigned_integer(source) and pa.types.is_integer(target):
        limit = pa.scalar(_INT64_MAX if target == pa.int64() else 2**31 - 1, source)
        too_big = pc.sum(pc.greater(array, limit)).as_py() or 0
        if too_big:
            return (f"column {name!r}: {too_big} {source} value(s) are larger than the largest {target} Iceberg "
                    f"can store (e.g. {pc.max(array).as_py()}); store them as decimal or string")
    return None


def _widening(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether a typed file's `source` column may go into a `target` column: the same kind of value, never
    narrower in what it can say (int32 -> int64, float32 -> float64, int32 -> float64, string -> large string,
    timestamp unit or zone, date32 <-> date64, decimals, nested types field by field). A bool is not an
    integer, a timestamp is not text, text is not a number: those are refused, never cast silently. Values
    the cast would still change (an unsigned integer too large, nanoseconds) are refused by the cast itself."""
    t = pa.types
    if source == target or t.is_null(source):
        return True
    if t.is_dictionary(source):
        return _widening(source.value_type, target)
    if t.is_integer(source):
        return bool(t.is_integer(target)
                    or (t.is_floating(target) and source.bit_width <= 32 and target.bit_width == 64)
                    or (t.is_decimal(target) and source.bit_width <= 64))
    if t.is_floating(source):
        return bool(t.is_floating(target) and target.bit_width >= source.bit_width)
    if t.is_decimal(source):
        return bool(t.is_decimal(target) and target.scale >= source.scale
                    and target.precision - target.scale >= source.precision - source.scale)
    if t.is_string(source) or t.is_large_string(source):
        return bool(t.is_string(target) or t.is_large_string(target))
    if t.is_binary(source) or t.is_large_binary(source) or t.is_fixed_size_binary(source):
        return bool(t.is_binary(target) or t.is_large_binary(target))
    if t.is_timestamp(source):
        return bool(t.is_timestamp(target))
    if t.is_date(source):
        return bool(t.is_date(target))
    if t.is_time(source):
        return bool(t.is_time(target))
    if t.is_boolean(source):
        return bool(t.is_boolean(target))
    if t.is_nested(source):
        return bool(t.is_nested(target) and type(source) is type(target))
    return False


def _example(array: pa.Array) -> str:
    values = array.drop_null()
    return repr(values[0].as_py()) if len(values) else "(only nulls)"


class Conformer:
    """Turns a reader's batches into batches of exactly `schema` (the target or the normalized file schema)."""

    def __init__(self, file: SourceFile, source: pa.Schema, target: pa.Schema | None, best_effort: bool):
        self.file = file
        # Parquet types are checked column by column (CSV/JSON text types are always storable).
        self._check_types = target is not None and file.format == "parquet"
        if target is None:
            self.schema = file_schema(file, source)
        else:
            self.schema = target
            extras = [name for name in source.names if target.get_field_index(name) < 0]
            if extras and not best_effort:
                raise format_error(file, f"column(s) {', '.join(map(repr, extras))} are not in the table "
                                          f"schema {target.names}")
        self._source: pa.Schema | None = None
        self._steps: list[_Step] = []
        self._refused: list[tuple[str, pa.DataType, pa.DataType]] = []

    def _plan(self, source: pa.Schema) -> None:
        self._source, self._steps, self._refused = source, [], []
        for f in self.schema:
            index = source.get_field_index(f.name)
            if index < 0 and not f.nullable:
                raise format_error(self.file, f"required column {f.name!r} is missing")
            source_type = source.field(index).type if index >= 0 else None
            if source_type is not None and self._check_types:
                try:  # a type Iceberg cannot hold (e.g. a zone name) is refused even when the table has the column
                    normalize_type(source_type)
                except TypeError as exc:
                    raise format_error(self.file, f"column {f.name!r}: {exc}") from exc
            cast_to = f.type if source_type is not None and source_type != f.type else None
            if cast_to is not None and self._check_types and not _widening(source_type, f.type):
                self._refused.append((f.name, source_type, f.type))
            self._steps.append(_Step(f.name, index if index >= 0 else None, cast_to, True, not f.nullable))

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self._source is None or not batch.schema.equals(self._source):
            self._plan(batch.schema)
        if self._refused:
            name, source_type, target_type = self._refused[0]
            raise format_error(self.file, f"column {name!r} holds {source_type} values (e.g. "
                                           f"{_example(batch.column(batch.schema.get_field_index(name)))}) and the "
                                           f"table's column is {target_type}: a {source_type} is not converted to "
                                           f"{target_type} silently; convert the column in the file, or import it "
                                           "into a new table")
        arrays = []
        for step in self._steps:
            arrays.append(self._column(batch, step))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _column(self, batch: pa.RecordBatch, step: _Step) -> pa.Array:
        field_type = self.schema.field(step.name).type
        if step.index is None:
            return pa.nulls(batch.num_rows, field_type)
        array = batch.column(step.index)
        if step.cast_to is not None and pa.types.is_string(array.type) and temporal.is_temporal(step.cast_to):
            if self.file.format == "csv":
                array = csv_nulls_to_null(array)
            try:
                array = temporal.parse(step.name, array, step.cast_to)
            except temporal.TemporalError as exc:
                raise format_error(self.file, str(exc)) from exc
        elif step.cast_to is not None:
            try:
                array = array.cast(step.cast_to, safe=step.safe)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                loss = _loss(step.name, array, step.cast_to)
                raise format_error(self.file, loss or f"column {step.name!r}: cannot convert {array.type} to "
                                                       f"{step.cast_to}: {describe(exc)}") from exc
        if step.required and array.null_count:
            raise format_error(self.file, f"required column {step.name!r} has {array.null_count} null value(s)")
        return array


def sliced(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Cap batch length at `rows` (zero-copy slices)."""
    for batch in batches:
        if batch.num_rows <= rows:
            yield batch
        else:
            for offset in range(0, batch.num_rows, rows):
                yield batch.slice(offset, rows)
