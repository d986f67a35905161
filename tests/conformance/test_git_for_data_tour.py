"""The git-for-data tour, step by step, with `client.run(...)` replaced by create_table + import_data.

Source: BauplanLabs/bauplan, examples/learn/05-advanced-git-for-data/git_for_data_tour.py (commit 014a9f7).
The tour's first step deletes leftover tables directly on `main`; the embedded lakehouse protects main
(see README, "Backends"), so the clean slate here is a fresh lakehouse instead.
"""

from __future__ import annotations

import pyarrow as pa

TABLE = "my_taxxxi_zones"
RUN_ID_QUERY = f"SELECT run_id FROM {TABLE}"


def _run(client, write, branch: str, run_id: int):
    """What the tour's pipeline does: (re)build the table with one row carrying `run_id`."""
    uri = write(f"run_{run_id}.parquet", pa.table({"run_id": [run_id]}))
    client.create_table(TABLE, uri, branch=branch, replace=True)
    return client.import_data(TABLE, uri, branch=branch)


def test_tour(client, write):
    user = client.info().user
    username, full_name = user.username, user.full_name
    assert full_name is not None and username is not None  # tour: both are asserted present
    branch = f"{username}.commit_flow"
    tag = "compliance_tag"

    # "a new branch shares the same HEAD as its source — zero-copy"
    client.create_branch(branch, from_ref="main")
    mine = next(iter(client.get_commits(branch, limit=1)))
    source = next(iter(client.get_commits("main", limit=1)))
    assert mine.ref.hash == source.ref.hash

    run_1 = _run(client, write, branch, 1)
    assert run_1.job_id is not None and run_1.job_status == "SUCCESS"
    last = next(iter(client.get_commits(branch, limit=1)))
    assert last.ref.hash != source.ref.hash
    # "the commit tracks which job produced it"
    assert last.properties["bpln_job_id"] == run_1.job_id

    _run(client, write, branch, 2)
    assert client.query(RUN_ID_QUERY, ref=branch).to_pylist() == [{"run_id": 2}]
    # time travel: a commit's ref addresses that commit, not the branch head
    assert client.query(RUN_ID_QUERY, ref=last.ref).to_pylist() == [{"run_id": 1}]

    if client.has_tag(tag):
        client.delete_tag(tag)
    client.create_tag(tag, last.ref)  # tags the run-1 commit

    # audit by author name
    history = client.get_commits(branch, filter_by_author_name=full_name, limit=5)
    assert any(c.ref.hash == last.ref.hash for c in history)
    target_tag = client.get_tag(tag)
    assert client.query(RUN_ID_QUERY, ref=target_tag).to_pylist() == [{"run_id": 1}]

    # a failed job leaves the branch untouched (tour: run 5 fails transactionally)
    failed = client.import_data(TABLE, write("bad.parquet", pa.table({"run_id": ["not an int"]})), branch=branch)
    assert failed.job_status != "SUCCESS" and failed.job_id is not None and failed.error
    assert client.query(RUN_ID_QUERY, ref=branch).to_pylist() == [{"run_id": 2}]

    client.revert_table(table=TABLE, source_ref=target_tag, into_branch=branch,
                        commit_body=f"Revert to tag {tag}", replace=True)
    assert client.query(RUN_ID_QUERY, ref=branch).to_pylist() == [{"run_id": 1}]
    reverted = next(iter(client.get_commits(branch, limit=1)))
    assert reverted.message and reverted.body == f"Revert to tag {tag}"

    client.delete_branch(branch)
    if client.has_tag(tag):
        client.delete_tag(tag)
    assert not client.has_branch(branch) and not client.has_tag(tag)


def test_multi_step_transaction(client, write):
    """The tour's second half: ingest on a branch, count, merge to main, delete the branch."""
    branch = f"{client.info().user.username}.multi_step_transaction"
    uri = write("trips.parquet", pa.table({"trip": list(range(25))}))
    client.create_branch(branch, from_ref="main")
    client.create_table(table="transactional_ingested_table", search_uri=uri, branch=branch, replace=True)
    state = client.import_data(table="transactional_ingested_table", search_uri=uri, branch=branch,
                               client_timeout=60 * 60)
    assert not state.error, f"Import failed: {state.error}"
    count = client.query("SELECT COUNT(*) AS n FROM transactional_ingested_table", ref=branch).to_pylist()[0]["n"]
    assert count == 25
    client.merge_branch(source_ref=branch, into_branch="main")
    client.delete_branch(branch)
    assert client.has_table("transactional_ingested_table", ref="main")
