"""External tables over S3 (issue 19, finding 10): Parquet files and Iceberg metadata registered in place from
an S3 server on loopback, queried by the embedded lakehouse, and checked against independent readers (pyarrow
over the same objects, PyIceberg's own scan of the written tables).

Bauplan's own e2e tests for these two methods run in tests/conformance/bauplan_e2e/test_import.py.
"""

from __future__ import annotations

import io
import time
from datetime import date, datetime, timezone

import bauplan
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx

from wap_notebook.lakehouse import object_store

BRANCH = "tester.ext"


def _files() -> list[pa.Table]:
    """Three files of one table as writers leave them: a column missing from one, a narrower integer in
    another, nulls, timestamps with a zone, dates, unicode and a nested list."""
    return [
        pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["ä", None, "c,\"d\""],
                  "amount": [1.5, None, -0.0], "day": [date(2024, 1, 1), date(2024, 2, 29), None],
                  "at": pa.array([datetime(2024, 1, 1, 12, tzinfo=timezone.utc)] * 3, pa.timestamp("us", "UTC")),
                  "tags": [["a"], [], None]}),
        pa.table({"id": pa.array([4, 5], pa.int32()), "name": ["e", "f"], "amount": [2.0, 3.25],
                  "day": [date(2023, 12, 31), date(2024, 3, 1)],
                  "at": pa.array([None, datetime(2024, 3, 1, tzinfo=timezone.utc)], pa.timestamp("us", "UTC")),
                  "tags": [["b", "c"], ["d"]]}),
        pa.table({"id": pa.array([6], pa.int64()), "name": ["🚀"], "amount": [1e300],
                  "day": [date(1970, 1, 1)],
                  "at": pa.array([datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)],
                                 pa.timestamp("us", "UTC"))}),
    ]


@pytest.fixture
def parquet_on_s3(s3_server, bucket) -> str:
    for index, table in enumerate(_files()):
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        s3_server.upload_bytes(bucket, f"landing/part-{index}.parquet", buffer.getvalue())
    return f"s3://{bucket}/landing/*.parquet"


@pytest.fixture
def branch(lakehouse) -> str:
    lakehouse.create_branch(BRANCH, "main")
    return BRANCH


def _pyarrow_reading(pattern: str) -> pa.Table:
    """The same objects read by pyarrow alone (its own S3 listing, no lakehouse code in between)."""
    import pyarrow.dataset as ds

    folder = object_store.s3_path(pattern.rsplit("/", 1)[0])
    dataset = ds.dataset(folder, format="parquet", filesystem=object_store.s3_filesystem())
    tables = [pq.read_table(f, filesystem=object_store.s3_filesystem()) for f in sorted(dataset.files)]
    return pa.concat_tables(tables, promote_options="permissive")


def test_s3_parquet_external_table_reads_as_pyarrow_reads_the_objects(lakehouse, branch, parquet_on_s3):
    state = lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch)
    assert (state.job_status, state.error) == ("SUCCESS", None)
    table = lakehouse.get_table("landing", ref=branch)
    assert table.is_external() and table.records == 6

    ours = lakehouse.query("SELECT * FROM landing ORDER BY id", ref=branch)
    theirs = _pyarrow_reading(parquet_on_s3).sort_by("id")
    assert ours.column_names == theirs.column_names
    for name in theirs.column_names:
        assert ours[name].to_pylist() == theirs[name].to_pylist(), name

    scanned = lakehouse.scan("landing", ref=branch, columns=["id", "amount"], filters="amount > 1.6")
    expected = theirs.filter(pc.greater(theirs["amount"], 1.6)).select(["id", "amount"])
    assert sorted(scanned.to_pylist(), key=lambda r: r["id"]) == expected.to_pylist()


