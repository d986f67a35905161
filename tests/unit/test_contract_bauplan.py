"""Contract test: the engine's every call binds to the real `bauplan.Client` signatures.

The client is `create_autospec(bauplan.Client, instance=True)`, so a wrong method name or keyword fails
at call time. Its methods are routed to a tiny in-memory catalog (refs, commits, arrow tables) and
queries run in DuckDB over those tables, so the engine gets realistic answers and runs its whole flow.
"""

from __future__ import annotations

import inspect
import itertools
from unittest import mock

import bauplan
import bauplan.schema as bs
import bauplan.state as bst
import duckdb
import pyarrow as pa
import pytest
from bauplan import exceptions as bx
from sdk_shapes import shaped  # tests/ is on sys.path (rootdir conftest)

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion, list_ingestions


class FakeBauplan:
    """Catalog of refs -> {"ns.table": pa.Table}; every write is a commit with a fresh hash."""

    def __init__(self, sources: dict[str, pa.Table], username: str = "alice") -> None:
        self.sources = sources
        self.username = username
        self._ids = itertools.count(1)
        self.snapshots: dict[str, dict[str, tuple[pa.Table, str]]] = {}
        self.parents: dict[str, str | None] = {}
        self.properties: dict[str, dict[str, str]] = {}  # commit properties, as Bauplan keeps them
        self.namespaces: dict[str, frozenset[str]] = {}  # per commit
        self.branches: dict[str, str] = {}
        self.merged: dict[str, str] = {}  # merge commit -> the source head it brought in (its 2nd parent)
        root = self._commit(None, {})
        self.branches["main"] = root

    def _commit(self, parent: str | None, state: dict, properties=None, namespaces=None) -> str:
        h = f"{next(self._ids):016x}"
        self.snapshots[h] = dict(state)
        self.parents[h] = parent
        self.properties[h] = dict(properties or {})
        self.namespaces[h] = frozenset(namespaces if namespaces is not None
                                       else self.namespaces.get(parent, frozenset({"bauplan"})))
        return h

    def _resolve(self, ref) -> str:
        ref = getattr(ref, "name", ref)
        name, at, h = str(ref).partition("@")
        if at:
            if h not in self.snapshots:
                raise bx.RefNotFoundError(404, "REF_NOT_FOUND", f"no commit {h}")
            return h
        if name not in self.branches:
            raise bx.BranchNotFoundError(404, "BRANCH_NOT_FOUND", f"no branch {name}")
        return self.branches[name]

    def _write(self, branch: str, change, properties=None, namespaces=None) -> str:
        head = self._resolve(branch)
        state = dict(self.snapshots[head])
        change(state)
        self.branches[branch] = self._commit(head, state, properties, namespaces)
        return self.branches[branch]

    @staticmethod
    def _key(table, namespace) -> str:
        return f"{namespace or 'bauplan'}.{table}"

    # --- API -----------------------------------------------------------------------------------
    def info(self, *, client_timeout=None):
        return shaped(bauplan.InfoState, user=shaped(bauplan.UserInfo, username=self.username))

    def create_branch(self, branch, from_ref, *, if_not_exists=False):
        if branch in self.branches:
            if if_not_exists:
                return shaped(bs.Branch, name=branch, hash=self.branches[branch], type=bs.RefType.BRANCH)
            raise bx.BranchExistsError(409, "BRANCH_EXISTS", branch)
        self.branches[branch] = self._resolve(from_ref)
        return shaped(bs.Branch, name=branch, hash=self.branches[branch], type=bs.RefType.BRANCH)

    def has_branch(self, branch):
        return branch in self.branches

    def get_branch(self, branch):
        return shaped(bs.Branch, name=branch, hash=self._resolve(branch), type=bs.RefType.BRANCH)

    def get_branches(self, *, name=None, user=None, limit=None):
        return iter([shaped(bs.Branch, name=n, hash=h) for n, h in self.branches.items()
                     if (not user or n.startswith(f"{user}.")) and (not name or name in n)])

    def delete_branch(self, branch, *, if_exists=False):
        if branch not in self.branches:
            if if_exists:
                return False
            raise bx.BranchNotFoundError(404, "BRANCH_NOT_FOUND", branch)
        del self.branches[branch]
        return True

    def has_namespace(self, namespace, ref):
        return namespace in self.namespaces[self._resolve(ref)]

    def get_namespaces(self, ref, *, filter_by_name=None, limit=None):
        names = sorted(n for n in self.namespaces[self._resolve(ref)] if not filter_by_name or filter_by_name in n)
        return iter([shaped(bs.Namespace, name=n) for n in names])

    def create_namespace(self, namespace, branch, *, commit_body=None, commit_properties=None, if_not_exists=False):
        current = self.namespaces[self._resolve(branch)]
        if namespace in current:
            if if_not_exists:
                return shaped(bs.Namespace, name=namespace)
            raise bx.NamespaceExistsError(409, "NAMESPACE_EXISTS", namespace)
        self._write(branch, lambda s: None, commit_properties, current | {namespace})
        return shaped(bs.Namespace, name=namespace)

    def delete_namespace(self, namespace, branch, *, if_exists=False, commit_body=None, commit_properties=None):
        current = self.namespaces[self._resolve(branch)]
        if namespace not in current:
            if if_exists:
                return shaped(bs.Branch, name=branch, hash=self.branches[branch], type=bs.RefType.BRANCH)
            raise bx.NamespaceNotFoundError(404, "NAMESPACE_NOT_FOUND", namespace)
        self._write(branch, lambda s: None, commit_properties, current - {namespace})
        return shaped(bs.Branch, name=branch, hash=self.branches[branch], type=bs.RefType.BRANCH)

    def has_table(self, table, ref, *, namespace=None):
        return self._key(table, namespace) in self.snapshots[self._resolve(ref)]

    def get_table(self, table, ref, *, namespace=None):
        key = self._key(table, namespace)
        state = self.snapshots[self._resolve(ref)]
        if key not in state:
            raise bx.TableNotFoundError(404, "TABLE_NOT_FOUND", key)
        data, version = state[key]
        fields = [shaped(bs.TableField, name=f.name, type=str(f.type), required=not f.nullable) for f in data.schema]
        return shaped(bs.Table, name=table, namespace=namespace, fields=fields, records=data.num_rows,
                      metadata_location=version, current_snapshot_id=None)

    def get_tables(self, ref, *, filter_by_name=None, filter_by_namespace=None, limit=None):
        # Listed tables are whole `Table`s, as get_table's: the SDK's `Table` (src/api/table.rs) requires its
        # fields, and carries the record count and metadata location.
        out = []
        for key in self.snapshots[self._resolve(ref)]:
            ns, name = key.split(".")
            if filter_by_namespace and ns != filter_by_namespace:
                continue
            out.append(self.get_table(name, ref, namespace=ns))
        return iter(out)

    def create_table(self, table, search_uri, *, branch=None, namespace=None, partitioned_by=None, replace=None,
                     args=None, priority=None, client_timeout=None):
        schema = self.sources[search_uri].schema
        key = self._key(table, namespace)

        def change(state):
            if key in state and not replace:
                raise bx.TableExistsError(409, "TABLE_EXISTS", key)
            state[key] = (schema.empty_table(), f"v{next(self._ids)}")

        self._write(branch, change)
        return shaped(bs.Table, name=table, namespace=namespace)

    def import_data(self, table, search_uri, *, branch=None, namespace=None, continue_on_error=False,
                    import_duplicate_files=False, best_effort=False, preview=None, args=None, priority=None,
                    client_timeout=None, detach=False):
        key = self._key(table, namespace)
        if search_uri not in self.sources:
            return shaped(bst.TableDataImportState, error=f"no files match {search_uri}", job_status="FAILED",
                          job_id="j1")

        def change(state):
            current, _ = state[key]
            state[key] = (pa.concat_tables([current, self.sources[search_uri].cast(current.schema)]),
                          f"v{next(self._ids)}")

        self._write(branch, change)
        return shaped(bst.TableDataImportState, error=None, job_status="SUCCESS", job_id="j2")

    def query(self, query, *, ref=None, max_rows=None, cache=None, namespace=None, args=None, priority=None,
              client_timeout=None):
        con = duckdb.connect()
        try:
            for index, (key, (data, _)) in enumerate(self.snapshots[self._resolve(ref or "main")].items()):
                ns, name = key.split(".")
                con.register(f"t{index}", data)
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{ns}"')
                con.execute(f'CREATE VIEW "{ns}"."{name}" AS SELECT * FROM t{index}')
            try:
                result = con.sql(query).to_arrow_table()
            except duckdb.Error as exc:
                raise bx.BauplanQueryError(str(exc)) from None
        finally:
            con.close()
        return result if max_rows is None else result.slice(0, max_rows)

    def merge_branch(self, source_ref, into_branch, *, commit_message=None, commit_body=None,
                     commit_properties=None):
        source = self.snapshots[self._resolve(source_ref)]
        self.last_merge = {"message": commit_message, "body": commit_body, "properties": commit_properties}
        self._write(into_branch, lambda state: state.update(source), commit_properties)
        self.merged[self.branches[into_branch]] = self._resolve(source_ref)
        return shaped(bs.Branch, name=into_branch, hash=self.branches[into_branch], type=bs.RefType.BRANCH)

    def get_commits(self, ref, *, limit=None, **_filters):
        out, h = [], self._resolve(ref)
        while h is not None and (limit is None or len(out) < limit):
            # like bauplan.schema.Commit: the hash is on `.ref`, there is no `.hash`
            parent = self.parents[h]
            out.append(shaped(bs.Commit, ref=shaped(bs.Ref, name="", hash=h), message="", properties=self.properties[h],
                              parent_hashes=[parent] if parent else []))
            h = self.parents[h]
        return iter(out)

    def history(self, ref) -> set[str]:
        """Every commit reachable from `ref` through all parents (a merge brings its source's commits)."""
        seen, todo = set(), [self._resolve(ref)]
        while todo:
            h = todo.pop()
            if h is None or h in seen:
                continue
            seen.add(h)
            todo += [self.parents[h], self.merged.get(h)]
        return seen


