"""Deterministic sample data for the tutorials, the demo and the tests (no randomness, no network).

- `orders_batch()`: a clean first batch of orders (ids 1..N), split over several parquet files;
- `orders_bad_batch()`: a batch that must fail the tutorial's checks: null ids, negative amounts, an
  unknown status and duplicate ids (also ids already on main);
- `orders_append_batch()`: a clean follow-up batch with new ids, to append;
- `customers()`: the customers those orders refer to, for multi-table ingestions (CSV and JSON lines).

`upload_samples(s3, bucket)` writes them all and returns the URIs by name (see `SAMPLE_KEYS`).
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

STATUSES = ("placed", "shipped", "delivered")
COUNTRIES = ("DE", "FR", "IT", "US", "JP", "BR")
_EPOCH = datetime(2024, 1, 1, 8, 0, 0)

ORDERS_SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("status", pa.string()),
        ("amount", pa.float64()),
        ("ordered_at", pa.timestamp("us")),
        ("shipped_at", pa.timestamp("us")),
    ]
)
CUSTOMERS_SCHEMA = pa.schema(
    [("customer_id", pa.int64()), ("name", pa.string()), ("email", pa.string()), ("country", pa.string())]
)

# name -> (key pattern, glob the tutorials ingest)
SAMPLE_KEYS = {
    "orders": "orders/batch-001/*.parquet",
    "orders_bad": "orders/batch-002/*.parquet",
    "orders_append": "orders/batch-003/*.parquet",
    "customers": "customers/csv/*.csv",
    "customers_jsonl": "customers/jsonl/*.jsonl",
}


def _order(order_id: int, *, status: str | None = None, amount: float | None = None) -> dict[str, Any]:
    status = status or STATUSES[order_id % 3]
    ordered_at = _EPOCH + timedelta(hours=order_id * 7 % 2000, minutes=order_id * 13 % 60)
    shipped_at = None if status == "placed" else ordered_at + timedelta(hours=6 + order_id % 40)
    if amount is None:
        amount = round(5 + (order_id * 37 % 5000) / 10, 2)
    return {
        "order_id": order_id,
        "customer_id": 1 + order_id * 7 % 50,
        "status": status,
        "amount": amount,
        "ordered_at": ordered_at,
        "shipped_at": shipped_at,
    }


def _orders_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=ORDERS_SCHEMA)


def orders_batch(n: int = 300) -> pa.Table:
    """A clean batch: ids 1..n, known statuses, amounts in (0, 10000]."""
    return _orders_table([_order(i) for i in range(1, n + 1)])


def orders_bad_batch() -> pa.Table:
    """41 rows, most fine, with every kind of problem the tutorial's checks catch."""
    rows = [_order(i) for i in range(1001, 1033)]
    rows += [
        {**_order(1033), "order_id": None},  # null ids
        {**_order(1034), "order_id": None},
        _order(1035, amount=-12.5),  # negative amounts
        _order(1036, amount=-0.99),
        _order(1037, status="lost"),  # unknown status
        _order(1038, status="returned"),
        _order(1001),  # duplicate id within the batch
        _order(1002),
        _order(7),  # an id main already has (after the first batch)
    ]
    return _orders_table(rows)


def orders_append_batch(start: int = 301, n: int = 120) -> pa.Table:
    """A clean follow-up batch with ids that do not exist yet."""
    return _orders_table([_order(i) for i in range(start, start + n)])


def customers(n: int = 50) -> pa.Table:
    rows = [
        {
            "customer_id": i,
            "name": f"Customer {i:03d}",
            "email": f"customer{i:03d}@example.com",
            "country": COUNTRIES[i % len(COUNTRIES)],
        }
        for i in range(1, n + 1)
    ]
    return pa.Table.from_pylist(rows, schema=CUSTOMERS_SCHEMA)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def csv_bytes(table: pa.Table) -> bytes:
    import pyarrow.csv as pcsv

    buffer = io.BytesIO()
    pcsv.write_csv(table, buffer)
    return buffer.getvalue()


def jsonl_bytes(table: pa.Table) -> bytes:
    lines = (json.dumps(row, default=str) for row in table.to_pylist())
    return ("\n".join(lines) + "\n").encode()


def _split(table: pa.Table, parts: int) -> list[pa.Table]:
    size = -(-table.num_rows // parts)
    return [table.slice(i * size, size) for i in range(parts) if i * size < table.num_rows]


def sample_objects() -> dict[str, dict[str, bytes]]:
    """name -> {key: bytes}: every object the demo bucket holds."""
    objects: dict[str, dict[str, bytes]] = {}
    for name, table, parts in (
        ("orders", orders_batch(), 3),
        ("orders_bad", orders_bad_batch(), 1),
        ("orders_append", orders_append_batch(), 2),
    ):
        folder = SAMPLE_KEYS[name].rsplit("/", 1)[0]
        objects[name] = {
            f"{folder}/part-{i:03d}.parquet": parquet_bytes(chunk) for i, chunk in enumerate(_split(table, parts))
        }
    folder = SAMPLE_KEYS["customers"].rsplit("/", 1)[0]
    objects["customers"] = {f"{folder}/customers.csv": csv_bytes(customers())}
    folder = SAMPLE_KEYS["customers_jsonl"].rsplit("/", 1)[0]
    objects["customers_jsonl"] = {f"{folder}/customers.jsonl": jsonl_bytes(customers())}
    return objects


def upload_samples(s3: Any, bucket: str) -> dict[str, str]:
    """Upload every sample to `bucket` through `s3` (a `LocalS3`); return name -> glob URI."""
    for objects in sample_objects().values():
        for key, data in objects.items():
            s3.upload_bytes(bucket, key, data)
    return {name: f"s3://{bucket}/{pattern}" for name, pattern in SAMPLE_KEYS.items()}
