"""One multi-format ingestion of real-world shapes from S3, merged, then every table read back by three
independent Iceberg readers (PyIceberg, polars, Daft) and compared value by value with what the source
files mean (`data.EXPECTED`), plus a check of the metadata against the Iceberg spec."""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from typing import Any

import pytest

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion

from . import data, spec

pl = pytest.importorskip("polars")
daft = pytest.importorskip("daft")
from pyiceberg.table import StaticTable  # noqa: E402

# polars would warn on every scan that its optional planner plugin is missing; PyIceberg plans instead.
os.environ.setdefault("POLARS_ICEBERG_PLANNER", "pyiceberg")

MAPS = {("measures", "attrs")}  # map columns: readers return key/value pairs in different shapes


@pytest.fixture(scope="module")
def published(s3_server, tmp_path_factory):
    """Upload the files, ingest the three tables in one WAP run with checks, merge, then append to one table
    in a second run; table -> metadata location on main."""
    from wap_notebook import LocalClient

    bucket = "interop"
    s3_server.create_bucket(bucket)
    upload = s3_server.upload_bytes
    upload(bucket, "events/2013-01.jsonl", data.events_jsonl())
    upload(bucket, "stations/part-0.csv", data.stations_csv())
    upload(bucket, "stations/part-1.csv.gz", data.stations_csv_gz())
    upload(bucket, "measures/m.parquet", data.measures_parquet())
    client = LocalClient(tmp_path_factory.mktemp("interop") / "lakehouse", username="interop")
    checks = {
        "events": [C.not_null("id", "at"), C.unique("id")],
        "stations": [C.not_null("Station Name"), C.between("größe.m", -10, 1000),
                     C.accepted_values("from", ["north", "east", "south"]), C.unique("select", "from")],
        "measures": [C.unique("order"), C.not_null("id")],
    }
    ingestion = Ingestion({"events": f"s3://{bucket}/events/*.jsonl", "stations": f"s3://{bucket}/stations/*",
                           "measures": f"s3://{bucket}/measures/*.parquet"}, None,
                          checks=checks, client=client, on_success="merge").run()
    assert ingestion.phase == "merged", ingestion.report.to_string()
    upload(bucket, "measures-later/m.parquet", data.measures_parquet(data.MEASURES_LATER))
    append = Ingestion("measures", f"s3://{bucket}/measures-later/m.parquet", client=client, on_success="merge",
                       checks=[C.unique("id"), C.between("value", -1, 10)]).run()
    assert append.phase == "merged" and append.rows_added == {"measures": 1}, append.report.to_string()
    return {name: client.get_table(name, "main").metadata_location for name in data.EXPECTED}


def _canon(value: Any, is_map: bool = False) -> Any:
    """One comparable form for what the readers return: NaN as a marker, instants in UTC, maps as dicts."""
    if is_map and isinstance(value, list):
        pairs = [(v["key"], v["value"]) if isinstance(v, dict) else tuple(v) for v in value]
        return {k: _canon(v) for k, v in pairs}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def _rows(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [{k: _canon(v, (table, k) in MAPS) for k, v in row.items()} for row in rows]
    return sorted(out, key=lambda r: r["id"])


def _pyiceberg(location: str) -> list[dict[str, Any]]:
    return StaticTable.from_metadata(location).scan().to_arrow().to_pylist()


def _polars(location: str) -> list[dict[str, Any]]:
    return pl.scan_iceberg(StaticTable.from_metadata(location)).collect().to_dicts()


def _daft(location: str) -> list[dict[str, Any]]:
    columns = daft.read_iceberg(StaticTable.from_metadata(location)).to_pydict()
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


READERS = {"pyiceberg": _pyiceberg, "polars": _polars, "daft": _daft}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("table", sorted(data.EXPECTED))
def test_reader_returns_the_source_values(published, table, reader):
    got = _rows(table, READERS[reader](published[table]))
    expected = _rows(table, data.EXPECTED[table])
    assert [list(r) for r in got[:1]] == [list(expected[0])], "columns or their order differ"
    for want, have in zip(expected, got, strict=True):
        assert have == want, f"{reader} read row id={want['id']} of {table} differently"


@pytest.mark.parametrize("table", sorted(data.EXPECTED))
def test_metadata_follows_the_iceberg_spec(published, table):
    assert spec.violations(published[table]) == []
