"""What can be known about the checks before any branch exists.

- **Columns.** A check naming a column the table lacks (on `from_ref`, or for a new table the columns
  its files would create: `core/schema_contract.py`), or of a type it cannot check (`between` with numbers
  on text), is refused up front, every problem at once with the closest existing column, instead of
  importing first and reporting an "error" row that a "Merge anyway" could wave through.
- **Queries and names.** `sql` checks must parse (DuckDB's parser, nothing runs); a table name that differs
  from an existing one only by letter case is refused naming the existing one.
- **The table's remembered checks.** With no checks given, an ingestion into an existing table reuses
  the checks of the last ingestion merged into it. They are found in the audit properties of the merge
  commits on `from_ref` (`wap.spec`, written by every audited merge), so this works on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wap_notebook.core.suggest import did_you_mean
from wap_notebook.engine.records import commit_hash
from wap_notebook.errors import InvalidSpec

SPEC_PROPERTY = "wap.spec"  # on merge commits: the spec of the ingestion that was published
REMEMBER_LIMIT = 500  # commits of from_ref searched for the last audited merge of a table


NOTHING_DONE = "(nothing was imported, no branch was created)"
_TEXT = ("string", "large_string", "utf8", "large_utf8", "uuid")
_NUMBER_PREFIXES = ("int", "long", "uint", "float", "double", "decimal", "halffloat")


def type_family(type_name: str) -> str:
    """"text", "number", "boolean", "binary", "temporal" or "other", for an Iceberg or Arrow type name."""
    name = type_name.strip().lower()
    if name in _TEXT:
        return "text"
    if name in ("bool", "boolean"):
        return "boolean"
    if "binary" in name or name.startswith("fixed"):
        return "binary"
    if name.startswith(_NUMBER_PREFIXES):
        return "number"
    if name.startswith(("date", "time")):
        return "temporal"
    return "other"


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _type_problem(check: Any, column: str, type_name: str) -> str | None:
    """Why `check` cannot run on a column of this type (the SQL engine would refuse it mid-validation)."""
    family = type_family(type_name)
    if check.kind == "between" and family in ("text", "binary", "boolean") and any(
            _numeric(getattr(check, bound, None)) for bound in ("min", "max")):
        return (f"{check.name}: column {column!r} is {type_name}, and between compares numbers; use "
                "accepted_values or matches for text, or cast the column when it is written")
    if check.kind == "matches" and family not in ("text", "other"):
        return f"{check.name}: column {column!r} is {type_name}; matches applies a regex to text columns"
    return None


def column_problems(checks: Sequence[Any], columns: Sequence[tuple[str, str]]) -> list[str]:
    """Every check naming a column `columns` lacks (with the closest one) or of a type it cannot check."""
    names = [name for name, _ in columns]
    types = dict(columns)
    problems = []
    for check in checks:
        for column in getattr(check, "columns", ()) or ():
            if column not in types:
                close = did_you_mean(column, names)
                hint = f"did you mean {close!r}?" if close else f"its columns are {', '.join(names)}"
                problems.append(f"{check.name} names column {column!r}, which it does not have: {hint}")
                continue
            problem = _type_problem(check, column, types[column])
            if problem:
                problems.append(problem)
    return problems


def refuse_columns(table: str, where: str, problems: Sequence[str]) -> None:
    """One `InvalidSpec` listing every problem of a table's checks, or nothing when there is none."""
    if not problems:
        return
    listed = "; ".join(problems)
    raise InvalidSpec(f"checks on table {table} ({where}): {listed} {NOTHING_DONE}")


def missing_columns(table: str, checks: Sequence[Any], columns: Sequence[str] | Sequence[tuple[str, str]]
                    ) -> None:
    """Raise ValueError listing every check column `columns` lacks (names, or (name, type) pairs)."""
    pairs = [c if isinstance(c, tuple) else (c, "") for c in columns]
    refuse_columns(table, "its columns", column_problems(checks, pairs))


def sql_problems(checks: Sequence[Any]) -> list[str]:
    """`sql` checks whose query does not parse (DuckDB's parser; nothing is executed)."""
    import duckdb

    problems = []
    for check in checks:
        query = getattr(check, "query", None) if check.kind == "sql" else None
        if not isinstance(query, str):
            continue
        try:
            statements = duckdb.extract_statements(query.replace("{table}", "checked_table"))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            problems.append(f"sql check {check.name!r}: the query does not parse: {first}")
            continue
        if len(statements) != 1:
            problems.append(f"sql check {check.name!r}: give one SELECT statement; found {len(statements)}")
    return problems


def case_clash(table: str, namespace: str, from_ref: str, existing: Iterable[str]) -> None:
    """Refuse a table name that differs from an existing one only by letter case (`Flights` next to
    `flights` would be a second table, silently)."""
    names = list(existing)
    if table in names:
        return
    same = [name for name in names if name.lower() == table.lower()]
    if same:
        raise InvalidSpec(f"table {namespace}.{table} does not exist on {from_ref}, but {namespace}.{same[0]} does: "
                          f"table names are case-sensitive; did you mean {same[0]!r}? {NOTHING_DONE}")


@dataclass(frozen=True)
class Remembered:
    """The checks (YAML items) of the last ingestion merged into a table, and where they were found."""

    items: list[Any]
    commit: str | None
    author: str


def remembered_checks(client: Any, from_ref: str, namespace: str, table: str) -> Remembered | None:
    """The check items the last audited merge into `namespace.table` on `from_ref` recorded, or None."""
    for commit in client.get_commits(from_ref, limit=REMEMBER_LIMIT):
        properties: Mapping[str, str] = getattr(commit, "properties", None) or {}
        raw = properties.get(SPEC_PROPERTY)
        if not raw:
            continue
        try:
            spec = json.loads(raw)
        except ValueError:
            continue
        if spec.get("namespace") != namespace or table not in (spec.get("sources") or {}):
            continue
        items = list((spec.get("checks") or {}).get(table) or [])
        author = str(properties.get("wap.user") or getattr(getattr(commit, "author", None), "name", "") or "?")
        return Remembered(items=items, commit=commit_hash(commit), author=author)
    return None
