"""The durable ingestion record on the import branch (`wap_notebook.engine.records`), on the embedded lakehouse."""


from __future__ import annotations

from wap_notebook.engine import records


def _commits(client, ref: str) -> int:
    return len(list(client.get_commits(ref)))


def _record_namespaces(client, ref: str) -> list[str]:
    return [n.name for n in client.get_namespaces(ref) if n.name.startswith(records.MARKER_PREFIX)]


def test_each_save_is_one_commit_and_leaves_at_most_one_record_namespace(lakehouse):
    lakehouse.create_branch("tester.import_z", "main")
    before = _commits(lakehouse, "tester.import_z")
    marker = records.save(lakehouse, "tester.import_z", {}, {"phase": "imported", "branch": "tester.import_z"},
                          marker=None)
    assert marker is not None and _record_namespaces(lakehouse, "tester.import_z") == [marker]
    assert _commits(lakehouse, "tester.import_z") == before + 1  # was two: a namespace created and deleted
    found = records.load(lakehouse, "tester.import_z")
    assert found is not None and found.fresh and found.marker == marker
    again = records.save(lakehouse, "tester.import_z", {}, {"phase": "passed", "branch": "tester.import_z"},
                         marker=marker)
    assert again is None and _record_namespaces(lakehouse, "tester.import_z") == []
    assert _commits(lakehouse, "tester.import_z") == before + 2
    found = records.load(lakehouse, "tester.import_z")
    assert found is not None and found.fresh and found.state["phase"] == "passed" and found.marker is None


def test_a_record_namespace_deleted_by_someone_else_does_not_lose_the_record(lakehouse):
    lakehouse.create_branch("tester.import_w", "main")
    marker = records.save(lakehouse, "tester.import_w", {}, {"phase": "imported", "branch": "tester.import_w"},
                          marker=None)
    lakehouse.delete_namespace(marker, "tester.import_w")
    left = records.save(lakehouse, "tester.import_w", {}, {"phase": "failed", "branch": "tester.import_w"},
                        marker=marker)
    assert left is not None and _record_namespaces(lakehouse, "tester.import_w") == [left]
    found = records.load(lakehouse, "tester.import_w")
    assert found is not None and found.state["phase"] == "failed"


def test_leftover_record_namespaces_are_removed_and_are_not_data(lakehouse):
    lakehouse.create_branch("tester.import_y", "main")
    records.save(lakehouse, "tester.import_y", {}, {"phase": "imported", "branch": "tester.import_y"}, marker=None)
    removed = records.remove_leftover_markers(lakehouse, "tester.import_y")
    assert len(removed) == 1 and _record_namespaces(lakehouse, "tester.import_y") == []
    found = records.load(lakehouse, "tester.import_y")
    assert found is not None and found.fresh and found.state["phase"] == "imported"  # a cleanup is not data
    lakehouse.create_namespace(records.MARKER_PREFIX + "dead", "tester.import_y")  # an older version's half save
    assert records.remove_leftover_markers(lakehouse, "tester.import_y") == [records.MARKER_PREFIX + "dead"]
    assert _record_namespaces(lakehouse, "tester.import_y") == []


def test_a_merged_branch_record_is_not_another_branch_record(lakehouse):
    lakehouse.create_branch("tester.import_a", "main")
    records.save(lakehouse, "tester.import_a", {}, {"phase": "passed", "branch": "tester.import_a"}, marker=None)
    lakehouse.merge_branch("tester.import_a", "main")
    lakehouse.create_branch("tester.import_b", "main")
    assert records.load(lakehouse, "tester.import_b") is None
