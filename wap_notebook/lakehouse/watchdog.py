"""A per-query watchdog: interrupts a DuckDB query that runs past its time limit, grows the process past its
memory limit, or is still running when the interpreter begins to exit.

DuckDB's own `memory_limit` covers the memory its buffer manager hands out (hash tables, sorts, buffered
rows), not the values a scalar function builds: `SELECT length(repeat('x', 2000000000))` allocates 4 GiB
under a 200 MB `memory_limit`. The watchdog samples the process's resident memory and stops the query when it
grew past the limit since the query began. A single value built in one call can overshoot until the call
returns (DuckDB checks for an interrupt between vectors); the query then fails all the same, even if it
finished meanwhile. Resident memory is read from /proc (Linux); elsewhere only DuckDB's limit applies.

The watchdog thread lives exactly as long as its query: `stop()` joins it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb

from wap_notebook.core import background

_POLL_S = 0.02
_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """The process's resident memory, or None where /proc is not available."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


class Watchdog:
    """Watches one query on `con`; `reason` says why it interrupted it ("time", "memory", "shutdown")."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, timeout_s: float, memory_bytes: int) -> None:
        self.reason: str | None = None
        self.peak_growth = 0
        self._con = con
        self._deadline = time.monotonic() + timeout_s
        self._memory_bytes = memory_bytes
        self._baseline = resident_bytes()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="wap-query-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(_POLL_S):
            if self.reason is not None:  # an interrupt can land between two statements of the query: repeat it
                self._con.interrupt()
                continue
            reason = None
            if background.stopping():
                reason = "shutdown"
            elif time.monotonic() > self._deadline:
                reason = "time"
            elif self._baseline is not None:
                now = resident_bytes()
                if now is not None:
                    self.peak_growth = max(self.peak_growth, now - self._baseline)
                    if self.peak_growth > self._memory_bytes:
                        reason = "memory"
            if reason is not None:
                self.reason = reason
                self._con.interrupt()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