ROWS = pa.table({"id": list(range(50)), "status": ["new", "paid"] * 25, "amount": [float(i) for i in range(50)]})
BAD = pa.table({"id": [1, 1, None], "status": ["new", "lost", "paid"], "amount": [5.0, -1.0, 2.0]})


def make_client(**sources: pa.Table):
    fake = FakeBauplan({f"s3://b/{k}.parquet": v for k, v in sources.items()})
    client = mock.create_autospec(bauplan.Client, instance=True)
    for name in ("info", "create_branch", "has_branch", "get_branch", "get_branches", "delete_branch",
                 "has_namespace", "create_namespace", "delete_namespace", "get_namespaces",
                 "has_table", "get_table", "get_tables", "create_table",
                 "import_data", "query", "merge_branch", "get_commits"):
        getattr(client, name).side_effect = getattr(fake, name)
    return client, fake


def all_checks():
    return [C.not_null("id"), C.unique("id"), C.unique("id", "status"), C.accepted_values("status", ["new", "paid"]),
            C.between("amount", 0, 100), C.matches("status", "^[a-z]+$"), C.schema_compatible(),
            C.no_duplicates_with("main", key=["id"]), C.sql("negative", "SELECT * FROM {table} WHERE amount < 0"),
            C.custom("has_rows", lambda t: t.num_rows > 0)]


