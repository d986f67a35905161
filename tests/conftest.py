"""Shared fixtures: a real moto S3 server on loopback and a fresh embedded lakehouse per test."""

from __future__ import annotations

import io
import os
import tempfile
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook.demo.s3 import start_s3_server
from wap_notebook.demo.sample_data import orders_bad_batch, orders_batch

# Never let an SDK probe the cloud metadata endpoint from the test machine, and never pick up a
# developer's real Bauplan credentials.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("BAUPLAN_API_KEY", "BAUPLAN_PROFILE", "WAP_BACKEND"):
    os.environ.pop(_var, None)
# This machine's registry of ingestions (wap_notebook/core/whereabouts.py) is never the developer's own: one
# for the session (fixtures wider than a test), one per test below.
os.environ["WAP_INGESTIONS_FILE"] = os.path.join(tempfile.mkdtemp(prefix="wap-tests-"), "ingestions.json")


@pytest.fixture(autouse=True)
def ingestion_registry(tmp_path, monkeypatch):
    """Where this test's ingestions note their lakehouse (subprocesses inherit it through the environment)."""
    path = tmp_path / "ingestions.json"
    monkeypatch.setenv("WAP_INGESTIONS_FILE", str(path))
    return path


@pytest.fixture(scope="session")
def s3_server():
    server = start_s3_server()
    saved = {key: os.environ.get(key) for key in server.env}
    os.environ.update(server.env)
    yield server
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def bucket(s3_server) -> str:
    """A fresh, empty bucket for one test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(name)
    return name


@pytest.fixture
def put_table(s3_server, bucket):
    """Upload a pyarrow table as parquet/csv/jsonl to `s3://<bucket>/<key>` and return the URI."""

    def _put(key: str, table: pa.Table, fmt: str | None = None) -> str:
        fmt = fmt or key.rsplit(".", 1)[-1]
        buffer = io.BytesIO()
        if fmt == "parquet":
            pq.write_table(table, buffer)
        elif fmt == "csv":
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, buffer)
        elif fmt == "jsonl":
            buffer.write(table.to_pandas().to_json(orient="records", lines=True, date_format="iso").encode())
        else:
            raise ValueError(fmt)
        return s3_server.upload_bytes(bucket, key, buffer.getvalue())

    return _put


@pytest.fixture
def orders_uri(put_table):
    """90 good orders in two parquet files, as a glob (the panel tests' batch)."""
    table = orders_batch(90)
    uri = put_table("orders/good/part-000.parquet", table.slice(0, 45))
    put_table("orders/good/part-001.parquet", table.slice(45))
    return uri.rsplit("/", 1)[0] + "/*.parquet"


@pytest.fixture
def bad_uri(put_table):
    """Orders that fail `shared_data.STRICT_ORDER_CHECKS` (nulls, a duplicate, amounts and statuses out of range)."""
    return put_table("orders/bad/part-000.parquet", orders_bad_batch())


@pytest.fixture
def lakehouse(tmp_path):
    from wap_notebook import LocalClient

    return LocalClient(tmp_path / "lakehouse", username="tester")


@pytest.fixture
def lake_path(tmp_path, monkeypatch):
    """The embedded lakehouse a magic or the CLI opens by default (WAP_LAKEHOUSE_PATH), in a fresh folder."""
    path = tmp_path / "lakehouse"
    monkeypatch.setenv("WAP_LAKEHOUSE_PATH", str(path))
    monkeypatch.setenv("WAP_BACKEND", "local")
    return path


@pytest.fixture
def shell(lake_path):
    """A real IPython shell with the extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "wap_notebook")
    for name in ("ingestion", "ing", "bad", "uri"):
        ip.user_ns.pop(name, None)
    yield ip
    ip.run_line_magic("unload_ext", "wap_notebook")


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """The embedded lakehouse the command line opens by default, in a fresh folder."""
    monkeypatch.setenv("WAP_LAKEHOUSE_PATH", str(tmp_path / "lh"))
    monkeypatch.setenv("WAP_BACKEND", "local")
    return tmp_path / "lh"


@pytest.fixture
def checks_file(tmp_path):
    """A `--checks` YAML file with the command-line tests' checks."""
    from shared_data import CLI_CHECKS

    path = tmp_path / "checks.yaml"
    path.write_text(CLI_CHECKS)
    return path
