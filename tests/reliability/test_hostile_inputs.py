"""Hostile and malformed input catalogue: each case names the exact exception class (or the documented
non-raising outcome), checks that the message names the culprit, and that `main` is unchanged (same
commit hash, same query result).

Outcomes other than an exception:
- ``FAILED_STATE``: `import_data` does not raise on a failed job (as Bauplan), it returns a state with
  `job_status == "FAILED"` and `error` naming the culprit;
- ``FAILED_INGESTION``: an `Ingestion` ends in phase "failed" (data problem) with `error` naming it;
- ``None``: the input is legitimate and must simply work (e.g. a 6 MiB string cell imports fine; SQL
  injection in a check *value* is treated as data).

Credentials: moto accepts any key, so "wrong credentials" runs against a second moto server started with
``INITIAL_NO_AUTH_ACTION_COUNT=0``, which enforces IAM and rejects the unknown key with a real
``InvalidAccessKeyId``. "Missing credentials" cannot be tested on moto (its IAM mode answers unsigned
requests with HTTP 500); an endpoint that refuses connections (a closed port on 127.0.0.1) stands for
the unreachable-storage case.
"""

from __future__ import annotations

import io
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx

from wap_notebook import LocalClient
from wap_notebook import checks as C
from wap_notebook.errors import ActionNotAllowed, InvalidSpec
from wap_notebook.ingestion import Ingestion
from wap_notebook.lakehouse import errors

from .helpers import USER, rows, seed_main

FAILED_STATE = "FAILED_STATE"
FAILED_INGESTION = "FAILED_INGESTION"
MAIN_SQL = "SELECT * FROM bauplan.orders ORDER BY id"


class Ctx:
    """Module-wide lakehouse with `orders` on main, plus sample files, for all cases."""

    def __init__(self, client: LocalClient, s3_server, bucket: str, locked) -> None:
        self.client = client
        self.s3 = s3_server
        self.bucket = bucket
        self.locked = locked
        self.good = self.put("good/orders.parquet", rows(0, 20))

    def put(self, key: str, data: pa.Table | bytes) -> str:
        if isinstance(data, pa.Table):
            buffer = io.BytesIO()
            pq.write_table(data, buffer)
            data = buffer.getvalue()
        return self.s3.upload_bytes(self.bucket, key, data)

    def fresh(self, key: str, start: int = 10_000, n: int = 5) -> str:
        """A never-imported parquet file (duplicate-file prevention would refuse a reused one)."""
        return self.put(f"fresh/{uuid.uuid4().hex}/{key}", rows(start, n))

    def branch(self, with_orders: bool = True) -> str:
        name = f"{USER}.h{uuid.uuid4().hex[:8]}"
        self.client.create_branch(name, "main")
        return name

    def ingestion(self, source: str, **kwargs) -> Ingestion:
        return Ingestion("orders", source, client=self.client, **kwargs)


@dataclass
class Case:
    id: str
    run: Callable[[Ctx], Any]
    expect: type[BaseException] | str | None
    culprit: str | None = None
    env: Callable[[Ctx], dict[str, str | None]] | None = None
    bug: str | None = None  # a known product bug: the case is a strict xfail until it is fixed


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create(ctx: Ctx, uri: str) -> Any:
    return ctx.client.create_table(f"t_{uuid.uuid4().hex[:8]}", uri, branch=ctx.branch())


def _import(ctx: Ctx, uri: str) -> Any:
    return ctx.client.import_data("orders", uri, branch=ctx.branch())


def _huge_cell(ctx: Ctx) -> None:
    big = "x" * (6 << 20)
    uri = ctx.s3.upload_bytes(ctx.bucket, "huge/a.csv", f"id,note\n1,small\n2,{big}\n3,also small\n".encode())
    branch = ctx.branch()
    ctx.client.create_table("huge", uri, branch=branch)
    assert ctx.client.import_data("huge", uri, branch=branch).error is None
    got = ctx.client.query("SELECT MAX(LENGTH(note)) AS m, COUNT(*) AS n FROM huge", ref=branch).to_pylist()
    assert got == [{"m": len(big), "n": 3}]


def _mixed_types(ctx: Ctx) -> Any:
    prefix = f"mixed/{uuid.uuid4().hex[:6]}"
    ctx.put(f"{prefix}/a.parquet", rows(0, 3))
    ctx.put(f"{prefix}/b.parquet", pa.table({"id": ["x", "y"], "amount": [1.0, 2.0], "status": ["a", "b"]}))
    return _create(ctx, f"s3://{ctx.bucket}/{prefix}/*.parquet")


