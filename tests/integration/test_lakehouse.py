"""The embedded lakehouse against a real moto S3 server: branches, tables, imports, queries, merges."""


from __future__ import annotations

import datetime as dt
import multiprocessing
import os

import pyarrow as pa
import pytest
from bauplan import exceptions as bx
from shared_data import BRANCH, orders

from wap_notebook import LocalClient
from wap_notebook.lakehouse import errors


def count(client, table: str, ref: str) -> int:
    return client.query(f"SELECT COUNT(*) AS n FROM {table}", ref=ref).column("n")[0].as_py()


def test_branch_lifecycle_and_isolation(lakehouse, put_table):
    uri = put_table("orders/a.parquet", orders(0, 10))
    branch = lakehouse.create_branch(BRANCH, "main")
    assert branch.name == BRANCH and branch.hash == lakehouse.get_branch("main").hash
    lakehouse.create_table("orders", uri, branch=BRANCH)
    state = lakehouse.import_data("orders", uri, branch=BRANCH)
    assert state.error is None and state.job_status == "SUCCESS"
    assert count(lakehouse, "bauplan.orders", BRANCH) == 10
    assert not lakehouse.has_table("orders", "main", namespace="bauplan")
    with pytest.raises(bx.BauplanQueryError, match="orders"):
        lakehouse.query("SELECT * FROM bauplan.orders", ref="main")
    assert [b.name for b in lakehouse.get_branches(user="tester")] == [BRANCH]
    with pytest.raises(bx.BranchExistsError):
        lakehouse.create_branch(BRANCH, "main")
    assert lakehouse.create_branch(BRANCH, "main", if_not_exists=True).name == BRANCH
    assert lakehouse.delete_branch(BRANCH) is True
    assert not lakehouse.has_branch(BRANCH)
    with pytest.raises(bx.BranchNotFoundError):
        lakehouse.delete_branch(BRANCH)
    assert lakehouse.delete_branch(BRANCH, if_exists=True) is False


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_create_import_query_each_format(lakehouse, put_table, fmt):
    put_table(f"in/part-0.{fmt}", orders(0, 50))
    put_table(f"in/part-1.{fmt}", orders(50, 25))
    uri = put_table(f"in/part-0.{fmt}", orders(0, 50)).rsplit("/", 1)[0] + f"/*.{fmt}"
    lakehouse.create_branch(BRANCH, "main")
    table = lakehouse.create_table("orders", uri, branch=BRANCH)
    assert {f.name for f in table.fields} == {"order_id", "amount", "status", "ordered_at"}
    state = lakehouse.import_data("orders", uri, branch=BRANCH)
    assert state.error is None, state.error
    result = lakehouse.query("SELECT COUNT(*) AS n, SUM(order_id) AS s, MIN(ordered_at) AS t FROM orders",
                             ref=BRANCH)
    assert result.column("n")[0].as_py() == 75
    assert result.column("s")[0].as_py() == sum(range(75))
    first = result.column("t")[0].as_py()
    assert first.replace(tzinfo=None) == dt.datetime(2026, 1, 1), first
    assert lakehouse.get_table("orders", BRANCH).records == 75


def test_append_and_duplicate_file_prevention(lakehouse, put_table):
    first = put_table("orders/a.parquet", orders(0, 10))
    second = put_table("orders/b.parquet", orders(10, 5))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", first, branch=BRANCH)
    assert lakehouse.import_data("orders", first, branch=BRANCH).error is None
    head = lakehouse.get_branch(BRANCH).hash
    # As Bauplan ("already imported files will not be re-added"): skipped, and the import succeeds with no commit.
    again = lakehouse.import_data("orders", first, branch=BRANCH)
    assert again.job_status == "SUCCESS" and again.error is None
    assert lakehouse.job_details(again.job_id).files_skipped == [first]
    assert any("skipped" in e.message for e in lakehouse.job_details(again.job_id).logs)
    assert lakehouse.get_job_logs(again.job_id) == []  # user-code logs only, as Bauplan's
    assert lakehouse.get_branch(BRANCH).hash == head  # nothing new, nothing committed
    assert lakehouse.import_data("orders", second, branch=BRANCH).error is None
    assert count(lakehouse, "orders", BRANCH) == 15
    forced = lakehouse.import_data("orders", first, branch=BRANCH, import_duplicate_files=True)
    assert forced.error is None and count(lakehouse, "orders", BRANCH) == 25


