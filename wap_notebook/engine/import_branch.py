"""What an import branch tells about the ingestion that made it (tables, sources, fork point), for resume."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wap_notebook.core.naming import validate_identifier
from wap_notebook.core.sql import validate_ref
from wap_notebook.engine.client import LakehouseClient, table_exists
from wap_notebook.engine.refs import changed_tables, fork_point
from wap_notebook.errors import BranchNotFound, InvalidSpec

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
        raise BranchNotFound(f"Branch {branch!r} does not exist (see wap_notebook.list_ingestions())")
    fork = fork_point(client, branch, from_ref)
    base_ref = f"{from_ref}@{fork}"
    tables = changed_tables(client, branch, base_ref, namespace)  # none: the import never finished
    sources = dict.fromkeys(tables, UNKNOWN_SOURCE)
    for commit in client.get_commits(branch, limit=_COMMITS_SCANNED):
        message = getattr(commit, "message", "") or ""
        # The embedded lakehouse names the source in its import commits' message (Bauplan's carry `bpln_job_id`).
        uri = (getattr(commit, "properties", None) or {}).get("wap.import.search_uri") or next(
            iter(re.findall(r"^Import \d+ files? from (.+) into \S+$", message)), None)
        for t in tables:
            if uri and sources[t] == UNKNOWN_SOURCE and f"{namespace}.{t}" in message:
                sources[t] = uri
    base_exists = {t: bool(table_exists(client, t, base_ref, namespace=namespace)) for t in tables}
    return FoundBranch(branch, namespace, from_ref, fork, sources, base_exists)
