"""Resource limits of every query the embedded lakehouse runs (`query`, `scan`, `query_to_*`, and so every
`sql` check): memory, threads and wall-clock time.

Defaults: memory a quarter of the machine's RAM (at least 1 GiB), threads one per core, 600 s. Each can be
set per client (`LocalClient(path, query_limits=QueryLimits(memory_mb=2048, threads=2, timeout_s=60))`) or
for every client of a process with `WAP_QUERY_MEMORY_MB`, `WAP_QUERY_THREADS` and `WAP_QUERY_TIMEOUT_S`.
A value that is not a positive number is refused with a `ValueError` naming where it came from.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_S = 600.0
MIN_DEFAULT_MEMORY_MB = 1024
ENV_MEMORY = "WAP_QUERY_MEMORY_MB"
ENV_THREADS = "WAP_QUERY_THREADS"
ENV_TIMEOUT = "WAP_QUERY_TIMEOUT_S"


def default_memory_mb() -> int:
    """A quarter of the machine's physical memory: a notebook's queries must leave room for the rest."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every platform reports it
        return 4 * MIN_DEFAULT_MEMORY_MB
    return max(MIN_DEFAULT_MEMORY_MB, total // 4 // (1024 * 1024))


def _positive(value: object, what: str, kind: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0 \
            or (kind is int and not float(value).is_integer()):
        raise ValueError(f"{what} must be a positive {'whole ' if kind is int else ''}number, got {value!r}")
    return value


@dataclass(frozen=True)
class QueryLimits:
    """What one query may use. DuckDB enforces `memory_mb` on what it manages (hash tables, sorts; beyond it
    a query spills to a private temporary folder, then fails) and a watchdog enforces it on the process's
    growth during the query (values a function builds, the result); `timeout_s` interrupts the query."""

    memory_mb: int = field(default_factory=default_memory_mb)
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        _positive(self.memory_mb, "QueryLimits.memory_mb", int)
        _positive(self.threads, "QueryLimits.threads", int)
        _positive(self.timeout_s, "QueryLimits.timeout_s", float)

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_mb) * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> QueryLimits:
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name, attr, kind in ((ENV_MEMORY, "memory_mb", int), (ENV_THREADS, "threads", int),
                                 (ENV_TIMEOUT, "timeout_s", float)):
            raw = env.get(name, "").strip()
            if not raw:
                continue
            try:
                number = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r}: expected a positive {'whole ' if kind is int else ''}number")\
                    from None
            values[attr] = _positive(number, name, kind)
        return cls(**values)  # type: ignore[arg-type]
