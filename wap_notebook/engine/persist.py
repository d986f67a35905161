"""Save what an ingestion asked and what happened, and read it back in another process.

Two homes, one per moment of the ingestion:
- From the moment its branch exists, this machine's registry of ingestions (`wap_notebook.core.whereabouts`)
  holds the spec and where the lakehouse is: a kernel that dies during the import leaves a branch that
  `resume` can re-run with its sources and checks, and `Ingestion.resume(branch)` without a client finds
  the lakehouse. No commit, no round trip. The entry goes when the branch is merged or discarded.
- Once the import finished, records on the branch (`wap_notebook.engine.records`, one commit each, above
  the data): after `import_data()`, `validate()`, or at the end of a `run()` that leaves the branch open
  (a `run()` that publishes writes none). The merge publishes the data commit below them
  (`IngestionState.data_head`), so no record reaches `from_ref`: `main` gains the import and the merge.

This module turns the engine's `IngestionSpec` / `IngestionState` into the JSON-able dicts both hold, and
back. A record that cannot be written is an event, not a failure: without it `resume` restores no verdict
and refuses to merge until checks are given, which is the safe side.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wap_notebook.checks.model import CheckResult
from wap_notebook.core import whereabouts
from wap_notebook.core.sql import qualified_table
from wap_notebook.engine import records
from wap_notebook.engine.events import now
from wap_notebook.engine.phases import Phase
from wap_notebook.engine.spec import IngestionSpec
from wap_notebook.engine.state import Context, IngestionState

_MAX_RECORDED_FILES = 50  # commit properties are small strings: beyond this the file names are left out
_RESULT_FIELDS = ("table", "check", "columns", "severity", "status", "observed", "expected", "failing_rows",
                  "message")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def state_dict(ctx: Context) -> dict[str, Any]:
    state = ctx.state
    with ctx.lock:
        return {
            "phase": str(state.phase),
            "branch": state.branch,
            "base_hash": state.base_hash,
            "modes": dict(state.modes),
            "base_exists": dict(state.base_exists),
            "imported": state.imported,
            "passed": state.passed,
            "forced": state.forced,
            "force_reason": state.force_reason,
            "error": state.error,
            "rows_before": dict(state.rows_before),
            "rows_after": dict(state.rows_after),
            "rows_added": dict(state.rows_added),
            "data_head": state.data_head,
            "files": ({t: list(v) for t, v in state.files.items()}
                      if sum(len(v) for v in state.files.values()) <= _MAX_RECORDED_FILES else {}),
            "results": [{name: _jsonable(getattr(r, name)) for name in _RESULT_FIELDS} for r in state.results],
            "user": ctx.user,
            **whereabouts.location_of(ctx.client).to_dict(),  # shown by `show` / `list`; resume reads the registry
            "created_at": ctx.events.history[0].at.isoformat() if ctx.events.history else None,
            "saved_at": now().isoformat(),
        }


def save(ctx: Context) -> None:
    """Write a record of the ingestion on its branch, above its data (only while the branch exists)."""
    state = ctx.state
    if not state.branch_created or ctx.defer_record:
        return
    try:
        if state.data_head is None:  # the data commit records sit on: the head, once no record namespace is in it
            _clear_record_namespaces(ctx)
            head = str(ctx.client.get_branch(state.branch).hash)
            with ctx.lock:
                state.data_head = head
        marker = records.save(ctx.client, state.branch, ctx.spec.to_dict(), state_dict(ctx),
                              marker=state.record_marker)
        with ctx.lock:
            state.record_marker = marker
    except Exception as exc:  # noqa: BLE001 - see the module docstring: losing a record is the safe side
        state.markers_known = False  # the commit may or may not have landed: look before merging the head
        ctx.emit("error", f"Could not record the ingestion on {state.branch}: {exc}")


def _clear_record_namespaces(ctx: Context) -> None:
    """Before the branch head is merged or becomes `data_head`: no record namespace may be in it."""
    state = ctx.state
    if state.markers_known:
        if state.record_marker:
            ctx.client.delete_namespace(state.record_marker, state.branch, if_exists=True,
                                        commit_properties={records.CLEANUP_KEY: state.record_marker})
    else:
        records.remove_leftover_markers(ctx.client, state.branch)
    with ctx.lock:
        state.record_marker, state.markers_known = None, True


def clear_before_merging_head(ctx: Context) -> None:
    """The merge publishes `data_head`; when it is unknown it publishes the head, without record namespaces."""
    if ctx.state.data_head is None and (ctx.state.record_marker or not ctx.state.markers_known):
        _clear_record_namespaces(ctx)


def register(ctx: Context) -> None:
    """Note on this machine where the new branch's lakehouse is and what the ingestion asked."""
    try:
        whereabouts.remember(ctx.state.branch, whereabouts.location_of(ctx.client), ctx.spec.to_dict(),
                             state_dict(ctx))
    except OSError as exc:  # a read-only home: resume then needs the client given, and says so
        ctx.emit("error", f"Could not note {ctx.state.branch} in {whereabouts.registry_file()}: {exc}")


