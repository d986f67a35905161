"""`%wap_ingest` / `%%wap_ingest` through a real IPython shell, on the embedded lakehouse and moto S3."""


from __future__ import annotations

import re

import pytest
from shared_data import GOOD_CHECKS

from wap_notebook import LocalClient
from wap_notebook.demo.sample_data import orders_append_batch, orders_bad_batch, orders_batch
from wap_notebook.notebook.panel.widget import STATIC_TEXT


@pytest.fixture
def uris(put_table):
    return {
        "orders": put_table("orders/batch-001/part-000.parquet", orders_batch(120)),
        "bad": put_table("orders/batch-002/part-000.parquet", orders_bad_batch()),
        "append": put_table("orders/batch-003/part-000.parquet", orders_append_batch(121, 30)),
    }


def run(shell, source: str):
    result = shell.run_cell(source)
    return result


def branches(path) -> list[str]:
    return sorted(b.name for b in LocalClient(path).get_branches())


def test_line_magic_expands_variables_binds_and_merges(shell, uris, lake_path, capsys):
    shell.user_ns["uri"] = uris["orders"]
    result = run(shell, "%wap_ingest orders {uri} --no-panel --on-success merge --as ing")
    result.raise_error()
    ing = shell.user_ns["ing"]
    assert result.result is ing
    assert ing.phase == "merged" and ing.merge_commit
    out = capsys.readouterr().out
    assert "merged into main" in out and "row_count" in out
    lake = LocalClient(lake_path)
    assert lake.query("SELECT COUNT(*) AS n FROM bauplan.orders", ref="main").column("n")[0].as_py() == 120
    assert branches(lake_path) == ["main"]  # merged branch cleaned up


def test_cell_magic_yaml_checks_catch_a_bad_batch(shell, uris, lake_path, capsys):
    run(shell, f"%wap_ingest orders {uris['orders']} --no-panel --on-success merge").raise_error()
    shell.user_ns["uri"] = uris["bad"]
    cell = "%%wap_ingest orders {uri} --no-panel --as bad\n" + GOOD_CHECKS
    run(shell, cell).raise_error()
    bad = shell.user_ns["bad"]
    assert bad.phase == "failed" and bad.passed is False
    report = bad.report.set_index("check")
    assert report.loc["not_null(order_id, customer_id)", "status"] == "failed"
    assert report.loc["unique(order_id)", "status"] == "failed"
    assert report.loc["between(amount)", "failing_rows"] == 2
    assert report.loc["accepted_values(status)", "failing_rows"] == 2
    assert report.loc["ship_after_order", "severity"] == "warn"
    assert bad.branch in branches(lake_path)  # --on-failure inspect keeps it
    assert "failed" in capsys.readouterr().out


def test_on_failure_delete_and_mode_option(shell, uris, lake_path):
    run(shell, f"%wap_ingest orders {uris['orders']} --no-panel --on-success merge").raise_error()
    cell = f"%%wap_ingest orders {uris['bad']} --no-panel --on-failure delete --mode append --as bad\n"
    cell += "- unique: order_id"
    run(shell, cell).raise_error()
    bad = shell.user_ns["bad"]
    assert bad.phase in ("discarded", "failed")
    assert bad.branch not in branches(lake_path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- frobnicate: order_id", "item 1 ({frobnicate: order_id}): unknown check 'frobnicate'"),
        ("- unique: order_id\n- between: {min: 0}", "item 2 ({between: {min: 0}}): missing a required argument"),
        ("- unique: [order_id\n", "invalid YAML"),
        ("- unique: order_id\n  severity: fatal", "severity must be one of error, warn"),
    ],
)
def test_bad_checks_fail_before_any_branch(shell, uris, lake_path, body, expected, capsys):
    result = run(shell, f"%%wap_ingest orders {uris['orders']} --no-panel\n{body}")
    assert result.error_in_exec is not None
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert expected in str(result.error_in_exec)
    assert "ingestion" not in shell.user_ns
    assert branches(lake_path) == ["main"]
    assert "Traceback" not in capsys.readouterr().out


