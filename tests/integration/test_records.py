"""The durable ingestion record on the import branch (`wap_notebook.engine.records`), on the embedded lakehouse."""


from __future__ import annotations

import pyarrow as pa

from wap_notebook.engine import records


def test_save_and_load_leave_no_namespace_and_track_freshness(lakehouse, put_table):
    lakehouse.create_branch("tester.import_x", "main")
    assert records.load(lakehouse, "tester.import_x") is None
    before = sorted(n.name for n in lakehouse.get_namespaces("tester.import_x"))
    spec = {"sources": {"t": "s3://b/t.parquet"}}
    records.save(lakehouse, "tester.import_x", spec, {"phase": "importing", "branch": "tester.import_x"})
    records.save(lakehouse, "tester.import_x", spec, {"phase": "imported", "branch": "tester.import_x"})
    found = records.load(lakehouse, "tester.import_x")
    assert found is not None and found.fresh and found.state["phase"] == "imported"
    assert found.spec == {"sources": {"t": "s3://b/t.parquet"}}
    assert sorted(n.name for n in lakehouse.get_namespaces("tester.import_x")) == before
    # a data commit after the record makes it stale
    uri = put_table("r/t.parquet", pa.table({"a": [1, 2]}))
    lakehouse.create_table("t", uri, branch="tester.import_x", namespace="bauplan")
    stale = records.load(lakehouse, "tester.import_x")
    assert stale is not None and not stale.fresh and stale.state["phase"] == "imported"
