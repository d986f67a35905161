"""The steps of an ingestion: import, validate, merge, discard, refresh.

Each step changes the lakehouse through the client and records what happened in the state (phase,
counts, verdict), under the context's lock. Guards (is the step allowed now? is another running?) and
the bookkeeping of failures are the facade's (`wap_notebook.ingestion`); the steps assume they may run.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from bauplan import exceptions as bx

from wap_notebook import checks as ck
from wap_notebook.checks import partials as check_partials
from wap_notebook.checks.batching import prefetch_scans
from wap_notebook.checks.model import Check, CheckResult
from wap_notebook.checks.planner import TableStats, plan_table_checks, run_planned
from wap_notebook.core import partials_contract
from wap_notebook.core.progress import ImportProgress, reporting_to
from wap_notebook.engine import check_selection, conflicts, failed_import, persist
from wap_notebook.engine.conflicts import moved_text
from wap_notebook.engine.import_branch import UNKNOWN_SOURCE
from wap_notebook.engine.phases import Phase
from wap_notebook.engine.refs import new_branch_name
from wap_notebook.engine.rows import TableRows
from wap_notebook.engine.spec import IngestionSpec
from wap_notebook.engine.state import Context, IngestionState
from wap_notebook.errors import IngestionConflict, InvalidSpec

_SUCCESS_STATUSES = {"SUCCESS", "SUCCEEDED", "COMPLETE", "COMPLETED"}
_BRANCH_ATTEMPTS = 6
MAX_REBASES = 3  # on_conflict="rebase": enough for a busy main, bounded for unattended runs
_MAX_LISTED_FILES = 50  # beyond this the audit record keeps counts per table, not names


class Steps:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rows = TableRows(ctx)

    # ------------------------------------------------------------------------------ import
    def import_all(self) -> None:
        """Create the branch (once) and import every source. A failed import ends in phase "failed"."""
        ctx, spec = self.ctx, self.ctx.spec
        ctx.set_phase(Phase.IMPORTING, f"Importing {', '.join(spec.tables)}")
        if not ctx.state.branch_created:
            ctx.state.markers_known = True  # a branch this process makes: no record namespace on it yet
            self._prepare_branch()
        for index, table in enumerate(spec.tables):
            if not self._import_table(table):
                failed_import.after_failed_import(ctx, data_on_branch=index > 0)
                return
        for table in spec.tables:
            self.rows.count_rows(table)
        # Both backends skip files a table already has and succeed with nothing new (the SDK's state does not
        # say so): no row added and no file read (progress names every file it reads, empty ones too; Bauplan
        # reports none) tell it, from the row counts the gate reads anyway, at no extra round trip.
        for table in spec.tables:
            if ctx.state.modes[table] == "append" and not spec.import_duplicate_files \
                    and ctx.state.rows_added.get(table) == 0 and not ctx.state.files.get(table):
                self._import_failed(table, spec.sources[table], "nothing new was imported: every file it matches "
                                    "was already imported into the table, or holds no rows (pass "
                                    "import_duplicate_files=True to import them again)")
                others = any(n for t, n in ctx.state.rows_added.items() if t != table)
                failed_import.after_failed_import(ctx, data_on_branch=others)
                return
        with ctx.lock:
            ctx.state.imported = True
            ctx.state.error = None
        added = ", ".join(f"{t}: {n}" for t, n in ctx.state.rows_added.items())
        ctx.set_phase(Phase.IMPORTED, f"Imported on {ctx.state.branch} (rows added: {added})")
        persist.save(ctx)

    def _prepare_branch(self) -> None:
        ctx, spec, client = self.ctx, self.ctx.spec, self.ctx.client
        seen = ctx.from_head
        if seen is not None:  # refused before any branch, on what was read at that head (no call)
            self._modes(f"{spec.from_ref}@{seen}")
        # From from_ref itself: the new branch's hash says which head it forked from (no get_branch).
        head = self._create_branch(spec.from_ref)
        base_ref = f"{spec.from_ref}@{head}"
        try:
            # from_ref moved since (or nothing was read before): its tables are read at the fork.
            exists, modes = self._modes(base_ref)
        except InvalidSpec:
            client.delete_branch(ctx.state.branch, if_exists=True)
            with ctx.lock:
                ctx.state.branch_created = False
            raise
        ctx.from_head = head
        ctx.emit("log", f"Created branch {ctx.state.branch} from {base_ref}")
        with ctx.lock:
            ctx.state.base_hash, ctx.state.modes, ctx.state.base_exists = head, modes, exists
        # No record below the data (it would reach from_ref with it): this machine's registry keeps the spec
        # and the lakehouse's location, so a kernel that dies during the import leaves a branch that resume
        # can re-run with its sources and checks. Records go above the data, once it is there.
        persist.register(ctx)
        branch = ctx.state.branch
        # A table that exists on the base proves its namespace does (the branch was made from it), and so
        # does any table the preflight listed in it there.
        if not any(exists.values()) and not ctx.facts.listed(base_ref) \
                and not client.has_namespace(spec.namespace, branch):
            client.create_namespace(spec.namespace, branch, if_not_exists=True)
            ctx.emit("log", f"Created namespace {spec.namespace} on {branch}")

    def _modes(self, base_ref: str) -> tuple[dict[str, bool], dict[str, str]]:
        """Whether each table exists at `base_ref` and the mode it is imported in; refuses checks on columns
        an appended table lacks."""
        exists = {t: self.ctx.facts.exists(t, base_ref) for t in self.ctx.spec.tables}
        modes = {t: self._resolve_mode(t, exists[t]) for t in self.ctx.spec.tables}
        check_selection.check_columns(self.ctx, base_ref, modes)
        return exists, modes

    def _resolve_mode(self, table: str, exists: bool) -> str:
        spec = self.ctx.spec
        if spec.mode == "auto":
            return "append" if exists else "create"
        if spec.mode == "create" and exists:
            raise InvalidSpec(f"Table {spec.namespace}.{table} already exists on {spec.from_ref}: "
                              "use mode='append' or mode='replace'")
        if spec.mode in ("append", "replace") and not exists:
            raise InvalidSpec(f"Table {spec.namespace}.{table} does not exist on {spec.from_ref}: "
                              "use mode='create' or mode='auto'")
        return spec.mode

    def _create_branch(self, from_ref: str) -> str:
        """Create the ingestion's branch from `from_ref`; returns the hash it starts at."""
        ctx, state = self.ctx, self.ctx.state
        created: Any = None
        for attempt in range(_BRANCH_ATTEMPTS):
            try:
                created = ctx.client.create_branch(state.branch, from_ref)
                break
            except bx.BranchExistsError:
                if state.branch_given or attempt == _BRANCH_ATTEMPTS - 1:
                    raise bx.BranchExistsError(
                        409, "BRANCH_EXISTS",
                        f"Branch {state.branch!r} already exists; an ingestion only writes on a branch it "
                        "creates. Pick another branch name (or leave branch=None).") from None
                state.branch = new_branch_name(ctx.user, ctx.spec.tables)
        with ctx.lock:
            state.branch_created = True
        head = getattr(created, "hash", None)  # Bauplan returns the new Branch, at from_ref's head
        return head if isinstance(head, str) and head else str(ctx.client.get_branch(state.branch).hash)

    def _import_table(self, table: str) -> bool:
        ctx, spec = self.ctx, self.ctx.spec
        uri, mode, branch = spec.sources[table], ctx.state.modes[table], ctx.state.branch
        seen: list[str] = []  # the files imported, as progress reports them (the SDK's state has no list)

        def on_progress(progress: ImportProgress) -> None:
            if progress.current_file and progress.current_file not in seen:
                seen.append(progress.current_file)
            ctx.emit("progress", f"{progress.table}: {progress.files_done}/{progress.files_total} files, "
                     f"{progress.rows_done} rows", progress)

        try:
            if mode == "create":
                ctx.client.create_table(table, uri, branch=branch, namespace=spec.namespace)
            elif mode == "replace":
                ctx.client.create_table(table, uri, branch=branch, namespace=spec.namespace, replace=True)
            # The embedded lakehouse computes the checks' aggregates as it writes; Bauplan ignores this.
            wanted = {f"{spec.namespace}.{table}": check_partials.request(self.effective_checks(table))}
            with reporting_to(on_progress), partials_contract.requested(wanted):
                job = ctx.client.import_data(table, uri, branch=branch, namespace=spec.namespace,
                                             import_duplicate_files=spec.import_duplicate_files)
        except (bx.BauplanJobError, bx.TableCreatePlanError) as exc:
            self._import_failed(table, uri, str(exc) or type(exc).__name__)
            return False
        error, status = getattr(job, "error", None), getattr(job, "job_status", None)
        if error or str(status).upper() not in _SUCCESS_STATUSES:
            self._import_failed(table, uri, str(error) if error else f"job status {status!r}")
            return False
        ctx.facts.forget(branch)  # the import wrote a new table version
        with ctx.lock:
            ctx.state.files[table] = seen
            ctx.state.data_head = None
        ctx.emit("log", f"Imported {uri} into {spec.namespace}.{table} ({mode})")
        return True

    def _import_failed(self, table: str, uri: str, reason: str) -> None:
        ctx = self.ctx
        reason = failed_import.followable_advice(reason)
        with ctx.lock:
            ctx.state.error = f"Import of {uri} into {ctx.spec.namespace}.{table} failed: {reason}"
            ctx.state.passed = False
        ctx.emit("error", ctx.state.error)
        ctx.set_phase(Phase.FAILED, ctx.state.error)

    # ------------------------------------------------------------------------------ validate
    def effective_checks(self, table: str) -> list[Check]:
        """The user's checks plus the defaults: a row count always, schema compatibility when appending."""
        items = list(self.ctx.spec.checks.get(table, ()))
        if not any(isinstance(c, ck.RowCount) for c in items):
            items.insert(0, ck.row_count())
        if self.ctx.state.modes.get(table) == "append" and not any(isinstance(c, ck.SchemaCompatible)
                                                                     for c in items):
            items.insert(1, ck.schema_compatible())
        return items

    def validate(self, spec: IngestionSpec | None = None) -> None:
        """Run the checks (`spec`: the same ingestion with other checks, re-validated on the same branch)."""
        ctx = self.ctx
        if spec is not None:
            with ctx.lock:
                ctx.spec = spec
        ctx.set_phase(Phase.VALIDATING, "Running checks")
        results: list[CheckResult] = []
        stats: dict[str, TableStats] = {}
        plans = [plan_table_checks(self.rows.scope(table), self.effective_checks(table)) for table in ctx.spec.tables]
        prefetch_scans(plans)  # the tables' scans on one ref as one query (a round trip each on Bauplan)
        for table, plan in zip(ctx.spec.tables, plans, strict=True):
            table_results, stats[table] = run_planned(plan)
            results.extend(table_results)
        passed = all(r.status == "passed" for r in results if r.severity == "error")
        with ctx.lock:
            state = ctx.state
            state.results, state.passed = results, passed
            for table, s in stats.items():
                state.rows_before[table], state.rows_after[table], state.rows_added[table] = (
                    s.rows_before, s.rows_after, s.rows_added)
            bad = [f"{r.table}.{r.check} ({r.status}: {r.observed if r.status != 'error' else r.message})"
                   for r in results if r.severity == "error" and r.status != "passed"]
            state.error = None if passed else f"{len(bad)} check(s) failed: {', '.join(bad)}"
        warned = sum(r.status == "warned" for r in results)
        note = check_selection.checks_note(ctx.spec)
        if passed:
            ctx.set_phase(Phase.PASSED, f"All {len(results)} checks passed"
                          + (f" ({warned} warnings)" if warned else "") + (f"; {note}" if note else ""))
        else:
            ctx.set_phase(Phase.FAILED, ctx.state.error or "Checks failed")
        persist.save(ctx)

    # ------------------------------------------------------------------------------ merge
    def table_version(self, table: str, ref: str) -> Any:
        """(metadata location, snapshot id) of `table` on `ref`, or None: changes on every write."""
        described = self.ctx.facts.describe(table, ref)
        if described is None:
            return None
        return (getattr(described, "metadata_location", None), getattr(described, "current_snapshot_id", None))

    def check_conflicts(self, head: str) -> None:
        """Raise `MergeConflictError` if a table of this ingestion changed on from_ref since the fork, so
        the conflict surfaces before Bauplan's own merge, with the branch kept for a retry."""
        ctx, spec = self.ctx, self.ctx.spec
        base_ref, base_hash = ctx.base_ref, ctx.state.base_hash
        if head == base_hash or base_ref is None:
            return
        changed = [f"{spec.namespace}.{table}" for table in spec.tables
                   if self.table_version(table, base_ref) != self.table_version(table, f"{spec.from_ref}@{head}")]
        if changed:
            raise conflicts.conflict(ctx, changed, head=head)

    def audit_record(self, *, force: bool = False, reason: str | None = None) -> dict[str, str]:
        """The commit properties written on the merge commit (all values are strings)."""
        ctx, spec, state = self.ctx, self.ctx.spec, self.ctx.state
        results, files = state.results, state.files
        total_files = sum(len(v) for v in files.values())
        files_value: Any = files if total_files <= _MAX_LISTED_FILES else {t: len(v) for t, v in files.items()}
        return {
            "wap.user": ctx.user,
            "wap.branch": state.branch,
            "wap.base": ctx.base_ref or "",
            "wap.tables": json.dumps([f"{spec.namespace}.{t}" for t in spec.tables]),
            "wap.sources": json.dumps(dict(spec.sources), sort_keys=True),
            "wap.files_imported": json.dumps(files_value, sort_keys=True),
            "wap.rows_added": json.dumps(state.rows_added, sort_keys=True),
            "wap.checks_passed": str(sum(r.status == "passed" for r in results)),
            "wap.checks_failed": str(sum(r.status in ("failed", "error") for r in results)),
            "wap.checks_warned": str(sum(r.status == "warned" for r in results)),
            "wap.forced": "true" if force else "false",
            "wap.force_reason": (reason or "") if force else "",
            **check_selection.audit_properties(ctx),
        }

    def merge(self, *, force: bool, reason: str | None) -> str:
        ctx, spec, state = self.ctx, self.ctx.spec, self.ctx.state
        head = str(ctx.client.get_branch(spec.from_ref).hash)
        conflicts.before_merge(ctx, force=force, head=head)  # says how far from_ref moved
        persist.clear_before_merging_head(ctx)  # only when data_head is unknown: no record namespace is merged
        self.check_conflicts(head)
        tables = ", ".join(f"{spec.namespace}.{t}" for t in spec.tables)
        body_lines = [f"{r.table}.{r.check}: {r.status}" for r in state.results]
        if force:
            body_lines.insert(0, f"FORCED by {ctx.user}: {reason}")
        try:
            # The data commit, not the branch head: the records above it stay off from_ref.
            source = f"{state.branch}@{state.data_head}" if state.data_head else state.branch
            result = ctx.client.merge_branch(
                source, spec.from_ref,
                commit_message=f"Publish {tables} from {state.branch}",
                commit_body="\n".join(body_lines) or None,
                commit_properties=self.audit_record(force=force, reason=reason),
            )
        except bx.MergeConflictError as exc:  # the lakehouse's own check, racing with ours
            raise conflicts.conflict(ctx, list(spec.tables), head=None) from exc
        commit = getattr(result, "hash", None)
        if not isinstance(commit, str):
            commit = str(ctx.client.get_branch(spec.from_ref).hash)
        with ctx.lock:
            state.merge_commit = commit
            state.forced, state.force_reason = force, (reason if force else None)
            state.error = None
        ctx.set_phase(Phase.MERGED, f"Published {tables} to {spec.from_ref} at {commit}"
                      + (" (forced)" if force else ""))
        try:
            ctx.client.delete_branch(state.branch, if_exists=True)
            persist.unregister(state.branch)
            ctx.emit("log", f"Deleted merged branch {state.branch}")
        except Exception as exc:  # noqa: BLE001 - the merge succeeded; a leftover branch is only clutter
            ctx.emit("error", f"Merged, but could not delete branch {state.branch}: {exc}")
        return commit

    # ------------------------------------------------------------------------------ discard, refresh
    def discard(self) -> None:
        ctx = self.ctx
        if ctx.state.branch_created:
            ctx.client.delete_branch(ctx.state.branch, if_exists=True)
            persist.unregister(ctx.state.branch)
            ctx.emit("log", f"Deleted branch {ctx.state.branch}")
        ctx.set_phase(Phase.DISCARDED, f"Discarded {ctx.state.branch}")

    def refresh(self) -> None:
        """Notice a branch deleted elsewhere, and refresh row counts."""
        ctx = self.ctx
        if ctx.state.branch_created and not ctx.client.has_branch(ctx.state.branch):
            ctx.set_phase(Phase.DISCARDED, f"Branch {ctx.state.branch} no longer exists")
            return
        if ctx.state.imported:
            for table in ctx.spec.tables:
                self.rows.count_rows(table)
        ctx.emit("log", "Refreshed")

    # ------------------------------------------------------------------------------ rebase
    def rebase(self) -> None:
        """Re-create the branch from `from_ref`'s head, re-import the same sources and re-validate, keeping
        the spec: the batch is then published at most once, on top of what others merged meanwhile."""
        ctx, spec, state = self.ctx, self.ctx.spec, self.ctx.state
        unknown = [t for t, uri in spec.sources.items() if uri == UNKNOWN_SOURCE]
        if unknown:
            raise InvalidSpec(f"Cannot rebase {state.branch}: the sources of {', '.join(unknown)} are unknown (no "
                              "ingestion record on the branch); discard it and start a new Ingestion")
        old = state.branch
        if state.branch_created:
            ctx.client.delete_branch(old, if_exists=True)
            persist.unregister(old)
        fresh = IngestionState(branch=old if state.branch_given else new_branch_name(ctx.user, spec.tables),
                               branch_given=state.branch_given, files={t: [] for t in spec.tables})
        with ctx.lock:  # in place: the guard holds this object (busy), the facade reads it
            for name in (f.name for f in fields(IngestionState) if f.name != "busy"):
                setattr(state, name, getattr(fresh, name))
        ctx.emit("log", f"Rebase: deleted {old}; re-importing the same sources on {state.branch} from the head "
                 f"of {spec.from_ref}")
        deferred, ctx.defer_record = ctx.defer_record, True  # validation follows: it saves the record
        try:
            self.import_all()
        finally:
            ctx.defer_record = deferred
        if state.imported:
            self.validate()

    def publish(self, *, force: bool, reason: str | None) -> str | None:
        """`merge`, rebasing on a conflict when `on_conflict="rebase"` (at most MAX_REBASES times, never for
        a forced merge). None when a rebase's re-validation failed: the gate holds, nothing is merged."""
        ctx = self.ctx
        for attempt in range(MAX_REBASES + 1):
            try:
                return self.merge(force=force, reason=reason)
            except IngestionConflict as exc:
                if ctx.spec.on_conflict != "rebase" or force or attempt == MAX_REBASES:
                    raise
                ctx.emit("log", f"{moved_text(ctx.spec.from_ref, exc.moved)}: rebasing "
                         f"(attempt {attempt + 1} of {MAX_REBASES})")
                self.rebase()
                if ctx.state.phase != Phase.PASSED:
                    return None
        return None  # pragma: no cover - the loop returns or raises