def unregister(branch: str) -> None:
    """The branch is gone (merged, discarded, deleted after a failed import)."""
    try:
        whereabouts.forget(branch)
    except OSError:  # a stale entry is harmless: its branch no longer exists
        pass


def registered(client: Any, branch: str) -> records.Record | None:
    """The registry's entry for `branch` on this client's lakehouse, read as a record that is not fresh: it
    restores the spec, never a verdict."""
    entry = whereabouts.lookup(branch)
    if entry is None or entry.location != whereabouts.location_of(client):
        return None
    if entry.state.get("branch") != branch:
        return None
    return records.Record(spec=entry.spec, state=entry.state, commit=None, fresh=False)


@contextmanager
def record_once(ctx: Context) -> Iterator[None]:
    """For `run()`: its steps save no record; at its end one is saved if the branch is left open (a run that
    publishes or discards costs no record commit above the data)."""
    ctx.defer_record = True
    try:
        yield
    finally:
        ctx.defer_record = False
        if ctx.state.branch_created and ctx.state.phase not in (Phase.MERGED, Phase.DISCARDED):
            save(ctx)


def _reattach(results: list[CheckResult], spec: IngestionSpec) -> None:
    """Give restored report rows their check objects and failing-row predicates back, so `failures()` works
    after a resume. The SQL is re-derived from the rebuilt (validated) checks, never read from the record."""
    for result in results:
        check = next((c for c in spec.checks.get(result.table, ()) if c.name == result.check), None)
        if check is None:
            continue
        result.check_obj = check
        if result.status == "passed" and not result.failing_rows:  # tolerated failures stay listable
            continue
        predicate = getattr(check, "predicate", None)
        failing = getattr(check, "failing_predicate", None)
        if callable(predicate):
            result.predicate = str(predicate())
        elif callable(failing):
            result.predicate = str(failing(qualified_table(spec.namespace, result.table)))


@dataclass(frozen=True)
class Restored:
    spec: IngestionSpec | None  # None when the record's checks could not be rebuilt (see `problem`)
    state: IngestionState
    verdict_restored: bool
    problem: str | None


def restore(record: records.Record, branch: str, user_ns: Mapping[str, Any] | None) -> Restored:
    """The spec and state a record describes. The verdict (phase passed/failed, report) is restored only
    from a fresh record: if data changed on the branch after it, the ingestion must be validated again."""
    data = record.state
    problem = None
    spec: IngestionSpec | None
    try:
        spec = IngestionSpec.from_dict(record.spec, user_ns)
    except (ValueError, KeyError, TypeError) as exc:
        spec, problem = None, f"the recorded checks cannot be rebuilt here ({exc})"
    state = IngestionState(branch=branch, branch_given=True, branch_created=True)
    state.base_hash = data.get("base_hash")
    state.modes = dict(data.get("modes") or {})
    state.base_exists = {t: bool(v) for t, v in (data.get("base_exists") or {}).items()}
    state.imported = bool(data.get("imported"))
    state.files = {t: list(v) for t, v in (data.get("files") or {}).items()}
    if record.fresh:  # nothing was written on the branch since: the recorded data commit is its data
        head = data.get("data_head")
        state.data_head = head if isinstance(head, str) else None
        state.record_marker, state.markers_known = record.marker, True
    for name in ("rows_before", "rows_after", "rows_added"):
        setattr(state, name, {t: int(v) for t, v in (data.get(name) or {}).items()})
    phase = str(data.get("phase") or "")
    verdict = record.fresh and state.imported and phase in (Phase.PASSED, Phase.FAILED)
    if verdict and spec is not None:
        state.phase = Phase(phase)
        state.passed = bool(data.get("passed"))
        state.error = data.get("error")
        state.results = [CheckResult(**{name: r.get(name) for name in _RESULT_FIELDS})
                         for r in data.get("results") or []]
        _reattach(state.results, spec)
    return Restored(spec=spec, state=state, verdict_restored=verdict and spec is not None, problem=problem)
