"""Timing helpers and the result rows of the benchmark table."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Sample:
    """Repeated measurements of one figure (seconds, or bytes for memory)."""

    values: list[float] = field(default_factory=list)
    unit: str = "s"

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def add(self, value: float) -> None:
        self.values.append(value)

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "min": self.min, "median": self.median, "values": self.values}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds `fn()` took (wall clock), after a garbage collection so no earlier garbage is billed to it."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@dataclass
class Row:
    row: int
    measure: str
    n: str
    ours: Sample
    baseline: Sample
    baseline_name: str
    target: str
    ratio: float  # ours / baseline on medians (or the row's own figure, see `ratio_kind`)
    ratio_min: float | None
    met: bool
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The 1-minute load average just before and after the row was measured, and the highest reading in between
    # (benchmarks/load.py); a row read above the per-core limit is not comparable.
    load_before: float | None = None
    load_after: float | None = None
    load_peak: float | None = None
    comparable: bool = True
    rerun: str = ""  # what became of a loaded row: measured again, or why not

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ours"] = self.ours.as_dict()
        data["baseline"] = self.baseline.as_dict()
        return data


def fmt_value(sample: Sample, stat: str) -> str:
    value = getattr(sample, stat)
    if sample.unit == "s":
        if value < 0.1:
            return f"{value * 1000:.2f} ms"
        return f"{value:.3f} s"
    if sample.unit == "B":
        return f"{value / 2**20:,.0f} MiB"
    if sample.unit == "s/row":
        return f"{value * 1e9:.1f} ns/row"
    return f"{value:.3g} {sample.unit}"
