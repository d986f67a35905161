"""`TablesMixin`: namespaces, tables, table creation plans and external tables of `LocalClient`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from bauplan import exceptions as bx

from wap_notebook.core.uris import redact_uri
from wap_notebook.lakehouse import errors, external, object_store, partitioning, plans, schema_memo, sources, tables
from wap_notebook.lakehouse.catalog import DEFAULT_NAMESPACE, MAIN, CatalogState, CommitRecord
from wap_notebook.lakehouse.client_core import JOB_ID_PROPERTY, ClientCore, _describe_error, _refuse_args
from wap_notebook.lakehouse.names import parse_ref, validate_identifier
from wap_notebook.lakehouse.objects import (
    Branch,
    ExternalTableCreateContext,
    ExternalTableCreateState,
    Namespace,
    Table,
    TableCreatePlanApplyState,
    TableCreatePlanContext,
    TableCreatePlanState,
)

_SCHEMA_READERS = 8  # footers/first blocks are small: overlap their S3 round trips


def _file_schemas(files: list[sources.SourceFile]) -> list[pa.Schema]:
    with ThreadPoolExecutor(max_workers=min(_SCHEMA_READERS, len(files))) as pool:
        return list(pool.map(sources.read_schema, files))


R = TypeVar("R")

class TablesMixin(ClientCore):
    """Namespaces, tables (read, create, plan and apply, delete, revert) and external tables."""

    # ------------------------------------------------------------------ namespaces
    def create_namespace(self, /, namespace: Any, branch: Any, *, commit_body: Any = None,
                         commit_properties: Any = None, if_not_exists: Any = False) -> Namespace:
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

    def has_namespace(self, /, namespace: Any, ref: Any) -> bool:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        return name in self._resolve(ref).commit.state.namespaces

    def get_namespace(self, /, namespace: Any, ref: Any) -> Namespace:
        name = validate_identifier(getattr(namespace, "name", namespace), "namespace")
        if name not in self._resolve(ref).commit.state.namespaces:
            raise errors.namespace_not_found(name, str(ref))
        return Namespace(name=name)

    def get_namespaces(self, /, ref: Any, *, filter_by_name: Any = None, limit: Any = None) -> Iterator[Namespace]:
        names = sorted(self._resolve(ref).commit.state.namespaces)
        names = [n for n in names if not filter_by_name or filter_by_name in n]
        return iter([Namespace(name=n) for n in names[:limit]])

    def delete_namespace(self, /, namespace: Any, branch: Any, *, if_exists: Any = False, commit_body: Any = None,
                         commit_properties: Any = None) -> Branch:
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
    @staticmethod
    def _require_namespace(state: CatalogState, ns: str | None, ref: Any) -> None:
        """Bauplan answers a read in a missing namespace with `NamespaceNotFoundError` (python/tests/
        test_exceptions.py, test_get_table_bad_namespace), not with a missing table."""
        if ns and ns != DEFAULT_NAMESPACE and ns not in state.namespaces \
                and not any(k.split(".")[0] == ns for k in state.tables):
            raise errors.namespace_not_found(ns, str(getattr(ref, "name", ref)))

    def has_table(self, /, table: Any, ref: Any, *, namespace: Any = None) -> bool:
        ns, _, key = self._table_key(table, namespace)
        state = self._resolve(ref).commit.state
        self._require_namespace(state, ns, ref)
        return key in state.tables

    def get_table(self, /, table: Any, ref: Any, *, namespace: Any = None) -> Table:
        ns, name, key = self._table_key(table, namespace)
        state = self._resolve(ref).commit.state
        self._require_namespace(state, ns, ref)
        location = state.tables.get(key)
        if location is None:
            raise errors.table_not_found(key, str(getattr(ref, "name", ref)))
        return self._describe(ns, name, location)

    def get_tables(self, /, ref: Any, *, filter_by_name: Any = None, filter_by_namespace: Any = None,
                   limit: Any = None) -> Iterator[Table]:
        state = self._resolve(ref).commit.state
        ns_filter = getattr(filter_by_namespace, "name", filter_by_namespace)
        self._require_namespace(state, ns_filter, ref)
        found = []
        for key, location in sorted(state.tables.items()):
            ns, name = key.split(".", 1)
            if (filter_by_name and filter_by_name not in name) or (ns_filter and ns != ns_filter):
                continue
            found.append((ns, name, location))
        # Lazy, as Bauplan's paginating iterator: each table's metadata is read when it is reached.
        return (self._describe(ns, name, location) for ns, name, location in found[:limit])

    # ------------------------------------------------------------------ tables: writing
    @staticmethod
    def _read_schemas(search_uri: str) -> tuple[list[sources.SourceFile], list[pa.Schema]]:
        """Every matched file and its own schema, read concurrently (footers and first blocks are small)."""
        files = sources.resolve(search_uri)
        return files, _file_schemas(files)

    def _infer_schema(self, search_uri: str, *, reuse: bool = False) -> tuple[list[sources.SourceFile], pa.Schema]:
        """The unified schema of `search_uri`'s files; `reuse`: the one the preflight just inferred from the
        same files, when there is one (`schema_memo`)."""
        files = sources.resolve(search_uri)
        known = schema_memo.take(search_uri, files) if reuse else None
        if known is not None:
            return files, known
        return files, sources.unify_schemas(list(zip(files, _file_schemas(files), strict=True)))

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
        self._jobs.finish(job_id, tx_ref=branch, details={"commit_hash": commit.hash})
        return self._describe(ns, name, location)

    def _run_job(self, kind: str, ref: str | None, work: Callable[[str], R], *, message: str) -> R:
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

    def create_table(self, /, table: Any, search_uri: Any, *, branch: Any = None, namespace: Any = None,
                     partitioned_by: Any = None, replace: Any = None, args: Any = None, priority: Any = None,
                     client_timeout: Any = None) -> Table:
        _refuse_args(args)
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        terms = partitioning.parse_partitioned_by(partitioned_by)
        existing = self._resolve(target).commit.state.tables.get(key)
        if existing is not None and not replace:
            raise bx.TableExistsError(409, "TABLE_EXISTS", f"Table {key!r} already exists on {target!r}")

        def plan(job_id: str) -> pa.Schema:
            _, schema = self._infer_schema(search_uri, reuse=True)
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

    def plan_table_creation(self, /, table: Any, search_uri: Any, *, branch: Any = None, namespace: Any = None,
                            partitioned_by: Any = None, replace: Any = None, args: Any = None, priority: Any = None,
                            client_timeout: Any = None) -> TableCreatePlanState:
        _refuse_args(args)
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        terms = partitioning.parse_partitioned_by(partitioned_by)
        ctx = TableCreatePlanContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     table_partitioned_by=partitioning.describe(terms), table_replace=bool(replace))

        def plan(job_id: str) -> TableCreatePlanState:
            text, clean, files, _ = self._plan(job_id, target, ns, name, search_uri, bool(replace), terms)
            self._jobs.finish(job_id)
            # As the SDK (src/python/table.rs): a plan with conflicts is a successful job whose state carries
            # this error; applying is always a separate call (create_table is plan + apply).
            error = None if clean else "table plan created but has conflicts"
            return TableCreatePlanState(job_id=job_id, job_status="SUCCESS", error=error, ctx=ctx, plan=text,
                                        can_auto_apply=clean, files_to_be_imported=files)

        return self._run_job("TABLE_PLAN_CREATE", target, plan, message=f"plan table {key} from {search_uri}")

    def apply_table_creation_plan(self, /, plan: Any, *, args: Any = None, priority: Any = None,
                                  client_timeout: Any = None) -> TableCreatePlanApplyState:
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

    def delete_table(self, /, table: Any, branch: Any, *, namespace: Any = None, if_exists: Any = False,
                     commit_body: Any = None, commit_properties: Any = None) -> Branch:
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

    def revert_table(self, /, table: Any, *, namespace: Any = None, source_ref: Any, into_branch: Any,
                     replace: Any = None, commit_body: Any = None, commit_properties: Any = None) -> Branch:
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
    def create_external_table_from_parquet(self, /, table: Any, search_patterns: Any, *, branch: Any = None,
                                           namespace: Any = None, overwrite: Any = False, args: Any = None,
                                           priority: Any = None, client_timeout: Any = None,
                                           detach: Any = False) -> ExternalTableCreateState:
        _refuse_args(args)
        if not search_patterns:
            raise errors.bad_request("search_patterns must list at least one URI of parquet files")
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
            return ExternalTableCreateState(job_id=job_id, job_status=None, error=None, ctx=ctx)  # as the SDK
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
        with ThreadPoolExecutor(max_workers=min(_SCHEMA_READERS, len(files))) as pool:
            schemas = list(pool.map(sources.read_schema, files))
        schema = sources.unify_schemas(list(zip(files, schemas, strict=True)))
        # Registered in place: S3 objects by URI, local files by absolute path.
        paths = [f.uri if object_store.is_s3_uri(f.uri) else str(Path(f.uri.removeprefix("file://")).resolve())
                 for f in files]
        inside = external.inside_warehouse(paths, self.warehouse)
        if inside:
            raise errors.SourceError(f"{inside[0]} is inside the lakehouse's warehouse (another table's data "
                                     "file): external tables register files from outside it", uri=inside[0])
        folder = tables.new_table_folder(ns, name, self.warehouse)
        with self._catalog.pending_write(str(folder)):
            location = tables.create_table(ns, name, schema, folder,
                                           properties={tables.EXTERNAL_PROPERTY: "true"})
            location = tables.register_files(location, (ns, name), paths)
            self._commit_table(target, ns, name, location, replace=existing is not None,
                               message=f"Create external table {ns}.{name}", expected_location=existing,
                               job_id=job_id)

    def create_external_table_from_metadata(self, /, table: Any, metadata_json_uri: Any, *, namespace: Any,
                                            branch: Any = None, overwrite: Any = False) -> Table:
        if not metadata_json_uri.strip():
            raise errors.bad_request("metadata_json_uri must be the URI of an Iceberg metadata.json file")
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        location = metadata_json_uri.strip()
        if object_store.is_s3_uri(location):
            location = "s3://" + object_store.s3_path(location)
        elif object_store.is_local_uri(location):
            if external.is_inside_warehouse(location, self.warehouse):
                raise bx.InvalidDataError(400, "INVALID_DATA", "The metadata location is inside the lakehouse's "
                                                               "warehouse: register external tables only")
            location = str(Path(location.removeprefix("file://")).expanduser().resolve())
        else:
            raise ValueError(f"{redact_uri(location)} is neither on S3 (s3://) nor a local file: the embedded "
                             "lakehouse reads Iceberg metadata from those two only")
        if ns not in self._resolve(target).commit.state.namespaces:
            raise errors.namespace_not_found(ns, target)
        try:
            problem = external.read_problem(location, self.warehouse)
        except Exception as exc:  # noqa: BLE001 - any unreadable metadata is the caller's input error
            raise ValueError(f"{redact_uri(location)} is not a readable Iceberg metadata file: {exc}") from None
        if problem is not None:
            raise bx.InvalidDataError(400, "INVALID_DATA", f"Cannot register {redact_uri(location)}: {problem}")

        def change(head: CommitRecord, _con: Any) -> CatalogState:
            if key in head.state.tables and not overwrite:
                raise bx.UpdateConflictError(409, "UPDATE_CONFLICT", f"Table {key!r} already exists on {target!r}")
            return dc_replace(head.state, tables={**head.state.tables, key: location})

        self._commit(target, change, message=f"Register external table {key}")
        return self._describe(ns, name, location)
