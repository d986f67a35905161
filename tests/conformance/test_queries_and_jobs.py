"""Queries, scans, exports and the job ledger.

Sources: `Client.scan`, `query_to_*`, `get_job(s)`, `get_job_logs`, `get_job_context(s)`, `cancel_job`
and `import_data` (detach) docstrings in `bauplan/__init__.pyi` 0.3.5; `bauplan/schema.pyi` (Job,
JobKind, JobState, JobLogEvent).
"""

from __future__ import annotations

import json
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx
from bauplan.schema import JobKind, JobState

BRANCH = "tester.q"


@pytest.fixture
def titanic(client, write):
    uri = write("titanic.parquet", pa.table({"Name": ["a", "b", "c", "d"], "Age": [22, 38, 26, 35]}))
    client.create_branch(BRANCH, "main")
    client.create_table("titanic", uri, branch=BRANCH)
    state = client.import_data("titanic", uri, branch=BRANCH)
    return state


def test_scan_docstring_example(client, titanic):
    # scan docstring: columns=['Name'], filters='Age < 30', namespace='bauplan'.
    result = client.scan(table="titanic", ref=BRANCH, namespace="bauplan", columns=["Name"], filters="Age < 30")
    assert result.column_names == ["Name"] and sorted(result["Name"].to_pylist()) == ["a", "c"]
    assert client.scan("titanic", ref=BRANCH, limit=1).num_rows == 1


@pytest.mark.parametrize("filters", ["Age < CAST('30' AS DOUBLE)", "Age::INTEGER < 30", "Age < DOUBLE '30'",
                                     "CAST(Age AS VARCHAR) < '30'",
                                     "Age < 30 AND DATE '2024-01-01' < DATE '2024-02-01'"])
def test_scan_filters_with_casts_and_typed_literals(client, titanic, filters):
    # Casts and typed literals (`DATE '2024-01-01'`) are everyday filters, and the SDK's parser takes them; DuckDB 2
    # reads a cast's target as a TYPE node, which the filter check must accept (it refused every cast before).
    result = client.scan("titanic", ref=BRANCH, columns=["Name"], filters=filters)
    assert sorted(result["Name"].to_pylist()) == ["a", "c"]


def test_scan_refuses_a_cast_to_a_type_that_does_not_exist(client, titanic):
    # DuckDB reads `Name 'x'` as a cast of 'x' to a type named Name; the SDK's parser refuses the text.
    with pytest.raises(ValueError, match="Invalid SQL filter"):
        client.scan("titanic", ref=BRANCH, filters="Name 'x'")


@pytest.mark.parametrize("filters", ["Age IN (SELECT 1)", "Missing = 1", "read_parquet('x') IS NULL"])
def test_scan_refuses_anything_but_a_predicate(client, titanic, filters):
    with pytest.raises(bx.BauplanQueryError):
        client.scan("titanic", ref=BRANCH, filters=filters)


@pytest.mark.parametrize("filters", ["Age < 30) UNION SELECT * FROM titanic --", "Age <", "Name = 'x' OR",
                                     "Age < 30; DROP TABLE titanic", "Age < 30 UNION SELECT * FROM titanic"])
def test_scan_refuses_unparsable_filters_before_running(client, titanic, filters):
    # Bauplan's SDK parses the filter client-side: `ValueError("Invalid SQL filter")` (src/python/query.rs),
    # not a query error from the engine.
    with pytest.raises(ValueError, match="Invalid SQL filter"):
        client.scan("titanic", ref=BRANCH, filters=filters)


@pytest.mark.parametrize("call", [
    lambda c: c.query("SELECT 1 AS x", ref="tester.missing"),
    lambda c: list(c.query_to_generator("SELECT 1 AS x", ref="tester.missing")),
    lambda c: c.scan("titanic", ref="tester.missing"),
    lambda c: c.scan("no_such_table", ref=BRANCH),
    lambda c: c.query("SELECT * FROM no_such_table", ref=BRANCH),
    lambda c: c.query("SELECT 1 AS x", ref="main@" + "0" * 64),
], ids=["query, missing ref", "generator, missing ref", "scan, missing ref", "scan, missing table",
        "query, missing table", "query, unknown commit"])
