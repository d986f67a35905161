"""The merged ingestions of a table, read from the audit properties of the merge commits on a ref.

Every audited merge writes `wap.spec` (the ingestion's spec, with its checks), `wap.rows_added`, `wap.user`,
`wap.forced` / `wap.force_reason` and the check counts (`wap_notebook.engine.steps.audit_record`), so this
works on both backends without any record of our own. `row_count_vs_history` and `suggest_checks` use it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wap_notebook.engine.preflight import SPEC_PROPERTY
from wap_notebook.engine.records import commit_hash

HISTORY_COLUMNS = ["merge_commit", "when", "who", "rows_added", "verdict", "forced", "reason", "checks", "sources",
                   "branch"]
SCAN_LIMIT = 2_000  # commits of the ref searched


def _loads(raw: str | None, default: Any) -> Any:
    try:
        return json.loads(raw) if raw else default
    except ValueError:
        return default


def merged_ingestions(client: Any, table: str, *, namespace: str = "bauplan", ref: str = "main",
                      limit: int = 50) -> list[dict[str, Any]]:
    """Newest first: one dict per audited merge into `namespace.table` on `ref` (HISTORY_COLUMNS)."""
    out: list[dict[str, Any]] = []
    if limit <= 0:
        return out
    for commit in client.get_commits(ref, limit=SCAN_LIMIT):
        properties: Mapping[str, str] = getattr(commit, "properties", None) or {}
        spec = _loads(properties.get(SPEC_PROPERTY), None)
        if not isinstance(spec, dict) or spec.get("namespace", "bauplan") != namespace:
            continue
        sources = spec.get("sources") or {}
        if table not in sources:
            continue
        rows = _loads(properties.get("wap.rows_added"), {})
        forced = properties.get("wap.forced") == "true"
        failed = int(properties.get("wap.checks_failed") or 0)
        out.append({
            "merge_commit": commit_hash(commit),
            "when": getattr(commit, "authored_date", None),
            "who": properties.get("wap.user") or getattr(getattr(commit, "author", None), "name", None),
            "rows_added": rows.get(table) if isinstance(rows, dict) else None,
            "verdict": "forced" if forced else ("passed" if failed == 0 else "failed"),
            "forced": forced,
            "reason": properties.get("wap.force_reason") or None,
            "checks": list((spec.get("checks") or {}).get(table) or []),
            "sources": sources.get(table),
            "branch": properties.get("wap.branch"),
        })
        if len(out) >= limit:
            break
    return out


def rows_added_history(client: Any, table: str, *, namespace: str, ref: str, limit: int) -> list[int]:
    """Rows added by the last `limit` merged ingestions of the table, newest first (unknown ones skipped)."""
    found = merged_ingestions(client, table, namespace=namespace, ref=ref, limit=limit)
    return [int(item["rows_added"]) for item in found if isinstance(item["rows_added"], int)]
