"""A real JupyterLab in Debian's headless Chromium: the panel's four end states, clicked like a user.

One JupyterLab server and one notebook (written here) give four panels: checks passed, checks failed (7
checks, a planted out-of-range amount), merged with an override and a reason, and discarded; the last
two are reached by clicking the panel's own buttons; the failed one's Profile tab is opened and asked for
checks. At 1400x1000 each panel is scrolled to the top of the notebook and screenshotted
(build/panel_<state>.png; the README shows the copies in docs/): its buttons must be on screen without
scrolling, its charts drawn. The lakehouse is checked afterwards.

Everything stays on 127.0.0.1: JupyterLab with empty token and password, a temporary HOME and Jupyter
dirs, no news or update checks, and the browser refuses every request to another host.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from shared_data import GOOD_CHECKS

from wap_notebook import LocalClient

from .servers import isolated_env, jupyter_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "panel_states.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = "http://127.0.0.1:"
VIEWPORT = {"width": 1400, "height": 1000}
NARROW = {"width": 1000, "height": 800}
REASON = "known bad rows, fixed downstream (TICKET-42)"

CHECKS = GOOD_CHECKS

SETUP = """\
import os, tempfile
import pyarrow as pa, pyarrow.parquet as pq
os.environ["WAP_LAKEHOUSE_PATH"] = os.environ["WAP_TUTORIAL_LAKEHOUSE"]
os.environ["WAP_BACKEND"] = "local"
from wap_notebook.demo import local_s3
from wap_notebook.demo.sample_data import orders_bad_batch
s3 = local_s3()
# the tutorial's bad batch, plus one planted out-of-range amount
rows = orders_bad_batch().to_pylist()
rows[3]["amount"] = 99999.0
bad = f"{tempfile.mkdtemp(prefix='wap-bad-')}/part-000.parquet"
pq.write_table(pa.Table.from_pylist(rows, schema=orders_bad_batch().schema), bad)
"""


def panel_states_notebook() -> nbformat.NotebookNode:
    """Base batch merged; then four ingestions of 7 checks each (5 given + row_count + schema_compatible)."""
    cells = [
        SETUP,
        "%load_ext wap_notebook",
        f'%%wap_ingest orders {{s3.uris["orders"]}} --on-success merge --as base\n{CHECKS}',
        f'%%wap_ingest orders {{s3.uris["orders_append"]}} --as passed\n{CHECKS}',
        f"%%wap_ingest orders {{bad}} --as failed\n{CHECKS}",
        f"%%wap_ingest orders {{bad}} --as override\n{CHECKS}",
        f'%%wap_ingest orders {{s3.uris["orders_append"]}} --as discard\n{CHECKS}',
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


@pytest.fixture
def jupyterlab(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does it)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    home, work, lake = tmp_path / "home", tmp_path / "notebooks", tmp_path / "lakehouse"
    for folder in (home, work):
        folder.mkdir()
    nbformat.write(panel_states_notebook(), work / NOTEBOOK)
    config_dir, settings_dir = home / ".jupyter", home / "lab-settings"
    (config_dir / "labconfig").mkdir(parents=True)
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyterlab/extensionmanager-extension": True,
    }}))
    tracker = settings_dir / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # every cell in the DOM, so the panels of later cells can be found and clicked
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none",
                                                                     "autoStartDefaultKernel": True}))
    env = isolated_env(home, WAP_TUTORIAL_LAKEHOUSE=str(lake))
    for key in ("AWS_ENDPOINT_URL", "WAP_LAKEHOUSE_PATH"):
        env.pop(key, None)
    with jupyter_server("jupyterlab", ["--LabApp.news_url=None",
                                       "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                                       "--LabApp.extension_manager=readonly"],
                        env, work, tmp_path / "jupyterlab.log") as url:
        yield url, lake


def open_and_run_all(page, url: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(f"{url}/lab/tree/{NOTEBOOK}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    select_kernel = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:  # JupyterLab may still ask which kernel to start
        select_kernel.click(timeout=3_000)
    except PlaywrightTimeout:
        pass
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_text("Run All Cells", exact=True).click()
    expect(page.locator(".wap-panel")).to_have_count(5, timeout=60_000)
    # every cell has run (none queued or running), so clicks are not waiting behind a cell
    expect(page.locator(".jp-InputArea-prompt", has_text="*")).to_have_count(0, timeout=90_000)


def panel_of(page, name: str):
    """The panel shown by the cell whose magic says `--as <name>`."""
    cell = page.locator(".jp-CodeCell").filter(has_text=f"--as {name}").last
    return cell.locator(".wap-panel").first


def fits(page, panel, state: str) -> None:
    """Nothing of the panel runs off its right edge: no sideways scroll, status and messages wrapped."""
    width = page.viewport_size["width"]
    overflow = panel.evaluate(
        "el => { const r = el.getBoundingClientRect(); const out = [];"
        " for (const c of el.querySelectorAll('.wap-status, .wap-summary, .wap-checks td.wap-msg, button')) {"
        "   const b = c.getBoundingClientRect(); if (b.width && b.right > r.right + 1) out.push(c.className + ' ' +"
        "   Math.round(b.right) + '>' + Math.round(r.right)); }"
        " for (const b of el.querySelectorAll('button')) { if (b.offsetWidth && b.scrollWidth > b.clientWidth + 1)"
        "   out.push('squeezed ' + b.textContent); }"
        " return out; }")
    assert not overflow, (state, overflow)
    box = panel.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width + 1, (state, box)


def show_and_shoot(page, panel, state: str, *, buttons: tuple[str, ...] = ("Merge", "Discard"),
                   charts_expected: bool = True) -> dict[str, float]:
    """Scroll the panel to the top of the notebook, check what a user sees, screenshot the window."""
    from playwright.sync_api import expect

    panel.evaluate("el => { el.scrollIntoView({block: 'start'}); el.closest('.jp-WindowedPanel-outer')"
                   "?.scrollBy(0, -8); }")
    page.wait_for_timeout(300)  # let the last widget updates paint
    box = panel.bounding_box()
    assert box is not None
    height = page.viewport_size["height"]
    for name in buttons:
        button = panel.locator("button", has_text=name).first
        expect(button).to_be_visible()
        bbox = button.bounding_box()
        assert bbox is not None and 0 <= bbox["y"] and bbox["y"] + bbox["height"] <= height, (state, bbox)
    fits(page, panel, state)
    if not charts_expected:
        page.screenshot(path=str(BUILD / f"panel_{state}.png"))
        return {"height": box["height"], "charts": 0}
    charts = panel.locator(".wap-chart svg")
    expect(charts.first).to_be_visible(timeout=30_000)
    chart_box = charts.first.bounding_box()
    assert chart_box is not None and chart_box["height"] > 60 and chart_box["width"] > 150
    assert charts.first.locator("path, rect").count() > 3  # marks drawn, not an empty frame
    page.screenshot(path=str(BUILD / f"panel_{state}.png"))
    return {"height": box["height"], "charts": charts.count()}


def profile_and_suggest(page, panel) -> None:
    """The Profile tab: the new rows' profile beside main, then the suggested checks to copy, each shot."""
    from playwright.sync_api import expect

    panel.locator(".lm-TabBar-tab", has_text="Profile").click()
    profile = panel.locator(".wap-profile")
    expect(profile.locator("th", has_text="top values")).to_be_visible(timeout=60_000)
    expect(profile.locator("tbody tr")).to_have_count(6)  # one per column of orders
    expect(panel.locator(".wap-history")).to_contain_text("wap_notebook.history('orders')")
    suggest = panel.locator("button", has_text="Suggest checks")
    expect(suggest).to_be_enabled(timeout=30_000)
    fits(page, panel, "profile")
    panel.evaluate("el => el.querySelector('.wap-profile').closest('.widget-tab')?.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(BUILD / "panel_profile.png"))
    suggest.click()
    yaml_block = panel.locator("pre.wap-code[data-lang='yaml']")
    expect(yaml_block).to_contain_text("not_null", timeout=60_000)
    expect(panel.locator(".wap-status")).to_contain_text("not applied")
    fits(page, panel, "suggestions")
    yaml_block.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(BUILD / "panel_suggested_checks.png"))
    panel.locator(".lm-TabBar-tab", has_text="Charts").click()


