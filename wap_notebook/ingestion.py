"""The `Ingestion` engine: Write-Audit-Publish of one or more tables through the Bauplan client API.

An ingestion writes on a fresh import branch, audits the result with checks, and publishes it by
merging the branch into `from_ref` (normally `main`). It talks to the lakehouse only through the
`LakehouseClient` methods (a subset of `bauplan.Client`'s), so the same code drives Bauplan's cloud and
the embedded `LocalClient`.

`Ingestion` is a facade: it guards actions (phase table, one action at a time) and delegates to the
parts in `wap_notebook.engine` (spec, state, steps, inspection, events). Fixes over the reference WAP
script (see ../shared/bauplan-semantics.md):

- the state returned by `import_data` is checked (`error`, `job_status`); a failed import is phase
  ``failed`` with the reason, never a success;
- names never reach SQL unvalidated or unquoted (`wap_notebook.core.sql`);
- branch names carry a 6-hex random suffix and creation refuses existing branches, so two
  ingestions of one table in the same second do not collide and nobody else's branch is ever written;
- the row-count check is on the rows *this ingestion added* (`wap_notebook.engine.rows`), so an empty
  or all-duplicate append fails instead of passing on the rows already in the table;
- merging first checks whether `from_ref` moved and whether a touched table changed there, so the
  conflict surfaces before Bauplan's own merge, with the branch kept for a retry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pandas as pd
from bauplan import exceptions as bx

from wap_notebook.backend import describe_backend, username
from wap_notebook.core.naming import validate_identifier
from wap_notebook.core.options import MODES, ON_FAILURE, ON_SUCCESS, Mode, OnConflict, OnFailure, OnSuccess
from wap_notebook.core.progress import ImportProgress
from wap_notebook.engine import check_selection, conflicts, persist
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.events import EventStream, IngestionEvent, now
from wap_notebook.engine.guard import Guard
from wap_notebook.engine.history import HISTORY_COLUMNS, merged_ingestions
from wap_notebook.engine.inspection import Inspection, InspectionMethods
from wap_notebook.engine.open_ingestions import IngestionList, open_ingestions
from wap_notebook.engine.phases import Action, Phase
from wap_notebook.engine.refs import new_branch_name
from wap_notebook.engine.resume import Resumed
from wap_notebook.engine.resume import plan as resume_plan
from wap_notebook.engine.spec import ChecksArg, IngestionSpec
from wap_notebook.engine.state import Context, IngestionState
from wap_notebook.engine.steps import Steps
from wap_notebook.errors import BranchNotFound, InvalidSpec, MergeRefused
from wap_notebook.reports import HtmlReport

__all__ = ["Ingestion", "IngestionEvent", "IngestionSpec", "list_ingestions", "prune_ingestions", "MODES",
           "ON_FAILURE", "ON_SUCCESS", "Phase"]


def _connect(client: LakehouseClient | None, *, create: bool = False) -> LakehouseClient:
    """The client given, or the configured lakehouse: created only by an ingestion, never by a read."""
    if client is not None:
        return client
    from wap_notebook.backend import connect

    connected: LakehouseClient = connect(create=create)
    return connected


def _resume_plan(branch: str, client: LakehouseClient | None, **options: Any) -> tuple[LakehouseClient, Resumed]:
    """`Ingestion.resume`'s lakehouse and plan: a missing branch is named with the lakehouse opened and, when
    no client was given, where that lakehouse was found."""
    looked = ""
    if client is None:
        from wap_notebook.backend import connect_for_branch

        client, looked = connect_for_branch(branch)
    try:
        return client, resume_plan(client, branch, **options)
    except BranchNotFound as exc:
        where = f"{describe_backend(client)}" + (f"; {looked}" if looked else "")
        raise BranchNotFound(f"{exc.args[0]} in the {where}") from None


def list_ingestions(client: LakehouseClient | None = None) -> IngestionList:
    """Open import branches of the current user: branch, tables, phase, verdict, rows added, created by,
    created, age (in words), head. Every row can be given to `Ingestion.resume`.

    Raises:
        BackendUnavailable: no client was given and the configured backend cannot be reached.
    """
    connected = _connect(client)
    return open_ingestions(connected, username(connected))


def history(table: str, client: LakehouseClient | None = None, limit: int = 50, *, namespace: str = "bauplan",
            ref: str = "main") -> pd.DataFrame:
    """The merged ingestions of `namespace.table` on `ref`, newest first: merge commit, when, who, rows added,
    verdict, forced and reason, checks (YAML items), sources, branch; read from the audit properties of the
    merge commits, so it works on both backends.

    Raises:
        InvalidSpec: a malformed table name or limit.
        BackendUnavailable: no client was given and the configured backend cannot be reached.
    """
    validate_identifier(table, "table")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidSpec(f"limit must be a positive integer; got {limit!r}")
    rows = merged_ingestions(_connect(client), table, namespace=namespace, ref=ref, limit=limit)
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def prune_ingestions(older_than: timedelta | str | float = "7d", *, dry_run: bool = True,
                     client: LakehouseClient | None = None) -> pd.DataFrame:
    """`list_ingestions(client).prune(older_than, dry_run=dry_run)`: delete (or, by default, list) the open
    import branches older than `older_than` ("7d", "12h", a timedelta or seconds).

    Raises:
        InvalidSpec: `older_than` is not a duration.
        BackendUnavailable: no client given and none can be opened (`LakehouseNotFound` for a missing path).
        bauplan.exceptions.BauplanError: the lakehouse refused a listing or a deletion.
    """
    return list_ingestions(client).prune(older_than, dry_run=dry_run)


class Ingestion(HtmlReport, InspectionMethods):
    """Write-Audit-Publish of `table` from `source` (or several tables: `Ingestion({t: uri, ...}, None)`).

    `run()` imports on a fresh branch, validates, and applies the policies (`on_success="merge"` merges,
    `on_failure="delete"` deletes the branch). Each step is also a method. Data problems (failed import,
    failed checks) end in phase "failed" without raising; operation errors set phase "error" and raise.
    """

    def __init__(
        self,
        table: str | Mapping[str, str],
        source: str | None = None,
        *,
        namespace: str = "bauplan",
        checks: ChecksArg | None = None,
        on_success: OnSuccess = "inspect",
        on_failure: OnFailure = "inspect",
        mode: Mode = "auto",
        from_ref: str = "main",
        branch: str | None = None,
        client: LakehouseClient | None = None,
        import_duplicate_files: bool = False,
        on_conflict: OnConflict = "fail",
    ) -> None:
        """`checks=None` reuses the checks last merged into each existing table (`checks=[]`: built-ins only);
        see `wap_notebook.engine.check_selection`. `on_conflict="rebase"`: see `rebase()`.

        Raises:
            InvalidSpec: a malformed table name, option, check or source; nothing was touched.
            BackendUnavailable: no client was given and the configured backend cannot be reached.
        """
        spec = IngestionSpec.build(table, source, namespace=namespace, checks=checks or (), on_success=on_success,
                                   on_failure=on_failure, mode=mode, from_ref=from_ref, branch=branch,
                                   import_duplicate_files=import_duplicate_files, on_conflict=on_conflict)
        self._assemble(_connect(client, create=True), spec)
        self._ctx.spec = check_selection.with_remembered_checks(self._ctx, spec, checks_given=checks is not None)
        check_selection.check_columns_on_from_ref(self._ctx)
        check_selection.warn_unchecked_merge(self._ctx.spec)

    def _assemble(self, client: LakehouseClient, spec: IngestionSpec, state: IngestionState | None = None) -> None:
        user = username(client)
        if state is None:
            branch = spec.branch or new_branch_name(user, spec.tables)
            state = IngestionState(branch=branch, branch_given=spec.branch is not None)
        state.files = {t: state.files.get(t, []) for t in spec.tables}
        lock = threading.RLock()
        events = EventStream(lock, IngestionEvent(now(), "phase", state.phase, "Ingestion created"))
        self._ctx = Context(client=client, spec=spec, state=state, events=events, user=user, lock=lock)
        self._backend = describe_backend(client)
        self._steps = Steps(self._ctx)
        self._guard = Guard(self._ctx)
        self.inspect = Inspection(self._ctx, self._steps)

    # ---------------------------------------------------------------------------------- what was asked
    @property
    def spec(self) -> IngestionSpec:
        return self._ctx.spec

    @property
    def tables(self) -> list[str]:
        return self.spec.tables

    @property
    def sources(self) -> dict[str, str]:
        return dict(self.spec.sources)

    @property
    def namespace(self) -> str:
        return self.spec.namespace

    @property
    def from_ref(self) -> str:
        return self.spec.from_ref

    @property
    def mode(self) -> str:
        return self.spec.mode

    @property
    def on_success(self) -> str:
        return self.spec.on_success

    @property
    def on_failure(self) -> str:
        return self.spec.on_failure

    @property
    def user(self) -> str:
        return self._ctx.user

    @property
    def backend(self) -> str:
        return self._backend

    # ---------------------------------------------------------------------------------- what happened
    @property
    def state(self) -> IngestionState:
        """The live state object (read it; the engine writes it)."""
        return self._ctx.state

    @property
    def phase(self) -> Phase:
        return self._ctx.state.phase

    @property
    def branch(self) -> str:
        return self._ctx.state.branch

    @property
    def base_ref(self) -> str | None:
        """`from_ref@<hash>`: the fixed commit the branch was made from (None before import)."""
        return self._ctx.base_ref

    @property
    def modes(self) -> dict[str, str]:
        """Resolved mode per table ("create" / "append" / "replace"), known after the import started."""
        return dict(self._ctx.state.modes)

    @property
    def history(self) -> list[IngestionEvent]:
        return self._ctx.events.history

    @property
    def report(self) -> pd.DataFrame:
        """One row per check: status, observed, expected, failing rows, message."""
        return self.inspect.report()

    @property
    def passed(self) -> bool | None:
        return self._ctx.state.passed

    @property
    def forced(self) -> bool:
        """True when the merge overrode failed checks (the reason is in `force_reason` and the commit)."""
        return self._ctx.state.forced

    @property
    def force_reason(self) -> str | None:
        return self._ctx.state.force_reason

    @property
    def merge_commit(self) -> str | None:
        return self._ctx.state.merge_commit

    @property
    def error(self) -> str | None:
        return self._ctx.state.error

    @property
    def rows_added(self) -> dict[str, int]:
        return dict(self._ctx.state.rows_added)

    @property
    def files_imported(self) -> dict[str, list[str]]:
        """Per table, the files the import reported (empty when the backend reports no progress)."""
        return {t: list(v) for t, v in self._ctx.state.files.items()}

    @property
    def last_progress(self) -> ImportProgress | None:
        return self._ctx.events.last_progress

    @property
    def busy(self) -> str | None:
        """The action running right now (e.g. "run", "merge"), or None."""
        return self._ctx.state.busy

    def __repr__(self) -> str:
        state = self._ctx.state
        return f"<Ingestion {', '.join(self.tables)} -> {state.branch or '?'} phase={state.phase}>"

    # ---------------------------------------------------------------------------------- events and guards
    @classmethod
    def resume(cls, branch: str, *, client: LakehouseClient | None = None,
               checks: ChecksArg | None = None, namespace: str = "bauplan", from_ref: str = "main",
               user_ns: Mapping[str, Any] | None = None) -> Ingestion:
        """Rebuild an ingestion from an import branch in a new process: spec, checks and verdict come back
        from its record (`checks=` replaces the checks; `user_ns` finds custom check functions by name).
        See `wap_notebook.engine.resume`; without `client`, `wap_notebook.backend.connect_for_branch`.

        Raises:
            InvalidSpec: not an import branch; `BranchNotFound` when it is not in the lakehouse opened (named).
            BackendUnavailable: the backend cannot be reached; `LakehouseNotFound` when no lakehouse is where it
                looked (named; none is created).
        """
        client, resumed = _resume_plan(branch, client, checks=checks, namespace=namespace, from_ref=from_ref,
                                       user_ns=user_ns)
        self = cls.__new__(cls)
        self._assemble(client, resumed.spec, resumed.state)
        state = resumed.state
        if state.imported and not state.results:
            for table in resumed.spec.tables:
                self._steps.rows.count_rows(table)
        self._ctx.set_phase(state.phase, resumed.message)
        return self

    def rebase(self) -> Ingestion:
        """Re-create the branch from the new head of `from_ref`, re-import the same sources and re-validate
        (the spec and checks are kept), e.g. after `main moved N commits` and a conflict. Returns self.

        Raises:
            ActionNotAllowed: nothing to rebase (not imported, or already merged or discarded), or busy.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        with self._guard.action("rebase", Action.REBASE):
            try:
                self._steps.rebase()
            except Exception as exc:
                self._guard.failed("rebase", exc)
                raise
        return self

    def from_ref_moved(self) -> int:
        """How many commits `from_ref` gained since this import branched (0 before the import).

        Raises:
            bauplan.exceptions.BauplanError: `from_ref`'s history could not be read.
        """
        return conflicts.from_ref_moved(self._ctx)

    @property
    def checks_note(self) -> str | None:
        """"only built-in checks ran ..." when no user check applies (shown with every verdict), else None."""
        return check_selection.checks_note(self._ctx.spec)

    @property
    def behind(self) -> int | None:
        """Commits `from_ref` gained since this import branched (None before there is a branch)."""
        if not self._ctx.state.branch_created or not self._ctx.state.base_hash:
            return None
        return self.from_ref_moved()

    def subscribe(self, callback: Callable[[IngestionEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` on every event (possibly from a worker thread). Returns unsubscribe.

        An exception in a callback is logged and does not reach the ingestion.

        Raises:
            InvalidSpec: `callback` is not callable.
        """
        return self._ctx.events.subscribe(callback)

    def allowed_actions(self) -> set[str]:
        """Actions legal now (see `wap_notebook.engine.phases.TRANSITIONS`); empty while an action runs.

        Raises nothing: it reads the phase only.
        """
        return self._guard.allowed()

    # ---------------------------------------------------------------------------------- actions
    def run(self) -> Ingestion:
        """Import, validate, then apply `on_success` / `on_failure`. Returns self.

        Data problems (a failed import, failed checks) end in phase "failed" without raising.

        Raises:
            ActionNotAllowed: another action is running, or the phase allows no run.
            IngestionConflict: `on_success="merge"` and a table changed on `from_ref` (branch and verdict kept).
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        state, steps = self._ctx.state, self._steps
        with self._guard.action("run", Action.IMPORT, Action.VALIDATE), persist.record_once(self._ctx):
            try:
                if state.phase in (Phase.NEW, Phase.ERROR) and not state.imported:
                    steps.import_all()
                if state.phase in (Phase.IMPORTED, Phase.PASSED, Phase.FAILED, Phase.ERROR) and state.imported:
                    steps.validate()
                if state.phase == Phase.PASSED and self.on_success == "merge":
                    steps.publish(force=False, reason=None)  # may rebase (on_conflict) and fail the gate
                if state.phase == Phase.FAILED and self.on_failure == "delete":
                    steps.discard()
            except bx.ConflictError as exc:
                # a merge conflict keeps the branch and the verdict: the user can retry or discard
                self._guard.failed("merge", exc, keep_phase=state.phase in (Phase.PASSED, Phase.FAILED))
                raise
            except Exception as exc:
                if state.phase != Phase.ERROR:
                    self._guard.failed("run", exc)
                raise
        return self

    def import_data(self) -> None:
        """Create the branch and import every source. A failed import ends in phase "failed".

        Raises:
            ActionNotAllowed: already imported, or another action is running.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        with self._guard.action("import", Action.IMPORT):
            try:
                self._steps.import_all()
            except Exception as exc:
                if self.phase != Phase.ERROR:
                    self._guard.failed("import", exc)
                raise

    def validate(self, checks: ChecksArg | str | None = None, *,
                 user_ns: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run the checks on the branch; phase becomes "passed" or "failed". Returns the report. `checks=`
        (objects, a {table: [...]} mapping, or a cell's YAML; InvalidSpec if malformed, nothing changed)
        replaces the checks: the same branch is re-validated without importing, and a failure blocks the merge.

        Raises:
            ActionNotAllowed: nothing imported yet, or another action is running.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        spec = None if checks is None else self._ctx.spec.with_checks(checks, user_ns)
        with self._guard.action("validate", Action.VALIDATE):
            try:
                self._steps.validate(spec)
            except Exception as exc:
                self._guard.failed("validate", exc)
                raise
        return self.report

    def merge(self, *, force: bool = False, reason: str | None = None) -> str:
        """Publish the branch into `from_ref`; returns the merge commit hash.

        Refused unless the checks passed, except with ``force=True`` and a non-empty `reason` (recorded in
        the commit properties). A conflict raises `MergeConflictError` and keeps the branch and the phase.
        After a successful merge the branch is deleted (its content is on `from_ref` now).

        Raises:
            InvalidSpec: `force=True` without a non-empty `reason`.
            MergeRefused: the checks did not pass and no override was given (or a rebase failed them).
            ActionNotAllowed: nothing validated to merge, or another action is running.
            IngestionConflict: a table this ingestion writes changed on `from_ref` since the fork.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        state = self._ctx.state
        if force and not (isinstance(reason, str) and reason.strip()):
            raise InvalidSpec("merge(force=True) needs a non-empty reason=..., recorded in the commit")
        if not force and state.phase == Phase.FAILED and not state.busy:
            raise MergeRefused(
                f"Cannot merge: validation failed ({state.error or 'see report'}). Fix the data and re-run, "
                "or merge(force=True, reason='...') to publish anyway"
            )
        key = Action.FORCE_MERGE if force and state.passed is not True else Action.MERGE
        with self._guard.action("merge", key):
            try:
                commit = self._steps.publish(force=force, reason=reason)
            except bx.ConflictError as exc:
                self._guard.failed("merge", exc, keep_phase=True)
                raise
            except Exception as exc:
                self._guard.failed("merge", exc)
                raise
        if commit is None:  # on_conflict="rebase" re-validated on the new head, and the gate held
            raise MergeRefused(f"Nothing merged: after rebasing on the new head of {self.from_ref}, "
                               f"validation failed ({state.error or 'see report'})")
        return commit

    def discard(self) -> None:
        """Delete the import branch; idempotent (a second call, or one after the branch is gone, is a no-op).

        Raises:
            ActionNotAllowed: already merged, or another action is running.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        if self.phase == Phase.DISCARDED and not self.busy:
            return
        with self._guard.action("discard", Action.DISCARD):
            try:
                self._steps.discard()
            except Exception as exc:
                self._guard.failed("discard", exc)
                raise

    def refresh(self) -> None:
        """Re-read the branch: notice a branch deleted elsewhere, and refresh row counts.

        Raises:
            ActionNotAllowed: another action is running.
            bauplan.exceptions.BauplanError: the lakehouse refused an operation (the phase becomes "error").
        """
        with self._guard.action("refresh", Action.REFRESH):
            try:
                self._steps.refresh()
            except Exception as exc:
                self._guard.failed("refresh", exc, keep_phase=True)
                raise

    def audit_record(self, *, force: bool = False, reason: str | None = None) -> dict[str, str]:
        """The commit properties written on the merge commit (all values are strings).

        Raises nothing: it reads what the ingestion holds.
        """
        return self._steps.audit_record(force=force, reason=reason)
