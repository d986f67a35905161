"""Import progress reporting that travels beside Bauplan's API instead of through it.

`bauplan.Client.import_data` has no progress callback, and the embedded lakehouse must keep the exact
same signature. So a caller that wants progress wraps the call in `reporting_to(callback)`; the
embedded lakehouse reports into whatever callback is active on the current thread, and the real
Bauplan client simply reports nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportProgress:
    """A snapshot of one running import (one table)."""

    table: str
    files_done: int
    files_total: int
    rows_done: int
    bytes_done: int = 0
    current_file: str | None = None
    bytes_total: int = 0  # size of all the files of this import, when known (for rate and time left)


ProgressCallback = Callable[[ImportProgress], None]

_active = threading.local()


@contextmanager
def reporting_to(callback: ProgressCallback) -> Iterator[None]:
    """Send progress of imports run on this thread, inside the block, to `callback`."""
    previous = getattr(_active, "callback", None)
    _active.callback = callback
    try:
        yield
    finally:
        _active.callback = previous


def report(progress: ImportProgress) -> None:
    """Called by the lakehouse; a failing callback must never break an import."""
    callback = getattr(_active, "callback", None)
    if callback is None:
        return
    try:
        callback(progress)
    except Exception:  # noqa: BLE001 - progress is advisory
        pass
