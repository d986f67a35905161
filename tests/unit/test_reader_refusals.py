"""What the readers refuse, and how they say it: encodings, delimiters, JSON arrays, late JSON keys, wide
headers, INT96 nanoseconds and decompression bombs. Each refusal names the file and the way out."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook.lakehouse.errors import SourceFormatError
from wap_notebook.lakehouse.sources import iter_batches, read_schema, resolve


def _read(path) -> pa.Table:
    [file] = resolve(str(path))
    schema = read_schema(file)
    return pa.Table.from_batches(list(iter_batches(file, schema)), schema=schema)


def _refusal(path) -> str:
    with pytest.raises(SourceFormatError) as info:
        _read(path)
    message = str(info.value)
    assert path.name in message
    return message


def test_a_latin1_csv_is_refused_not_imported_as_binary(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name\n1,café\n2,naïve\n".encode("latin-1"))
    message = _refusal(path)
    assert "'name'" in message and "not UTF-8" in message and "iconv" in message


def test_latin1_after_the_first_block_is_refused_naming_the_column(tmp_path, monkeypatch):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")
    path = tmp_path / "late_latin1.csv"
    path.write_bytes(b"id,name\n" + b"".join(b"%d,plain\n" % i for i in range(5000)) + "9,café\n".encode("latin-1"))
    message = _refusal(path)
    assert "'name'" in message and "not UTF-8" in message


def test_a_latin1_header_is_refused_not_renamed(tmp_path):
    path = tmp_path / "header.csv"
    path.write_bytes("id,prénom\n1,a\n".encode("latin-1"))
    assert "header is not UTF-8" in _refusal(path)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_detected(tmp_path, delimiter):
    path = tmp_path / "other.csv"
    rows = [["id", "name", "note"], ["1", "a", "x, with a comma"], ["2", "b", ""]]
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n")
    table = _read(path)
    assert table.column_names == ["id", "name", "note"]
    assert table.column("id").to_pylist() == [1, 2]
    assert table.column("note").to_pylist() == ["x, with a comma", None]  # an unquoted empty cell is null


def test_a_single_column_csv_with_semicolons_in_values_stays_one_column(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("note\nfirst; second\nthird\n")
    assert _read(path).column("note").to_pylist() == ["first; second", "third"]


def test_a_header_splitting_two_ways_is_refused_as_ambiguous(tmp_path):
    path = tmp_path / "ambiguous.csv"
    path.write_text("a;b|c\n1;2|3\n")
    assert "re-save the file with ','" in _refusal(path)


def test_a_json_array_file_is_refused_by_name_with_the_way_out(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"id": 1}, {"id": 2}], indent=2))
    message = _refusal(path)
    assert "JSON array" in message and "jq" in message and "changed from" not in message


def test_a_json_key_first_seen_late_is_named_with_its_line(tmp_path):
    path = tmp_path / "late.jsonl"
    lines = [json.dumps({"a": i}) for i in range(300_000)] + [json.dumps({"a": 1, "late_key": 2})]
    path.write_text("\n".join(lines) + "\n")  # ~3 MiB: the new key is past the first MiB
    message = _refusal(path)
    assert "'late_key'" in message and "line 300,001" in message and "first MiB" in message
    assert "not in the table schema" not in message


def test_a_json_key_past_the_readers_first_block_is_named(tmp_path):
    path = tmp_path / "later.jsonl"
    lines = [json.dumps({"a": i, "pad": "x" * 40}) for i in range(120_000)] + [json.dumps({"a": 1, "zz": 2})]
    path.write_text("\n".join(lines) + "\n")  # ~7 MiB: past the JSON reader's 4 MiB block too
    message = _refusal(path)
    assert "'zz'" in message and "unexpected field" not in message


@pytest.mark.parametrize("columns", [100_000, 1_000_000])
def test_a_very_wide_header_is_refused_quickly_by_count(tmp_path, columns):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" * columns) + "\n")
    message = _refusal(path)
    assert f"{columns:,} columns" in message and "WAP_MAX_COLUMNS" in message
    assert "Empty CSV file or block" not in message


def test_a_header_over_the_first_block_is_read(tmp_path):
    path = tmp_path / "long_header.csv"  # 9,000 columns of long names: ~300 KiB of header
    names = [f"a_rather_long_column_name_{i:05d}" for i in range(9000)]
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    assert _read(path).num_columns == 9000


def _int96(path, values, unit):
    table = pa.table({"ts": pa.array(values, pa.timestamp(unit)), "id": list(range(len(values)))})
    pq.write_table(table, path, use_deprecated_int96_timestamps=True)


def test_int96_nanoseconds_are_refused_like_int64_nanoseconds(tmp_path):
    path = tmp_path / "spark.parquet"
    _int96(path, [1_700_000_000_123_456_000, None, 1_700_000_000_123_456_789], "ns")
    message = _refusal(path)
    assert "'ts'" in message and "below the microsecond" in message and "789 ns" in message


def test_int96_nanoseconds_inside_a_struct_are_refused_too(tmp_path):
    """Spark writes nested timestamps as INT96 as well; a dotted top-level name is a column, not a path."""
    inner = pa.struct([("at", pa.timestamp("ns")), ("n", pa.int64())])
    nested = pa.table({"s": pa.array([{"at": 1_700_000_000_123_456_000, "n": 1}, None,
                                      {"at": 1_700_000_000_123_456_789, "n": 2}], inner)})
    path = tmp_path / "nested.parquet"
    pq.write_table(nested, path, use_deprecated_int96_timestamps=True)
    message = _refusal(path)
    assert "'s.at'" in message and "below the microsecond" in message and "789 ns" in message
    dotted = tmp_path / "dotted.parquet"
    pq.write_table(pa.table({"a.b": pa.array([5], pa.timestamp("ns"))}), dotted, use_deprecated_int96_timestamps=True)
    assert "'a.b'" in _refusal(dotted)
    exact = tmp_path / "exact.parquet"
    pq.write_table(nested.slice(0, 2), exact, use_deprecated_int96_timestamps=True)
    assert _read(exact).column("s").to_pylist()[0]["at"] == dt.datetime(2023, 11, 14, 22, 13, 20, 123456)


def test_int96_microseconds_import_over_the_whole_date_range(tmp_path):
    path = tmp_path / "old_and_far.parquet"
    values = [dt.datetime(3000, 1, 1, 0, 0, 0, 5), dt.datetime(1000, 1, 1), None]
    _int96(path, values, "us")
    assert _read(path).column("ts").to_pylist() == values


def _gzip(chunks) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


def test_a_decompression_bomb_after_valid_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("wap_notebook.lakehouse.sources.files.FREE_EXPANSION_BYTES", 1 << 20)
    path = tmp_path / "bomb.csv.gz"
    rows = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(1000))
    path.write_bytes(_gzip([rows] + [b"1,x\n" * (1 << 20)] * 16))  # 64 MiB of rows from ~70 KiB
    message = _refusal(path)
    assert "decompression bomb" in message and "WAP_MAX_EXPANSION" in message


def test_ordinary_gzip_ratios_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr("wap_notebook.lakehouse.sources.files.FREE_EXPANSION_BYTES", 1 << 20)
    path = tmp_path / "ok.csv.gz"
    rows = b"id,name\n" + b"".join(b"%d,name-%d\n" % (i, i * 7919 % 100_003) for i in range(200_000))
    path.write_bytes(_gzip([rows]))
    assert _read(path).num_rows == 200_000
