"""The safe-ingestion flow (write, audit with `scan`, publish), without Prefect around it.

Source: BauplanLabs/bauplan, examples/learn/03-safe-ingestion-on-a-schedule/safe_ingestion_flow.py
(commit 014a9f7).
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa


def test_safe_ingestion(client, write):
    uri = write("titanic.parquet", pa.table({"Name": ["a", "b", "c"], "Age": [22, 38, 26]}))
    table_name, namespace = "titanic_from_prefect", "prefect"
    branch = f"{client.info().user.username}.ingestion_{datetime.now().strftime('%Y%m%d_%H%M%S')}"

    client.delete_branch(branch, if_exists=True)
    client.create_branch(branch, from_ref="main")
    assert client.has_branch(branch), "Branch not found"
    if not client.has_namespace(namespace=namespace, ref=branch):
        client.create_namespace(namespace=namespace, branch=branch)
    client.create_table(table=table_name, search_uri=uri, namespace=namespace, branch=branch, replace=True)
    fq_name = f"{namespace}.{table_name}"
    assert client.has_table(table=fq_name, ref=branch), "Table not found"
    state = client.import_data(table=table_name, search_uri=uri, namespace=namespace, branch=branch)
    assert state.error is None

    ingestion_table = client.scan(table=fq_name, ref=branch, columns=["Age"])
    assert ingestion_table.column_names == ["Age"]
    assert ingestion_table["Age"].null_count == 0, "Quality check failed"

    merged = client.merge_branch(source_ref=branch, into_branch="main")
    assert merged.name == "main"
    client.delete_branch(branch)
    assert client.query(f"SELECT COUNT(*) AS n FROM {fq_name}", ref="main").to_pylist() == [{"n": 3}]
