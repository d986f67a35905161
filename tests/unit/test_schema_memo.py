"""The schema the preflight inferred from a new table's files is reused by the `create_table` that follows,
only for the same files (same URIs and sizes), once, and only while fresh; otherwise the files are read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook.core import schema_contract
from wap_notebook.lakehouse import schema_memo, sources
from wap_notebook.lakehouse.client import LocalClient


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """URIs whose schema was read from the file (footer or first block)."""
    seen: list[str] = []
    real = sources.read_schema

    def counted(file):
        seen.append(file.uri)
        return real(file)

    monkeypatch.setattr(sources, "read_schema", counted)
    return seen


def _lake(tmp_path: Path) -> LocalClient:
    lake = LocalClient(tmp_path / "lake", username="tester")
    lake.create_branch("tester.b", "main")
    return lake


def _write(path: Path, table: pa.Table) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return str(path)


def test_create_table_after_the_preflight_reads_no_footer(tmp_path, reads):
    lake = _lake(tmp_path)
    uri = _write(tmp_path / "src" / "a.parquet", pa.table({"id": [1, 2], "name": ["x", "y"]}))
    assert schema_contract.source_columns(lake, uri) == [("id", "int64"), ("name", "string")]
    assert len(reads) == 1
    lake.create_table("t", uri, branch="tester.b")
    assert len(reads) == 1  # the preflight's schema, not a second read
    assert [f.name for f in lake.get_table("t", "tester.b").fields] == ["id", "name"]
    lake.create_table("t2", uri, branch="tester.b")  # taken once: the next creation reads again
    assert len(reads) == 2


def test_a_file_rewritten_since_the_preflight_is_read_again(tmp_path, reads):
    lake = _lake(tmp_path)
    path = tmp_path / "src" / "a.parquet"
    uri = _write(path, pa.table({"id": [1, 2]}))
    schema_contract.source_columns(lake, uri)
    _write(path, pa.table({"id": [1, 2], "extra": ["a", "b"]}))  # another size
    lake.create_table("t", uri, branch="tester.b")
    assert len(reads) == 2
    assert [f.name for f in lake.get_table("t", "tester.b").fields] == ["id", "extra"]


def test_a_stale_preflight_schema_is_not_used(tmp_path, reads, monkeypatch):
    lake = _lake(tmp_path)
    uri = _write(tmp_path / "src" / "a.parquet", pa.table({"id": [1, 2]}))
    now = [100.0]
    monkeypatch.setattr(schema_memo, "clock", lambda: now[0])
    schema_contract.source_columns(lake, uri)
    now[0] += schema_memo.MAX_AGE_S + 1
    lake.create_table("t", uri, branch="tester.b")
    assert len(reads) == 2
