"""Source files: resolving search URIs on S3 (real moto server) and locally, reading, unifying, conforming."""


from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from shared_data import SOURCE_TABLE, csv_bytes, parquet_bytes, read_all

from wap_notebook.lakehouse import sources
from wap_notebook.lakehouse.errors import (
    SchemaConflictError,
    SourceAccessError,
    SourceFormatError,
    SourceNotFoundError,
)
from wap_notebook.lakehouse.sources import (
    SourceFile,
    iter_batches,
    normalize_schema,
    normalize_type,
    read_schema,
    resolve,
    unify_schemas,
)


def _local(tmp_path: pathlib.Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("uri", ["", "   ", "s3://", "s3:///key.csv", "http://example.com/a.csv",
                                 "gs://bucket/a.parquet", "s3://b*/a.csv"])
def test_malformed_uris(uri):
    with pytest.raises(ValueError) as info:
        resolve(uri)
    assert not isinstance(info.value, SourceNotFoundError)
    assert repr(uri.strip() and uri)[1:-1] in str(info.value) or uri.strip() == ""


def test_credentials_in_uri_are_never_echoed():
    with pytest.raises(ValueError) as info:
        resolve("s3://AKIDSECRET:hunter2@bucket/a.csv")
    assert "hunter2" not in str(info.value) and "AKIDSECRET" not in str(info.value)


def test_access_denied_is_source_access_error(monkeypatch):
    # A second moto server that enforces IAM: the dummy credentials are unknown to it.
    from wap_notebook.demo.s3 import start_s3_server

    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "0")
    server = start_s3_server()
    try:
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY00")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "super-secret-value")
        for uri in ("s3://locked/p/*.parquet", "s3://locked/p/a.parquet"):
            with pytest.raises(SourceAccessError) as info:
                resolve(uri)
            message = str(info.value)
            assert uri in message and "super-secret-value" not in message and "AKIAUNKNOWNKEY00" not in message
    finally:
        server.stop()


def test_local_paths_and_file_uris(tmp_path, monkeypatch):
    a = _local(tmp_path, "d/a.parquet", parquet_bytes(SOURCE_TABLE))
    b = _local(tmp_path, "d/sub/b.csv", csv_bytes(SOURCE_TABLE))
    assert [f.uri for f in resolve(a)] == [a]
    assert [f.uri for f in resolve(f"file://{a}")] == [a]
    assert [f.uri for f in resolve(f"{tmp_path}/d/**/*.*")] == [a, b]
    assert [f.uri for f in resolve(f"file://{tmp_path}/d/*")] == [a]
    monkeypatch.chdir(tmp_path)
    [file] = resolve("d/sub/*.csv")
    assert file.uri == b and file.path == b and os.path.isabs(file.path)
    assert read_all(file).num_rows == 3


def test_local_not_found(tmp_path):
    for uri in (str(tmp_path / "missing.csv"), f"{tmp_path}/nothing/*.parquet", f"file://{tmp_path}/x/*.csv"):
        with pytest.raises(SourceNotFoundError) as info:
            resolve(uri)
        assert uri in str(info.value)


def test_truncated_parquet_data_pages(tmp_path):
    # Footer intact, data pages damaged: the error comes while streaming and names the file.
    data = bytearray(parquet_bytes(pa.table({"x": list(range(10_000))}), compression="snappy"))
    data[4:200] = b"\xff" * 196
    [file] = resolve(_local(tmp_path, "bad.parquet", bytes(data)))
    with pytest.raises(SourceFormatError, match="bad.parquet"):
        list(iter_batches(file))


def test_ragged_csv(tmp_path):
    [file] = resolve(_local(tmp_path, "r.csv", b"a,b\n1,2\n3,4,5\n"))
    with pytest.raises(SourceFormatError) as info:
        list(iter_batches(file))
    assert file.uri in str(info.value) and "Expected 2 columns, got 3" in str(info.value)


def test_csv_bad_value_against_target_names_file_column_and_value(tmp_path):
    [file] = resolve(_local(tmp_path, "v.csv", b"id,name\n1,x\nabc,y\n"))
    target = pa.schema([("id", pa.int64()), ("name", pa.string())])
    with pytest.raises(SourceFormatError) as info:
        list(iter_batches(file, target))
    message = str(info.value)
    assert file.uri in message and "'id'" in message and "'abc'" in message


