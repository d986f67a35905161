"""Differential readback: generated files go through the product end to end (`LocalClient.create_table` and
`import_data` onto a branch, as an ingestion runs them) and the Iceberg table is read back by independent
readers (PyIceberg's own scan of the table's metadata, and polars over it), value for value against what the
reference readers give for the file; or the import is refused with its error in the state. Never a third
outcome.

The batch-level suites beside this one prove the readers equal their references; this one proves nothing is
changed after them: schema inference for a new table, conforming to an existing table's types, the Parquet
data files and their field ids, the Iceberg metadata another engine plans from.

- CSV: the generator of `test_csv_reader` (quotes, stray quotes, newlines in values, BOMs, delimiters, the
  empty-value policy, Latin-1), imported into a table made beforehand with the reference's types, so the
  values must equal the generator's (and pyarrow's) exactly.
- JSON Lines: the generator of `test_jsonl_parquet_readers`, each file making a new table whose schema is
  inferred; values must equal Python's `json` module's, a whole number in a float column read as a float.
- Parquet: the same module's generator (type limits, decimals, timestamps from year 1, nested values, row
  groups, codecs), each a new table; values must equal `pyarrow.parquet.read_table`'s.

A fast sample runs in `make test`; `make test-slow` runs many more.
"""

from __future__ import annotations

import gzip
import itertools
import os
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyiceberg.table import StaticTable

from wap_notebook import LocalClient

from .test_csv_reader import TARGET, Generated, csv_files
from .test_jsonl_parquet_readers import _reference as json_module_rows
from .test_jsonl_parquet_readers import _same, jsonl_files, parquet_files

pl = pytest.importorskip("polars")
os.environ.setdefault("POLARS_ICEBERG_PLANNER", "pyiceberg")  # no warning per scan about its planner plugin

BRANCH = "fuzz.readback"
_NAMES = itertools.count()

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalClient:
    client = LocalClient(tmp_path_factory.mktemp("readback") / "lakehouse", username="fuzz")
    client.create_branch(BRANCH, "main")
    return client


def _imported(client: LocalClient, path: Any, *, schema_from: Any = None) -> tuple[str | None, str]:
    """Create a table (from `schema_from`, else from the file itself) and import the file on the branch:
    (the import's error or None, the table's name)."""
    name = f"t{next(_NAMES)}"
    client.create_table(name, str(schema_from or path), branch=BRANCH)
    state = client.import_data(name, str(path), branch=BRANCH)
    return state.error, name


def _read_back(client: LocalClient, name: str) -> dict[str, list[dict[str, Any]]]:
    """The table's rows as each independent Iceberg reader returns them, planned from its metadata alone."""
    table = StaticTable.from_metadata(client.get_table(name, ref=BRANCH).metadata_location)
    return {"pyiceberg": table.scan().to_arrow().to_pylist(),
            "polars": pl.scan_iceberg(table).collect().to_dicts()}


def _check_csv(client: LocalClient, folder: Any, file: Generated, gz: bool) -> None:
    path = folder / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(file.data) if gz else file.data)
    seed = folder / "seed.parquet"
    pq.write_table(TARGET.empty_table(), seed)
    error, name = _imported(client, path, schema_from=seed)
    if file.encoding == "latin-1" and not file.data.isascii():
        assert error is not None and "not UTF-8" in error, "a Latin-1 file was imported as if UTF-8"
        return
    assert error is None, f"a valid file was refused: {error}"
    want = [dict(zip(TARGET.names, row, strict=True)) for row in file.expected]
    for reader, rows in _read_back(client, name).items():
        assert sorted(rows, key=lambda r: r["id"]) == want, reader


def _check_jsonl(client: LocalClient, folder: Any, data: bytes, gz: bool) -> None:
    path = folder / ("f.jsonl.gz" if gz else "f.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    try:
        error, name = _imported(client, path)
    except Exception as exc:  # noqa: BLE001 - create_table refusing the file is the other allowed outcome
        assert type(exc).__module__.startswith(("bauplan", "wap_notebook")), repr(exc)
        return
    if error is not None:
        return  # refused with its error in the state: an allowed outcome
    types = {field.name: field.type for field in client.get_table(name, ref=BRANCH).fields}
    for reader, rows in _read_back(client, name).items():
        columns = list(rows[0]) if rows else []
        reference = json_module_rows(data, columns)
        assert len(rows) == len(reference), reader
        for number, (mine, theirs) in enumerate(zip(rows, reference, strict=True)):
            for column in columns:
                want = theirs[column]
                if isinstance(want, int) and not isinstance(want, bool) and "double" in str(types[column]).lower():
                    want = float(want)  # a float column holding a whole number written as such
                assert _same(mine[column], want), (reader, number, column, mine[column], want)


def _check_parquet(client: LocalClient, folder: Any, table: pa.Table, options: dict[str, Any]) -> None:
    path = folder / "f.parquet"
    pq.write_table(table, path, **options)
    error, name = _imported(client, path)
    assert error is None, f"a valid file was refused: {error}"
    want = pq.read_table(path).to_pylist()
    for reader, rows in _read_back(client, name).items():
        assert rows == want, reader


@FAST
@given(csv_files(), st.booleans())
def test_csv_reads_back_through_iceberg_as_the_reference(lake, tmp_path_factory, monkeypatch, file, gz):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")  # many small blocks: boundaries inside quoted values
    _check_csv(lake, tmp_path_factory.mktemp("csv"), file, gz)


@FAST
@given(jsonl_files(), st.booleans())
def test_jsonl_reads_back_through_iceberg_as_the_json_module(lake, tmp_path_factory, file, gz):
    _check_jsonl(lake, tmp_path_factory.mktemp("jsonl"), file[0], gz)


@FAST
@given(parquet_files())
def test_parquet_reads_back_through_iceberg_as_pyarrow(lake, tmp_path_factory, file):
    _check_parquet(lake, tmp_path_factory.mktemp("parquet"), *file)


@pytest.mark.slow
@SLOW
@given(csv_files(), st.booleans())
def test_csv_reads_back_through_iceberg_as_the_reference_many(lake, tmp_path_factory, monkeypatch, file, gz):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")
    _check_csv(lake, tmp_path_factory.mktemp("csv"), file, gz)


@pytest.mark.slow
@SLOW
@given(jsonl_files(), st.booleans())
def test_jsonl_reads_back_through_iceberg_as_the_json_module_many(lake, tmp_path_factory, file, gz):
    _check_jsonl(lake, tmp_path_factory.mktemp("jsonl"), file[0], gz)


@pytest.mark.slow
@SLOW
@given(parquet_files())
def test_parquet_reads_back_through_iceberg_as_pyarrow_many(lake, tmp_path_factory, file):
    _check_parquet(lake, tmp_path_factory.mktemp("parquet"), *file)
