"""How busy the machine was while each figure was taken, and which figures that makes not comparable.

The machine is shared: a figure taken while other work saturates the cores measures the competition, not the
code (a CPU-bound side and an I/O-bound side suffer unequally, so even same-run ratios move). Every measured
row records the 1-minute load average just before and just after it, and the highest 10-second sample taken in
between; a row whose highest reading exceeds `PER_CORE_LIMIT` per core is marked not comparable in the printed
table, the results JSON and BENCHMARKS.md. The run then measures such rows once more if the machine has become
quiet, and says so when it has not.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

from benchmarks.stats import Row

#: Load average per core above which a figure is not comparable. Our own run keeps one to two cores busy on
#: its own (an import reads, writes and computes partials on three threads), i.e. up to 1 per core on 2 cores.
PER_CORE_LIMIT = 1.5

Clock = Callable[[], float]


def one_minute_load() -> float:
    return os.getloadavg()[0]


def threshold(nproc: int) -> float:
    return PER_CORE_LIMIT * max(nproc, 1)


def quiet(load: float, nproc: int) -> bool:
    return load <= threshold(nproc)


class LoadSampler(threading.Thread):
    """The 1-minute load average every `every` seconds of the run, with the time it was read."""

    def __init__(self, every: float = 10.0, read: Clock = one_minute_load, now: Clock = time.monotonic) -> None:
        super().__init__(daemon=True)
        self.timed_samples: list[tuple[float, float]] = []
        self._every, self._read, self._now = every, read, now
        self._done = threading.Event()

    @property
    def samples(self) -> list[float]:
        return [load for _, load in self.timed_samples]

    def run(self) -> None:
        while not self._done.wait(self._every):
            self.timed_samples.append((self._now(), self._read()))

    def between(self, start: float, end: float) -> list[float]:
        return [load for at, load in list(self.timed_samples) if start <= at <= end]

    def stop(self) -> None:
        self._done.set()


class RowLoads:
    """Stamps each row with the load of the stretch of the run that measured it: from the previous row (or
    `begin()`, called when a measure starts) to the row's completion."""

    def __init__(self, sampler: LoadSampler | None = None, read: Clock = one_minute_load,
                 now: Clock = time.monotonic) -> None:
        self._sampler, self._read, self._now = sampler, read, now
        self._start = (now(), read())

    def begin(self) -> None:
        self._start = (self._now(), self._read())

    def stamp(self, row: Row, same_figures_as: Iterable[Row] = ()) -> None:
        """Record the load on `row`; a row that reuses other rows' figures (a per-row view of row 1's imports,
        row 3's validations against pandera) carries their readings too."""
        started, before = self._start
        ended, after = self._now(), self._read()
        during = self._sampler.between(started, ended) if self._sampler is not None else []
        peak = max([before, after, *during])
        for other in same_figures_as:
            if other.load_peak is not None:
                before = max(before, other.load_before or 0.0)
                peak = max(peak, other.load_peak)
        row.load_before, row.load_after, row.load_peak = before, after, peak
        self._start = (ended, after)


def mark(rows: Iterable[Row], nproc: int) -> list[Row]:
    """Set `comparable` on every stamped row; returns the rows that are not comparable."""
    loaded = []
    for row in rows:
        # Peak memory (row 7) does not depend on how busy the cores are: only timed figures can be loaded.
        timed = row.ours.unit != "B"
        row.comparable = not timed or row.load_peak is None or quiet(row.load_peak, nproc)
        if not row.comparable:
            loaded.append(row)
    return loaded


def verdict(row: Row, nproc: int) -> str:
    """What the table says about a row's load ('' when it was quiet)."""
    if row.comparable or row.load_peak is None:
        return row.rerun
    said = f"NOT COMPARABLE: load {row.load_peak:.1f} on {nproc} cores (limit {threshold(nproc):.1f})"
    return f"{said}; {row.rerun}" if row.rerun else said


def replace_rerun(rows: list[Row], numbers: set[int], again: list[Row], nproc: int) -> list[Row]:
    """`rows` with the rows numbered `numbers` replaced by `again` (their second measurement), each new row
    saying what the first one read; a second measurement that is loaded too stays marked."""
    first = {(r.row, r.measure, r.n, r.baseline_name): r for r in rows if r.row in numbers}
    mark(again, nproc)
    for row in again:
        before = first.get((row.row, row.measure, row.n, row.baseline_name))
        was = f"{before.load_peak:.1f}" if before is not None and before.load_peak is not None else "?"
        row.rerun = (f"rerun: first measurement at load {was}" if row.comparable
                     else f"rerun once, loaded again (first at load {was})")
    kept = [r for r in rows if r.row not in numbers]
    return sorted(kept + again, key=lambda r: r.row)


def not_rerun(rows: Iterable[Row], load_now: float, nproc: int) -> None:
    """Say on each loaded row that the machine was still busy when the run could have measured it again."""
    for row in rows:
        if not row.comparable:
            row.rerun = f"not rerun: load still {load_now:.1f} at the end of the run"
