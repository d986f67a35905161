"""Parquet: the footer's schema and row groups, read in batches with column chunks pre-buffered."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wap_notebook.lakehouse.sources.conform import Conformer
from wap_notebook.lakehouse.sources.files import SourceFile
from wap_notebook.lakehouse.sources.messages import format_error, reading


def parquet_batches(file: SourceFile, target: pa.Schema | None, best_effort: bool,
                    batch_rows: int) -> Iterator[pa.RecordBatch]:
    with reading(file), file.filesystem.open_input_file(file.path) as handle:
        # pre_buffer coalesces a row group's column chunks into few large reads: essential on S3.
        parquet = pq.ParquetFile(handle, pre_buffer=True, coerce_int96_timestamp_unit="us")
        source = parquet.schema_arrow
        conform = Conformer(file, source, target, best_effort)
        columns = None if target is None else [n for n in source.names if target.get_field_index(n) >= 0]
        batches = parquet.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True)
        int96 = _int96_columns(parquet, columns)
        if not int96:
            for batch in batches:
                yield conform(batch)
            return
        with file.filesystem.open_input_file(file.path) as again:
            roots = list(dict.fromkeys(path[0] for path in int96))
            nanos = pq.ParquetFile(again, coerce_int96_timestamp_unit="ns").iter_batches(
                batch_size=batch_rows, columns=roots, use_threads=True)
            for batch, exact in zip(batches, nanos, strict=True):
                for path in int96:
                    _refuse_sub_microsecond(file, ".".join(path), _leaf(batch, path), _leaf(exact, path))
                yield conform(batch)


def _int96_columns(parquet: pq.ParquetFile, columns: Sequence[str] | None) -> list[tuple[str, ...]]:
    """Columns stored as INT96 (legacy Spark/Impala timestamps, nanosecond precision), top-level or inside
    structs, as field-name paths. Parquet's leaf columns come in the Arrow schema's depth-first leaf order, so
    the two are paired by position (a dotted Parquet path is ambiguous when names hold dots)."""
    leaves = _arrow_leaves(parquet.schema_arrow)
    schema = parquet.schema
    return [path for i, path in enumerate(leaves)
            if path is not None and schema.column(i).physical_type == "INT96"
            and (columns is None or path[0] in columns)]


def _arrow_leaves(schema: pa.Schema) -> list[tuple[str, ...] | None]:
    """One entry per Parquet leaf column: its path through structs, or None below a list or map (values there
    are not checked: INT96 inside lists is not written by Spark or Impala)."""
    leaves: list[tuple[str, ...] | None] = []

    def walk(data_type: pa.DataType, path: tuple[str, ...] | None) -> None:
        if pa.types.is_struct(data_type):
            for child in data_type:
                walk(child.type, None if path is None else (*path, child.name))
        elif pa.types.is_map(data_type):
            walk(data_type.key_type, None)
            walk(data_type.item_type, None)
        elif pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or \
                pa.types.is_fixed_size_list(data_type):
            walk(data_type.value_type, None)
        else:
            leaves.append(path)

    for field in schema:
        walk(field.type, (field.name,))
    return leaves


def _leaf(batch: pa.RecordBatch, path: tuple[str, ...]) -> pa.Array:
    array = batch.column(path[0])
    for name in path[1:]:
        array = pc.struct_field(array, name)  # respects the parent's offset; values under a null are null
    return array


def _refuse_sub_microsecond(file: SourceFile, name: str, micros: pa.Array, nanos: pa.Array) -> None:
    """INT96 values are read as microseconds (the full date range); the same values read as nanoseconds wrap
    around outside 1677-2262, but always agree with 1000 x micros + the lost nanoseconds modulo 2**64. So a
    nonzero difference is exactly a value with digits below the microsecond, which Iceberg cannot hold: refused
    like an int64 nanosecond column, never truncated."""
    us = pc.fill_null(micros.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    ns = pc.fill_null(nanos.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    with np.errstate(over="ignore"):
        below = (ns - us * np.int64(1000)).astype(np.uint64) % np.uint64(1000)
    lost = np.flatnonzero(below)
    if len(lost):
        first = int(lost[0])
        raise format_error(file, f"column {name!r}: {len(lost)} INT96 timestamp value(s) have digits below the "
                                 f"microsecond, which Iceberg cannot hold (e.g. {micros[first]} and "
                                 f"{int(below[first])} ns); round them before importing")
