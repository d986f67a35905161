"""What each validation-v2 check adds to a validation, on one branch of N generated rows (default 4M).

    .venv/bin/python -m benchmarks.check_costs [rows | --quick]

Two settings, each timed the same way: `Ingestion.validate(checks=[...])` re-validates one branch, first with
no checks of its own (the built-in row count: the baseline), then with each check alone, each the median of
3 runs in the same process.

1. create: one import of N rows into a new table (nothing on `main` to compare with);
2. append: that import merged into `main`, then N more rows appended on a new branch, so that `drift`,
   `references`, `row_count_vs_history` and `fresh` work against an existing N-row `main` (drift reads the
   base and the branch: 2N rows).

Prints one line per check: seconds, ratio to the setting's baseline, and the 1-minute load average (the
machine is shared: read ratios, not absolute times). `--quick` runs 200K rows (a check that it works).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from typing import Any

import pyarrow.parquet as pq

from benchmarks.data import generate_chunk

QUICK_ROWS = 200_000


def _time(ing: Any, cases: dict[str, list[Any]], rows: int, label: str) -> None:
    print(f"-- {label}")
    base = None
    for name, checks in cases.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            ing.validate(checks=checks)
            times.append(time.perf_counter() - start)
        took = statistics.median(times)
        base = base or took
        print(f"{name:34s} {rows:>9,d} rows  {took:7.3f} s  {took / base:5.2f}x  load {os.getloadavg()[0]:.1f}")


def main(rows: int = 4_000_000) -> None:
    from wap_notebook import Ingestion, LocalClient
    from wap_notebook import checks as C
    from wap_notebook.demo.s3 import start_s3_server

    server = start_s3_server()
    os.environ.update(server.env)
    try:
        server.create_bucket("bench")
        uri = server.upload_bytes("bench", "orders.parquet", _parquet(0, rows))
        lake = LocalClient(tempfile.mkdtemp(prefix="wap-check-costs-"))
        Ingestion("airlines_ref", server.upload_bytes("bench", "ref.parquet", _ref()), client=lake, checks=[],
                  on_success="merge").run()
        ing = Ingestion("orders", uri, client=lake, checks=[]).run()
        _time(ing, {
            "baseline (row_count)": [],
            "length": [C.length("code", min=9, max=9)],
            "expression": [C.expression("positive", "amount >= 0 AND quantity > 0")],
            "fresh": [C.fresh("created_at", within="400d", now="2025-01-01")],
            "column_stat mean": [C.column_stat("amount", "mean", min=0)],
            "column_stat median": [C.column_stat("amount", "median", min=0)],
            "references": [C.references("status", "airlines_ref")],
            "drift (new table: no base)": [C.drift("score")],
            "row_count_vs_history": [C.row_count_vs_history()],
            "matches mostly=0.99": [C.matches("code", r"^[A-Z]{3}-\d{6}$", mostly=0.99)],
        }, rows, f"create: {rows:,d} rows into a new table")

        ing.merge()
        appended = Ingestion("orders", server.upload_bytes("bench", "more.parquet", _parquet(1, rows)), client=lake,
                             checks=[]).run()
        _time(appended, {
            "baseline (row_count)": [],
            "drift score (PSI)": [C.drift("score")],
            "drift score (KS)": [C.drift("score", method="ks")],
            "drift status (categories)": [C.drift("status")],
            "references": [C.references("status", "airlines_ref")],
            "row_count_vs_history": [C.row_count_vs_history()],
            "fresh": [C.fresh("created_at", within="400d", now="2025-01-01")],
            "column_stat mean": [C.column_stat("amount", "mean", min=0)],
        }, rows, f"append: {rows:,d} rows onto {rows:,d} on main")
    finally:
        server.stop()


def _parquet(index: int, rows: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(generate_chunk(index, rows), buffer)
    return buffer.getvalue()


def _ref() -> bytes:
    import pyarrow as pa

    from benchmarks.data import STATUSES

    buffer = io.BytesIO()
    pq.write_table(pa.table({"status": STATUSES}), buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    argument = sys.argv[1] if len(sys.argv) > 1 else "4000000"
    main(QUICK_ROWS if argument == "--quick" else int(argument))