def test_csv_value_beyond_first_range_cannot_drift(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")  # blocks of 1 KiB: the value is many blocks in
    monkeypatch.setattr(sources.infer, "_SCHEMA_BLOCK_BYTES", 64)  # the schema sees only the first ints
    [file] = resolve(_local(tmp_path, "drift.csv", b"n\n" + b"1\n" * 2000 + b"1.5\n"))
    assert read_schema(file).field("n").type == pa.int64()
    with pytest.raises(SourceFormatError, match="'1.5'"):
        list(iter_batches(file))
    # With a float target the same file reads fine.
    table = read_all(file, pa.schema([("n", pa.float64())]))
    assert table.num_rows == 2001 and table.column("n").to_pylist()[-1] == 1.5


def test_corrupt_gzip(tmp_path):
    data = gzip.compress(csv_bytes(pa.table({"x": list(range(5000))})))
    [file] = resolve(_local(tmp_path, "t.csv.gz", data[: len(data) // 2]))
    with pytest.raises(SourceFormatError, match="t.csv.gz"):
        list(iter_batches(file))
    [file] = resolve(_local(tmp_path, "n.jsonl.gz", b"this is not gzip"))
    with pytest.raises(SourceFormatError, match="n.jsonl.gz"):
        read_schema(file)


def test_duplicate_csv_header(tmp_path):
    [file] = resolve(_local(tmp_path, "dup.csv", b"a,a\n1,2\n"))
    with pytest.raises(SourceFormatError, match="duplicate"):
        read_schema(file)


def test_normalize_type():
    cases = {
        pa.timestamp("ns"): pa.timestamp("us"),
        pa.timestamp("ms", tz="UTC"): pa.timestamp("us", tz="UTC"),
        pa.timestamp("s", tz="Etc/UTC"): pa.timestamp("us", tz="UTC"),
        pa.large_string(): pa.string(),
        pa.string_view(): pa.string(),
        pa.large_binary(): pa.binary(),
        pa.dictionary(pa.int32(), pa.large_string()): pa.string(),
        pa.null(): pa.string(),
        pa.uint8(): pa.int32(),
        pa.int16(): pa.int32(),
        pa.uint32(): pa.int64(),
        pa.uint64(): pa.int64(),
        pa.float16(): pa.float32(),
        pa.date64(): pa.date32(),
        pa.time32("s"): pa.time64("us"),
        pa.time64("ns"): pa.time64("us"),
        pa.large_list(pa.timestamp("ns")): pa.list_(pa.timestamp("us")),
        pa.struct([("a", pa.uint16()), ("b", pa.large_string())]): pa.struct([("a", pa.int32()), ("b", pa.string())]),
        pa.map_(pa.large_string(), pa.uint8()): pa.map_(pa.string(), pa.int32()),
        pa.int64(): pa.int64(),
        pa.decimal128(10, 2): pa.decimal128(10, 2),
    }
    for source, expected in cases.items():
        assert normalize_type(source) == expected, source
    with pytest.raises(TypeError):
        normalize_type(pa.duration("s"))
    # A zone name would be lost in a UTC-only timestamptz: refused, naming the zone.
    with pytest.raises(TypeError, match="Europe/Rome"):
        normalize_type(pa.timestamp("s", tz="Europe/Rome"))
    with pytest.raises(TypeError, match="38 digits"):
        normalize_type(pa.decimal256(40, 2))


def test_normalized_schema_is_accepted_by_pyiceberg():
    from pyiceberg.io.pyarrow import _ConvertToIcebergWithoutIDs, visit_pyarrow

    schema = pa.schema([(str(i), t) for i, t in enumerate([
        pa.timestamp("ns", tz="UTC"), pa.null(), pa.date64(), pa.time32("ms"), pa.uint64(),
        pa.dictionary(pa.int8(), pa.string()), pa.large_list(pa.null()), pa.float16()])])
    visit_pyarrow(normalize_schema(schema), _ConvertToIcebergWithoutIDs())


def test_ns_timestamps_convert_exactly_or_are_refused(tmp_path):
    # Whole microseconds in an ns column (what pandas writes) convert exactly.
    exact = pa.array([1_700_000_000_123_456_000, None], pa.timestamp("ns"))
    [file] = resolve(_local(tmp_path, "ok.parquet", parquet_bytes(pa.table({"t": exact}))))
    assert read_schema(file) == pa.schema([("t", pa.timestamp("us"))])
    [batch] = iter_batches(file)
    assert batch.column("t")[0].value == 1_700_000_000_123_456

    # Digits below the microsecond would be lost: refused, naming file, column and how many values.
    lossy = pa.array([1_700_000_000_123_456_789, 1_700_000_000_000_000_000, 5], pa.timestamp("ns"))
    [bad] = resolve(_local(tmp_path, "bad.parquet", parquet_bytes(pa.table({"t": lossy}))))
    with pytest.raises(SourceFormatError, match=r"bad\.parquet.*column 't': 2 value\(s\) have digits below"):
        list(iter_batches(bad))

    # The same for text: CSV and JSON Lines; trailing zeros past the sixth digit are exact.
    text = b"t\n2024-01-01 00:00:00.123456789\n2024-01-02 00:00:00\n"
    [csv] = resolve(_local(tmp_path, "t.csv", text))
    with pytest.raises(SourceFormatError, match=r"t\.csv.*column 't': 1 value\(s\) have digits below"):
        list(iter_batches(csv))
    [json_file] = resolve(_local(tmp_path, "t.jsonl", b'{"t": "2024-01-01T00:00:00.123456789Z"}\n'))
    with pytest.raises(SourceFormatError, match=r"t\.jsonl.*column 't': 1 value\(s\) have digits below"):
        list(iter_batches(json_file))
    [zeros] = resolve(_local(tmp_path, "z.csv", b"t\n2024-01-01 00:00:00.123456000\n"))
    assert read_all(zeros, read_schema(zeros)).column("t").to_pylist() == [dt.datetime(2024, 1, 1, 0, 0, 0, 123456)]


def _fake(uri: str) -> SourceFile:
    return SourceFile(uri=uri, path=uri, size=1, format="parquet", compression=None, filesystem=None)


def test_unify_widens_and_merges_columns():
    a, b, c = _fake("s3://b/a.parquet"), _fake("s3://b/b.parquet"), _fake("s3://b/c.parquet")
    unified = unify_schemas([
        (a, pa.schema([pa.field("id", pa.int32(), nullable=False), ("x", pa.int64()), ("y", pa.float32())])),
        (b, pa.schema([pa.field("id", pa.int64(), nullable=False), ("x", pa.float32()), ("z", pa.string())])),
        (c, pa.schema([pa.field("id", pa.int64(), nullable=False), ("y", pa.float64()), ("x", pa.null())])),
    ])
    assert unified.names == ["id", "x", "y", "z"]
    assert [f.type for f in unified] == [pa.int64(), pa.float64(), pa.float64(), pa.string()]
    assert not unified.field("id").nullable  # present and required everywhere
    assert unified.field("z").nullable  # missing from some files


def test_unify_null_column_is_compatible_with_anything(tmp_path):
    [empty_col] = resolve(_local(tmp_path, "a.csv", b"id,note\n1,\n2,\n"))
    [typed] = resolve(_local(tmp_path, "b.parquet", parquet_bytes(pa.table({"id": [3], "note": [7]}))))
    schemas = [(f, read_schema(f)) for f in (empty_col, typed)]
    assert schemas[0][1].field("note").type == pa.string()  # a usable type on its own
    unified = unify_schemas(schemas)
    assert unified.field("note").type == pa.int64() and unified.field("note").metadata is None
    table = read_all(empty_col, unified)
    assert table.column("note").to_pylist() == [None, None]


def test_unify_conflict_names_column_types_and_files():
    a, b = _fake("s3://b/a.parquet"), _fake("s3://b/b.csv")
    with pytest.raises(SchemaConflictError) as info:
        unify_schemas([(a, pa.schema([("code", pa.string())])), (b, pa.schema([("code", pa.int64())]))])
    error = info.value
    assert error.column == "code" and error.files == (a.uri, b.uri) and error.types == ("string", "int64")
    for part in ("'code'", "string", "int64", a.uri, b.uri):
        assert part in str(error)


def test_without_target_batches_are_normalized(tmp_path):
    table = pa.table({"u": pa.array([1, 2], pa.uint16()), "s": pa.array(["a", "b"], pa.large_string()),
                      "d": pa.array(["x", "x"]).dictionary_encode()})
    [file] = resolve(_local(tmp_path, "n.parquet", parquet_bytes(table)))
    [batch] = iter_batches(file)
    assert batch.schema == pa.schema([("u", pa.int32()), ("s", pa.string()), ("d", pa.string())])
    assert batch.schema == read_schema(file)


def test_abandoned_stream_releases_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")  # many blocks
    [file] = resolve(_local(tmp_path, "s.csv", b"a\n" + b"1\n" * 10_000))
    batches = iter_batches(file, batch_rows=10)
    next(batches)
    batches.close()  # joins the prefetch thread and closes the file without reading the rest


def test_csv_edge_cases_across_ranges(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")  # block boundaries land mid-line
    body = b"".join(f"{i},x{i}\r\n".encode() for i in range(1000))
    [file] = resolve(_local(tmp_path, "crlf.csv", b"\xef\xbb\xbfa,\"b,c\"\r\n" + body))
    assert read_schema(file).names == ["a", "b,c"]
    table = read_all(file)
    assert table.num_rows == 1000 and table.column("a").to_pylist()[-1] == 999
    assert table.column("b,c").to_pylist()[0] == "x0"

    [header_only] = resolve(_local(tmp_path, "h.csv", b"a,b\n"))
    assert list(iter_batches(header_only, pa.schema([("a", pa.int64()), ("b", pa.string())]))) == []


def test_jsonl_iso_timestamps_with_fractions_and_zones_become_timestamps(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"at": "2026-01-01T00:00:00.250", "z": "2026-01-01T00:00:00Z", "d": 1}\n'
                    '{"at": "2026-01-02 10:30:00.123456", "z": "2026-01-02T10:30:00.5Z", "d": 2}\n')
    from wap_notebook.lakehouse.sources import iter_batches, read_schema, resolve

    [file] = resolve(str(path))
    schema = read_schema(file)
    assert schema.field("at").type == pa.timestamp("us")
    assert schema.field("z").type == pa.timestamp("us", tz="UTC")
    rows = pa.Table.from_batches(list(iter_batches(file, schema)))
    assert rows.column("at")[1].as_py().microsecond == 123456


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_csv_quoted_values_spanning_lines_and_chunks(tmp_path, monkeypatch, suffix):
    from wap_notebook.lakehouse import sources

    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "4096")  # many blocks, some boundaries inside quoted values
    lines = ["id,comment,amount"]
    for i in range(2000):
        comment = f'"first line of {i}\nsecond, with a comma and ""quotes""\nthird"' if i % 3 == 0 else f"plain {i}"
        lines.append(f"{i},{comment},{i * 0.5}")
    path = tmp_path / f"notes{suffix}"
    text = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(text) if suffix.endswith(".gz") else text)
    [file] = sources.resolve(str(path))
    schema = sources.read_schema(file)
    table = pa.Table.from_batches(list(sources.iter_batches(file, schema)))
    assert table.num_rows == 2000
    assert table.column("id").to_pylist() == list(range(2000))
    assert table.column("comment")[3].as_py() == 'first line of 3\nsecond, with a comma and "quotes"\nthird'
    assert table.column("comment")[4].as_py() == "plain 4"


_UTC = dt.timezone.utc


TEXT_CASES = {
    "offset_space": (["2013-01-05 09:00:00+00:00", "2013-01-01 09:00:00+02:00"], pa.timestamp("us", tz="UTC"),
                     [dt.datetime(2013, 1, 5, 9, tzinfo=_UTC), dt.datetime(2013, 1, 1, 7, tzinfo=_UTC)]),
    "offset_t_compact": (["2013-01-01T09:00:00-0530", "2013-01-01T09:00:00+02"], pa.timestamp("us", tz="UTC"),
                         [dt.datetime(2013, 1, 1, 14, 30, tzinfo=_UTC), dt.datetime(2013, 1, 1, 7, tzinfo=_UTC)]),
    "zulu_fraction": (["2013-01-01T09:00:00.123Z", "2013-01-01T09:00Z"], pa.timestamp("us", tz="UTC"),
                      [dt.datetime(2013, 1, 1, 9, 0, 0, 123000, tzinfo=_UTC), dt.datetime(2013, 1, 1, 9, tzinfo=_UTC)]),
    "naive": (["2013-01-01 09:00:00.123456", "2013-01-01T10:00"], pa.timestamp("us"),
              [dt.datetime(2013, 1, 1, 9, 0, 0, 123456), dt.datetime(2013, 1, 1, 10)]),
    "dates": (["2024-01-01", "2024-02-29"], pa.date32(), [dt.date(2024, 1, 1), dt.date(2024, 2, 29)]),
    "date_and_datetime": (["2024-01-01", "2024-01-02 10:00:00"], pa.timestamp("us"),
                          [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, 10)]),
    "times": (["09:00:00", "23:59:59.5"], pa.time64("us"), [dt.time(9), dt.time(23, 59, 59, 500000)]),
    "far_dates": (["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"], pa.timestamp("us", tz="UTC"),
                  [dt.datetime(1, 1, 1, tzinfo=_UTC), dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC)]),
    "not_temporal": (["2024-01-01 or later", "soon"], pa.string(), ["2024-01-01 or later", "soon"]),
}


