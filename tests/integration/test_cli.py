"""`python -m wap_notebook ingest`: the magic's options and YAML checks, unattended, with honest exit codes."""


from __future__ import annotations

import pytest
from shared_data import main_count

from wap_notebook import LocalClient
from wap_notebook.cli.main import EXIT_GATE_FAILED, EXIT_PASSED, EXIT_USAGE
from wap_notebook.cli.main import main as cli_main
from wap_notebook.demo.sample_data import orders_bad_batch, orders_batch


def branches(path) -> list[str]:
    return sorted(b.name for b in LocalClient(path).get_branches())




def test_gate_passes_then_fails_with_the_same_yaml_checks(lake, checks_file, put_table, capsys):
    good = put_table("cli/good.parquet", orders_batch(100))
    bad = put_table("cli/bad.parquet", orders_bad_batch())
    argv = ["ingest", "orders", good, "--checks", str(checks_file), "--on-success", "merge"]
    assert cli_main(argv) == EXIT_PASSED
    out = capsys.readouterr().out
    assert "merged into main" in out and "unique(order_id)" in out
    assert main_count(lake) == 100

    argv = ["ingest", "orders", bad, "--checks", str(checks_file), "--on-success", "merge", "--mode", "append"]
    assert cli_main(argv) == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    assert "failed" in out and "between(amount)" in out
    assert main_count(lake) == 100  # the gate held unattended
    kept = [b for b in branches(lake) if b != "main"]
    assert len(kept) == 1  # --on-failure inspect (default) keeps the branch for a human

    argv = ["ingest", "orders", bad, "--checks", str(checks_file), "--on-failure", "delete"]
    assert cli_main(argv) == EXIT_GATE_FAILED
    assert [b for b in branches(lake) if b != "main"] == kept


def test_usage_errors_exit_2_before_any_branch(lake, tmp_path, put_table, capsys):
    uri = put_table("cli/good.parquet", orders_batch(10))
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- frobnicate: order_id\n")
    assert cli_main(["ingest", "orders", uri, "--checks", str(bad_yaml)]) == EXIT_USAGE
    assert "unknown check 'frobnicate'" in capsys.readouterr().err
    assert cli_main(["ingest", "orders", uri, "--checks", str(tmp_path / "missing.yaml")]) == EXIT_USAGE
    assert cli_main(["ingest", "bad;name", uri]) == EXIT_USAGE
    with pytest.raises(SystemExit) as exited:
        cli_main(["ingest", "orders", uri, "--on-failure", "nope"])
    assert exited.value.code == EXIT_USAGE
    assert branches(lake) == ["main"]


def test_failed_import_exits_1(lake, bucket, capsys):
    assert cli_main(["ingest", "orders", f"s3://{bucket}/none/*.parquet"]) == EXIT_GATE_FAILED
    assert "failed" in capsys.readouterr().out


def test_report_file_for_a_passed_a_failed_and_a_failed_import(lake, checks_file, put_table, bucket, tmp_path,
                                                                capsys):
    good = put_table("cli/good.parquet", orders_batch(100))
    bad = put_table("cli/bad.parquet", orders_bad_batch())
    passed, failed, broken = (tmp_path / name for name in ("passed.html", "failed.html", "broken.html"))
    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file), "--on-success", "merge",
                     "--report", str(passed)]) == EXIT_PASSED
    assert f"report: {passed}" in capsys.readouterr().out
    assert cli_main(["ingest", "orders", bad, "--checks", str(checks_file), "--mode", "append",
                     "--report", str(failed)]) == EXIT_GATE_FAILED
    assert cli_main(["ingest", "orders", f"s3://{bucket}/none/*.parquet", "--report", str(broken)]) == EXIT_GATE_FAILED
    for path, verdict in ((passed, ">MERGED<"), (failed, ">FAILED<"), (broken, ">FAILED<")):
        page = path.read_text(encoding="utf-8")
        assert page.startswith("<!doctype html>") and verdict in page, (path, page[:300])
        assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")  # offline
    assert "between(amount)" in failed.read_text(encoding="utf-8")
    assert failed.read_text(encoding="utf-8").count("<svg") >= 2  # charts inline
    # the kept branch's report again, from any process: show --report
    kept = next(b for b in branches(lake) if b != "main")
    again = tmp_path / "show.html"
    capsys.readouterr()
    assert cli_main(["show", kept, "--report", str(again)]) == EXIT_PASSED
    assert ">FAILED<" in again.read_text(encoding="utf-8") and f"report: {again}" in capsys.readouterr().out


def test_a_report_path_that_cannot_be_written_is_refused_before_any_branch(lake, put_table, tmp_path, capsys):
    good = put_table("cli/good.parquet", orders_batch(10))
    assert cli_main(["ingest", "orders", good, "--report", str(tmp_path / "missing" / "r.html")]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err
    assert cli_main(["ingest", "orders", good, "--report", str(tmp_path)]) == EXIT_USAGE
    assert "is a folder" in capsys.readouterr().err
    assert branches(lake) == ["main"]


def test_a_report_that_fails_to_write_loses_nothing(lake, checks_file, put_table, capsys):
    good = put_table("cli/good.parquet", orders_batch(10))
    unwritable = "/proc/wap-report.html"  # its folder exists, so only the write itself fails (even as root)
    assert cli_main(["ingest", "orders", good, "--checks", str(checks_file), "--on-success", "merge",
                     "--report", unwritable]) == EXIT_PASSED
    captured = capsys.readouterr()
    assert "merged into main" in captured.out
    assert f"the report could not be written to {unwritable}" in captured.err and "unaffected" in captured.err
    assert main_count(lake) == 10
