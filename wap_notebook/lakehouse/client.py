"""`LocalClient`: the embedded, Bauplan-compatible lakehouse.

Every public method has the same name, parameters, keyword-only markers and defaults as
`bauplan.Client` (a test compares the signatures), returns attribute-compatible objects and raises
`bauplan.exceptions` classes. Parameters that mean nothing locally (`args`, `priority`,
`client_timeout`, `cache`, `detach`, `preview`, `partitioned_by`) are accepted and ignored.
"""

from __future__ import annotations

import getpass
import logging
import os
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
import yaml
from bauplan import exceptions as bx

from wap_notebook.lakehouse import errors, partials, sources, tables
from wap_notebook.lakehouse.catalog import (
    DEFAULT_NAMESPACE,
    MAIN,
    Catalog,
    CatalogState,
    CommitRecord,
    Resolved,
)
from wap_notebook.lakehouse.names import parse_ref, split_table_name, validate_identifier, validate_ref_name
from wap_notebook.lakehouse.objects import (
    Actor,
    Branch,
    Commit,
    DetachedRef,
    InfoState,
    Namespace,
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
    """An embedded lakehouse in a folder: a SQLite commit graph plus an Iceberg warehouse."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, username: str | None = None) -> None:
        self.path = Path(path).expanduser().resolve() if path is not None else default_lakehouse_path().resolve()
        self.username = validate_ref_name(username or default_username(), "user")
        self.warehouse = self.path / "warehouse"
        self.warehouse.mkdir(parents=True, exist_ok=True)
        self._catalog = Catalog(self.path / "catalog.sqlite", creator=self.username)

    def __repr__(self) -> str:
        return f"LocalClient(path={str(self.path)!r}, username={self.username!r})"

    # ------------------------------------------------------------------ identity
    def info(self, /, *, client_timeout=None) -> InfoState:
        from wap_notebook import __version__

        return InfoState(user=UserInfo(username=self.username), client_version=f"wap-notebook {__version__}")

    # ------------------------------------------------------------------ refs
    def _resolve(self, ref: Any) -> Resolved:
        return self._catalog.resolve(parse_ref(ref))

    def _writable_branch(self, branch: Any) -> str:
        spec = parse_ref(branch)
        if spec.is_fixed:
            raise errors.not_a_write_branch(str(spec), "a ref with a commit hash is read-only")
        record = self._catalog.ref(spec.name or "")
        if record is None:
            raise errors.branch_not_found(spec.name or "")
        if record.kind != "branch":
            raise errors.not_a_write_branch(record.name, "it is a tag")
        if record.name == MAIN:
            raise bx.ForbiddenError(
                403, "FORBIDDEN", "Branch 'main' is protected: write on a branch and merge it into main"
            )
        return record.name

    @staticmethod
    def _branch_name(branch: Any) -> str:
        spec = parse_ref(branch, "branch")
        if spec.is_fixed:
            raise errors.not_a_write_branch(str(spec), "a ref with a commit hash is not a branch")
        return spec.name or ""

    def create_branch(self, /, branch, from_ref, *, if_not_exists=False) -> Branch:
        name = validate_ref_name(self._branch_name(branch), "branch")
        if not name.startswith(f"{self.username}.") and not (if_not_exists and self.has_branch(name)):
            raise bx.CreateBranchForbiddenError(
                403,
                "CREATE_BRANCH_FORBIDDEN",
                f"Branch {name!r} must be named '<username>.<name>', i.e. start with {self.username + '.'!r}",
            )
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

    def create_tag(self, /, tag, from_ref, *, if_not_exists=False) -> Tag:
        name = validate_ref_name(getattr(tag, "name", tag), "tag")
        record = self._catalog.create_ref(name, "tag", parse_ref(from_ref), self.username, if_not_exists=if_not_exists)
        if record.kind != "tag":
            raise bx.TagExistsError(409, "TAG_EXISTS", f"{name!r} already exists as a branch")
        return Tag(name=record.name, hash=record.hash)

    def has_tag(self, /, tag) -> bool:
        record = self._catalog.ref(getattr(tag, "name", tag))
        return record is not None and record.kind == "tag"

    def get_tag(self, /, tag) -> Tag:
        name = getattr(tag, "name", tag)
        record = self._catalog.ref(name)
        if record is None or record.kind != "tag":
            raise errors.tag_not_found(name)
        return Tag(name=record.name, hash=record.hash)

    def get_tags(self, /, *, filter_by_name=None, limit=None) -> Iterator[Tag]:
        records = [r for r in self._catalog.refs("tag") if not filter_by_name or filter_by_name in r.name]
        return iter([Tag(name=r.name, hash=r.hash) for r in records[: limit or None]])

    def delete_tag(self, /, tag, *, if_exists=False) -> bool:
        name = getattr(tag, "name", tag)
        deleted = self._catalog.delete_ref(name, "tag")
        if not deleted and not if_exists:
            raise errors.tag_not_found(name)
        return deleted

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

        self._catalog.commit_to_branch(target, change, author=self.username, message=f"Create namespace {name}",
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

        commit = self._catalog.commit_to_branch(target, change, author=self.username,
                                                message=f"Delete namespace {name}", body=commit_body,
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
            found.append(Table(name=name, namespace=ns, metadata_location=location))
        return iter(found[: limit or None])

    @staticmethod
    def _describe(namespace: str, name: str, location: str) -> Table:
        iceberg, schema = tables.describe(location)
        snapshot = iceberg.current_snapshot()
        summary = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        fields = [TableField(id=f.field_id, name=f.name, required=f.required, type=str(f.field_type), doc=f.doc)
                  for f in schema.fields]
        return Table(
            name=name,
            namespace=namespace,
            metadata_location=location,
            current_snapshot_id=snapshot.snapshot_id if snapshot else None,
            current_schema_id=schema.schema_id,
            fields=fields,
            records=int(summary.get("total-records", 0)),
            size=int(summary.get("total-files-size", 0)),
            snapshots=len(iceberg.metadata.snapshots),
            last_updated_at=datetime.fromtimestamp(iceberg.metadata.last_updated_ms / 1000, tz=timezone.utc),
            properties={k: v for k, v in iceberg.properties.items() if not k.startswith("schema.name-mapping")},
            id=str(iceberg.metadata.table_uuid),
        )

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
                           message: str, expected_location: str | None) -> Table:
        folder = tables.new_table_folder(ns, name, self.warehouse)
        with self._catalog.pending_write(str(folder)):
            return self._create_and_commit(branch, ns, name, schema, folder, replace=replace, message=message,
                                           expected_location=expected_location)

    def _create_and_commit(self, branch: str, ns: str, name: str, schema: pa.Schema, folder: Path, *,
                           replace: bool, message: str, expected_location: str | None) -> Table:
        location = tables.create_table(ns, name, schema, folder)
        key = f"{ns}.{name}"

        def change(head: CommitRecord, _con: Any) -> CatalogState:
            current = head.state.tables.get(key)
            if current is not None and not replace:
                raise bx.TableExistsError(409, "TABLE_EXISTS", f"Table {key!r} already exists on {branch!r}")
            if replace and current != expected_location:
                raise bx.BranchHeadChangedError(409, "BRANCH_HEAD_CHANGED",
                                                f"Table {key!r} changed on {branch!r} while it was being replaced")
            return CatalogState(head.state.namespaces | {ns}, {**head.state.tables, key: location})

        self._catalog.commit_to_branch(branch, change, author=self.username, message=message)
        return self._describe(ns, name, location)

    def create_table(self, /, table, search_uri, *, branch=None, namespace=None, partitioned_by=None, replace=None,
                     args=None, priority=None, client_timeout=None) -> Table:
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        existing = self._resolve(target).commit.state.tables.get(key)
        if existing is not None and not replace:
            raise bx.TableExistsError(409, "TABLE_EXISTS", f"Table {key!r} already exists on {target!r}")
        _, schema = self._infer_schema(search_uri)
        verb = "Replace" if existing else "Create"
        return self._publish_new_table(target, ns, name, schema, replace=bool(replace),
                                       message=f"{verb} table {key} from {search_uri}", expected_location=existing)

    def plan_table_creation(self, /, table, search_uri, *, branch=None, namespace=None, partitioned_by=None,
                            replace=None, args=None, priority=None, client_timeout=None) -> TableCreatePlanState:
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        files, schemas = self._read_schemas(search_uri)
        columns: dict[str, list[str]] = {}
        for schema in schemas:
            for field in schema:
                seen = columns.setdefault(field.name, [])
                if str(field.type) not in seen:
                    seen.append(str(field.type))
        conflicts = {}
        try:
            unified = sources.unify_schemas(list(zip(files, schemas, strict=True)))
            plan_columns = [{"name": f.name, "type": str(f.type)} for f in unified]
        except errors.SchemaConflictError:
            plan_columns = []
            for column, types in columns.items():
                try:
                    pairs = zip(files, schemas, strict=True)
                    single = [(f, pa.schema([s.field(column)])) for f, s in pairs if column in s.names]
                    merged = sources.unify_schemas(single)
                    plan_columns.append({"name": column, "type": str(merged.field(column).type)})
                except errors.SchemaConflictError:
                    conflicts[column] = types
                    plan_columns.append({"name": column, "type": types})
        plan = {
            "table": name, "namespace": ns, "branch": target, "search_uri": search_uri, "replace": bool(replace),
            "files": [f.uri for f in files], "schema": plan_columns,
            "conflicts": [f"{c}: choose one of {t}" for c, t in conflicts.items()],
        }
        ctx = TableCreatePlanContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     table_partitioned_by=partitioned_by, table_replace=bool(replace))
        return TableCreatePlanState(job_id=uuid.uuid4().hex, job_status="SUCCESS", error=None, ctx=ctx,
                                    plan=yaml.safe_dump(plan, sort_keys=False), can_auto_apply=not conflicts,
                                    files_to_be_imported=[f.uri for f in files])

    def apply_table_creation_plan(self, /, plan, *, args=None, priority=None,
                                  client_timeout=None) -> TableCreatePlanApplyState:
        text = plan.plan if isinstance(plan, TableCreatePlanState) else plan
        try:
            document = yaml.safe_load(text)
            columns = document["schema"]
            schema = pa.schema([pa.field(c["name"], _parse_type(c["name"], c["type"])) for c in columns])
            ns = validate_identifier(document["namespace"], "namespace")
            name = validate_identifier(document["table"], "table")
            target = self._writable_branch(document["branch"])
        except (KeyError, TypeError, yaml.YAMLError) as exc:
            raise ValueError(f"Invalid table creation plan: {exc}") from None
        existing = self._resolve(target).commit.state.tables.get(f"{ns}.{name}")
        self._publish_new_table(target, ns, name, schema, replace=bool(document.get("replace")),
                                message=f"Create table {ns}.{name} from plan", expected_location=existing)
        return TableCreatePlanApplyState(job_id=uuid.uuid4().hex, job_status="SUCCESS", error=None)

    def import_data(self, /, table, search_uri, *, branch=None, namespace=None, continue_on_error=False,
                    import_duplicate_files=False, best_effort=False, preview=None, args=None, priority=None,
                    client_timeout=None, detach=False) -> TableDataImportState:
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        base_location = self._resolve(target).commit.state.tables.get(key)
        if base_location is None:
            raise errors.table_not_found(key, target)
        ctx = TableDataImportContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     continue_on_error=continue_on_error, import_duplicate_files=import_duplicate_files,
                                     best_effort=best_effort, preview=str(preview or "off"))
        job_id = uuid.uuid4().hex
        try:
            return self._run_import(job_id, ctx, key, base_location, search_uri)
        except Exception as exc:  # noqa: BLE001 - a failed job is reported in the state, as Bauplan does
            logger.info("import into %s failed: %s", key, exc)
            return TableDataImportState(job_id=job_id, job_status="FAILED", error=_describe_error(exc), ctx=ctx)

    def _run_import(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                    search_uri: str) -> TableDataImportState:
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
            return self._write_and_commit(job_id, ctx, key, base_location, search_uri, files, target_schema,
                                          table_location)

    def _write_and_commit(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                          search_uri: str, files: list[sources.SourceFile], target_schema: pa.Schema,
                          table_location: str) -> TableDataImportState:
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
                    if result.error is not None:
                        if checks is not None and result.partials is not None:
                            checks.drop(result.partials)
                        if not ctx.continue_on_error:
                            raise result.error
                        failed[source.uri] = _describe_error(result.error)
                        continue
                    if checks is not None and result.partials is not None:
                        checks.keep(result.partials)
                    rows += result.rows
                    bytes_done += source.size
                    imported.append(source.uri)
                    report(ImportProgress(key, index + 1, len(files), rows, bytes_done, source.uri, bytes_total))
            if not imported:
                raise errors.SourceError(f"No file could be imported into {key}: {failed}", uri=search_uri)
            identifier = tuple(key.split("."))
            extra = checks.snapshot_properties(rows) if checks is not None else {}
            new_location = tables.commit_files(base_location, identifier, written, imported,  # type: ignore[arg-type]
                                               extra_properties=extra)

            def change(head: CommitRecord, _con: Any) -> CatalogState:
                if head.state.tables.get(key) != base_location:
                    raise bx.BranchHeadChangedError(
                        409, "BRANCH_HEAD_CHANGED",
                        f"Table {key!r} changed on {ctx.branch_name!r} during the import; retry it")
                return dc_replace(head.state, tables={**head.state.tables, key: new_location})

            commit = self._catalog.commit_to_branch(
                ctx.branch_name, change, author=self.username,
                message=f"Import {len(imported)} files into {key}",
                properties={"wap.import.search_uri": search_uri, "wap.import.rows": str(rows),
                            "wap.import.files": str(len(imported)), "wap.import.job_id": job_id})
        except BaseException:
            for path in written:
                Path(path).unlink(missing_ok=True)
            raise
        finally:
            if checks is not None:
                checks.close()
        # With continue_on_error a partial import is a success; the files that failed are in files_failed.
        return TableDataImportState(job_id=job_id, job_status="SUCCESS", error=None, ctx=ctx,
                                    files_imported=imported, files_failed=failed, rows_imported=rows,
                                    commit_hash=commit.hash)

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

        commit = self._catalog.commit_to_branch(target, change, author=self.username, message=f"Delete table {key}",
                                                body=commit_body, properties=commit_properties)
        return Branch(name=target, hash=commit.hash)

    # ------------------------------------------------------------------ queries
    def query(self, /, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None, priority=None,
              client_timeout=None) -> pa.Table:
        state = self._resolve(ref or MAIN).commit.state
        default_ns = validate_identifier(getattr(namespace, "name", namespace) or DEFAULT_NAMESPACE, "namespace")

        def resolve(ns: str, name: str) -> tables.TableFiles | None:
            location = state.tables.get(f"{ns}.{name}")
            return tables.table_files(location) if location else None

        return run_query(query, resolve=resolve, default_namespace=default_ns, warehouse=self.warehouse,
                         max_rows=max_rows)

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
        if not source_spec.is_fixed and source_spec.name == target:
            raise bx.SameRefError(400, "SAME_REF", f"Cannot merge {target!r} into itself")
        message = commit_message or f"Merge {source_spec} into {target}"

        def change(head: CommitRecord, con: Any) -> tuple[CatalogState, tuple[str, ...]] | None:
            source = self._catalog.resolve(source_spec, con).commit
            if self._catalog.is_ancestor(source.hash, head.hash, con):
                return None  # already merged: nothing to do
            base_hash = self._catalog.merge_base(source.hash, head.hash, con)
            base = self._catalog.commit(base_hash, con).state if base_hash else CatalogState()
            return _three_way_merge(base, source.state, head.state, str(source_spec), target), (source.hash,)

        commit = self._catalog.commit_to_branch(target, change, author=self.username, message=message,
                                                body=commit_body, properties=commit_properties)
        return Branch(name=target, hash=commit.hash)

    def get_commits(self, /, ref, *, filter_by_message=None, filter_by_author_username=None,
                    filter_by_author_name=None, filter_by_author_email=None, filter_by_authored_date=None,
                    filter_by_authored_date_start_at=None, filter_by_authored_date_end_at=None,
                    filter_by_parent_hash=None, filter_by_properties=None, filter=None,
                    limit=None) -> Iterator[Commit]:
        resolved = self._resolve(ref)
        ref_name = resolved.name or ""
        start = _as_datetime(filter_by_authored_date_start_at)
        end = _as_datetime(filter_by_authored_date_end_at)
        exact = _as_datetime(filter_by_authored_date)
        found: list[Commit] = []
        for record in self._catalog.history(resolved.commit.hash):
            authored = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
            if filter_by_message and not re.search(filter_by_message, record.message or ""):
                continue
            author_filter = filter_by_author_username or filter_by_author_name
            if author_filter and not re.search(author_filter, record.author):
                continue
            if filter_by_author_email and not re.search(filter_by_author_email, f"{record.author}@localhost"):
                continue
            if filter_by_parent_hash and filter_by_parent_hash not in record.parents:
                continue
            if filter_by_properties and any(record.properties.get(k) != v for k, v in filter_by_properties.items()):
                continue
            if (start and authored < start) or (end and authored > end) or (exact and authored != exact):
                continue
            found.append(_commit_object(record, ref_name))
            if limit and len(found) >= limit:
                break
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


def _commit_object(record: CommitRecord, ref_name: str) -> Commit:
    when = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
    ref: Ref = Branch(name=ref_name, hash=record.hash) if ref_name else DetachedRef(name="", hash=record.hash)
    parent = DetachedRef(name="", hash=record.parents[0]) if record.parents else None
    return Commit(ref=ref, message=record.message, body=record.body, author=Actor(name=record.author),
                  authored_date=when, committed_date=when, parent_hashes=list(record.parents),
                  properties=dict(record.properties), parent_ref=parent)


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parse_type(column: str, value: Any) -> pa.DataType:
    if not isinstance(value, str):
        raise ValueError(f"Column {column!r} still has conflicting types {value}: pick one in the plan")
    try:
        return pa.type_for_alias(value)
    except (ValueError, KeyError):
        raise ValueError(f"Column {column!r}: unknown type {value!r} in the plan") from None


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