def test_schema_conflict_refused_and_plan_shows_it(lakehouse, put_table):
    put_table("mixed/a.parquet", pa.table({"id": [1, 2], "v": ["x", "y"]}))
    uri = put_table("mixed/b.parquet", pa.table({"id": ["one", "two"], "v": ["x", "y"]})).rsplit("/", 1)[0] + "/*"
    lakehouse.create_branch(BRANCH, "main")
    with pytest.raises(bx.TableCreatePlanError, match="id") as caught:
        lakehouse.create_table("mixed", uri, branch=BRANCH)
    assert isinstance(caught.value, errors.SchemaConflictError)
    assert not lakehouse.has_table("mixed", BRANCH)
    plan = lakehouse.plan_table_creation("mixed", uri, branch=BRANCH)
    assert plan.can_auto_apply is False and "id" in plan.plan
    import yaml

    document = yaml.safe_load(plan.plan)  # Bauplan's shape: resolve by keeping one dst_datatype per column
    assert [c["column_with_conflict"] for c in document["schema_info"]["conflicts"]] == ["id"]
    with pytest.raises(errors.TablePlanApplyError, match="unresolved schema conflicts on column"):
        lakehouse.apply_table_creation_plan(plan)
    for column in document["schema_info"]["detected_schemas"]:
        if len(column["dst_datatype"]) > 1:
            column["dst_datatype"] = [{"datatype": "string"}]
    resolved = yaml.safe_dump(document)
    assert lakehouse.apply_table_creation_plan(resolved).job_status == "SUCCESS"
    assert [f.type for f in lakehouse.get_table("mixed", BRANCH).fields][0] == "string"


def test_time_travel_with_branch_at_hash(lakehouse, put_table):
    a = put_table("t/a.parquet", orders(0, 10))
    b = put_table("t/b.parquet", orders(10, 10))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", a, branch=BRANCH)
    lakehouse.import_data("orders", a, branch=BRANCH)
    before = lakehouse.get_branch(BRANCH).hash
    lakehouse.import_data("orders", b, branch=BRANCH)
    assert count(lakehouse, "orders", BRANCH) == 20
    assert count(lakehouse, "orders", f"{BRANCH}@{before}") == 10
    assert count(lakehouse, "orders", f"@{before}") == 10
    with pytest.raises(bx.NotAWriteBranchRefError):
        lakehouse.import_data("orders", b, branch=f"{BRANCH}@{before}")
    lakehouse.create_tag("tester.v1", f"{BRANCH}@{before}")
    assert lakehouse.has_tag("tester.v1") and count(lakehouse, "orders", "tester.v1") == 10
    with pytest.raises(bx.NotAWriteBranchRefError):
        lakehouse.create_table("other", a, branch="tester.v1")
    assert lakehouse.delete_tag("tester.v1") is True


def test_atomic_multi_table_merge_with_audit_properties(lakehouse, put_table):
    o = put_table("o/a.parquet", orders(0, 10))
    c = put_table("c/a.csv", pa.table({"customer_id": [1, 2, 3], "name": ["a", "b", "c"]}))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", o, branch=BRANCH)
    lakehouse.import_data("orders", o, branch=BRANCH)
    lakehouse.create_namespace("crm", BRANCH)
    lakehouse.create_table("customers", c, branch=BRANCH, namespace="crm")
    lakehouse.import_data("customers", c, branch=BRANCH, namespace="crm")
    merged = lakehouse.merge_branch(BRANCH, "main", commit_message="Publish orders, customers",
                                    commit_body="batch 1", commit_properties={"wap.rows": "13"})
    assert merged.name == "main" and merged.hash == lakehouse.get_branch("main").hash
    assert count(lakehouse, "bauplan.orders", "main") == 10
    assert count(lakehouse, "crm.customers", "main") == 3
    assert lakehouse.has_namespace("crm", "main")
    head = next(lakehouse.get_commits("main", limit=1))
    assert head.message == "Publish orders, customers" and head.body == "batch 1"
    assert head.properties == {"wap.rows": "13"} and len(head.parent_hashes) == 2
    assert next(lakehouse.get_commits("main", filter_by_properties={"wap.rows": "13"})).ref.hash == merged.hash


def test_merge_conflict_changes_nothing(lakehouse, put_table):
    base = put_table("x/base.parquet", orders(0, 5))
    mine = put_table("x/mine.parquet", orders(5, 5))
    theirs = put_table("x/theirs.parquet", orders(10, 5))
    lakehouse.create_branch("tester.setup", "main")
    lakehouse.create_table("orders", base, branch="tester.setup")
    lakehouse.import_data("orders", base, branch="tester.setup")
    lakehouse.merge_branch("tester.setup", "main")
    lakehouse.create_branch("tester.a", "main")
    lakehouse.create_branch("tester.b", "main")
    assert lakehouse.import_data("orders", mine, branch="tester.a").error is None
    assert lakehouse.import_data("orders", theirs, branch="tester.b").error is None
    lakehouse.merge_branch("tester.a", "main")
    main_head, b_head = lakehouse.get_branch("main").hash, lakehouse.get_branch("tester.b").hash
    with pytest.raises(bx.MergeConflictError, match="orders"):
        lakehouse.merge_branch("tester.b", "main")
    assert lakehouse.get_branch("main").hash == main_head
    assert lakehouse.get_branch("tester.b").hash == b_head
    assert count(lakehouse, "orders", "main") == 10 and count(lakehouse, "orders", "tester.b") == 10


