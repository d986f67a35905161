"""A real JupyterLab in Debian's headless Chromium: run tutorial 01, click Merge in the panel, confirm.

Everything stays on 127.0.0.1: JupyterLab with empty token and password, a temporary HOME and Jupyter
dirs, no news or update checks, and the browser refuses every request to another host.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from wap_notebook import LocalClient

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
TUTORIAL = "01_quality_gated_ingestion.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = "http://127.0.0.1:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run does it)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    home, work, lake = tmp_path / "home", tmp_path / "notebooks", tmp_path / "lakehouse"
    for folder in (home, work):
        folder.mkdir()
    shutil.copy(ROOT / "notebooks" / TUTORIAL, work / TUTORIAL)  # the committed notebook stays clean
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
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(config_dir),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "WAP_TUTORIAL_LAKEHOUSE": str(lake)}
    for key in ("AWS_ENDPOINT_URL", "WAP_LAKEHOUSE_PATH"):
        env.pop(key, None)
    port = free_port()
    log = open(tmp_path / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"],
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
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.2)
    yield url, lake
    process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log.close()


def test_run_tutorial_and_merge_from_the_panel(jupyterlab, request):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    url, lake_path = jupyterlab
    screenshot = ROOT / "build" / "browser_merge.png"
    screenshot.parent.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOOPBACK)
                          else route.abort())
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{url}/lab/tree/{TUTORIAL}")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            select_kernel = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
            try:  # JupyterLab may still ask which kernel to start
                select_kernel.click(timeout=3_000)
            except PlaywrightTimeout:
                pass
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1)

            request.node.wap_page = page  # for the failure screenshot below
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.get_by_text("Run All Cells", exact=True).click()

            panels = page.locator(".wap-panel")
            expect(panels).to_have_count(4, timeout=30_000)
            customers = panels.filter(has_text="customers ←").last
            expect(customers.locator(".wap-phase[data-phase='passed']")).to_have_count(1, timeout=60_000)
            # the first panel followed `orders.merge()` run from code
            expect(panels.first.locator(".wap-status")).to_contain_text("Merged into main: commit")

            # every cell has run (none queued or running), so the click is not waiting behind a cell
            expect(page.locator(".jp-InputArea-prompt", has_text="*")).to_have_count(0, timeout=60_000)
            merge = customers.locator("button", has_text="Merge")
            expect(merge).to_be_enabled()
            customers.scroll_into_view_if_needed()
            clicked = time.monotonic()
            merge.click()
            confirm = customers.locator("button", has_text="Confirm")
            expect(confirm).to_be_visible()
            confirmed = time.monotonic()
            confirm.click()
            expect(customers.locator(".wap-status")).to_contain_text("Merged into main: commit", timeout=30_000)
            shown = time.monotonic()
            expect(customers.locator(".wap-phase[data-phase='merged']")).to_have_count(1)
            status = customers.locator(".wap-status").inner_text()
            page.wait_for_timeout(300)  # let the final button states paint before the screenshot
            customers.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))
        except Exception:
            page = getattr(request.node, "wap_page", None)
            if page is not None:
                page.screenshot(path=str(screenshot.with_name("browser_failure.png")))
            raise
        finally:
            browser.close()

    print(f"\nclick Merge -> merge commit shown: {shown - clicked:.3f} s "
          f"(Confirm -> shown: {shown - confirmed:.3f} s); screenshot: {screenshot}; status: {status.strip()}")
    lake = LocalClient(lake_path)
    assert lake.has_table("customers", "main", namespace="bauplan")
    assert lake.query("SELECT COUNT(*) AS n FROM bauplan.customers", ref="main").column("n")[0].as_py() == 50
    commit = next(iter(lake.get_commits("main", limit=1)))
    assert commit.ref.hash in status
    assert screenshot.stat().st_size > 10_000
