"""What was published into a table: the audited merge commits on `from_ref`, newest first.

Every audited merge carries the ingestion's audit properties (`wap.*`, see `Steps.audit_record`), so the
table's publishing history is read from the commit log through the client API and works on both backends.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd

from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.records import commit_hash

HISTORY_COLUMNS = ["commit", "merged_at", "user", "branch", "rows_added", "checks_passed", "checks_failed",
                   "forced", "reason", "sources"]


def _json(raw: str | None, default: Any) -> Any:
    try:
        return json.loads(raw) if raw else default
    except ValueError:
        return default


def merged_ingestions(client: LakehouseClient, table: str, *, namespace: str = "bauplan", from_ref: str = "main",
                      limit: int = 500) -> pd.DataFrame:
    """One row per audited merge into `namespace.table` among the last `limit` commits of `from_ref`."""
    qualified = f"{namespace}.{table}"
    rows = []
    for commit in client.get_commits(from_ref, limit=limit):
        properties: dict[str, str] = dict(getattr(commit, "properties", None) or {})
        if qualified not in _json(properties.get("wap.tables"), []):
            continue
        rows_added = _json(properties.get("wap.rows_added"), {})
        sources = _json(properties.get("wap.sources"), {})
        when = getattr(commit, "authored_date", None) or getattr(commit, "committed_date", None)
        forced = properties.get("wap.forced") == "true"
        rows.append({
            "commit": commit_hash(commit),
            "merged_at": when.isoformat(timespec="seconds") if isinstance(when, datetime) else when,
            "user": properties.get("wap.user"),
            "branch": properties.get("wap.branch"),
            "rows_added": rows_added.get(table) if isinstance(rows_added, dict) else None,
            "checks_passed": properties.get("wap.checks_passed"),
            "checks_failed": properties.get("wap.checks_failed"),
            "forced": forced,
            "reason": properties.get("wap.force_reason") if forced else None,
            "sources": sources.get(table) if isinstance(sources, dict) else None,
        })
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)
