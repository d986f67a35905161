"""The checks' extra reads ride on the shared scan (on Bauplan's cloud each query is a round trip).

In append mode the planner scans the branch and the base once each; `schema_compatible`'s per-column
non-NULL counts and the counts `between` needs to tell the batch's range (rows equal to the table's MIN and
MAX) are terms of that scan, not queries of their own. Run on the SDK-shaped fake, where every check is SQL.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from counting import CountingClient

from wap_notebook import checks as C
from wap_notebook.errors import InvalidSpec
from wap_notebook.ingestion import Ingestion

from .test_contract_bauplan import make_client

SEED = pa.table({"id": list(range(100)), "status": ["new", "paid"] * 50, "amount": [float(i) for i in range(100)]})


def _batch(amounts: list[float], status: list[str | None] | None = None) -> pa.Table:
    n = len(amounts)
    return pa.table({"id": list(range(1000, 1000 + n)),
                     "status": pa.array(status if status is not None else ["new"] * n, pa.string()),
                     "amount": amounts})


def _lake(batch: pa.Table) -> tuple[CountingClient, object]:
    client, fake = make_client(seed=SEED, batch=batch)
    Ingestion("orders", "s3://b/seed.parquet", client=client, checks=[], on_success="merge").run()
    return CountingClient(client), fake


def _append(client: CountingClient) -> Ingestion:
    client.reset()
    return Ingestion("orders", "s3://b/batch.parquet", client=client, checks=[C.between("amount", 0, 1000)]).run()


def test_a_batch_reaching_the_tables_extremes_has_its_range_from_the_scan_alone():
    client, _ = _lake(_batch([0.0, 50.0, 99.0]))
    ing = _append(client)
    message = ing.report.set_index("check").loc["between(amount)", "message"]
    assert "observed range [0.0, 99.0] (over the new rows)" in message
    assert client.calls["query"] == 2  # the scan on the branch and on the base; no column read


def test_a_batch_inside_the_tables_range_still_reads_the_column_for_its_exact_range():
    client, _ = _lake(_batch([10.0, 20.0]))
    ing = _append(client)
    message = ing.report.set_index("check").loc["between(amount)", "message"]
    assert "observed range [10.0, 20.0] (over the new rows)" in message  # not the table's [0, 99]
    assert client.calls["query"] == 4


def test_a_column_the_batch_left_empty_is_caught_from_the_scan():
    client, _ = _lake(_batch([1.0, 2.0], status=[None, None]))
    ing = _append(client)
    row = ing.report.set_index("check").loc["schema_compatible"]
    assert row["status"] == "failed" and row["observed"] == "missing from the new data: status"
    assert client.calls["query"] == 4  # 2 for the scan (schema counts included) + between's column read


def test_a_table_created_on_main_after_the_checks_is_refused_at_the_fork_and_the_branch_deleted():
    """What was read before any branch is reused only while main has not moved; the branch forks at run()."""
    client, fake = make_client(seed=SEED, batch=_batch([1.0]))
    ing = Ingestion("orders", "s3://b/batch.parquet", client=client, checks=[], mode="create")
    Ingestion("orders", "s3://b/seed.parquet", client=client, checks=[], on_success="merge").run()  # meanwhile
    with pytest.raises(InvalidSpec, match="already exists"):
        ing.run()
    assert ing.branch not in fake.branches


def test_an_append_after_main_moved_reads_the_table_at_the_fork():
    client, fake = make_client(seed=SEED, batch=_batch([1.0]))
    Ingestion("orders", "s3://b/seed.parquet", client=client, checks=[], on_success="merge").run()
    counted = CountingClient(client)
    ing = Ingestion("orders", "s3://b/batch.parquet", client=counted, checks=[])
    Ingestion("other", "s3://b/seed.parquet", client=client, checks=[], on_success="merge").run()  # main moves
    counted.reset()
    ing.run()
    assert ing.phase == "passed" and ing.rows_added == {"orders": 1}
    assert ing.state.base_hash == fake.branches["main"]
    assert counted.calls["get_table"] == 2  # the table at the fork (main moved), then on the branch


def test_the_scans_of_several_tables_are_one_query_per_ref_and_a_faulty_check_is_still_isolated():
    client, _ = make_client(seed=SEED, batch=_batch([1.0, 2.0]))
    for table in ("a", "b"):
        Ingestion(table, "s3://b/seed.parquet", client=client, checks=[], on_success="merge").run()
    counted = CountingClient(client)
    sources = {"a": "s3://b/batch.parquet", "b": "s3://b/batch.parquet"}
    ing = Ingestion(sources, client=counted, checks={"a": [C.not_null("id")], "b": [C.not_null("id")]}).run()
    assert ing.phase == "passed" and counted.calls["query"] == 2  # branch and base, both tables in each
    # a check SQL cannot run (a string compared with numbers) breaks the combined query: each table then
    # runs its own, the faulty check alone is an error and the other table's checks still pass
    counted.reset()
    faulty = C.expression("numeric_status", "status > 5")
    ing = Ingestion(sources, client=counted, checks={"a": [C.not_null("id")], "b": [faulty]}).run()
    report = ing.report.set_index(["table", "check"])
    assert report.loc[("b", "numeric_status"), "status"] == "error"
    assert report.loc[("a", "not_null(id)"), "status"] == "passed"
    assert report.loc[("b", "row_count"), "status"] == "passed"
