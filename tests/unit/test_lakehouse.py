"""The embedded lakehouse against a real moto S3 server: branches, tables, imports, queries, merges."""


from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from bauplan import exceptions as bx
from shared_data import BRANCH

from wap_notebook import LocalClient


def test_fresh_lakehouse_has_main_with_default_namespace(lakehouse):
    assert lakehouse.has_branch("main")
    assert lakehouse.has_namespace("bauplan", "main")
    assert lakehouse.info().user.username == "tester"
    assert list(lakehouse.get_tables("main")) == []


@pytest.mark.parametrize("sql", [
    "INSERT INTO bauplan.orders VALUES (1)",
    "DELETE FROM bauplan.orders",
    "CREATE TABLE x AS SELECT 1",
    "DROP TABLE bauplan.orders",
    "COPY (SELECT 1) TO '/tmp/x.csv'",
    "ATTACH '/tmp/x.db' AS x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET threads=1",
    "PRAGMA version",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT 1; SELECT 2",
])
def test_queries_are_read_only_and_sandboxed(lakehouse, sql):
    with pytest.raises(bx.BauplanQueryError):
        lakehouse.query(sql, ref="main")


@pytest.mark.parametrize("name", ["a'b", "x;drop", "a b", "ä", "../etc", "1abc", ""])
def test_hostile_table_names_are_rejected(lakehouse, name):
    with pytest.raises(ValueError, match="Invalid table name"):
        lakehouse.create_table(name, "s3://bucket/x.parquet", branch="main")


def test_protected_refs(lakehouse):
    with pytest.raises(bx.DeleteBranchForbiddenError):
        lakehouse.delete_branch("main")
    with pytest.raises(bx.SameRefError):
        lakehouse.merge_branch("main", "main")
    with pytest.raises(bx.CreateBranchForbiddenError, match="tester."):
        lakehouse.create_branch("someone_else.branch", "main")
    with pytest.raises(bx.InvalidRefError, match="Invalid branch name"):
        lakehouse.create_branch("tester.bad name", "main")
    with pytest.raises(bx.ForbiddenError):
        lakehouse.create_table("t", "s3://bucket/x.parquet", branch="main")


def test_connect_picks_backend(tmp_path, monkeypatch):
    from wap_notebook import connect
    from wap_notebook.backend import resolve_backend

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WAP_LAKEHOUSE_PATH", str(tmp_path / "lh"))
    assert isinstance(connect(), LocalClient)
    assert Path(connect().path) == (tmp_path / "lh").resolve()
    monkeypatch.setenv("BAUPLAN_API_KEY", "secret-key-value")
    assert resolve_backend("auto") == "bauplan"
    monkeypatch.setenv("WAP_BACKEND", "local")
    assert resolve_backend("auto") == "local"
    with pytest.raises(ValueError, match="auto, local, bauplan"):
        connect("cloud")


def test_a_job_whose_process_died_reads_as_failed(lakehouse):
    """A detached job left RUNNING by a killed kernel must not look alive forever."""
    job_id = lakehouse._jobs.start("TABLE_IMPORT", "tester", ref=BRANCH)
    dead = multiprocessing.Process(target=os.getpid)
    dead.start()
    dead.join()
    with lakehouse._catalog.write() as con:
        con.execute("UPDATE jobs SET pid = ? WHERE id = ?", (dead.pid, job_id))
    job = lakehouse.get_job(job_id)
    assert str(job.status) == "Fail" and "exited" in job.error_message
    assert [j.id for j in lakehouse.get_jobs(filter_by_statuses="FAIL")] == [job_id]
    assert list(lakehouse.get_jobs(filter_by_statuses="RUNNING")) == []


def test_failed_queries_are_failed_jobs(lakehouse):
    with pytest.raises(bx.BauplanQueryError):
        lakehouse.query("SELECT * FROM missing_table", ref="main")
    job = next(lakehouse.get_jobs(filter_by_kinds="QUERY"))
    assert str(job.status) == "Fail" and "missing_table" in job.error_message
    context = lakehouse.get_job_context(job, include_logs=True)
    assert context.sql_query == "SELECT * FROM missing_table" and context.ref.startswith("main@")
    assert context.logs == []  # user-code logs only, as Bauplan's; the job's own lines are local details
    assert str(lakehouse.job_details(job.id).logs[-1].level) == "JobLogLevel.ERROR"


@pytest.mark.parametrize(("setting", "expected"), [("null", [None, "", "NA"]), ("keep", ["", "", "NA"])])
def test_csv_empty_strings_setting_decides_what_an_unquoted_empty_text_cell_is(tmp_path, setting, expected):
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,\n2,""\n3,NA\n')
    lake = LocalClient(path=tmp_path / "lake", username="tester", csv_empty_strings=setting)
    lake.create_branch("tester.notes", "main")
    lake.create_table("notes", str(path), branch="tester.notes")
    assert lake.import_data("notes", str(path), branch="tester.notes").error is None
    notes = lake.query("SELECT note FROM notes ORDER BY id", ref="tester.notes").column("note").to_pylist()
    assert notes == expected


def test_an_unknown_csv_empty_strings_setting_is_refused(tmp_path):
    with pytest.raises(ValueError, match="csv_empty_strings must be one of"):
        LocalClient(path=tmp_path / "lake", csv_empty_strings="empty")  # type: ignore[arg-type]
