"""CSV: pyarrow's streaming reader finds row boundaries itself (quotes, escaped quotes and newlines inside
quoted values), one bounded block at a time. No byte range is ever cut by a guess."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pcsv

from wap_notebook.lakehouse import temporal
from wap_notebook.lakehouse.sources.bounds import max_csv_row_bytes, row_too_long
from wap_notebook.lakehouse.sources.conform import Conformer, sliced
from wap_notebook.lakehouse.sources.files import STREAM_BUFFER_BYTES, SourceFile, open_stream
from wap_notebook.lakehouse.sources.messages import describe, format_error, reading
from wap_notebook.lakehouse.sources.schema import file_schema

_HEADER_PROBE_BYTES = 64 << 10


def _csv_header(file: SourceFile, limit: int) -> tuple[list[str], bool]:
    """Column names from the header, parsed by pyarrow's streaming reader itself (same quoting rules, BOM
    handling), and whether the file holds rows after it. The first block grows until the header fits in it,
    up to `limit` bytes."""
    size = min(_HEADER_PROBE_BYTES, limit)
    while True:
        read = pcsv.ReadOptions(block_size=size)
        parse = pcsv.ParseOptions(newlines_in_values=True)
        convert = pcsv.ConvertOptions(strings_can_be_null=False)
        with open_stream(file, min(size, STREAM_BUFFER_BYTES)) as stream:
            try:
                reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
                first = next(iter(reader), None)
                return reader.schema.names, first is not None and first.num_rows > 0
            except pa.ArrowInvalid as exc:
                if "straddling" not in str(exc) and "block size" not in str(exc):
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
    parse = pcsv.ParseOptions(newlines_in_values=True)
    convert = pcsv.ConvertOptions(column_types=types, include_columns=include)
    rows = 0
    with reading(file, names), open_stream(file) as stream:
        try:
            reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
                yield from sliced(iter([conform(batch)]), batch_rows)
        except pa.ArrowInvalid as exc:
            if "straddling" in str(exc) or "block size" in str(exc):
                raise row_too_long(file, rows, limit) from None
            raise
