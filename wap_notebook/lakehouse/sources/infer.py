"""A text file's schema from its first block (pyarrow's inference, dates and times typed by `temporal`, integers
beyond int64 refused), and `read_schema` for every format."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from wap_notebook.lakehouse import temporal
from wap_notebook.lakehouse.sources.bounds import block_too_small, max_csv_row_bytes, row_too_long
from wap_notebook.lakehouse.sources.dialect import parse_options, refuse_json_array
from wap_notebook.lakehouse.sources.files import SourceFile, check_not_empty, open_stream
from wap_notebook.lakehouse.sources.messages import format_error, not_utf8, reading
from wap_notebook.lakehouse.sources.schema import check_names, file_schema, is_list

_SCHEMA_BLOCK_BYTES = 1 << 20  # read_schema infers CSV/JSON types from this much of the file


# What pyarrow's CSV reader reads as null; a temporal CSV column is read as text, so these become nulls here.
_CSV_NULLS = pa.array(pcsv.ConvertOptions().null_values, pa.string())


def csv_nulls_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_in(values, _CSV_NULLS), pa.scalar(None, values.type), values)


def _with_temporal_types(file: SourceFile, schema: pa.Schema, sample: pa.RecordBatch) -> pa.Schema:
    """Type the text columns of a first block (`sample`, temporal columns read as text) with `temporal.infer`,
    so CSV and JSON Lines give the same types for the same text."""
    fields = []
    for column_field in schema:
        inferred = column_field.type
        # By name: a JSON reader given explicit columns puts them first.
        if pa.types.is_string(sample.schema.field(column_field.name).type):
            values = sample.column(column_field.name)
            if file.format == "csv":
                values = csv_nulls_to_null(values)
            try:
                found = temporal.infer(column_field.name, values.drop_null())
            except temporal.TemporalError as exc:
                raise format_error(file, str(exc)) from exc
            if found is not None:
                inferred = found
            elif temporal.is_temporal(column_field.type):
                inferred = pa.string()  # pyarrow saw a date-time our stricter rules do not accept
        fields.append(column_field.with_type(inferred))
    return pa.schema(fields)


def _first_block(file: SourceFile, types: dict[str, pa.DataType] | None = None,
                 ) -> tuple[pa.Schema, pa.RecordBatch | None]:
    """The inferred schema and first batch of a CSV/JSON file, with the given column types imposed. The block
    grows (up to the row size limit) when its first row does not fit in it."""
    types = types or {}
    limit = max_csv_row_bytes()
    size = min(_SCHEMA_BLOCK_BYTES, limit)
    while True:
        try:
            return _read_first_block(file, types, size)
        except pa.ArrowInvalid as exc:
            if not block_too_small(exc):
                raise
            if size >= limit:
                raise row_too_long(file, 0, limit) from None
            size = min(size * 4, limit)


def _read_first_block(file: SourceFile, types: dict[str, pa.DataType], size: int
                      ) -> tuple[pa.Schema, pa.RecordBatch | None]:
    with open_stream(file, size) as stream:
        if file.format == "csv":
            convert = pcsv.ConvertOptions(column_types=types)
            reader = pcsv.open_csv(stream, read_options=pcsv.ReadOptions(block_size=size),
                                   parse_options=parse_options(file), convert_options=convert)
        else:
            explicit = pa.schema(list(types.items())) if types else None
            reader = pjson.open_json(stream, read_options=pjson.ReadOptions(block_size=size),
                                     parse_options=pjson.ParseOptions(explicit_schema=explicit))
        try:
            return reader.schema, reader.read_next_batch()
        except StopIteration:
            return reader.schema, None


def _text_schema(file: SourceFile) -> pa.Schema:
    """A CSV/JSON file's schema: pyarrow's inference, with dates and times typed by `temporal`."""
    raw, sample = _first_block(file)
    check_names(file, raw.names)  # before any lookup by name
    # pyarrow types a CSV column holding bytes that are not UTF-8 as binary: that is an encoding problem.
    undecoded = [f.name for f in raw if file.format == "csv" and pa.types.is_binary(f.type)]
    if undecoded:
        raise not_utf8(file, f"column {undecoded[0]!r}")
    # Re-read pyarrow's dates and times as the text they are. Inside nested values they stay text:
    # pyarrow would make "2024-01-01" in a list a timestamp.
    nested = {f.name: _text_leaves(f.type) for f in raw if pa.types.is_nested(f.type)}
    nested = {name: t for name, t in nested.items() if t != raw.field(name).type}
    pinned = {f.name: pa.string() for f in raw if temporal.is_temporal(f.type)} | nested
    # Integers beyond int64 are inferred as double, which would drop digits: look at their text.
    floats = [f.name for f in raw if pa.types.is_floating(f.type)]
    if file.format == "csv":
        pinned |= {name: pa.string() for name in floats}
    elif floats:
        _refuse_wide_json_integers(file, floats)
    if pinned:
        raw = pa.schema([f.with_type(nested.get(f.name, f.type)) for f in raw])
        _, sample = _first_block(file, pinned)
    if sample is None:
        return raw
    for name in floats if file.format == "csv" else ():
        _refuse_wide_integers(file, name, sample.column(name))
    return _with_temporal_types(file, raw, sample)


_INTEGER_TEXT = r"^\s*[+-]?\d{19,}\s*$"  # 19+ digits: the only integers that may not fit int64


def _refuse_wide_integers(file: SourceFile, name: str, text: pa.Array) -> None:
    """Refuse a column holding an integer beyond int64 (Iceberg's widest): as a double it loses digits."""
    candidates = text.filter(pc.fill_null(pc.match_substring_regex(text, _INTEGER_TEXT), False))
    wide = [v for v in candidates.to_pylist() if not -(2**63) <= int(v) < 2**63]
    if wide:
        raise format_error(file, f"column {name!r}: {wide[0].strip()} is an integer beyond the 64-bit range "
                                  "Iceberg stores, and as a floating-point number it would lose digits: write "
                                  "such values as text (quoted)")


def _refuse_wide_json_integers(file: SourceFile, names: Sequence[str]) -> None:
    """The same for JSON Lines, whose reader gives no number text: look for the literals in the first block."""
    with open_stream(file, _SCHEMA_BLOCK_BYTES) as stream:
        block = stream.read(_SCHEMA_BLOCK_BYTES)
    for name in names:
        key = re.escape(json.dumps(name).encode())
        literals = re.findall(key + rb"\s*:\s*(-?\d{19,})(?![\d.eE])", block)
        if literals:
            _refuse_wide_integers(file, name, pa.array([v.decode() for v in literals]))


def _text_leaves(t: pa.DataType) -> pa.DataType:
    """`t` with every date/time/timestamp inside it replaced by string."""
    if temporal.is_temporal(t):
        return pa.string()
    if is_list(t):
        return pa.list_(t.value_field.with_type(_text_leaves(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([t.field(i).with_type(_text_leaves(t.field(i).type)) for i in range(t.num_fields)])
    return t


def read_schema(file: SourceFile) -> pa.Schema:
    """The normalized schema of `file`, reading as little as possible (Parquet footer, first CSV/JSON block)."""
    check_not_empty(file)
    with reading(file):
        if file.format == "parquet":
            with file.filesystem.open_input_file(file.path) as handle:
                raw = pq.ParquetFile(handle, coerce_int96_timestamp_unit="us").schema_arrow
        elif file.format in ("csv", "jsonl"):
            if file.format == "jsonl":
                refuse_json_array(file)
            raw = _text_schema(file)
        else:
            raise format_error(file, f"unknown format {file.format!r}")
    return file_schema(file, raw)