def test_bad_options_are_usage_errors(shell, uris, lake_path):
    result = run(shell, f"%wap_ingest orders {uris['orders']} --mode upsert")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "append" in str(result.error_in_exec)  # lists the allowed values
    result = run(shell, f"%wap_ingest 'orders; DROP TABLE x' {uris['orders']} --no-panel")
    assert type(result.error_in_exec).__name__ == "UsageError"
    result = run(shell, f"%wap_ingest orders {uris['orders']} --as 1abc")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert branches(lake_path) == ["main"]


def test_panel_is_displayed_once_and_the_object_returned(shell, uris, capsys):
    shell.user_ns["uri"] = uris["orders"]
    result = run(shell, "%wap_ingest orders {uri}")
    result.raise_error()
    ing = shell.user_ns["ingestion"]
    assert result.result is ing and ing.phase == "passed"
    out = capsys.readouterr().out
    # The plain shell prints the text/plain of what is displayed: the panel and its saved view when shown
    # (before the run), the saved view when brought up to date (after it); the returned value is not
    # displayed a second time.
    assert out.startswith(STATIC_TEXT)  # the panel's own text says no phase: it would go stale
    assert "orders: checks passed" in out
    assert re.search(r"Out\[\d+\]: *$", out.rstrip("\n"))  # the result prompt with nothing after it
    # the same object shows its panel (and saved view) when displayed again in a later cell
    run(shell, "ingestion").raise_error()
    again = capsys.readouterr().out
    assert STATIC_TEXT in again and "orders: checks passed" in again


def test_background_run_returns_at_once_and_finishes(shell, uris):
    from wap_notebook.notebook.panel.widget import panel_for

    run(shell, f"%wap_ingest orders {uris['orders']} --background --as ing").raise_error()
    ing = shell.user_ns["ing"]
    panel = panel_for(ing)
    assert panel.wait(60)
    assert ing.phase == "passed"
    assert "passed" in panel.status.value


def test_append_with_line_magic_defaults(shell, uris, lake_path):
    run(shell, f"%wap_ingest orders {uris['orders']} --no-panel --on-success merge").raise_error()
    run(shell, f"%wap_ingest orders {uris['append']} --no-panel --on-success merge --as more").raise_error()
    more = shell.user_ns["more"]
    assert more.phase == "merged"
    assert more.rows_added == {"orders": 30}
    assert set(more.report["check"]) >= {"row_count", "schema_compatible"}


@pytest.mark.parametrize(("line", "named"), [
    ("--on-succes merge", "--on-succes"),   # argparse would take it for --on-success
    ("--on merge", "--on"),                 # ambiguous prefix
    ("--frobnicate", "--frobnicate"),       # unknown option
    ("--no-pan", "--no-pan"),
])
def test_typos_in_options_are_refused_not_guessed(shell, uris, lake_path, line, named):
    shell.user_ns["uri"] = uris["orders"]
    result = run(shell, "%wap_ingest orders {uri} " + line)
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert named in str(result.error_in_exec)
    assert "ingestion" not in shell.user_ns
    assert branches(lake_path) == ["main"]
    assert not LocalClient(lake_path).has_table("orders", "main", namespace="bauplan")


@pytest.mark.parametrize("cell", [False, True])
def test_undefined_name_is_a_usage_error_before_any_branch(shell, uris, lake_path, cell, capsys):
    # IPython leaves `{uri_typo}` as literal text; the magic names it instead of importing it
    shell.user_ns["uri"] = uris["orders"]
    source = "%wap_ingest orders {uri_typo} --no-panel --on-success merge"
    if cell:
        source = "%" + source + "\n- unique: order_id\n"
    result = run(shell, source)
    assert type(result.error_in_exec).__name__ == "UsageError"
    message = str(result.error_in_exec)
    assert "{uri_typo}" in message and "not defined" in message and "no branch was created" in message
    assert "ingestion" not in shell.user_ns
    assert branches(lake_path) == ["main"]
    assert "Traceback" not in capsys.readouterr().out