def _merge_worker(path: str, index: int, uri: str, env: dict[str, str]) -> str:
    os.environ.update(env)
    client = LocalClient(path, username="tester")
    branch = f"tester.p{index}"
    client.create_branch(branch, "main")
    client.create_table(f"t{index}", uri, branch=branch)
    state = client.import_data(f"t{index}", uri, branch=branch)
    assert state.error is None, state.error
    return client.merge_branch(branch, "main", commit_message=f"merge {index}").hash


def test_two_processes_merging_at_once_lose_nothing(tmp_path, put_table, s3_server):
    uri = put_table("p/a.parquet", orders(0, 20))
    path = str(tmp_path / "shared")
    LocalClient(path, username="tester")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        hashes = pool.starmap(_merge_worker, [(path, i, uri, s3_server.env) for i in range(2)])
    client = LocalClient(path, username="tester")
    assert {t.name for t in client.get_tables("main")} == {"t0", "t1"}
    history = [c.ref.hash for c in client.get_commits("main")]
    assert set(hashes) <= set(history)
    messages = [c.message for c in client.get_commits("main", filter_by_message="^merge")]
    assert sorted(messages) == ["merge 0", "merge 1"]


def test_delete_branch_keeps_files_other_refs_reach(lakehouse, put_table):
    uri = put_table("d/a.parquet", orders(0, 10))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", uri, branch=BRANCH)
    lakehouse.import_data("orders", uri, branch=BRANCH)
    lakehouse.merge_branch(BRANCH, "main")
    lakehouse.delete_branch(BRANCH)
    assert count(lakehouse, "orders", "main") == 10
    assert lakehouse.gc(dry_run=True) == []


def test_gc_reads_each_table_version_once_however_long_the_history(lakehouse, put_table, monkeypatch):
    """gc's work grows with the table versions, not with commits x tables or commits x refs.

    Record commits (a namespace created and deleted) and refs pile up without changing any table;
    gc once re-loaded every table's metadata for every reachable commit and re-read every manifest
    for every snapshot of every version (600 s in the slow crash suite). Counts work, not time.
    """
    from pyiceberg.manifest import ManifestFile

    from wap_notebook.lakehouse import tables

    for i in range(3):
        lakehouse.create_branch(f"{BRANCH}{i}", "main")
        if i == 0:
            lakehouse.create_table("orders", put_table("g/0.parquet", orders(0, 5)), branch=f"{BRANCH}{i}")
        lakehouse.import_data("orders", put_table(f"g/{i}.parquet", orders(i * 5, 5)), branch=f"{BRANCH}{i}")
        for j in range(15):
            lakehouse.create_namespace(f"wap_record_{i}_{j}", f"{BRANCH}{i}")
            lakehouse.delete_namespace(f"wap_record_{i}_{j}", f"{BRANCH}{i}")
        lakehouse.merge_branch(f"{BRANCH}{i}", "main")
        lakehouse.create_tag(f"v{i}", "main")
    catalog = lakehouse._catalog
    reachable = catalog.all_reachable_commits()
    versions = {loc for h in reachable for loc in catalog.commit(h).state.tables.values()}
    manifests = [p for p in lakehouse.warehouse.rglob("*.avro") if not p.name.startswith("snap-")]
    assert len(reachable) > 90 and len(versions) <= 6
    loads, reads = [], []
    real_load, real_fetch = tables.load_table_at, ManifestFile.fetch_manifest_entry
    monkeypatch.setattr(tables, "load_table_at", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k))
    monkeypatch.setattr(ManifestFile, "fetch_manifest_entry",
                        lambda self, *a, **k: reads.append(self.manifest_path) or real_fetch(self, *a, **k))
    assert lakehouse.gc(dry_run=True) == []
    assert sorted(loads) == sorted(versions)  # each table version's metadata loaded exactly once
    assert len(reads) == len(set(reads)) <= len(manifests)  # each manifest read at most once
    assert count(lakehouse, "orders", "v0") == 5 and count(lakehouse, "orders", "main") == 15


def test_source_errors_name_the_uri(lakehouse, bucket):
    lakehouse.create_branch(BRANCH, "main")
    empty = f"s3://{bucket}/nothing/*.parquet"
    with pytest.raises(errors.SourceNotFoundError, match="nothing"):
        lakehouse.create_table("t", empty, branch=BRANCH)
    with pytest.raises(errors.SourceNotFoundError, match="no-such-bucket"):
        lakehouse.create_table("t", "s3://no-such-bucket-zz/x/*.parquet", branch=BRANCH)


