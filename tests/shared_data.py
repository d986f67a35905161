"""Data that tests in several layers share (tests/ is on sys.path through the rootdir conftest)."""

from __future__ import annotations

import datetime as dt
import io
import math

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from wap_notebook import checks

# The checks of the tutorials, as a `%%wap_ingest` cell body holds them.
GOOD_CHECKS = """\
- not_null: [order_id, customer_id]
- unique: order_id
- between: {column: amount, min: 0, max: 10000}
- accepted_values: {column: status, values: [placed, shipped, delivered]}
- sql: {name: ship_after_order, query: "SELECT * FROM {table} WHERE shipped_at < ordered_at"}
  severity: warn
"""

# The checks the panel tests hold a batch of orders to (`bad_uri` fails each of them).
STRICT_ORDER_CHECKS = [
    checks.not_null("order_id", "customer_id"),
    checks.unique("order_id"),
    checks.between("amount", min=0, max=10_000),
    checks.accepted_values("status", ["placed", "shipped", "delivered"]),
]

# The branch the lakehouse tests write on.
BRANCH = "tester.work"


def orders(start: int, n: int) -> pa.Table:
    """`n` orders with ids from `start`: int, float, text and nanosecond timestamp columns."""
    ids = list(range(start, start + n))
    return pa.table({
        "order_id": pa.array(ids, pa.int64()),
        "amount": pa.array([float(i) * 1.5 for i in ids]),
        "status": pa.array(["placed" if i % 2 else "shipped" for i in ids]),
        "ordered_at": pa.array([dt.datetime(2026, 1, 1) + dt.timedelta(minutes=i) for i in ids],
                               pa.timestamp("ns")),
    })


def same_measure(a: object, b: object) -> bool:
    """Two measured values agree (NaN equals NaN, a missing count equals 0, lists element by element)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_measure(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return (0 if a is None else a) == (0 if b is None else b) if not isinstance(a, list) else a == b


# The checks a `--checks` file holds in the command-line tests.
CLI_CHECKS = """\
- not_null: [order_id, customer_id]
- unique: order_id
- between: {column: amount, min: 0, max: 10000}
"""


def main_count(path: object) -> int | None:
    """Rows of bauplan.orders on main of the embedded lakehouse at `path` (None: no such table)."""
    from wap_notebook.lakehouse import LocalClient

    client = LocalClient(path)
    if not client.has_table("orders", "main", namespace="bauplan"):
        return None
    count = client.query("SELECT COUNT(*) FROM bauplan.orders", ref="main").column(0)[0].as_py()
    return int(count)


# A small table the source-reader tests write in every format.
SOURCE_TABLE = pa.table({
    "id": pa.array([1, 2, 3], pa.int64()),
    "name": ["a", "b", "c"],
    "score": [1.5, 2.5, None],
})


def parquet_bytes(table: pa.Table, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **kwargs)
    return buffer.getvalue()


def csv_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pcsv.write_csv(table, buffer)
    return buffer.getvalue()


def read_all(file: object, target: pa.Schema | None = None, **kwargs: object) -> pa.Table:
    """Every batch of a source file, as one table of `target`'s (or the file's) schema."""
    from wap_notebook.lakehouse.sources import iter_batches, read_schema

    batches = list(iter_batches(file, target, **kwargs))
    schema = target if target is not None else read_schema(file)
    return pa.Table.from_batches(batches, schema=schema)