def test_every_failure_of_a_query_job_is_a_query_error(client, titanic, call):
    # Bauplan's SDK maps the query service's answer, whatever failed, to BauplanQueryError (`query_err` in
    # BauplanLabs/bauplan src/python/query.rs), never to a catalog error such as RefNotFoundError or
    # TableNotFoundError; the service's message is kept.
    with pytest.raises(bx.BauplanQueryError) as raised:
        call(client)
    assert not isinstance(raised.value, bx.BauplanHTTPError)
    assert "missing" in str(raised.value) or "no_such_table" in str(raised.value) or "0000" in str(raised.value)


def test_scan_with_an_empty_column_list_is_refused_before_running(client, titanic):
    # src/python/query.rs, scan: `Some([]) => ValueError("Empty column list")`.
    with pytest.raises(ValueError, match="Empty column list"):
        client.scan("titanic", ref=BRANCH, columns=[])


def test_query_to_files_and_generator(client, titanic, tmp_path):
    query = "SELECT Name, Age FROM titanic ORDER BY Age"
    rows = list(client.query_to_generator(query, ref=BRANCH))
    assert rows[0] == {"Name": "a", "Age": 22} and len(rows) == 4
    assert pq.read_table(client.query_to_parquet_file(tmp_path / "o.parquet", query, ref=BRANCH)).num_rows == 4
    assert client.query_to_csv_file(tmp_path / "o.csv", query, ref=BRANCH).read_text().startswith('"Name","Age"')
    assert json.loads(client.query_to_json_file(tmp_path / "o.json", query, ref=BRANCH).read_text())[0]["Age"] == 22
    lines = client.query_to_json_file(tmp_path / "o.jsonl", query, ref=BRANCH, file_format="jsonl")
    assert len(lines.read_text().splitlines()) == 4


def test_every_call_is_a_job(client, titanic):
    client.query("SELECT 1 AS x", ref=BRANCH)
    jobs = list(client.get_jobs())
    kinds = {str(j.kind) for j in jobs}
    assert {"TablePlanCreate", "TablePlanCreateApply", "TableImport", "Query"} <= kinds
    job = client.get_job(titanic.job_id)
    assert job.kind == JobKind.TABLE_IMPORT and job.status == JobState.COMPLETE and job.user == "tester"
    assert job.human_readable_status == "complete" and job.finished_at >= job.started_at
    # get_job_logs and a context's logs are the job's user-code logs only (src/python/job.rs keeps
    # `RuntimeUserLog` events): an import runs no user code, so there are none. Its own lines are local details.
    assert client.get_job_logs(job) == []
    context = client.get_job_context(job.id, include_logs=True)
    assert context.id == job.id and context.ref == BRANCH and context.logs == []
    assert any("titanic.parquet" in event.message for event in client.job_details(job.id).logs)
    # tx_ref is the job's transaction branch, a name (src/python/job.rs: `ctx.transaction_branch.map(|b| b.name)`).
    assert context.tx_ref == BRANCH
    assert [c.id for c in client.get_job_contexts([job])] == [job.id]