def _text_files(tmp_path, name: str, values: list[str | None]) -> list[SourceFile]:
    # A second column: a CSV line holding only an empty cell would be skipped as an empty line.
    lines = [json.dumps({"c": v, "i": i}) for i, v in enumerate(values)]
    jsonl = _local(tmp_path, f"{name}.jsonl", ("\n".join(lines) + "\n").encode())
    cells = [f"{'' if v is None else v},{i}" for i, v in enumerate(values)]
    csv = _local(tmp_path, f"{name}.csv", ("c,i\n" + "\n".join(cells) + "\n").encode())
    return resolve(jsonl) + resolve(csv)


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_csv_and_json_lines_type_text_dates_the_same_way(tmp_path, case):
    values, expected_type, expected = TEXT_CASES[case]
    for file in _text_files(tmp_path, case, [*values, None]):
        schema = read_schema(file)
        assert schema.field("c").type == expected_type, file.uri
        # An empty CSV cell is null in every column, text included, as the missing value is in JSON Lines.
        assert read_all(file, schema).column("c").to_pylist() == [*expected, None], file.uri


def test_the_same_rows_read_the_same_from_csv_json_lines_and_parquet(tmp_path):
    """A missing text value is null whatever the format; only a quoted empty CSV cell is the empty string, and
    the words pyarrow reads as null elsewhere (NA, NULL, nan, N/A) stay the text they are."""
    rows = [{"id": 0, "code": "NA"}, {"id": 1, "code": None}, {"id": 2, "code": ""}, {"id": 3, "code": "NULL"},
            {"id": 4, "code": "nan"}, {"id": 5, "code": "N/A"}, {"id": 6, "code": "x"}]
    table = pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.int64()), ("code", pa.string())]))
    parquet = tmp_path / "rows.parquet"
    pq.write_table(table, parquet)
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows))
    csv_cells = {None: "", "": '""'}
    csv = tmp_path / "rows.csv"
    csv.write_text("id,code\n" + "".join(f"{r['id']},{csv_cells.get(r['code'], r['code'])}\n" for r in rows))
    for path in (parquet, jsonl, csv):
        [file] = resolve(str(path))
        assert read_all(file, table.schema).to_pylist() == rows, path.name


