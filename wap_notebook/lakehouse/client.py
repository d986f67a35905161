"""`LocalClient`: the embedded, Bauplan-compatible lakehouse.

Every public method of `bauplan.Client` exists with the same name, parameters, keyword-only markers
and defaults (a test enumerates the SDK's methods), returns objects with exactly the SDK classes' public
attributes and raises `bauplan.exceptions` classes. Parameters about the cloud's scheduling and
transport (`args`, `priority`, `client_timeout`, `cache`) have no local meaning: `args` must be empty or
None (anything else is refused), the others are accepted as they do not change results.

Local-only information (rows and files an import took, the commit it made, ...) is never an attribute
of a returned object: it is in the job ledger, read with `LocalClient.job_details(job_id)`.
"""

from __future__ import annotations

import getpass
import logging
import os
import pathlib
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import closing
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
from bauplan import exceptions as bx
from bauplan.schema import TableKind

from wap_notebook.lakehouse import errors, exports, partials, partitioning, plans, sources, tables
from wap_notebook.lakehouse import jobs as ledger
from wap_notebook.lakehouse.catalog import (
    DEFAULT_NAMESPACE,
    MAIN,
    Catalog,
    CatalogState,
    CommitRecord,
    Resolved,
)
from wap_notebook.lakehouse.commit_filter import compile_filter
from wap_notebook.lakehouse.jobs import JobDetails, JobLedger
from wap_notebook.lakehouse.names import (
    parse_ref,
    ref_name,
    split_table_name,
    validate_identifier,
    validate_ref_name,
)
from wap_notebook.lakehouse.objects import (
    Actor,
    Branch,
    Commit,
    DetachedRef,
    ExternalTableCreateContext,
    ExternalTableCreateState,
    InfoState,
    Job,
    JobContext,
    JobLogEvent,
    Namespace,
    PartitionField,
    Ref,
    Table,
    TableCreatePlanApplyState,
    TableCreatePlanContext,
    TableCreatePlanState,
    TableDataImportContext,
    TableDataImportState,
    TableField,
    Tag,
    UserInfo,
)
from wap_notebook.lakehouse.query import run_query
from wap_notebook.lakehouse.scan import scan_sql
from wap_notebook.progress import ImportProgress, report

logger = logging.getLogger(__name__)

_SCHEMA_READERS = 8  # footers/first blocks are small: overlap their S3 round trips


def default_lakehouse_path() -> Path:
    configured = os.environ.get("WAP_LAKEHOUSE_PATH")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("wap-notebook")) / "lakehouse"


def default_username() -> str:
    try:
        raw = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        raw = "user"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw) or "user"


