"""Iterating on checks without re-importing: `validate(checks=...)` on the same branch, a re-run
`%%wap_ingest` cell, SQL on the branch (`query`, `%%wap_sql`) and the table's history."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import wap_notebook
from wap_notebook import LocalClient
from wap_notebook import checks as C
from wap_notebook.demo.sample_data import orders_append_batch, orders_batch
from wap_notebook.errors import InvalidSpec, MergeRefused
from wap_notebook.ingestion import Ingestion


def _commits(client: LocalClient, ref: str) -> int:
    return len(list(client.get_commits(ref, limit=1000)))


def test_validate_with_other_checks_reuses_the_branch_and_a_failure_blocks_the_merge(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o.parquet", orders_batch(120)), client=lakehouse,
                    checks=[C.not_null("order_id")]).run()
    assert ing.passed is True
    branch, files, commits = ing.branch, ing.files_imported, _commits(lakehouse, ing.branch)
    report = ing.validate(checks="- between: {column: amount, min: 0, max: 1}")
    assert ing.branch == branch and ing.files_imported == files
    assert "between(amount)" in set(report["check"]) and ing.passed is False
    assert _commits(lakehouse, branch) - commits <= 2  # a record only: nothing imported again
    with pytest.raises(MergeRefused):
        ing.merge()
    # The new checks are what a resume sees.
    resumed = Ingestion.resume(branch, client=lakehouse)
    assert [c.name for c in resumed.spec.checks["orders"]] == ["between(amount)"] and resumed.passed is False
    ing.validate(checks=[C.between("amount", 0, 100_000)])
    assert ing.passed is True
    assert ing.merge()


def test_bad_new_checks_change_nothing(lakehouse, put_table):
    ing = Ingestion("orders", put_table("o.parquet", orders_batch(20)), client=lakehouse,
                    checks=[C.not_null("order_id")]).run()
    with pytest.raises(InvalidSpec):
        ing.validate(checks="- between: {column: amount}")
    assert [c.name for c in ing.spec.checks["orders"]] == ["not_null(order_id)"] and ing.passed is True


def test_query_runs_on_the_branch_and_history_reads_the_merges(lakehouse, put_table):
    first = Ingestion("orders", put_table("a.parquet", orders_batch(120)), client=lakehouse,
                      checks=[C.unique("order_id")], on_success="merge").run()
    second = Ingestion("orders", put_table("b.parquet", orders_append_batch(121, 30)), client=lakehouse,
                       checks=[C.unique("order_id")]).run()
    counted = second.query("SELECT COUNT(*) AS n FROM {table}")
    assert int(counted["n"][0]) == 150  # the branch: main's 120 and the batch's 30
    assert int(lakehouse.query('SELECT COUNT(*) AS n FROM "bauplan"."orders"', ref="main").column(0)[0].as_py()) == 120
    with pytest.raises(InvalidSpec):
        second.query("   ")
    second.merge()
    history = wap_notebook.history("orders", client=lakehouse)
    assert list(history["rows_added"]) == [30, 120]
    assert list(history["merge_commit"]) == [second.merge_commit, first.merge_commit]
    assert set(history["verdict"]) == {"passed"} and history["checks"][0] == [{"unique": {"columns": ["order_id"]}}]
    assert len(wap_notebook.history("orders", client=lakehouse, limit=1)) == 1
    assert wap_notebook.history("customers", client=lakehouse).empty


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_LAKEHOUSE_PATH", str(tmp_path / "lakehouse"))
    monkeypatch.setenv("WAP_BACKEND", "local")
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "wap_notebook")
    ip.user_ns.pop("ingestion", None)
    yield ip
    ip.run_line_magic("unload_ext", "wap_notebook")


def _branches(tmp_path) -> list[str]:
    return sorted(b.name for b in LocalClient(tmp_path / "lakehouse").get_branches() if b.name != "main")


def test_rerunning_a_cell_revalidates_its_open_branch(shell, put_table, tmp_path, capsys):
    shell.user_ns["uri"] = put_table("o.parquet", orders_batch(50))
    shell.user_ns["other"] = put_table("p.parquet", orders_batch(40))
    cell = "%%wap_ingest orders {uri} --no-panel\n- between: {column: amount, min: 0, max: 100000}\n"
    assert shell.run_cell(cell).success
    first = shell.user_ns["ingestion"]
    assert first.passed is True
    capsys.readouterr()
    assert shell.run_cell(cell.replace("100000", "1")).success  # a tighter bound, same sources
    out = capsys.readouterr().out
    assert "re-validating it" in out and shell.user_ns["ingestion"] is first
    assert first.passed is False and _branches(tmp_path) == [first.branch]
    # --reimport imports again and the earlier unmerged branch goes; so do other sources.
    assert shell.run_cell(cell.replace(" --no-panel", " --no-panel --reimport")).success
    second = shell.user_ns["ingestion"]
    assert "discarded the earlier unmerged ingestion" in capsys.readouterr().out
    assert second is not first and _branches(tmp_path) == [second.branch]
    assert shell.run_cell(cell.replace("{uri}", "{other}")).success
    assert "(other sources)" in capsys.readouterr().out and _branches(tmp_path) == [shell.user_ns["ingestion"].branch]
    # %%wap_sql on the last ingestion's branch.
    result = shell.run_cell("%%wap_sql\nSELECT COUNT(*) AS n FROM {table}\n")
    assert result.success and int(result.result["n"][0]) == 40


def test_rerunning_a_cell_under_another_name_finds_its_open_branch_by_table_and_sources(shell, put_table, tmp_path,
                                                                                        capsys):
    """The earlier ingestion is found by the cell, its tables and its sources, not only by the cell's `--as`
    name: renaming the variable while editing a bound re-validates the open branch and never leaves a second
    one. Another cell importing the same files is another ingestion."""
    shell.user_ns["uri"] = put_table("o.parquet", orders_batch(50))
    shell.user_ns["first"] = shell.user_ns["second"] = None  # whatever the names held before
    cell = "%%wap_ingest orders {uri} --no-panel --as first\n- between: {column: amount, min: 0, max: 100000}\n"
    assert shell.run_cell(cell, cell_id="cell-a").success
    first = shell.user_ns["first"]
    assert first.passed is True
    capsys.readouterr()
    assert shell.run_cell(cell.replace("--as first", "--as second").replace("100000", "1"), cell_id="cell-a").success
    assert "re-validating it" in capsys.readouterr().out
    assert shell.user_ns["second"] is first and first.passed is False and _branches(tmp_path) == [first.branch]
    # --reimport under a third name imports anew and discards the earlier branch of the same batch.
    assert shell.run_cell(cell.replace("--as first", "--as third --reimport"), cell_id="cell-a").success
    assert "discarded the earlier unmerged ingestion" in capsys.readouterr().out
    third = shell.user_ns["third"]
    assert third is not first and _branches(tmp_path) == [third.branch]
    # Another cell with the same files and a name of its own: a second ingestion, the first one kept.
    shell.user_ns["frame"] = pd.DataFrame()  # a name may hold anything before: not an ingestion, not replaced
    assert shell.run_cell(cell.replace("--as first", "--as frame"), cell_id="cell-b").success
    assert shell.user_ns["frame"] is not third and len(_branches(tmp_path)) == 2
