"""The parsed-metadata cache of `tables.load_table_at` never serves a stale or deleted metadata file."""

from __future__ import annotations

import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook.lakehouse import tables


def _table(tmp_path, name: str, schema: pa.Schema) -> str:
    return tables.create_table("ns", name, schema, tmp_path / name)


def test_same_file_reuses_parsed_metadata(tmp_path):
    location = _table(tmp_path, "t", pa.schema([("a", pa.int64())]))
    first = tables.load_table_at(location)
    second = tables.load_table_at(location)
    assert second.metadata is first.metadata
    assert second is not first  # each caller gets its own Table (commits replace Table.metadata)


def test_rewritten_file_is_read_again(tmp_path):
    location = _table(tmp_path, "t", pa.schema([("a", pa.int64())]))
    other = _table(tmp_path, "u", pa.schema([("a", pa.int64()), ("b", pa.string())]))
    assert tables.load_table_at(location).schema().column_names == ["a"]
    path = location.removeprefix("file://")
    stat = os.stat(path)
    shutil.copyfile(other.removeprefix("file://"), path)
    # Even with the old mtime, the size differs; and with the old size, the mtime would.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))
    assert tables.load_table_at(location).schema().column_names == ["a", "b"]


def test_deleted_file_still_fails(tmp_path):
    location = _table(tmp_path, "t", pa.schema([("a", pa.int64())]))
    tables.load_table_at(location)
    os.remove(location.removeprefix("file://"))
    with pytest.raises(FileNotFoundError):
        tables.load_table_at(location)


def test_commit_does_not_change_the_cached_version(tmp_path):
    location = _table(tmp_path, "t", pa.schema([("a", pa.int64())]))
    before = tables.load_table_at(location)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": [1, 2]}, schema=tables.arrow_schema(location)), path)
    new_location = tables.commit_files(location, ("ns", "t"), [str(path)], ["s3://b/x.parquet"])
    assert new_location != location
    assert tables.load_table_at(location).current_snapshot() is None
    assert before.current_snapshot() is None
    assert tables.load_table_at(new_location).current_snapshot() is not None
