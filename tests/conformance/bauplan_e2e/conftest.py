"""Seed what Bauplan's e2e tests expect of its sandbox, once per session, and mark the differences that
cannot be removed (each with its reason; the README's Backends table lists them too)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conformance.bauplan_e2e import local

E2E_BUCKET = "bpln-e2e-test-tables"
ET = timezone(timedelta(hours=-5))

# Tests that cannot pass locally, by test id suffix, with the reason.
_CATALOG_REF_KIND = ("its ApiErrorKind holds the catalog's bauplan.schema.Ref, which Python cannot construct "
                     "('cannot create bauplan.schema.Ref instances'): .kind stays None for this error")
DIFFERENCES = {
    "test_exceptions.py::TestTableNotFoundContext::test_get_nonexistent_table": _CATALOG_REF_KIND,
    "test_exceptions.py::TestTableNotFoundContext::test_delete_nonexistent_table_raises": _CATALOG_REF_KIND,
    "test_exceptions.py::TestBranchExistsContext::test_create_duplicate_branch": _CATALOG_REF_KIND,
    "test_exceptions.py::TestNamespaceNotFoundContext::test_get_table_bad_namespace": _CATALOG_REF_KIND,
}


# Not run at all: it builds the real bauplan.Client against Bauplan's service (network).
SKIPPED = {"test_exceptions.py::TestUnauthorized::test_invalid_api_key": (
    "builds bauplan.Client(api_key='invalid') against Bauplan's service; the embedded lakehouse has no accounts "
    "to refuse")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for suffix, reason in SKIPPED.items():
            if item.nodeid.endswith(suffix):
                item.add_marker(pytest.mark.skip(reason=reason))
        for suffix, reason in DIFFERENCES.items():
            if item.nodeid.endswith(suffix):
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def _titanic(rows: int = 891) -> pa.Table:
    ids = list(range(1, rows + 1))
    return pa.table({"PassengerId": ids, "Survived": [i % 3 == 0 for i in ids],
                     "Name": [f"Passenger {i}" for i in ids], "Age": [float(18 + i % 60) for i in ids]})


def _taxi_fhvhv() -> pa.Table:
    """448,004 trips on 2023-01-01 (New York time), 25,161 of them in [10:00:01, 11:00:00), and trips on the
    days around: the counts Bauplan's query tests read from its taxi table."""
    day = datetime(2023, 1, 1, tzinfo=ET)
    in_hour = [day + timedelta(hours=10, seconds=1 + i * 3599 // 25161) for i in range(25161)]
    rest = [day + timedelta(seconds=i * 36000 // (448004 - 25161)) for i in range(448004 - 25161)]
    outside = [day - timedelta(minutes=5), day + timedelta(days=1), day + timedelta(days=1, hours=3)]
    times = in_hour + rest + outside
    n = len(times)
    return pa.table({"pickup_datetime": pa.array([t.astimezone(timezone.utc) for t in times],
                                                 pa.timestamp("us", tz="UTC")),
                     "trip_time": pa.array([600 + i % 900 for i in range(n)], pa.int64()),
                     "trip_miles": pa.array([1.0 + (i % 70) / 10 for i in range(n)]),
                     "tips": pa.array([float(i % 7) for i in range(n)])})


def _two_columns_two_dates(day: int) -> pa.Table:
    """100 rows per file, 200 in all: Bauplan's CLI import test counts 400 after importing them twice."""
    return pa.table({"id": [day * 1000 + i for i in range(100)],
                     "created_on": pa.array([datetime(2024, 1, day)] * 100, pa.timestamp("us"))})


# Bauplan's public bucket, as its external-table tests read it: taxi_fhvhv files of 2023 (134,344,870 rows in
# all; a 2022 file beside them that the tests' glob must not match) and an Iceberg table tpch_1/customer whose
# first metadata file has a known name.
OPENLAKE_BUCKET = "bauplan-openlake-db87a23"
FHVHV_2023_ROWS = 134_344_870
CUSTOMER_LOCATION = f"s3://{OPENLAKE_BUCKET}/iceberg/tpch_1/customer_e53c682c-36c4-4e3d-9ded-1214d0ee157f"
CUSTOMER_METADATA = "metadata/00000-b6f502e1-5140-499e-bf83-22f943067e36.metadata.json"


def _fhvhv_file(rows: int) -> bytes:
    """A taxi_fhvhv-shaped Parquet file of `rows` rows: constant columns, so 45M rows take a few hundred KB."""
    chunk = pa.table({"hvfhs_license_num": pa.array(["HV0003"] * 1_000_000).dictionary_encode(),
                      "trip_time": pa.repeat(pa.scalar(900, pa.int32()), 1_000_000)})
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, chunk.schema) as writer:
        for start in range(0, rows, chunk.num_rows):
            writer.write_table(chunk.slice(0, min(chunk.num_rows, rows - start)), row_group_size=8_000_000)
    return buffer.getvalue()


def _seed_openlake(s3_server) -> None:
    s3_server.create_bucket(OPENLAKE_BUCKET)
    months = 3
    for month in range(1, months + 1):
        rows = FHVHV_2023_ROWS // months + (FHVHV_2023_ROWS % months if month == months else 0)
        s3_server.upload_bytes(OPENLAKE_BUCKET, f"stage/taxi_fhvhv/fhvhv_tripdata_2023-{month:02d}.parquet",
                               _fhvhv_file(rows))
    s3_server.upload_bytes(OPENLAKE_BUCKET, "stage/taxi_fhvhv/fhvhv_tripdata_2022-12.parquet", _fhvhv_file(1000))
    _seed_customer(s3_server)


def _seed_customer(s3_server) -> None:
    """tpch_1/customer written by PyIceberg (an Iceberg writer independent of the embedded lakehouse), its
    current metadata file stored under the name Bauplan's test reads."""
    from pyiceberg.catalog.sql import SqlCatalog

    from wap_notebook.lakehouse.object_store import iceberg_io_properties

    catalog = SqlCatalog("openlake", uri="sqlite:///:memory:", warehouse=f"s3://{OPENLAKE_BUCKET}/iceberg",
                         **iceberg_io_properties())
    catalog.create_namespace("tpch_1")
    keys = list(range(1, 150_001))  # TPC-H scale 1: Bauplan's CLI test counts 150000
    rows = pa.table({"c_custkey": pa.array(keys, pa.int64()), "c_name": [f"Customer#{k:09d}" for k in keys],
                     "c_nationkey": pa.array([k % 25 for k in keys], pa.int32()),
                     "c_acctbal": [round(k * 13.37 % 10000, 2) for k in keys],
                     "c_mktsegment": [("BUILDING", "AUTOMOBILE", "MACHINERY")[k % 3] for k in keys]})
    table = catalog.create_table("tpch_1.customer", schema=rows.schema, location=CUSTOMER_LOCATION)
    table.append(rows)
    written = catalog.load_table("tpch_1.customer").metadata_location
    client = s3_server.client()
    source_key = written.removeprefix(f"s3://{OPENLAKE_BUCKET}/")
    client.copy_object(Bucket=OPENLAKE_BUCKET, Key=f"{CUSTOMER_LOCATION.removeprefix(f's3://{OPENLAKE_BUCKET}/')}/"
                       f"{CUSTOMER_METADATA}", CopySource={"Bucket": OPENLAKE_BUCKET, "Key": source_key})


def _put(s3_server, key: str, table: pa.Table) -> str:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return s3_server.upload_bytes(E2E_BUCKET, key, buffer.getvalue())


@pytest.fixture(scope="session", autouse=True)
def bauplan_sandbox(tmp_path_factory: pytest.TempPathFactory, s3_server) -> None:
    s3_server.create_bucket(E2E_BUCKET)
    _seed_openlake(s3_server)
    for day in (1, 2):
        _put(s3_server, f"test_tables/two_columns_two_dates/part_{day}.parquet", _two_columns_two_dates(day))
    root = tmp_path_factory.mktemp("bauplan_sandbox")
    local.LAKE[:] = [root / "lake"]
    client = local.e2e_client()
    for name, table in (("titanic", _titanic()), ("taxi_fhvhv", _taxi_fhvhv())):
        uri = _put(s3_server, f"sandbox/{name}.parquet", table)
        client.create_table(name, uri, branch="main", namespace="bauplan")
        state = client.import_data(name, uri, branch="main", namespace="bauplan")
        assert state.error is None, state.error
    client.create_tag("e2e_v1", "main")  # the sandbox has tags: test_ref_args reads one