def test_failed_import_returns_state_and_does_not_raise(lakehouse, put_table, bucket):
    uri = put_table("f/a.parquet", orders(0, 3))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", uri, branch=BRANCH)
    head = lakehouse.get_branch(BRANCH).hash
    state = lakehouse.import_data("orders", f"s3://{bucket}/missing/*.parquet", branch=BRANCH)
    assert state.job_status == "FAILED" and "missing" in state.error
    assert lakehouse.get_branch(BRANCH).hash == head


def test_continue_on_error_and_best_effort(lakehouse, put_table, s3_server, bucket):
    good = put_table("mixed/good.parquet", orders(0, 10))
    s3_server.upload_bytes(bucket, "mixed/broken.parquet", b"PAR1 this is not parquet")
    uri = f"s3://{bucket}/mixed/*.parquet"
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", good, branch=BRANCH)
    head = lakehouse.get_branch(BRANCH).hash
    strict = lakehouse.import_data("orders", uri, branch=BRANCH)
    assert strict.job_status == "FAILED" and "broken.parquet" in strict.error
    assert lakehouse.get_branch(BRANCH).hash == head
    lenient = lakehouse.import_data("orders", uri, branch=BRANCH, continue_on_error=True)
    details = lakehouse.job_details(lenient.job_id)  # local-only facts live in the job ledger
    assert lenient.error is None and details.files_imported == [good]
    assert list(details.files_failed) == [f"s3://{bucket}/mixed/broken.parquet"]
    assert count(lakehouse, "orders", BRANCH) == 10

    wider = put_table("wide/a.parquet", orders(100, 5).append_column("extra", pa.array(["x"] * 5)))
    refused = lakehouse.import_data("orders", wider, branch=BRANCH)
    assert refused.job_status == "FAILED" and "extra" in refused.error
    assert lakehouse.import_data("orders", wider, branch=BRANCH, best_effort=True).error is None
    assert count(lakehouse, "orders", BRANCH) == 15


def test_jobs_are_shared_by_clients_of_one_folder(tmp_path, put_table):
    first = LocalClient(tmp_path / "lh", username="tester")
    uri = put_table("o/a.parquet", orders(0, 5))
    first.create_branch(BRANCH, "main")
    first.create_table("orders", uri, branch=BRANCH)
    state = first.import_data("orders", uri, branch=BRANCH)
    second = LocalClient(tmp_path / "lh", username="tester")
    assert second.get_job(state.job_id).id == state.job_id
    assert second.job_details(state.job_id).rows_imported == 5


def test_commit_filters_by_email_and_unknown_arguments(lakehouse, put_table):
    uri = put_table("o/a.parquet", orders(0, 5))
    lakehouse.create_branch(BRANCH, "main")
    lakehouse.create_table("orders", uri, branch=BRANCH)
    assert [c.author.email for c in lakehouse.get_commits(BRANCH, filter_by_author_email=r"^tester@")][0] == \
        "tester@localhost"
    assert list(lakehouse.get_commits(BRANCH, filter_by_author_email="nobody")) == []
    # As the SDK: args must be a dict of strings and preview a string (TypeError otherwise); well-typed ones are
    # accepted and logged as without local effect (README, Backends).
    with pytest.raises(TypeError, match="args"):
        lakehouse.create_table("x", uri, branch=BRANCH, args={"k": 1})
    with pytest.raises(TypeError, match="preview"):
        lakehouse.import_data("orders", uri, branch=BRANCH, preview=True)
    assert lakehouse.import_data("orders", uri, branch=BRANCH, preview="on").job_status == "SUCCESS"


def test_plan_with_malformed_partitions_is_refused(lakehouse, put_table):
    import yaml

    uri = put_table("o/a.parquet", orders(0, 5))
    lakehouse.create_branch(BRANCH, "main")
    plan = yaml.safe_load(lakehouse.plan_table_creation("orders", uri, branch=BRANCH).plan)
    plan["plan_state"]["table_identifier"] = ["bauplan", "orders2"]
    plan["schema_info"]["partitions"] = [{"from_column_name": "order_id", "transform": {"name": "nonsense"}}]
    with pytest.raises(errors.TablePlanApplyError, match="nonsense"):
        lakehouse.apply_table_creation_plan(yaml.safe_dump(plan))
    bucket = {"name": "bucket", "num_buckets": 4}
    plan["schema_info"]["partitions"] = [{"from_column_name": "order_id", "transform": bucket}]
    assert lakehouse.apply_table_creation_plan(yaml.safe_dump(plan)).error is None
    assert [p.transform for p in lakehouse.get_table("orders2", BRANCH).partitions] == ["bucket[4]"]
    assert not lakehouse.has_table("orders2", "main")
