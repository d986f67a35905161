"""`quality_gated_update`: the reference flow, kept compatible (the CLI is tested in test_cli.py)."""


from __future__ import annotations

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.reference import quality_gated_update

ROWS = pa.table({"id": pa.array(range(40), pa.int64()), "kind": ["a", "b"] * 20})


def test_success_inspect_prints_reference_lines(lakehouse, put_table, capsys):
    branch, ok = quality_gated_update("events", put_table("e/1.parquet", ROWS), client=lakehouse)
    out = capsys.readouterr().out.splitlines()
    assert ok is True and branch.startswith("tester.import_events_")
    assert out == [
        "Imported 40 rows",
        f"Import complete. Branch ready for inspection: '{branch}'.",
        f"To merge manually: client.merge_branch(source_ref='{branch}', into_branch='main')",
    ]
    assert lakehouse.has_branch(branch) and not lakehouse.has_table("events", "main", namespace="bauplan")


def test_success_merge_publishes_and_cleans_up(lakehouse, put_table, capsys):
    branch, ok = quality_gated_update("events", put_table("e/1.parquet", ROWS), on_success="merge",
                                      client=lakehouse)
    out = capsys.readouterr().out.splitlines()
    assert ok and out[1:] == ["Successfully published events to main", f"Cleaned up branch: {branch}"]
    assert not lakehouse.has_branch(branch)
    assert lakehouse.query('SELECT COUNT(*) FROM "bauplan"."events"', ref="main").column(0)[0].as_py() == 40


def test_empty_append_fails_and_reraises(lakehouse, put_table, capsys):
    quality_gated_update("events", put_table("e/1.parquet", ROWS), on_success="merge", client=lakehouse)
    capsys.readouterr()
    with pytest.raises(RuntimeError, match="row_count"):
        quality_gated_update("events", put_table("e/empty.parquet", ROWS.slice(0, 0)), on_failure="delete",
                             client=lakehouse)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Import failed: ") and out[1].startswith("Cleaned up failed branch: tester.import_")
    assert not [b for b in lakehouse.get_branches() if b.name.startswith("tester.import_")]


def test_failed_checks_keep_branch(lakehouse, put_table, capsys):
    with pytest.raises(RuntimeError, match="accepted_values"):
        quality_gated_update("events", put_table("e/1.parquet", ROWS), on_failure="keep", client=lakehouse,
                             checks=[C.accepted_values("kind", ["a"])])
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("Branch preserved for inspection/debugging: 'tester.import_events_")
