"""`Ingestion.resume(branch)`: what a new process can rebuild from an import branch.

Every branch `list_ingestions()` lists can be resumed: re-validated, merged, rebased (re-run) or discarded.

- With a record (`wap_notebook.engine.records`): the spec comes back whole (tables, sources, options, checks),
  and the verdict (phase passed/failed, report) too when no data changed on the branch since it was
  saved. A stale or unfinished record gives phase "imported" (validate again) or "error" (the import did
  not finish: rebase to re-run it, or discard).
- Without one (a branch made by hand or by an older version): tables are those changed since the fork;
  the checks that should gate it are unknown, so merging is refused until checks are given to `resume`
  (or a forced merge with a reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wap_notebook.engine import records
from wap_notebook.engine.import_branch import UNKNOWN_SOURCE, inspect_branch
from wap_notebook.engine.persist import restore
from wap_notebook.engine.phases import Phase
from wap_notebook.engine.refs import branch_label
from wap_notebook.engine.spec import ChecksArg, IngestionSpec, normalize_checks
from wap_notebook.engine.state import IngestionState

NO_RECORD = "this branch has no ingestion record, so the checks that should gate it are unknown"


@dataclass(frozen=True)
class Resumed:
    spec: IngestionSpec
    state: IngestionState
    message: str


def plan(client: Any, branch: str, *, checks: ChecksArg | None, namespace: str, from_ref: str,
         user_ns: Mapping[str, Any] | None) -> Resumed:
    record = records.load(client, branch) if client.has_branch(branch) else None
    restored = restore(record, branch, user_ns) if record is not None else None
    if restored is not None and restored.spec is not None:
        namespace, from_ref = restored.spec.namespace, restored.spec.from_ref
    found = inspect_branch(client, branch, namespace, from_ref)  # validates names, refuses a missing branch

    if restored is not None and restored.spec is not None:
        spec, state = restored.spec, restored.state
        state.branch_given = spec.branch is not None
        state.base_hash = state.base_hash or found.fork
        if checks is not None:
            spec = replace(spec, checks=normalize_checks(checks, spec.tables), checks_source="given"
                           if any(normalize_checks(checks, spec.tables).values()) else "opted_out")
        if state.imported and not found.sources:
            return _unfinished(spec, state, branch, "spec and checks restored", error=(
                f"nothing on {branch} differs from {from_ref} any more: it was merged already (the kernel may "
                "have died before deleting the branch); discard() it"))
        if restored.verdict_restored:
            return Resumed(spec, state, f"Resumed {branch}: spec, checks and verdict ({state.phase}) restored")
        if state.imported and found.sources:
            state.phase = Phase.IMPORTED
            return Resumed(spec, state, f"Resumed {branch}: spec and checks restored; the data changed since "
                                        "the last validation (or it never ran): validate() again")
        return _unfinished(spec, state, branch, "spec and checks restored")

    # No usable record: rebuild what the branch shows.
    # A record whose checks cannot be rebuilt here still knows the sources.
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


def _unfinished(spec: IngestionSpec, state: IngestionState, branch: str, what: str,
                error: str | None = None) -> Resumed:
    state.imported, state.passed, state.results = False, None, []
    state.phase = Phase.ERROR
    state.error = error or (f"the import on {branch} did not finish (the kernel may have died during it): "
                            "rebase() re-runs it on a fresh branch, discard() deletes it")
    return Resumed(spec, state, f"Resumed {branch} ({what}); {state.error}")
