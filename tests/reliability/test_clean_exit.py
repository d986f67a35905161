"""A process that ends while background threads (panel loader, background ingestion, queries) are still at
work exits with status 0: no thread is left inside DuckDB or pyarrow when the interpreter finalizes
("FATAL: exception not rethrown", status 134, in 1 of 5 runs of this suite before)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WORKER = str(Path(__file__).with_name("exit_worker.py"))


@pytest.mark.parametrize("run", range(4))
def test_a_session_with_background_work_exits_cleanly(tmp_path, run):
    done = subprocess.run([sys.executable, WORKER, str(tmp_path)], capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "FATAL" not in output and "session done" in done.stdout, output[-3000:]


def test_background_threads_are_joined_after_the_stop_signal():
    code = ("import threading, time\n"
            "from wap_notebook.core import background\n"
            "def work():\n"
            "    while not background.stopping():\n"
            "        time.sleep(0.01)\n"
            "    time.sleep(0.2)\n"
            "    print('wound down', flush=True)\n"
            "background.start(work, name='t')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "wound down", done.stdout + done.stderr