def _check_report(ctx: Ctx, check: C.Check, status: str, needle: str) -> None:
    """Hostile text inside a check must reach SQL only as a quoted literal/identifier."""
    ing = ctx.ingestion(ctx.fresh("a.parquet"), mode="append", checks=[check])
    ing.run()
    row = ing.report.set_index("check").loc[check.name]
    assert row["status"] == status, ing.report.to_string()
    assert needle in str(row["message"]) + str(row["observed"]), row.to_dict()
    ing.discard()
    raise _Outcome(f"{check.name}: {row['status']}: {row['message']}")


class _Outcome(Exception):  # noqa: N818 - a case's non-raising result, surfaced for the message check
    pass


def _discard_twice(ctx: Ctx) -> None:
    ing = ctx.ingestion(ctx.fresh("a.parquet"), mode="append").run()
    ing.discard()
    ing.discard()  # idempotent: no error, nothing else happens
    assert ing.phase == "discarded" and not ctx.client.has_branch(ing.branch)


def _merge_after_discard(ctx: Ctx) -> Any:
    ing = ctx.ingestion(ctx.fresh("a.parquet"), mode="append").run()
    ing.discard()
    return ing.merge()


def _write_to_tag(ctx: Ctx) -> Any:
    ctx.client.create_tag(f"tag_{uuid.uuid4().hex[:6]}", "main")
    tag = next(iter(ctx.client.get_tags()))
    return ctx.client.import_data("orders", ctx.good, branch=tag.name)


def _merge_deleted_branch(ctx: Ctx) -> Any:
    branch = ctx.branch()
    ctx.client.delete_branch(branch)
    return ctx.client.merge_branch(branch, "main")


