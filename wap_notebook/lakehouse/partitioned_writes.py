"""Imports into partitioned tables, streamed: PyIceberg's writer splits rows by the partition spec one bounded
chunk at a time (a data file of a partitioned table must hold one partition, which the plain writer in
`tables.DataFileWriter` cannot ensure), and the data files of a whole import are committed in one snapshot by
`tables.commit_files`, as for unpartitioned tables.

Memory holds one chunk (at most `CHUNK_ROWS` rows or `CHUNK_BYTES` bytes of Arrow data) plus the writer's
sorted copy of it, whatever the size of the import.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyiceberg.io.pyarrow import _dataframe_to_data_files
from pyiceberg.manifest import DataFile

from wap_notebook.lakehouse import tables

CHUNK_ROWS = 1_000_000
CHUNK_BYTES = 128 * 1024 * 1024


class PartitionedFileWriter:
    """Writes the rows of source files into partitioned data files of one table version, file by file."""

    def __init__(self, metadata_location: str, schema: pa.Schema) -> None:
        table = tables.load_table_at(metadata_location)
        self._metadata = table.metadata
        self._io = table.io
        self._schema = schema
        # One write id and file counter for the whole import: data file names stay unique across chunks.
        self._write_uuid = uuid.uuid4()
        self._counter = itertools.count(0)
        self.data_files: list[DataFile] = []

    def write_source(self, batches: Iterable[pa.RecordBatch]) -> int:
        """Write one source file's batches; return its row count.

        Raises:
            Exception: whatever reading the batches raises; the data files already written for this source
                are deleted first, so a failed file (skipped with `continue_on_error`) leaves none behind.
        """
        written: list[DataFile] = []
        rows = 0
        try:
            for chunk in _chunks(batches, self._schema):
                written.extend(_dataframe_to_data_files(table_metadata=self._metadata, df=chunk, io=self._io,
                                                        write_uuid=self._write_uuid, counter=self._counter))
                rows += chunk.num_rows
        except BaseException:
            self._delete(written)
            raise
        self.data_files.extend(written)
        return rows

    def discard(self) -> None:
        """Delete every data file written so far (the import failed or was cancelled before its commit)."""
        self._delete(self.data_files)
        self.data_files = []

    def _delete(self, data_files: list[DataFile]) -> None:
        for data_file in data_files:
            try:
                self._io.delete(data_file.file_path)
            except OSError:
                pass  # already gone; `LocalClient.gc` removes any file no commit reaches


def _chunks(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if rows >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield pa.Table.from_batches(pending, schema=schema)
            pending, rows, size = [], 0, 0
    if pending:
        yield pa.Table.from_batches(pending, schema=schema)
