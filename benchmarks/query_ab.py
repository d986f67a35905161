"""A/B of `LocalClient.query` between two checkouts of the package, interleaved in one run.

    .venv/bin/python -m benchmarks.query_ab BASELINE_DIR [N] [REPS]

BASELINE_DIR is another checkout (e.g. `git worktree add --detach /tmp/base <commit>`); the current checkout
is "ours". One lakehouse is built once (a table of N rows, default 4M, in 4 data files); each repetition
starts one subprocess per checkout (order alternating) that times, on the same lakehouse: a one-row
query (the fixed cost every check and panel view pays, median of 30), a validation-like aggregate
(COUNT DISTINCT, IN list, regex, min/max, null count; median of 3) and a filtered count (median of 10).
Prints medians over the repetitions, ours/baseline, and the load average.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHILD = r"""
import json, statistics, sys, time
from wap_notebook.lakehouse import LocalClient
client = LocalClient(sys.argv[1], username="bench")
def timed(sql, n):
    out = []
    for _ in range(n):
        start = time.perf_counter(); client.query(sql, ref="main"); out.append(time.perf_counter() - start)
    return statistics.median(out)
client.query("SELECT 1", ref="main")
print(json.dumps({
    "fixed": timed("SELECT count(*) FROM orders WHERE id = 1", 30),
    "aggregate": timed("SELECT count(*), count(DISTINCT id), sum(CASE WHEN status IN ('a','b','c','d','e') "
                       "THEN 0 ELSE 1 END), sum(CASE WHEN regexp_matches(code, '^[A-Z]{3}-[0-9]{6}$') THEN 0 "
                       "ELSE 1 END), min(amount), max(amount), count(score) FROM orders", 3),
    "filtered": timed("SELECT count(*) FROM orders WHERE amount < 10", 10),
}))
"""


def build(root: Path, n: int) -> Path:
    from wap_notebook.lakehouse import LocalClient

    rng = np.random.default_rng(0)
    ids = rng.permutation(n)
    client = LocalClient(root / "lh", username="bench")
    client.create_branch("bench.load", "main")
    for part in range(4):
        chunk = ids[part * n // 4:(part + 1) * n // 4]
        m = len(chunk)
        path = root / f"p{part}.parquet"
        pq.write_table(pa.table({
            "id": chunk.astype("int64"), "amount": rng.random(m) * 1000,
            "status": pa.array(rng.choice(["a", "b", "c", "d", "e"], m)),
            "code": pa.array([f"ABC-{x:06d}" for x in rng.integers(0, 999_999, m)]),
            "score": rng.random(m)}), path)
        if part == 0:
            client.create_table("orders", str(path), branch="bench.load")
        assert client.import_data("orders", str(path), branch="bench.load").error is None
    client.merge_branch("bench.load", "main")
    return root / "lh"


def main(baseline: str, n: int, reps: int) -> None:
    ours = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = build(Path(tmp), n)
        results: dict[str, list[dict[str, float]]] = {"ours": [], "baseline": []}
        load = [os.getloadavg()[0]]
        for rep in range(reps):
            order = [("ours", ours), ("baseline", baseline)]
            for name, code in order if rep % 2 == 0 else order[::-1]:
                env = {**os.environ, "PYTHONPATH": code}
                out = subprocess.run([sys.executable, "-c", CHILD, str(lakehouse)], env=env, check=True,
                                     capture_output=True, text=True).stdout
                results[name].append(json.loads(out))
            load.append(os.getloadavg()[0])
    print(f"N={n:,} rows, {reps} repetitions, load average (1 min) min {min(load):.1f} max {max(load):.1f}")
    for measure in ("fixed", "aggregate", "filtered"):
        a = statistics.median(r[measure] for r in results["ours"])
        b = statistics.median(r[measure] for r in results["baseline"])
        print(f"{measure:10s} ours {a * 1000:8.1f} ms  baseline {b * 1000:8.1f} ms  ratio {a / b:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 6)