def test_panel_states_in_jupyterlab(jupyterlab, request):
    from playwright.sync_api import expect, sync_playwright

    url, lake_path = jupyterlab
    BUILD.mkdir(exist_ok=True)
    measured: dict[str, dict[str, float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = None
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOOPBACK)
                          else route.abort())
            page = context.new_page()
            page.set_default_timeout(60_000)
            open_and_run_all(page, url)

            passed = panel_of(page, "passed")
            expect(passed.locator(".wap-phase[data-phase='passed']")).to_have_count(1)
            expect(passed.locator(".wap-checks tr[data-status]")).to_have_count(7)
            measured["passed"] = show_and_shoot(page, passed, "passed")

            failed = panel_of(page, "failed")
            expect(failed.locator(".wap-phase[data-phase='failed']")).to_have_count(1)
            expect(failed.locator(".wap-checks tr[data-status]")).to_have_count(7)
            # failing rows + amount + status: order_id and customer_id (only key checks, nearly every value
            # distinct in 41 rows) are named, not histogrammed; failing values labelled with their count
            expect(failed.locator(".wap-chart")).to_have_count(3)
            expect(failed).to_contain_text("Not charted (keys")
            expect(failed.locator(".wap-chart svg text", has_text="failing").first).to_be_attached()
            measured["failed"] = show_and_shoot(page, failed, "failed")
            rows = failed.locator(".wap-checks tbody tr")
            heights = {round(rows.nth(i).bounding_box()["height"]) for i in range(7)}
            assert max(heights) <= 44, heights  # a check takes at most two lines: its message wraps, in view
            profile_and_suggest(page, failed)

            override = panel_of(page, "override")
            override.scroll_into_view_if_needed()
            merge = override.locator("button", has_text="Merge anyway")
            expect(merge).to_be_disabled()
            override.get_by_text("Override failed checks").click()
            assert "Override failed checks" in (merge.get_attribute("title") or "")  # says how
            override.get_by_placeholder("Reason (recorded in the merge commit)").fill("ok")
            expect(merge).to_be_disabled()  # a throwaway reason is not one
            override.get_by_placeholder("Reason (recorded in the merge commit)").fill(REASON)
            expect(merge).to_be_enabled()
            merge.click()
            expect(override.locator("button", has_text="Confirm")).to_be_visible()
            expect(override.locator(".wap-confirm-text")).to_contain_text("overridden")
            fits(page, override, "override_confirmation")  # the question wraps, Confirm / Cancel stay whole
            page.screenshot(path=str(BUILD / "panel_override_confirm.png"))
            override.locator("button", has_text="Confirm").click()
            expect(override.locator(".wap-phase[data-phase='merged']")).to_have_count(1, timeout=30_000)
            expect(override.locator(".wap-summary")).to_contain_text("MERGED WITH OVERRIDE")
            expect(override.locator(".wap-summary")).to_contain_text("TICKET-42")
            measured["merged_override"] = show_and_shoot(page, override, "merged_override", buttons=(),
                                                         charts_expected=False)
            # a finished panel offers nothing it cannot do
            expect(override.locator("button:visible", has_text="Merge")).to_have_count(0)

            discard = panel_of(page, "discard")
            discard.scroll_into_view_if_needed()
            discard.locator("button", has_text="Discard").click()
            discard.locator("button", has_text="Confirm").click()
            expect(discard.locator(".wap-phase[data-phase='discarded']")).to_have_count(1, timeout=30_000)
            measured["discarded"] = show_and_shoot(page, discard, "discarded", buttons=(), charts_expected=False)
            expect(discard.locator("button:visible")).to_have_count(0)  # no green Merge on a discarded panel

            # main moved (the override was merged): asking to merge the passed branch says so
            passed.scroll_into_view_if_needed()
            passed.locator("button", has_text="Merge").first.click()
            expect(passed.locator(".widget-html", has_text="since this import").first).to_be_visible()
            passed.locator("button", has_text="Cancel").click()
            expect(passed.locator(".wap-summary")).to_contain_text("main moved 1 commit since this import")
            rebase = passed.locator("button", has_text="Rebase")
            expect(rebase).to_be_visible()
            expect(rebase).to_be_enabled()
            assert "new head of main" in (rebase.get_attribute("title") or "")
            show_and_shoot(page, passed, "passed_behind_main")
            # Rebase: the same files re-imported on the new head of main and validated again
            rebase.click()
            passed.locator("button", has_text="Confirm").click()
            expect(passed.locator(".wap-status")).to_contain_text("Rebased on main@", timeout=60_000)
            expect(passed.locator(".wap-phase[data-phase='passed']")).to_have_count(1)
            expect(passed.locator(".wap-summary")).not_to_contain_text("since this import")
            expect(rebase).to_be_hidden()
            expect(passed.locator(".wap-chart svg").first).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1000)  # the data views reload after a rebase and re-render the output once
            page.screenshot(path=str(BUILD / "panel_passed_rebased.png"))

            # the kernel goes away: the open branch's panel says so and shows how to pick it up again
            page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
            page.get_by_text("Restart Kernel…", exact=True).click()
            page.locator(".jp-Dialog button.jp-mod-accept").click()
            offline = failed.locator(".wap-offline")
            expect(offline).to_be_visible(timeout=30_000)
            expect(offline).to_contain_text("Ingestion.resume('")
            failed.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(BUILD / "panel_disconnected.png"))

            # narrower window, then the dark theme: the failed panel still fits and reads
            page.set_viewport_size(NARROW)
            page.wait_for_timeout(500)
            fits(page, failed, "failed_narrow")
            failed.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(BUILD / "panel_failed_1000.png"))
            page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
            page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
            expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1, timeout=30_000)
            page.wait_for_timeout(800)
            failed.evaluate("el => el.scrollIntoView({block: 'start'})")
            fits(page, failed, "failed_dark_narrow")
            page.screenshot(path=str(BUILD / "panel_failed_dark_1000.png"))
            page.set_viewport_size(VIEWPORT)
            page.wait_for_timeout(500)
            failed.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(BUILD / "panel_failed_dark.png"))

            # saved, shut down, reopened: every panel shows its last state from the notebook alone
            page.keyboard.press("Control+s")
            page.wait_for_timeout(1500)
            page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
            page.get_by_text("Shut Down Kernel", exact=True).click()
            page.wait_for_timeout(1000)
            page.reload()
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            saved = page.locator(".wap-saved")
            expect(saved.first).to_be_visible(timeout=60_000)
            expect(saved).to_have_count(5)
            page.wait_for_timeout(1500)  # the widget manager gives up on the missing models
            for i in range(5):
                expect(saved.nth(i)).to_be_visible()
            assert page.locator(".jp-OutputArea-child:visible", has_text="model not found").count() == 0
            reopened = page.locator(".wap-saved").nth(2)  # the failed batch
            expect(reopened.locator(".wap-phase[data-phase='failed']")).to_have_count(1)
            expect(reopened.locator(".wap-checks tr[data-status]")).to_have_count(7)
            expect(reopened).to_contain_text("Ingestion.resume('")
            expect(reopened.locator(".wap-chart svg").first).to_be_visible()
            reopened.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(BUILD / "panel_reopened_dark.png"))
        except Exception:
            if page is not None:
                page.screenshot(path=str(BUILD / "browser_failure.png"))
            raise
        finally:
            browser.close()

    (BUILD / "panel_heights.json").write_text(json.dumps(measured, indent=2))
    print(f"\npanel heights at 1400x1000: {json.dumps(measured)}")
    lake = LocalClient(lake_path)
    commit = next(iter(lake.get_commits("main", limit=1)))
    properties = dict(commit.properties)
    assert properties.get("wap.forced") == "true" and properties.get("wap.force_reason") == REASON
    # passed and failed stay open for inspection; the override was merged and the last one discarded
    assert len([b.name for b in lake.get_branches() if ".import_orders_" in b.name]) == 2
