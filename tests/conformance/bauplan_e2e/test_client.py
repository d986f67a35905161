# Ported from BauplanLabs/bauplan python/tests/test_client.py (commit 5a2c1a0); every test keeps its name.
# Unchanged except client construction: `bauplan.Client()` -> `e2e_client()` (1 place(s)), a
# LocalClient on the seeded sandbox (tests/conformance/bauplan_e2e/local.py, conftest.py).
# ruff: noqa
"""Tests for Client construction."""

from concurrent.futures import ThreadPoolExecutor, as_completed
import pathlib

import bauplan
from tests.conformance.bauplan_e2e.local import e2e_client


def test_version():
    assert bauplan.__version__


def test_api_key_param(tmp_path: pathlib.Path):
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n  nokey:\n    api_endpoint: https://example.com\n")

    bauplan.Client(
        profile="nokey",
        api_key="bpln_dummy_key",
        config_file_path=str(config),
    )


def test_concurrent_queries():
    """A single Client should be usable from multiple threads (#106)."""
    client = e2e_client()

    def run_query():
        return client.query("SELECT COUNT(*) as n from titanic", ref="main")

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run_query) for i in range(3)]
        results = [f.result().column("n")[0].as_py() for f in as_completed(futures)]

    assert results == [891, 891, 891]
