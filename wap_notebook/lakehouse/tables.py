"""Iceberg tables of the embedded lakehouse (PyIceberg), addressed by metadata location.

Our SQLite commit graph, not an Iceberg catalog, decides which metadata file a table name points at
on each ref. PyIceberg still needs a `Catalog` to commit a transaction, so `_PointerCatalog` is a
minimal one over an in-memory `{identifier: metadata location}` map: committing writes the new
metadata file (data and metadata files are immutable, so refs can share them) and records its
location; publishing that location is the commit graph's job.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.io.pyarrow import parquet_file_to_data_file, schema_to_pyarrow
from pyiceberg.manifest import DataFile, ManifestContent
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, Table

from wap_notebook.lakehouse import object_store

# Snapshot summary key listing the source files an import added: duplicate-file prevention reads it back
# from the table's own history, so it follows the table across branches and merges.
SOURCE_FILES_PROPERTY = "wap.source-files"
# Table property marking a table whose data files were registered in place (create_external_table_*):
# read-only, reported as `TableKind.ExternalTable`.
EXTERNAL_PROPERTY = "wap.external"
TARGET_FILE_ROWS = 4_000_000  # roll to a new data file past this many rows
# Batches are buffered into row groups of about this size: one write per row group keeps Parquet's
# per-call overhead off the hot path while memory stays bounded whatever the input size.
ROW_GROUP_BYTES = 64 * 1024 * 1024
ROW_GROUP_ROWS = 1_000_000


class _PointerCatalog(MetastoreCatalog):
    def __init__(self, locations: dict[str, str] | None = None) -> None:
        super().__init__("wap-embedded")
        self.locations: dict[str, str] = dict(locations or {})

    @staticmethod
    def _key(identifier: str | tuple[str, ...]) -> str:
        return identifier if isinstance(identifier, str) else ".".join(identifier)

    def load_table(self, identifier: str | tuple[str, ...]) -> Table:
        key = self._key(identifier)
        return load_table_at(self.locations[key], tuple(key.split(".")), catalog=self)

    def create_table(self, identifier: str | tuple[str, ...], schema: Any, location: str | None = None,
                     partition_spec: Any = None, sort_order: Any = None,
                     properties: dict[str, str] | None = None) -> Table:
        kwargs: dict[str, Any] = {"properties": properties or {}}
        if partition_spec is not None:
            kwargs["partition_spec"] = partition_spec
        staged = self._create_staged_table(identifier, schema, location, **kwargs)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        self.locations[self._key(identifier)] = staged.metadata_location
        return self.load_table(identifier)

    def commit_table(self, table: Table, requirements: tuple[Any, ...], updates: tuple[Any, ...]
                     ) -> CommitTableResponse:
        key = self._key(table.name())
        current = self.load_table(key) if key in self.locations else None
        staged = self._update_and_stage_table(current, table.name(), requirements, updates)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        self.locations[key] = staged.metadata_location
        # a pydantic model that also takes its fields by name; mypy knows only the alias "metadata-location"
        return CommitTableResponse(metadata=staged.metadata,
                                   metadata_location=staged.metadata_location)  # type: ignore[call-arg]

    def _unsupported(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NotImplementedError("the embedded lakehouse manages names in its own commit graph")

    register_table = drop_table = rename_table = create_namespace = drop_namespace = _unsupported
    list_tables = list_namespaces = load_namespace_properties = update_namespace_properties = _unsupported
    list_views = drop_view = view_exists = load_view = register_view = _unsupported


def _metadata_stamp(metadata_location: str) -> tuple[int, int] | None:
    """(mtime_ns, size) of a local metadata file, or None when it cannot be stat'ed (then nothing is cached)."""
    if "://" in metadata_location and not metadata_location.startswith("file://"):
        return None
    try:
        st = os.stat(metadata_location.removeprefix("file://"))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_table_at(metadata_location: str, identifier: tuple[str, ...] = ("t",), catalog: Any = None) -> Table:
    from pyiceberg.io import load_file_io

    # S3 settings always: a local table's manifests may list data files on S3 (external tables from parquet).
    io = load_file_io(properties=object_store.iceberg_io_properties(), location=metadata_location)
    # A commit reloads the same metadata file several times; PyIceberg's TableMetadata is a frozen model
    # (updates build copies), so the parsed object is shared, keyed by location and the file's stat so a
    # rewritten or deleted file is read (or fails) as before.
    stamp = _metadata_stamp(metadata_location)
    cached = _metadata_cache.get(metadata_location) if stamp is not None else None
    if cached is not None and cached[0] == stamp:
        metadata = cached[1]
    else:
        metadata = FromInputFile.table_metadata(io.new_input(metadata_location))
        if stamp is not None:
            _metadata_cache.put(metadata_location, (stamp, metadata))
    return Table(identifier, metadata, metadata_location, io, catalog or _PointerCatalog())


