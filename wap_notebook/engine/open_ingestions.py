"""`list_ingestions()`: one row per open import branch of the current user, and `prune` for stale ones.

Each row says what the branch's ingestion record says (tables, phase, verdict, rows added, who, when),
or this machine's registry of ingestions for a branch whose import never finished, or what the branch
itself shows when it has neither. Ages read as words (`7 min`, `3 days`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from wap_notebook.core.durations import humanize_age, parse_duration
from wap_notebook.engine import records
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.events import now
from wap_notebook.engine.persist import registered, unregister
from wap_notebook.engine.refs import branch_created_at, changed_tables, fork_point, import_prefix
from wap_notebook.errors import InvalidSpec

COLUMNS = ["branch", "tables", "phase", "verdict", "rows_added", "created_by", "created", "age", "head"]


class IngestionList(pd.DataFrame):  # type: ignore[misc]  # pandas ships no stubs here
    """The table `list_ingestions()` returns; `prune(older_than=..., dry_run=True)` cleans stale rows."""

    _metadata = ["_client"]

    @property
    def _constructor(self) -> type[IngestionList]:
        return IngestionList

    def prune(self, older_than: timedelta | str | float = "7d", *, dry_run: bool = True) -> pd.DataFrame:
        """Delete the listed branches older than `older_than` (`timedelta`, seconds, or `"7d"`, `"12h"`).

        With `dry_run=True` (the default) nothing is deleted: the result lists what would be."""
        limit = parse_duration(older_than)
        client = getattr(self, "_client", None)
        if client is None:
            raise InvalidSpec("prune() needs the list returned by list_ingestions()")
        cutoff = now() - limit
        stale = self[self["created"].map(lambda c: isinstance(c, datetime) and c < cutoff)]
        out = []
        for row in stale.itertuples(index=False):
            action = "would delete"
            if not dry_run:
                client.delete_branch(row.branch, if_exists=True)
                unregister(row.branch)
                action = "deleted"
            out.append({"branch": row.branch, "tables": row.tables, "phase": row.phase, "age": row.age,
                        "action": action})
        return pd.DataFrame(out, columns=["branch", "tables", "phase", "age", "action"])


def _describe(client: LakehouseClient, name: str) -> dict[str, Any]:
    # The branch's newest record, or (a kernel that died during the import) this machine's registry entry.
    record = records.load(client, name) or registered(client, name)
    created = branch_created_at(name)
    if record is not None:
        state, spec = record.state, record.spec
        phase = str(state.get("phase") or "?")
        if phase in ("new", "importing"):  # still running elsewhere, or its kernel died: resume tells
            phase = "importing or interrupted"
        elif not record.fresh:
            phase = "imported (changed since)"
        passed = state.get("passed") if record.fresh else None
        verdict = {True: "passed", False: "failed"}.get(passed, "not validated") if passed is not None else \
            "not validated"
        rows = state.get("rows_added") or {}
        recorded_at = state.get("created_at")
        if recorded_at:
            created = datetime.fromisoformat(recorded_at)
        return {"tables": ", ".join(f"{spec.get('namespace', '?')}.{t}" for t in spec.get("sources") or {}),
                "phase": phase, "verdict": verdict, "rows_added": sum(int(v) for v in rows.values()) if rows else None,
                "created_by": state.get("user"), "created": created}
    try:
        changed = changed_tables(client, name, f"main@{fork_point(client, name, 'main')}", None)
    except Exception:  # noqa: BLE001 - listing must not fail on one odd branch
        changed = []
    return {"tables": ", ".join(changed), "phase": "imported (no record)" if changed else "unfinished (no record)",
            "verdict": "not validated", "rows_added": None, "created_by": name.split(".import_")[0],
            "created": created}


def open_ingestions(client: LakehouseClient, user: str) -> IngestionList:
    """Open import branches of `user`: branch, tables, phase, verdict, rows added, created by, created,
    age (in words), head. Every row can be given to `Ingestion.resume`."""
    prefix = import_prefix(user)
    rows = []
    for branch in client.get_branches(user=user):
        name = getattr(branch, "name", str(branch))
        if not name.startswith(prefix):
            continue
        row = {"branch": name, **_describe(client, name), "head": getattr(branch, "hash", None)}
        row["age"] = humanize_age(now() - row["created"]) if row["created"] else "unknown"
        rows.append(row)
    listed = IngestionList(rows, columns=COLUMNS)
    listed._client = client
    return listed
