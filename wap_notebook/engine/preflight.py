"""What can be known about the checks before any branch exists.

- **Columns.** When a table already exists on `from_ref`, a check naming a column it lacks is refused up
  front (a `ValueError` naming the closest existing column), instead of importing first and reporting an
  "error" row that a "Merge anyway" could wave through.
- **The table's remembered checks.** With no checks given, an ingestion into an existing table reuses
  the checks of the last ingestion merged into it. They are found in the audit properties of the merge
  commits on `from_ref` (`wap.spec`, written by every audited merge), so this works on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wap_notebook.core.suggest import did_you_mean
from wap_notebook.engine.records import commit_hash
from wap_notebook.errors import InvalidSpec

SPEC_PROPERTY = "wap.spec"  # on merge commits: the spec of the ingestion that was published
REMEMBER_LIMIT = 500  # commits of from_ref searched for the last audited merge of a table


def missing_columns(table: str, checks: Sequence[Any], columns: Sequence[str]) -> None:
    """Raise ValueError for the first check naming a column `columns` lacks, with the closest one."""
    existing = set(columns)
    for check in checks:
        for column in getattr(check, "columns", ()) or ():
            if column in existing:
                continue
            close = did_you_mean(column, columns)
            hint = f"; did you mean {close!r}?" if close else f"; its columns are {', '.join(columns)}"
            raise InvalidSpec(f"check {check.name} names column {column!r}, which table {table} does not have"
                             f"{hint} (nothing was imported, no branch was created)")


@dataclass(frozen=True)
class Remembered:
    """The checks (YAML items) of the last ingestion merged into a table, and where they were found."""

    items: list[Any]
    commit: str | None
    author: str


def remembered_checks(client: Any, from_ref: str, namespace: str, table: str) -> Remembered | None:
    """The check items the last audited merge into `namespace.table` on `from_ref` recorded, or None."""
    for commit in client.get_commits(from_ref, limit=REMEMBER_LIMIT):
        properties: Mapping[str, str] = getattr(commit, "properties", None) or {}
        raw = properties.get(SPEC_PROPERTY)
        if not raw:
            continue
        try:
            spec = json.loads(raw)
        except ValueError:
            continue
        if spec.get("namespace") != namespace or table not in (spec.get("sources") or {}):
            continue
        items = list((spec.get("checks") or {}).get(table) or [])
        author = str(properties.get("wap.user") or getattr(getattr(commit, "author", None), "name", "") or "?")
        return Remembered(items=items, commit=commit_hash(commit), author=author)
    return None
