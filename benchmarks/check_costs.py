"""What each validation-v2 check adds to a validation, on one branch of N generated rows (default 4M).

    .venv/bin/python -m benchmarks.check_costs [rows]

One import (create mode), then `Ingestion.validate(checks=[...])` re-validates the same branch: first with
no checks of its own (the built-in row count: the baseline), then with each check alone, each timed as the
median of 3 runs in the same process. Prints one line per check: seconds, ratio to the baseline, and the
1-minute load average (the machine is shared: read ratios, not absolute times).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time

import pyarrow.parquet as pq

from benchmarks.data import generate_chunk


def main(rows: int = 4_000_000) -> None:
    from wap_notebook import Ingestion, LocalClient
    from wap_notebook import checks as C
    from wap_notebook.demo.s3 import start_s3_server

    server = start_s3_server()
    os.environ.update(server.env)
    try:
        server.create_bucket("bench")
        buffer = io.BytesIO()
        pq.write_table(generate_chunk(0, rows), buffer)
        uri = server.upload_bytes("bench", "orders.parquet", buffer.getvalue())
        lake = LocalClient(tempfile.mkdtemp(prefix="wap-check-costs-"))
        Ingestion("airlines_ref", server.upload_bytes("bench", "ref.parquet", _ref()), client=lake, checks=[],
                  on_success="merge").run()
        ing = Ingestion("orders", uri, client=lake, checks=[]).run()
        cases = {
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
        }
        base = None
        for name, checks in cases.items():
            times = []
            for _ in range(3):
                start = time.perf_counter()
                ing.validate(checks=checks)
                times.append(time.perf_counter() - start)
            took = statistics.median(times)
            base = base or took
            print(f"{name:28s} {rows:>9,d} rows  {took:7.3f} s  {took / base:5.2f}x  load {os.getloadavg()[0]:.1f}")
    finally:
        server.stop()


def _ref() -> bytes:
    import pyarrow as pa

    from benchmarks.data import STATUSES

    buffer = io.BytesIO()
    pq.write_table(pa.table({"status": STATUSES}), buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000)
