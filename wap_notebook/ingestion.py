"""The `Ingestion` engine: Write-Audit-Publish of one or more tables through the Bauplan client API.

An ingestion writes on a fresh import branch, audits the result with checks, and publishes it by
merging the branch into `from_ref` (normally `main`). It talks to the lakehouse only through the
`bauplan.Client` methods, so the same code drives Bauplan's cloud and the embedded `LocalClient`.

Phases: ``new -> importing -> imported -> validating -> passed | failed -> merged | discarded`` plus
``error`` when an operation itself failed (network, conflict outside a merge, bad option found late).

Fixes over the reference WAP script (see ../shared/bauplan-semantics.md):

- the state returned by `import_data` is checked (`error`, `job_status`); a failed import is phase
  ``failed`` with the reason, never a success;
- names never reach SQL unvalidated or unquoted (`wap_notebook.sql`);
- branch names carry a 6-hex random suffix and creation refuses existing branches, so two
  ingestions of one table in the same second do not collide and nobody else's branch is ever written;
- the row-count check is on the rows *this ingestion added* (below), so an empty or all-duplicate
  append fails instead of passing on the rows already in the table;
- merging first checks whether `from_ref` moved and whether a touched table changed there, so the
  conflict surfaces before Bauplan's own merge, with the branch kept for a retry.

"Rows this ingestion added" without copying data
------------------------------------------------
At branch creation the engine pins the base: ``base_ref = "<from_ref>@<hash of its head>"``, and creates
the branch *from that fixed ref*. Every "before" question is then asked at ``base_ref`` (which never
moves) and every "after" question at the branch.

- create / replace mode: every row of the table on the branch is new. Checks scan the branch table.
- append mode: the branch table is (base table) + (new rows) as a multiset, because an import only adds
  data files. So ``rows_added = COUNT(*)@branch - COUNT(*)@base``, and for every aggregate check the
  count of failing rows is additive: ``failing(new rows) = failing@branch - failing@base``. The engine
  therefore runs the table's single aggregate query twice (branch and base) and subtracts: exact,
  backend-agnostic, no cross-ref join, no `EXCEPT ALL` over the table. `unique` reports the duplicate
  rows the batch introduced (inside the batch or with existing rows), which is what matters when
  appending. MIN/MAX shown in `between` messages are over the whole branch table (the message says so).
  An empty batch (0 rows) or a batch of already-imported files (refused by duplicate-file prevention
  -> failed import, or 0 rows added) therefore fails.
- failing-row samples and `sample()` in append mode: the rows matching a predicate on the branch
  minus those matching on the base, computed in-process with DuckDB `EXCEPT ALL` over the two
  *filtered* result sets (only when the base has at most `ANTI_JOIN_LIMIT` matching rows; otherwise
  the sample is taken from the whole branch table and flagged as inexact).
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa
from bauplan import exceptions as bx

from wap_notebook import checks as ck
from wap_notebook.backend import describe_backend, username
from wap_notebook.frames import to_frame
from wap_notebook.profiles import TableProfile, profile_table
from wap_notebook.progress import ImportProgress, reporting_to
from wap_notebook.sql import qualified_table, validate_identifier, validate_ref
from wap_notebook.uris import has_embedded_credentials, redact_uri

logger = logging.getLogger(__name__)

PHASES = ("new", "importing", "imported", "validating", "passed", "failed", "merged", "discarded", "error")
ON_SUCCESS = ("inspect", "merge")
ON_FAILURE = ("inspect", "keep", "delete")
MODES = ("auto", "create", "append", "replace")
ACTIONS = ("import", "validate", "merge", "force_merge", "discard", "refresh")
ANTI_JOIN_LIMIT = 100_000
_SUCCESS_STATUSES = {"SUCCESS", "SUCCEEDED", "COMPLETE", "COMPLETED"}
_BRANCH_TS = re.compile(r"\.import_.*_(\d{8}T\d{6})_[0-9a-f]{6}$")
_MAX_LABEL = 40


@dataclass(frozen=True)
class IngestionEvent:
    """One entry of `Ingestion.history`, also sent to subscribers."""

    at: datetime
    kind: str  # "phase" | "progress" | "log" | "error"
    phase: str
    message: str
    progress: ImportProgress | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _choice(value: Any, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def _username_part(username: str) -> str:
    parts = [re.sub(r"[^A-Za-z0-9_\-]", "_", p) or "user" for p in str(username).split(".")]
    text = ".".join(parts)
    return text if re.match(r"[A-Za-z0-9_]", text) else f"u{text}"


def _commit_hash(commit: Any) -> str | None:
    value = getattr(commit, "hash", None)
    if isinstance(value, str):
        return value
    ref = getattr(commit, "ref", None)
    value = getattr(ref, "hash", None)
    return value if isinstance(value, str) else None


def _fork_point(client: Any, branch: str, from_ref: str, limit: int = 500) -> str:
    """The newest commit of `branch` that is also in `from_ref`'s history (where the branch was made)."""
    target = {_commit_hash(c) for c in client.get_commits(from_ref, limit=limit)}
    for commit in client.get_commits(branch, limit=limit):
        h = _commit_hash(commit)
        if h in target:
            return h  # type: ignore[return-value]
    return client.get_branch(from_ref).hash


