"""Background threads that end before the interpreter does.

A thread still inside DuckDB or pyarrow when the interpreter finalizes is killed by a forced unwind that
their C++ `catch (...)` blocks swallow: the process aborts with "FATAL: exception not rethrown" after all
work succeeded (exit status 134 instead of 0). Every background thread of the package is started here and
is joined at exit, after `stopping()` turned true so it winds down instead of starting more work: queries
check it and are interrupted by it (lakehouse/query.py), loops see it and return.

The threads are daemon threads on purpose: Python joins non-daemon threads *before* it runs `atexit`
handlers, so a non-daemon thread in a long query would hold up the exit with nothing telling it to stop.
Here the `atexit` handler sets the flag first, then joins.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Callable
from typing import Any

_SAY_AFTER_S = 2.0  # a shutdown that waits longer than this says what it waits for

_lock = threading.Lock()
_threads: set[threading.Thread] = set()
_stopping = threading.Event()


def stopping() -> bool:
    """True once the interpreter began to exit: background work should stop at its next chance."""
    return _stopping.is_set()


def start(target: Callable[..., Any], *, name: str, args: tuple[Any, ...] = ()) -> threading.Thread:
    """Start `target(*args)` on a thread that the process joins before it exits."""

    def run() -> None:
        try:
            target(*args)
        finally:
            with _lock:
                _threads.discard(thread)

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _lock:
        _threads.add(thread)
    thread.start()
    return thread


def alive() -> list[threading.Thread]:
    """The background threads still running (for tests and diagnostics)."""
    with _lock:
        return [t for t in _threads if t.is_alive()]


def shutdown() -> None:
    """Ask every background thread to stop and wait until each has returned (run at exit)."""
    _stopping.set()
    said = False
    current = threading.current_thread()
    while True:
        waiting = [t for t in alive() if t is not current]
        if not waiting:
            return
        for thread in waiting:
            thread.join(_SAY_AFTER_S)
            if thread.is_alive() and not said:
                said = True
                names = ", ".join(sorted(t.name for t in waiting))
                print(f"wap-notebook: waiting for background work to finish before exit: {names}",
                      file=sys.stderr)


atexit.register(shutdown)
