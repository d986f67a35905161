"""CSV: pyarrow's streaming reader finds row boundaries itself (quotes, escaped quotes and newlines inside
quoted values), one bounded block at a time. No byte range is ever cut by a guess."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pcsv

from wap_notebook.lakehouse import temporal
from wap_notebook.lakehouse.sources.bounds import block_too_small, max_csv_row_bytes, row_too_long
from wap_notebook.lakehouse.sources.conform import Conformer, sliced
from wap_notebook.lakehouse.sources.dialect import parse_options, refuse_bad_header_text
from wap_notebook.lakehouse.sources.files import STREAM_BUFFER_BYTES, SourceFile, open_stream
from wap_notebook.lakehouse.sources.messages import describe, format_error, not_utf8, reading
from wap_notebook.lakehouse.sources.schema import file_schema

_HEADER_PROBE_BYTES = 64 << 10
_UTF8_RE = re.compile(r"In CSV column #(\d+): CSV conversion error to string: invalid UTF8")


def _csv_header(file: SourceFile, limit: int) -> tuple[list[str], bool]:
    """Column names from the header, parsed by pyarrow's streaming reader itself (same quoting rules, BOM
    handling), and whether the file holds rows after it. The first block grows until the header fits in it,
    up to `limit` bytes."""
    size = min(_HEADER_PROBE_BYTES, limit)
    while True:
        read = pcsv.ReadOptions(block_size=size)
        parse = parse_options(file)
        convert = pcsv.ConvertOptions(strings_can_be_null=False)
        with open_stream(file, min(size, STREAM_BUFFER_BYTES)) as stream:
            try:
                reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
                first = next(iter(reader), None)
                refuse_bad_header_text(file, reader.schema.names)
                return reader.schema.names, first is not None and first.num_rows > 0
            except pa.ArrowInvalid as exc:
                if not block_too_small(exc):
                    raise format_error(file, describe(exc)) from None
        if size >= limit:
            raise row_too_long(file, 0, limit)
        size = min(size * 4, limit)


def csv_batches(file: SourceFile, target: pa.Schema, best_effort: bool,
                 batch_rows: int) -> Iterator[pa.RecordBatch]:
    limit = max_csv_row_bytes()
    names, has_rows = _csv_header(file, limit)
    header = file_schema(file, pa.schema([(n, pa.null()) for n in names]))  # rejects duplicate names
    conform = Conformer(file, header, target, best_effort)  # fails on extra columns before parsing
    if not has_rows:
        return
    include = [n for n in names if target.get_field_index(n) >= 0] if best_effort else []
    # Every column's type is pinned up front so no block can infer something else. Dates, times and
    # timestamps are read as text and parsed by `temporal` (exact, same rules as JSON Lines).
    types = {f.name: pa.string() if temporal.is_temporal(f.type) else f.type for f in target if f.name in names}
    read = pcsv.ReadOptions(use_threads=True, block_size=limit)
    parse = parse_options(file)
    # One empty-value policy across formats: an empty cell (or one of pyarrow's null markers) is null in text
    # columns too, as in every other column and as pandas reads it, so the same rows give the same nulls as
    # Parquet / JSON Lines. Quoted `""` is null as well: pyarrow's `quoted_strings_can_be_null=False` holds
    # for every column, so it would refuse the quoted empty numbers that quote-everything writers produce.
    convert = pcsv.ConvertOptions(column_types=types, include_columns=include, strings_can_be_null=True)
    rows = 0
    with reading(file, names), open_stream(file) as stream:
        try:
            reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
                yield from sliced(iter([conform(batch)]), batch_rows)
        except pa.ArrowInvalid as exc:
            if block_too_small(exc):
                raise row_too_long(file, rows, limit) from None
            utf8 = _UTF8_RE.search(str(exc))
            if utf8 and int(utf8.group(1)) < len(names):
                raise not_utf8(file, f"column {names[int(utf8.group(1))]!r} after data row {rows}") from None
            raise
