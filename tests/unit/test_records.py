"""The durable ingestion record on the import branch (`wap_notebook.engine.records`), on the embedded lakehouse."""


from __future__ import annotations

from wap_notebook.engine import records


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
