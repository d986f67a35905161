"""Notebook 7 (`jupyter notebook`) in headless Chromium: a notebook executed and saved with panels reopens
showing each panel's last state (verdict, checks, the resume line) from the saved view alone.

The notebook is executed headless (nbclient keeps the display updates and the widget state), then opened in
a Notebook 7 server whose new kernel has no panel models: the widget outputs cannot render there, so the
saved view beside each one must, and the "model not found" line must stay hidden.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from shared_data import GOOD_CHECKS

from .test_browser import CHROMIUM, CHROMIUM_ARGS, LOOPBACK, SETUP, VIEWPORT, free_port

pytestmark = pytest.mark.browser

NOTEBOOK = "reopened.ipynb"
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
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    port = free_port()
    log = open(tmp_path / "notebook.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={work}",
         "--JupyterNotebookApp.news_url=None",
         "--JupyterNotebookApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail("Notebook 7 did not start:\n" + (tmp_path / "notebook.log").read_text()[-3000:])
            time.sleep(0.2)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log.close()


def test_a_saved_notebook_reopens_with_each_panels_last_state_in_notebook7(notebook7):
    from playwright.sync_api import expect, sync_playwright

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
            page.goto(f"{notebook7}/notebooks/{NOTEBOOK}")
            saved = page.locator(".wap-saved")
            expect(saved.first).to_be_visible(timeout=60_000)
            expect(saved).to_have_count(3)
            page.wait_for_timeout(2000)  # the widget manager gives up on the missing models
            for i in range(3):
                expect(saved.nth(i)).to_be_visible()
            assert page.locator(".jp-OutputArea-child:visible", has_text="model not found").count() == 0
            expect(saved.nth(0).locator(".wap-phase[data-phase='merged']")).to_have_count(1)
            expect(saved.nth(1).locator(".wap-phase[data-phase='passed']")).to_have_count(1)
            failed = saved.nth(2)
            expect(failed.locator(".wap-phase[data-phase='failed']")).to_have_count(1)
            expect(failed.locator(".wap-checks tr[data-status]")).to_have_count(7)
            expect(failed).to_contain_text("Ingestion.resume('")
            failed.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(300)
            page.screenshot(path=str(BUILD / "panel_reopened_notebook7.png"))
        except Exception:
            if page is not None:
                page.screenshot(path=str(BUILD / "notebook7_failure.png"))
            raise
        finally:
            browser.close()
