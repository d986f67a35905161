"""A check of a table's metadata against the Iceberg table spec (format version 2), read without our code.

It reads the metadata JSON as plain JSON, the manifest list and manifests with PyIceberg's Avro readers
(which decode them by the spec's own Avro schemas), and the data files' Parquet footers with pyarrow, and
returns every violation found (an empty list means the table conforms on the points checked).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
from pyiceberg.manifest import DataFileContent, FileFormat, ManifestContent, ManifestEntryStatus
from pyiceberg.table import StaticTable

V2_REQUIRED = ("format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
               "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
               "last-partition-id", "sort-orders", "default-sort-order-id")
SNAPSHOT_REQUIRED = ("snapshot-id", "sequence-number", "timestamp-ms", "manifest-list", "summary")
OPERATIONS = {"append", "replace", "overwrite", "delete"}


def _field_ids(fields: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, int]]:
    """(dotted path, id) of every field of a metadata JSON schema, nested ones included."""
    for f in fields:
        name = f"{path}{f['name']}"
        yield name, f["id"]
        yield from _type_ids(f["type"], name)


def _type_ids(t: Any, path: str) -> Iterator[tuple[str, int]]:
    if not isinstance(t, dict):
        return
    if t["type"] == "struct":
        yield from _field_ids(t["fields"], path + ".")
    elif t["type"] == "list":
        yield f"{path}.element", t["element-id"]
        yield from _type_ids(t["element"], f"{path}.element")
    elif t["type"] == "map":
        yield f"{path}.key", t["key-id"]
        yield f"{path}.value", t["value-id"]
        yield from _type_ids(t["key"], f"{path}.key")
        yield from _type_ids(t["value"], f"{path}.value")


def _parquet_ids(path: str) -> dict[str, int]:
    """Iceberg paths -> field ids as stored in a Parquet file (list/map wrapper levels removed)."""
    schema = pq.read_schema(path)
    found: dict[str, int] = {}

    def walk(field: Any, name: str) -> None:
        if field.metadata and b"PARQUET:field_id" in field.metadata:
            found[name] = int(field.metadata[b"PARQUET:field_id"])
        t = field.type
        if hasattr(t, "key_field"):
            walk(t.key_field, f"{name}.key")
            walk(t.item_field, f"{name}.value")
        elif hasattr(t, "value_field"):
            walk(t.value_field, f"{name}.element")
        elif t.num_fields:
            for i in range(t.num_fields):
                walk(t.field(i), f"{name}.{t.field(i).name}")

    for f in schema:
        walk(f, f.name)
    return found


def violations(metadata_location: str) -> list[str]:
    problems: list[str] = []
    path = metadata_location.removeprefix("file://")
    with open(path, encoding="utf-8") as handle:
        meta = json.load(handle)
    problems += [f"metadata lacks {key!r}" for key in V2_REQUIRED if key not in meta]
    if meta.get("format-version") != 2:
        problems.append(f"format-version is {meta.get('format-version')}, expected 2")
    schema = next(s for s in meta["schemas"] if s["schema-id"] == meta["current-schema-id"])
    ids = dict(_field_ids(schema["fields"]))
    if len(set(ids.values())) != len(ids):
        problems.append("field ids are not unique")
    if ids and max(ids.values()) > meta["last-column-id"]:
        problems.append("a field id exceeds last-column-id")
    if any(key.startswith("schema.name-mapping") for key in meta.get("properties", {})):
        problems.append("a name mapping is set although every data file carries field ids")
    snapshots = {s["snapshot-id"]: s for s in meta.get("snapshots", [])}
    for snap in snapshots.values():
        problems += [f"snapshot {snap.get('snapshot-id')} lacks {k!r}" for k in SNAPSHOT_REQUIRED if k not in snap]
        if snap["summary"].get("operation") not in OPERATIONS:
            problems.append(f"snapshot {snap['snapshot-id']} has operation {snap['summary'].get('operation')!r}")
        if snap["sequence-number"] > meta["last-sequence-number"]:
            problems.append(f"snapshot {snap['snapshot-id']} sequence number exceeds last-sequence-number")
    current = meta.get("current-snapshot-id")
    if current is not None and meta.get("refs", {}).get("main", {}).get("snapshot-id") != current:
        problems.append("refs.main does not point at current-snapshot-id")

    table = StaticTable.from_metadata(metadata_location)
    snapshot = table.current_snapshot()
    if snapshot is None:
        return problems + ["the table has no snapshot"]
    records = files = 0
    for manifest in snapshot.manifests(table.io):
        if manifest.content != ManifestContent.DATA:
            problems.append(f"{manifest.manifest_path}: unexpected content {manifest.content}")
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            data = entry.data_file
            local = data.file_path.removeprefix("file://")
            footer = pq.read_metadata(local)
            files += 1
            records += data.record_count
            if data.content != DataFileContent.DATA or data.file_format != FileFormat.PARQUET:
                problems.append(f"{local}: content {data.content}, format {data.file_format}")
            if entry.status not in (ManifestEntryStatus.ADDED, ManifestEntryStatus.EXISTING):
                problems.append(f"{local}: live entry with status {entry.status}")
            if data.record_count != footer.num_rows:
                problems.append(f"{local}: record_count {data.record_count} but the file has {footer.num_rows} rows")
            if data.file_size_in_bytes != os.path.getsize(local):
                problems.append(f"{local}: file_size_in_bytes does not match the file")
            unknown = set(data.value_counts or {}) - set(ids.values())
            if unknown:
                problems.append(f"{local}: value_counts for unknown field ids {sorted(unknown)}")
            in_file = _parquet_ids(local)
            wrong = {name: (in_file.get(name), fid) for name, fid in ids.items() if in_file.get(name) != fid}
            if wrong:
                problems.append(f"{local}: Parquet field ids differ from the schema (file, table): {wrong}")
    summary = snapshot.summary.additional_properties if snapshot.summary else {}
    if int(summary.get("total-records", -1)) != records:
        problems.append(f"summary total-records {summary.get('total-records')} but manifests hold {records}")
    if int(summary.get("total-data-files", -1)) != files:
        problems.append(f"summary total-data-files {summary.get('total-data-files')} but manifests hold {files}")
    return problems
