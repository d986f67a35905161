"""What the engine learned about tables, kept so each fact costs one client call per step.

On Bauplan's cloud every `has_table` / `get_table` is a network round trip, and one ingestion used to ask
the same question up to seven times (exists? columns? record count? on the base, then on the branch).
A table's description at a pinned ref (`main@<hash>`) never changes, so it is kept for the ingestion's
life; at a branch name it holds until the engine writes to that branch (`forget`), since the ingestion's
branch is written only by the ingestion itself. One `get_table` answers existence too (not found -> None).
"""

from __future__ import annotations

import threading
from typing import Any

from bauplan import exceptions as bx

from wap_notebook.engine.client import LakehouseClient

_MISSING = (bx.NotFoundError, bx.InvalidRefError)


class TableFacts:
    def __init__(self, client: LakehouseClient, namespace: str) -> None:
        self._client, self._namespace = client, namespace
        self._known: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def describe(self, table: str, ref: str) -> Any:
        """`client.get_table(table, ref)` once, or None when the table (or ref) does not exist."""
        key = (table, ref)
        with self._lock:
            if key in self._known:
                return self._known[key]
        try:
            found: Any = self._client.get_table(table, ref, namespace=self._namespace)
        except _MISSING:
            found = None
        with self._lock:
            self._known[key] = found
        return found

    def exists(self, table: str, ref: str) -> bool:
        return self.describe(table, ref) is not None

    def forget(self, ref: str) -> None:
        """The engine wrote to `ref` (a branch): what it knew there is stale."""
        with self._lock:
            for key in [k for k in self._known if k[1] == ref]:
                del self._known[key]
