"""The Ingestion engine end to end on the embedded lakehouse (LocalClient) with a real moto S3 server."""


from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pyarrow as pa
import pytest
from bauplan import exceptions as bx
from IPython.core.formatters import DisplayFormatter

from wap_notebook import checks as C
from wap_notebook.engine.client import table_exists
from wap_notebook.ingestion import Ingestion, IngestionEvent, list_ingestions
from wap_notebook.notebook import display

ORDERS = pa.table({
    "id": pa.array(range(1, 101), pa.int64()),
    "customer": [f"c{i % 7}" for i in range(100)],
    "amount": [float(i) for i in range(100)],
})


MORE = pa.table({
    "id": pa.array(range(101, 131), pa.int64()),
    "customer": [f"c{i % 7}" for i in range(30)],
    "amount": [float(i) for i in range(30)],
})


CUSTOMERS = pa.table({"customer": [f"c{i}" for i in range(7)], "name": [f"Name {i}" for i in range(7)]})


def main_rows(client, table="orders", namespace="bauplan") -> int | None:
    if not table_exists(client, table, "main", namespace=namespace):  # a missing namespace raises, as on Bauplan
        return None
    return client.query(f'SELECT COUNT(*) FROM "{namespace}"."{table}"', ref="main").column(0)[0].as_py()


def seed(client, put_table, key="seed/orders.parquet", data=ORDERS) -> Ingestion:
    ing = Ingestion("orders", put_table(key, data), client=client, on_success="merge").run()
    assert ing.phase == "merged", ing.report.to_string()
    return ing


def test_create_then_merge(lakehouse, put_table):
    events: list[IngestionEvent] = []
    ing = Ingestion("orders", put_table("o/part-0.parquet", ORDERS), client=lakehouse, on_success="merge",
                    checks=[C.not_null("id"), C.unique("id")])
    ing.subscribe(events.append)
    assert ing.phase == "new" and ing.passed is None and ing.allowed_actions() == {"import", "discard"}
    assert ing.branch.startswith("tester.import_orders_")
    ing.run()
    assert ing.phase == "merged"
    assert ing.passed is True
    assert ing.rows_added == {"orders": 100}
    assert ing.files_imported == {"orders": [ing.sources["orders"]]}
    assert main_rows(lakehouse) == 100
    assert not lakehouse.has_branch(ing.branch)
    assert lakehouse.get_branch("main").hash == ing.merge_commit
    commit = next(iter(lakehouse.get_commits("main", limit=1)))
    assert commit.message == f"Publish bauplan.orders from {ing.branch}"
    assert commit.properties["wap.forced"] == "false"
    assert json.loads(commit.properties["wap.rows_added"]) == {"orders": 100}
    assert commit.properties["wap.checks_failed"] == "0"
    phases = [e.phase for e in events if e.kind == "phase"]
    assert phases == ["importing", "imported", "validating", "passed", "merged"]
    assert any(e.kind == "progress" and e.progress is not None for e in events)
    assert [e.phase for e in ing.history if e.kind == "phase"][0] == "new"
    assert ing.allowed_actions() == set()
    with pytest.raises(RuntimeError, match="phase 'merged'"):
        ing.validate()


def html_of(obj):
    """What IPython shows as text/html once wap_notebook registered its display hooks."""
    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    display.register(shell)
    return shell.display_formatter.formatters["text/html"](obj)


