"""Source files: resolving search URIs on S3 (real moto server) and locally, reading, unifying, conforming."""


from __future__ import annotations

import gzip

import pyarrow as pa
import pytest
from shared_data import SOURCE_TABLE, csv_bytes, parquet_bytes, read_all

from wap_notebook.lakehouse import sources
from wap_notebook.lakehouse.errors import (
    SourceFormatError,
    SourceNotFoundError,
)
from wap_notebook.lakehouse.sources import (
    iter_batches,
    read_schema,
    resolve,
)


def test_s3_formats_resolve_and_stream(s3_server, bucket, put_table):
    put_table("data/a.parquet", SOURCE_TABLE)
    put_table("data/b.csv", SOURCE_TABLE)
    put_table("data/c.jsonl", SOURCE_TABLE)
    s3_server.upload_bytes(bucket, "data/d.csv.gz", gzip.compress(csv_bytes(SOURCE_TABLE)))
    s3_server.upload_bytes(bucket, "data/e.json.gz", gzip.compress(b'{"id": 1, "name": "a", "score": 1.5}\n'))

    files = resolve(f"s3://{bucket}/data/*")
    assert [f.uri for f in files] == [f"s3://{bucket}/data/{n}" for n in
                                      ("a.parquet", "b.csv", "c.jsonl", "d.csv.gz", "e.json.gz")]
    assert [(f.format, f.compression) for f in files] == [
        ("parquet", None), ("csv", None), ("jsonl", None), ("csv", "gzip"), ("jsonl", "gzip")]
    assert files[0].path == f"{bucket}/data/a.parquet" and files[0].size > 0

    expected = pa.schema([("id", pa.int64()), ("name", pa.string()), ("score", pa.float64())])
    for file in files:
        assert read_schema(file) == expected, file.uri
        table = read_all(file, expected)
        assert table.schema == expected
        assert table.num_rows == (1 if file.uri.endswith("e.json.gz") else 3), file.uri
        assert table.column("id").to_pylist()[0] == 1


def test_single_star_does_not_cross_directories_but_double_star_does(s3_server, bucket, put_table):
    for key in ("p/a.csv", "p/x/b.csv", "p/x/y/c.csv", "p/other.parquet"):
        put_table(key, SOURCE_TABLE)
    s3_server.upload_bytes(bucket, "p/x/", b"")  # directory marker: never a file

    assert [f.uri for f in resolve(f"s3://{bucket}/p/*.csv")] == [f"s3://{bucket}/p/a.csv"]
    assert [f.uri for f in resolve(f"s3://{bucket}/p/**/*.csv")] == [
        f"s3://{bucket}/p/a.csv", f"s3://{bucket}/p/x/b.csv", f"s3://{bucket}/p/x/y/c.csv"]
    assert [f.uri for f in resolve(f"s3://{bucket}/p/*/?.csv")] == [f"s3://{bucket}/p/x/b.csv"]
    assert [f.uri for f in resolve(f"s3://{bucket}/p/[ao]*")] == [
        f"s3://{bucket}/p/a.csv", f"s3://{bucket}/p/other.parquet"]
    # "**" alone includes the marker's directory but the marker itself is skipped.
    assert len(resolve(f"s3://{bucket}/p/**")) == 4


def test_single_object_and_directory(bucket, put_table):
    uri = put_table("one/t.parquet", SOURCE_TABLE)
    put_table("one/_SUCCESS.parquet", SOURCE_TABLE)  # hidden-by-convention files are skipped in a directory
    [file] = resolve(uri)
    assert file.uri == uri and file.format == "parquet"
    assert [f.uri for f in resolve(f"s3://{bucket}/one/")] == [uri]
    assert [f.uri for f in resolve(f"s3://{bucket}/one")] == [uri]


def test_s3_not_found_errors(s3_server, bucket, put_table):
    put_table("p/a.parquet", SOURCE_TABLE)
    cases = [
        f"s3://{bucket}/p/*.csv",  # glob matching nothing
        f"s3://{bucket}/nope/*.parquet",  # missing prefix
        f"s3://{bucket}/p/missing.parquet",  # missing key
        f"s3://no-such-bucket-{bucket}/p/*.parquet",  # missing bucket (glob)
        f"s3://no-such-bucket-{bucket}/p/a.parquet",  # missing bucket (single object)
    ]
    for uri in cases:
        with pytest.raises(SourceNotFoundError) as info:
            resolve(uri)
        assert uri in str(info.value) and info.value.uri == uri
    with pytest.raises(SourceNotFoundError, match="Bucket"):
        resolve(f"s3://no-such-bucket-{bucket}/p/*.parquet")


