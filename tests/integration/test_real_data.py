"""Real-world data through the whole engine: NaN in checks, awkward column names end to end, and files
that Iceberg cannot hold as they are refused with a message naming the file and the column."""


from __future__ import annotations

import io
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook import checks as C
from wap_notebook.checks.yaml_form import parse_checks
from wap_notebook.ingestion import Ingestion


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _run(lakehouse, uri: str, checks=()) -> Ingestion:
    return Ingestion("t", uri, client=lakehouse, checks=list(checks)).run()


def _row(ingestion: Ingestion, check: str):
    report = ingestion.report
    return report[report["check"] == check].iloc[0]


@pytest.fixture
def with_nan(s3_server, bucket):
    values = pa.table({"id": [1, 2, 3, 4], "x": [1.0, math.nan, None, 5.0]})
    return s3_server.upload_bytes(bucket, "nan.parquet", _parquet(values))


def test_between_fails_nan_and_shows_it(lakehouse, with_nan):
    ing = _run(lakehouse, with_nan, [C.between("x", 0, 10, name="both"), C.between("x", min=0, name="low"),
                                     C.between("x", max=10, name="high")])
    for name in ("both", "low", "high"):
        row = _row(ing, name)
        assert row["status"] == "failed" and row["failing_rows"] == 1, row.to_dict()
    assert "nan" in _row(ing, "both")["message"]  # the observed range shows it
    failing = ing.failures("both")
    assert failing["id"].tolist() == [2] and math.isnan(failing["x"].iloc[0])


def test_between_on_text_and_integers_is_unchanged(lakehouse, s3_server, bucket):
    uri = s3_server.upload_bytes(bucket, "ok.parquet", _parquet(pa.table({"n": [1, 5], "s": ["b", "c"]})))
    ing = _run(lakehouse, uri, [C.between("n", 0, 10), C.between("s", "a", "z")])
    assert ing.passed is True, ing.report.to_string()


def test_not_null_counts_nan_only_when_asked(lakehouse, with_nan):
    yaml_checks = parse_checks("- not_null: {columns: [x], nan_as_null: true, name: strict}")
    ing = _run(lakehouse, with_nan, [C.not_null("x", name="default"), *yaml_checks])
    default, strict = _row(ing, "default"), _row(ing, "strict")
    assert default["failing_rows"] == 1  # the NULL only
    assert strict["failing_rows"] == 2 and strict["expected"] == "no nulls or NaN"
    assert sorted(ing.failures("strict")["id"].tolist()) == [2, 3]
    with pytest.raises(ValueError, match="nan_as_null"):
        C.not_null("x", nan_as_null="yes")


AWKWARD = ["my col", "ünïcødé 名前", "a.b", "select", "Order", "x\"y"]


def test_awkward_column_names_work_end_to_end(lakehouse, s3_server, bucket):
    table = pa.table({name: pa.array([1, 2, 2, None], pa.int64()) for name in AWKWARD})
    uri = s3_server.upload_bytes(bucket, "names.parquet", _parquet(table))
    checks = [C.not_null(*AWKWARD, name="nn"), C.unique("a.b", name="uq"), C.between("select", 0, 1, name="rng"),
              C.accepted_values("Order", [1, 2], name="acc")]
    ing = _run(lakehouse, uri, checks)
    assert _row(ing, "nn")["failing_rows"] == 1
    assert _row(ing, "uq")["status"] == "failed"
    assert _row(ing, "rng")["failing_rows"] == 2
    assert _row(ing, "acc")["status"] == "passed"
    assert list(ing.failures("rng").columns) == AWKWARD
    assert ing.failures("rng")["select"].tolist() == [2, 2]
    got = lakehouse.query('SELECT "ünïcødé 名前", "a.b", "select", "x""y" FROM bauplan.t ORDER BY "my col"',
                          ref=ing.branch)
    assert got.column_names == ["ünïcødé 名前", "a.b", "select", 'x"y'] and got.num_rows == 4


