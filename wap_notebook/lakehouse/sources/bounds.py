"""The limits that keep a reader's memory bounded whatever the file: the longest row, and how far a compressed
file may expand."""

from __future__ import annotations

import os

from wap_notebook.lakehouse.errors import (
    SourceFormatError,
)
from wap_notebook.lakehouse.sources.files import SourceFile
from wap_notebook.lakehouse.sources.messages import format_error

MAX_ROW_BYTES = 16 << 20  # the longest CSV row by default (see max_csv_row_bytes)


def max_csv_row_bytes() -> int:
    """The longest CSV row (header included) a file may hold: the reader's block size, so memory stays bounded
    by a few blocks whatever the file. `WAP_MAX_ROW_BYTES` overrides the default (16 MiB)."""
    raw = os.environ.get("WAP_MAX_ROW_BYTES")
    try:
        value = int(raw) if raw else MAX_ROW_BYTES
    except ValueError:
        raise ValueError(f"WAP_MAX_ROW_BYTES must be a number of bytes; got {raw!r}") from None
    return max(value, 1 << 10)


def row_too_long(file: SourceFile, rows_before: int, limit: int) -> SourceFormatError:
    return format_error(file, f"a row after data row {rows_before} is longer than {limit:,} bytes (the limit on one "
                               "CSV row; set WAP_MAX_ROW_BYTES to raise it), or a quote is never closed")
