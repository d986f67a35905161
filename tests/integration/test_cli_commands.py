"""The command line finishes the job: list, show, merge (the gate holds), discard, resume, prune, history;
headings that say what happened; reports with messages and failing values."""

from __future__ import annotations

import pytest
from shared_data import main_count

from wap_notebook import LocalClient
from wap_notebook.cli.main import EXIT_GATE_FAILED, EXIT_PASSED, EXIT_USAGE, build_parser
from wap_notebook.cli.main import main as cli_main
from wap_notebook.demo.sample_data import orders_bad_batch, orders_batch


def open_branches(path) -> list[str]:
    return sorted(b.name for b in LocalClient(path).get_branches() if b.name != "main")




def test_a_failed_branch_is_listed_shown_and_merged_only_with_force_and_reason(lake, checks_file, put_table,
                                                                               capsys):
    good = put_table("cli/good.parquet", orders_batch(100))
    bad = put_table("cli/bad.parquet", orders_bad_batch())
    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file), "--on-success", "merge"]) == EXIT_PASSED
    assert cli_main(["ingest", "orders", bad, "--checks", str(checks_file)]) == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    assert "orders: checks failed" in out
    assert "message" in out and "<NA>" not in out  # the report has its message column, and no pandas NA
    assert "failing values of orders.between(amount): amount=-12.5, -0.99" in out
    assert "merge" in out and "--force --reason" in out  # the way on is a command, not a button
    (branch,) = open_branches(lake)

    assert cli_main(["list"]) == EXIT_PASSED
    listed = capsys.readouterr().out
    assert branch in listed and "failed" in listed and "<NA>" not in listed and "None" not in listed

    assert cli_main(["show", branch]) == EXIT_PASSED
    shown = capsys.readouterr().out
    assert "checks failed" in shown and "amount=-12.5" in shown

    assert cli_main(["merge", branch]) == EXIT_GATE_FAILED  # the gate holds
    assert "--force --reason" in capsys.readouterr().err
    assert cli_main(["merge", branch, "--force"]) == EXIT_USAGE
    assert "needs --reason" in capsys.readouterr().err
    assert cli_main(["merge", branch, "--reason", "why"]) == EXIT_USAGE  # never ignored silently
    assert main_count(lake) == 100 and open_branches(lake) == [branch]

    assert cli_main(["merge", branch, "--force", "--reason", "known bad rows, fixed downstream"]) == EXIT_PASSED
    out = capsys.readouterr().out
    assert "merged into main with failed checks overridden" in out and "known bad rows" in out
    assert main_count(lake) == 141 and open_branches(lake) == []

    assert cli_main(["history", "orders"]) == EXIT_PASSED
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 3  # header, the forced merge, the first merge (newest first)
    assert "True" in history[1] and "known bad rows, fixed downstream" in history[1] and "41" in history[1]
    assert "False" in history[2] and "100" in history[2]


def test_discard_resume_and_prune(lake, checks_file, put_table, capsys):
    good = put_table("cli/good.parquet", orders_batch(50))
    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file)]) == EXIT_PASSED
    out = capsys.readouterr().out
    assert "checks passed" in out
    (branch,) = open_branches(lake)
    assert f"python -m wap_notebook merge {branch}" in out

    assert cli_main(["resume", branch]) == EXIT_PASSED  # the verdict comes back from the record
    assert "checks passed" in capsys.readouterr().out
    assert cli_main(["discard", branch]) == EXIT_PASSED
    assert "discarded" in capsys.readouterr().out and open_branches(lake) == []
    assert main_count(lake) is None
    assert cli_main(["show", branch]) == EXIT_USAGE  # gone: said, not a traceback

    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file)]) == EXIT_PASSED
    (branch,) = open_branches(lake)
    capsys.readouterr()
    assert cli_main(["prune", "--older-than", "0s"]) == EXIT_PASSED
    out = capsys.readouterr().out
    assert branch in out and "would delete" in out and "--yes" in out and open_branches(lake) == [branch]
    assert cli_main(["prune", "--older-than", "0s", "--yes"]) == EXIT_PASSED
    assert "deleted" in capsys.readouterr().out and open_branches(lake) == []
    assert cli_main(["prune", "--older-than", "soon"]) == EXIT_USAGE


def test_headings_say_what_happened(lake, bucket, checks_file, put_table, capsys):
    assert cli_main(["ingest", "orders", f"s3://{bucket}/none/*.parquet"]) == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    assert out.startswith("orders: import failed") and "checks failed" not in out

    bad = put_table("cli/bad.parquet", orders_bad_batch())
    argv = ["ingest", "orders", bad, "--checks", str(checks_file), "--on-failure", "delete"]
    assert cli_main(argv) == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    assert out.startswith("orders: checks failed; branch discarded")
    assert open_branches(lake) == []


def test_bad_yaml_names_the_file_and_line(lake, tmp_path, put_table, capsys):
    uri = put_table("cli/good.parquet", orders_batch(10))
    path = tmp_path / "checks.yaml"
    path.write_text("- unique: order_id\n- between: {column: amount, min: 0\n")
    assert cli_main(["ingest", "orders", uri, "--checks", str(path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"of {path}" in err and "line 2" in err and "cell body" not in err
    assert open_branches(lake) == []


def test_help_lists_the_exit_codes_and_every_command(capsys):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    text = capsys.readouterr().out
    assert "exit status:" in text
    for command in ("ingest", "list", "show", "merge", "discard", "resume", "prune", "history"):
        assert command in text
    with pytest.raises(SystemExit):
        cli_main(["merge", "--help"])
    assert "exit status:" in capsys.readouterr().out
    assert set(next(a for a in build_parser()._actions if a.dest == "command").choices) == {
        "ingest", "list", "show", "merge", "discard", "resume", "prune", "history"}


def test_a_mistyped_option_gets_did_you_mean(capsys):
    with pytest.raises(SystemExit) as exited:
        cli_main(["ingest", "orders", "s3://b/o.parquet", "--on-succes", "merge"])
    assert exited.value.code == EXIT_USAGE
    assert "did you mean --on-success?" in capsys.readouterr().err


def test_the_report_says_which_duplicate_rows_were_already_on_main(lake, checks_file, put_table, capsys):
    good = put_table("cli/good.parquet", orders_batch(100))
    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file), "--on-success", "merge"]) == EXIT_PASSED
    batch = orders_batch(100).slice(0, 3)  # order ids already on main
    assert cli_main(["ingest", "orders", put_table("cli/again.parquet", batch), "--checks", str(checks_file)]) \
        == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    ids = ", ".join(str(i) for i in batch.column("order_id").to_pylist())
    assert "3 duplicate rows on key (order_id): 3 keys repeated, 6 rows share them" in out, out
    assert f"3 of the 6 rows listed already on main (order_id={ids})" in out, out
