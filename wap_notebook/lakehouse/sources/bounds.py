"""The limits that keep a reader's memory bounded whatever the file: the longest row, and how far a compressed
file may expand."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wap_notebook.lakehouse.errors import (
    SourceFormatError,
)
from wap_notebook.lakehouse.sources.messages import format_error

if TYPE_CHECKING:  # files.py applies the expansion bound: the class for types only
    from wap_notebook.lakehouse.sources.files import SourceFile

MAX_ROW_BYTES = 16 << 20  # the longest CSV row by default (see max_csv_row_bytes)
# The most columns a CSV header may declare by default. Each column costs the parser a builder per block and
# the table a field: a 100,000-column header took minutes and a GiB before it was bounded.
MAX_COLUMNS = 10_000


def _setting(name: str, default: int, floor: int) -> int:
    raw = os.environ.get(name)
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number; got {raw!r}") from None
    return max(value, floor)

# Deflate cannot expand more than ~1,032 times; CSV and JSON text compresses 3-20 times, highly repetitive
# columns a little over 100. Past a first stretch that any file may use, a compressed file that keeps expanding
# faster than this is refused as a decompression bomb rather than read for minutes.
MAX_EXPANSION = 200
FREE_EXPANSION_BYTES = 256 << 20


def max_expansion() -> int:
    """How many times its compressed size a file may decompress to: `WAP_MAX_EXPANSION` (default 200)."""
    return _setting("WAP_MAX_EXPANSION", MAX_EXPANSION, 1)


def max_columns() -> int:
    """The most columns a CSV file may have: `WAP_MAX_COLUMNS` overrides the default (10,000)."""
    return _setting("WAP_MAX_COLUMNS", MAX_COLUMNS, 1)


def max_csv_row_bytes() -> int:
    """The longest CSV row (header included) a file may hold: the reader's block size, so memory stays bounded
    by a few blocks whatever the file. `WAP_MAX_ROW_BYTES` overrides the default (16 MiB)."""
    return _setting("WAP_MAX_ROW_BYTES", MAX_ROW_BYTES, 1 << 10)


def block_too_small(exc: BaseException) -> bool:
    """Whether pyarrow failed because a row (or the header) does not fit in one block: it says "straddling
    object", "try to increase block size" or, for a header longer than the block, "Empty CSV file or block"."""
    text = str(exc)
    return "straddling" in text or "block size" in text or "Empty CSV file or block" in text


def too_expanded(file: SourceFile, produced: int, ratio: int) -> SourceFormatError:
    return format_error(file, f"it decompresses to more than {ratio} times its size ({produced:,} bytes from "
                              f"{file.size:,}), which looks like a decompression bomb; set WAP_MAX_EXPANSION to "
                              "raise the limit if the data is really this repetitive")


def row_too_long(file: SourceFile, rows_before: int, limit: int) -> SourceFormatError:
    return format_error(file, f"a row after data row {rows_before} is longer than {limit:,} bytes (the limit on one "
                               "CSV row; set WAP_MAX_ROW_BYTES to raise it), or a quote is never closed")
