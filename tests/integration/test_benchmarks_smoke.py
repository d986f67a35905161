"""Smoke test of the benchmark suite: the quick harness at tiny sizes runs and prints every row (1-12).

No timing assertions: the figures at these sizes mean nothing, only that every measure runs end to end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("moto")
pytest.importorskip("pandera")
pytest.importorskip("psutil")


def test_bench_quick_smoke_prints_every_row(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--data-dir", str(tmp_path / "data"),
         "--results-dir", str(tmp_path / "results"), "--no-markdown"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    printed = {int(m.group(1)) for m in re.finditer(r"^(\d+)\s{2}", proc.stdout, re.M)}
    assert printed == set(range(1, 13)), proc.stdout
    document = json.loads((tmp_path / "results" / "smoke.json").read_text())
    assert {row["row"] for row in document["rows"]} == set(range(1, 13))
    for row in document["rows"]:
        assert row["ours"]["values"] and row["baseline"]["values"], row
    assert document["machine"]["nproc"] >= 1


def test_partitioned_import_memory_benchmark_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.partitioned_rss", "20000"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert re.search(r"20,000\s+plain .* 1\.00x", proc.stdout) and re.search(r"20,000\s+partitioned", proc.stdout)
