"""The durable ingestion record on the import branch (`wap_notebook.engine.records`), on the embedded lakehouse."""


from __future__ import annotations

import pyarrow as pa

from wap_notebook.engine import records


def test_two_saves_leave_no_namespace_and_track_freshness(lakehouse, put_table):
    lakehouse.create_branch("tester.import_x", "main")
    assert records.load(lakehouse, "tester.import_x") is None
    before = sorted(n.name for n in lakehouse.get_namespaces("tester.import_x"))
    spec = {"sources": {"t": "s3://b/t.parquet"}}
    marker = records.save(lakehouse, "tester.import_x", spec, {"phase": "imported", "branch": "tester.import_x"},
                          marker=None)
    records.save(lakehouse, "tester.import_x", spec, {"phase": "imported", "branch": "tester.import_x"},
                 marker=marker)
    found = records.load(lakehouse, "tester.import_x")
    assert found is not None and found.fresh and found.state["phase"] == "imported"
    assert found.spec == {"sources": {"t": "s3://b/t.parquet"}}
    assert sorted(n.name for n in lakehouse.get_namespaces("tester.import_x")) == before
    # a data commit after the record makes it stale
    uri = put_table("r/t.parquet", pa.table({"a": [1, 2]}))
    lakehouse.create_table("t", uri, branch="tester.import_x", namespace="bauplan")
    stale = records.load(lakehouse, "tester.import_x")
    assert stale is not None and not stale.fresh and stale.state["phase"] == "imported"


def test_records_cost_one_commit_each_and_never_reach_main(lakehouse, put_table):
    from wap_notebook import checks as C
    from wap_notebook.ingestion import Ingestion

    def commits(ref: str) -> list:
        return list(lakehouse.get_commits(ref))

    Ingestion("t", put_table("r/seed.parquet", pa.table({"a": [1, 2]})), client=lakehouse, checks=[],
              on_success="merge").run()
    on_main = len(commits("main"))
    ing = Ingestion("t", put_table("r/more.parquet", pa.table({"a": [3, 4]})), client=lakehouse,
                    checks=[C.not_null("a")]).run()  # left open: one record, above the data
    branch = commits(ing.branch)
    assert records.STATE_KEY in branch[0].properties and records.STATE_KEY not in branch[1].properties
    ing.validate()
    ing.validate()
    assert len(commits(ing.branch)) == len(branch) + 2  # one commit per record
    ing.merge()
    published = commits("main")
    assert len(published) == on_main + 2  # the import and the merge: no record
    assert not any(records.STATE_KEY in (c.properties or {}) for c in published)
    assert not any(n.name.startswith(records.MARKER_PREFIX) for n in lakehouse.get_namespaces("main"))