def new_table_folder(namespace: str, name: str, warehouse: Path) -> Path:
    """A fresh folder for a new table version: a replaced or re-created table never shares files by name."""
    return warehouse / namespace / f"{name}-{uuid.uuid4().hex[:12]}"


def create_table(namespace: str, name: str, schema: pa.Schema, location: Path, *,
                 partitions: list[Any] | None = None, properties: dict[str, str] | None = None) -> str:
    """Create an empty Iceberg table in `location`; return its metadata location.

    `partitions` (`partitioning.PartitionTerm`s) become the table's partition spec, checked against the
    Iceberg schema (column exists, transform applies to its type).
    """
    from wap_notebook.lakehouse import partitioning

    location.mkdir(parents=True, exist_ok=True)
    catalog = _PointerCatalog()
    identifier = (namespace, name)
    table = catalog.create_table(identifier, schema=_without_field_ids(schema), location=str(location),
                                 properties=properties)
    partitioning.apply_to(table, list(partitions or []))
    return catalog.locations[".".join(identifier)]


def register_files(metadata_location: str, identifier: tuple[str, str], paths: list[str]) -> str:
    """Register existing Parquet files in place (external tables), in one snapshot.

    They were not written by us, so they carry no Iceberg field ids: PyIceberg's `add_files` records the
    name mapping readers need for them."""
    catalog = _PointerCatalog({".".join(identifier): metadata_location})
    table = catalog.load_table(identifier)
    with table.transaction() as tx:
        tx.add_files(paths, snapshot_properties={SOURCE_FILES_PROPERTY: json.dumps(paths)})
    return catalog.locations[".".join(identifier)]


def is_partitioned(metadata_location: str) -> bool:
    return not load_table_at(metadata_location).spec().is_unpartitioned()


def arrow_schema(metadata_location: str) -> pa.Schema:
    """The table's current schema in Arrow, every field (nested ones too) carrying its Iceberg field id as
    `PARQUET:field_id` metadata, so the Parquet files written with it resolve columns by id as the Iceberg
    spec requires (readers such as Daft refuse id-less files). Types are the small Arrow layouts the source
    readers produce (string, list), so conforming a batch never copies offsets."""
    table = load_table_at(metadata_location)
    with_ids = schema_to_pyarrow(table.schema(), include_field_ids=True)
    return pa.schema([_small_field(f) for f in with_ids])


def _small_field(f: pa.Field) -> pa.Field:
    return pa.field(f.name, _small_type(f.type), f.nullable, metadata=f.metadata)


def _small_type(t: pa.DataType) -> pa.DataType:
    """`t` with 32-bit-offset layouts instead of PyIceberg's large ones; field metadata (ids) kept."""
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_large_binary(t):
        return pa.binary()
    if pa.types.is_large_list(t) or pa.types.is_list(t):
        return pa.list_(_small_field(t.value_field))
    if pa.types.is_map(t):
        return pa.map_(_small_field(t.key_field), _small_field(t.item_field))
    if pa.types.is_struct(t):
        return pa.struct([_small_field(t.field(i)) for i in range(t.num_fields)])
    return t


def _without_field_ids(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, f.type, f.nullable) for f in schema])


