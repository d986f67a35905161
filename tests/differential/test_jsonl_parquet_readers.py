"""Differential test of the JSON Lines and Parquet readers, as a new table reads them (schema from
`read_schema`, rows from `iter_batches`). JSON Lines files hold the hard parts (escaped quotes, backslashes,
escaped newlines, unicode, integers at the int64 limits, nulls against empty strings and missing keys, nested
objects and lists, CRLF, gzip) and are read in blocks small enough that boundaries fall everywhere; each must read
exactly as Python's own `json` module reads each line, value for value, or be refused with a
`SourceFormatError`. Parquet files (values at the type limits, nulls, nested values, several row groups and
codecs) must read exactly as `pyarrow.parquet.read_table` reads them. Never a third outcome.

A fast sample runs in `make test`; `make test-slow` runs thousands of files.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wap_notebook.lakehouse.errors import SourceFormatError
from wap_notebook.lakehouse.sources import iter_batches, read_schema, resolve

INT64 = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([-(2**63), 2**63 - 1, 0, -1])
TEXT = st.text(alphabet=st.sampled_from(list('ab "\\\n\r\t/é€x😀') + ["\u2028"]), max_size=30)
FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=64)
NESTED = st.fixed_dictionaries({"x": st.none() | INT64, "y": st.lists(TEXT, max_size=3)})

# Each column keeps one kind of value (or null / missing), as a typed table would.
COLUMNS = {"i": INT64, "s": TEXT, "f": FLOAT, "b": st.booleans(), "n": NESTED}


@st.composite
def jsonl_files(draw: st.DrawFn) -> tuple[bytes, list[dict[str, object]]]:
    names = draw(st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=5, unique=True))
    rows = []
    for _ in range(draw(st.integers(1, 150))):
        row: dict[str, object] = {}
        for name in names:
            presence = draw(st.sampled_from(["value", "value", "value", "null", "missing"]))
            if presence == "value":
                row[name] = draw(COLUMNS[name])
            elif presence == "null":
                row[name] = None
        rows.append(row)
    # Every key in the first row, so a new table's schema (from the first block) holds them all.
    rows[0] = {name: draw(COLUMNS[name]) for name in names}
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    ascii_only = draw(st.booleans())
    text = newline.join(json.dumps(r, ensure_ascii=ascii_only) for r in rows) + draw(st.sampled_from(["", newline]))
    return text.encode(), rows


def _reference(data: bytes, names: list[str]) -> list[dict[str, object]]:
    """Python's json module, line by line: what each row holds, a missing key being null. Lines end at b"\n"
    only (str.splitlines would also split at U+2028, which JSON strings may hold raw)."""
    rows = [json.loads(line) for line in data.split(b"\n") if line.strip()]
    return [{name: row.get(name) for name in names} for row in rows]


def _ours(path) -> pa.Table | None:
    [file] = resolve(str(path))
    try:
        schema = read_schema(file)
        return pa.Table.from_batches(list(iter_batches(file, schema, batch_rows=7)), schema=schema)
    except SourceFormatError:
        return None


def _same(got: object, want: object) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return got == want
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want, strict=True))
    return type(got) is type(want) and got == want


def _check_jsonl(tmp_path_factory: pytest.TempPathFactory, data: bytes, rows: list[dict[str, object]],
                 gz: bool) -> None:
    path = tmp_path_factory.mktemp("jsonl") / ("f.jsonl.gz" if gz else "f.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    got = _ours(path)
    if got is None:
        return  # refused with a typed error: an allowed outcome
    reference = _reference(data, got.column_names)
    assert [{k: r.get(k) for k in got.column_names} for r in rows] == reference  # the generator agrees
    assert got.num_rows == len(reference)
    for number, (mine, theirs) in enumerate(zip(got.to_pylist(), reference, strict=True)):
        for name in got.column_names:
            want = theirs[name]
            if isinstance(want, int) and not isinstance(want, bool) and got.schema.field(name).type == pa.float64():
                want = float(want)  # a float column holding a whole number written as such
            assert _same(mine[name], want), (number, name, mine[name], want)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from wap_notebook.lakehouse.sources import files, json_reader

    monkeypatch.setattr(json_reader, "_JSON_BLOCK_BYTES", 2048)  # block boundaries all over each file
    monkeypatch.setattr(json_reader, "_JSON_READ_BYTES", 333)  # raw reads cut rows and UTF-8 sequences
    monkeypatch.setattr(files, "_FIRST_READ_BYTES", 101)


@FAST
@given(jsonl_files(), st.booleans())
def test_generated_jsonl_reads_exactly_as_the_json_module(tmp_path_factory, monkeypatch, file, gz):
    _small_blocks(monkeypatch)
    _check_jsonl(tmp_path_factory, *file, gz)


@pytest.mark.slow
@SLOW
@given(jsonl_files(), st.booleans())
def test_generated_jsonl_reads_exactly_as_the_json_module_many(tmp_path_factory, monkeypatch, file, gz):
    _small_blocks(monkeypatch)
    _check_jsonl(tmp_path_factory, *file, gz)


PARQUET_COLUMNS = {
    "i64": (pa.int64(), INT64),
    "i32": (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    "f64": (pa.float64(), st.floats(allow_nan=False, width=64)),
    "s": (pa.string(), TEXT),
    "bin": (pa.binary(), st.binary(max_size=20)),
    "ts": (pa.timestamp("us", tz="UTC"), st.datetimes(min_value=dt.datetime(1, 1, 1),
                                                      max_value=dt.datetime(9999, 12, 31),
                                                      timezones=st.just(dt.timezone.utc))),
    "d": (pa.date32(), st.dates()),
    "dec": (pa.decimal128(38, 4), st.decimals(min_value=-(10**33), max_value=10**33, places=4, allow_nan=False,
                                              allow_infinity=False)),
    "lst": (pa.list_(pa.int64()), st.lists(st.none() | INT64, max_size=4)),
    "st": (pa.struct([("x", pa.int64()), ("y", pa.string())]), st.fixed_dictionaries({"x": st.none() | INT64,
                                                                                      "y": st.none() | TEXT})),
}


@st.composite
def parquet_files(draw: st.DrawFn) -> tuple[pa.Table, dict[str, object]]:
    names = draw(st.lists(st.sampled_from(sorted(PARQUET_COLUMNS)), min_size=1, max_size=6, unique=True))
    count = draw(st.integers(0, 300))
    columns = {}
    for name in names:
        arrow_type, values = PARQUET_COLUMNS[name]
        columns[name] = pa.array([draw(st.none() | values) for _ in range(count)], arrow_type)
    options = {"row_group_size": draw(st.integers(1, 200)),
               "compression": draw(st.sampled_from(["snappy", "zstd", "gzip", "none"])),
               "use_dictionary": draw(st.booleans())}
    return pa.table(columns), options


def _check_parquet(tmp_path_factory: pytest.TempPathFactory, table: pa.Table, options: dict[str, object]) -> None:
    path = tmp_path_factory.mktemp("parquet") / "f.parquet"
    pq.write_table(table, path, **options)  # type: ignore[arg-type]
    got = _ours(path)
    reference = pq.read_table(path)
    if table.num_rows == 0 and got is None:
        return
    assert got is not None, "a valid file was refused"
    assert got.column_names == reference.column_names
    assert got.to_pylist() == reference.to_pylist()


@FAST
@given(parquet_files())
def test_generated_parquet_reads_exactly_as_pyarrow(tmp_path_factory, file):
    _check_parquet(tmp_path_factory, *file)


@pytest.mark.slow
@SLOW
@given(parquet_files())
def test_generated_parquet_reads_exactly_as_pyarrow_many(tmp_path_factory, file):
    _check_parquet(tmp_path_factory, *file)


def test_decimal_and_io_helpers_are_exact():
    # Guards for the comparison itself: decimals compare exactly, and the reference splits CRLF lines.
    assert decimal.Decimal("1.1000") == decimal.Decimal("1.1")
    assert _reference(b'{"a": 1}\r\n{"a": null}\r\n', ["a"]) == [{"a": 1}, {"a": None}]
    assert io.BytesIO(b"x").read() == b"x"