def test_the_data_stays_on_s3_and_an_independent_reader_opens_the_table(lakehouse, branch, parquet_on_s3):
    from pyiceberg.table import StaticTable

    lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch)
    location = lakehouse.get_table("landing", ref=branch).metadata_location
    static = StaticTable.from_metadata(location, properties=object_store.iceberg_io_properties())
    data_files = [task.file.file_path for task in static.scan().plan_files()]
    assert len(data_files) == 3 and all(path.startswith("s3://") for path in data_files)
    assert not list(lakehouse.warehouse.rglob("*.parquet")), "registered in place: nothing copied"

    by_pyiceberg = static.scan().to_arrow().sort_by("id")
    ours = lakehouse.query("SELECT * FROM landing ORDER BY id", ref=branch)
    assert by_pyiceberg["id"].to_pylist() == ours["id"].to_pylist() == [1, 2, 3, 4, 5, 6]
    assert by_pyiceberg["name"].to_pylist() == ours["name"].to_pylist()


def test_the_table_holds_the_files_found_at_creation_and_nothing_else_on_s3(
        lakehouse, branch, parquet_on_s3, s3_server, bucket):
    lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch)
    late = io.BytesIO()
    pq.write_table(pa.table({"id": [99], "name": ["late"]}), late)
    s3_server.upload_bytes(bucket, "landing/part-9.parquet", late.getvalue())
    other = s3_server.upload_bytes(bucket, "private/secret.parquet", late.getvalue())

    count = lakehouse.query("SELECT COUNT(*) AS n, MAX(id) AS top FROM landing", ref=branch).to_pylist()
    assert count == [{"n": 6, "top": 6}], "a file matching the pattern after creation is not in the table"
    # The query engine itself reaches no S3 object, whatever the SQL names: only the table's own files, read
    # through the registered dataset.
    for sql in (f"SELECT * FROM read_parquet('{other}')", f"SELECT * FROM '{other}'",
                f"SELECT * FROM landing, read_parquet('{parquet_on_s3}')"):
        with pytest.raises(bx.BauplanQueryError):
            lakehouse.query(sql, ref=branch)


def test_read_only_and_refusals_for_s3_patterns(lakehouse, branch, parquet_on_s3, s3_server, bucket):
    lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch)
    with pytest.raises(bx.BauplanJobError, match="Cannot import files to read-only table"):
        lakehouse.import_data("landing", parquet_on_s3, branch=branch)
    with pytest.raises(bx.UpdateConflictError):
        lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch)

    empty = lakehouse.create_external_table_from_parquet("none", [f"s3://{bucket}/nothing/*.parquet"], branch=branch)
    assert empty.job_status == "FAILED" and "No file matches" in empty.error
    s3_server.upload_bytes(bucket, "csv/a.csv", b"id\n1\n")
    csv = lakehouse.create_external_table_from_parquet("csv", [f"s3://{bucket}/csv/*.csv"], branch=branch)
    assert csv.job_status == "FAILED" and "parquet files only" in csv.error
    assert not lakehouse.has_table("none", ref=branch) and not lakehouse.has_table("csv", ref=branch)


def test_detached_creation_and_overwrite(lakehouse, branch, parquet_on_s3, s3_server, bucket):
    state = lakehouse.create_external_table_from_parquet("landing", [parquet_on_s3], branch=branch, detach=True)
    assert state.job_status is None
    for _ in range(200):  # polled as Bauplan's own e2e test polls a detached import
        if lakehouse.get_job(state.job_id).status not in (bauplan.JobState.RUNNING, bauplan.JobState.NOT_STARTED):
            break
        time.sleep(0.05)
    assert lakehouse.get_job(state.job_id).status == bauplan.JobState.COMPLETE
    assert lakehouse.query("SELECT COUNT(*) AS n FROM landing", ref=branch).to_pylist() == [{"n": 6}]

    one = io.BytesIO()
    pq.write_table(pa.table({"id": [7]}), one)
    uri = s3_server.upload_bytes(bucket, "again/a.parquet", one.getvalue())
    lakehouse.create_external_table_from_parquet("landing", [uri], branch=branch, overwrite=True)
    assert lakehouse.query("SELECT id FROM landing", ref=branch).to_pylist() == [{"id": 7}]