CASES = [
    # ---- sources: where the files are
    Case("empty_glob", lambda c: _create(c, f"s3://{c.bucket}/nothing-here/*.parquet"), errors.SourceNotFoundError,
         "nothing-here/*.parquet"),
    Case("missing_bucket", lambda c: _create(c, "s3://no-such-bucket-zz9/x/*.parquet"), errors.SourceNotFoundError,
         "no-such-bucket-zz9"),
    Case("wrong_credentials", lambda c: _create(c, "s3://locked/p/*.parquet"), errors.SourceAccessError,
         "s3://locked/p/*.parquet",
         env=lambda c: {**c.locked.env, "AWS_ACCESS_KEY_ID": "AKIAUNKNOWN00000", "AWS_SECRET_ACCESS_KEY": "bad"}),
    Case("endpoint_refuses_connections", lambda c: _create(c, "s3://refused/p/a.parquet"), errors.SourceError,
         "s3://refused/p/a.parquet", env=lambda c: {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"}),
    Case("import_from_empty_glob", lambda c: _import(c, f"s3://{c.bucket}/nothing-here/*.csv"), FAILED_STATE,
         "nothing-here/*.csv"),
    Case("ingestion_from_missing_object", lambda c: c.ingestion(f"s3://{c.bucket}/gone.parquet").run(),
         FAILED_INGESTION, "gone.parquet"),
    # ---- sources: what is in them
    Case("zero_byte_parquet", lambda c: _create(c, c.put("zero/a.parquet", b"")), errors.SourceFormatError,
         "zero/a.parquet"),
    Case("truncated_parquet", lambda c: _create(c, c.put("trunc/a.parquet", c_bytes_truncated())),
         errors.SourceFormatError, "trunc/a.parquet"),
    Case("ragged_csv", lambda c: _create(c, c.put("rag/a.csv", b"id,amount,status\n1,2.0,placed\n2,3.0\n")),
         errors.SourceFormatError, "rag/a.csv"),
    Case("ragged_csv_import", lambda c: _import(c, c.put("rag2/a.csv", b"id,amount,status\n1,2.0,a\n2,3.0\n")),
         FAILED_STATE, "rag2/a.csv"),
    Case("csv_unparseable_value", lambda c: _import(c, c.put("bad/a.csv", b"id,amount,status\n1,2.0,a\nabc,3.0,b\n")),
         FAILED_STATE, "'abc'"),
    Case("jsonl_broken_line",
         lambda c: _create(c, c.put("j/a.jsonl", b'{"id": 1, "amount": 1.0}\n{"id": 2, "amount": \n{"id": 3}\n')),
         errors.SourceFormatError, "j/a.jsonl"),
    Case("mixed_types_across_files", _mixed_types, errors.SchemaConflictError, "id"),
    Case("unsupported_extension", lambda c: _create(c, c.put("txt/readme.txt", b"hello")), errors.SourceFormatError,
         "readme.txt"),
    Case("wrong_type_file_appended", lambda c: _import(c, c.put("wt/a.parquet", pa.table({"id": ["x"]}))),
         FAILED_STATE, "wt/a.parquet"),
    Case("huge_string_cell_imports_fine", _huge_cell, None),
    # ---- names: tables, namespaces, branches, refs
    Case("table_name_quote", lambda c: Ingestion('or"ders', c.good, client=c.client),
         InvalidSpec, 'or"ders'),
    Case("table_name_semicolon_injection",
         lambda c: Ingestion("orders; DROP TABLE orders; --", c.good, client=c.client), InvalidSpec, "DROP TABLE"),
    Case("table_name_dots", lambda c: c.client.create_table("bauplan.orders.v2", c.good, branch=c.branch()),
         errors.InvalidArgumentError, "bauplan.orders.v2"),
    Case("table_name_space", lambda c: c.client.import_data("my orders", c.good, branch=c.branch()),
         errors.InvalidArgumentError,
         "my orders"),
    Case("table_name_unicode", lambda c: Ingestion("commandes_é", c.good, client=c.client), InvalidSpec,
         "commandes_é"),
    Case("table_name_traversal", lambda c: c.client.get_table("../../etc/passwd", "main"),
         errors.InvalidArgumentError,
         "../../etc/passwd"),
    Case("namespace_traversal", lambda c: Ingestion("orders", c.good, namespace="../../tmp", client=c.client),
         InvalidSpec, "../../tmp"),
    Case("namespace_quote", lambda c: c.client.create_namespace("ns'x", c.branch()), errors.InvalidArgumentError,
         "ns'x"),
    Case("namespace_sql_injection", lambda c: c.client.query("SELECT 1", namespace="bauplan; DROP TABLE orders"),
         errors.InvalidArgumentError, "bauplan; DROP TABLE orders"),
    Case("branch_name_space", lambda c: Ingestion("orders", c.good, branch="tester.my branch", client=c.client),
         InvalidSpec, "tester.my branch"),
    Case("branch_name_traversal", lambda c: c.client.create_branch("tester.../../x", "main"), bx.InvalidRefError,
         "tester.../../x"),
    Case("branch_name_unicode", lambda c: c.client.create_branch("tester.brañch", "main"), bx.InvalidRefError,
         "brañch"),
    Case("branch_name_sql_injection", lambda c: c.client.create_branch("tester.x';DROP TABLE refs;--", "main"),
         bx.InvalidRefError, "DROP TABLE refs"),  # malformed refs raise Bauplan's InvalidRefError
    # a query is a job: its malformed ref comes back as the query service's error (SDK: query_err)
    Case("ref_sql_injection_in_query", lambda c: c.client.query(MAIN_SQL, ref="main' OR 1=1 --"),
         bx.BauplanQueryError, "main' OR 1=1 --"),
    # ---- SQL injection through check arguments
    Case("check_value_injection_is_data",
         lambda c: _check_report(c, C.accepted_values("status", ["placed'); DROP TABLE orders; --"]), "failed",
                                 "shipped"), _Outcome, "outside the accepted list"),
    # a column the table lacks is refused before any branch, hostile text included, by name
    Case("check_column_injection_is_an_identifier",
         lambda c: c.ingestion(c.fresh("a.parquet"), mode="append", checks=[C.not_null('id" IS NULL OR 1=1 --')]),
         InvalidSpec, 'id" IS NULL OR 1=1 --'),
    Case("check_bound_injection_is_a_literal",
         lambda c: _check_report(c, C.between("amount", min="0 OR 1=1"), "error", "0 OR 1=1"), _Outcome,
         "0 OR 1=1"),  # regression: one faulty check used to sink the whole shared aggregate scan
    Case("check_sql_second_statement",  # refused up front, before any branch: the query is parsed first
         lambda c: c.ingestion(c.fresh("a.parquet"), mode="append",
                               checks=[C.sql("no_second", "SELECT * FROM {table}; DROP TABLE orders")]),
         InvalidSpec, "no_second"),
    Case("check_regex_injection", lambda c: C.matches("status", "') OR 1=1 --"), InvalidSpec, "') OR 1=1 --"),
    Case("check_ref_injection", lambda c: C.no_duplicates_with(ref="main'; DROP TABLE x", key=["id"]), InvalidSpec,
         "main'; DROP TABLE x"),
    # ---- queries that try to write or to read local files
    Case("query_update", lambda c: c.client.query("UPDATE orders SET amount = 0"), bx.BauplanQueryError, "UPDATE"),
    Case("query_export_database", lambda c: c.client.query("EXPORT DATABASE '/tmp/wap-export'"),
         bx.BauplanQueryError, "EXPORT"),
    Case("query_read_warehouse_files", lambda c: c.client.query(
        f"SELECT * FROM read_parquet('{c.client.warehouse}/**/*.parquet')"), bx.BauplanQueryError, "read_parquet"),
    Case("query_read_file_as_table", lambda c: c.client.query('SELECT * FROM "/etc/passwd"'), bx.BauplanQueryError,
         "/etc/passwd"),
    Case("query_lateral_file_read", lambda c: c.client.query(
        "SELECT * FROM orders, LATERAL (SELECT * FROM read_text('/etc/hostname')) AS f"), bx.BauplanQueryError,
        "read_text"),
    # ---- lifecycle mistakes
    Case("on_success_typo", lambda c: Ingestion("orders", c.good, on_success="merg", client=c.client), InvalidSpec,
         "'merg'"),
    Case("on_failure_typo", lambda c: Ingestion("orders", c.good, on_failure="drop", client=c.client), InvalidSpec,
         "'drop'"),
    Case("merge_main_into_itself", lambda c: c.client.merge_branch(c.client.get_branch("main"), "main"),
         bx.SameRefError, "main"),
    Case("ingestion_on_main_itself", lambda c: Ingestion("orders", c.good, branch="main", client=c.client),
         InvalidSpec, "'main'"),
    Case("delete_main", lambda c: c.client.delete_branch(c.client.get_branch("main")),
         bx.DeleteBranchForbiddenError, "main"),
    Case("import_straight_into_main", lambda c: c.client.import_data("orders", c.good, branch="main"),
         bx.ForbiddenError, "main"),
    Case("write_to_a_tag", _write_to_tag, bx.NotAWriteBranchRefError, "tag"),
    Case("discard_twice", _discard_twice, None),
    Case("merge_after_discard", _merge_after_discard, ActionNotAllowed, "'discarded'"),
    Case("merge_a_deleted_branch", _merge_deleted_branch, bx.RefNotFoundError, f"{USER}.h"),
]


def c_bytes_truncated() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(rows(0, 1000), buffer)
    return buffer.getvalue()[: buffer.tell() // 2]


@pytest.fixture(scope="module")
def ctx(s3_server, tmp_path_factory):
    from wap_notebook.demo.s3 import start_s3_server

    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # this one server enforces IAM: unknown keys are refused
    try:
        locked = start_s3_server()
    finally:
        del os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]
    bucket = f"hostile-{uuid.uuid4().hex[:8]}"
    s3_server.create_bucket(bucket)
    client = LocalClient(tmp_path_factory.mktemp("hostile") / "lh", username=USER)
    context = Ctx(client, s3_server, bucket, locked)
    seed_main(client, "orders", context.good)
    context.main_hash = client.get_branch("main").hash
    context.main_rows = client.query(MAIN_SQL, ref="main")
    yield context
    locked.stop()


def test_catalogue_is_big_enough():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else [])
    for c in CASES])
