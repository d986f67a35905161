"""`scan`: a table read with a column list, a filter predicate and a limit, composed into safe SQL.

Bauplan composes the query with SQLGlot; we use DuckDB's own parser (`json_serialize_sql`). The filter
string is parsed as the WHERE clause of a fixed query; anything but a single boolean expression over the
table's columns, constants, comparisons, boolean logic and a short list of pure scalar functions is
refused (subqueries, other tables, table functions, statements, comments that change the query's
shape). The SQL that runs is DuckDB's re-rendering of the validated expression tree, never the
caller's text.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import duckdb
from bauplan import exceptions as bx

from wap_notebook.core.sql import quote_ident as quote
from wap_notebook.core.sql import syntax_nodes
from wap_notebook.lakehouse.query import one_value, parser_connection

_PROBE_TABLE = "__wap_scan"
_PREFIX = f"SELECT * FROM {_PROBE_TABLE} WHERE "

# Expression classes allowed in a filter, and the pure scalar functions it may call.
_ALLOWED_CLASSES = frozenset({"COLUMN_REF", "CONSTANT", "COMPARISON", "CONJUNCTION", "OPERATOR", "BETWEEN", "CAST",
                              "TYPE", "FUNCTION", "CASE"})
_ALLOWED_FUNCTIONS = frozenset({
    "~~", "!~~", "~~*", "!~~*", "like", "ilike", "not_like", "lower", "upper", "length", "trim", "ltrim", "rtrim",
    "abs", "round", "floor", "ceil", "coalesce", "nullif", "starts_with", "ends_with", "suffix", "prefix",
    "contains", "regexp_matches", "substring", "substr", "concat", "||", "+", "-", "*", "/", "%", "year", "month",
    "day", "hour", "minute", "second", "date_trunc", "date_part", "strftime", "isnan", "isinf",
})


@functools.cache
def _type_names() -> frozenset[str]:
    """Every type name and alias DuckDB knows (lower case), from its own catalog."""
    rows = parser_connection().execute("SELECT DISTINCT lower(type_name) FROM duckdb_types()").fetchall()
    return frozenset(str(row[0]) for row in rows)


def _error(message: str) -> bx.BauplanQueryError:
    return bx.BauplanQueryError(message)


def invalid_filter(filters: object, why: str) -> ValueError:
    """What the SDK raises for a filter its SQL parser refuses, before any request (src/python/query.rs)."""
    return ValueError(f"Invalid SQL filter {filters!r}: {why}")


def parse_filter(filters: str) -> tuple[duckdb.DuckDBPyConnection, dict[str, Any], dict[str, Any]]:
    """Parse `filters` as the WHERE clause of the probe query; anything but one expression there (empty text,
    a second statement, a UNION, a dangling operator) is the SDK's `ValueError("Invalid SQL filter")`."""
    if not filters.strip():
        raise invalid_filter(filters, "empty")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in filters):  # DuckDB would read "\x00" as a column name
        raise invalid_filter(filters, "control characters")
    probe = _PREFIX + filters
    try:
        statements = duckdb.extract_statements(probe)
    except duckdb.Error as exc:
        raise invalid_filter(filters, str(exc).splitlines()[0]) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise invalid_filter(filters, "not one boolean expression")
    con = parser_connection()
    tree = json.loads(one_value(con, "SELECT json_serialize_sql(?)", probe))
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise invalid_filter(filters, str(tree.get("error_message", "unparsable")))
    node = tree["statements"][0]["node"]
    from_table = node.get("from_table") or {}
    shape_ok = (node.get("type") == "SELECT_NODE" and from_table.get("type") == "BASE_TABLE"
                and from_table.get("table_name") == _PROBE_TABLE and not node.get("modifiers")
                and not node.get("group_expressions") and node.get("having") is None
                and node.get("qualify") is None and node.get("sample") is None
                and not (node.get("cte_map") or {}).get("map")
                and [e.get("class") for e in node.get("select_list", [])] == ["STAR"])
    if not shape_ok or node.get("where_clause") is None:
        raise invalid_filter(filters, "not one boolean expression over the table's columns")
    return con, tree, node


def canonical_filter(filters: str, columns: set[str]) -> str:
    """Validate `filters` as a boolean expression over `columns`; return DuckDB's rendering of it.

    Unparsable text is a `ValueError` (the SDK's own parser refuses it); a well-formed expression that uses
    unknown columns or disallowed constructs is a `BauplanQueryError`, as Bauplan's engine would answer."""
    con, tree, node = parse_filter(filters)
    for expr in syntax_nodes(node["where_clause"]):
        if "class" not in expr:  # containers (argument lists, literals), not expressions
            continue
        kind = expr["class"]
        if kind not in _ALLOWED_CLASSES:
            raise _error(f"filters may not contain {kind.lower().replace('_', ' ')} expressions")
        if kind == "COLUMN_REF":
            names = expr.get("column_names", [])
            if len(names) != 1 or names[0] not in columns:
                raise _error(f"Unknown column {'.'.join(names)!r} in filters; the table has: "
                             f"{', '.join(sorted(columns))}")
        elif kind == "FUNCTION" and expr.get("function_name", "").lower() not in _ALLOWED_FUNCTIONS:
            raise _error(f"Function {expr.get('function_name')!r} is not allowed in filters")
        elif kind == "TYPE" and str(expr.get("type_name", "")).lower() not in _type_names():
            # The target of a cast or a typed literal (`DATE '2024-01-01'`, `a::DOUBLE`). DuckDB also reads
            # `b 'x'` as a cast to a type named b; the SDK's parser refuses that text, and so does this.
            raise invalid_filter(filters, f"{expr.get('type_name')!r} is not a type")
    rendered = str(one_value(con, "SELECT json_deserialize_sql(?)", json.dumps(tree)))
    if not rendered.startswith(_PREFIX):  # the probe's shape was checked above: this cannot drift silently
        raise _error("filters could not be rendered safely")
    return rendered[len(_PREFIX):]


def scan_sql(namespace: str, table: str, table_columns: list[str], columns: list[str] | None,
             filters: str | None, limit: int | None) -> str:
    """The query `scan` runs: every part validated, identifiers quoted, the filter re-rendered."""
    known = set(table_columns)
    if columns is not None:
        if isinstance(columns, str) or not columns or not all(isinstance(c, str) for c in columns):
            raise ValueError(f"columns must be a non-empty list of column names (or None for all), got {columns!r}")
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise _error(f"Unknown column(s) {', '.join(map(repr, unknown))}; the table has: "
                         f"{', '.join(table_columns)}")
    select = ", ".join(quote(c) for c in columns) if columns else "*"
    sql = f"SELECT {select} FROM {quote(namespace)}.{quote(table)}"
    if filters is not None:
        sql += f" WHERE {canonical_filter(filters, known)}"
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        sql += f" LIMIT {limit}"
    return sql
