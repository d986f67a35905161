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


def test_leftover_marker_from_a_crashed_save_is_removed_and_is_not_data(lakehouse):
    lakehouse.create_branch("tester.import_y", "main")
    records.save(lakehouse, "tester.import_y", {}, {"phase": "imported", "branch": "tester.import_y"})
    lakehouse.create_namespace(records.MARKER_PREFIX + "dead", "tester.import_y")  # crash after the 1st commit
    assert records.remove_leftover_markers(lakehouse, "tester.import_y") == [records.MARKER_PREFIX + "dead"]
    assert not lakehouse.has_namespace(records.MARKER_PREFIX + "dead", "tester.import_y")
    found = records.load(lakehouse, "tester.import_y")
    assert found is not None and found.state["phase"] == "imported"


def test_a_merged_branch_record_is_not_another_branch_record(lakehouse):
    lakehouse.create_branch("tester.import_a", "main")
    records.save(lakehouse, "tester.import_a", {}, {"phase": "passed", "branch": "tester.import_a"})
    lakehouse.merge_branch("tester.import_a", "main")
    lakehouse.create_branch("tester.import_b", "main")
    assert records.load(lakehouse, "tester.import_b") is None
