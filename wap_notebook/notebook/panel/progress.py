"""Import progress as the panel shows it: rows and bytes, rate, and time left.

The lakehouse reports `ImportProgress` snapshots (rows as batches are written, bytes when a file is done,
the size of all files up front). Between file boundaries the bytes read are estimated from the rows
written at the bytes-per-row seen so far, so a single large file still shows a moving bar and an
estimate once its first part is measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reading:
    fraction: float  # 0..1
    text: str
    rows_per_s: float | None = None
    bytes_per_s: float | None = None
    seconds_left: float | None = None


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns


def human_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def human_seconds(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s // 60:.0f} min {s % 60:02.0f} s"
    return f"{s // 3600:.0f} h {s % 3600 // 60:02.0f} min"


class ProgressMeter:
    """Turns successive `ImportProgress` snapshots of one import into readings; `reset()` between imports."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._table: str | None = None
        self._started = 0.0
        self._bytes_per_row: float | None = None
        self._bytes_seen = 0

    def update(self, progress: Any) -> Reading:
        now = self._clock()
        if progress.table != self._table:
            self._table, self._started, self._bytes_per_row, self._bytes_seen = progress.table, now, None, 0
        rows, done, total = int(progress.rows_done or 0), int(progress.bytes_done or 0), int(
            getattr(progress, "bytes_total", 0) or 0)
        if done > self._bytes_seen and rows:  # a file just finished: bytes and rows are both exact here
            self._bytes_per_row, self._bytes_seen = done / rows, done
        estimated = done
        if total and progress.files_total and progress.files_done >= progress.files_total:
            estimated = total  # every file read: the size of each is not always reported as it finishes
        elif self._bytes_per_row and total:
            estimated = max(done, min(total, int(rows * self._bytes_per_row)))
        files_total = max(int(progress.files_total or 0), 1)
        fraction = estimated / total if total else min(int(progress.files_done or 0) / files_total, 1.0)
        elapsed = now - self._started
        parts = [f"{progress.table}", f"file {min(progress.files_done + 1, files_total)}/{files_total}"
                 if progress.files_done < files_total else f"{files_total}/{files_total} files",
                 f"{rows:,} rows"]
        if total:
            parts.append(f"{human_bytes(estimated)} of {human_bytes(total)}")
        rows_rate = bytes_rate = left = None
        if elapsed >= 0.2 and rows:
            rows_rate = rows / elapsed
            rate = f"{human_count(rows_rate)} rows/s"
            if estimated:
                bytes_rate = estimated / elapsed
                rate += f", {human_bytes(bytes_rate)}/s"
            parts.append(rate)
            if bytes_rate and total and estimated < total:
                left = (total - estimated) / bytes_rate
                parts.append(f"about {human_seconds(left)} left")
        return Reading(min(max(fraction, 0.0), 1.0), " · ".join(parts), rows_rate, bytes_rate, left)
