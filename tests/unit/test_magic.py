"""`%wap_ingest` / `%%wap_ingest` through a real IPython shell, on the embedded lakehouse and moto S3."""


from __future__ import annotations

import re

import pytest
from shared_data import GOOD_CHECKS

from wap_notebook.checks.yaml_form import parse_checks


def test_help_comes_from_the_argument_parser(shell, capsys):
    doc = shell.find_line_magic("wap_ingest").__doc__
    for option in ("--namespace", "--on-success", "--on-failure", "--mode", "--from-ref", "--as", "--no-panel",
                   "--backend", "--background", "table", "source"):
        assert option in doc
    assert "not_null" in doc  # the YAML checks are documented too
    shell.run_line_magic("pinfo", "%wap_ingest")
    assert "--on-success" in capsys.readouterr().out
    assert shell.find_cell_magic("wap_ingest") is not None


def test_parse_checks_forms():
    found = parse_checks(GOOD_CHECKS + "- schema_compatible\n- row_count: {min: 5}\n"
                         "- not_null: {columns: [a, b], severity: warn}\n- custom: {name: c, fn: f}\n",
                         {"f": lambda table: True})
    assert [c.name for c in found] == [
        "not_null(order_id, customer_id)", "unique(order_id)", "between(amount)", "accepted_values(status)",
        "ship_after_order", "schema_compatible", "row_count", "not_null(a, b)", "c",
    ]
    assert found[4].severity == "warn" and found[7].severity == "warn"
    assert parse_checks("") == [] and parse_checks("  \n# nothing\n") == []
    with pytest.raises(ValueError, match=r"item 1 .*'nowhere' is not a callable"):
        parse_checks("- custom: {name: c, fn: nowhere}")
    with pytest.raises(ValueError, match="must be a YAML list"):
        parse_checks("unique: a")
    with pytest.raises(ValueError, match=r"item 1 .*exactly one check name"):
        parse_checks("- unique: a\n  not_null: b")


def test_cli_refuses_abbreviations_too(capsys):
    from wap_notebook.cli.main import main as cli_main

    with pytest.raises(SystemExit) as exited:
        cli_main(["ingest", "orders", "s3://b/x.parquet", "--on-succes", "merge"])
    assert exited.value.code == 2
    assert "--on-succes" in capsys.readouterr().err


def test_unreachable_bauplan_from_the_python_api(monkeypatch):
    from wap_notebook.backend import connect
    from wap_notebook.errors import BackendUnavailable
    from wap_notebook.ingestion import Ingestion

    monkeypatch.setenv("BAUPLAN_API_KEY", "sk-never-print-me")
    monkeypatch.setenv("BAUPLAN_API_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(BackendUnavailable, match=r"Bauplan backend .*backend=\"local\"") as raised:
        Ingestion("orders", "s3://bucket/orders/*.parquet")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no transport dump below it
    assert isinstance(raised.value, ConnectionError)
    monkeypatch.delenv("BAUPLAN_API_KEY")
    monkeypatch.setenv("HOME", "/nonexistent")
    with pytest.raises(BackendUnavailable, match="BAUPLAN_API_KEY"):
        connect("bauplan")


def _recommended_options() -> set[str]:
    """Every `--option` and every `keyword=value` that a message string in the package recommends."""
    import ast
    from pathlib import Path

    import wap_notebook

    found: set[str] = set()
    root = Path(wap_notebook.__file__).parent
    for path in root.rglob("*.py"):
        if "demo" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                found |= {m for m in re.findall(r"(?<![\w-])--[a-z][a-z-]+", node.value) if not m.startswith("--jp-")}
                found |= {"--" + m.replace("_", "-")
                          for m in re.findall(r"\b(?:pass|use)\s+([a-z_]+)=", node.value)}
    return found


def test_every_option_a_message_recommends_exists():
    from wap_notebook.cli.main import build_parser
    from wap_notebook.notebook.magic import WapMagics

    magic = set(WapMagics.wap_ingest.parser._option_string_actions)
    magic |= set(WapMagics.wap_sql.parser._option_string_actions)
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    cli = set(subcommands["ingest"]._option_string_actions)
    # options of the other subcommands (merge --force --reason, prune --yes, ...): recommended by CLI messages
    cli_commands = {o for name, p in subcommands.items() if name != "ingest" for o in p._option_string_actions}
    recommended = _recommended_options()
    assert "--import-duplicate-files" in recommended and "--backend" in recommended  # the scan sees messages
    assert {"--force", "--reason"} <= recommended
    magic_only = {"--as", "--no-panel", "--background", "--reimport", "--table"}
    cli_only = {"--checks", "--report"}  # the command line's own options of `ingest` (files, not a cell)
    assert recommended - magic - cli_only - (cli_commands - cli) == set()
    assert recommended - cli - cli_commands - magic_only == set()


def test_a_mistyped_option_in_the_magic_gets_did_you_mean(shell):
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match=r"--on-succes: did you mean --on-success\?"):
        shell.run_line_magic("wap_ingest", "orders s3://b/x.parquet --on-succes merge")
    with pytest.raises(UsageError, match=r"--no-panle: did you mean --no-panel\?"):
        shell.run_line_magic("wap_ingest", "orders s3://b/x.parquet --no-panle")
