"""The panel's two background threads: the action worker (Merge, Discard, ... one at a time) and the data
loader (the slower views, requests coalesced).

The detail tabs query the branch (sample, schema, diff, charts), so they never load inside an engine event
or a click: a request bumps a counter and starts the loader thread unless one runs; the running thread
sees the bump when it finishes and loads again, so what is shown is always the state of the last request
(no polling, no second thread). An action runs on the worker thread, or in the caller's thread when the
magic runs it in the cell (the cell then ends with everything shown).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from wap_notebook.core.background import start as start_background


class DataLoader:
    """Runs `load(refresh_displays)` on one thread until no request arrived during a load.

    `on_stale()` runs (under `lock`) when a request arrived while loading: the views just built may
    already be out of date, and the owner says so before the next round."""

    def __init__(self, load: Callable[[bool], None], *, on_stale: Callable[[], None], lock: threading.RLock,
                 name: str = "wap-panel-load") -> None:
        self._load = load
        self._on_stale = on_stale
        self._lock = lock
        self._name = name
        self._wanted = 0  # bumped by every request: the views are stale until a load started after it ends
        self._loading = False  # a loader thread is running (set and cleared under the lock)
        self._refresh_displays = False  # the running loader also refreshes the static HTML when done
        self.thread: threading.Thread | None = None

    def request(self, *, update_displays: bool = False) -> None:
        """Load (again) on the loader thread; `update_displays` also refreshes the static HTML afterwards."""
        with self._lock:
            self._wanted += 1
            self._refresh_displays = self._refresh_displays or update_displays
            if self._loading:
                return  # the running loader sees the bump and loads again
            self._loading = True
            self.thread = start_background(self._loop, name=self._name)

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._lock:
                wanted, refresh_displays = self._wanted, self._refresh_displays
                self._refresh_displays = False
            try:
                self._load(refresh_displays)
            except Exception:  # noqa: BLE001 - the views say what failed; the loop must end cleanly
                pass
            with self._lock:
                if self._wanted == wanted:  # no request arrived meanwhile: what is shown is current
                    self._loading = False
                    return
                self._on_stale()


class ActionWorker:
    """Runs one job at a time on a worker thread, or in the calling thread; the owner decides which."""

    def __init__(self, name: str = "wap-panel") -> None:
        self._name = name
        self.thread: threading.Thread | None = None

    def start(self, action: str, job: Callable[[], None], *, threaded: bool) -> None:
        if threaded:
            self.thread = start_background(job, name=f"{self._name}-{action}")
        else:
            job()

    def on_worker(self) -> bool:
        """The caller runs on this worker's thread (not in a cell's thread)."""
        return threading.current_thread() is self.thread

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