def test_unsupported_extension(s3_server, bucket, put_table):
    put_table("p/a.parquet", SOURCE_TABLE)
    s3_server.upload_bytes(bucket, "p/readme.txt", b"hello")
    with pytest.raises(SourceFormatError) as info:
        resolve(f"s3://{bucket}/p/*")
    assert f"s3://{bucket}/p/readme.txt" in str(info.value)
    with pytest.raises(SourceFormatError, match="readme.txt"):
        resolve(f"s3://{bucket}/p/readme.txt")
    assert len(resolve(f"s3://{bucket}/p/*.parquet")) == 1  # a glob naming the extension is fine


def test_filesystems_are_cached(s3_server, bucket, put_table):
    put_table("a.parquet", SOURCE_TABLE)
    put_table("b.parquet", SOURCE_TABLE)
    first, second = resolve(f"s3://{bucket}/*.parquet")
    assert first.filesystem is second.filesystem
    assert resolve(f"s3://{bucket}/a.parquet")[0].filesystem is first.filesystem
    assert first == resolve(f"s3://{bucket}/a.parquet")[0]  # filesystem is not part of equality


def test_zero_byte_and_truncated_parquet(s3_server, bucket):
    s3_server.upload_bytes(bucket, "empty.parquet", b"")
    s3_server.upload_bytes(bucket, "cut.parquet", parquet_bytes(SOURCE_TABLE)[:60])
    cut, empty = resolve(f"s3://{bucket}/*.parquet")  # zero-byte files are listed...
    assert empty.size == 0
    for file in (empty, cut):  # ...and are format errors when read
        with pytest.raises(SourceFormatError) as info:
            read_schema(file)
        assert file.uri in str(info.value) and info.value.uri == file.uri
        with pytest.raises(SourceFormatError, match=file.uri):
            list(iter_batches(file))


def test_broken_json_line(tmp_path, s3_server, bucket):
    s3_server.upload_bytes(bucket, "b.jsonl", b'{"a": 1}\n{"a": 2,\n{"a": 3}\n')
    [file] = resolve(f"s3://{bucket}/b.jsonl")
    with pytest.raises(SourceFormatError) as info:
        list(iter_batches(file, pa.schema([("a", pa.int64())])))
    assert file.uri in str(info.value)


def test_target_conformance_missing_extra_and_best_effort(s3_server, bucket, put_table):
    source = pa.table({"b": pa.array([1, 2], pa.int32()), "extra": ["x", "y"], "a": ["p", "q"]})
    files = [resolve(put_table(f"t.{fmt}", source))[0] for fmt in ("parquet", "csv", "jsonl")]
    target = pa.schema([("a", pa.string()), ("b", pa.int64()), ("missing", pa.float64())])
    for file in files:
        with pytest.raises(SourceFormatError) as info:
            list(iter_batches(file, target))
        assert "'extra'" in str(info.value) and file.uri in str(info.value)

        table = read_all(file, target, best_effort=True)
        assert table.schema == target, file.uri
        assert table.to_pydict() == {"a": ["p", "q"], "b": [1, 2], "missing": [None, None]}, file.uri

    required = pa.schema([("a", pa.string()), ("b", pa.int64()), pa.field("missing", pa.float64(), False)])
    with pytest.raises(SourceFormatError, match="'missing'"):
        list(iter_batches(files[0], required, best_effort=True))


def test_multi_batch_streaming(tmp_path, s3_server, bucket, monkeypatch):
    rows = 50_000
    table = pa.table({"id": pa.array(range(rows), pa.int64()), "v": pa.array([float(i) for i in range(rows)])})
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", str(32 << 10))
    monkeypatch.setattr(sources.json_reader, "_JSON_BLOCK_BYTES", 64 << 10)
    jsonl = "".join(f'{{"id": {i}, "v": {float(i)}}}\n' for i in range(rows)).encode()
    uris = [
        s3_server.upload_bytes(bucket, "big.parquet", parquet_bytes(table, row_group_size=10_000)),
        s3_server.upload_bytes(bucket, "big.csv", csv_bytes(table)),
        s3_server.upload_bytes(bucket, "big.csv.gz", gzip.compress(csv_bytes(table))),
        s3_server.upload_bytes(bucket, "big.jsonl", jsonl),
    ]
    for uri in uris:
        [file] = resolve(uri)
        schema = read_schema(file)
        count = total = 0
        ids_sum = 0
        for batch in iter_batches(file, schema, batch_rows=8192):
            assert batch.schema == schema and 0 < batch.num_rows <= 8192
            count += 1
            total += batch.num_rows
            ids_sum += pa.compute.sum(batch.column("id")).as_py()
        assert count > 1, uri
        assert total == rows and ids_sum == rows * (rows - 1) // 2, uri
