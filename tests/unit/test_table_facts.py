"""The engine's table facts: one listing answers every table of an ingestion at a ref (on Bauplan's cloud a
`get_table` per table is a round trip each)."""

from __future__ import annotations

import pyarrow as pa
from counting import CountingClient

from wap_notebook.engine.facts import TableFacts
from wap_notebook.ingestion import Ingestion

from .test_contract_bauplan import make_client

ROWS = pa.table({"id": [1, 2, 3]})


def test_one_listing_describes_every_table_and_says_which_are_missing():
    client, fake = make_client(rows=ROWS)
    for table in ("a", "b"):
        Ingestion(table, "s3://b/rows.parquet", client=client, checks=[], on_success="merge").run()
    counted = CountingClient(client)
    facts = TableFacts(counted, "bauplan")
    at = f"main@{fake.branches['main']}"
    assert sorted(facts.survey(at)) == ["a", "b"]
    assert facts.describe("a", at).records == 3 and [f.name for f in facts.describe("b", at).fields] == ["id"]
    assert not facts.exists("c", at)  # not listed: missing, without asking
    assert dict(counted.calls) == {"get_tables": 1}
    facts.survey(at)
    assert dict(counted.calls) == {"get_tables": 1}
    facts.forget(at)
    assert not facts.exists("c", at) and counted.calls["get_table"] == 1  # forgotten: asked again


def test_a_namespace_that_does_not_exist_lists_no_table(tmp_path):
    from wap_notebook.lakehouse.client import LocalClient

    lake = LocalClient(tmp_path / "lake", username="tester")  # raises NamespaceNotFoundError when listing
    facts = TableFacts(lake, "nowhere")
    assert facts.survey("main") == []
    assert not facts.exists("a", "main")


def test_a_new_table_in_a_namespace_with_tables_does_not_ask_whether_the_namespace_exists():
    client, _ = make_client(rows=ROWS)
    Ingestion("a", "s3://b/rows.parquet", client=client, checks=[], on_success="merge").run()
    counted = CountingClient(client)
    ing = Ingestion("b", "s3://b/rows.parquet", client=counted, checks=[]).run()
    assert ing.phase == "passed" and "has_namespace" not in counted.calls  # "a" was listed there
    first = CountingClient(make_client(rows=ROWS)[0])
    Ingestion("a", "s3://b/rows.parquet", client=first, checks=[]).run()
    assert first.calls["has_namespace"] == 1  # nothing listed: asked