@pytest.mark.parametrize(("header", "problem"), [
    (b"id,,b\n1,2,3\n", r"column #2 has an empty name"),
    (b"id,Name,name\n1,a,b\n", r"columns 'Name' and 'name' differ only by letter case"),
])
def test_unusable_column_names_are_refused(lakehouse, s3_server, bucket, header, problem):
    uri = s3_server.upload_bytes(bucket, "bad.csv", header)
    ing = _run(lakehouse, uri)
    assert ing.phase == "failed"
    assert "bad.csv" in ing.error and __import__("re").search(problem, ing.error), ing.error


@pytest.mark.parametrize(("name", "payload", "problem"), [
    ("mixed.jsonl", b'{"t": "2024-01-01T09:00:00+02:00"}\n{"t": "2024-01-01 09:00:00"}\n',
     r"column 't' mixes timestamps with a UTC offset \('2024-01-01T09:00:00\+02:00'\) and without one "
     r"\('2024-01-01 09:00:00'\)"),
    ("mixed.csv", b"t\n2024-01-01 09:00:00\n2024-01-01T10:00:00Z\n", r"column 't' mixes timestamps"),
    ("ns.csv", b"t\n2024-01-01 09:00:00.000000001\n", r"column 't': 1 value\(s\) have digits below the microsecond"),
    ("zone.parquet", _parquet(pa.table({"t": pa.array([0], pa.timestamp("us", tz="America/Los_Angeles"))})),
     r"column 't'.*'America/Los_Angeles'"),
    ("big.parquet", _parquet(pa.table({"u": pa.array([1, 2**64 - 1], pa.uint64())})),
     r"column 'u': 1 uint64 value\(s\) are larger than the largest int64"),
    ("wide.parquet", _parquet(pa.table({"d": pa.array([1], pa.decimal256(40, 0))})),
     r"column 'd'.*more than 38 digits"),
])
def test_what_iceberg_cannot_hold_is_refused_naming_file_and_column(lakehouse, s3_server, bucket, name, payload,
                                                                   problem):
    uri = s3_server.upload_bytes(bucket, name, payload)
    ing = _run(lakehouse, uri)
    assert ing.phase == "failed" and ing.error is not None
    assert uri in ing.error and __import__("re").search(problem, ing.error), ing.error
    assert not lakehouse.has_table("t", "main")


def test_uint64_within_int64_imports_exactly(lakehouse, s3_server, bucket):
    uri = s3_server.upload_bytes(bucket, "u.parquet", _parquet(pa.table({"u": pa.array([0, 2**63 - 1], pa.uint64())})))
    ing = Ingestion("t", uri, client=lakehouse, on_success="merge", checks=[C.not_null("u")]).run()
    assert ing.phase == "merged", ing.error
    assert lakehouse.query("SELECT u FROM bauplan.t ORDER BY u", ref="main").column(0).to_pylist() == [0, 2**63 - 1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("wide", ["18446744073709551615", "-9223372036854775809"])
def test_integer_beyond_int64_after_the_first_block_fails_the_import_naming_file_and_column(
        lakehouse, s3_server, bucket, fmt, wide):
    # More than the ~1 MiB first block of small integers, so `n` is typed int64; the wide value comes later.
    rows = 150_000
    if fmt == "csv":
        payload = b"id,n\n" + b"".join(b"%d,%d\n" % (i, i % 97) for i in range(rows)) + f"{rows},{wide}\n".encode()
    else:
        payload = (b"".join(b'{"id": %d, "n": %d}\n' % (i, i % 97) for i in range(rows))
                   + f'{{"id": {rows}, "n": {wide}}}\n'.encode())
    assert len(payload) > 1 << 20
    uri = s3_server.upload_bytes(bucket, f"late.{fmt}", payload)
    problem = rf"column 'n': {wide} is an integer beyond the 64-bit range"
    branch = "tester.late"
    lakehouse.create_branch(branch, "main")
    lakehouse.create_table("late", uri, branch=branch)
    state = lakehouse.import_data("late", uri, branch=branch)
    assert state.error is not None and uri in state.error and __import__("re").search(problem, state.error), \
        state.error
    assert lakehouse.query("SELECT count(*) FROM bauplan.late", ref=branch).column(0).to_pylist() == [0]
    ing = _run(lakehouse, uri)  # the whole gate: failed, nothing published
    assert ing.phase == "failed" and uri in ing.error and __import__("re").search(problem, ing.error), ing.error
    assert not lakehouse.has_table("t", "main")