class LocalClient:
    """An embedded lakehouse in a folder: a SQLite commit graph and job ledger plus an Iceberg warehouse."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, username: str | None = None,
                 email: str | None = None) -> None:
        self.path = Path(path).expanduser().resolve() if path is not None else default_lakehouse_path().resolve()
        self.username = validate_ref_name(username or default_username(), "user")
        # Commits record an author email as Bauplan's do; locally there is no account to take it from.
        self.email = email or os.environ.get("WAP_USER_EMAIL") or f"{self.username}@localhost"
        self.warehouse = self.path / "warehouse"
        self.warehouse.mkdir(parents=True, exist_ok=True)
        self._catalog = Catalog(self.path / "catalog.sqlite", creator=self.username)
        self._jobs = JobLedger(self._catalog)

    def __repr__(self) -> str:
        return f"LocalClient(path={str(self.path)!r}, username={self.username!r})"

    # ------------------------------------------------------------------ local-only information
    def job_details(self, job_id: str) -> JobDetails:
        """Local-only facts about a job (rows/files imported, failed files, commit made, `extra`).

        This is the one place for what Bauplan's state objects do not carry: code that must also run on
        Bauplan's cloud should not depend on it.
        """
        return self._jobs.details(ledger.job_id_of(job_id))

    # ------------------------------------------------------------------ identity
    def info(self, /, *, client_timeout=None) -> InfoState:
        from wap_notebook import __version__

        return InfoState(user=UserInfo(username=self.username), client_version=f"wap-notebook {__version__}")

    # ------------------------------------------------------------------ refs
    def _resolve(self, ref: Any) -> Resolved:
        return self._catalog.resolve(parse_ref(ref))

    def _writable_branch(self, branch: Any) -> str:
        name = ref_name(branch, "branch")
        record = self._catalog.ref(name)
        if record is None:
            raise errors.branch_not_found(name)
        if record.kind != "branch":
            raise errors.not_a_write_branch(record.name, "it is a tag")
        if record.name == MAIN:
            raise bx.ForbiddenError(
                403, "FORBIDDEN", "Branch 'main' is protected: write on a branch and merge it into main"
            )
        return record.name

    @staticmethod
    def _branch_name(branch: Any) -> str:
        return ref_name(branch, "branch")

    def _check_branch_owner(self, name: str, error: type[bx.ForbiddenError], code: str) -> None:
        if not name.startswith(f"{self.username}."):
            raise error(403, code, f"Branch {name!r} must be named '<username>.<name>', i.e. start with "
                                   f"{self.username + '.'!r}")

    def create_branch(self, /, branch, from_ref, *, if_not_exists=False) -> Branch:
        name = self._branch_name(branch)
        if not (if_not_exists and self.has_branch(name)):
            self._check_branch_owner(name, bx.CreateBranchForbiddenError, "CREATE_BRANCH_FORBIDDEN")
        record = self._catalog.create_ref(name, "branch", parse_ref(from_ref), self.username,
                                          if_not_exists=if_not_exists)
        if record.kind != "branch":
            raise bx.BranchExistsError(409, "BRANCH_EXISTS", f"{name!r} already exists as a tag")
        return Branch(name=record.name, hash=record.hash)

    def has_branch(self, /, branch) -> bool:
        record = self._catalog.ref(self._branch_name(branch))
        return record is not None and record.kind == "branch"

    def get_branch(self, /, branch) -> Branch:
        name = self._branch_name(branch)
        record = self._catalog.ref(name)
        if record is None or record.kind != "branch":
            raise errors.branch_not_found(name)
        return Branch(name=record.name, hash=record.hash)

    def get_branches(self, /, *, name=None, user=None, limit=None) -> Iterator[Branch]:
        records = self._catalog.refs("branch")
        if name:
            records = [r for r in records if name in r.name]
        if user:
            records = [r for r in records if r.name.startswith(f"{user}.")]
        return iter([Branch(name=r.name, hash=r.hash) for r in records[: limit or None]])

    def delete_branch(self, /, branch, *, if_exists=False) -> bool:
        name = self._branch_name(branch)
        if name == MAIN:
            raise bx.DeleteBranchForbiddenError(403, "DELETE_BRANCH_FORBIDDEN", "Branch 'main' cannot be deleted")
        record = self._catalog.ref(name)
        if record is not None and record.kind != "branch":
            raise errors.not_a_write_branch(name, "it is a tag; use delete_tag")
        # Only the ref goes: data files stay, as other refs (and time travel) may still reach them.
        deleted = self._catalog.delete_ref(name, "branch")
        if not deleted and not if_exists:
            raise errors.branch_not_found(name)
        return deleted

    def rename_branch(self, /, branch, new_branch) -> Branch:
        old, new = self._branch_name(branch), self._branch_name(new_branch)
        if old == MAIN:
            raise bx.RenameBranchForbiddenError(403, "RENAME_BRANCH_FORBIDDEN", "Branch 'main' cannot be renamed")
        record = self._catalog.ref(old)
        if record is not None and record.kind != "branch":
            raise bx.NotABranchRefError(400, "NOT_A_BRANCH_REF", f"Ref {old!r} is a tag, not a branch")
        self._check_branch_owner(new, bx.RenameBranchForbiddenError, "RENAME_BRANCH_FORBIDDEN")
        renamed = self._catalog.rename_ref(old, new, "branch")
        return Branch(name=renamed.name, hash=renamed.hash)

    def create_tag(self, /, tag, from_ref, *, if_not_exists=False) -> Tag:
        name = ref_name(tag, "tag")
        record = self._catalog.create_ref(name, "tag", parse_ref(from_ref), self.username, if_not_exists=if_not_exists)
        if record.kind != "tag":
            raise bx.TagExistsError(409, "TAG_EXISTS", f"{name!r} already exists as a branch")
        return Tag(name=record.name, hash=record.hash)

    def has_tag(self, /, tag) -> bool:
        record = self._catalog.ref(ref_name(tag, "tag"))
        return record is not None and record.kind == "tag"

    def get_tag(self, /, tag) -> Tag:
        name = ref_name(tag, "tag")
        record = self._catalog.ref(name)
        if record is None or record.kind != "tag":
            raise errors.tag_not_found(name)
        return Tag(name=record.name, hash=record.hash)

    def get_tags(self, /, *, filter_by_name=None, limit=None) -> Iterator[Tag]:
        records = [r for r in self._catalog.refs("tag") if not filter_by_name or filter_by_name in r.name]
        return iter([Tag(name=r.name, hash=r.hash) for r in records[: limit or None]])

    def delete_tag(self, /, tag, *, if_exists=False) -> bool:
        name = ref_name(tag, "tag")
        record = self._catalog.ref(name)
        if record is not None and record.kind != "tag":
            raise bx.NotATagRefError(400, "NOT_A_TAG_REF", f"Ref {name!r} is a branch, not a tag")
        deleted = self._catalog.delete_ref(name, "tag")
        if not deleted and not if_exists:
            raise errors.tag_not_found(name)
        return deleted

    def rename_tag(self, /, tag, new_tag) -> Tag:
        old, new = ref_name(tag, "tag"), ref_name(new_tag, "tag")
        record = self._catalog.ref(old)
        if record is not None and record.kind != "tag":
            raise bx.NotATagRefError(400, "NOT_A_TAG_REF", f"Ref {old!r} is a branch, not a tag")
        renamed = self._catalog.rename_ref(old, new, "tag")
        return Tag(name=renamed.name, hash=renamed.hash)

    def _commit(self, branch: str, change: Any, **kwargs: Any) -> CommitRecord:
        return self._catalog.commit_to_branch(branch, change, author=self.username, author_email=self.email, **kwargs)

    # ------------------------------------------------------------------ namespaces
    def create_namespace(self, /, namespace, branch, *, commit_body=None, commit_properties=None,
                         if_not_exists=False) -> Namespace:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        target = self._writable_branch(branch)

        def change(head: CommitRecord, _con: Any) -> CatalogState | None:
            if name in head.state.namespaces:
                if if_not_exists:
                    return None
                raise bx.NamespaceExistsError(
                    409, "NAMESPACE_EXISTS", f"Namespace {name!r} already exists on {target!r}"
                )
            return dc_replace(head.state, namespaces=head.state.namespaces | {name})

        self._commit(target, change, message=f"Create namespace {name}",
                                       body=commit_body, properties=commit_properties)
        return Namespace(name=name)

    def has_namespace(self, /, namespace, ref) -> bool:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        return name in self._resolve(ref).commit.state.namespaces

    def get_namespace(self, /, namespace, ref) -> Namespace:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        if name not in self._resolve(ref).commit.state.namespaces:
            raise errors.namespace_not_found(name, str(ref))
        return Namespace(name=name)

    def get_namespaces(self, /, ref, *, filter_by_name=None, limit=None) -> Iterator[Namespace]:
        names = sorted(self._resolve(ref).commit.state.namespaces)
        names = [n for n in names if not filter_by_name or filter_by_name in n]
        return iter([Namespace(name=n) for n in names[: limit or None]])

    def delete_namespace(self, /, namespace, branch, *, if_exists=False, commit_body=None,
                         commit_properties=None) -> Branch:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        target = self._writable_branch(branch)

        def change(head: CommitRecord, _con: Any) -> CatalogState | None:
            if name not in head.state.namespaces:
                if if_exists:
                    return None
                raise errors.namespace_not_found(name, target)
            if any(key.split(".")[0] == name for key in head.state.tables):
                raise bx.NamespaceIsNotEmptyError(409, "NAMESPACE_IS_NOT_EMPTY", f"Namespace {name!r} still has tables")
            return dc_replace(head.state, namespaces=head.state.namespaces - {name})

        commit = self._commit(target, change, message=f"Delete namespace {name}", body=commit_body,
                                                properties=commit_properties)
        return Branch(name=target, hash=commit.hash)

    # ------------------------------------------------------------------ tables: reading
    def _table_key(self, table: Any, namespace: Any) -> tuple[str, str, str]:
        ns, name = split_table_name(table, namespace, DEFAULT_NAMESPACE)
        return ns, name, f"{ns}.{name}"

    def has_table(self, /, table, ref, *, namespace=None) -> bool:
        _, _, key = self._table_key(table, namespace)
        return key in self._resolve(ref).commit.state.tables

    def get_table(self, /, table, ref, *, namespace=None) -> Table:
        ns, name, key = self._table_key(table, namespace)
        location = self._resolve(ref).commit.state.tables.get(key)
        if location is None:
            raise errors.table_not_found(key, str(getattr(ref, "name", ref)))
        return self._describe(ns, name, location)

    def get_tables(self, /, ref, *, filter_by_name=None, filter_by_namespace=None, limit=None) -> Iterator[Table]:
        state = self._resolve(ref).commit.state
        ns_filter = getattr(filter_by_namespace, "name", filter_by_namespace)
        found = []
        for key, location in sorted(state.tables.items()):
            ns, name = key.split(".", 1)
            if (filter_by_name and filter_by_name not in name) or (ns_filter and ns != ns_filter):
                continue
            found.append((ns, name, location))
        # Lazy, as Bauplan's paginating iterator: each table's metadata is read when it is reached.
        return (self._describe(ns, name, location) for ns, name, location in found[: limit or None])

    def _describe(self, namespace: str, name: str, location: str) -> Table:
        iceberg, schema = tables.describe(location)
        snapshot = iceberg.current_snapshot()
        summary = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        fields = [TableField(id=f.field_id, name=f.name, required=f.required, type=str(f.field_type), doc=f.doc)
                  for f in schema.fields]
        partitions = [PartitionField(name=f.name, transform=str(f.transform)) for f in iceberg.spec().fields]
        return Table(
            name=name,
            namespace=namespace,
            kind=TableKind.ExternalTable if self._is_external(iceberg, location) else TableKind.Table,
            metadata_location=location,
            current_snapshot_id=snapshot.snapshot_id if snapshot else None,
            current_schema_id=schema.schema_id,
            fields=fields,
            records=int(summary.get("total-records", 0)),
            size=int(summary.get("total-files-size", 0)),
            snapshots=len(iceberg.metadata.snapshots),
            last_updated_at=datetime.fromtimestamp(iceberg.metadata.last_updated_ms / 1000, tz=timezone.utc),
            properties={k: v for k, v in iceberg.properties.items()
                        if not k.startswith("schema.name-mapping") and k != tables.EXTERNAL_PROPERTY},
            partitions=partitions,
            id=uuid.UUID(str(iceberg.metadata.table_uuid)),
        )

    def _is_external(self, iceberg: Any, location: str) -> bool:
        """External tables are registered metadata outside the warehouse, or files registered in place."""
        inside = Path(location.removeprefix("file://")).resolve().is_relative_to(self.warehouse.resolve())
        return not inside or iceberg.properties.get(tables.EXTERNAL_PROPERTY) == "true"

    # ------------------------------------------------------------------ tables: writing
    @staticmethod
    def _read_schemas(search_uri: str) -> tuple[list[sources.SourceFile], list[pa.Schema]]:
        """Every matched file and its own schema, read concurrently (footers and first blocks are small)."""
        files = sources.resolve(search_uri)
        with ThreadPoolExecutor(max_workers=min(_SCHEMA_READERS, len(files))) as pool:
            return files, list(pool.map(sources.read_schema, files))

    def _infer_schema(self, search_uri: str) -> tuple[list[sources.SourceFile], pa.Schema]:
        files, schemas = self._read_schemas(search_uri)
        return files, sources.unify_schemas(list(zip(files, schemas, strict=True)))

    def _publish_new_table(self, branch: str, ns: str, name: str, schema: pa.Schema, *, replace: bool,
                           message: str, expected_location: str | None, job_id: str,
                           partitions: list[partitioning.PartitionTerm] | None = None) -> Table:
        folder = tables.new_table_folder(ns, name, self.warehouse)
        with self._catalog.pending_write(str(folder)):
            location = tables.create_table(ns, name, schema, folder, partitions=partitions)
            return self._commit_table(branch, ns, name, location, replace=replace, message=message,
                                      expected_location=expected_location, job_id=job_id)

    def _commit_table(self, branch: str, ns: str, name: str, location: str, *, replace: bool, message: str,
                      expected_location: str | None, job_id: str) -> Table:
        key = f"{ns}.{name}"

        def change(head: CommitRecord, _con: Any) -> CatalogState:
            current = head.state.tables.get(key)
            if current is not None and not replace:
                raise bx.TableExistsError(409, "TABLE_EXISTS", f"Table {key!r} already exists on {branch!r}")
            if replace and current != expected_location:
                raise bx.BranchHeadChangedError(409, "BRANCH_HEAD_CHANGED",
                                                f"Table {key!r} changed on {branch!r} while it was being replaced")
            return CatalogState(head.state.namespaces | {ns}, {**head.state.tables, key: location})

        commit = self._commit(branch, change, message=message, properties={JOB_ID_PROPERTY: job_id})
        self._jobs.finish(job_id, tx_ref=commit.hash, details={"commit_hash": commit.hash})
        return self._describe(ns, name, location)

    def _run_job(self, kind: str, ref: str | None, work: Any, *, message: str) -> Any:
        """Run `work(job_id)` as a job: its failure is recorded in the ledger, then re-raised."""
        job_id = self._jobs.start(kind, self.username, ref=ref, message=message)
        try:
            return work(job_id)
        except BaseException as exc:
            self._jobs.finish(job_id, error=_describe_error(exc))
            raise

    def _plan(self, job_id: str, target: str, ns: str, name: str, search_uri: str, replace: bool,
              terms: list[partitioning.PartitionTerm]) -> tuple[str, bool, list[str], pa.Schema | None]:
        """Plan YAML, whether it is conflict-free, the files, and the unified schema when there is one."""
        files, schemas = self._read_schemas(search_uri)
        columns: dict[str, list[pa.DataType]] = {}
        for schema in schemas:
            for field in schema:
                seen = columns.setdefault(field.name, [])
                if field.type not in seen:
                    seen.append(field.type)
        unified: pa.Schema | None = None
        resolved: dict[str, pa.DataType] = {}
        try:
            unified = sources.unify_schemas(list(zip(files, schemas, strict=True)))
            resolved = {f.name: f.type for f in unified}
        except errors.SchemaConflictError:
            for column in columns:
                single = [(f, pa.schema([s.field(column)])) for f, s in zip(files, schemas, strict=True)
                          if column in s.names]
                try:
                    resolved[column] = sources.unify_schemas(single).field(column).type
                except errors.SchemaConflictError:
                    continue
        text, clean = plans.build(plan_id=job_id, branch=target, namespace=ns, table=name, replace=replace,
                                  search_uri=search_uri, columns=columns, resolved=resolved, partitions=terms)
        return text, clean, [f.uri for f in files], unified

    def create_table(self, /, table, search_uri, *, branch=None, namespace=None, partitioned_by=None, replace=None,
                     args=None, priority=None, client_timeout=None) -> Table:
        _refuse_args(args)
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        terms = partitioning.parse_partitioned_by(partitioned_by)
        existing = self._resolve(target).commit.state.tables.get(key)
        if existing is not None and not replace:
            raise bx.TableExistsError(409, "TABLE_EXISTS", f"Table {key!r} already exists on {target!r}")

        def plan(job_id: str) -> pa.Schema:
            _, schema = self._infer_schema(search_uri)
            self._jobs.finish(job_id)
            return schema

        # As on Bauplan, creating a table is a plan job followed by an apply job.
        schema = self._run_job("TABLE_PLAN_CREATE", target, plan, message=f"plan table {key} from {search_uri}")
        verb = "Replace" if existing else "Create"
        return self._run_job(
            "TABLE_PLAN_CREATE_APPLY", target,
            lambda job_id: self._publish_new_table(target, ns, name, schema, replace=bool(replace),
                                                   message=f"{verb} table {key} from {search_uri}",
                                                   expected_location=existing, job_id=job_id, partitions=terms),
            message=f"apply plan for table {key}")

    def plan_table_creation(self, /, table, search_uri, *, branch=None, namespace=None, partitioned_by=None,
                            replace=None, args=None, priority=None, client_timeout=None) -> TableCreatePlanState:
        _refuse_args(args)
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        terms = partitioning.parse_partitioned_by(partitioned_by)
        ctx = TableCreatePlanContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     table_partitioned_by=partitioning.describe(terms), table_replace=bool(replace))

        def plan(job_id: str) -> TableCreatePlanState:
            text, clean, files, _ = self._plan(job_id, target, ns, name, search_uri, bool(replace), terms)
            self._jobs.finish(job_id)
            return TableCreatePlanState(job_id=job_id, job_status="SUCCESS", error=None, ctx=ctx, plan=text,
                                        can_auto_apply=clean, files_to_be_imported=files)

        state = self._run_job("TABLE_PLAN_CREATE", target, plan, message=f"plan table {key} from {search_uri}")
        if state.can_auto_apply:  # Bauplan applies a conflict-free plan at once
            self.apply_table_creation_plan(state)
        return state

    def apply_table_creation_plan(self, /, plan, *, args=None, priority=None,
                                  client_timeout=None) -> TableCreatePlanApplyState:
        _refuse_args(args)
        text = plan.plan if isinstance(plan, TableCreatePlanState) else plan
        if not isinstance(text, (str, dict)):
            raise ValueError(f"plan must be a TableCreatePlanState or its YAML text, got {type(plan).__name__}")
        job_id = self._jobs.start("TABLE_PLAN_CREATE_APPLY", self.username, ref=None, message="apply table plan")
        try:
            parsed = plans.parse(text)
            ns = validate_identifier(parsed.namespace, "namespace")
            name = validate_identifier(parsed.table, "table")
            target = self._writable_branch(parsed.branch)
            needs_sources = any(str(entry.get("datatype")) not in plans.KNOWN_TYPES
                                for _, entry in parsed.columns if isinstance(entry, dict))
            source_types: dict[str, list[pa.DataType]] = {}
            if needs_sources and parsed.search_uri:
                for schema in self._read_schemas(parsed.search_uri)[1]:
                    for field in schema:
                        source_types.setdefault(field.name, []).append(field.type)
            schema = parsed.schema(source_types)
            existing = self._resolve(target).commit.state.tables.get(f"{ns}.{name}")
            self._publish_new_table(target, ns, name, schema, replace=parsed.replace,
                                    message=f"Create table {ns}.{name} from plan", expected_location=existing,
                                    job_id=job_id, partitions=parsed.partitions)
        except (errors.TablePlanApplyError, errors.PartitionSpecError, ValueError) as exc:
            message = f"Cannot apply the table creation plan: {exc}"
            self._jobs.finish(job_id, error=message)
            raise errors.TablePlanApplyError(
                message, TableCreatePlanApplyState(job_id=job_id, job_status="FAILED", error=message)) from None
        except BaseException as exc:
            self._jobs.finish(job_id, error=_describe_error(exc))
            raise
        return TableCreatePlanApplyState(job_id=job_id, job_status="SUCCESS", error=None)

    def import_data(self, /, table, search_uri, *, branch=None, namespace=None, continue_on_error=False,
                    import_duplicate_files=False, best_effort=False, preview=None, args=None, priority=None,
                    client_timeout=None, detach=False) -> TableDataImportState:
        _refuse_args(args)
        if preview not in (None, "off", "false", False):
            raise ValueError(f"preview={preview!r}: preview mode runs on Bauplan's cloud only; "
                             "the embedded lakehouse accepts preview=None or 'off'")
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        base_location = self._resolve(target).commit.state.tables.get(key)
        if base_location is None:
            raise errors.table_not_found(key, target)
        if self._describe(ns, name, base_location).is_external():
            raise bx.InvalidDataError(400, "EXTERNAL_TABLE_READ_ONLY",
                                      f"Table {key!r} is an external table: it is read-only")
        ctx = TableDataImportContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     continue_on_error=continue_on_error, import_duplicate_files=import_duplicate_files,
                                     best_effort=best_effort, preview=str(preview or "off"))
        job_id = self._jobs.start("TABLE_IMPORT", self.username, ref=target,
                                  status="NOT_STARTED" if detach else "RUNNING",
                                  message=f"import {search_uri} into {key} on {target}")
        if detach:
            # A non-daemon thread: like a cloud job, it completes even if the caller stops waiting.
            threading.Thread(target=self._import_job, args=(job_id, ctx, key, base_location, search_uri),
                             name=f"wap-import-{job_id[:8]}").start()
            return TableDataImportState(job_id=job_id, job_status="RUNNING", error=None, ctx=ctx)
        self._import_job(job_id, ctx, key, base_location, search_uri)
        status, error = self._jobs.status(job_id)
        return TableDataImportState(job_id=job_id, job_status=status, error=error, ctx=ctx)

    def _import_job(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                    search_uri: str) -> None:
        """Run one import job to its end; its outcome goes to the ledger (a failed import does not raise)."""
        self._jobs.mark_running(job_id)
        try:
            details = self._run_import(job_id, ctx, key, base_location, search_uri)
        except ledger.JobCancelled as exc:
            self._jobs.finish(job_id, error=str(exc), aborted=True)
        except Exception as exc:  # noqa: BLE001 - a failed job is reported in the state, as Bauplan does
            logger.info("import into %s failed: %s", key, exc)
            self._jobs.finish(job_id, error=_describe_error(exc))
        else:
            self._jobs.finish(job_id, tx_ref=details["commit_hash"], details=details)

    def _run_import(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                    search_uri: str) -> dict[str, Any]:
        files = sources.resolve(search_uri)
        if not ctx.import_duplicate_files:
            already = tables.imported_source_files(base_location)
            duplicates = [f for f in files if f.uri in already]
            if duplicates and (not ctx.continue_on_error or len(duplicates) == len(files)):
                names = ", ".join(f.uri for f in duplicates[:5]) + (" ..." if len(duplicates) > 5 else "")
                raise errors.SourceError(
                    f"{len(duplicates)} of {len(files)} files were already imported into {key}: {names} "
                    "(pass import_duplicate_files=True to import them again)", uri=search_uri)
            files = [f for f in files if f.uri not in already]
        target_schema = tables.arrow_schema(base_location)
        table_location = tables.load_table_at(base_location).location()
        with self._catalog.pending_write(table_location):
            if tables.is_partitioned(base_location):
                return self._write_partitioned(job_id, ctx, key, base_location, search_uri, files, target_schema)
            return self._write_and_commit(job_id, ctx, key, base_location, search_uri, files, target_schema,
                                          table_location)

    def _write_partitioned(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                           search_uri: str, files: list[sources.SourceFile],
                           target_schema: pa.Schema) -> dict[str, Any]:
        """Import into a partitioned table: PyIceberg's writer splits each file's rows by partition.

        A file is held in memory while it is split (the plain path streams); check partials are not
        computed here, so validation of partitioned tables runs in SQL.
        """
        imported: list[str] = []
        failed: dict[str, str] = {}
        parts: list[tuple[str, pa.Table]] = []
        rows = 0
        for index, source in enumerate(files):
            self._jobs.check_cancel(job_id)
            try:
                batches = list(sources.iter_batches(source, target_schema, best_effort=ctx.best_effort))
            except Exception as exc:
                if not ctx.continue_on_error:
                    raise
                failed[source.uri] = _describe_error(exc)
                self._jobs.log(job_id, f"file {source.uri} failed: {failed[source.uri]}", "WARN", "STDERR")
                continue
            part = pa.Table.from_batches(batches, schema=target_schema)
            parts.append((source.uri, part))
            rows += part.num_rows
            imported.append(source.uri)
            self._jobs.log(job_id, f"imported {source.uri}: {part.num_rows} rows")
            report(ImportProgress(key, index + 1, len(files), rows, 0, source.uri))
        if not imported:
            raise errors.SourceError(f"No file could be imported into {key}: {failed}", uri=search_uri)
        self._jobs.check_cancel(job_id)
        new_location = tables.append_partitioned(base_location, tuple(key.split(".")), parts)  # type: ignore[arg-type]
        commit = self._commit_import(ctx, key, base_location, new_location, search_uri, imported, job_id)
        return {"rows_imported": rows, "files_imported": imported, "files_failed": failed,
                "commit_hash": commit.hash}

    def _commit_import(self, ctx: TableDataImportContext, key: str, base_location: str, new_location: str,
                       search_uri: str, imported: list[str], job_id: str) -> CommitRecord:
        def change(head: CommitRecord, _con: Any) -> CatalogState:
            if head.state.tables.get(key) != base_location:
                raise bx.BranchHeadChangedError(
                    409, "BRANCH_HEAD_CHANGED",
                    f"Table {key!r} changed on {ctx.branch_name!r} during the import; retry it")
            return dc_replace(head.state, tables={**head.state.tables, key: new_location})

        files_word = "file" if len(imported) == 1 else "files"
        return self._commit(ctx.branch_name, change,
                            message=f"Import {len(imported)} {files_word} from {search_uri} into {key}",
                            properties={JOB_ID_PROPERTY: job_id})

    def _write_and_commit(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                          search_uri: str, files: list[sources.SourceFile], target_schema: pa.Schema,
                          table_location: str) -> dict[str, Any]:
        written: list[str] = []
        imported: list[str] = []
        failed: dict[str, str] = {}
        rows = 0
        bytes_done = 0
        # Check partials, when the caller asked for them (see partials.requested): computed on a worker
        # thread from the batches being written, stored in this import's snapshot.
        checks = partials.start(key, target_schema, job_id)
        bytes_total = sum(f.size for f in files)
        report(ImportProgress(key, 0, len(files), 0, 0, bytes_total=bytes_total))

        def progress(rows_in_flight: int, current: str) -> None:
            report(ImportProgress(key, len(imported) + len(failed), len(files), rows + rows_in_flight, bytes_done,
                                  current, bytes_total))

        try:
            # Closed before the cleanup below, so files still in flight are waited for and listed in `written`.
            with closing(_write_files(files, table_location, target_schema, ctx.best_effort, checks, written,
                                      progress)) as results:
                for index, source, result in results:
                    self._jobs.check_cancel(job_id)
                    if result.error is not None:
                        if checks is not None and result.partials is not None:
                            checks.drop(result.partials)
                        if not ctx.continue_on_error:
                            raise result.error
                        failed[source.uri] = _describe_error(result.error)
                        self._jobs.log(job_id, f"file {source.uri} failed: {failed[source.uri]}", "WARN", "STDERR")
                        continue
                    if checks is not None and result.partials is not None:
                        checks.keep(result.partials)
                    rows += result.rows
                    bytes_done += source.size
                    imported.append(source.uri)
                    self._jobs.log(job_id, f"imported {source.uri}: {result.rows} rows")
                    report(ImportProgress(key, index + 1, len(files), rows, bytes_done, source.uri, bytes_total))
            if not imported:
                raise errors.SourceError(f"No file could be imported into {key}: {failed}", uri=search_uri)
            self._jobs.check_cancel(job_id)
            identifier = tuple(key.split("."))
            extra = checks.snapshot_properties(rows) if checks is not None else {}
            new_location = tables.commit_files(base_location, identifier, written, imported,  # type: ignore[arg-type]
                                               extra_properties=extra)
            commit = self._commit_import(ctx, key, base_location, new_location, search_uri, imported, job_id)
        except BaseException:
            for path in written:
                Path(path).unlink(missing_ok=True)
            raise
        finally:
            if checks is not None:
                checks.close()
        # With continue_on_error a partial import is a success; the files that failed are in the job details.
        return {"rows_imported": rows, "files_imported": imported, "files_failed": failed,
                "commit_hash": commit.hash}

    def delete_table(self, /, table, branch, *, namespace=None, if_exists=False, commit_body=None,
                     commit_properties=None) -> Branch:
        _, _, key = self._table_key(table, namespace)
        target = self._writable_branch(branch)

        def change(head: CommitRecord, _con: Any) -> CatalogState | None:
            if key not in head.state.tables:
                if if_exists:
                    return None
                raise errors.table_not_found(key, target)
            return dc_replace(head.state, tables={k: v for k, v in head.state.tables.items() if k != key})

        commit = self._commit(target, change, message=f"Delete table {key}", body=commit_body,
                              properties=commit_properties)
        return Branch(name=target, hash=commit.hash)

    def revert_table(self, /, table, *, namespace=None, source_ref, into_branch, replace=None, commit_body=None,
                     commit_properties=None) -> Branch:
        ns, _, key = self._table_key(table, namespace)
        source = self._resolve(source_ref)
        location = source.commit.state.tables.get(key)
        if location is None:
            raise errors.table_not_found(key, str(parse_ref(source_ref)))
        target = self._writable_branch(into_branch)

        def change(head: CommitRecord, _con: Any) -> CatalogState:
            if head.hash == source.commit.hash:
                raise bx.SameRefError(400, "SAME_REF", f"{str(parse_ref(source_ref))!r} and {target!r} are the "
                                                       "same commit: nothing to revert")
            current = head.state.tables.get(key)
            if current == location:
                raise bx.RevertIdenticalTableError(409, "REVERT_IDENTICAL_TABLE",
                                                   f"Table {key!r} on {target!r} is already as on the source ref")
            if current is not None and not replace:
                raise bx.RevertDestinationTableExistsError(
                    409, "REVERT_DESTINATION_TABLE_EXISTS",
                    f"Table {key!r} exists on {target!r}: revert_table(..., replace=True) replaces it")
            return CatalogState(head.state.namespaces | {ns}, {**head.state.tables, key: location})

        commit = self._commit(target, change, message=f"Revert table {key} to {parse_ref(source_ref)}",
                              body=commit_body, properties=commit_properties)
        return Branch(name=target, hash=commit.hash)

    # ------------------------------------------------------------------ external tables
    def create_external_table_from_parquet(self, /, table, search_patterns, *, branch=None, namespace=None,
                                           overwrite=False, args=None, priority=None, client_timeout=None,
                                           detach=False) -> ExternalTableCreateState:
        _refuse_args(args)
        if isinstance(search_patterns, str) or not search_patterns:
            raise ValueError("search_patterns must be a non-empty list of URIs of parquet files")
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        existing = self._resolve(target).commit.state.tables.get(key)
        if existing is not None and not overwrite:
            raise bx.UpdateConflictError(409, "UPDATE_CONFLICT", f"Table {key!r} already exists on {target!r}")
        ctx = ExternalTableCreateContext(branch_name=target, namespace=ns, table_name=name)
        job_id = self._jobs.start("EXTERNAL_TABLE_CREATE", self.username, ref=target,
                                  status="NOT_STARTED" if detach else "RUNNING",
                                  message=f"register {len(search_patterns)} pattern(s) as external table {key}")

        def work() -> None:
            self._jobs.mark_running(job_id)
            try:
                self._register_parquet(job_id, target, ns, name, list(search_patterns), existing)
            except Exception as exc:  # noqa: BLE001 - reported in the state, as Bauplan's jobs do
                self._jobs.finish(job_id, error=_describe_error(exc))

        if detach:
            threading.Thread(target=work, name=f"wap-external-{job_id[:8]}").start()
            return ExternalTableCreateState(job_id=job_id, job_status="RUNNING", error=None, ctx=ctx)
        work()
        status, error = self._jobs.status(job_id)
        return ExternalTableCreateState(job_id=job_id, job_status=status, error=error, ctx=ctx)

    def _register_parquet(self, job_id: str, target: str, ns: str, name: str, patterns: list[str],
                          existing: str | None) -> None:
        files = [f for pattern in patterns for f in sources.resolve(pattern)]
        not_parquet = [f.uri for f in files if f.format != "parquet"]
        if not_parquet:
            raise errors.SourceFormatError(f"External tables register parquet files only; not parquet: "
                                           f"{', '.join(not_parquet[:5])}", uri=not_parquet[0])
        local = [f for f in files if f.uri.startswith("s3://")]
        if local:
            raise errors.SourceError("The embedded lakehouse registers local parquet files only; "
                                     f"{local[0].uri} is on S3 (import it with create_table + import_data)",
                                     uri=local[0].uri)
        with ThreadPoolExecutor(max_workers=min(_SCHEMA_READERS, len(files))) as pool:
            schemas = list(pool.map(sources.read_schema, files))
        schema = sources.unify_schemas(list(zip(files, schemas, strict=True)))
        paths = [str(Path(f.uri.removeprefix("file://")).resolve()) for f in files]
        folder = tables.new_table_folder(ns, name, self.warehouse)
        with self._catalog.pending_write(str(folder)):
            location = tables.create_table(ns, name, schema, folder,
                                           properties={tables.EXTERNAL_PROPERTY: "true"})
            location = tables.register_files(location, (ns, name), paths)
            self._commit_table(target, ns, name, location, replace=existing is not None,
                               message=f"Create external table {ns}.{name}", expected_location=existing,
                               job_id=job_id)

    def create_external_table_from_metadata(self, /, table, metadata_json_uri, *, namespace, branch=None,
                                            overwrite=False) -> Table:
        if not isinstance(metadata_json_uri, str) or not metadata_json_uri.strip():
            raise ValueError("metadata_json_uri must be the URI of an Iceberg metadata.json file")
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        location = metadata_json_uri.strip()
        if location.startswith("s3://"):
            raise ValueError("The embedded lakehouse registers local Iceberg metadata files only; "
                             f"{location} is on S3")
        path = Path(location.removeprefix("file://")).expanduser().resolve()
        if path.is_relative_to(self.warehouse.resolve()):
            raise bx.InvalidDataError(400, "INVALID_DATA", "The metadata location is inside the lakehouse's "
                                                           "warehouse: register external tables only")
        if ns not in self._resolve(target).commit.state.namespaces:
            raise errors.namespace_not_found(ns, target)
        try:
            tables.load_table_at(str(path))
        except Exception as exc:  # noqa: BLE001 - any unreadable metadata is the caller's input error
            raise ValueError(f"{location} is not a readable Iceberg metadata file: {exc}") from None

        def change(head: CommitRecord, _con: Any) -> CatalogState:
            if key in head.state.tables and not overwrite:
                raise bx.UpdateConflictError(409, "UPDATE_CONFLICT", f"Table {key!r} already exists on {target!r}")
            return dc_replace(head.state, tables={**head.state.tables, key: str(path)})

        self._commit(target, change, message=f"Register external table {key}")
        return self._describe(ns, name, str(path))

    # ------------------------------------------------------------------ queries
    def _sql(self, sql: str, ref: Any, namespace: Any, max_rows: int | None, args: Any) -> pa.Table:
        """Run one query as a QUERY job on the ledger."""
        _refuse_args(args)
        resolved = self._resolve(ref or MAIN)
        state = resolved.commit.state
        default_ns = validate_identifier(getattr(namespace, "name", namespace) or DEFAULT_NAMESPACE, "namespace")

        def resolve(ns: str, name: str) -> tables.TableFiles | None:
            location = state.tables.get(f"{ns}.{name}")
            return tables.table_files(location) if location else None

        started = time.time()
        error: str | None = None
        try:
            return run_query(sql, resolve=resolve, default_namespace=default_ns, warehouse=self.warehouse,
                             max_rows=max_rows)
        except BaseException as exc:
            error = _describe_error(exc)
            raise
        finally:
            self._jobs.record_finished("QUERY", self.username, ref=f"{resolved.name or ''}@{resolved.commit.hash}",
                                       sql=sql, started=started, error=error)

    def query(self, /, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None, priority=None,
              client_timeout=None) -> pa.Table:
        return self._sql(query, ref, namespace, max_rows, args)

    def scan(self, /, table, *, ref=None, columns=None, filters=None, limit=None, cache=None, namespace=None,
             args=None, priority=None, client_timeout=None) -> pa.Table:
        ns, name, key = self._table_key(table, namespace)
        resolved = self._resolve(ref or MAIN)
        location = resolved.commit.state.tables.get(key)
        if location is None:
            raise errors.table_not_found(key, str(parse_ref(ref or MAIN)))
        sql = scan_sql(ns, name, tables.table_files(location).schema.names, columns, filters, limit)
        # Pin the commit just resolved, so the schema checked and the data read are the same version.
        return self._sql(sql, f"{resolved.name or ''}@{resolved.commit.hash}", ns, None, args)

    def query_to_generator(self, /, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None,
                           priority=None, client_timeout=None) -> Iterator[dict[str, Any]]:
        result = self._sql(query, ref, namespace, max_rows, args)
        return (row for batch in result.to_batches() for row in batch.to_pylist())

    def query_to_parquet_file(self, /, path, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None,
                              priority=None, client_timeout=None) -> pathlib.Path:
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, "parquet")

    def query_to_csv_file(self, /, path, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None,
                          priority=None, client_timeout=None) -> pathlib.Path:
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, "csv")

    def query_to_json_file(self, /, path, query, *, file_format="json", ref=None, max_rows=None, cache=None,
                           namespace=None, args=None, priority=None, client_timeout=None) -> pathlib.Path:
        if file_format not in ("json", "jsonl"):
            raise ValueError(f"file_format must be 'json' or 'jsonl', got {file_format!r}")
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, file_format)

    # ------------------------------------------------------------------ pipelines
    def run(self, /, project_dir, *, ref=None, namespace=None, parameters=None, cache=True, transaction=True,
            dry_run=None, strict=True, preview=None, args=None, priority=None, client_timeout=None,
            detach=False) -> Any:
        raise NotImplementedError(
            "Bauplan pipelines (`run`) execute on Bauplan's cloud: the embedded lakehouse has no pipeline "
            "runtime. Locally, load data with create_table + import_data and transform it with query.")

    # ------------------------------------------------------------------ jobs
    def get_job(self, job_id, /) -> Job:
        return self._jobs.get(ledger.job_id_of(job_id))

    def get_jobs(self, /, *, filter_by_current_user=True, filter_by_ids=None, filter_by_users=None,
                 filter_by_kinds=None, filter_by_statuses=None, filter_by_created_after=None,
                 filter_by_created_before=None, limit=None) -> Iterator[Job]:
        users = ledger.normalize_users(filter_by_users)
        if users and filter_by_current_user:
            raise ValueError("filter_by_current_user and filter_by_users are mutually exclusive: set "
                             "filter_by_current_user to False when filtering by users")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        return self._jobs.list(users=users or ([self.username] if filter_by_current_user else None),
                               ids=ledger.normalize_ids(filter_by_ids), kinds=ledger.normalize_kinds(filter_by_kinds),
                               statuses=ledger.normalize_statuses(filter_by_statuses),
                               after=ledger.as_epoch(filter_by_created_after),
                               before=ledger.as_epoch(filter_by_created_before), limit=limit)

    def get_job_logs(self, /, job) -> list[JobLogEvent]:
        return self._jobs.logs(ledger.job_id_of(job))

    def get_job_context(self, /, job, *, include_logs=False, include_snapshot=False) -> JobContext:
        # Jobs here run no user code, so there is no code snapshot: `snapshot_dict` is empty either way.
        return self._jobs.context(ledger.job_id_of(job), include_logs=include_logs)

    def get_job_contexts(self, /, jobs, *, include_logs=False, include_snapshot=False) -> list[JobContext]:
        return [self.get_job_context(job, include_logs=include_logs, include_snapshot=include_snapshot)
                for job in ledger.normalize_ids(jobs)]

    def cancel_job(self, job_id, /) -> None:
        self._jobs.cancel(ledger.job_id_of(job_id))

    # ------------------------------------------------------------------ merges and history
    def merge_branch(self, /, source_ref, into_branch, *, commit_message=None, commit_body=None,
                     commit_properties=None) -> Branch:
        source_spec = parse_ref(source_ref)
        target = self._branch_name(into_branch)
        record = self._catalog.ref(target)
        if record is None:
            raise errors.branch_not_found(target)
        if record.kind != "branch":
            raise errors.not_a_write_branch(target, "it is a tag")
        if source_spec.name == target:  # also `main@hash` or a Branch("main", hash) object into main
            raise bx.SameRefError(400, "SAME_REF", f"Cannot merge {target!r} into itself")
        message = commit_message or f"Merge {source_spec} into {target}"

        def change(head: CommitRecord, con: Any) -> tuple[CatalogState, tuple[str, ...]] | None:
            source = self._catalog.resolve(source_spec, con).commit
            if self._catalog.is_ancestor(source.hash, head.hash, con):
                return None  # already merged: nothing to do
            base_hash = self._catalog.merge_base(source.hash, head.hash, con)
            base = self._catalog.commit(base_hash, con).state if base_hash else CatalogState()
            return _three_way_merge(base, source.state, head.state, str(source_spec), target), (source.hash,)

        commit = self._commit(target, change, message=message, body=commit_body, properties=commit_properties,
                              merge_ref=source_spec.name)
        return Branch(name=target, hash=commit.hash)

    def get_commits(self, /, ref, *, filter_by_message=None, filter_by_author_username=None,
                    filter_by_author_name=None, filter_by_author_email=None, filter_by_authored_date=None,
                    filter_by_authored_date_start_at=None, filter_by_authored_date_end_at=None,
                    filter_by_parent_hash=None, filter_by_properties=None, filter=None,
                    limit=None) -> Iterator[Commit]:
        resolved = self._resolve(ref)
        start = _as_datetime(filter_by_authored_date_start_at)
        end = _as_datetime(filter_by_authored_date_end_at)
        exact = _as_datetime(filter_by_authored_date)
        expression = compile_filter(filter) if filter is not None else None
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        found: list[Commit] = []
        for record in self._catalog.history(resolved.commit.hash):
            authored = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
            email = record.author_email or ""
            if filter_by_message and not re.search(filter_by_message, record.message or ""):
                continue
            # Locally a user's name and username are the same string (info().user.full_name falls back to it).
            author_filter = filter_by_author_username or filter_by_author_name
            if author_filter and not re.search(author_filter, record.author):
                continue
            if filter_by_author_email and not re.search(filter_by_author_email, email):
                continue
            if filter_by_parent_hash and not any(p.startswith(filter_by_parent_hash.lower()) for p in record.parents):
                continue
            if filter_by_properties and any(record.properties.get(k) != v for k, v in filter_by_properties.items()):
                continue
            if (start and authored < start) or (end and authored > end) or (exact and authored != exact):
                continue
            if expression is not None and not expression(_filter_fields(record, authored)):
                continue
            if limit is not None and len(found) >= limit:
                break
            found.append(_commit_object(record, resolved))
        return iter(found)

    # ------------------------------------------------------------------ maintenance
    def gc(self, *, older_than: float = 600.0, dry_run: bool = False) -> list[str]:
        """Delete warehouse files that no commit reachable from any branch or tag needs.

        Returns the removed (or, with `dry_run`, removable) paths. Files of writes still in flight (an
        import or a table creation not yet committed, in any process) are never touched; files younger
        than `older_than` seconds are kept too, for writers this machine cannot see (a shared folder).
        The catalog's write lock is held throughout, so no commit can land between deciding and deleting.
        """
        cutoff = time.time() - older_than
        with self._catalog.exclusive() as con:
            reachable: set[str] = set()
            for commit_hash in self._catalog.all_reachable_commits(con):
                for location in self._catalog.commit(commit_hash, con).state.tables.values():
                    reachable.update(tables.reachable_files(location))
            in_flight = tuple(loc.removeprefix("file://").rstrip("/") + "/"
                              for loc in self._catalog.live_write_locations(con))
            removable = []
            for path in self.warehouse.rglob("*"):
                name = str(path)
                if (path.is_file() and name not in reachable and not name.startswith(in_flight)
                        and path.stat().st_mtime < cutoff):
                    removable.append(name)
            if not dry_run:
                for name in removable:
                    Path(name).unlink(missing_ok=True)
        return sorted(removable)


def _three_way_merge(base: CatalogState, source: CatalogState, target: CatalogState, source_name: str,
                     target_name: str) -> CatalogState:
    keys = set(base.tables) | set(source.tables) | set(target.tables)
    changed_on_source = {k for k in keys if source.tables.get(k) != base.tables.get(k)}
    changed_on_target = {k for k in keys if target.tables.get(k) != base.tables.get(k)}
    conflicts = sorted(k for k in changed_on_source & changed_on_target if source.tables.get(k) != target.tables.get(k))
    if conflicts:
        raise bx.MergeConflictError(
            409, "MERGE_CONFLICT",
            f"Cannot merge {source_name!r} into {target_name!r}: table(s) {', '.join(conflicts)} changed on both "
            "since they diverged; nothing was merged")
    merged = dict(target.tables)
    for key in changed_on_source:
        if key in source.tables:
            merged[key] = source.tables[key]
        else:
            merged.pop(key, None)
    namespaces = (target.namespaces | (source.namespaces - base.namespaces)) - (base.namespaces - source.namespaces)
    namespaces |= {k.split(".")[0] for k in merged}
    return CatalogState(frozenset(namespaces), merged)


JOB_ID_PROPERTY = "bpln_job_id"  # as on Bauplan: the commit names the job that made it


def _commit_object(record: CommitRecord, resolved: Resolved) -> Commit:
    """A commit as Bauplan returns it: its `ref` addresses this very commit (time travel, tags)."""
    when = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
    ref: Ref
    if resolved.kind == "tag":
        ref = Tag(name=resolved.name or "", hash=record.hash)
    elif resolved.name:
        ref = Branch(name=resolved.name, hash=record.hash)
    else:
        ref = DetachedRef(name="", hash=record.hash)
    parent = DetachedRef(name="", hash=record.parents[0]) if record.parents else DetachedRef(name="", hash="")
    merged = (Branch(name=record.merge_ref, hash=record.parents[1])
              if record.merge_ref and len(record.parents) > 1 else None)
    author = Actor(name=record.author, email=record.author_email)
    return Commit(ref=ref, message=record.message, body=record.body, author=author, authored_date=when,
                  committed_date=when, parent_hashes=list(record.parents), properties=dict(record.properties),
                  parent_ref=parent, parent_merge_ref=merged)


def _filter_fields(record: CommitRecord, authored: datetime) -> dict[str, Any]:
    """The variables a `get_commits(filter=...)` expression sees (see `commit_filter`)."""
    return {"hash": record.hash, "message": record.message or "", "author": record.author,
            "committer": record.author, "authorEmail": record.author_email or "", "authorTime": authored,
            "commitTime": authored, "properties": dict(record.properties), "parentHashes": list(record.parents)}


def _refuse_args(args: Any) -> None:
    """`args` are backend flags of Bauplan's cloud: refuse them rather than silently ignore them."""
    if args:
        raise ValueError(f"args={args!r}: backend arguments are understood by Bauplan's cloud only; the "
                         "embedded lakehouse takes none (leave args unset)")


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _describe_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, bx.BauplanError) else f"{type(exc).__name__}: {text}"


