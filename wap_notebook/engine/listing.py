"""Open import branches: list them, and rebuild what an ingestion knew from one (resume)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from wap_notebook.backend import username
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.events import now
from wap_notebook.engine.refs import branch_created_at, changed_tables, fork_point, import_prefix
from wap_notebook.engine.spec import ChecksArg, IngestionSpec
from wap_notebook.engine.state import IngestionState
from wap_notebook.errors import InvalidSpec
from wap_notebook.naming import validate_identifier
from wap_notebook.sql import validate_ref

UNKNOWN_SOURCE = "(unknown)"
_COMMITS_SCANNED = 200


@dataclass(frozen=True)
class FoundBranch:
    """What an import branch tells about the ingestion that made it."""

    branch: str
    namespace: str
    from_ref: str
    fork: str  # the from_ref commit it was made from
    sources: dict[str, str]  # changed tables -> source URI from the import commits, or "(unknown)"
    base_exists: dict[str, bool]


def inspect_branch(client: LakehouseClient, branch: str, namespace: str, from_ref: str) -> FoundBranch:
    """Tables are those changed on the branch since it forked from `from_ref`; their sources come from
    the `wap.import.search_uri` property of the import commits, when the backend writes it."""
    validate_ref(branch, "branch", allow_hash=False)
    validate_identifier(namespace, "namespace")
    validate_ref(from_ref, "from_ref", allow_hash=False)
    if branch in (from_ref, "main"):
        raise InvalidSpec(f"Cannot resume {branch!r}: it is not an import branch")
    if not client.has_branch(branch):
        raise InvalidSpec(f"Branch {branch!r} does not exist (see wap_notebook.list_ingestions())")
    fork = fork_point(client, branch, from_ref)
    base_ref = f"{from_ref}@{fork}"
    tables = changed_tables(client, branch, base_ref, namespace)
    if not tables:
        raise InvalidSpec(f"Branch {branch!r} has no table changes in namespace {namespace!r} vs {from_ref}")
    sources = dict.fromkeys(tables, UNKNOWN_SOURCE)
    for commit in client.get_commits(branch, limit=_COMMITS_SCANNED):
        message = getattr(commit, "message", "") or ""
        # The embedded lakehouse names the source in its import commits' message (Bauplan's carry `bpln_job_id`).
        uri = (getattr(commit, "properties", None) or {}).get("wap.import.search_uri") or next(
            iter(re.findall(r"^Import \d+ files? from (.+) into \S+$", message)), None)
        for t in tables:
            if uri and sources[t] == UNKNOWN_SOURCE and f"{namespace}.{t}" in message:
                sources[t] = uri
    base_exists = {t: bool(client.has_table(t, base_ref, namespace=namespace)) for t in tables}
    return FoundBranch(branch, namespace, from_ref, fork, sources, base_exists)


def resumed(found: FoundBranch, checks: ChecksArg) -> tuple[IngestionSpec, IngestionState]:
    """The spec and state of the ingestion that made `found`: its data imported, not validated yet."""
    spec = IngestionSpec.build(found.sources, None, namespace=found.namespace, checks=checks,
                               from_ref=found.from_ref, branch=found.branch)
    state = IngestionState(branch=found.branch, branch_given=True, branch_created=True, base_hash=found.fork,
                           base_exists=dict(found.base_exists), imported=True,
                           modes={t: "append" if e else "create" for t, e in found.base_exists.items()})
    return spec, state


def list_ingestions(client: LakehouseClient | None = None) -> pd.DataFrame:
    """Open import branches of the current user: branch, tables, created, age, head."""
    if client is None:
        from wap_notebook.backend import connect

        client = connect()
    user = username(client)
    prefix = import_prefix(user)
    rows = []
    for branch in client.get_branches(user=user):
        name = getattr(branch, "name", str(branch))
        if not name.startswith(prefix):
            continue
        created = branch_created_at(name)
        try:
            changed = changed_tables(client, name, f"main@{fork_point(client, name, 'main')}", None)
        except Exception:  # noqa: BLE001 - listing must not fail on one odd branch
            changed = []
        rows.append({
            "branch": name,
            "tables": ", ".join(changed),
            "created": created,
            "age": (now() - created) if created else None,
            "head": getattr(branch, "hash", None),
        })
    return pd.DataFrame(rows, columns=["branch", "tables", "created", "age", "head"])
