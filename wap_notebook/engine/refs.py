"""Import branch names, and what a branch changed since it forked (for resume and listing)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from wap_notebook.core.sql import validate_ref
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.events import now

_BRANCH_TS = re.compile(r"\.import_.*_(\d{8}T\d{6})_[0-9a-f]{6}$")
_STAMP = "%Y%m%dT%H%M%S"
_MAX_LABEL = 40


def username_part(username: str) -> str:
    """The user name as a ref-name part: `<user>.import_...` branches must be valid ref names."""
    parts = [re.sub(r"[^A-Za-z0-9_\-]", "_", p) or "user" for p in str(username).split(".")]
    text = ".".join(parts)
    return text if re.match(r"[A-Za-z0-9_]", text) else f"u{text}"


def import_prefix(username: str) -> str:
    return f"{username_part(username)}.import_"


def new_branch_name(username: str, tables: list[str]) -> str:
    """`<user>.import_<tables>_<UTC timestamp>_<6 hex>`: the random suffix keeps two ingestions of one
    table in the same second apart."""
    if len(tables) == 1:
        label = tables[0]
    else:
        label = "_".join(tables)[:_MAX_LABEL].rstrip("_") + f"_{len(tables)}tables"
    name = f"{import_prefix(username)}{label}_{now().strftime(_STAMP)}_{secrets.token_hex(3)}"
    return validate_ref(name, "branch", allow_hash=False)


def branch_label(name: str) -> str:
    """The table part of `<user>.import_<table>_<stamp>_<hex>` (a multi-table label for several tables)."""
    match = re.search(r"\.import_(\w+?)_\d{8}T\d{6}_[0-9a-f]{6}$", name)
    return match.group(1) if match else "unknown_table"


def branch_created_at(name: str) -> datetime | None:
    match = _BRANCH_TS.search(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=timezone.utc)


def commit_hash(commit: Any) -> str | None:
    """A commit's hash: `commit.ref.hash` in Bauplan's SDK (commits have no `.hash` of their own)."""
    value = getattr(getattr(commit, "ref", None), "hash", None)
    return value if isinstance(value, str) else None


def fork_point(client: LakehouseClient, branch: str, from_ref: str, limit: int = 500) -> str:
    """The newest commit of `branch` that is also in `from_ref`'s history (where the branch was made)."""
    target = {commit_hash(c) for c in client.get_commits(from_ref, limit=limit)}
    for commit in client.get_commits(branch, limit=limit):
        found = commit_hash(commit)
        if found is not None and found in target:
            return found
    head: str = client.get_branch(from_ref).hash
    return head


def table_versions(client: LakehouseClient, ref: str, namespace: str | None) -> dict[str, Any]:
    """Per table ("table", or "ns.table" when `namespace` is None): a value that changes on every write."""
    out = {}
    tables = client.get_tables(ref, filter_by_namespace=namespace) if namespace else client.get_tables(ref)
    for t in tables:
        table_namespace = getattr(t, "namespace", namespace)
        if namespace is not None and table_namespace != namespace:
            continue
        key = t.name if namespace is not None else f"{table_namespace}.{t.name}"
        out[key] = getattr(t, "metadata_location", None) or getattr(t, "current_snapshot_id", None)
    return out


def changed_tables(client: LakehouseClient, branch: str, base_ref: str, namespace: str | None) -> list[str]:
    """Tables whose version on `branch` differs from `base_ref` (new ones included)."""
    after = table_versions(client, branch, namespace)
    before = table_versions(client, base_ref, namespace)
    return sorted(name for name, version in after.items() if before.get(name) != version)
