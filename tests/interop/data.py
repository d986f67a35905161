"""Source files of the interop suite and the values they mean, written independently of our readers.

Each table is described once as Python rows (`EXPECTED`: what any Iceberg reader must return) and rendered
into files the way common tools write them: pandas-style JSON Lines with UTC offsets, a CSV and a gzipped
CSV with unicode and keyword headers, and Parquet with nested, decimal and NaN columns.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

UTC = timezone.utc
LONG = "λ" * 5_000 + "end"  # a long, multi-byte string (over 10 kB of UTF-8)

# --------------------------------------------------------------------------------- events (JSON Lines)
# Offsets written three ways (space, T, Z with fraction); nested objects and lists; dates; nulls.
_EVENT_TS = ["2013-01-05 09:00:00+00:00", "2013-01-01T09:00:00+02:00", "2013-01-01T23:30:00.250Z",
             "2020-02-29T12:00:00-05:30"]
_EVENT_INSTANTS = [datetime(2013, 1, 5, 9, tzinfo=UTC), datetime(2013, 1, 1, 7, tzinfo=UTC),
                   datetime(2013, 1, 1, 23, 30, 0, 250_000, tzinfo=UTC), datetime(2020, 2, 29, 17, 30, tzinfo=UTC)]

EVENTS = [
    {
        "id": i,
        "user": {"name": ["Ada", "Grace", "Zoë", None][i], "tags": [["a"], [], ["x", "y"], None][i]},
        "scores": [[1.5, 2.0], [], None, [0.0]][i],
        "at": _EVENT_INSTANTS[i],
        "day": [date(2024, 1, 1), date(2024, 2, 29), None, date(1999, 12, 31)][i],
        "note": [LONG, "", None, "plain"][i],
    }
    for i in range(4)
]


def events_jsonl() -> bytes:
    lines = []
    for i, row in enumerate(EVENTS):
        record = dict(row, at=_EVENT_TS[i], day=row["day"].isoformat() if row["day"] else None)
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------------ stations (CSV and CSV.gz)
# Headers with unicode, spaces, a dot and SQL keywords; offsets; quoted values spanning lines; empty cells
# (null in every column, text included, as Parquet and JSON Lines hold the same missing value; a quoted empty
# cell would be the empty string).
STATION_COLUMNS = ["id", "Station Name", "größe.m", "select", "from", "opened", "seen at"]
STATIONS = [
    {"id": 1, "Station Name": "Zürich HB", "größe.m": 408.5, "select": True, "from": "north",
     "opened": date(1847, 8, 9), "seen at": datetime(2024, 3, 1, 7, 0, tzinfo=UTC)},
    {"id": 2, "Station Name": "Line one\nline two, \"quoted\"", "größe.m": None, "select": False, "from": None,
     "opened": None, "seen at": datetime(2024, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)},
    {"id": 3, "Station Name": "東京", "größe.m": -3.25, "select": None, "from": "east",
     "opened": date(1914, 12, 20), "seen at": None},
    {"id": 4, "Station Name": "Roma Termini", "größe.m": 21.0, "select": True, "from": "south",
     "opened": date(1950, 2, 20), "seen at": datetime(2023, 12, 31, 22, 0, tzinfo=UTC)},
]
_SEEN_TEXT = {1: "2024-03-01T09:00:00+02:00", 2: "2024-03-01 23:59:59.999999Z", 4: "2024-01-01T00:00:00+02:00"}


def _stations_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATION_COLUMNS)
    for row in rows:
        cells = dict(row, opened=row["opened"].isoformat() if row["opened"] else None,
                     **{"seen at": _SEEN_TEXT.get(row["id"]), "select": _bool(row["select"])})
        writer.writerow(["" if cells[c] is None else cells[c] for c in STATION_COLUMNS])
    return out.getvalue().encode()


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def stations_csv() -> bytes:
    return _stations_csv(STATIONS[:2])


def stations_csv_gz() -> bytes:
    return gzip.compress(_stations_csv(STATIONS[2:]))


# ------------------------------------------------------------------------------- measures (Parquet)
# NaN next to null, decimals, maps, structs, int32/bool/binary, naive timestamps in ns that are whole
# microseconds (what pandas writes), and a column literally named "order".
MEASURES = [
    {"id": 10, "value": 1.25, "price": Decimal("12345.678"), "attrs": {"k": 1}, "pos": {"x": 1.0, "y": -1.0},
     "small": 7, "ok": True, "raw": b"\x00\x01", "taken": datetime(2024, 5, 1, 12, 0, 0, 1), "order": "first"},
    {"id": 11, "value": math.nan, "price": Decimal("-0.001"), "attrs": {}, "pos": None,
     "small": None, "ok": False, "raw": None, "taken": datetime(1970, 1, 1), "order": "ß"},
    {"id": 12, "value": None, "price": None, "attrs": None, "pos": {"x": None, "y": 2.5},
     "small": -2**31, "ok": None, "raw": b"", "taken": None, "order": LONG},
]


# Appended by a second ingestion (a second snapshot on the same table).
MEASURES_LATER = [
    {"id": 13, "value": -0.0, "price": Decimal("999999999.999"), "attrs": {"a": -1, "b": 2**40},
     "pos": {"x": 0.5, "y": 0.25}, "small": 2**31 - 1, "ok": True, "raw": b"\xff", "taken": datetime(2262, 1, 1),
     "order": "last"},
]


def measures_parquet(rows: list[dict] | None = None) -> bytes:
    rows = MEASURES if rows is None else rows
    taken_ns = [None if r["taken"] is None else (r["taken"] - datetime(1970, 1, 1)) // timedelta(microseconds=1) * 1000
                for r in rows]
    table = pa.table({
        "id": pa.array([r["id"] for r in rows], pa.int64()),
        "value": pa.array([r["value"] for r in rows], pa.float64()),
        "price": pa.array([r["price"] for r in rows], pa.decimal128(12, 3)),
        "attrs": pa.array([None if r["attrs"] is None else list(r["attrs"].items()) for r in rows],
                          pa.map_(pa.string(), pa.int64())),
        "pos": pa.array([r["pos"] for r in rows], pa.struct([("x", pa.float64()), ("y", pa.float64())])),
        "small": pa.array([r["small"] for r in rows], pa.int32()),
        "ok": pa.array([r["ok"] for r in rows], pa.bool_()),
        "raw": pa.array([r["raw"] for r in rows], pa.binary()),
        "taken": pa.array(taken_ns, pa.timestamp("ns")),
        "order": pa.array([r["order"] for r in rows], pa.large_string()),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


EXPECTED = {"events": EVENTS, "stations": STATIONS, "measures": MEASURES + MEASURES_LATER}
