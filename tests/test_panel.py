"""The ipywidgets panel driven in-process: real Ingestion, real LocalClient, real moto S3."""

from __future__ import annotations

import threading

import pytest

from wap_notebook import Ingestion, checks
from wap_notebook.demo.sample_data import orders_bad_batch, orders_batch
from wap_notebook.panel import IngestionPanel, display_ingestion, ingestion_html, panel_for

STRICT = [
    checks.not_null("order_id", "customer_id"),
    checks.unique("order_id"),
    checks.between("amount", min=0, max=10_000),
    checks.accepted_values("status", ["placed", "shipped", "delivered"]),
]


@pytest.fixture
def orders_uri(put_table):
    table = orders_batch(90)
    uri = put_table("orders/good/part-000.parquet", table.slice(0, 45))
    put_table("orders/good/part-001.parquet", table.slice(45))
    return uri.rsplit("/", 1)[0] + "/*.parquet"


@pytest.fixture
def bad_uri(put_table):
    return put_table("orders/bad/part-000.parquet", orders_bad_batch())


def enabled(panel: IngestionPanel) -> set[str]:
    buttons = {"run": panel.run_button, "merge": panel.merge_button, "discard": panel.discard_button,
               "revalidate": panel.revalidate_button}
    return {name for name, button in buttons.items() if not button.disabled}


def shown(widget) -> bool:
    return widget.layout.display != "none"


def test_buttons_follow_the_phases_and_merge_needs_confirmation(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    assert panel.phase == "new"
    assert enabled(panel) == {"run", "discard"}
    assert shown(panel.run_button) and not shown(panel.confirm_box) and not shown(panel.override_box)

    panel.run_button.click()
    assert panel.wait(60)
    assert ing.phase == panel.phase == "passed"
    assert enabled(panel) == {"merge", "discard", "revalidate"}
    assert not shown(panel.run_button)
    # progress: both files, all rows
    assert shown(panel.progress_box)
    assert (panel.progress.value, panel.progress.max) == (2, 2)
    assert "90 rows" in panel.progress_label.value
    # report, phase strip, data tabs
    assert panel.report.value.count("passed") >= len(STRICT)
    assert 'data-step="validate"' in panel.strip.value and "wap-step-done" in panel.strip.value
    assert "order_id" in panel.sample_view.value and "customer_id" in panel.schema_view.value
    assert "rows_added" in panel.diff_view.value
    assert not shown(panel.failures_box)
    assert ing.branch in panel.header.value and "tester" in panel.header.value

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
    assert "Traceback" not in panel.status.value
    assert enabled(panel) == set()
    assert lakehouse.has_table("orders", "main", namespace="bauplan")
    assert "wap-step-done" in panel.strip.value and "merged into main" in panel.strip.value


def test_failed_checks_show_failing_rows_and_need_an_override_with_reason(lakehouse, bad_uri):
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run(background=False)
    assert ing.phase == "failed"
    assert "wap-step-failed" in panel.strip.value
    assert "failed" in panel.report.value and "#ffebe9" in panel.report.value  # styled failed rows
    labels = [label for label, _ in panel.failure_select.options]
    assert any(label.startswith("orders · between(amount) · failed") for label in labels)
    panel.failure_select.value = ("orders", "between(amount)")
    assert "-12.5" in panel.failure_rows.value and "-0.99" in panel.failure_rows.value
    panel.failure_select.value = ("orders", "accepted_values(status)")
    assert "lost" in panel.failure_rows.value and "returned" in panel.failure_rows.value

    # merge is only possible through the explicit override, with a reason
    assert shown(panel.override_box)
    assert panel.merge_button.description == "Merge anyway"
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
    commit = next(iter(lakehouse.get_commits("main", limit=1)))
    assert "TICKET-42" in " ".join(map(str, dict(commit.properties).values()))


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
    assert "wap-step-failed" in panel.strip.value or "wap-step-error" in panel.strip.value
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
    ing.run()  # not through the panel
    assert panel.wait(60)
    assert panel.phase == "passed" and "passed" in panel.report.value
    assert "order_id" in panel.sample_view.value
    commit = ing.merge()
    assert panel.phase == "merged" and commit in panel.status.value


def test_static_fallback_reads_without_widgets(lakehouse, bad_uri):
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    ing.run()
    html = ingestion_html(ing)
    assert "between(amount)" in html and "failed" in html and ing.branch in html
    bundle = panel_for(ing)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "between(amount)" in data["text/html"]


def test_display_ingestion_outside_ipython_does_not_fail(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, client=lakehouse)
    display_ingestion(ing)  # no shell: IPython's display() prints the text/plain form