class DataFileWriter:
    """Streams record batches into Parquet files under a table's data folder, rolling by row count."""

    def __init__(self, table_location: str, schema: pa.Schema) -> None:
        self.folder = Path(table_location.removeprefix("file://")) / "data"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.paths: list[str] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pending_bytes = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self._pending_bytes += batch.nbytes
        self.rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._writer is None or self._rows_in_file >= TARGET_FILE_ROWS:
            self._roll()
        assert self._writer is not None
        group = pa.Table.from_batches(self._pending, schema=self.schema)
        self._writer.write_table(group, row_group_size=group.num_rows)
        self._rows_in_file += group.num_rows
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def _roll(self) -> None:
        self._close_current()
        path = str(self.folder / f"{uuid.uuid4().hex}.parquet")
        self._writer = pq.ParquetWriter(path, self.schema)
        self.paths.append(path)
        self._rows_in_file = 0

    def _close_current(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> list[str]:
        self._flush()
        self._close_current()
        return self.paths

    def abort(self) -> None:
        """Remove what was written: the files were never published, so no ref can reach them."""
        self._pending = []
        self._close_current()
        for path in self.paths:
            Path(path).unlink(missing_ok=True)
        self.paths = []


def commit_files(metadata_location: str, identifier: tuple[str, str], data_files: Sequence[str | DataFile],
                 source_files: list[str], extra_properties: dict[str, str] | None = None) -> str:
    """Add written data files to the table in one snapshot; return the new metadata location.

    `data_files` are paths of files written by `DataFileWriter` (their statistics are read from the footer
    just written) or PyIceberg `DataFile`s (from `partitioned_writes`, which knows their partitions).
    `extra_properties` go into the snapshot summary too (the import's check partials). The files carry
    field ids (see `arrow_schema`), so they are appended as they are: `add_files` would also set a
    `schema.name-mapping.default` property, which is only meant for files written without ids."""
    catalog = _PointerCatalog({".".join(identifier): metadata_location})
    table = catalog.load_table(identifier)
    if data_files:
        with table.transaction() as tx:
            properties = {SOURCE_FILES_PROPERTY: json.dumps(source_files), **(extra_properties or {})}
            with tx.update_snapshot(snapshot_properties=properties).fast_append() as append:
                for data_file in data_files:
                    if isinstance(data_file, str):
                        # Statistics (counts, bounds) and the partition come from the footer just written.
                        data_file = parquet_file_to_data_file(table.io, tx.table_metadata, data_file)
                    append.append_data_file(data_file)
    return catalog.locations[".".join(identifier)]


def imported_source_files(metadata_location: str) -> set[str]:
    """Every source file ever imported into this table version (its snapshot ancestry)."""
    table = load_table_at(metadata_location)
    found: set[str] = set()
    snapshot = table.current_snapshot()
    by_id = {s.snapshot_id: s for s in table.metadata.snapshots}
    while snapshot is not None:
        summary = snapshot.summary
        if summary is not None and SOURCE_FILES_PROPERTY in summary.additional_properties:
            found.update(json.loads(summary.additional_properties[SOURCE_FILES_PROPERTY]))
        snapshot = by_id.get(snapshot.parent_snapshot_id) if snapshot.parent_snapshot_id is not None else None
    return found


class DeleteFilesError(ValueError):
    """A table version with delete files: its data files alone do not hold its rows."""


@dataclass(frozen=True)
class TableFiles:
    """What a query needs to read one table version: `data_files` are local paths or `s3://` URIs."""

    schema: pa.Schema
    data_files: tuple[str, ...]
    records: int

    @property
    def local_files(self) -> list[str]:
        return [path for path in self.data_files if not object_store.is_s3_uri(path)]

    @property
    def s3_files(self) -> list[str]:
        return [path for path in self.data_files if object_store.is_s3_uri(path)]


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# Metadata files are immutable, so everything derived from one location can be cached forever.
_files_cache = _LRU(512)
_metadata_cache = _LRU(256)  # parsed TableMetadata, see load_table_at


def table_files(metadata_location: str) -> TableFiles:
    cached: TableFiles | None = _files_cache.get(metadata_location)
    if cached is not None:
        return cached
    table = load_table_at(metadata_location)
    schema = _without_field_ids(schema_to_pyarrow(table.schema(), include_field_ids=False))
    snapshot = table.current_snapshot()
    files: list[str] = []
    records = 0
    if snapshot is not None:
        for manifest in snapshot.manifests(table.io):
            if manifest.content != ManifestContent.DATA:
                # Reading the data files alone would return deleted rows; registration refuses such tables.
                raise DeleteFilesError(f"{metadata_location} has delete files, which the embedded lakehouse "
                                       "cannot apply")
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                path = entry.data_file.file_path
                files.append(path.removeprefix("file://") if object_store.is_local_uri(path) else path)
                records += entry.data_file.record_count
    result = TableFiles(schema, tuple(files), records)
    _files_cache.put(metadata_location, result)
    return result


def describe(metadata_location: str) -> tuple[Table, Schema]:
    table = load_table_at(metadata_location)
    return table, table.schema()


def reachable_files(metadata_location: str, seen: set[str] | None = None) -> Iterator[str]:
    """Every file a table version needs: metadata files, manifest lists, manifests, data files.

    Manifest lists and manifests are immutable, so one already listed in `seen` (shared across the
    table versions of one gc) is not read again: its files were yielded the first time.
    """
    seen = set() if seen is None else seen
    table = load_table_at(metadata_location)
    yield metadata_location.removeprefix("file://")
    for entry in table.metadata.metadata_log:
        yield entry.metadata_file.removeprefix("file://")
    for snapshot in table.metadata.snapshots:
        if snapshot.manifest_list in seen:
            continue
        seen.add(snapshot.manifest_list)
        yield snapshot.manifest_list.removeprefix("file://")
        for manifest in snapshot.manifests(table.io):
            if manifest.manifest_path in seen:
                continue
            seen.add(manifest.manifest_path)
            yield manifest.manifest_path.removeprefix("file://")
            for manifest_entry in manifest.fetch_manifest_entry(table.io, discard_deleted=False):
                yield manifest_entry.data_file.file_path.removeprefix("file://")