def test_hostile_input(case: Case, ctx: Ctx, monkeypatch):
    if case.env:
        for key, value in case.env(ctx).items():
            monkeypatch.setenv(key, value)
    outcome: Any = None
    if isinstance(case.expect, type):
        with pytest.raises(case.expect) as info:
            case.run(ctx)
        assert type(info.value) is case.expect, f"expected exactly {case.expect.__name__}, got {info.type.__name__}"
        message = getattr(info.value, "message", None) or str(info.value)  # Bauplan errors carry .message
    else:
        outcome = case.run(ctx)
        message = ""
        if case.expect == FAILED_STATE:
            assert outcome.job_status == "FAILED" and outcome.error, outcome
            message = outcome.error
        elif case.expect == FAILED_INGESTION:
            assert outcome.phase == "failed" and outcome.error, outcome
            message = outcome.error
            outcome.discard()
    if case.culprit is not None:
        assert case.culprit in message, f"{case.culprit!r} not named in: {message}"
    monkeypatch.undo()
    # main is unchanged: same commit and same content
    assert ctx.client.get_branch("main").hash == ctx.main_hash
    assert ctx.client.query(MAIN_SQL, ref="main").equals(ctx.main_rows)
    assert json.dumps(sorted(t.name for t in ctx.client.get_tables("main"))) == '["orders"]'
