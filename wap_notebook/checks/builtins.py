"""The built-in checks' factories: the public vocabulary, each registered by name for YAML and records.

Factories (all take ``severity="error"`` (blocks the merge) or ``"warn"`` (reported only) and an
optional ``name``; the row-level ones (not_null, unique, accepted_values, between, matches,
no_duplicates_with) also take a tolerance, ``mostly=0.99`` or ``max_failing=N`` / ``max_failing="1%"``:
see `wap_notebook.checks.tolerance`)::

    row_count(min=1, max=None)          rows this ingestion added (always included by default)
    not_null(*cols, nan_as_null=False)  no NULL in any of the columns (NaN counts too if nan_as_null)
    unique(*cols)                       the combined key is unique (NULL keys are ignored)
    accepted_values(col, values)        non-NULL values are in the list
    between(col, min=None, max=None)    non-NULL values within [min, max]; NaN fails (numeric bounds)
    matches(col, regex)                 non-NULL values contain a match of `regex` (anchor with ^...$)
    schema_compatible()                 no dropped column, no changed type vs `from_ref` (default in append)
    no_duplicates_with(ref="main", key=[...])   new rows whose key already exists on `ref`
    sql(name, query)                    rows returned by `query` are failures; `{table}` is the quoted table
    custom(name, fn)                    fn(pyarrow.Table of the new rows) -> bool | (bool, observed)

How they run (`wap_notebook.checks.planner`): every `AggregateCheck` (row_count, not_null,
single-column unique, accepted_values, between, matches) contributes terms to a single
``SELECT COUNT(*), SUM(CASE ...), COUNT(DISTINCT ...), MIN/MAX ... FROM "ns"."table"`` query:
**one scan of the table for all aggregate checks of that table**. The `QueryCheck`s that need a GROUP
BY (multi-column `unique`, `no_duplicates_with`) or a user's query (`sql`) run one query each;
`schema_compatible` reads the catalog only; `custom` receives the new rows (bounded) in Python.
Each factory is registered by name (`register_check`) for the YAML parser and persisted specs.

"New rows" in append mode: see `wap_notebook.ingestion` for the full rationale. In short, every
aggregate a check uses is a *count of failing rows* (additive) or a count from which the number of
failing rows is derived, so the engine runs the same one-scan query on the branch and on the fixed
snapshot the branch was made from (``from_ref@<hash>``) and reports the difference: exactly the
failures the new rows bring, without copying data or cross-ref joins. Informational extremes (MIN /
MAX) are not additive and are reported over the whole branch table, which the message says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from wap_notebook.checks.model import Check
from wap_notebook.checks.registry import register_check
from wap_notebook.checks.table_rules import (
    CUSTOM_MAX_ROWS,
    FAILING_KEYS_SAMPLE,
    Custom,
    NoDuplicatesWith,
    SchemaCompatible,
    Sql,
)
from wap_notebook.checks.value_rules import AcceptedValues, Between, Matches, NotNull, RowCount, Unique, UniqueKey

__all__ = [
    "CUSTOM_MAX_ROWS", "FAILING_KEYS_SAMPLE", "AcceptedValues", "Between", "Custom", "Matches", "NoDuplicatesWith",
    "NotNull", "RowCount", "SchemaCompatible", "Sql", "Unique", "UniqueKey", "row_count", "not_null", "unique",
    "accepted_values", "between", "matches", "schema_compatible", "no_duplicates_with", "sql", "custom",
]


@register_check("row_count")
def row_count(min: int = 1, max: int | None = None, *, severity: str = "error",  # noqa: A002
              name: str | None = None) -> Check:
    """Rows this ingestion added are within [min, max]."""
    return RowCount(min, max, severity=severity, name=name)


@register_check("not_null")
def not_null(*columns: str, nan_as_null: bool = False, severity: str = "error", name: str | None = None,
             mostly: float | None = None, max_failing: int | str | None = None) -> Check:
    """No NULL in any of `columns`. NaN is a float value, not NULL, so it passes unless `nan_as_null=True`
    (then NaN counts as missing too; the columns must be numeric)."""
    return NotNull(*columns, nan_as_null=nan_as_null, severity=severity, name=name, mostly=mostly,
                   max_failing=max_failing)


@register_check("unique")
def unique(*columns: str, severity: str = "error", name: str | None = None, mostly: float | None = None,
           max_failing: int | str | None = None) -> Check:
    tolerance = {"mostly": mostly, "max_failing": max_failing}
    if len(columns) == 1:
        return Unique(columns[0], severity=severity, name=name, **tolerance)
    return UniqueKey(*columns, severity=severity, name=name, **tolerance)


@register_check("accepted_values")
def accepted_values(column: str, values: Sequence[Any], *, severity: str = "error", name: str | None = None,
                    mostly: float | None = None, max_failing: int | str | None = None) -> Check:
    return AcceptedValues(column, values, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("between")
def between(column: str, min: Any = None, max: Any = None, *, severity: str = "error",  # noqa: A002
            name: str | None = None, mostly: float | None = None, max_failing: int | str | None = None) -> Check:
    """Non-NULL values of `column` within [min, max] (either bound may be omitted). With numeric bounds a NaN
    value fails: it is in no range (the observed range and the failing rows show it)."""
    return Between(column, min, max, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("matches")
def matches(column: str, regex: str, *, severity: str = "error", name: str | None = None,
            mostly: float | None = None, max_failing: int | str | None = None) -> Check:
    return Matches(column, regex, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("schema_compatible")
def schema_compatible(*, severity: str = "error", name: str | None = None) -> Check:
    return SchemaCompatible(severity=severity, name=name)


@register_check("no_duplicates_with")
def no_duplicates_with(ref: str = "main", key: Sequence[str] = (), *, severity: str = "error",
                       name: str | None = None, mostly: float | None = None,
                       max_failing: int | str | None = None) -> Check:
    return NoDuplicatesWith(ref, key, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("sql")
def sql(name: str, query: str, *, severity: str = "error") -> Check:
    return Sql(name, query, severity=severity)


@register_check("custom")
def custom(name: str, fn: Callable[[pa.Table], Any], *, severity: str = "error") -> Check:
    return Custom(name, fn, severity=severity)
