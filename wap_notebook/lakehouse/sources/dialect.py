"""What a text file is before its rows are parsed: the CSV delimiter, whether the text is UTF-8, and whether a
`.json` file is JSON Lines or one JSON array. Decided by pyarrow's own parser on the file's first bytes, never by
a hand-written one; what cannot be decided reliably is refused with the way out."""

from __future__ import annotations

import csv
import functools

import pyarrow as pa
import pyarrow.csv as pcsv

from wap_notebook.lakehouse.sources.bounds import max_columns, max_csv_row_bytes
from wap_notebook.lakehouse.sources.files import SourceFile, open_stream
from wap_notebook.lakehouse.sources.messages import format_error, not_utf8

_PROBE_BYTES = 64 << 10  # the delimiter is decided on this much of the file (whole rows of it)
# Delimiters other than "," found in exported files (Excel in many locales, database dumps). A file is read
# with one of them only when "," gives a single column and exactly one of them gives a consistent table.
_OTHER_DELIMITERS = (";", "\t", "|")
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_BOM = b"\xef\xbb\xbf"


def _head(file: SourceFile) -> bytes:
    with open_stream(file, _PROBE_BYTES) as stream:
        return bytes(stream.read(_PROBE_BYTES))


def _columns(sample: bytes, delimiter: str) -> int | None:
    """How many columns pyarrow finds in `sample` with `delimiter`, or None if the rows do not agree."""
    parse = pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pcsv.ConvertOptions(column_types={}, strings_can_be_null=False)
    try:
        table = pcsv.read_csv(pa.py_buffer(sample), parse_options=parse, convert_options=convert,
                              read_options=pcsv.ReadOptions(use_threads=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return int(table.num_columns)


@functools.lru_cache(maxsize=64)
def csv_delimiter(file: SourceFile) -> str:
    """The file's delimiter: "," unless "," yields no table of several columns and exactly one of `;`, tab, `|` yields a
    consistent table of several. Two candidates that both fit are refused as ambiguous."""
    head = _head(file)
    sample = head if len(head) < _PROBE_BYTES else head[:head.rfind(b"\n") + 1] or head
    first_line = sample.split(b"\n", 1)[0]
    if (_columns(sample, ",") or 1) > 1 or not any(d.encode() in first_line for d in _OTHER_DELIMITERS):
        return ","
    fits = [d for d in _OTHER_DELIMITERS if d.encode() in first_line and (_columns(sample, d) or 0) > 1]
    if len(fits) > 1:
        raise format_error(file, f"the header has no ',' and could be split by {' or '.join(_NAMES[d] for d in fits)}"
                                 ": re-save the file with ',' as the delimiter")
    return fits[0] if fits else ","


def _refuse_wide_header(file: SourceFile, delimiter: str) -> None:
    """Refuse a header with more than `max_columns()` columns before pyarrow builds a column for each. The
    delimiters of the first line bound the count from above; only past the limit is the line parsed (by the
    standard library's csv module, same quoting rules) to count exactly."""
    limit, width = max_columns(), max_csv_row_bytes()
    line = b""
    with open_stream(file, _PROBE_BYTES) as stream:
        while b"\n" not in line and len(line) < width and (chunk := stream.read(_PROBE_BYTES)):
            line += chunk
    line = line.split(b"\n", 1)[0][:width]
    if line.count(delimiter.encode()) < limit:
        return
    csv.field_size_limit(width)
    fields = next(csv.reader([line.decode("utf-8", "replace")], delimiter=delimiter), [])
    if len(fields) > limit:
        raise format_error(file, f"the header has {len(fields):,} columns, more than the {limit:,} a table may have "
                                 "(set WAP_MAX_COLUMNS to raise the limit), or the file is not a CSV table")


@functools.lru_cache(maxsize=64)
def parse_options(file: SourceFile) -> pcsv.ParseOptions:
    """The CSV parse options for `file`: its delimiter, and quoted values may hold newlines. A header wider than
    the column limit is refused here, before any parse."""
    delimiter = csv_delimiter(file)
    _refuse_wide_header(file, delimiter)
    return pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)


def refuse_bad_header_text(file: SourceFile, names: list[str]) -> None:
    """pyarrow replaces undecodable bytes in header names with U+FFFD: refuse instead of renaming columns."""
    if any("\ufffd" in name for name in names) and b"\xef\xbf\xbd" not in _head(file):
        raise not_utf8(file, "the header")


def refuse_json_array(file: SourceFile) -> None:
    """A `.json` file holding one JSON array is not JSON Lines; pyarrow's message ("changed from object to
    array") does not say so."""
    head = _head(file)
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    if head.lstrip()[:1] == b"[":
        raise format_error(file, "the file holds one JSON array ([{...}, {...}]), not JSON Lines (one object per "
                                 "line): convert it, e.g. `jq -c '.[]' in.json > out.jsonl`, and import that")