def test_a_column_mixing_offsets_and_naive_values_is_refused(tmp_path):
    for file in _text_files(tmp_path, "mixed", ["2024-01-01T09:00:00+02:00", None, "2024-01-01 09:00:00"]):
        with pytest.raises(SourceFormatError, match=r"mixed\.(csv|jsonl).*column 'c' mixes timestamps with a UTC "
                                                    r"offset \('2024-01-01T09:00:00\+02:00'\) and without one "
                                                    r"\('2024-01-01 09:00:00'\)"):
            read_schema(file)
    # The same when the naive value only comes after the block the schema was inferred from.
    zoned = pa.schema([("c", pa.timestamp("us", tz="UTC")), ("i", pa.int64())])
    for file in _text_files(tmp_path, "later", ["2024-01-01T09:00:00Z", "2024-01-01 09:00:00"]):
        with pytest.raises(SourceFormatError, match=r"later\.(csv|jsonl).*column 'c' mixes timestamps"):
            read_all(file, zoned)


def test_json_lines_lists_structs_and_objects_import(tmp_path):
    # Date-like text inside nested values stays the text it is (pyarrow alone would make it a timestamp).
    rows = [{"l": [1, 2], "s": {"a": "x", "b": [1.5], "at": "2024-01-01 10:00"}, "ts": ["2024-01-01"]},
            {"l": [], "s": None, "ts": None}]
    [file] = resolve(_local(tmp_path, "n.jsonl", "\n".join(json.dumps(r) for r in rows).encode()))
    schema = read_schema(file)
    assert pa.types.is_list(schema.field("l").type) and pa.types.is_struct(schema.field("s").type)
    assert read_all(file, schema).to_pylist() == rows


