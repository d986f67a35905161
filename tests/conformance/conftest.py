"""Conformance scenarios: Bauplan's public examples, docs and SDK stubs, run against `LocalClient`.

Each test cites where its expectation comes from. Sources are local parquet files (the embedded
lakehouse reads local paths as it reads `s3://`), so these scenarios need no S3 server and run fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import bauplan
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook import LocalClient

USER = "tester"


@pytest.fixture
def client(tmp_path) -> LocalClient:
    return LocalClient(tmp_path / "lake", username=USER)


@pytest.fixture
def write(tmp_path) -> Callable[[str, pa.Table], str]:
    """Write a parquet file under the test's folder; return its path (a search URI)."""

    def _write(name: str, table: pa.Table) -> str:
        path = Path(tmp_path) / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return str(path)

    return _write


@pytest.fixture(scope="session")
def real_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real `bauplan.Client`, offline: its endpoint is a closed loopback port, so every check it makes before
    any network I/O is observable, and whatever passes them fails with a transport error."""
    profile = tmp_path_factory.mktemp("profile") / "config.yml"
    profile.write_text("profiles:\n  default:\n    api_key: dummy\n    api_endpoint: http://127.0.0.1:9\n")
    return bauplan.Client(profile="default", config_file_path=str(profile), client_timeout=3)
