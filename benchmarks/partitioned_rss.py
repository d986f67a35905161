"""Peak memory of imports into a partitioned table, against the same import into an unpartitioned one.

    .venv/bin/python -m benchmarks.partitioned_rss [rows ...] [--quick]

For each size (default 2M and 8M rows, `--quick` 200K and 800K), four local Parquet files of generated rows are
imported once into an unpartitioned table (the baseline) and once into a table partitioned by
`month(created_at)`, each import in a fresh interpreter (`benchmarks.rss_child`: VmHWM reset + 2 ms sampler).
Prints the peak RSS growth of each, the ratio partitioned / unpartitioned in the same run, the growth against the
smallest size (flat means streamed), and the 1-minute load average.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks.data import generate_chunk

REPO_ROOT = Path(__file__).resolve().parent.parent
PARTITIONED_BY = "month(created_at)"


def _files(folder: Path, rows: int) -> str:
    for index in range(4):
        pq.write_table(generate_chunk(index, rows // 4), folder / f"part-{index}.parquet")
    return str(folder / "*.parquet")


def _growth(uri: str, rows: int, partitioned_by: str | None) -> tuple[int, float]:
    workdir = Path(tempfile.mkdtemp(prefix="wap-part-rss-"))
    args = json.dumps({"uri": uri, "rows": rows, "workdir": str(workdir), "partitioned_by": partitioned_by})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.rss_child", args], capture_output=True, text=True,
                              cwd=REPO_ROOT, env=env, timeout=3600)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"RSS child failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    out = json.loads(lines[-1])
    return int(out["growth"]), float(out["seconds"])


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv if not a.startswith("--")] or (
        [200_000, 800_000] if "--quick" in argv else [2_000_000, 8_000_000])
    first_growth: dict[str, int] = {}
    mib = 2**20
    print(f"{'rows':>10} {'table':>12} {'growth':>10} {'seconds':>8} {'vs unpart.':>10} {'vs smallest':>11}  load")
    for rows in sizes:
        folder = Path(tempfile.mkdtemp(prefix="wap-part-src-"))
        try:
            uri = _files(folder, rows)
            base, base_s = _growth(uri, rows, None)
            part, part_s = _growth(uri, rows, PARTITIONED_BY)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        for label, growth, seconds in (("plain", base, base_s), ("partitioned", part, part_s)):
            first_growth.setdefault(label, growth)
            print(f"{rows:>10,d} {label:>12} {growth / mib:>7.0f} MiB {seconds:>7.1f}s {growth / base:>9.2f}x "
                  f"{growth / first_growth[label]:>10.2f}x  {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
