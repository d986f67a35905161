"""Imports into partitioned tables stream a bounded chunk at a time (lakehouse/partitioned_writes.py): the rows land
exactly as the files hold them, every data file holds one partition, one snapshot records the import, and a
source that fails part-way leaves no data file behind."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from wap_notebook.lakehouse import object_store, partitioned_writes, tables

BRANCH = "tester.parts"


def _events(start: int, rows: int) -> pa.Table:
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ids = list(range(start, start + rows))
    return pa.table({"id": pa.array(ids, pa.int64()),
                     "created_at": pa.array([base + timedelta(hours=7 * i) for i in ids], pa.timestamp("us", "UTC")),
                     "amount": [None if i % 11 == 0 else i * 0.5 for i in ids],
                     "code": [f"C{i % 7}" for i in ids]})


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 1,000 rows, so a 2,500-row file is written in three chunks."""
    monkeypatch.setattr(partitioned_writes, "CHUNK_ROWS", 1000)


def test_streamed_partitioned_import_lands_exactly_and_one_partition_per_file(lakehouse, put_table, small_chunks):
    from pyiceberg.table import StaticTable

    uris = [put_table(f"events/part-{i}.parquet", _events(i * 2500, 2500)) for i in range(3)]
    search = uris[0].rsplit("/", 1)[0] + "/*.parquet"
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("events", search, branch=BRANCH, partitioned_by="month(created_at)")
    state = lakehouse.import_data("events", search, branch=BRANCH)
    assert state.error is None and lakehouse.job_details(state.job_id).rows_imported == 7500

    expected = pa.concat_tables([_events(i * 2500, 2500) for i in range(3)])
    ours = lakehouse.query("SELECT * FROM events ORDER BY id", ref=BRANCH)
    assert ours["id"].to_pylist() == expected["id"].to_pylist()
    assert ours["amount"].to_pylist() == expected["amount"].to_pylist()
    assert ours["code"].to_pylist() == expected["code"].to_pylist()
    assert pc.equal(ours["created_at"], expected["created_at"].cast(ours["created_at"].type)).to_pylist() == \
        [True] * 7500

    location = lakehouse.get_table("events", BRANCH).metadata_location
    static = StaticTable.from_metadata(location, properties=object_store.iceberg_io_properties())
    assert static.scan().to_arrow().num_rows == 7500  # an independent reader agrees
    assert len(static.metadata.snapshots) == 1 and tables.imported_source_files(location) == set(uris)
    # 7,500 rows 7 hours apart span 72 months; each chunk of 1,000 rows touches ~10: every file one month.
    for task in static.scan().plan_files():
        months = pc.unique(pc.strftime(pq.read_table(task.file.file_path.removeprefix("file://"),
                                                     columns=["created_at"])["created_at"], "%Y-%m"))
        assert len(months) == 1


def test_a_source_failing_part_way_leaves_no_data_file(lakehouse, put_table, small_chunks):
    uri = put_table("events/part-0.parquet", _events(0, 2500))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("events", uri, branch=BRANCH, partitioned_by="month(created_at)")
    location = lakehouse.get_table("events", BRANCH).metadata_location
    schema = tables.arrow_schema(location)

    def failing_after_two_chunks():
        for batch in _events(0, 2500).cast(schema).to_batches(max_chunksize=500):
            if batch["id"][0].as_py() >= 2000:
                raise OSError("connection reset while reading the source")
            yield batch

    writer = partitioned_writes.PartitionedFileWriter(location, schema)
    assert writer.write_source(_events(10_000, 1500).cast(schema).to_batches(max_chunksize=500)) == 1500
    kept = [f.file_path for f in writer.data_files]
    with pytest.raises(OSError, match="connection reset"):
        writer.write_source(failing_after_two_chunks())
    table_folder = Path(tables.load_table_at(location).location().removeprefix("file://"))
    on_disk = sorted(str(p) for p in (table_folder / "data").rglob("*.parquet"))
    assert on_disk == sorted(path.removeprefix("file://") for path in kept)  # the failed source's files are gone
    writer.discard()
    assert not list((table_folder / "data").rglob("*.parquet"))
