"""States the panel must get right in a week of use: resumed batches, imports that failed before any data,
finished panels, a base ref that moved (and whether it matters), and the small refusals of the override."""

from __future__ import annotations

import re
import time

from shared_data import STRICT_ORDER_CHECKS as STRICT

from wap_notebook import Ingestion
from wap_notebook.demo.sample_data import customers, orders_batch
from wap_notebook.notebook.panel import views
from wap_notebook.notebook.panel.controls import MIN_REASON
from wap_notebook.notebook.panel.widget import IngestionPanel, panel_for


def shown(widget) -> bool:
    return widget.layout.display != "none"


def step(summary: str, name: str) -> str:
    match = re.search(rf'data-step="{name}" title="(\w+)"', summary)
    assert match, summary
    return match.group(1)


def test_a_resumed_failed_batch_shows_import_done_and_validate_failed(lakehouse, bad_uri):
    live = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    live.run()
    assert live.phase == "failed"
    resumed = Ingestion.resume(live.branch, client=lakehouse)
    panel = IngestionPanel(resumed)
    assert panel.wait(60)
    assert step(panel.summary.value, "import") == "done"
    assert step(panel.summary.value, "validate") == "failed"
    assert "wap-status-error" in panel.status.value and "Import failed" not in panel.status.value


def test_an_import_that_failed_before_data_offers_no_discard_and_keeps_its_error(lakehouse, s3_server, bucket):
    ing = Ingestion("orders", f"s3://{bucket}/nothing/*.parquet", client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    assert ing.phase == "failed" and not ing.state.branch_created
    # the branch is gone: nothing to discard, merge or re-validate
    assert not shown(panel.discard_button) and not shown(panel.merge_button)
    assert not shown(panel.revalidate_button)
    assert "Import failed:" in panel.status.value and "check(s) failed" not in panel.status.value
    assert "available once the data is imported" not in panel.charts_view.value
    assert "failed before any rows" in panel.charts_view.value
    assert step(panel.summary.value, "import") == "failed"
    assert "Ingestion.resume(" not in views.ingestion_html(ing)  # nothing to resume


def test_finished_panels_show_no_buttons(lakehouse, orders_uri, put_table):
    merged = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge")
    merged_panel = IngestionPanel(merged)
    merged_panel.run()
    assert merged_panel.wait(60) and merged.phase == "merged"
    discarded = Ingestion("orders", put_table("orders/more/part-000.parquet", orders_batch(120).slice(90)),
                          checks=STRICT, client=lakehouse)
    discarded_panel = IngestionPanel(discarded)
    discarded_panel.run()
    assert discarded_panel.wait(60) and shown(discarded_panel.merge_button)
    discarded_panel.request("discard")
    discarded_panel.confirm()
    assert discarded_panel.wait(60) and discarded.phase == "discarded"
    for panel in (merged_panel, discarded_panel):
        for button in (panel.merge_button, panel.discard_button, panel.revalidate_button, panel.rebase_button,
                       panel.run_button):
            assert not shown(button), (panel, button.description)


def test_main_moved_shows_without_clicking_merge(lakehouse, orders_uri, put_table):
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ours = Ingestion("orders", put_table("orders/ours/part-000.parquet", orders_batch(120).slice(90)),
                     checks=STRICT, client=lakehouse)
    ours_panel = panel_for(ours)
    ours_panel.run()
    assert ours_panel.wait(60) and "since this import" not in ours_panel.summary.value
    theirs = Ingestion("orders", put_table("orders/theirs/part-000.parquet", orders_batch(130).slice(120)),
                       checks=STRICT, client=lakehouse, on_success="merge")
    theirs_panel = panel_for(theirs)
    theirs_panel.run()  # merged by another panel of the same notebook
    deadline = time.monotonic() + 30
    while "since this import" not in ours_panel.summary.value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "main moved 1 commit since this import" in ours_panel.summary.value
    assert shown(ours_panel.rebase_button)  # orders changed on main: rebasing is worth it


def test_rebase_is_not_offered_when_only_other_tables_changed(lakehouse, orders_uri, put_table):
    ours = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ours)
    panel.run()
    assert panel.wait(60)
    Ingestion("customers", put_table("customers/part-000.parquet", customers(20)), client=lakehouse,
              on_success="merge").run()
    panel.read_behind()
    assert panel.behind == 1 and ours.inspect.moved_tables() == []
    assert not shown(panel.rebase_button)
    assert "other tables only" in panel.summary.value


def test_merge_anyway_says_how_and_refuses_a_throwaway_reason(lakehouse, orders_uri, bad_uri):
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60) and panel.merge_button.description == "Merge anyway"
    tip = panel.merge_button.tooltip
    assert "Override failed checks" in tip and "reason" in tip
    panel.override.value = True
    panel.reason.value = "ok"
    assert panel.merge_button.disabled and f"at least {MIN_REASON} characters" in panel.reason_hint.value
    panel.reason.value = "TICKET-42 fixed downstream"
    assert not panel.merge_button.disabled and panel.reason_hint.value == ""


def test_failing_rows_put_the_checked_column_first(lakehouse, orders_uri, bad_uri):
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    ing = Ingestion("orders", bad_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    panel.failure_select.value = ("orders", "accepted_values(status)")
    head = re.findall(r"<th[^>]*>([^<]*)</th>", panel.failure_rows.value)
    assert head[0] == "status", head


def test_confirmation_wraps_its_question_and_keeps_its_buttons_whole(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    panel.request("discard")
    assert panel.confirm_box.layout.flex_flow == "row wrap"
    assert panel.confirm_button.layout.flex == panel.cancel_button.layout.flex == "0 0 auto"
    assert panel.confirm_text.layout.min_width == "0"
    panel.cancel()
