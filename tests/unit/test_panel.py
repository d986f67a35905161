"""The ipywidgets panel driven in-process: real Ingestion, real LocalClient, real moto S3."""


from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest
from shared_data import STRICT_ORDER_CHECKS as STRICT

from wap_notebook.core.progress import ImportProgress
from wap_notebook.engine.profiles import TableProfile
from wap_notebook.notebook.panel import views
from wap_notebook.notebook.panel.progress import ProgressMeter
from wap_notebook.notebook.panel.steps import step_states, verdict
from wap_notebook.notebook.panel.style import CSS
from wap_notebook.notebook.panel.tables import frame_html, schema_compare_html
from wap_notebook.notebook.panel.text import cell, sentence


def cells(html: str, css_class: str) -> list[str]:
    """Text of the table cells carrying `css_class`."""
    return re.findall(rf'<td class="[^"]*\b{css_class}\b[^"]*">([^<]*)</td>', html)


def test_rows_are_formatted_as_stored():
    frame = pd.DataFrame({
        "id": pd.array([1008, None], dtype="Int64"),
        "amount": [12.5, 3.0],
        "at": pd.to_datetime(["2024-01-02 08:13:00", "2024-01-03 00:00:01"]),
        "day": pd.to_datetime(["2024-01-02", "2024-01-03"]),
        "ok": pd.array([True, None], dtype="boolean"),
        "name": ["a", None],
    })
    html = frame_html(frame, failing={"amount": [False, True]})
    assert ">1008<" in html and "1008.0" not in html
    assert ">12.5<" in html and ">3.0<" in html  # one number of decimals down a column
    assert ">2024-01-02 08:13:00<" in html and ">2024-01-03<" in html
    assert html.count('<span class="wap-null">null</span>') == 3
    assert cells(html, "wap-bad") == ["3.0"]
    assert '<th class="wap-num">id</th>' in html and '<th class="">name</th>' in html


def test_null_and_empty_strings_look_different_in_failing_cells():
    frame = pd.DataFrame({"status": ["placed", "", None, "  "]})
    html = frame_html(frame, failing={"status": [False, True, True, True]})
    bad = re.findall(r'<td class="wap-bad">(.*?)</td>', html)
    assert bad == ['<span class="wap-empty" title="empty string">""</span>', '<span class="wap-null">null</span>',
                   '<span class="wap-empty" title="empty string">"  "</span>']
    assert ".wap-empty{" in CSS


def test_schema_tab_compares_with_main():
    profile = TableProfile(
        "orders", (), {},
        schema=(("id", "long", True), ("amount", "decimal(10, 2)", False), ("note", "string", False)),
        base_schema=(("id", "long", True), ("amount", "double", False), ("legacy", "string", False)),
    )
    html = schema_compare_html(profile)
    assert re.search(r'class="wap-changed"><td><code>amount</code></td><td><code>double</code>.*'
                     r"<code>decimal\(10, 2\)</code>", html)
    assert '<tr class="wap-removed"><td><code>legacy</code>' in html
    assert '<tr class="wap-added"><td><code>note</code>' in html
    assert "3 column changes" in html


def test_progress_in_rows_and_bytes_with_rate_and_time_left():
    now = [0.0]
    meter = ProgressMeter(clock=lambda: now[0])
    mb = 1_000_000
    meter.update(ImportProgress("orders", 0, 4, 0, 0, bytes_total=40 * mb))
    now[0] = 2.0
    reading = meter.update(ImportProgress("orders", 1, 4, 500_000, 10 * mb, "f1", 40 * mb))
    assert reading.fraction == pytest.approx(0.25)
    assert reading.rows_per_s == pytest.approx(250_000) and reading.bytes_per_s == pytest.approx(5 * mb)
    assert reading.seconds_left == pytest.approx(6.0)
    assert "500,000 rows" in reading.text and "10.0 MB of 40.0 MB" in reading.text
    assert "250.0k rows/s" in reading.text and "about 6 s left" in reading.text
    # inside the second file the bytes are estimated from the rows written
    now[0] = 3.0
    reading = meter.update(ImportProgress("orders", 1, 4, 750_000, 10 * mb, "f2", 40 * mb))
    assert reading.fraction == pytest.approx(15 / 40)
    assert "file 2/4" in reading.text


def test_log_is_capped_with_show_more():
    lines = [f"00:00:{i:02d} step {i}" for i in range(10)]
    html = views.log_html(lines)
    assert "show 6 earlier lines" in html
    tail = html.split("</details>")[1]
    assert "step 9" in tail and "step 5" not in tail


def test_verdicts_are_distinct():
    assert verdict("merged", forced=True) != verdict("merged")
    assert verdict("merged", forced=True).css == "wap-caution"
    assert {verdict(p).label for p in ("passed", "failed", "merged", "discarded")} == {
        "PASSED", "FAILED", "MERGED", "DISCARDED"}


def test_failing_cells_come_from_the_checks_own_predicates():
    from wap_notebook.engine.profiles import cell_predicates, failing_cells

    predicates = cell_predicates(STRICT)
    rows = pa.table({"order_id": pa.array([1, None], pa.int64()), "customer_id": [3, 4], "amount": [5.0, -1.0],
                     "status": ["placed", "lost"]})
    flags = failing_cells(rows, predicates)
    assert flags == {"order_id": [False, True], "customer_id": [False, False], "amount": [False, True],
                     "status": [False, True]}


def test_status_lines_wrap_and_keep_the_whole_cause():
    cause = "Cannot read Parquet file s3://bucket/landing/2026/11/really_csv.parquet: magic bytes not found"
    html = views.status_html("error", f"Import failed: {cause}")
    assert "nowrap" not in html and "ellipsis" not in html and cause in html
    assert ".wap-status{white-space:normal" in CSS


def test_the_checks_message_column_wraps_instead_of_running_off_screen():
    assert re.search(r"td\.wap-msg\{white-space:normal", CSS)
    assert ".wap-grid.wap-checks{width:100%}" in CSS


def test_numbers_read_one_way_and_messages_have_one_full_stop():
    assert cell(1347104) == "1,347,104" and cell(1347104.0) == "1,347,104"
    assert cell([0, 10000]) == "0, 10,000" and cell(2.5) == "2.5"
    assert sentence("Import failed: no files.. Branch deleted.") == "Import failed: no files. Branch deleted."
    assert sentence("wait...") == "wait..."


def test_progress_of_a_finished_import_reads_all_bytes():
    meter = ProgressMeter(clock=lambda: 0.0)
    mb = 1_000_000
    reading = meter.update(ImportProgress("flights", 3, 3, 25_000, 0, None, 36_300_000))
    assert "36.3 MB of 36.3 MB" in reading.text and reading.fraction == 1.0
    assert "0 B of" not in reading.text and mb


def test_a_report_alone_puts_a_resumed_batch_past_the_import():
    states = step_states("failed", [], validated="failed")
    assert states == {"Import": "done", "Validate": "failed", "Publish": "waiting"}
    assert step_states("failed", [])["Import"] == "failed"  # no report: the import failed


def test_the_saved_views_css_is_a_rule_browsers_accept():
    # `:has()` inside `:has()` is invalid CSS: Chromium dropped the rule that hides "model not found", and a
    # reopened notebook in Notebook 7 showed that line above every saved view
    css = views.saved_view_html("wap-saved-k", "body")
    for start in [m.end() for m in re.finditer(r":has\(", css)]:
        depth, i = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(css[i], 0)
            i += 1
        assert ":has(" not in css[start:i - 1], css
    assert "#wap-saved-k" in css and ".wap-panel" in css  # the live panel's output is never the one hidden
