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
    references(col, table, to_column=None)  non-NULL values exist in table.to_column on the same branch
    fresh(col, within="2d", now=None)   the newest value among the new rows is within `within` of now
    column_stat(col, stat, min=None, max=None)  mean/median/stddev/sum/min/max/null_fraction/distinct_count
    expression(name, predicate)         rows where the SQL boolean is false fail (validated up front)
    length(col, min=None, max=None)     non-NULL strings' lengths within [min, max]
    drift(col, ..., method="psi")       null rate, new categories, PSI (or method="ks": KS distance) vs from_ref
    row_count_vs_history(window=10, tolerance=0.5)  rows added vs the last merged ingestions

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

from wap_notebook.checks.drift_rules import Drift
from wap_notebook.checks.model import Check
from wap_notebook.checks.reference_rules import References
from wap_notebook.checks.registry import register_check
from wap_notebook.checks.shape_rules import Expression, Length
from wap_notebook.checks.stat_rules import STATS, ColumnStat, Fresh, OrderedColumnStat, column_stat_check
from wap_notebook.checks.table_rules import (
    CUSTOM_MAX_ROWS,
    FAILING_KEYS_SAMPLE,
    Custom,
    NoDuplicatesWith,
    SchemaCompatible,
    Sql,
)
from wap_notebook.checks.value_rules import AcceptedValues, Between, Matches, NotNull, RowCount, Unique, UniqueKey
from wap_notebook.checks.volume_rules import RowCountVsHistory

__all__ = [
    "CUSTOM_MAX_ROWS", "FAILING_KEYS_SAMPLE", "AcceptedValues", "Between", "Custom", "Matches", "NoDuplicatesWith",
    "NotNull", "RowCount", "SchemaCompatible", "Sql", "Unique", "UniqueKey", "row_count", "not_null", "unique",
    "accepted_values", "between", "matches", "schema_compatible", "no_duplicates_with", "sql", "custom",
    "Length", "Expression", "Fresh", "ColumnStat", "OrderedColumnStat", "References", "Drift", "RowCountVsHistory",
    "STATS", "length", "expression", "fresh", "column_stat", "references", "drift", "row_count_vs_history",
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


@register_check("references")
def references(column: str, table: str, to_column: str | None = None, *, severity: str = "error",
               name: str | None = None, mostly: float | None = None, max_failing: int | str | None = None) -> Check:
    """Non-NULL values of `column` exist in `table`.`to_column` (default: the same name), read on the
    ingestion's branch, so tables imported together are checked together."""
    return References(column, table, to_column, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("fresh")
def fresh(column: str, within: Any = "2d", now: Any = None, *, severity: str = "error",
          name: str | None = None) -> Check:
    """The newest value of a timestamp/date `column` among the new rows is within `within` ('2d', '12h',
    '30min') of `now` (the validation time unless given; naive timestamps are taken as UTC)."""
    return Fresh(column, within, now, severity=severity, name=name)


@register_check("column_stat")
def column_stat(column: str, stat: str, min: Any = None, max: Any = None, *,  # noqa: A002
                severity: str = "error", name: str | None = None) -> Check:
    """A statistic of the new rows' `column` within [min, max]; `stat` in mean, median, stddev, sum, min,
    max, null_fraction, distinct_count."""
    return column_stat_check(column, stat, min, max, severity=severity, name=name)


@register_check("expression")
def expression(name: str, predicate: str, *, severity: str = "error", mostly: float | None = None,
               max_failing: int | str | None = None) -> Check:
    """Rows where the SQL boolean `predicate` over the table's columns is false fail (NULL is not false)."""
    return Expression(name, predicate, severity=severity, mostly=mostly, max_failing=max_failing)


@register_check("length")
def length(column: str, min: int | None = None, max: int | None = None, *,  # noqa: A002
           severity: str = "error", name: str | None = None, mostly: float | None = None,
           max_failing: int | str | None = None) -> Check:
    """Non-NULL strings of `column` have a length (in characters) within [min, max]."""
    return Length(column, min, max, severity=severity, name=name, mostly=mostly, max_failing=max_failing)


@register_check("drift")
def drift(column: str, max_null_rate_change: float = 0.1, max_new_categories: int = 0, max_categories: int = 50,
          max_psi: float | None = None, bins: int | None = None, method: str = "psi", threshold: float | None = None,
          *, severity: str = "error", name: str | None = None) -> Check:
    """The new rows of `column` against from_ref: null rate change (absolute), values never seen there (for
    columns with at most `max_categories` values), and for numbers a distribution shift: the population
    stability index over `bins` quantiles (`method="psi"`, limit `max_psi`, default 0.25) or the
    Kolmogorov-Smirnov distance (`method="ks"`, limit `threshold`, default 0.1)."""
    return Drift(column, max_null_rate_change, max_new_categories, max_categories, max_psi, bins, method, threshold,
                 severity=severity, name=name)


@register_check("row_count_vs_history")
def row_count_vs_history(window: int = 10, tolerance: float = 0.5, min_history: int = 3, *,
                         severity: str = "error", name: str | None = None) -> Check:
    """Rows added against the last `window` merged ingestions of the table: median ± max(tolerance × median,
    3 robust deviations); passes (and says so) until `min_history` merges exist."""
    return RowCountVsHistory(window, tolerance, min_history, severity=severity, name=name)