def assert_calls_bind(client) -> None:
    assert client.method_calls, "no calls recorded"
    for call in client.method_calls:
        name, args, kwargs = call
        method = getattr(bauplan.Client, name.split(".")[0])
        inspect.signature(method).bind(None, *args, **kwargs)  # None stands for self


def test_full_flow_create_merge_binds_to_sdk():
    client, fake = make_client(orders=ROWS)
    ing = Ingestion("orders", "s3://b/orders.parquet", client=client, checks=all_checks(), on_success="merge")
    ing.run()
    assert ing.phase == "merged", ing.report.to_string()
    assert ing.rows_added == {"orders": 50}
    assert ing.merge_commit == fake.branches["main"]
    assert ing.branch not in fake.branches
    props = fake.last_merge["properties"]
    assert all(isinstance(v, str) for v in props.values())
    assert props["wap.forced"] == "false" and props["wap.user"] == "alice"
    assert fake.last_merge["message"] == f"Publish bauplan.orders from {ing.branch}"
    assert_calls_bind(client)


def test_failed_checks_force_merge_resume_discard_list_bind():
    client, fake = make_client(orders=ROWS, more=BAD)
    first = Ingestion("orders", "s3://b/orders.parquet", client=client).run()
    first.merge()
    ing = Ingestion("orders", "s3://b/more.parquet", client=client, checks=all_checks())
    ing.run()
    assert ing.phase == "failed"
    assert ing.modes == {"orders": "append"}
    report = ing.report.set_index("check")
    assert report.loc["not_null(id)", "observed"] == 1
    assert report.loc["accepted_values(status)", "observed"] == 1
    assert report.loc["between(amount)", "observed"] == 1
    assert report.loc["no_duplicates_with(main: id)", "observed"] == 2
    assert report.loc["negative", "status"] == "failed"
    assert len(ing.failures("accepted_values")) == 1
    listed = list_ingestions(client)
    assert ing.branch in set(listed["branch"])
    resumed = Ingestion.resume(ing.branch, client=client, checks=[C.not_null("id")])
    assert resumed.tables == ["orders"] and resumed.rows_added == {"orders": 3}
    resumed.validate()
    assert resumed.phase == "failed"
    resumed.merge(force=True, reason="known bad rows, fixed downstream")
    assert fake.last_merge["properties"]["wap.forced"] == "true"
    assert fake.last_merge["properties"]["wap.force_reason"] == "known bad rows, fixed downstream"
    failed_import = Ingestion("orders", "s3://b/missing.parquet", client=client)
    failed_import.run()
    assert failed_import.phase == "failed" and "no files match" in failed_import.error
    failed_import.discard()
    failed_import.discard()
    assert failed_import.phase == "discarded" and failed_import.branch not in fake.branches
    assert_calls_bind(client)