# Source files read and written at once. Parquet encoding runs on the calling thread and reading a file
# waits on the network: two files in flight keep both cores busy without holding more than two row groups.
_FILE_WORKERS = 2


@dataclass
class _FileResult:
    paths: list[str]
    rows: int
    error: Exception | None
    partials: partials.FilePartials | None


class _RowCounter:
    def __init__(self) -> None:
        self.rows = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.rows += n


def _write_file(source: sources.SourceFile, table_location: str, schema: pa.Schema, best_effort: bool,
                checks: partials.ImportPartials | None, counter: _RowCounter) -> _FileResult:
    """One source file into data files of its own; on failure nothing of it stays on disk."""
    writer = tables.DataFileWriter(table_location, schema)
    file_partials = checks.start_file() if checks is not None else None
    try:
        for batch in sources.iter_batches(source, schema, best_effort=best_effort):
            writer.write(batch)
            if checks is not None and file_partials is not None:
                checks.add(file_partials, batch)
            counter.add(batch.num_rows)
        return _FileResult(writer.close(), writer.rows, None, file_partials)
    except Exception as exc:  # noqa: BLE001 - handed to the import loop, which decides (continue_on_error)
        writer.abort()
        return _FileResult([], 0, exc, file_partials)


def _write_files(files: list[sources.SourceFile], table_location: str, schema: pa.Schema, best_effort: bool,
                 checks: partials.ImportPartials | None, written: list[str],
                 progress: Callable[[int, str], None]) -> Iterator[tuple[int, sources.SourceFile, _FileResult]]:
    """Write `files` on `_FILE_WORKERS` threads; yield their results in file order.

    Successful files' data paths are appended to `written` as soon as they are known, including those
    still in flight when the caller stops early (an error), so the caller can delete every one of them.
    """
    counter = _RowCounter()
    pending: deque[tuple[int, sources.SourceFile, Future[_FileResult]]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, min(_FILE_WORKERS, len(files))),
                            thread_name_prefix="wap-import") as pool:
        queue = iter(enumerate(files))

        def submit() -> None:
            for index, source in queue:
                pending.append((index, source, pool.submit(_write_file, source, table_location, schema,
                                                           best_effort, checks, counter)))
                return

        for _ in range(_FILE_WORKERS):
            submit()
        try:
            while pending:
                index, source, future = pending[0]
                while True:
                    try:
                        result = future.result(timeout=0.25)
                        break
                    except FutureTimeout:
                        progress(counter.rows, source.uri)  # reported from the caller's thread
                pending.popleft()
                counter.add(-result.rows)
                written.extend(result.paths)
                submit()
                yield index, source, result
        finally:
            for _, _, future in pending:  # the caller stopped early: wait for files in flight, to delete them
                if not future.cancel():
                    written.extend(future.result().paths)
