"""Mistakes in checks are refused before the import, before any branch exists: columns (all of them, with
suggestions) against the table on main or, for a new table, the files' own schema; `between` on text;
`sql` that does not parse; a table name that differs from an existing one only by case."""

from __future__ import annotations

import pytest

from wap_notebook import LocalClient
from wap_notebook import checks as C
from wap_notebook.demo.sample_data import orders_batch
from wap_notebook.errors import InvalidSpec
from wap_notebook.ingestion import Ingestion


@pytest.fixture
def lake(tmp_path):
    return LocalClient(tmp_path / "lh")


def branches(client) -> list[str]:
    return sorted(b.name for b in client.get_branches() if b.name != "main")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_new_tables_columns_come_from_its_files_all_bad_ones_at_once(lake, put_table, fmt):
    uri = put_table(f"new/orders.{fmt}", orders_batch(20))
    with pytest.raises(InvalidSpec) as raised:
        Ingestion("orders", uri, client=lake, checks=[C.not_null("order_idd", "customer_id"), C.unique("amont"),
                                                     C.between("status", min=0)])
    message = str(raised.value)
    assert "the columns its files would create" in message
    assert "'order_idd'" in message and "did you mean 'order_id'?" in message
    assert "'amont'" in message and "did you mean 'amount'?" in message
    assert "between(status)" in message and "between compares numbers" in message
    assert "no branch was created" in message
    assert branches(lake) == [] and not lake.has_table("orders", "main", namespace="bauplan")
    Ingestion("orders", uri, client=lake, checks=[C.not_null("order_id"), C.between("amount", min=0)])


def test_an_existing_tables_columns_and_types_all_at_once(lake, put_table):
    first = Ingestion("orders", put_table("o/1.parquet", orders_batch(10)), client=lake, checks=[],
                      on_success="merge")
    first.run()
    assert first.phase == "merged"
    with pytest.raises(InvalidSpec) as raised:
        Ingestion("orders", put_table("o/2.parquet", orders_batch(10)), client=lake,
                  checks=[C.not_null("custmer_id"), C.matches("amount", r"^\d+$"), C.not_null("order_idd")])
    message = str(raised.value)
    assert "its columns on main" in message
    assert "did you mean 'customer_id'?" in message and "did you mean 'order_id'?" in message
    assert "matches(amount)" in message and "double" in message
    assert branches(lake) == []


def test_sql_checks_are_parsed_before_the_import(lake, put_table):
    uri = put_table("s/orders.parquet", orders_batch(10))
    with pytest.raises(InvalidSpec, match=r"sql check 'late'.*does not parse.*syntax error"):
        Ingestion("orders", uri, client=lake,
                  checks=[C.sql("late", "SELEC * FROM {table} WHERE shipped_at < ordered_at")])
    assert branches(lake) == []
    Ingestion("orders", uri, client=lake, checks=[C.sql("late", "SELECT * FROM {table} WHERE shipped_at < ordered_at")])


def test_a_table_name_in_another_case_is_refused_naming_the_existing_one(lake, put_table):
    Ingestion("flights", put_table("f/1.parquet", orders_batch(5)), client=lake, checks=[],
              on_success="merge").run()
    with pytest.raises(InvalidSpec, match=r"bauplan\.Flights does not exist on main, but bauplan\.flights does"):
        Ingestion("Flights", put_table("f/2.parquet", orders_batch(5)), client=lake, checks=[])
    assert branches(lake) == []
    assert not lake.has_table("Flights", "main", namespace="bauplan")