def test_create_then_inspect_leaves_branch_and_main_untouched(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.csv", ORDERS), client=lakehouse).run()
    assert ing.phase == "passed"
    assert lakehouse.has_branch(ing.branch)
    assert main_rows(lakehouse) is None
    assert ing.allowed_actions() == {"merge", "validate", "discard", "refresh", "rebase"}
    assert len(ing.sample(5)) == 5
    diff = ing.diff().iloc[0]
    assert (diff["rows_before"], diff["rows_after"], diff["rows_added"]) == (0, 100, 100)
    assert list(ing.schemas()["orders"]["column"]) == ["id", "customer", "amount"]
    assert "tester.import_orders" in repr(ing) and "passed" in repr(ing)
    assert ing.branch in html_of(ing)
    listed = list_ingestions(lakehouse)
    row = listed[listed["branch"] == ing.branch].iloc[0]
    assert row["tables"] == "bauplan.orders" and row["created"] is not None
    # the panel keeps working after a manual merge
    commit = ing.merge()
    assert ing.phase == "merged" and commit == lakehouse.get_branch("main").hash
    assert not lakehouse.has_branch(ing.branch)
    assert len(ing.sample(3)) == 3


def test_failed_checks_on_failure_inspect_keeps_branch(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse, on_success="merge",
                    checks=[C.between("amount", max=10)]).run()
    assert ing.phase == "failed" and ing.passed is False
    assert "between(amount)" in ing.error
    assert lakehouse.has_branch(ing.branch)
    assert main_rows(lakehouse) is None
    assert ing.allowed_actions() == {"discard", "refresh", "validate", "force_merge", "rebase"}
    with pytest.raises(RuntimeError, match="force=True"):
        ing.merge()
    with pytest.raises(ValueError, match="reason"):
        ing.merge(force=True)
    ing.discard()
    ing.discard()  # idempotent
    assert ing.phase == "discarded" and not lakehouse.has_branch(ing.branch)


def test_failed_checks_on_failure_delete(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse, on_failure="delete",
                    checks=[C.not_null("id"), C.accepted_values("customer", ["c0"])]).run()
    assert ing.phase == "discarded"
    assert ing.passed is False
    assert not lakehouse.has_branch(ing.branch)
    assert ing.report.set_index("check").loc["accepted_values(customer)", "observed"] == 85


def test_force_merge_records_reason(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse,
                    checks=[C.between("amount", max=10, name="small_amounts")]).run()
    assert ing.phase == "failed"
    ing.merge(force=True, reason="Finance approved the outliers (TICKET-42)")
    assert ing.phase == "merged" and main_rows(lakehouse) == 100
    props = next(iter(lakehouse.get_commits("main", limit=1))).properties
    assert props["wap.forced"] == "true"
    assert props["wap.force_reason"] == "Finance approved the outliers (TICKET-42)"
    assert props["wap.checks_failed"] == "1"
    assert json.loads(props["wap.sources"]) == {"orders": ing.sources["orders"]}


def test_append_counts_only_new_rows(lakehouse, put_table):
    seed(lakehouse, put_table)
    ing = Ingestion("orders", put_table("o/more.parquet", MORE), client=lakehouse,
                    checks=[C.row_count(min=30, max=30), C.unique("id")]).run()
    assert ing.phase == "passed", ing.report.to_string()
    assert ing.modes == {"orders": "append"}
    assert ing.rows_added == {"orders": 30}
    assert set(ing.report["check"]) >= {"schema_compatible"}  # default in append mode
    sample = ing.sample(100)
    assert sorted(sample["id"]) == list(range(101, 131))  # only the new rows
    diff = ing.diff().iloc[0]
    assert (diff["rows_before"], diff["rows_after"], diff["rows_added"]) == (100, 130, 30)


def test_append_empty_batch_fails_row_count(lakehouse, put_table):
    seed(lakehouse, put_table)
    ing = Ingestion("orders", put_table("o/empty.parquet", ORDERS.slice(0, 0)), client=lakehouse,
                    on_success="merge").run()
    assert ing.phase == "failed", ing.report.to_string()
    row = ing.report.set_index("check").loc["row_count"]
    assert row["status"] == "failed" and row["observed"] == 0
    assert "no rows" in row["message"]
    assert main_rows(lakehouse) == 100


def test_append_all_duplicate_batch_fails(lakehouse, put_table):
    first = seed(lakehouse, put_table)
    # the very same file again: duplicate-file prevention refuses it -> failed import, not a pass
    again = Ingestion("orders", first.sources["orders"], client=lakehouse, on_success="merge").run()
    assert again.phase == "failed"
    assert "already imported" in again.error
    assert again.passed is False
    assert main_rows(lakehouse) == 100
    # the same rows in a new file: imported, but every key already exists on main
    copy = Ingestion("orders", put_table("o/copy.parquet", ORDERS), client=lakehouse,
                     checks=[C.no_duplicates_with("main", key=["id"])]).run()
    assert copy.phase == "failed"
    assert copy.report.set_index("check").loc["no_duplicates_with(main: id)", "observed"] == 100


def test_schema_drift_on_append_caught(lakehouse, put_table):
    seed(lakehouse, put_table)
    drifted = pa.table({"id": ["x1", "x2"], "customer": ["c1", "c2"], "amount": [1.0, 2.0]})
    ing = Ingestion("orders", put_table("o/drift.parquet", drifted), client=lakehouse, on_success="merge").run()
    assert ing.phase == "failed"
    assert "id" in ing.error
    assert main_rows(lakehouse) == 100
    dropped = pa.table({"id": pa.array([500], pa.int64()), "amount": [1.0]})
    ing2 = Ingestion("orders", put_table("o/dropped.parquet", dropped), client=lakehouse).run()
    assert ing2.phase == "failed"  # a missing column: refused by the import, or nulls caught by the checks
    assert "customer" in ing2.error, ing2.error
    # replace mode: schema_compatible is opt-in; re-validate with it
    ing3 = Ingestion("orders", put_table("o/dropped2.parquet", dropped), client=lakehouse, mode="replace",
                     checks=[C.schema_compatible()]).run()
    row = ing3.report.set_index("check").loc["schema_compatible"]
    assert row["status"] == "failed" and "dropped: customer" in row["observed"]
    # The message shows both schemas it compared: the branch's (no customer) and the base's (with it).
    found, expected = row["message"].split(". Found: ")[1].split("; expected (as on main@")
    assert "customer" not in found and found.startswith("id ") and "customer" in expected, row["message"]
    assert ing3.diff().iloc[0]["removed_columns"] == ["customer"]


def test_failed_import_state_is_a_failed_ingestion(lakehouse, put_table, bucket):
    seed(lakehouse, put_table)
    ing = Ingestion("orders", f"s3://{bucket}/nothing/*.parquet", client=lakehouse, on_success="merge").run()
    assert ing.phase == "failed"
    assert ing.passed is False
    assert ing.error.startswith("Import of s3://")
    assert ing.allowed_actions() == {"discard", "refresh", "rebase"}  # rebase re-runs it; nothing to merge
    assert not lakehouse.has_branch(ing.branch) and "was deleted" in ing.error  # failed before any data
    assert any(e.kind == "error" for e in ing.history)
    # create mode: the source problem raises from create_table; still a failed ingestion, not an error
    ing2 = Ingestion("fresh", f"s3://{bucket}/nothing/*.parquet", client=lakehouse).run()
    assert ing2.phase == "failed" and "fresh" in ing2.error


def test_merge_conflict_with_concurrent_ingestion(lakehouse, put_table):
    seed(lakehouse, put_table)
    a = Ingestion("orders", put_table("o/a.parquet", MORE), client=lakehouse).run()
    b = Ingestion("orders", put_table("o/b.parquet", MORE.slice(0, 5)), client=lakehouse).run()
    assert a.phase == b.phase == "passed"
    assert a.branch != b.branch
    a.merge()
    with pytest.raises(bx.MergeConflictError) as info:
        b.merge()
    message = str(info.value.message if hasattr(info.value, "message") else info.value)
    assert "bauplan.orders" in message and a.merge_commit[:12] in message and "main moved 1 commit" in message
    assert b.phase == "passed" and lakehouse.has_branch(b.branch)
    assert "merge" in b.allowed_actions()
    assert main_rows(lakehouse) == 130
    b.discard()
    assert not lakehouse.has_branch(b.branch)


def test_unrelated_change_on_main_does_not_block_merge(lakehouse, put_table):
    a = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse).run()
    Ingestion("customers", put_table("c/c.parquet", CUSTOMERS), client=lakehouse, on_success="merge").run()
    a.merge()
    assert main_rows(lakehouse) == 100 and main_rows(lakehouse, "customers") == 7