def test_column_names_refused_or_kept(tmp_path):
    [empty] = resolve(_local(tmp_path, "e.csv", b"a,,c\n1,2,3\n"))
    with pytest.raises(SourceFormatError, match=r"e\.csv.*column #2 has an empty name"):
        read_schema(empty)
    [case] = resolve(_local(tmp_path, "c.jsonl", b'{"Id": 1, "id": 2}\n'))
    with pytest.raises(SourceFormatError, match=r"c\.jsonl.*columns 'Id' and 'id' differ only by letter case"):
        read_schema(case)
    names = ["with space", "ünï名", "a.b", "select", "UPPER"]
    [fine] = resolve(_local(tmp_path, "f.parquet", parquet_bytes(pa.table({n: [1] for n in names}))))
    assert read_schema(fine).names == names


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
def test_json_lines_rows_straddling_raw_reads(tmp_path, monkeypatch, name):
    monkeypatch.setattr(sources.json_reader, "_JSON_READ_BYTES", 50)  # most rows straddle a raw read
    monkeypatch.setattr(sources.files, "_FIRST_READ_BYTES", 7)
    rows = [{"id": i, "s": f'quote " brace }} newline \\n ünï {i}' * (i % 4), "l": list(range(i % 3))}
            for i in range(200)]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()  # no final newline
    [file] = resolve(_local(tmp_path, name, gzip.compress(text) if name.endswith(".gz") else text))
    assert read_all(file, read_schema(file)).to_pylist() == rows


