"""SQL rendering helpers: the one place that knows how identifiers, values and regexes become SQL text.

`client.query` (Bauplan and the embedded lakehouse alike) takes a plain SQL string and has no bind
parameters, so every name and value that reaches a query goes through this module:

- table and namespace names are *validated* (letters, digits, underscore; starting with a letter or an
  underscore) and then double-quoted, so ``orders"; DROP TABLE x; --`` is refused before any SQL exists;
- column names come from table schemas and may contain anything, so they are double-quoted with embedded
  quotes doubled (standard SQL);
- values are rendered as SQL literals (strings single-quoted with quotes doubled, numbers checked to be
  finite, dates and timestamps typed), never pasted;
- the only dialect-specific bit the checks need, a regex match, is rendered by `regex_match`. Both
  backends run DuckDB-compatible SQL (`regexp_matches(text, pattern)`, search semantics: anchor with
  ``^...$`` for a full match). Keep any further dialect differences here.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from wap_notebook.core.naming import COMMIT_HASH, REF_NAME, validate_identifier
from wap_notebook.errors import InvalidSpec, InvalidType

# Regex features RE2 (DuckDB, DataFusion) does not support; refused up front with a clear message
# instead of a query error later.
_UNSUPPORTED_REGEX = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


def validate_ref(ref: object, what: str = "ref", *, allow_hash: bool = True) -> str:
    """A branch/tag name (`alice.my_branch`, `main`) or, if allowed, a fixed ref `name@hash`."""
    if not isinstance(ref, str) or not ref or len(ref) > 200:
        raise InvalidSpec(f"Invalid {what} {ref!r}: expected a branch name such as 'main' or 'alice.my_branch'")
    name, at, commit = ref.partition("@")
    if at:
        if not allow_hash:
            raise InvalidSpec(f"Invalid {what} {ref!r}: must be a branch name, not a fixed 'name@hash' ref")
        if not COMMIT_HASH.fullmatch(commit) or (name and not REF_NAME.fullmatch(name)):
            raise InvalidSpec(f"Invalid {what} {ref!r}: expected '<branch>@<hex hash>'")
        return ref
    if not REF_NAME.fullmatch(name):
        raise InvalidSpec(
            f"Invalid {what} {ref!r}: use letters, digits, '_', '-' and '.'-separated parts "
            "(e.g. 'main' or 'alice.my_branch')"
        )
    return ref


def quote_ident(name: str) -> str:
    """Double-quote any identifier (column names may contain anything); embedded quotes are doubled."""
    if not isinstance(name, str) or not name:
        raise InvalidSpec(f"Invalid identifier {name!r}")
    if "\x00" in name:
        raise InvalidSpec(f"Invalid identifier {name!r}: contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def qualified_table(namespace: str, table: str) -> str:
    """`"namespace"."table"` after validating both names."""
    return f"{quote_ident(validate_identifier(namespace, 'namespace'))}.{quote_ident(validate_identifier(table))}"


def sql_literal(value: object) -> str:
    """Render a Python value as a safe SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidSpec(f"Cannot use the non-finite number {value!r} in a check")
        return repr(float(value))
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise InvalidSpec(f"Cannot use the non-finite number {value!r} in a check")
        return str(value)
    if isinstance(value, _dt.datetime):
        return f"TIMESTAMP {string_literal(value.isoformat(sep=' '))}"
    if isinstance(value, _dt.date):
        return f"DATE {string_literal(value.isoformat())}"
    if isinstance(value, str):
        return string_literal(value)
    # numpy scalars and the like
    item = getattr(value, "item", None)
    if callable(item):
        return sql_literal(item())
    raise InvalidType(f"Cannot render {type(value).__name__} value {value!r} as a SQL literal")


def string_literal(text: str) -> str:
    """`'text'` with embedded quotes doubled (NUL refused: no engine keeps it)."""
    if "\x00" in text:
        raise InvalidSpec("Strings used in checks cannot contain NUL characters")
    return "'" + text.replace("'", "''") + "'"


def literal_list(values: Iterable[object]) -> str:
    """`(lit1, lit2, ...)` for an IN list; at least one value."""
    rendered = [sql_literal(v) for v in values]
    if not rendered:
        raise InvalidSpec("An IN list needs at least one value")
    return "(" + ", ".join(rendered) + ")"


def keys_predicate(columns: Sequence[str], keys: Iterable[Mapping[str, object]]) -> str:
    """SQL true for rows whose `columns` equal one of `keys` (dicts by column): ``(a = 1 AND b = 'x') OR ...``."""
    rendered = ["(" + " AND ".join(f"{quote_ident(c)} = {sql_literal(key[c])}" for c in columns) + ")" for key in keys]
    if not rendered:
        raise InvalidSpec("A key predicate needs at least one key")
    return " OR ".join(rendered)


def validate_regex(pattern: object) -> str:
    """Check that `pattern` compiles and avoids features the query engines (RE2) lack."""
    if not isinstance(pattern, str):
        raise InvalidSpec(f"Regex must be a string; got {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InvalidSpec(f"Invalid regex {pattern!r}: {exc}") from exc
    if _UNSUPPORTED_REGEX.search(pattern):
        raise InvalidSpec(
            f"Regex {pattern!r} uses lookaround or backreferences, which the query engine (RE2) does not support"
        )
    return pattern


def regex_literal(pattern: str) -> str:
    """Validate a regex and render it as a string literal."""
    return string_literal(validate_regex(pattern))


def regex_match(expr: str, pattern: str) -> str:
    """SQL boolean: does the text of `expr` contain a match of `pattern` (search semantics)."""
    return f"regexp_matches(CAST({expr} AS VARCHAR), {regex_literal(pattern)})"


def columns_list(columns: Sequence[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def strip_statement(query: str) -> str:
    """A user query used as a subquery: trailing semicolons and whitespace removed; one statement only."""
    text = query.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise InvalidSpec("Empty SQL query")
    return text


def syntax_nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object of DuckDB's `json_serialize_sql` tree, depth first (expressions, table refs, containers):
    what the query sandbox, scan filters and check predicates inspect."""
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from syntax_nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from syntax_nodes(value)
