"""One way to run a Jupyter server for the browser tests: isolated from the machine's Jupyter settings, on
loopback with no token, no news or update checks, stopped (with its kernels) when the test is done."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment with every Jupyter and IPython folder under `home`."""
    return {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), **extra}


@contextmanager
def jupyter_server(module: str, app_options: list[str], env: dict[str, str], work: Path,
                   log_path: Path) -> Iterator[str]:
    """`python -m <module>` (jupyterlab or notebook) serving `work`; yields its URL once it answers."""
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={work}",
         *app_options],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    log.close()
                    pytest.fail(f"{module} did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
