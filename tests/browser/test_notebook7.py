"""Notebook 7 (`jupyter notebook`) in headless Chromium: a notebook executed and saved with panels reopens
showing each panel's last state (verdict, checks, the resume line).

The notebook is executed headless (nbclient keeps the display updates and the widget state) and opened in a
Notebook 7 server whose new kernel has none of the panels' models: with the widget state saved, the panels
render from it (disconnected); without it, the saved view beside each panel stands in and the "model not
found" line stays hidden. Both copies are signed (trusted), as a notebook the user ran and saved is.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from shared_data import GOOD_CHECKS

from .servers import isolated_env, jupyter_server
from .test_browser import CHROMIUM, CHROMIUM_ARGS, LOOPBACK, SETUP, VIEWPORT

pytestmark = pytest.mark.browser

NOTEBOOK = "reopened.ipynb"
WITHOUT_STATE = "reopened_without_widget_state.ipynb"
BUILD = Path(__file__).resolve().parents[2] / "build"


def executed_notebook(work, lake) -> None:
    """Base merged, then a passing and a failing batch left open: executed, saved with its outputs."""
    from nbclient import NotebookClient

    cells = [SETUP, "%load_ext wap_notebook",
             f'%%wap_ingest orders {{s3.uris["orders"]}} --on-success merge --as base\n{GOOD_CHECKS}',
             f'%%wap_ingest orders {{s3.uris["orders_append"]}} --as passed\n{GOOD_CHECKS}',
             f"%%wap_ingest orders {{bad}} --as failed\n{GOOD_CHECKS}"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    saved_env = os.environ.get("WAP_TUTORIAL_LAKEHOUSE")
    os.environ["WAP_TUTORIAL_LAKEHOUSE"] = str(lake)
    try:
        NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    finally:
        if saved_env is None:
            os.environ.pop("WAP_TUTORIAL_LAKEHOUSE", None)
        else:
            os.environ["WAP_TUTORIAL_LAKEHOUSE"] = saved_env
    nbformat.write(nb, work / NOTEBOOK)


@pytest.fixture
def notebook7(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does it)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    pytest.importorskip("notebook", reason="Notebook 7 (the notebook package) is not installed")
    home, work, lake = tmp_path / "home", tmp_path / "notebooks", tmp_path / "lakehouse"
    for folder in (home, work):
        folder.mkdir()
    executed_notebook(work, lake)
    # trusted, as a notebook the user ran and saved is (an untrusted one loses its styles to the sanitizer)
    from nbformat.sign import NotebookNotary

    (home / "data").mkdir()
    executed = nbformat.read(work / NOTEBOOK, as_version=4)
    without_state = nbformat.from_dict(executed)
    without_state.metadata.pop("widgets", None)
    nbformat.write(without_state, work / WITHOUT_STATE)
    with NotebookNotary(data_dir=str(home / "data")) as notary:
        notary.sign(executed)
        notary.sign(nbformat.read(work / WITHOUT_STATE, as_version=4))
    with jupyter_server("notebook", ["--JupyterNotebookApp.news_url=None",
                                     "--JupyterNotebookApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                        isolated_env(home), work, tmp_path / "notebook.log") as url:
        yield url


def reopen(page, url: str, name: str, *, models_missing: bool) -> None:
    """Open `name` in Notebook 7 and check each panel shows its last state, the failed one its resume line."""
    from playwright.sync_api import expect

    page.goto(f"{url}/notebooks/{name}")
    phases = page.locator(".wap-phase:visible")
    expect(phases).to_have_count(3, timeout=60_000)
    page.wait_for_timeout(2000)  # the widget manager renders saved models or gives up on missing ones
    assert [phases.nth(i).get_attribute("data-phase") for i in range(3)] == ["merged", "passed", "failed"]
    failed = page.locator(".jp-CodeCell").filter(has_text="--as failed").last
    expect(failed.locator(".wap-checks tr[data-status]:visible")).to_have_count(7)
    expect(failed.locator(":visible", has_text="Ingestion.resume('").last).to_be_visible()
    failed.locator(".wap-phase:visible").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1000)
    # scrolled into view (Notebook 7 renders cells as they come into view): no "model not found" shows
    errors = page.locator(".jp-OutputArea-output", has_text="model not found")
    assert errors.count() == (3 if models_missing else 0)
    for i in range(errors.count()):
        expect(errors.nth(i)).to_be_hidden()


def test_a_saved_notebook_reopens_with_each_panels_last_state_in_notebook7(notebook7):
    from playwright.sync_api import sync_playwright

    BUILD.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = None
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOOPBACK)
                          else route.abort())
            page = context.new_page()
            page.set_default_timeout(60_000)
            # saved with the widget state (nbclient's default): the panels render from it, disconnected
            reopen(page, notebook7, NOTEBOOK, models_missing=False)
            page.screenshot(path=str(BUILD / "panel_reopened_notebook7.png"))
            # saved without it (JupyterLab's and Notebook's default): the saved views stand in
            reopen(page, notebook7, WITHOUT_STATE, models_missing=True)
            assert page.locator(".wap-saved:visible").count() == 3
            page.screenshot(path=str(BUILD / "panel_reopened_notebook7_saved_view.png"))
        except Exception:
            if page is not None:
                page.screenshot(path=str(BUILD / "notebook7_failure.png"))
            raise
        finally:
            browser.close()
