"""CSV: pyarrow's streaming reader finds row boundaries itself (quotes, escaped quotes and newlines inside
quoted values), one bounded block at a time. No byte range is ever cut by a guess.

Empty cells: an unquoted empty cell is null in every column, as the same missing value is in Parquet or JSON
Lines; a quoted empty cell (`""`) in a text column is the empty string (`keep_empty_strings` keeps the unquoted
one as the empty string too). Any other text in a text column is kept as written, including the words pyarrow
reads as null in other columns (`NA`, `NULL`, `nan`): a country code `NA` is not a missing value. pyarrow's
null options hold for every column a reader converts, so a batch whose text columns hold an empty string
takes those columns from a second pyarrow reader over the same blocks that converts only them, with only the
unquoted empty cell as null.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
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


def _is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


class _TextColumns:
    """A file's text columns read with the text policy, batch by batch, by a second reader opened the first
    time a batch of the main reader holds an empty string in one of them: pyarrow cuts both streams into the
    same blocks (same read and parse options; which columns are converted does not change where a block ends),
    so batch `i` of one is batch `i` of the other."""

    def __init__(self, file: SourceFile, columns: list[str], read: pcsv.ReadOptions, parse: pcsv.ParseOptions):
        self._file, self._columns, self._read, self._parse = file, columns, read, parse
        self._stack = contextlib.ExitStack()
        self._reader: Iterator[pa.RecordBatch] | None = None
        self._next = 0

    def __enter__(self) -> _TextColumns:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def apply(self, index: int, batch: pa.RecordBatch) -> pa.RecordBatch:
        """`batch` with its text columns that hold an empty string replaced by their policy reading."""
        empty = [name for name in self._columns if pc.any(pc.equal(batch.column(name), "")).as_py()]
        if not empty:
            return batch
        text = self._batch(index)
        if text.num_rows != batch.num_rows:  # the invariant above; never guess which rows belong together
            raise format_error(self._file, f"block {index} read as {batch.num_rows} and {text.num_rows} rows")
        arrays = list(batch.columns)
        for name in empty:
            position = batch.schema.get_field_index(name)
            arrays[position] = text.column(name).cast(batch.schema.field(position).type)
        return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)

    def _batch(self, index: int) -> pa.RecordBatch:
        if self._reader is None:
            stream = self._stack.enter_context(open_stream(self._file))
            convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in self._columns},
                                          include_columns=self._columns, null_values=[""],
                                          strings_can_be_null=True, quoted_strings_can_be_null=False)
            self._reader = iter(pcsv.open_csv(stream, read_options=self._read, parse_options=self._parse,
                                              convert_options=convert))
        while True:
            text = next(self._reader)
            self._next += 1
            if self._next > index:
                return text


def csv_batches(file: SourceFile, target: pa.Schema, best_effort: bool,
                batch_rows: int, *, keep_empty_strings: bool = False) -> Iterator[pa.RecordBatch]:
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
    convert = pcsv.ConvertOptions(column_types=types, include_columns=include)
    text = [] if keep_empty_strings else [
        f.name for f in target if f.name in names and _is_text(f.type) and (not include or f.name in include)]
    rows = 0
    with reading(file, names), open_stream(file) as stream, _TextColumns(file, text, read, parse) as text_columns:
        try:
            reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            for index, batch in enumerate(reader):
                rows += batch.num_rows
                batch = text_columns.apply(index, batch)
                yield from sliced(iter([conform(batch)]), batch_rows)
        except pa.ArrowInvalid as exc:
            if block_too_small(exc):
                raise row_too_long(file, rows, limit) from None
            utf8 = _UTF8_RE.search(str(exc))
            if utf8 and int(utf8.group(1)) < len(names):
                raise not_utf8(file, f"column {names[int(utf8.group(1))]!r} after data row {rows}") from None
            raise
