"""The durable record of an ingestion, kept on its own import branch, readable from any process.

What the user asked (the spec: tables, sources, namespace, options, checks in their YAML form) and what
happened (the state: phase, verdict, report, forced flag and reason, rows, who and when, and the lakehouse
it ran on) must survive a kernel restart, so `Ingestion.resume(branch)` can restore the checks and the
verdict and never turn a failed batch into "ready to merge".

Where it lives. Bauplan branches carry no metadata, but commits carry free `dict[str, str]` properties and
every commit of a branch is durable and readable with `get_commits`. So each save is one *record commit*
on the import branch, through a call both backends have that takes commit properties: it creates a
namespace of its own (`wap_record_<hex>`), and the next save deletes that namespace, so at most one such
empty namespace is ever on the branch and each save costs one commit. Records are written only above the
data (after the import), and the merge publishes the data commit below them (`state["data_head"]`, see
`wap_notebook.engine.persist`), so no record, and no record namespace, ever reaches `from_ref`. On the
embedded lakehouse those commits are rows of the catalog's commit graph (SQLite); on Bauplan they live in
Bauplan's catalog the same way: one code path through the `bauplan.Client` API (`create_namespace`,
`delete_namespace`, `get_commits`, `get_namespaces`).

Freshness. A record describes the branch as it was when saved. If a later commit that is not a record
commit changed the branch (someone wrote to it), `Record.fresh` is False and a restored verdict must not
be trusted: resume then re-validates before anything can be merged.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bauplan import exceptions as bx

SPEC_KEY = "wap.record.spec"
STATE_KEY = "wap.record.state"
CLEANUP_KEY = "wap.record.cleanup"
MARKER_KEY = "wap.record.marker"  # the record namespace this commit left on the branch ("" when none)
MARKER_PREFIX = "wap_record_"
HISTORY_LIMIT = 500  # commits read back from a branch head; an import branch has a handful


@dataclass(frozen=True)
class Record:
    spec: dict[str, Any]
    state: dict[str, Any]
    commit: str | None  # hash of the record commit
    fresh: bool  # no data commit on the branch after it
    marker: str | None = None  # the record namespace on the branch above the data, left by this record


def commit_hash(commit: Any) -> str | None:
    ref = getattr(commit, "ref", None)
    value = getattr(ref, "hash", None)
    return value if isinstance(value, str) else None


def _is_record_commit(commit: Any) -> bool:
    return STATE_KEY in (getattr(commit, "properties", None) or {})


def save(client: Any, branch: str, spec: Mapping[str, Any], state: Mapping[str, Any], *,
         marker: str | None) -> str | None:
    """Write one record commit on `branch` and return the record namespace left there (or None).

    `marker`: the record namespace the previous save left (None: there is none). This save deletes it, or,
    when there is none, creates a new one: either way one commit carrying the record. `state["branch"]`
    must be `branch`: records merged into `from_ref` with their branch's history are told apart from a
    branch's own by it."""
    properties = {SPEC_KEY: json.dumps(spec, sort_keys=True, default=str),
                  STATE_KEY: json.dumps(state, sort_keys=True, default=str)}
    body = f"wap-notebook ingestion record: phase {state.get('phase', '?')}"
    if marker:
        try:
            client.delete_namespace(marker, branch, commit_body=body,
                                    commit_properties={**properties, MARKER_KEY: ""})
            return None
        except bx.NamespaceNotFoundError:  # deleted by someone else: this save creates one instead
            pass
    created = MARKER_PREFIX + secrets.token_hex(4)
    client.create_namespace(created, branch, commit_body=body, commit_properties={**properties, MARKER_KEY: created})
    return created


def remove_leftover_markers(client: Any, branch: str) -> list[str]:
    """Delete the record namespaces on `branch` (before its head is merged or taken as its data, when
    which ones are there is not known: a resumed branch written to since, or one an older version's save
    left half done), so none is ever merged. Returns their names."""
    leftovers = [getattr(ns, "name", str(ns)) for ns in client.get_namespaces(branch, filter_by_name=MARKER_PREFIX)]
    leftovers = [name for name in leftovers if name.startswith(MARKER_PREFIX)]
    for name in leftovers:
        client.delete_namespace(name, branch, if_exists=True, commit_properties={CLEANUP_KEY: name})
    return leftovers


def _commits(client: Any, branch: str) -> Iterator[Any]:
    return iter(client.get_commits(branch, limit=HISTORY_LIMIT))


def load(client: Any, branch: str) -> Record | None:
    """The newest record on `branch`, or None when the branch has none (made by an older version, or by
    hand). Raises what the client raises for a missing branch."""
    data_commit_seen = False
    for commit in _commits(client, branch):
        properties = getattr(commit, "properties", None) or {}
        if STATE_KEY not in properties:
            data_commit_seen = data_commit_seen or not _is_marker_only(commit)
            continue
        try:
            spec = json.loads(properties.get(SPEC_KEY) or "{}")
            state = json.loads(properties[STATE_KEY])
        except ValueError:  # a damaged record is no record: resume then refuses to merge without checks
            return None
        if state.get("branch") != branch:
            # Another branch's record, merged into the history this branch was made from: this branch's own
            # commits are all newer, so it has none.
            return None
        return Record(spec=spec, state=state, commit=commit_hash(commit), fresh=not data_commit_seen,
                      marker=properties.get(MARKER_KEY) or None)
    return None


def _is_marker_only(commit: Any) -> bool:
    """The cleanup of a crashed save: it deletes a marker namespace and changes no data."""
    return CLEANUP_KEY in (getattr(commit, "properties", None) or {})
