"""`Ingestion.resume(branch)`: what a new process can rebuild from an import branch.

Every branch `list_ingestions()` lists can be resumed: re-validated, merged, rebased (re-run) or discarded.

- With a record (`wap_notebook.engine.records`): the spec comes back whole (tables, sources, options, checks),
  and the verdict (phase passed/failed, report) too when no data changed on the branch since it was
  saved. A fresh record is all resume reads (plus `from_ref`'s recent history, to tell a batch merged
  already); the branch is inspected only when the record is stale. A stale record gives phase
  "imported" (validate again).
- Without a record on the branch but with this machine's registry entry (`wap_notebook.core.whereabouts`:
  the kernel died during the import, before the first record): the spec comes back, and the phase is
  "error" (the import did not finish: rebase to re-run it, or discard).
- Without one (a branch made by hand or by an older version): tables are those changed since the fork;
  the checks that should gate it are unknown, so merging is refused until checks are given to `resume`
  (or a forced merge with a reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bauplan import exceptions as bx

from wap_notebook.core.sql import validate_ref
from wap_notebook.engine import records
from wap_notebook.engine.conflicts import MOVED_LIMIT
from wap_notebook.engine.import_branch import UNKNOWN_SOURCE, inspect_branch
from wap_notebook.engine.persist import registered, restore
from wap_notebook.engine.phases import Phase
from wap_notebook.engine.refs import branch_label, commit_hash
from wap_notebook.engine.spec import ChecksArg, IngestionSpec, normalize_checks
from wap_notebook.engine.state import IngestionState
from wap_notebook.errors import BranchNotFound, InvalidSpec

NO_RECORD = "this branch has no ingestion record, so the checks that should gate it are unknown"


@dataclass(frozen=True)
class Resumed:
    spec: IngestionSpec
    state: IngestionState
    message: str


def plan(client: Any, branch: str, *, checks: ChecksArg | None, namespace: str, from_ref: str,
         user_ns: Mapping[str, Any] | None) -> Resumed:
    validate_ref(branch, "branch", allow_hash=False)
    if branch in (from_ref, "main"):
        raise InvalidSpec(f"Cannot resume {branch!r}: it is not an import branch")
    try:
        record = records.load(client, branch)
    except bx.NotFoundError:  # reading its history is the first call: a missing branch ends here
        raise BranchNotFound(f"Branch {branch!r} does not exist (see wap_notebook.list_ingestions())") from None
    if record is None:
        record = registered(client, branch)
    restored = restore(record, branch, user_ns) if record is not None else None
    if restored is not None and restored.spec is not None:
        spec, state = restored.spec, restored.state
        namespace, from_ref = spec.namespace, spec.from_ref
        state.branch_given = spec.branch is not None
        if checks is not None:
            normalized = normalize_checks(checks, spec.tables)
            spec = replace(spec, checks=normalized,
                           checks_source="given" if any(normalized.values()) else "opted_out")
        if record is not None and record.fresh:  # the record is the branch as it is: nothing to inspect
            if not state.imported:
                return _unfinished(spec, state, branch, "spec and checks restored")
            if _merged_already(client, from_ref, state, branch, record.commit):
                return _unfinished(spec, state, branch, "spec and checks restored",
                                   error=_MERGED_ALREADY.format(branch=branch, from_ref=from_ref))
            return _restored(spec, state, branch, verdict=restored.verdict_restored)
        found = inspect_branch(client, branch, namespace, from_ref)
        state.base_hash = state.base_hash or found.fork
        if state.imported and not found.sources:
            return _unfinished(spec, state, branch, "spec and checks restored",
                               error=_MERGED_ALREADY.format(branch=branch, from_ref=from_ref))
        if state.imported and found.sources:
            return _restored(spec, state, branch, verdict=False)
        return _unfinished(spec, state, branch, "spec and checks restored")

    found = inspect_branch(client, branch, namespace, from_ref)
    # No usable record: rebuild what the branch shows. A record whose checks cannot be rebuilt here still
    # knows the sources.
    recorded: dict[str, str] = dict(record.spec.get("sources") or {}) if record is not None else {}
    if found.sources:
        sources = {t: recorded.get(t, uri) for t, uri in found.sources.items()}
    else:
        sources = recorded or {branch_label(branch): UNKNOWN_SOURCE}
    given = checks is not None
    spec = IngestionSpec.build(sources, None, namespace=namespace, checks=checks or (), from_ref=from_ref,
                               checks_source=("given" if checks else "opted_out") if given else "none")
    state = IngestionState(branch=branch, branch_given=False, branch_created=True, base_hash=found.fork,
                           base_exists=dict(found.base_exists),
                           modes={t: "append" if e else "create" for t, e in found.base_exists.items()})
    why = restored.problem if restored is not None and restored.problem else NO_RECORD
    if not given:
        state.checks_unknown = why
    if not found.sources:
        return _unfinished(spec, state, branch, why)
    state.imported = True
    state.phase = Phase.IMPORTED
    tail = "" if given else f"; {why}: merging needs checks=... (or a forced merge with a reason)"
    return Resumed(spec, state, f"Resumed {branch} (tables: {', '.join(spec.tables)}){tail}")


_MERGED_ALREADY = ("nothing on {branch} differs from {from_ref} any more: it was merged already (the kernel may "
                   "have died before deleting the branch); discard() it")


def _restored(spec: IngestionSpec, state: IngestionState, branch: str, *, verdict: bool) -> Resumed:
    if verdict:
        return Resumed(spec, state, f"Resumed {branch}: spec, checks and verdict ({state.phase}) restored")
    state.phase = Phase.IMPORTED
    return Resumed(spec, state, f"Resumed {branch}: spec and checks restored; the data changed since the last "
                                "validation (or it never ran): validate() again")


def _merged_already(client: Any, from_ref: str, state: IngestionState, branch: str, record: str | None) -> bool:
    """Whether this batch is already in `from_ref` (merged, then the kernel died before deleting the branch),
    from one read of `from_ref`'s history down to the fork: a commit there is the batch's data commit or
    record, has it as a parent, or is the merge an ingestion of this branch made (`wap.branch`)."""
    ours = {h for h in (state.data_head, record) if h}
    for commit in client.get_commits(from_ref, limit=MOVED_LIMIT):
        found = commit_hash(commit)
        if found == state.base_hash:
            return False
        parents = set(getattr(commit, "parent_hashes", None) or ())
        properties = getattr(commit, "properties", None) or {}
        if found in ours or parents & ours or properties.get("wap.branch") == branch:
            return True
    return False


def _unfinished(spec: IngestionSpec, state: IngestionState, branch: str, what: str,
                error: str | None = None) -> Resumed:
    state.imported, state.passed, state.results = False, None, []
    state.phase = Phase.ERROR
    state.error = error or (f"the import on {branch} did not finish (the kernel may have died during it): "
                            "rebase() re-runs it on a fresh branch, discard() deletes it")
    return Resumed(spec, state, f"Resumed {branch} ({what}); {state.error}")