def test_get_jobs_filters(client, titanic):
    imports = list(client.get_jobs(filter_by_kinds=JobKind.TABLE_IMPORT))
    assert [j.id for j in imports] == [titanic.job_id]
    assert list(client.get_jobs(filter_by_kinds="TableImport", filter_by_statuses=[JobState.FAIL])) == []
    assert [j.id for j in client.get_jobs(filter_by_ids=titanic.job_id)] == [titanic.job_id]
    assert len(list(client.get_jobs(limit=2))) == 2
    newest = next(client.get_jobs())
    assert list(client.get_jobs(filter_by_created_after=newest.created_at)) == []
    assert list(client.get_jobs(filter_by_current_user=False, filter_by_users="someone_else")) == []
    # Named users win over filter_by_current_user (Bauplan's SDK sends all_users=True with them:
    # src/python/job.rs, get_jobs), so this is not an error.
    assert [j.id for j in client.get_jobs(filter_by_users="tester")] == [j.id for j in client.get_jobs()]
    with pytest.raises(ValueError, match="invalid job kind"):
        client.get_jobs(filter_by_kinds="Pipelines")
    # The SDK's parser takes any case, '-' or '_', and PascalCase (src/grpc/job.rs; python/tests/test_iterators.py
    # calls get_jobs(filter_by_kinds="query")).
    assert len(list(client.get_jobs(filter_by_kinds=["table-import"]))) == len(imports)
    assert list(client.get_jobs(filter_by_kinds="query", filter_by_statuses="not-started")) == []


def test_detached_import_completes_in_the_background(client, write):
    # import_data docstring: "detach: return immediately without waiting for the job to finish".
    uri = write("d.parquet", pa.table({"id": list(range(100))}))
    client.create_branch(BRANCH, "main")
    client.create_table("d", uri, branch=BRANCH)
    state = client.import_data("d", uri, branch=BRANCH, detach=True)
    # python/tests/test_import.py, test_detached_import: `assert state.job_status is None`.
    assert state.job_status is None and state.error is None
    for thread in threading.enumerate():
        if thread.name == f"wap-import-{state.job_id[:8]}":
            thread.join(timeout=60)
    assert client.get_job(state.job_id).status == JobState.COMPLETE
    assert client.query("SELECT COUNT(*) AS n FROM d", ref=BRANCH).to_pylist() == [{"n": 100}]


def test_cancel_job_stops_an_import_before_it_commits(client, write, monkeypatch):
    uri = write("c.parquet", pa.table({"id": [1]}))
    client.create_branch(BRANCH, "main")
    client.create_table("c", uri, branch=BRANCH)
    head = client.get_branch(BRANCH).hash
    from wap_notebook.lakehouse import jobs

    real_mark = jobs.JobLedger.mark_running

    def cancel_as_it_starts(self, job_id):  # the user cancels while the job is starting
        real_mark(self, job_id)
        client.cancel_job(job_id)

    monkeypatch.setattr(jobs.JobLedger, "mark_running", cancel_as_it_starts)
    state = client.import_data("c", uri, branch=BRANCH)
    # Bauplan's status string for a cancelled job (src/grpc.rs, JobError::status_str).
    assert state.job_status == "CANCELLED" and "cancelled" in state.error
    assert client.get_job(state.job_id).status == JobState.ABORT
    assert client.get_branch(BRANCH).hash == head  # nothing was committed
    client.cancel_job(state.job_id)  # cancelling a finished job changes nothing
    with pytest.raises(bx.NotFoundError):
        client.cancel_job("no-such-job")


def test_local_only_facts_live_in_job_details(client, titanic):
    # The SDK's TableDataImportState has ctx/error/job_id/job_status only (state.pyi).
    assert not hasattr(titanic, "rows_imported")
    details = client.job_details(titanic.job_id)
    assert details.rows_imported == 4 and len(details.files_imported) == 1 and details.files_failed == {}
    assert details.commit_hash == next(client.get_commits(BRANCH, limit=1)).ref.hash


def test_args_are_checked_and_logged_not_ignored(client, titanic, caplog):
    # The SDK takes any dict of strings (a TypeError otherwise); they are backend flags of Bauplan's cloud, so
    # locally the call runs and the log says they had no effect.
    with pytest.raises(TypeError, match="args"):
        client.query("SELECT 1 AS x", ref=BRANCH, args={"engine": 1})
    with caplog.at_level("INFO", logger="wap_notebook.lakehouse.client"):
        assert client.query("SELECT 1 AS x", ref=BRANCH, args={"engine": "x"}).num_rows == 1
    assert "without effect" in caplog.text
