"""Parquet: the footer's schema and row groups, read in batches with column chunks pre-buffered."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from wap_notebook.lakehouse.sources.conform import Conformer
from wap_notebook.lakehouse.sources.files import SourceFile
from wap_notebook.lakehouse.sources.messages import reading


def parquet_batches(file: SourceFile, target: pa.Schema | None, best_effort: bool,
                     batch_rows: int) -> Iterator[pa.RecordBatch]:
    with reading(file), file.filesystem.open_input_file(file.path) as handle:
        # pre_buffer coalesces a row group's column chunks into few large reads: essential on S3.
        parquet = pq.ParquetFile(handle, pre_buffer=True, coerce_int96_timestamp_unit="us")
        source = parquet.schema_arrow
        conform = Conformer(file, source, target, best_effort)
        columns = None if target is None else [n for n in source.names if target.get_field_index(n) >= 0]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True):
            yield conform(batch)
