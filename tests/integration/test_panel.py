"""The ipywidgets panel driven in-process: real Ingestion, real LocalClient, real moto S3."""


from __future__ import annotations

import gc
import re
import threading

import pyarrow as pa
from shared_data import STRICT_ORDER_CHECKS as STRICT

from wap_notebook import Ingestion, checks
from wap_notebook.demo.sample_data import customers, orders_batch
from wap_notebook.engine.conflicts import moved_text
from wap_notebook.notebook.panel.style import CSS
from wap_notebook.notebook.panel.widget import STATIC_TEXT, IngestionPanel, display_ingestion, ingestion_html, panel_for
from wap_notebook.notebook.summary import text_summary


def enabled(panel: IngestionPanel) -> set[str]:
    buttons = {"run": panel.run_button, "merge": panel.merge_button, "discard": panel.discard_button,
               "revalidate": panel.revalidate_button, "rebase": panel.rebase_button}
    return {name for name, button in buttons.items() if not button.disabled}


def shown(widget) -> bool:
    return widget.layout.display != "none"


def cells(html: str, css_class: str) -> list[str]:
    """Text of the table cells carrying `css_class`."""
    return re.findall(rf'<td class="[^"]*\b{css_class}\b[^"]*">([^<]*)</td>', html)


def test_buttons_follow_the_phases_and_merge_needs_confirmation(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    assert panel.phase == "new"
    assert enabled(panel) == {"run", "discard"}
    assert shown(panel.run_button) and not shown(panel.confirm_box) and not shown(panel.override_box)
    assert "NOT STARTED" in panel.summary.value

    panel.run_button.click()
    assert panel.wait(60)
    assert ing.phase == panel.phase == "passed"
    assert enabled(panel) == {"merge", "discard", "revalidate"}
    assert not shown(panel.run_button)
    # the last progress reading: both files, all rows, bytes; the bar is hidden once the import is over
    assert panel.progress.value == 1.0 and not shown(panel.progress_box)
    assert "2/2 files" in panel.progress_label.value and "90 rows" in panel.progress_label.value
    assert re.search(r"[\d.]+ KB of [\d.]+ KB", panel.progress_label.value)
    # the summary line: verdict, rows added, short branch with the full name on hover
    assert 'data-phase="passed"' in panel.summary.value and ">PASSED<" in panel.summary.value
    assert "+90 rows" in panel.summary.value
    assert f'title="{ing.branch}"' in panel.summary.value
    assert f">{ing.branch}<" not in panel.summary.value  # shortened where it shows
    # one table line per check (row_count is added by the engine)
    assert panel.report.value.count("<tr data-status=") == len(ing.report) == len(STRICT) + 1
    assert panel.report.value.count('data-status="passed"') == len(ing.report)
    assert 'data-step="validate"' in panel.summary.value and "wap-step-done" in panel.summary.value
    # data tabs
    assert "order_id" in panel.sample_view.value
    assert "new table" in panel.schema_view.value and "<code>long</code>" in panel.schema_view.value
    assert "+90" in panel.diff_view.value and "2 files" in panel.diff_view.value
    assert "<svg" in panel.charts_view.value  # failing rows per check + one chart per checked column
    # nothing failed: no failing-rows chart; order_id is a key (unique, every value distinct): not charted
    assert panel.charts_view.value.count('class="wap-chart"') == 3
    assert "Not charted (keys: nearly every value distinct): order_id" in panel.charts_view.value
    assert "No check has failing rows" in panel.charts_view.value
    assert "no failing checks" in panel.failure_rows.value

    # Merge asks first; Cancel leaves everything as it was
    panel.merge_button.click()
    assert panel.pending == "merge" and shown(panel.confirm_box)
    assert enabled(panel) == set()
    assert ing.branch in panel.confirm_text.value
    panel.cancel_button.click()
    assert panel.pending == "" and not shown(panel.confirm_box)
    assert ing.phase == "passed" and "Cancelled" in panel.status.value
    assert enabled(panel) == {"merge", "discard", "revalidate"}

    panel.merge_button.click()
    panel.confirm_button.click()
    assert panel.wait(60)
    assert ing.phase == panel.phase == "merged"
    assert ing.merge_commit and ing.merge_commit in panel.status.value
    assert f'<code title="{ing.merge_commit}">{ing.merge_commit[:8]}</code>' in panel.summary.value
    assert ">MERGED<" in panel.summary.value and panel.forced is False
    assert "Traceback" not in panel.status.value
    assert enabled(panel) == set()
    assert lakehouse.has_table("orders", "main", namespace="bauplan")
    assert "merged into main" in panel.summary.value


def test_failed_checks_show_charts_failing_cells_and_need_an_override_with_reason(lakehouse, orders_uri, bad_uri):
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run(background=False)  # the magic's way: import and validate in the calling thread
    assert ing.phase == "failed" and 'data-status="failed"' in panel.report.value
    assert panel.wait(60)  # the data views load on the loader thread
    assert ">FAILED<" in panel.summary.value and "of 6 checks failed" in panel.summary.value
    assert "wap-step-failed" in panel.summary.value
    assert 'data-status="failed"' in panel.report.value
    assert cells(panel.report.value, "wap-bad")  # failing-row counts stand out

    # charts: failing rows per check, and amount / status against main with the bad values in red
    charts = panel.charts_view.value
    assert "Failing rows per check" in charts and "amount" in charts and "status" in charts
    assert "90 on main" in charts and "#e45756" in charts
    # the negative amounts sit in their own bar left of the bins, labelled, instead of stretching the axis
    assert "&lt; 0</text>" in charts

    labels = [label for label, _ in panel.failure_select.options]
    assert any(label.startswith("orders · between(amount) · failed") for label in labels)
    panel.failure_select.value = ("orders", "between(amount)")
    assert set(cells(panel.failure_rows.value, "wap-bad")) == {"-12.50", "-0.99"}  # same decimals down a column
    panel.failure_select.value = ("orders", "accepted_values(status)")
    assert set(cells(panel.failure_rows.value, "wap-bad")) == {"lost", "returned"}
    panel.failure_select.value = ("orders", "not_null(order_id, customer_id)")
    rows = panel.failure_rows.value
    assert "1033" not in rows and ".0<" not in rows  # integers stay integers next to a null
    assert rows.count('<span class="wap-null">null</span>') == 2
    assert rows.count('wap-bad"><span class="wap-null">null</span>') == 2  # the null ids are the failing cells
    assert "First rows added to orders" in panel.diff_view.value and ">order_id</th>" in panel.diff_view.value

    # merge is only possible through the explicit override, with a reason
    assert shown(panel.override_box)
    assert panel.merge_button.description == "Merge anyway" and panel.merge_button.button_style == "warning"
    assert "merge" not in enabled(panel)
    panel.override.value = True
    assert "merge" not in enabled(panel)  # still needs a reason
    panel.reason.value = "   "
    assert "merge" not in enabled(panel)
    panel.reason.value = "known bad rows, fixed downstream (TICKET-42)"
    assert "merge" in enabled(panel)
    panel.merge_button.click()
    assert "overridden" in panel.confirm_text.value
    panel.confirm_button.click()
    assert panel.wait(60)
    assert ing.phase == "merged", panel.status.value
    assert panel.forced is True
    assert "MERGED WITH OVERRIDE" in panel.summary.value and "wap-caution" in panel.summary.value
    assert "TICKET-42" in panel.summary.value
    assert "wap-status-warn" in panel.status.value and "overridden" in panel.status.value
    commit = next(iter(lakehouse.get_commits("main", limit=1)))
    assert "TICKET-42" in " ".join(map(str, dict(commit.properties).values()))


def test_progress_shows_while_importing(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = IngestionPanel(ing)
    seen = []
    # subscribed after the panel: runs right after the panel handled the same progress event
    ing.subscribe(lambda e: e.kind == "progress" and seen.append((shown(panel.progress_box),
                                                                   panel.progress_label.value)))
    panel.run()
    assert seen and all(visible for visible, _ in seen)
    assert "90 rows" in seen[-1][1] and " of " in seen[-1][1]
    assert not shown(panel.progress_box)  # gone once the import is over: the summary has the rows


def test_discard_flow(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    branch = ing.branch
    panel.discard_button.click()
    assert panel.pending == "discard" and "Delete branch" in panel.confirm_text.value
    panel.confirm_button.click()
    assert panel.wait(60)
    assert ing.phase == "discarded"
    assert f"branch {branch} deleted" in panel.status.value
    assert ">DISCARDED<" in panel.summary.value and "discarded: branch deleted" in panel.summary.value
    assert "(discarded (" not in panel.summary.value
    assert not lakehouse.has_branch(branch)
    assert enabled(panel) == set()


def test_errors_are_shown_in_the_panel_not_raised(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    lakehouse.delete_branch(ing.branch)  # someone deletes the branch behind the panel's back
    panel.merge_button.click()
    panel.confirm_button.click()  # must not raise
    assert panel.wait(60)
    assert "wap-status-error" in panel.status.value
    assert "Merge failed" in panel.status.value
    assert "Traceback" not in panel.status.value
    assert panel.busy is False


def test_a_failed_import_is_an_error_in_the_panel(lakehouse, s3_server, bucket):
    ing = Ingestion("orders", f"s3://{bucket}/nothing/*.parquet", client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert ing.phase in ("failed", "error")
    assert "wap-status-error" in panel.status.value
    assert "wap-step-failed" in panel.summary.value or "wap-step-error" in panel.summary.value
    assert "Traceback" not in panel.status.value


def test_buttons_are_disabled_while_an_action_runs(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    entered, release = threading.Event(), threading.Event()

    def hold(event):  # a subscriber that keeps the worker inside the validation for a moment
        if event.kind == "phase" and event.phase == "validating":
            entered.set()
            release.wait(30)

    unsubscribe = ing.subscribe(hold)
    panel.revalidate_button.click()
    assert entered.wait(30)
    try:
        assert panel.busy is True
        assert enabled(panel) == set()
        assert "Re-running" in panel.status.value
        panel.merge_button.click()  # ignored while busy
        assert panel.pending == ""
    finally:
        release.set()
    assert panel.wait(60)
    unsubscribe()
    assert ing.phase == "passed" and enabled(panel) == {"merge", "discard", "revalidate"}


def test_panel_follows_changes_made_from_code(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = panel_for(ing)
    assert panel_for(ing) is panel  # one live panel per ingestion
    ing.run()  # not through the panel: the panel reacts to the events
    assert panel.wait(60)
    assert panel.phase == "passed" and 'data-status="passed"' in panel.report.value
    assert "order_id" in panel.sample_view.value
    commit = ing.merge()
    assert panel.phase == "merged" and commit in panel.status.value
    assert panel.wait(60)
    assert "Published" in panel.log_view.value


def test_an_override_merged_from_code_shows_as_such(lakehouse, bad_uri):
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    panel = panel_for(ing)
    ing.run()
    ing.merge(force=True, reason="audited by hand (R-7)")  # from code, not through the panel
    assert panel.forced is True and panel.phase == "merged"
    assert "MERGED WITH OVERRIDE" in panel.summary.value and "R-7" in panel.summary.value
    assert "wap-status-warn" in panel.status.value
    assert panel.wait(60)


def test_several_tables_each_have_their_rows_charts_and_schema(lakehouse, orders_uri, put_table):
    customers_uri = put_table("customers/part-000.csv", customers(50))
    ing = Ingestion({"orders": orders_uri, "customers": customers_uri}, None, client=lakehouse,
                    checks={"orders": STRICT, "customers": [checks.matches("email", r"^[^@ ]+@[^@ ]+$")]})
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60) and ing.phase == "passed"
    assert "<b>orders</b> +90 rows" in panel.summary.value and "<b>customers</b> +50 rows" in panel.summary.value
    assert "orders.unique(order_id)" in panel.report.value and "customers.matches(email)" in panel.report.value
    assert panel.charts_view.value.count('class="wap-chart"') == 3 + 1  # orders' 3 non-key columns, customers' email
    assert panel.sample_view.value.count("<h4") == 2 and "customer001@example.com" in panel.sample_view.value
    assert "orders: new table" in panel.schema_view.value and "customers: new table" in panel.schema_view.value


def test_a_branch_behind_main_says_so(lakehouse, orders_uri, put_table):
    more_uri = put_table("orders/more/part-000.parquet", orders_batch(120).slice(90))
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ours = Ingestion("orders", more_uri, checks=STRICT, client=lakehouse)
    ours.run()
    panel = IngestionPanel(ours)
    assert panel.wait(60) and "since this import" not in panel.summary.value
    theirs = Ingestion("orders", put_table("orders/theirs/part-000.parquet", orders_batch(130).slice(120)),
                       checks=STRICT, client=lakehouse, on_success="merge")
    theirs.run()  # main moves on while ours waits for review
    panel.merge_button.click()  # asking to merge looks at main again
    assert "main moved 1 commit since this import" in panel.summary.value
    assert "moved 1 commit since this import" in panel.confirm_text.value
    # one wording wherever it shows: the summary line, the confirmation, the text summary and the conflict
    assert moved_text("main", 1) in panel.confirm_text.value and moved_text("main", 1) in text_summary(ours)
    panel.cancel_button.click()


def _race(lakehouse, put_table, orders_uri, *, second_ids=(121, 160)):
    """Main holds orders 1..90; two ingestions fork from it, the first adds 91..120, the second `second_ids`.
    Both pass; the caller merges the first, and the second is left behind."""
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    first = Ingestion("orders", put_table("orders/first/part-000.parquet", orders_batch(120).slice(90)),
                      checks=STRICT, client=lakehouse)
    low, high = second_ids
    second = Ingestion("orders", put_table("orders/second/part-000.parquet", orders_batch(high).slice(low - 1)),
                       checks=STRICT, client=lakehouse)
    first.run()
    second.run()
    assert first.phase == second.phase == "passed"
    return first, second


def test_a_conflicting_merge_offers_rebase_which_reimports_on_the_new_head(lakehouse, orders_uri, put_table):
    first, second = _race(lakehouse, put_table, orders_uri)
    panel = IngestionPanel(second)
    assert panel.wait(60)
    assert not shown(panel.rebase_button) and "rebase" not in enabled(panel)  # main has not moved yet
    assert "new head of main" in panel.rebase_button.tooltip
    first.merge()
    old_branch, old_base = second.branch, second.base_ref

    panel.merge_button.click()  # asking to merge reads main again: behind, so Rebase is offered
    assert panel.behind == 1 and shown(panel.rebase_button) and "rebase" not in enabled(panel)  # not while asking
    panel.confirm()
    assert panel.wait(60)
    assert second.phase == "passed" and second.branch == old_branch  # nothing merged, branch and verdict kept
    status = re.sub(r"<[^>]+>", "", panel.status.value)
    assert "Not merged: bauplan.orders changed on main (main moved 1 commit since this import)" in status
    assert "Rebase re-imports the same files" in status and "Traceback" not in status and "\n" not in status
    assert panel.conflict and "rebase" in enabled(panel) and "merge" in enabled(panel)

    entered, release, seen = threading.Event(), threading.Event(), {}

    def hold(event):  # keep the worker inside the re-import for a moment, after the panel saw the progress
        if event.kind == "progress" and not entered.is_set():
            seen.update(busy=panel.busy, enabled=enabled(panel), status=panel.status.value,
                        progress=shown(panel.progress_box))
            entered.set()
            release.wait(30)

    unsubscribe = second.subscribe(hold)
    panel.rebase_button.click()  # the same request / confirm path as Merge and Discard
    assert panel.pending == "rebase" and "re-import the same files on the new head" in panel.confirm_text.value
    panel.confirm()
    try:
        assert entered.wait(60)
        assert seen["busy"] is True and seen["enabled"] == set() and seen["progress"] is True
        assert "Rebasing" in seen["status"]
    finally:
        release.set()
    assert panel.wait(60)
    unsubscribe()

    head = lakehouse.get_branch("main").hash
    assert second.phase == "passed" and second.branch != old_branch and second.base_ref != old_base
    assert second.base_ref.endswith(head) and not lakehouse.has_branch(old_branch)
    assert f"Rebased on main@{head[:12]}" in panel.status.value and "checks passed again" in panel.status.value
    assert f'title="{second.branch}"' in panel.summary.value and head[:12] in panel.summary.value
    assert "since this import" not in panel.summary.value and ">PASSED<" in panel.summary.value
    assert panel.behind == 0 and not panel.conflict and not shown(panel.rebase_button)
    assert 'data-status="passed"' in panel.report.value

    panel.request("merge")
    panel.confirm()
    assert panel.wait(60) and second.phase == "merged", panel.status.value
    assert lakehouse.query("SELECT count(*) AS n FROM orders", ref="main").column("n")[0].as_py() == 90 + 30 + 40


def test_a_batch_that_fails_after_rebase_cannot_be_merged_without_override(lakehouse, orders_uri, put_table):
    # the second batch's ids 111..150 overlap the first's 91..120: unique(order_id) holds until the first is merged
    first, second = _race(lakehouse, put_table, orders_uri, second_ids=(111, 150))
    panel = IngestionPanel(second)
    first.merge()
    assert panel.wait(60)
    panel.refresh(load_data=True)  # the loader reads how far main moved (as after any settled event)
    assert panel.wait(60) and panel.behind == 1 and "rebase" in enabled(panel)
    panel.request("rebase")
    panel.confirm()
    assert panel.wait(60)
    assert second.phase == "failed", panel.status.value
    assert set(second.report.query("status == 'failed'")["check"]) == {"unique(order_id)"}
    assert "wap-status-error" in panel.status.value and "Rebased on main@" in panel.status.value
    assert ">FAILED<" in panel.summary.value and 'data-status="failed"' in panel.report.value
    assert not shown(panel.rebase_button)  # on the new head: nothing to rebase on
    assert panel.merge_button.description == "Merge anyway" and "merge" not in enabled(panel)
    panel.request("merge")  # even asked directly, the gate holds: no override, no merge
    panel.confirm()
    assert panel.wait(60) and second.phase == "failed" and "wap-status-error" in panel.status.value
    assert lakehouse.query("SELECT count(*) AS n FROM orders", ref="main").column("n")[0].as_py() == 90 + 30


def test_panels_are_kept_per_ingestion_object_not_per_id(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = panel_for(ing)
    panel.close()
    assert panel_for(ing) is not panel  # a closed panel is replaced
    panel_for(ing).close()
    from wap_notebook.notebook.panel import registry as panel_module

    assert ing not in panel_module._panels
    other = Ingestion("orders", orders_uri, client=lakehouse)
    panel_for(other)
    del other
    gc.collect()
    assert len([k for k in panel_module._panels.keys() if k is not ing]) <= len(panel_module._panels)


def test_static_fallback_reads_without_widgets(lakehouse, bad_uri):
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    ing.run()
    html = ingestion_html(ing)
    assert "between(amount)" in html and ">FAILED<" in html and ing.branch in html
    # what to run in a new kernel, naming the lakehouse (not the default one): a path set in the notebook is gone
    assert f"Ingestion.resume(&#x27;{ing.branch}&#x27;, client=LocalClient(&#x27;{lakehouse.path}&#x27;))" in html
    panel = panel_for(ing)
    assert panel.wait(60)
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    # the static HTML is the saved view's, an output of its own beside the widget (not shown twice)
    assert "text/html" not in data
    # a viewer without the widget shows this text: no phase (it was "new" forever, taken before the run)
    assert data["text/plain"] == STATIC_TEXT and "new" not in data["text/plain"]
    saved = panel.saved_bundle()["text/html"]
    assert "between(amount)" in saved and f'id="{panel.saved_key}"' in saved
    assert "<svg" in saved  # the charts travel with the export
    assert f"#{panel.saved_key}" in panel.offline.value  # the live panel hides it


def test_disconnected_panel_points_to_resume(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert "Ingestion.resume(&#x27;" + ing.branch in panel.offline.value
    assert "from wap_notebook import Ingestion, LocalClient" in panel.offline.value
    assert 'class="wap-offline"' in panel.offline.value
    # hidden until ipywidgets marks the view disconnected (the kernel is gone)
    assert ".wap-offline{display:none" in CSS
    assert ".jupyter-widgets-disconnected .wap-offline{display:block}" in CSS
    panel.discard_button.click()
    panel.confirm_button.click()
    assert panel.wait(60)
    assert "Ingestion.resume" not in panel.offline.value and "Nothing is left to resume" in panel.offline.value


def test_display_is_registered_from_the_ui_side(lakehouse, orders_uri):
    from IPython.core.interactiveshell import InteractiveShell

    from wap_notebook.notebook import display

    shell = InteractiveShell.instance()
    display.register(shell)
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    assert (type(ing).__module__, type(ing).__name__) == display.ENGINE_CLASS
    html = shell.display_formatter.formatters["text/html"](ing)
    assert "NOT STARTED" in html
    assert shell.display_formatter.ipython_display_formatter.lookup(ing) is display._show


def test_display_ingestion_outside_ipython_does_not_fail(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    display_ingestion(ing)  # no shell: IPython's display() prints the text/plain form


def test_to_html_writes_one_self_contained_report(lakehouse, orders_uri, bad_uri, tmp_path):
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    ing.run()
    path = ing.to_html(tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert ">FAILED<" in page and "between(amount)" in page and ing.branch in page
    assert page.count("<svg") >= 3  # failing rows per check and the checked columns, inline
    for section in ("Failing rows", "Sample of the new rows", "Profile", "Schema", "Diff"):
        assert f"<h2>{section}</h2>" in page
    # the panel's Profile tab, static: a row per column with main's figures beside, and the table's history
    profile = page.split("<h2>Profile</h2>")[1].split("<h2>")[0]
    assert 'class="wap-profile"' in profile and "top values" in profile and "not on main" in profile
    assert "amount" in profile and "wap_notebook.history(&#x27;orders&#x27;)" in profile
    assert profile.count("<tr") >= 1 + len(ing.sample(n=1).columns)
    assert "wap-bad" in page  # failing cells marked
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")  # offline


def test_failing_cells_show_null_and_empty_strings_apart(lakehouse, put_table, tmp_path):
    rows = orders_batch(6).to_pylist()
    rows[1]["status"], rows[2]["status"] = "", None  # the same "missing" status, stored two ways
    uri = put_table("orders/blank/part-000.parquet", pa.Table.from_pylist(rows, schema=orders_batch(1).schema))
    ing = Ingestion("orders", uri, checks=[checks.not_null("status"),
                                           checks.accepted_values("status", ["placed", "shipped", "delivered"])],
                    client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60) and ing.phase == "failed"
    page = ing.to_html(tmp_path / "report.html").read_text(encoding="utf-8")
    empty, null = '<span class="wap-empty" title="empty string">""</span>', '<span class="wap-null">null</span>'
    # not_null fails the null row, accepted_values the "" row: each failing cell says which it is
    assert f'<td class="wap-bad">{null}</td>' in page and f'<td class="wap-bad">{empty}</td>' in page
    panel.failure_select.value = ("orders", "accepted_values(status)")
    assert f'<td class="wap-bad">{empty}</td>' in panel.failure_rows.value
    assert f'<td class="wap-bad">{null}</td>' not in panel.failure_rows.value
