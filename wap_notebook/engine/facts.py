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
        self._listed: dict[str, list[str]] = {}  # ref -> the namespace's tables there (`survey`)
        self._lock = threading.Lock()

    def describe(self, table: str, ref: str) -> Any:
        """`client.get_table(table, ref)` once, or None when the table (or ref) does not exist."""
        key = (table, ref)
        with self._lock:
            if key in self._known:
                return self._known[key]
            if ref in self._listed:  # listed there, and not among them
                return None
        try:
            found: Any = self._client.get_table(table, ref, namespace=self._namespace)
        except _MISSING:
            found = None
        with self._lock:
            self._known[key] = found
        return found

    def survey(self, ref: str) -> list[str]:
        """The namespace's table names on `ref`, listed once (`get_tables`); every listed table's description
        is kept (a listing returns the same `Table`s as `get_table`: fields, records, metadata location) and a
        table the listing lacks is known missing, so the tables of an ingestion cost one call together."""
        with self._lock:
            known = self._listed.get(ref)
        if known is not None:
            return known
        try:
            found = list(self._client.get_tables(ref, filter_by_namespace=self._namespace))
        except bx.NotFoundError:  # no such namespace yet: no table
            found = []
        names = [str(t.name) for t in found]
        with self._lock:
            self._listed[ref] = names
            for table in found:
                self._known.setdefault((str(table.name), ref), table)
        return names

    def listed(self, ref: str) -> list[str]:
        """The tables `survey` found on `ref`, without asking ([] when it did not list there)."""
        with self._lock:
            return list(self._listed.get(ref, []))

    def exists(self, table: str, ref: str) -> bool:
        return self.describe(table, ref) is not None

    def forget(self, ref: str) -> None:
        """The engine wrote to `ref` (a branch): what it knew there is stale."""
        with self._lock:
            for key in [k for k in self._known if k[1] == ref]:
                del self._known[key]
            self._listed.pop(ref, None)
