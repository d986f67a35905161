"""The Ingestion engine end to end on the embedded lakehouse (LocalClient) with a real moto S3 server."""


from __future__ import annotations

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion

ORDERS = pa.table({
    "id": pa.array(range(1, 101), pa.int64()),
    "customer": [f"c{i % 7}" for i in range(100)],
    "amount": [float(i) for i in range(100)],
})


def seed(client, put_table, key="seed/orders.parquet", data=ORDERS) -> Ingestion:
    ing = Ingestion("orders", put_table(key, data), client=client, on_success="merge").run()
    assert ing.phase == "merged", ing.report.to_string()
    return ing


@pytest.mark.parametrize("name", ['orders"; DROP TABLE x; --', "orders;", "o'rders", "bad name", "1orders", ""])
def test_bad_table_names_rejected_before_any_branch(lakehouse, name):
    before = {b.name for b in lakehouse.get_branches()}
    with pytest.raises(ValueError, match="Invalid table name"):
        Ingestion(name, "s3://bucket/x.parquet", client=lakehouse)
    with pytest.raises(ValueError, match="Invalid namespace name"):
        Ingestion("orders", "s3://bucket/x.parquet", namespace=name or "a-b", client=lakehouse)
    assert {b.name for b in lakehouse.get_branches()} == before


def test_option_typos_list_allowed_values(lakehouse):
    for kwargs, allowed in [({"on_success": "merg"}, "'inspect', 'merge'"),
                            ({"on_failure": "remove"}, "'inspect', 'keep', 'delete'"),
                            ({"mode": "upsert"}, "'auto', 'create', 'append', 'replace'")]:
        with pytest.raises(ValueError, match=allowed):
            Ingestion("orders", "s3://bucket/x.parquet", client=lakehouse, **kwargs)
    with pytest.raises(ValueError):
        Ingestion("orders", "s3://bucket/x.parquet", client=lakehouse, branch="main")
    with pytest.raises(ValueError):
        Ingestion("orders", "s3://bucket/x.parquet", client=lakehouse, from_ref="main; --")
    with pytest.raises(ValueError, match="source"):
        Ingestion("orders", None, client=lakehouse)
    with pytest.raises(ValueError, match="unknown table"):
        Ingestion("orders", "s3://b/x", client=lakehouse, checks={"other": [C.not_null("id")]})
