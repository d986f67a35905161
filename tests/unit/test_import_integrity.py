"""What lands is exactly what the files hold: regression tests for the reader's integrity findings."""

from __future__ import annotations

import gzip
import io
import random

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from wap_notebook.lakehouse.errors import SourceFormatError
from wap_notebook.lakehouse.sources import iter_batches, read_schema, resolve


def _pizza_csv(rows: int) -> bytes:
    """Unquoted inch marks (`12" pizza`) and multi-line quoted comments, as in real order exports."""
    rnd = random.Random(7)
    lines = ["id,item,comment"]
    for i in range(rows):
        item = f'{rnd.choice([10, 12, 14])}" pizza'
        comment = f'"line one of {i}\nline two, with ""quotes"""' if i % 7 == 0 else f"plain {i}"
        lines.append(f"{i},{item},{comment}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_stray_quotes_and_multiline_values_import_exactly(tmp_path, monkeypatch, suffix):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "4096")  # hundreds of block boundaries
    data = _pizza_csv(20_000)
    path = tmp_path / f"orders{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    [file] = resolve(str(path))
    schema = read_schema(file)
    got = pa.Table.from_batches(list(iter_batches(file, schema)), schema=schema)
    reference = pcsv.read_csv(io.BytesIO(data), parse_options=pcsv.ParseOptions(newlines_in_values=True))
    by_pandas = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert got.num_rows == reference.num_rows == len(by_pandas) == 20_000
    assert got.column("item").to_pylist() == reference.column("item").to_pylist() == by_pandas["item"].tolist()
    assert got.column("comment").to_pylist() == by_pandas["comment"].tolist()


def test_a_row_longer_than_the_limit_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "4096")
    path = tmp_path / "wide.csv"
    path.write_bytes(b"id,text\n" + b"".join(f"{i},short\n".encode() for i in range(2000)) + b"1," + b"x" * 10_000
                     + b"\n")
    [file] = resolve(str(path))
    with pytest.raises(SourceFormatError) as info:
        list(iter_batches(file, pa.schema([("id", pa.int64()), ("text", pa.string())])))
    message = str(info.value)
    assert "wide.csv" in message and "4,096 bytes" in message and "WAP_MAX_ROW_BYTES" in message
    assert "straddling" not in message and "block size" not in message


def test_a_first_row_over_a_mebibyte_imports(tmp_path):
    big = "y" * (2 << 20)
    path = tmp_path / "first_row.csv"
    path.write_text(f"id,text\n1,{big}\n2,small\n")
    [file] = resolve(str(path))
    schema = read_schema(file)
    got = pa.Table.from_batches(list(iter_batches(file, schema)), schema=schema)
    assert got.column("text").to_pylist() == [big, "small"]


def test_an_unclosed_quote_is_refused_not_read_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "4096")
    path = tmp_path / "unclosed.csv"
    path.write_bytes(b"id,text\n1,ok\n2,\"never closed\n" + b"3,more\n" * 5000)
    [file] = resolve(str(path))
    with pytest.raises(SourceFormatError, match="unclosed.csv"):
        list(iter_batches(file, pa.schema([("id", pa.int64()), ("text", pa.string())])))


@pytest.mark.parametrize("uri", ["s3://bucket/../other/key.csv", "s3://bucket/a/./b.csv", "s3://bucket/x/../b.csv",
                                 "s3://bucket//key.csv", "s3://bucket/a//b/*.csv"])
def test_non_canonical_s3_keys_are_refused_before_any_read(uri):
    with pytest.raises(ValueError, match="path segments are refused"):
        resolve(uri)


def test_local_spellings_of_one_file_resolve_to_one_uri(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.csv").write_text("id\n1\n")
    monkeypatch.chdir(tmp_path)
    spellings = ["d/f.csv", "./d/f.csv", "d/../d/f.csv", str(tmp_path / "d" / "." / "f.csv")]
    assert {resolve(s)[0].uri for s in spellings} == {str(tmp_path / "d" / "f.csv")}


def _parquet(tmp_path, name: str, table: pa.Table):
    import pyarrow.parquet as pq

    path = tmp_path / name
    pq.write_table(table, path)
    [file] = resolve(str(path))
    return file


@pytest.mark.parametrize("values, target, shown", [
    (pa.array([True, False]), pa.int64(), "bool"),
    (pa.array([1_700_000_000_000_000], pa.timestamp("us")), pa.string(), "timestamp"),
    (pa.array(["1e3", "2"]), pa.float64(), "'1e3'"),
    (pa.array([1.5, 2.0]), pa.int64(), "double"),
    (pa.array([7], pa.int64()), pa.string(), "int64"),
])
def test_appends_never_cast_silently(tmp_path, values, target, shown):
    file = _parquet(tmp_path, "batch.parquet", pa.table({"x": values}))
    with pytest.raises(SourceFormatError) as info:
        list(iter_batches(file, pa.schema([("x", target)])))
    message = str(info.value)
    assert "batch.parquet" in message and "'x'" in message and str(target) in message and shown in message


@pytest.mark.parametrize("values, target", [
    (pa.array([1, 2], pa.int32()), pa.int64()),
    (pa.array([1.5], pa.float32()), pa.float64()),
    (pa.array([3], pa.int32()), pa.float64()),
    (pa.array(["a"], pa.large_string()), pa.string()),
])
def test_lossless_widenings_are_accepted(tmp_path, values, target):
    file = _parquet(tmp_path, "wide.parquet", pa.table({"x": values}))
    [batch] = list(iter_batches(file, pa.schema([("x", target)])))
    assert batch.column(0).to_pylist() == values.to_pylist()