def _table_versions(client: Any, ref: str, namespace: str) -> dict[str, Any]:
    out = {}
    for t in client.get_tables(ref, filter_by_namespace=namespace):
        if getattr(t, "namespace", namespace) != namespace:
            continue
        out[t.name] = getattr(t, "metadata_location", None) or getattr(t, "current_snapshot_id", None)
    return out


def _changed_tables(client: Any, branch: str, base_ref: str, namespace: str) -> list[str]:
    after = _table_versions(client, branch, namespace)
    before = _table_versions(client, base_ref, namespace)
    return sorted(name for name, version in after.items() if before.get(name) != version)


class Ingestion:
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
        checks: Sequence[ck.Check] | Mapping[str, Sequence[ck.Check]] = (),
        on_success: str = "inspect",
        on_failure: str = "inspect",
        mode: str = "auto",
        from_ref: str = "main",
        branch: str | None = None,
        client: Any = None,
        import_duplicate_files: bool = False,
    ) -> None:
        # 1. everything the user typed, validated before touching the lakehouse
        _choice(on_success, ON_SUCCESS, "on_success")
        _choice(on_failure, ON_FAILURE, "on_failure")
        _choice(mode, MODES, "mode")
        if isinstance(table, Mapping):
            if source is not None:
                raise ValueError("Pass either table and source, or a {table: source} mapping with source=None")
            sources = dict(table)
            if not sources:
                raise ValueError("The {table: source} mapping is empty")
        else:
            if not isinstance(source, str):
                raise ValueError(f"A source URI is required for table {table!r} (e.g. 's3://bucket/path/*.parquet')")
            sources = {table: source}
        for name, uri in sources.items():
            validate_identifier(name, "table")
            if not isinstance(uri, str) or not uri.strip() or "\x00" in uri:
                raise ValueError(f"Invalid source URI for table {name!r}: {uri!r}")
            if has_embedded_credentials(uri):
                # Refused rather than redacted: the URI would otherwise travel into history, logs and the
                # merge commit's audit record.
                raise ValueError(
                    f"The source URI for table {name!r} embeds credentials ({redact_uri(uri)}): configure them "
                    "with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead"
                )
        validate_identifier(namespace, "namespace")
        validate_ref(from_ref, "from_ref", allow_hash=False)
        if branch is not None:
            validate_ref(branch, "branch", allow_hash=False)
            if branch in (from_ref, "main"):
                raise ValueError(f"branch must be a new import branch, not {branch!r}")
        checks_by_table = ck.normalize_checks(checks, list(sources))

        self._setup(client, sources, namespace, checks_by_table, on_success, on_failure, mode, from_ref)
        self._import_duplicate_files = bool(import_duplicate_files)
        if branch is not None:
            self._branch, self._branch_given = branch, True
        else:
            self._branch, self._branch_given = self._new_branch_name(), False

    def _setup(self, client: Any, sources: dict[str, str], namespace: str,
               checks_by_table: dict[str, list[ck.Check]], on_success: str, on_failure: str, mode: str,
               from_ref: str) -> None:
        if client is None:
            from wap_notebook.backend import connect

            client = connect()
        self._client = client
        self._sources = sources
        self._tables = list(sources)
        self._namespace = namespace
        self._checks = checks_by_table
        self._on_success = on_success
        self._on_failure = "inspect" if on_failure == "keep" else on_failure
        self._mode = mode
        self._from_ref = from_ref
        self._user = username(client)
        self._backend = describe_backend(client)
        self._lock = threading.RLock()
        self._busy: str | None = None
        self._phase = "new"
        self._history: list[IngestionEvent] = []
        self._subscribers: list[Callable[[IngestionEvent], None]] = []
        self._branch = ""
        self._branch_given = False
        self._branch_created = False
        self._base_hash: str | None = None
        self._modes: dict[str, str] = {}
        self._base_exists: dict[str, bool] = {}
        self._import_ok = False
        self._results: list[ck.CheckResult] = []
        self._passed: bool | None = None
        self._merge_commit: str | None = None
        self._error: str | None = None
        self._rows_before: dict[str, int] = {}
        self._rows_after: dict[str, int] = {}
        self._rows_added: dict[str, int] = {}
        self._files: dict[str, list[str]] = {t: [] for t in self._tables}
        self._forced = False
        self._force_reason: str | None = None
        self._import_duplicate_files = False
        self._last_progress: ImportProgress | None = None
        self._history.append(IngestionEvent(_now(), "phase", "new", "Ingestion created"))

    def _new_branch_name(self) -> str:
        if len(self._tables) == 1:
            label = self._tables[0]
        else:
            label = "_".join(self._tables)[:_MAX_LABEL].rstrip("_") + f"_{len(self._tables)}tables"
        stamp = _now().strftime("%Y%m%dT%H%M%S")
        name = f"{_username_part(self._user)}.import_{label}_{stamp}_{secrets.token_hex(3)}"
        return validate_ref(name, "branch", allow_hash=False)

    # ---------------------------------------------------------------------------------- properties
    @property
    def phase(self) -> str:
        return self._phase

    @property
    def tables(self) -> list[str]:
        return list(self._tables)

    @property
    def sources(self) -> dict[str, str]:
        return dict(self._sources)

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def branch(self) -> str:
        return self._branch

    @property
    def from_ref(self) -> str:
        return self._from_ref

    @property
    def base_ref(self) -> str | None:
        """`from_ref@<hash>`: the fixed commit the branch was made from (None before import)."""
        return f"{self._from_ref}@{self._base_hash}" if self._base_hash else None

    @property
    def user(self) -> str:
        return self._user

    @property
    def backend(self) -> str:
        return self._backend

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def modes(self) -> dict[str, str]:
        """Resolved mode per table ("create" / "append" / "replace"), known after the import started."""
        return dict(self._modes)

    @property
    def on_success(self) -> str:
        return self._on_success

    @property
    def on_failure(self) -> str:
        return self._on_failure

    @property
    def history(self) -> list[IngestionEvent]:
        with self._lock:
            return list(self._history)

    @property
    def report(self) -> pd.DataFrame:
        with self._lock:
            rows = [r.as_row() for r in self._results]
        frame = pd.DataFrame(rows, columns=ck.REPORT_COLUMNS)
        if rows:
            frame["failing_rows"] = frame["failing_rows"].astype("Int64")
        return frame

    @property
    def passed(self) -> bool | None:
        return self._passed

    @property
    def merge_commit(self) -> str | None:
        return self._merge_commit

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def rows_added(self) -> dict[str, int]:
        return dict(self._rows_added)

    @property
    def files_imported(self) -> dict[str, list[str]]:
        return {t: list(v) for t, v in self._files.items()}

    @property
    def last_progress(self) -> ImportProgress | None:
        return self._last_progress

    @property
    def busy(self) -> str | None:
        """The action running right now (e.g. "run", "merge"), or None."""
        return self._busy

    def __repr__(self) -> str:
        return f"<Ingestion {', '.join(self._tables)} -> {self._branch or '?'} phase={self._phase}>"

    # ---------------------------------------------------------------------------------- events
    def subscribe(self, callback: Callable[[IngestionEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` on every event (possibly from a worker thread). Returns unsubscribe."""
        if not callable(callback):
            raise ValueError("callback must be callable")
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, kind: str, message: str, progress: ImportProgress | None = None) -> None:
        event = IngestionEvent(_now(), kind, self._phase, message, progress)
        with self._lock:
            if kind != "progress":  # progress is streamed to subscribers, not kept (see last_progress)
                self._history.append(event)
            subscribers = list(self._subscribers)
        if kind in ("error",):
            logger.info("ingestion %s: %s", self._branch, message)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not break the ingestion
                logger.exception("ingestion event subscriber failed")

    def _set_phase(self, phase: str, message: str = "") -> None:
        with self._lock:
            self._phase = phase
        self._emit("phase", message or f"Phase: {phase}")

    # ---------------------------------------------------------------------------------- guards
    def allowed_actions(self) -> set[str]:
        """Actions legal now (subset of ACTIONS); empty while an action is running."""
        with self._lock:
            if self._busy:
                return set()
            phase = self._phase
            if phase == "new":
                return {"import", "discard"}
            if phase == "imported":
                return {"validate", "discard", "refresh"}
            if phase == "passed":
                return {"merge", "validate", "discard", "refresh"}
            if phase == "failed":
                return {"discard", "refresh"} | ({"validate", "force_merge"} if self._import_ok else set())
            if phase == "error":
                allowed = {"discard", "refresh"}
                if not self._branch_created:
                    allowed.add("import")
                if self._import_ok:
                    allowed.add("validate")
                    allowed.add("merge" if self._passed else "force_merge")
                return allowed
            return set()

    @contextmanager
    def _action(self, name: str, key: str | set[str]) -> Iterator[None]:
        keys = {key} if isinstance(key, str) else key
        with self._lock:
            if self._busy:
                raise RuntimeError(f"Cannot {name}: {self._busy!r} is still running on this ingestion")
            allowed = self.allowed_actions()
            if not keys & allowed:
                shown = ", ".join(sorted(allowed)) or "nothing"
                raise RuntimeError(f"Cannot {name} in phase {self._phase!r}; allowed now: {shown}")
            self._busy = name
        try:
            yield
        finally:
            with self._lock:
                self._busy = None

    def _operation_failed(self, what: str, exc: BaseException, *, keep_phase: bool = False) -> None:
        with self._lock:
            self._error = f"{what}: {exc}"
        if not keep_phase:
            self._set_phase("error", self._error)
        self._emit("error", self._error)

    # ---------------------------------------------------------------------------------- actions
    def run(self) -> Ingestion:
        """Import, validate, then apply `on_success` / `on_failure`. Returns self."""
        with self._action("run", {"import", "validate"}):
            try:
                if self._phase in ("new", "error") and not self._import_ok:
                    self._do_import()
                if self._phase in ("imported", "passed", "failed", "error") and self._import_ok:
                    self._do_validate()
                if self._phase == "passed" and self._on_success == "merge":
                    self._do_merge(force=False, reason=None)
                elif self._phase == "failed" and self._on_failure == "delete":
                    self._do_discard()
            except bx.ConflictError as exc:
                # a merge conflict keeps the branch and the verdict: the user can retry or discard
                self._operation_failed("merge", exc, keep_phase=self._phase in ("passed", "failed"))
                raise
            except Exception as exc:
                if self._phase != "error":
                    self._operation_failed("run", exc)
                raise
        return self

    def import_data(self) -> None:
        """Create the branch and import every source. A failed import ends in phase "failed"."""
        with self._action("import", "import"):
            try:
                self._do_import()
            except Exception as exc:
                if self._phase != "error":
                    self._operation_failed("import", exc)
                raise

    def validate(self) -> pd.DataFrame:
        """Run the checks on the branch; phase becomes "passed" or "failed". Returns the report."""
        with self._action("validate", "validate"):
            try:
                self._do_validate()
            except Exception as exc:
                self._operation_failed("validate", exc)
                raise
        return self.report

    def merge(self, *, force: bool = False, reason: str | None = None) -> str:
        """Publish the branch into `from_ref`; returns the merge commit hash.

        Refused unless the checks passed, except with ``force=True`` and a non-empty `reason` (recorded in
        the commit properties). A conflict raises `MergeConflictError` and keeps the branch and the phase.
        After a successful merge the branch is deleted (its content is on `from_ref` now).
        """
        if force and not (isinstance(reason, str) and reason.strip()):
            raise ValueError("merge(force=True) needs a non-empty reason=..., recorded in the commit")
        if not force and self._phase == "failed" and not self._busy:
            raise RuntimeError(
                f"Cannot merge: validation failed ({self._error or 'see report'}). Fix the data and re-run, "
                "or merge(force=True, reason='...') to publish anyway"
            )
        with self._action("merge", "force_merge" if force and self._passed is not True else "merge"):
            try:
                return self._do_merge(force=force, reason=reason)
            except bx.ConflictError as exc:
                self._operation_failed("merge", exc, keep_phase=True)
                raise
            except Exception as exc:
                self._operation_failed("merge", exc)
                raise

    def discard(self) -> None:
        """Delete the import branch; idempotent (a second call, or one after the branch is gone, is a no-op)."""
        if self._phase == "discarded" and not self._busy:
            return
        with self._action("discard", "discard"):
            try:
                self._do_discard()
            except Exception as exc:
                self._operation_failed("discard", exc)
                raise

    def refresh(self) -> None:
        """Re-read the branch: notice a branch deleted elsewhere, and refresh row counts."""
        with self._action("refresh", "refresh"):
            try:
                self._do_refresh()
            except Exception as exc:
                self._operation_failed("refresh", exc, keep_phase=True)
                raise

    # ---------------------------------------------------------------------------------- internals
    def _do_import(self) -> None:
        client = self._client
        ns = self._namespace
        self._set_phase("importing", f"Importing {', '.join(self._tables)}")
        if not self._branch_created:
            head = client.get_branch(self._from_ref).hash
            base_ref = f"{self._from_ref}@{head}"
            modes, exists = {}, {}
            for table in self._tables:
                exists[table] = bool(client.has_table(table, base_ref, namespace=ns))
                modes[table] = self._resolve_mode(table, exists[table])
            self._create_branch(base_ref)
            with self._lock:
                self._base_hash, self._modes, self._base_exists = head, modes, exists
            if not client.has_namespace(ns, self._branch):
                client.create_namespace(ns, self._branch, if_not_exists=True)
                self._emit("log", f"Created namespace {ns} on {self._branch}")

        for table in self._tables:
            uri = self._sources[table]
            mode = self._modes[table]
            try:
                if mode == "create":
                    client.create_table(table, uri, branch=self._branch, namespace=ns)
                elif mode == "replace":
                    client.create_table(table, uri, branch=self._branch, namespace=ns, replace=True)
                seen: list[str] = []

                def on_progress(progress: ImportProgress, _seen: list[str] = seen) -> None:
                    self._last_progress = progress
                    if progress.current_file and progress.current_file not in _seen:
                        _seen.append(progress.current_file)
                    self._emit("progress", f"{progress.table}: {progress.files_done}/{progress.files_total} files, "
                               f"{progress.rows_done} rows", progress)

                with reporting_to(on_progress):
                    state = client.import_data(table, uri, branch=self._branch, namespace=ns,
                                               import_duplicate_files=self._import_duplicate_files)
            except (bx.BauplanJobError, bx.TableCreatePlanError) as exc:
                self._import_failed(table, uri, str(exc) or type(exc).__name__)
                return
            error = getattr(state, "error", None)
            status = getattr(state, "job_status", None)
            if error or str(status).upper() not in _SUCCESS_STATUSES:
                self._import_failed(table, uri, str(error) if error else f"job status {status!r}")
                return
            files = getattr(state, "files_imported", None)
            with self._lock:
                self._files[table] = list(files) if isinstance(files, list) else seen
            self._emit("log", f"Imported {uri} into {ns}.{table} ({mode})")

        for table in self._tables:
            self._count_rows(table)
        with self._lock:
            self._import_ok = True
            self._error = None
        added = ", ".join(f"{t}: {n}" for t, n in self._rows_added.items())
        self._set_phase("imported", f"Imported on {self._branch} (rows added: {added})")

    def _resolve_mode(self, table: str, exists: bool) -> str:
        mode = self._mode
        if mode == "auto":
            return "append" if exists else "create"
        if mode == "create" and exists:
            raise ValueError(f"Table {self._namespace}.{table} already exists on {self._from_ref}: "
                             "use mode='append' or mode='replace'")
        if mode in ("append", "replace") and not exists:
            raise ValueError(f"Table {self._namespace}.{table} does not exist on {self._from_ref}: "
                             "use mode='create' or mode='auto'")
        return mode

    def _create_branch(self, base_ref: str) -> None:
        for attempt in range(6):
            try:
                self._client.create_branch(self._branch, base_ref)
                break
            except bx.BranchExistsError:
                if self._branch_given or attempt == 5:
                    raise bx.BranchExistsError(
                        409, "BRANCH_EXISTS",
                        f"Branch {self._branch!r} already exists; an ingestion only writes on a branch it "
                        "creates. Pick another branch name (or leave branch=None).") from None
                self._branch = self._new_branch_name()
        with self._lock:
            self._branch_created = True
        self._emit("log", f"Created branch {self._branch} from {base_ref}")

    def _import_failed(self, table: str, uri: str, reason: str) -> None:
        if "import_duplicate_files" in reason:  # the advice must be followable from every entry point
            reason += (" (Ingestion(..., import_duplicate_files=True); --import-duplicate-files in %wap_ingest "
                       "and the CLI)")
        with self._lock:
            self._error = f"Import of {uri} into {self._namespace}.{table} failed: {reason}"
            self._passed = False
        self._emit("error", self._error)
        self._set_phase("failed", self._error)

    def _count(self, table: str, ref: str) -> int:
        result = self._client.query(f"SELECT COUNT(*) AS n FROM {qualified_table(self._namespace, table)}", ref=ref)
        return int(result.column(0)[0].as_py() or 0)

    def _count_rows(self, table: str) -> None:
        after = self._count(table, self._data_ref)
        before = self._count(table, self.base_ref) if self._base_exists.get(table) and self.base_ref else 0
        added = after - before if self._modes.get(table) == "append" else after
        with self._lock:
            self._rows_before[table], self._rows_after[table], self._rows_added[table] = before, after, added

    @property
    def _data_ref(self) -> str:
        """Where the ingested data lives: the branch, or after a merge the merge commit."""
        if self._phase == "merged" and self._merge_commit:
            return f"{self._from_ref}@{self._merge_commit}"
        return self._branch

    def _effective_checks(self, table: str) -> list[ck.Check]:
        items = list(self._checks.get(table, []))
        if not any(isinstance(c, ck.RowCount) for c in items):
            items.insert(0, ck.row_count())
        if self._modes.get(table) == "append" and not any(isinstance(c, ck.SchemaCompatible) for c in items):
            items.insert(1, ck.schema_compatible())
        return items

    def _fields(self, table: str, ref: str) -> list[tuple[str, str, bool]] | None:
        try:
            if not self._client.has_table(table, ref, namespace=self._namespace):
                return None
            described = self._client.get_table(table, ref, namespace=self._namespace)
        except (bx.NotFoundError, bx.InvalidRefError):
            return None
        return [(f.name, str(f.type), bool(f.required)) for f in described.fields]

    def _scope(self, table: str) -> ck.TableScope:
        return ck.TableScope(
            table=table,
            namespace=self._namespace,
            fqn=qualified_table(self._namespace, table),
            mode=self._modes.get(table, "create"),
            branch=self._data_ref,
            base_ref=self.base_ref,
            base_exists=self._base_exists.get(table, False),
            query=lambda query, ref: self._client.query(query, ref=ref),
            new_rows=lambda where, limit: self._new_rows(table, where, limit),
            fields=lambda ref: self._fields(table, ref),
        )

    def _new_rows(self, table: str, where: str | None, limit: int) -> tuple[pa.Table, bool]:
        """Up to `limit` rows this ingestion added matching `where`; and whether that is exact."""
        fqn = qualified_table(self._namespace, table)
        cond = f" WHERE {where}" if where else ""
        limit = max(int(limit), 0)
        query = self._client.query
        branch_sql = f"SELECT * FROM {fqn}{cond}"
        incremental = self._modes.get(table) == "append" and self._base_exists.get(table) and self.base_ref
        if not incremental:
            return query(f"{branch_sql} LIMIT {limit}", ref=self._data_ref), True
        try:
            matching_before = int(query(f"SELECT COUNT(*) FROM {fqn}{cond}", ref=self.base_ref).column(0)[0].as_py())
            if matching_before == 0:
                return query(f"{branch_sql} LIMIT {limit}", ref=self._data_ref), True
            if matching_before <= ANTI_JOIN_LIMIT:
                before = query(branch_sql, ref=self.base_ref)
                after = query(f"{branch_sql} LIMIT {matching_before + limit}", ref=self._data_ref)
                rows = ck.local_sql({"after_rows": after, "before_rows": before},
                                    "SELECT * FROM (SELECT * FROM after_rows EXCEPT ALL SELECT * FROM before_rows) d "
                                    f"LIMIT {limit}")
                return rows, True
        except Exception:  # noqa: BLE001 - e.g. the base lacks a column: fall back to an inexact sample
            logger.debug("exact new-row sample failed for %s", table, exc_info=True)
        return query(f"{branch_sql} LIMIT {limit}", ref=self._data_ref), False

    def _do_validate(self) -> None:
        self._set_phase("validating", "Running checks")
        results: list[ck.CheckResult] = []
        stats = {}
        for table in self._tables:
            table_results, table_stats = ck.run_table_checks(self._scope(table), self._effective_checks(table))
            results.extend(table_results)
            stats[table] = table_stats
        passed = all(r.status == "passed" for r in results if r.severity == "error")
        with self._lock:
            self._results = results
            self._passed = passed
            for table, s in stats.items():
                self._rows_before[table], self._rows_after[table], self._rows_added[table] = (
                    s.rows_before, s.rows_after, s.rows_added)
            bad = [f"{r.table}.{r.check} ({r.status}: {r.observed if r.status != 'error' else r.message})"
                   for r in results if r.severity == "error" and r.status != "passed"]
            self._error = None if passed else f"{len(bad)} check(s) failed: {', '.join(bad)}"
        warned = sum(r.status == "warned" for r in results)
        if passed:
            self._set_phase("passed", f"All {len(results)} checks passed" + (f" ({warned} warnings)" if warned else ""))
        else:
            self._set_phase("failed", self._error or "Checks failed")

    def _table_version(self, table: str, ref: str) -> Any:
        if not self._client.has_table(table, ref, namespace=self._namespace):
            return None
        described = self._client.get_table(table, ref, namespace=self._namespace)
        return (getattr(described, "metadata_location", None), getattr(described, "current_snapshot_id", None))

    def _check_conflicts(self) -> None:
        head = self._client.get_branch(self._from_ref).hash
        if head == self._base_hash or self.base_ref is None:
            return
        for table in self._tables:
            if self._table_version(table, self.base_ref) != self._table_version(table, self._from_ref):
                raise bx.MergeConflictError(
                    409, "MERGE_CONFLICT",
                    f"Cannot publish {self._namespace}.{table}: it changed on {self._from_ref!r} since this "
                    f"ingestion branched ({self._from_ref} was at {self._base_hash}, is now at {head}). "
                    f"Nothing was merged; branch {self._branch!r} is kept: discard it and re-run the "
                    f"ingestion on the new {self._from_ref}, or inspect both versions first.")

    def audit_record(self, *, force: bool = False, reason: str | None = None) -> dict[str, str]:
        """The commit properties written on the merge commit (all values are strings)."""
        results = self._results
        files = self._files
        total_files = sum(len(v) for v in files.values())
        files_value: Any = files if total_files <= 50 else {t: len(v) for t, v in files.items()}
        return {
            "wap.user": self._user,
            "wap.branch": self._branch,
            "wap.base": self.base_ref or "",
            "wap.tables": json.dumps([f"{self._namespace}.{t}" for t in self._tables]),
            "wap.sources": json.dumps(self._sources, sort_keys=True),
            "wap.files_imported": json.dumps(files_value, sort_keys=True),
            "wap.rows_added": json.dumps(self._rows_added, sort_keys=True),
            "wap.checks_passed": str(sum(r.status == "passed" for r in results)),
            "wap.checks_failed": str(sum(r.status in ("failed", "error") for r in results)),
            "wap.checks_warned": str(sum(r.status == "warned" for r in results)),
            "wap.forced": "true" if force else "false",
            "wap.force_reason": (reason or "") if force else "",
        }

    def _do_merge(self, *, force: bool, reason: str | None) -> str:
        self._check_conflicts()
        props = self.audit_record(force=force, reason=reason)
        tables = ", ".join(f"{self._namespace}.{t}" for t in self._tables)
        body_lines = [f"{r.table}.{r.check}: {r.status}" for r in self._results]
        if force:
            body_lines.insert(0, f"FORCED by {self._user}: {reason}")
        result = self._client.merge_branch(
            self._branch, self._from_ref,
            commit_message=f"Publish {tables} from {self._branch}",
            commit_body="\n".join(body_lines) or None,
            commit_properties=props,
        )
        commit = getattr(result, "hash", None)
        if not isinstance(commit, str):
            commit = self._client.get_branch(self._from_ref).hash
        with self._lock:
            self._merge_commit = commit
            self._forced, self._force_reason = force, (reason if force else None)
            self._error = None
        forced = " (forced)" if force else ""
        self._set_phase("merged", f"Published {tables} to {self._from_ref} at {commit}{forced}")
        try:
            self._client.delete_branch(self._branch, if_exists=True)
            self._emit("log", f"Deleted merged branch {self._branch}")
        except Exception as exc:  # noqa: BLE001 - the merge succeeded; a leftover branch is only clutter
            self._emit("error", f"Merged, but could not delete branch {self._branch}: {exc}")
        return commit

    def _do_discard(self) -> None:
        if self._branch_created:
            self._client.delete_branch(self._branch, if_exists=True)
            self._emit("log", f"Deleted branch {self._branch}")
        self._set_phase("discarded", f"Discarded {self._branch}")

    def _do_refresh(self) -> None:
        if self._branch_created and not self._client.has_branch(self._branch):
            self._set_phase("discarded", f"Branch {self._branch} no longer exists")
            return
        if self._import_ok:
            for table in self._tables:
                self._count_rows(table)
        self._emit("log", "Refreshed")

    # ---------------------------------------------------------------------------------- inspection
    def _require_data(self, what: str) -> None:
        if not self._import_ok or self._phase == "discarded":
            raise RuntimeError(f"Cannot {what} in phase {self._phase!r}: nothing imported on a live branch")

    def _table_arg(self, table: str | None) -> str:
        if table is None:
            return self._tables[0]
        if table not in self._tables:
            raise ValueError(f"Unknown table {table!r}; this ingestion has {', '.join(self._tables)}")
        return table

    def _find_result(self, check: str | int) -> ck.CheckResult:
        results = self._results
        if not results:
            raise RuntimeError(f"No report yet (phase {self._phase!r}): run validate() first")
        if isinstance(check, int) and not isinstance(check, bool):
            if not 0 <= check < len(results):
                raise ValueError(f"Report row {check} does not exist (0..{len(results) - 1})")
            return results[check]
        if not isinstance(check, str):
            raise ValueError(f"check must be a name or a report row index; got {check!r}")
        for matcher in (
            lambda r: r.check == check,
            lambda r: f"{r.table}.{r.check}" == check,
            lambda r: r.check_obj is not None and r.check_obj.kind == check,
            lambda r: r.check_obj is not None and f"{r.table}.{r.check_obj.kind}" == check,
        ):
            found = [r for r in results if matcher(r)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                names = ", ".join(f"{r.table}.{r.check}" for r in found)
                raise ValueError(f"{check!r} matches several checks ({names}); use 'table.check' or a row index")
        names = ", ".join(f"{r.table}.{r.check}" for r in results)
        raise ValueError(f"No check {check!r}; checks are: {names}")

    def failures(self, check: str | int, n: int = 20) -> pd.DataFrame:
        """Up to `n` failing rows of a check (by name, "table.check", kind, or report row index).

        Rows come from the new rows only (see the module docstring); for `unique` in append mode they are
        the rows involved in the duplicates the batch introduced, which includes the existing rows it
        collides with. `sql` checks return the query's rows; `row_count` / `schema_compatible` none."""
        result = self._find_result(check)
        n = max(0, min(int(n), 10_000))
        if result.failing_table is not None:
            return to_frame(result.failing_table.slice(0, n))
        self._require_data("fetch failing rows")
        obj = result.check_obj
        if isinstance(obj, ck.Sql):
            scope = self._scope(result.table)
            return to_frame(self._client.query(f"SELECT * FROM ({obj.render(scope)}) AS q LIMIT {n}",
                                               ref=self._data_ref))
        if result.predicate and result.status != "passed":
            rows, _ = self._new_rows(result.table, result.predicate, n)
            return to_frame(rows)
        return pd.DataFrame()

    def sample(self, n: int = 10, table: str | None = None) -> pd.DataFrame:
        """Up to `n` rows this ingestion added (first table by default)."""
        self._require_data("sample")
        rows, _ = self._new_rows(self._table_arg(table), None, max(0, int(n)))
        return to_frame(rows)

    def diff(self) -> pd.DataFrame:
        """Per table: rows_before / rows_after / rows_added and added / removed / retyped columns."""
        self._require_data("diff")
        out = []
        for table in self._tables:
            self._count_rows(table)
            before = self._fields(table, self.base_ref) if self._base_exists.get(table) and self.base_ref else []
            after = self._fields(table, self._data_ref) or []
            b = {name: typ for name, typ, _ in before or []}
            a = {name: typ for name, typ, _ in after}
            out.append({
                "table": table,
                "mode": self._modes.get(table),
                "rows_before": self._rows_before.get(table, 0),
                "rows_after": self._rows_after.get(table, 0),
                "rows_added": self._rows_added.get(table, 0),
                "added_columns": [c for c in a if c not in b] if b else [],
                "removed_columns": [c for c in b if c not in a],
                "retyped_columns": [f"{c}: {b[c]} -> {a[c]}" for c in a if c in b and b[c] != a[c]],
            })
        return pd.DataFrame(out)

    def profile(self, table: str | None = None) -> TableProfile:
        """New rows vs the base ref for each column a check touches (what the panel's charts draw)."""
        self._require_data("profile columns")
        name = self._table_arg(table)
        version = self._table_version(name, self._data_ref)
        return profile_table(self._scope(name), self._effective_checks(name), snapshot_id=version and version[1])

    def schemas(self) -> dict[str, pd.DataFrame]:
        """Per table: column, type, required on the branch (or the merge commit)."""
        self._require_data("read schemas")
        return {t: pd.DataFrame(self._fields(t, self._data_ref) or [], columns=["column", "type", "required"])
                for t in self._tables}

    # ---------------------------------------------------------------------------------- resume
    @classmethod
    def resume(cls, branch: str, *, client: Any = None, checks: Sequence[ck.Check] | Mapping[str, Sequence[ck.Check]]
               = (), namespace: str = "bauplan", from_ref: str = "main") -> Ingestion:
        """Rebuild an ingestion from an existing import branch (e.g. after the kernel died).

        Tables are those changed on the branch since it forked from `from_ref`; each is "append" if it
        existed at the fork point and "create" otherwise. The result is in phase "imported".
        """
        validate_ref(branch, "branch", allow_hash=False)
        validate_identifier(namespace, "namespace")
        validate_ref(from_ref, "from_ref", allow_hash=False)
        if branch in (from_ref, "main"):
            raise ValueError(f"Cannot resume {branch!r}: it is not an import branch")
        if client is None:
            from wap_notebook.backend import connect

            client = connect()
        if not client.has_branch(branch):
            raise ValueError(f"Branch {branch!r} does not exist (see wap_notebook.list_ingestions())")
        fork = _fork_point(client, branch, from_ref)
        base_ref = f"{from_ref}@{fork}"
        tables = _changed_tables(client, branch, base_ref, namespace)
        if not tables:
            raise ValueError(f"Branch {branch!r} has no table changes in namespace {namespace!r} vs {from_ref}")
        sources = {t: "(unknown)" for t in tables}
        for commit in client.get_commits(branch, limit=200):
            props = getattr(commit, "properties", None) or {}
            uri = props.get("wap.import.search_uri")
            message = getattr(commit, "message", "") or ""
            for t in tables:
                if uri and sources[t] == "(unknown)" and f"{namespace}.{t}" in message:
                    sources[t] = uri
        self = cls.__new__(cls)
        self._setup(client, sources, namespace, ck.normalize_checks(checks, tables), "inspect", "inspect", "auto",
                    from_ref)
        self._branch, self._branch_given, self._branch_created = branch, True, True
        self._base_hash = fork
        for t in tables:
            exists = bool(client.has_table(t, base_ref, namespace=namespace))
            self._base_exists[t] = exists
            self._modes[t] = "append" if exists else "create"
            self._count_rows(t)
        self._import_ok = True
        self._set_phase("imported", f"Resumed {branch} (tables: {', '.join(tables)})")
        return self

    # ---------------------------------------------------------------------------------- display
    def _fallback_html(self) -> str:
        head = (f"<b>Ingestion</b> {html.escape(', '.join(self._tables))} &rarr; "
                f"<code>{html.escape(self._branch)}</code> &mdash; phase <b>{html.escape(self._phase)}</b>")
        report = self.report
        body = report.to_html(index=False, escape=True) if len(report) else "<p>No checks run yet.</p>"
        return f"<div>{head}{body}</div>"

    def _repr_html_(self) -> str:
        try:
            from wap_notebook.panel import ingestion_html
        except ImportError:
            return self._fallback_html()
        return ingestion_html(self)

    def _ipython_display_(self) -> None:
        try:
            from wap_notebook.panel import display_ingestion
        except ImportError:
            from IPython.display import HTML, display

            display(HTML(self._fallback_html()))
            return
        display_ingestion(self)


def list_ingestions(client: Any = None) -> pd.DataFrame:
    """Open import branches of the current user: branch, tables, created, age, head."""
    if client is None:
        from wap_notebook.backend import connect

        client = connect()
    user = username(client)
    prefix = f"{_username_part(user)}.import_"
    now = _now()
    rows = []
    for branch in client.get_branches(user=user):
        name = getattr(branch, "name", str(branch))
        if not name.startswith(prefix):
            continue
        created = None
        match = _BRANCH_TS.search(name)
        if match:
            created = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        try:
            fork = _fork_point(client, name, "main")
            tables = []
            for t in client.get_tables(name):
                ns = getattr(t, "namespace", "")
                key = f"{ns}.{t.name}"
                version = getattr(t, "metadata_location", None)
                tables.append((key, version))
            base = {f"{getattr(t, 'namespace', '')}.{t.name}": getattr(t, "metadata_location", None)
                    for t in client.get_tables(f"main@{fork}")}
            changed = sorted(k for k, v in tables if base.get(k) != v)
        except Exception:  # noqa: BLE001 - listing must not fail on one odd branch
            changed = []
        rows.append({
            "branch": name,
            "tables": ", ".join(changed),
            "created": created,
            "age": (now - created) if created else None,
            "head": getattr(branch, "hash", None),
        })
    return pd.DataFrame(rows, columns=["branch", "tables", "created", "age", "head"])
