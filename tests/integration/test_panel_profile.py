"""The panel's Profile tab: the new rows profiled beside main, checks suggested to copy (never applied), and
the table's history; the work runs off the UI thread with the buttons disabled."""

from __future__ import annotations

import html
import re
import threading

from shared_data import STRICT_ORDER_CHECKS as STRICT

from wap_notebook import Ingestion
from wap_notebook.checks.yaml_form import parse_checks
from wap_notebook.demo.sample_data import orders_batch
from wap_notebook.notebook.panel.details import PROFILE_TAB
from wap_notebook.notebook.panel.widget import IngestionPanel


def second_batch(lakehouse, orders_uri, put_table) -> Ingestion:
    """A batch on top of a merged one: main has rows and a history to compare with."""
    Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse, on_success="merge").run()
    more = put_table("orders/more/part-000.parquet", orders_batch(120).slice(90))
    return Ingestion("orders", more, checks=STRICT, client=lakehouse)


def test_the_profile_loads_when_the_tab_is_opened_with_main_beside_it(lakehouse, orders_uri, put_table):
    ing = second_batch(lakehouse, orders_uri, put_table)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    tab = panel.tabs.profile
    assert tab.loaded_for is None and "loads when this tab is open" in tab.profile_view.value  # not yet asked
    panel.tabs.selected_index = PROFILE_TAB
    assert panel.wait(60)
    shown = tab.profile_view.value
    frame = ing.profile()
    for column in frame["column"]:
        assert f"<td class=\"\">{column}</td>" in shown
    assert "New rows: 30;" in shown and "(main " in shown  # new rows' figures with main's beside
    assert ">top values</th>" in shown and "ingestion.profile()" in shown
    history = tab.history_view.value
    assert html.escape("wap_notebook.history('orders')") in history
    assert history.count("<tr>") == 2  # the header and the one merge into orders
    assert "checks passed" in panel.status.value  # the verdict stays the status line
    assert tab.loaded_for == (ing.branch, "orders")
    panel.tabs.selected_index = 0
    panel.tabs.selected_index = PROFILE_TAB  # reopened: still current, nothing runs again
    assert not panel.busy and panel.wait(60)


def test_suggested_checks_are_shown_to_copy_and_not_applied(lakehouse, orders_uri, put_table):
    ing = second_batch(lakehouse, orders_uri, put_table)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    report_before, checks_before = ing.report.copy(), ing.spec.checks
    panel.tabs.selected_index = PROFILE_TAB
    assert panel.wait(60)
    panel.tabs.profile.suggest_button.click()
    assert panel.wait(60)
    shown = panel.tabs.profile.suggestions_view.value
    blocks = [html.unescape(b) for b in re.findall(r'<pre class="wap-code" data-lang="\w+">(.*?)</pre>', shown, re.S)]
    assert len(blocks) == 2
    yaml_text, python_text = blocks
    assert yaml_text == ing.suggest_checks().yaml and "not_null" in yaml_text
    assert parse_checks(yaml_text)  # pasted into a cell, it parses
    assert python_text.startswith('ingestion.validate(checks="""')
    assert "not applied" in panel.status.value
    assert ing.spec.checks == checks_before and ing.report.equals(report_before)


def test_buttons_are_disabled_while_profiling(lakehouse, orders_uri):
    ing = Ingestion("orders", orders_uri, checks=STRICT, client=lakehouse)
    panel = IngestionPanel(ing)
    panel.run()
    assert panel.wait(60)
    entered, release = threading.Event(), threading.Event()
    profile = ing.profile

    def held_profile(table=None):  # the real profile, held for a moment so the busy state can be seen
        entered.set()
        release.wait(30)
        return profile(table)

    ing.profile = held_profile
    panel.tabs.selected_index = PROFILE_TAB
    assert entered.wait(30)
    try:
        assert panel.busy and "Profiling" in panel.status.value
        assert all(b.disabled for b in (panel.merge_button, panel.discard_button, panel.revalidate_button,
                                        panel.tabs.profile.suggest_button))
        assert "profiling" in panel.tabs.profile.profile_view.value
    finally:
        release.set()
    assert panel.wait(60)
    assert not panel.tabs.profile.suggest_button.disabled and not panel.merge_button.disabled
    assert ">type</th>" in panel.tabs.profile.profile_view.value


def test_before_any_data_the_tab_says_why_and_runs_nothing(lakehouse, orders_uri):
    panel = IngestionPanel(Ingestion("orders", orders_uri, client=lakehouse))
    panel.tabs.selected_index = PROFILE_TAB
    assert not panel.busy
    assert "once the data is imported" in panel.tabs.profile.profile_view.value
    assert panel.tabs.profile.suggest_button.disabled