@pytest.mark.parametrize(("name", "payload"), [
    ("big.csv", b"id,u\n1,1\n2,18446744073709551615\n"),
    ("big.jsonl", b'{"id": 1, "u": 1}\n{"id": 2, "u": 18446744073709551615}\n'),
    ("neg.csv", b"u\n-9223372036854775809\n"),
])
def test_text_integers_beyond_int64_are_refused_not_rounded(tmp_path, name, payload):
    [file] = resolve(_local(tmp_path, name, payload))
    with pytest.raises(SourceFormatError, match=rf"{name}.*column 'u': -?\d+ is an integer beyond the 64-bit range"):
        read_schema(file)
    [fine] = resolve(_local(tmp_path, "fine.csv", b"u\n9223372036854775807\n-9223372036854775808\n"))
    assert read_all(fine, read_schema(fine)).column("u").to_pylist() == [2**63 - 1, -(2**63)]


def test_json_lines_into_a_map_column_is_refused_clearly(tmp_path):
    [file] = resolve(_local(tmp_path, "m.jsonl", b'{"id": 2, "attrs": {"x": 5}}\n'))
    target = pa.schema([("id", pa.int64()), ("attrs", pa.map_(pa.string(), pa.int64()))])
    with pytest.raises(SourceFormatError, match=r"m\.jsonl.*column 'attrs' is a map in the table"):
        read_all(file, target)
