"""A user's row-level SQL boolean (the `expression` check), validated before anything runs.

DuckDB's own parser reads it as the WHERE clause of a fixed probe query (`json_serialize_sql`); anything
but one boolean expression over columns, constants, comparisons, boolean logic, CASE, casts and a short
list of pure scalar functions is refused (subqueries, other tables, table functions, statements). The SQL
that runs is DuckDB's re-rendering of the validated tree, never the user's text; the column names it
references become the check's columns, so a missing column is reported like any other check's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from wap_notebook.core.sql import syntax_nodes
from wap_notebook.errors import InvalidSpec

_PROBE = "SELECT * FROM __wap_rows WHERE "
_ALLOWED_CLASSES = frozenset({"COLUMN_REF", "CONSTANT", "COMPARISON", "CONJUNCTION", "OPERATOR", "BETWEEN", "CAST",
                              "FUNCTION", "CASE"})
_ALLOWED_FUNCTIONS = frozenset({
    "~~", "!~~", "~~*", "!~~*", "like", "ilike", "not_like", "lower", "upper", "length", "trim", "ltrim", "rtrim",
    "abs", "round", "floor", "ceil", "coalesce", "nullif", "starts_with", "ends_with", "suffix", "prefix",
    "contains", "regexp_matches", "substring", "substr", "concat", "||", "+", "-", "*", "/", "%", "year", "month",
    "day", "hour", "minute", "second", "date_trunc", "date_part", "strftime", "isnan", "isinf", "greatest", "least",
})


@lru_cache(maxsize=1)
def _parser() -> Any:
    import duckdb

    return duckdb.connect(":memory:", config={"enable_external_access": False, "autoload_known_extensions": False,
                                              "autoinstall_known_extensions": False})




def validate_predicate(text: object, what: str = "expression") -> tuple[str, tuple[str, ...]]:
    """(DuckDB's rendering of the predicate, the columns it references) or InvalidSpec."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSpec(f"{what}: predicate must be a non-empty SQL boolean, e.g. 'arr_time >= dep_time'")
    import duckdb

    probe = _PROBE + text
    try:
        statements = duckdb.extract_statements(probe)
    except duckdb.Error as exc:
        raise InvalidSpec(f"{what}: predicate could not be parsed: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise InvalidSpec(f"{what}: predicate must be one boolean expression, not {text!r}")
    con = _parser()
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [probe]).fetchone()[0])
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise InvalidSpec(f"{what}: predicate could not be parsed: {tree.get('error_message', text)}")
    node = tree["statements"][0]["node"]
    from_table = node.get("from_table") or {}
    shape_ok = (node.get("type") == "SELECT_NODE" and from_table.get("table_name") == "__wap_rows"
                and not node.get("modifiers") and not node.get("group_expressions") and node.get("having") is None
                and node.get("qualify") is None and node.get("sample") is None
                and not (node.get("cte_map") or {}).get("map")
                and [e.get("class") for e in node.get("select_list", [])] == ["STAR"])
    if not shape_ok or node.get("where_clause") is None:
        raise InvalidSpec(f"{what}: predicate must be one boolean expression over the table's columns, not {text!r}")
    columns: list[str] = []
    for expr in syntax_nodes(node["where_clause"]):
        kind = expr.get("class")
        if kind is None:
            continue
        if kind not in _ALLOWED_CLASSES:
            raise InvalidSpec(f"{what}: predicate may not contain {kind.lower().replace('_', ' ')} expressions")
        if kind == "COLUMN_REF":
            names = expr.get("column_names", [])
            if len(names) != 1:
                raise InvalidSpec(f"{what}: use plain column names, not {'.'.join(names)!r}")
            if names[0] not in columns:
                columns.append(names[0])
        elif kind == "FUNCTION" and str(expr.get("function_name", "")).lower() not in _ALLOWED_FUNCTIONS:
            raise InvalidSpec(f"{what}: function {expr.get('function_name')!r} is not allowed in a predicate")
    if not columns:
        raise InvalidSpec(f"{what}: predicate names no column: {text!r}")
    rendered = con.execute("SELECT json_deserialize_sql(?)", [json.dumps(tree)]).fetchone()[0]
    if not rendered.startswith(_PROBE):
        raise InvalidSpec(f"{what}: predicate could not be rendered safely")
    return rendered[len(_PROBE):], tuple(columns)