def test_multi_table_atomic_publish(lakehouse, put_table):
    sources = {"orders": put_table("o/a.parquet", ORDERS), "customers": put_table("c/c.csv", CUSTOMERS)}
    ing = Ingestion(sources, None, client=lakehouse, namespace="sales",
                    checks={"orders": [C.not_null("id")], "customers": [C.unique("customer")]}).run()
    assert ing.phase == "passed", ing.report.to_string()
    assert ing.branch.startswith("tester.import_orders_customers_2tables_")
    assert set(ing.report["table"]) == {"orders", "customers"}
    assert main_rows(lakehouse, "orders", "sales") is None
    head = lakehouse.get_branch("main").hash
    ing.merge()
    assert main_rows(lakehouse, "orders", "sales") == 100 and main_rows(lakehouse, "customers", "sales") == 7
    commit = next(iter(lakehouse.get_commits("main", limit=1)))
    assert commit.parent_hashes[0] == head  # one commit published both tables
    assert json.loads(commit.properties["wap.rows_added"]) == {"orders": 100, "customers": 7}

    # one failing table -> nothing is published
    bad = {"orders": put_table("o/b.parquet", MORE), "customers": put_table("c/bad.csv", CUSTOMERS)}
    ing2 = Ingestion(bad, None, client=lakehouse, namespace="sales", on_success="merge",
                     checks={"customers": [C.accepted_values("customer", ["c0"])]}).run()
    assert ing2.phase == "failed"
    assert main_rows(lakehouse, "orders", "sales") == 100


