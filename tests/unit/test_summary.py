"""The report as plain text (the command line, `--no-panel`, the demo): messages readable in a terminal."""

from __future__ import annotations

import pandas as pd

from wap_notebook.notebook.summary import MISSING, report_text


def test_messages_start_in_one_column_whatever_their_length_and_missing_values_read_as_a_dash():
    report = pd.DataFrame({
        "table": ["orders", "orders"], "check": ["row_count", "schema_compatible"], "severity": ["error"] * 2,
        "status": ["passed", "failed"], "observed": [41, "changed"], "expected": [">= 1", "compatible"],
        "failing_rows": [pd.NA, 0], "message": ["41 rows added", "Found: " + ", ".join(["x long"] * 40)]})
    lines = report_text(report).splitlines()
    assert lines[0].split()[-1] == "message"
    starts = {line.index(text) for line, text in zip(lines, ["message", "41 rows added", "Found: "], strict=True)}
    assert len(starts) == 1, lines  # left-aligned: a long message does not push the short ones right
    assert all(line == line.rstrip() for line in lines)
    assert "<NA>" not in lines[1] and f" {MISSING} " in lines[1]
