"""JSON Lines: pyarrow's streaming JSON reader over chunks read ahead, with the target's columns declared so no
later block can drift."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.json as pjson

from wap_notebook.lakehouse.errors import (
    SourceFormatError,
)
from wap_notebook.lakehouse.sources.conform import Conformer, sliced
from wap_notebook.lakehouse.sources.dialect import refuse_json_array
from wap_notebook.lakehouse.sources.files import ChunkReader, SourceFile, open_stream, raw_chunks
from wap_notebook.lakehouse.sources.messages import format_error, reading, wide_integer_problem
from wap_notebook.lakehouse.sources.schema import is_list

_JSON_BLOCK_BYTES = 4 << 20
_JSON_READ_BYTES = 32 << 20  # raw read size under the JSON reader (one S3 GET each)
_JSON_WIDE_RE = re.compile(r"Failed to convert JSON to int64, couldn't parse:\s*(-?\d{19,})")


def _wide_json_integer(file: SourceFile, exc: BaseException) -> SourceFormatError | None:
    """pyarrow's JSON reader names neither the column nor the reason when an integer column meets a value
    beyond int64 after the first block: find the key holding that literal (error path only) and say so."""
    match = _JSON_WIDE_RE.search(str(exc))
    if match is None or -(2**63) <= int(match.group(1)) < 2**63:
        return None
    literal = match.group(1).encode()
    pattern = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*' + re.escape(literal) + rb"(?![\d.eE])")
    where = "a column"
    with reading(file), open_stream(file) as stream:
        tail = b""
        while chunk := stream.read(_JSON_READ_BYTES):
            found = pattern.search(tail + chunk)
            if found:
                key = json.loads(b'"' + found.group(1) + b'"')
                where = f"column {key!r}"
                break
            tail = (tail + chunk)[-4096:]
    return format_error(file, f"{where}: {wide_integer_problem(match.group(1))}")


def json_batches(file: SourceFile, target: pa.Schema, best_effort: bool,
                  batch_rows: int) -> Iterator[pa.RecordBatch]:
    refuse_json_array(file)
    maps = [f.name for f in target if _holds_map(f.type)]
    if maps:  # the JSON parser cannot fill a map type; say so instead of its "changed from array to object"
        raise format_error(file, f"column {maps[0]!r} is a map in the table, and JSON Lines objects can only "
                                  "be imported into struct columns (or import this data from Parquet)")
    # Declare the target columns so later blocks cannot drift from the first block's inference, and so
    # columns first seen after the first block are still accepted.
    explicit = pa.schema([pa.field(f.name, _json_reader_type(f.type)) for f in target])
    parse = pjson.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="ignore" if best_effort else "infer")
    read = pjson.ReadOptions(use_threads=True, block_size=_JSON_BLOCK_BYTES)
    # Large raw reads fetched ahead in a thread: on S3 every buffer refill is one GET, and with 4 MiB buffers
    # read in line the request overhead made imports from S3 ~4x slower than from a local path.
    with reading(file), raw_chunks(file, _JSON_READ_BYTES) as chunks:
        try:
            reader = pjson.open_json(ChunkReader(chunks), read_options=read, parse_options=parse)
            if not best_effort and any(target.get_field_index(n) < 0 for n in reader.schema.names):
                raise _unknown_key(file, target)
            conform = Conformer(file, reader.schema, target, best_effort)
            yield from sliced((conform(b) for b in reader), batch_rows)
        except pa.ArrowInvalid as exc:
            if "unexpected field" in str(exc):  # a later block holds a key the first did not
                raise _unknown_key(file, target) from None
            wide = _wide_json_integer(file, exc)
            if wide is None:
                raise
            raise wide from exc


def _unknown_key(file: SourceFile, target: pa.Schema) -> SourceFormatError:
    """Name the first key that is not a column of `target`, and its line (error path only: pyarrow says just
    "unexpected field" when it is first seen after the first block)."""
    where = "a key"
    with reading(file), open_stream(file) as stream:
        for number, line in enumerate(io.BufferedReader(stream, 1 << 20), 1):
            record = json.loads(line) if line.strip() else {}
            unknown = [key for key in record if target.get_field_index(key) < 0] if isinstance(record, dict) else []
            if unknown:
                where = f"key {unknown[0]!r} (line {number:,})"
                break
    return format_error(file, f"{where} is not a column of the table {target.names}. A new table takes its "
                              "columns from the first MiB of each file, so a key first seen later is not among "
                              "them: put a row holding every key first, convert the file to Parquet, or import "
                              "with best_effort=True to leave such keys out")


def _holds_map(t: pa.DataType) -> bool:
    if pa.types.is_map(t):
        return True
    if is_list(t):
        return _holds_map(t.value_type)
    return pa.types.is_struct(t) and any(_holds_map(t.field(i).type) for i in range(t.num_fields))


def _json_reader_type(t: pa.DataType) -> pa.DataType:
    """What the JSON parser should produce for a target type; it only converts JSON scalars to these
    directly, anything else (dates, times, binary) is read as string and cast afterwards."""
    # Timestamps are read as strings and cast afterwards: the JSON parser rejects fractional seconds.
    if (pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t) or pa.types.is_nested(t) or pa.types.is_decimal(t)):
        return t
    return pa.string()