@pytest.fixture
def iceberg_on_s3(s3_server, bucket):
    """An Iceberg table written to S3 by PyIceberg's SqlCatalog (a writer independent of the lakehouse)."""
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("writer", uri="sqlite:///:memory:", warehouse=f"s3://{bucket}/iceberg",
                         **object_store.iceberg_io_properties())
    catalog.create_namespace("tpch")
    rows = pa.table({"c_custkey": pa.array(range(1, 41), pa.int64()),
                     "c_name": [f"Customer#{k:09d}" for k in range(1, 41)],
                     "c_acctbal": [k * 1.25 for k in range(1, 41)]})
    table = catalog.create_table("tpch.customer", schema=rows.schema)
    table.append(rows.slice(0, 25))
    table.append(rows.slice(25))
    return catalog, catalog.load_table("tpch.customer")


def test_s3_iceberg_metadata_registers_and_reads_as_pyiceberg_reads_it(lakehouse, branch, iceberg_on_s3):
    catalog, written = iceberg_on_s3
    location = written.metadata_location
    assert location.startswith("s3://")
    table = lakehouse.create_external_table_from_metadata("customer", location, namespace="bauplan", branch=branch)
    assert table.is_external() and table.records == 40 and table.metadata_location == location

    ours = lakehouse.query("SELECT * FROM customer ORDER BY c_custkey", ref=branch)
    theirs = written.scan().to_arrow().sort_by("c_custkey")
    assert ours.to_pylist() == theirs.to_pylist()

    # Registered at one metadata file: the writer's later commits do not change it until re-registered.
    written.append(pa.table({"c_custkey": pa.array([41], pa.int64()), "c_name": ["late"], "c_acctbal": [0.5]}))
    newer = catalog.load_table("tpch.customer").metadata_location
    assert lakehouse.query("SELECT COUNT(*) AS n FROM customer", ref=branch).to_pylist() == [{"n": 40}]
    with pytest.raises(bx.UpdateConflictError):
        lakehouse.create_external_table_from_metadata("customer", newer, namespace="bauplan", branch=branch)
    lakehouse.create_external_table_from_metadata("customer", newer, namespace="bauplan", branch=branch,
                                                  overwrite=True)
    assert lakehouse.query("SELECT COUNT(*) AS n FROM customer", ref=branch).to_pylist() == [{"n": 41}]

    # gc reads no S3 metadata and deletes nothing on S3; the table still reads after it.
    lakehouse.gc(older_than=0)
    assert lakehouse.query("SELECT COUNT(*) AS n FROM customer", ref=branch).to_pylist() == [{"n": 41}]


def test_s3_iceberg_tables_that_cannot_be_read_exactly_are_refused(lakehouse, branch, iceberg_on_s3, bucket):
    catalog, written = iceberg_on_s3
    with written.update_schema() as update:
        update.rename_column("c_name", "name")
    renamed = catalog.load_table("tpch.customer").metadata_location
    with pytest.raises(bx.InvalidDataError, match="'c_name' was renamed to 'name'"):
        lakehouse.create_external_table_from_metadata("customer", renamed, namespace="bauplan", branch=branch)

    with pytest.raises(ValueError, match="not a readable Iceberg metadata file"):
        lakehouse.create_external_table_from_metadata(
            "customer", f"s3://{bucket}/iceberg/missing/00000-x.metadata.json", namespace="bauplan", branch=branch)
    with pytest.raises(ValueError, match="neither on S3"):
        lakehouse.create_external_table_from_metadata(
            "customer", "gs://somewhere/metadata/00000-x.metadata.json", namespace="bauplan", branch=branch)
    assert not lakehouse.has_table("customer", ref=branch)