def test_resume_after_fresh_object(lakehouse, put_table):
    seed(lakehouse, put_table)
    original = Ingestion("orders", put_table("o/more.parquet", MORE), client=lakehouse)
    original.import_data()
    branch = original.branch
    del original
    resumed = Ingestion.resume(branch, client=lakehouse, checks=[C.between("id", 101, 130)])
    assert resumed.phase == "imported"
    assert resumed.tables == ["orders"] and resumed.modes == {"orders": "append"}
    assert resumed.rows_added == {"orders": 30}
    assert resumed.sources["orders"].endswith("o/more.parquet")
    resumed.validate()
    assert resumed.phase == "passed", resumed.report.to_string()
    resumed.merge()
    assert main_rows(lakehouse) == 130
    with pytest.raises(ValueError, match="does not exist"):
        Ingestion.resume(branch, client=lakehouse)
    with pytest.raises(ValueError):
        Ingestion.resume("main", client=lakehouse)


def test_branch_names_unique_and_existing_branch_refused(lakehouse, put_table):
    names = {Ingestion("orders", "s3://b/x", client=lakehouse).branch for _ in range(20)}
    assert len(names) == 20
    lakehouse.create_branch("tester.mine", "main")
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse, branch="tester.mine")
    with pytest.raises(bx.BranchExistsError, match="already exists"):
        ing.run()
    assert ing.phase == "error" and "import" in ing.allowed_actions()
    ing.discard()
    assert lakehouse.has_branch("tester.mine")  # never deleted: this ingestion did not create it
    with pytest.raises(ValueError, match="mode='append'"):
        seed(lakehouse, put_table)
        Ingestion("orders", put_table("o/b.parquet", MORE), client=lakehouse, mode="create").run()


def test_second_action_while_running_is_refused(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse)
    started, release = threading.Event(), threading.Event()

    def slow(event):
        if event.kind == "phase" and event.phase == "validating":
            started.set()
            release.wait(10)

    ing.subscribe(slow)
    unsubscribe = ing.subscribe(lambda e: 1 / 0)  # broken subscribers are swallowed
    worker = threading.Thread(target=ing.run)
    worker.start()
    assert started.wait(30)
    assert ing.allowed_actions() == set()
    with pytest.raises(RuntimeError, match="'run' is still running"):
        ing.discard()
    release.set()
    worker.join(30)
    unsubscribe()
    assert ing.phase == "passed"


def test_one_faulty_check_does_not_hide_the_others(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o/a.parquet", ORDERS), client=lakehouse,
                    checks=[C.not_null("id"), C.between("amount", min="zero"), C.unique("id")])
    ing.run()
    status = dict(zip(ing.report["check"], ing.report["status"], strict=True))
    assert status["between(amount)"] == "error" and "check failed to run" in ing.report.set_index("check").loc[
        "between(amount)", "message"]
    assert status["not_null(id)"] == "passed" and status["unique(id)"] == "passed"
    assert ing.phase == "failed" and ing.passed is False  # an error-severity check that errored blocks the merge
