"""Finding and reading the source files of an import: S3 objects or local files in Parquet, CSV or JSON Lines.

`resolve` turns a search URI (with `*`, `**`, `?`, `[...]` globs) into a sorted list of `SourceFile`s,
`read_schema` reads a file's schema cheaply (Parquet footer, first CSV/JSON block), `unify_schemas`
merges the schemas of all matched files, and `iter_batches` streams a file's rows as Arrow record batches
that conform to a target schema. Every failure is one of the `SourceError` classes of `errors.py`, with the
offending URI (never credentials) in the message. Types are normalized to what PyIceberg can store.

One job per module: `locate` (URIs, globs, filesystems), `files` (a file's bytes, streamed and bounded),
`bounds` (row and decompression limits), `schema` (type normalisation and unification), `infer` (a text
file's schema from its first block), `conform` (batches to a target schema: the cast policy), one reader
per format (`csv_reader`, `json_reader`, `parquet_reader`) and `messages` (errors naming the file, scrubbed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import pyarrow as pa

from wap_notebook.lakehouse.sources.bounds import MAX_ROW_BYTES, max_csv_row_bytes
from wap_notebook.lakehouse.sources.csv_reader import csv_batches
from wap_notebook.lakehouse.sources.files import SourceFile, check_not_empty
from wap_notebook.lakehouse.sources.infer import read_schema
from wap_notebook.lakehouse.sources.json_reader import json_batches
from wap_notebook.lakehouse.sources.locate import resolve
from wap_notebook.lakehouse.sources.messages import format_error
from wap_notebook.lakehouse.sources.parquet_reader import parquet_batches
from wap_notebook.lakehouse.sources.schema import normalize_schema, normalize_type, unify_schemas

__all__ = [
    "CSV_EMPTY_STRINGS",
    "MAX_ROW_BYTES",
    "CsvEmptyStrings",
    "SourceFile",
    "iter_batches",
    "max_csv_row_bytes",
    "normalize_schema",
    "normalize_type",
    "read_schema",
    "resolve",
    "unify_schemas",
]


#: An unquoted empty CSV cell in a text column: null (the default, as the same missing value in Parquet and JSON
#: Lines), or kept as the empty string.
CsvEmptyStrings = Literal["null", "keep"]
CSV_EMPTY_STRINGS: tuple[CsvEmptyStrings, ...] = ("null", "keep")


def iter_batches(file: SourceFile, target: pa.Schema | None = None, *, best_effort: bool = False,
                 batch_rows: int = 131_072, csv_empty_strings: CsvEmptyStrings = "null",
                 ) -> Iterator[pa.RecordBatch]:
    """Stream `file` as record batches of at most `batch_rows` rows, each with exactly `target`'s schema
    (or the file's normalized schema). Columns not in `target` are an error unless `best_effort`.
    `csv_empty_strings` says what an unquoted empty CSV cell in a text column is (`CsvEmptyStrings`)."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be positive, got {batch_rows}")
    check_not_empty(file)
    readers: dict[str, Callable[..., Iterator[pa.RecordBatch]]] = {
        "parquet": parquet_batches, "csv": csv_batches, "jsonl": json_batches,
    }
    reader = readers.get(file.format)
    if reader is None:
        raise format_error(file, f"unknown format {file.format!r}")
    if target is None and file.format != "parquet":
        # CSV/JSON types are inferred; pin them to what read_schema reports (one more first-block read) so
        # untargeted batches always match read_schema and later blocks cannot drift.
        target = read_schema(file)
    if file.format == "csv":
        return csv_batches(file, target, best_effort, batch_rows, keep_empty_strings=csv_empty_strings == "keep")
    return reader(file, target, best_effort, batch_rows)