def test_expressions_and_escaped_braces_still_expand(shell, uris, lake_path):
    shell.user_ns["where"] = {"orders": uris["orders"]}
    shell.user_ns["target"] = "orders"
    run(shell, "%wap_ingest $target {where['orders']} --no-panel --as ing").raise_error()
    assert shell.user_ns["ing"].sources == {"orders": uris["orders"]}
    result = run(shell, "%wap_ingest orders {where['nope']} --no-panel")
    assert type(result.error_in_exec).__name__ == "UsageError" and "KeyError" in str(result.error_in_exec)
    result = run(shell, "%wap_ingest orders s3://b/{{x}}/a.parquet {")
    assert type(result.error_in_exec).__name__ == "UsageError" and "literal braces" in str(result.error_in_exec)


def test_unreachable_bauplan_is_one_line_with_the_way_out(shell, uris, lake_path, monkeypatch, capsys):
    # a real bauplan.Client with a key and no server behind its endpoint
    monkeypatch.delenv("WAP_BACKEND")
    monkeypatch.setenv("BAUPLAN_API_KEY", "sk-never-print-me")
    monkeypatch.setenv("BAUPLAN_API_ENDPOINT", "http://127.0.0.1:9")
    shell.user_ns["uri"] = uris["orders"]
    for line in ("%wap_ingest orders {uri}", "%wap_ingest orders {uri} --backend bauplan"):
        result = run(shell, line)
        assert type(result.error_in_exec).__name__ == "UsageError"
        message = str(result.error_in_exec)
        assert "\n" not in message and len(message) < 400
        assert "cannot reach the Bauplan backend (tcp connect error)" in message
        assert "--backend local" in message and "tonic" not in message
        assert "sk-never-print-me" not in message + capsys.readouterr().out
    assert branches(lake_path) == ["main"]
    # the way out works, from the same shell
    run(shell, "%wap_ingest orders {uri} --backend local --no-panel --as ing").raise_error()
    assert shell.user_ns["ing"].phase == "passed"


def test_duplicate_files_advice_can_be_followed_from_the_magic(shell, uris, lake_path, capsys):
    # the refusal recommends an option; the magic has it, and it does what it says
    shell.user_ns["uri"] = uris["orders"]
    run(shell, "%wap_ingest orders {uri} --no-panel --on-success merge").raise_error()
    run(shell, "%wap_ingest orders {uri} --no-panel --on-success merge --as again").raise_error()
    again = shell.user_ns["again"]
    assert again.phase == "failed" and "--import-duplicate-files" in again.error
    assert "--import-duplicate-files" in capsys.readouterr().out
    run(shell, "%wap_ingest orders {uri} --no-panel --import-duplicate-files --as forced_again").raise_error()
    forced_again = shell.user_ns["forced_again"]
    assert forced_again.phase == "passed" and forced_again.rows_added == {"orders": 120}
    cell = "%%wap_ingest orders {uri} --no-panel --import-duplicate-files --as gated\n- unique: order_id\n"
    run(shell, cell).raise_error()
    assert shell.user_ns["gated"].phase == "failed"  # re-imported rows still meet the gate's checks


def test_no_checks_in_the_shell_reuses_the_tables_checks_and_says_so(shell, uris, lake_path, capsys):
    # a line magic with no checks no longer merges a bad batch without a word
    shell.user_ns["uri"] = uris["orders"]
    run(shell, "%%wap_ingest orders {uri} --no-panel --on-success merge\n" + GOOD_CHECKS).raise_error()
    shell.user_ns["uri"] = uris["bad"]
    run(shell, "%wap_ingest orders {uri} --no-panel --on-success merge --on-conflict rebase --as bad").raise_error()
    bad = shell.user_ns["bad"]
    assert bad.spec.checks_source == "remembered" and bad.spec.on_conflict == "rebase"
    assert bad.phase == "failed"
    out = capsys.readouterr().out
    assert "NOTE: no checks given: the checks of the last ingestion merged into the table ran" in out
    lake = LocalClient(lake_path)
    assert lake.query("SELECT COUNT(*) AS n FROM bauplan.orders", ref="main").column("n")[0].as_py() == 120