def test_wrong_keyword_would_fail_autospec():
    client, _ = make_client()
    with pytest.raises(TypeError):
        client.import_data("t", "s3://x", branch="b", overwrite=True)


def test_record_resume_remembered_checks_and_rebase_bind_to_sdk():
    """The gate on the Bauplan path: the record commits, the remembered checks read from merge commit
    properties, the readable conflict and the rebase use only calls that bind to bauplan.Client."""
    from wap_notebook.engine.conflicts import IngestionConflict

    client, fake = make_client(orders=ROWS, more=BAD, other=ROWS.slice(0, 5))
    Ingestion("orders", "s3://b/orders.parquet", client=client, on_success="merge",
              checks=[C.not_null("id"), C.between("amount", 0, 100)]).run()
    # no checks given: the table's checks come back from the merge commit's properties
    bad = Ingestion("orders", "s3://b/more.parquet", client=client).run()
    assert bad.spec.checks_source == "remembered" and bad.phase == "failed"
    resumed = Ingestion.resume(bad.branch, client=client)  # from the record commits on the branch
    assert resumed.phase == "failed" and [c.name for c in resumed.spec.checks["orders"]] == [
        "not_null(id)", "between(amount)"]
    assert set(resumed.report["status"]) >= {"failed"}
    # one record commit left one record namespace on the branch, above the data; main never gets one
    assert len([ns for ns in fake.get_namespaces(bad.branch) if ns.name.startswith("wap_record_")]) == 1
    assert not any(ns.name.startswith("wap_record_") for ns in fake.get_namespaces("main"))
    # a race: another ingestion publishes first; ours gets a readable conflict, then rebases
    ours = Ingestion("orders", "s3://b/other.parquet", client=client, checks=[C.not_null("id")]).run()
    Ingestion("orders", "s3://b/other.parquet", client=client, on_success="merge",
              checks=[C.not_null("id")]).run()
    with pytest.raises(IngestionConflict) as conflict:
        ours.merge()
    assert isinstance(conflict.value, bx.MergeConflictError) and "bauplan.orders" in str(conflict.value)
    ours.rebase()
    assert ours.phase == "passed"
    ours.merge()
    assert not any(ns.name.startswith("wap_record_") for ns in fake.get_namespaces("main"))
    assert_calls_bind(client)
