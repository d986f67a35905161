"""`python -m wap_notebook ingest`: the magic's options and YAML checks, unattended, with honest exit codes."""


from __future__ import annotations

import subprocess
import sys

from wap_notebook.cli.main import EXIT_OPERATION


def test_unreachable_bauplan_exits_3_with_one_line(monkeypatch, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BAUPLAN_API_KEY": "sk-never-print-me",
           "BAUPLAN_API_ENDPOINT": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "wap_notebook", "ingest", "orders", "s3://b/o/*.parquet"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_OPERATION
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Bauplan backend" in lines[0] and "--backend local" in lines[0]
    assert "sk-never-print-me" not in done.stderr
