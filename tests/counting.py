"""A counting proxy around a lakehouse client, for the round-trip budget tests and the benchmarks.

On Bauplan's cloud every client call is a network round trip and every commit on `main` is history a user
browses, so the engine's cost there is counted in calls and commits. The proxy forwards exactly the
methods of the engine's `LakehouseClient` protocol and nothing else: its class is not `LocalClient`
(so no partials reader is registered for it) and it has no `path`, so the engine takes the
backend-neutral path it takes with `bauplan.Client`, whatever client is inside.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from wap_notebook.engine.client import CLIENT_METHODS


class CountingClient:
    """Counts every call per method name; `calls` since the last `reset()`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in CLIENT_METHODS:
            raise AttributeError(f"{type(self).__name__} forwards only the LakehouseClient methods, not {name!r}")
        method = getattr(self._inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


def local_commit_count(client: Any, ref: str = "main") -> int:
    """Commits in `ref`'s history on the embedded lakehouse (which lists a merged branch's commits too),
    read through the inner client so the reading is not counted."""
    inner = getattr(client, "_inner", client)
    return len(list(inner.get_commits(ref, limit=100_000)))
