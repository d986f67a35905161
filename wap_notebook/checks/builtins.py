"""Data-quality checks for an ingestion, and the planner that runs them in as few scans as possible.

Factories (all take ``severity="error"`` (blocks the merge) or ``"warn"`` (reported only) and an
optional ``name``)::

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
from decimal import Decimal
from typing import Any

import pyarrow as pa

from wap_notebook.checks.model import (
    REPORT_COLUMNS,
    Aggregate,
    AggregateCheck,
    Check,
    CheckResult,
    Outcome,
    QueryCheck,
    TableScope,
    Values,
    as_int,
)
from wap_notebook.checks.new_rows import keys_outside, new_rows_range
from wap_notebook.checks.registry import register_check
from wap_notebook.core.arrow_sql import local_sql, scalar
from wap_notebook.core.partials_contract import Measure, minmax_as_duckdb
from wap_notebook.core.sql import (
    columns_list,
    literal_list,
    quote_ident,
    regex_match,
    sql_literal,
    strip_statement,
    validate_ref,
    validate_regex,
)
from wap_notebook.errors import InvalidSpec

# Bounds on what the engine pulls into Python.
CUSTOM_MAX_ROWS = 100_000
FAILING_KEYS_SAMPLE = 50

__all__ = [
    "Check", "AggregateCheck", "QueryCheck", "CheckResult", "TableScope", "row_count", "not_null", "unique",
    "accepted_values", "between", "matches", "schema_compatible", "no_duplicates_with", "sql", "custom",
    "register_check", "REPORT_COLUMNS", "local_sql",
]


# --------------------------------------------------------------------------------------------------
# Check classes
# --------------------------------------------------------------------------------------------------


class RowCount(AggregateCheck):
    kind = "row_count"
    notes_whole_table_fallback = False  # it reports the row counts themselves

    def __init__(self, min: int = 1, max: int | None = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((), **kw)
        if not isinstance(min, int) or min < 0 or (max is not None and (not isinstance(max, int) or max < min)):
            raise InvalidSpec(f"row_count: need 0 <= min <= max; got min={min!r}, max={max!r}")
        self.min, self.max = min, max

    def expected(self) -> str:
        return f">= {self.min}" if self.max is None else f"between {self.min} and {self.max}"

    def params(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    def aggregates(self) -> list[Aggregate]:
        return []  # the scan's own COUNT(*) answers it

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        return {}  # the partials' own row counts answer it

    def evaluate(self, values: Values) -> Outcome:
        added = values.rows_added
        ok = added >= self.min and (self.max is None or added <= self.max)
        if values.scope.incremental:
            detail = f"{added} rows added ({values.rows_before} before, {values.rows_after} after)"
        else:
            detail = f"{added} rows in the new table"
        if not ok and added == 0:
            detail += ": the import added no rows"
        return Outcome(ok, added, None, detail)


class NotNull(AggregateCheck):
    kind = "not_null"

    def __init__(self, *columns: str, nan_as_null: bool = False, **kw: Any) -> None:
        if not columns:
            raise InvalidSpec("not_null needs at least one column")
        if not isinstance(nan_as_null, bool):
            raise InvalidSpec(f"nan_as_null must be True or False, got {nan_as_null!r}")
        super().__init__(columns, **kw)
        self.nan_as_null = nan_as_null

    def expected(self) -> str:
        return "no nulls or NaN" if self.nan_as_null else "no nulls"

    def _missing(self, column: str) -> str:
        # NaN is a float value, not SQL NULL; counting it as missing is opt-in (numeric columns only).
        col = quote_ident(column)
        return f"({col} IS NULL OR isnan({col}))" if self.nan_as_null else f"{col} IS NULL"

    def predicate(self) -> str:
        return " OR ".join(self._missing(c) for c in self.columns)

    def params(self) -> dict[str, Any]:
        return {"columns": list(self.columns), **({"nan_as_null": True} if self.nan_as_null else {})}

    def aggregates(self) -> list[Aggregate]:
        out = [Aggregate(f"n{i}", "count_if", self._missing(c)) for i, c in enumerate(self.columns)]
        if len(self.columns) > 1:
            out.append(Aggregate("any", "count_if", self.predicate()))
        return out

    def partial_measures(self) -> list[Measure]:
        if self.nan_as_null:  # null counts do not include NaN: left to SQL
            return []
        found = [Measure("nulls", (c,)) for c in self.columns]
        return found + ([Measure("any_null", self.columns)] if len(self.columns) > 1 else [])

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        if None in got:
            return None
        out = {f"n{i}": got[i] for i in range(len(self.columns))}
        if len(self.columns) > 1:
            out["any"] = got[-1]
        return out

    def cell_predicate(self, column: str) -> str | None:
        return self._missing(column) if column in self.columns else None

    def evaluate(self, values: Values) -> Outcome:
        per_column = {c: values.new(f"n{i}") for i, c in enumerate(self.columns)}
        failing = values.new("any") if len(self.columns) > 1 else per_column[self.columns[0]]
        parts = ", ".join(f"{c}: {n} null{'s' if n != 1 else ''}" for c, n in per_column.items())
        return Outcome(failing == 0, failing, failing, f"{failing} rows with nulls ({parts})", self.predicate())


class _UniqueRule(Check):
    """Unique combined key among the table's rows. In append mode the reported number is the duplicate
    rows the new batch introduced (duplicates inside the batch or with rows already in the table)."""

    kind = "unique"

    def __init__(self, *columns: str, **kw: Any) -> None:
        if not columns:
            raise InvalidSpec("unique needs at least one column")
        super().__init__(columns, **kw)

    def expected(self) -> str:
        return "0 duplicate keys"

    def params(self) -> dict[str, Any]:
        return {"columns": list(self.columns)}

    def _not_null(self) -> str:
        return " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.columns)

    def failing_predicate(self, fqn: str) -> str:
        cols = columns_list(self.columns)
        key = cols if len(self.columns) == 1 else f"({cols})"
        return f"{key} IN (SELECT {cols} FROM {fqn} WHERE {self._not_null()} GROUP BY {cols} HAVING COUNT(*) > 1)"

    def _outcome(self, dups: int, fqn: str) -> Outcome:
        return Outcome(dups == 0, dups, dups, f"{dups} duplicate rows on key ({', '.join(self.columns)})",
                       self.failing_predicate(fqn))


class Unique(_UniqueRule, AggregateCheck):
    """`unique` on one column: non-null count minus distinct count, within the shared scan."""

    def __init__(self, column: str, **kw: Any) -> None:
        super().__init__(column, **kw)

    def aggregates(self) -> list[Aggregate]:
        col = quote_ident(self.columns[0])
        return [Aggregate("nonnull", "count", col), Aggregate("distinct", "count_distinct", col)]

    def partial_measures(self) -> list[Measure]:
        # min/max of the new keys: when appending, keys outside the existing rows' bounds cannot collide.
        return [Measure("distinct", self.columns), Measure("minmax", self.columns)]

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        # Appending: new keys may equal existing ones, which only SQL over both counts, unless the new keys
        # lie outside the existing ones' bounds (min/max is computed for numeric and text keys only).
        if got[0] is None or incremental and not keys_outside(base_bounds, self.columns[0], got[1]):
            return None
        nonnull, distinct = got[0]
        return {"nonnull": nonnull, "distinct": distinct}

    def evaluate(self, values: Values) -> Outcome:
        return self._outcome(values.new("nonnull") - values.new("distinct"), values.scope.fqn)


class UniqueKey(_UniqueRule, QueryCheck):
    """`unique` on several columns: a GROUP BY of its own (a composite COUNT DISTINCT is not portable)."""

    def run(self, scope: TableScope) -> Outcome:
        cols = columns_list(self.columns)
        query = (f"SELECT COALESCE(SUM(n), 0) - COUNT(*) AS dups FROM "
                 f"(SELECT COUNT(*) AS n FROM {scope.fqn} WHERE {self._not_null()} GROUP BY {cols}) AS g")
        dups = as_int(scalar(scope.query(query, scope.branch)))
        if scope.incremental and scope.base_ref:
            dups -= as_int(scalar(scope.query(query, scope.base_ref)))
        return self._outcome(dups, scope.fqn)


class AcceptedValues(AggregateCheck):
    kind = "accepted_values"

    def __init__(self, column: str, values: Sequence[Any], **kw: Any) -> None:
        super().__init__((column,), **kw)
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, set, frozenset)):
            raise InvalidSpec(f"accepted_values: values must be a list; got {values!r}")
        self.values = list(values)
        self._in_list = literal_list(self.values)  # validates the values now

    def expected(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:10]) + (", ..." if len(self.values) > 10 else "")
        return f"in [{shown}]"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "values": list(self.values)}

    def predicate(self) -> str:
        col = quote_ident(self.columns[0])
        return f"{col} IS NOT NULL AND {col} NOT IN {self._in_list}"

    def aggregates(self) -> list[Aggregate]:
        return [Aggregate("bad", "count_if", self.predicate())]

    def partial_measures(self) -> list[Measure]:
        return [Measure("not_in", self.columns, list(self.values))]

    def cell_predicate(self, column: str) -> str | None:
        return self.predicate() if column == self.columns[0] else None

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        message = f"{bad} rows with values outside the accepted list"
        if bad:
            try:
                rows, _ = values.scope.new_rows(self.predicate(), 200)
                seen = sorted({repr(v) for v in rows.column(self.columns[0]).to_pylist()})
                message += "; unexpected values: " + ", ".join(seen[:5]) + (", ..." if len(seen) > 5 else "")
            except Exception:  # noqa: BLE001 - the message is a nicety
                pass
        return Outcome(bad == 0, bad, bad, message, self.predicate())


class Between(AggregateCheck):
    kind = "between"

    def __init__(self, column: str, min: Any = None, max: Any = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((column,), **kw)
        if min is None and max is None:
            raise InvalidSpec("between needs min, max or both")
        self.min, self.max = min, max
        self._conds = []
        col = quote_ident(column)
        if min is not None:
            self._conds.append(f"{col} < {sql_literal(min)}")
        if max is not None:
            self._conds.append(f"{col} > {sql_literal(max)}")
        if any(isinstance(b, (int, float, Decimal)) and not isinstance(b, bool) for b in (min, max)):
            # NaN is in no range, but comparisons with it are false (or engine-specific): fail it explicitly.
            self._conds.append(f"isnan({col})")

    def expected(self) -> str:
        if self.min is None:
            return f"<= {self.max!r}"
        if self.max is None:
            return f">= {self.min!r}"
        return f"between {self.min!r} and {self.max!r}"

    def predicate(self) -> str:
        return " OR ".join(self._conds)

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "min": self.min, "max": self.max}

    def aggregates(self) -> list[Aggregate]:
        col = quote_ident(self.columns[0])
        return [Aggregate("bad", "count_if", self.predicate()), Aggregate("lo", "min", col),
                Aggregate("hi", "max", col)]

    def partial_measures(self) -> list[Measure]:
        return [Measure("out_of_range", self.columns, [self.min, self.max]), Measure("minmax", self.columns)]

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        if None in got:
            return None
        lo, hi = minmax_as_duckdb(got[1])
        return {"bad": got[0], "lo": lo, "hi": hi}

    def cell_predicate(self, column: str) -> str | None:
        return self.predicate() if column == self.columns[0] else None

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        lo, hi = values.after.get("lo"), values.after.get("hi")
        note = values.whole_table_note
        added_range = new_rows_range(values, self.columns[0])  # append: the batch's range, not the table's
        if added_range is not None:
            (lo, hi), note = added_range, " (over the new rows)"
        message = f"{bad} rows out of range; observed range [{lo}, {hi}]{note}"
        return Outcome(bad == 0, bad, bad, message, self.predicate())


class Matches(AggregateCheck):
    kind = "matches"

    def __init__(self, column: str, regex: str, **kw: Any) -> None:
        super().__init__((column,), **kw)
        self.regex = validate_regex(regex)

    def expected(self) -> str:
        return f"matches {self.regex!r}"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "regex": self.regex}

    def predicate(self) -> str:
        col = quote_ident(self.columns[0])
        return f"{col} IS NOT NULL AND NOT {regex_match(col, self.regex)}"

    def aggregates(self) -> list[Aggregate]:
        return [Aggregate("bad", "count_if", self.predicate())]

    def partial_measures(self) -> list[Measure]:
        return [Measure("not_matching", self.columns, self.regex)]

    def cell_predicate(self, column: str) -> str | None:
        return self.predicate() if column == self.columns[0] else None

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        return Outcome(bad == 0, bad, bad, f"{bad} rows not matching {self.regex!r}", self.predicate())


class SchemaCompatible(QueryCheck):
    kind = "schema_compatible"

    def __init__(self, **kw: Any) -> None:
        super().__init__((), **kw)

    def expected(self) -> str:
        return "no dropped or retyped columns"

    def params(self) -> dict[str, Any]:
        return {}

    def run(self, scope: TableScope) -> Outcome:
        if not scope.base_exists or scope.base_ref is None:
            return Outcome(True, "new table", None, "The table is new: nothing to be compatible with")
        before = scope.fields(scope.base_ref) or []
        after = {name: typ for name, typ, _ in (scope.fields(scope.branch) or [])}
        dropped = [name for name, _, _ in before if name not in after]
        retyped = [f"{name} ({typ} -> {after[name]})" for name, typ, _ in before
                   if name in after and str(after[name]) != str(typ)]
        before_names = {name for name, _, _ in before}
        added = [name for name in after if name not in before_names]
        problems = []
        if dropped:
            problems.append("dropped: " + ", ".join(dropped))
        if retyped:
            problems.append("retyped: " + ", ".join(retyped))
        missing = self._missing_in_new_rows(scope, [n for n, _, _ in before if n in after])
        if missing:
            problems.append("missing from the new data: " + ", ".join(missing))
        note = ("; added: " + ", ".join(added)) if added else ""
        if problems:
            return Outcome(False, "; ".join(problems), len(dropped) + len(retyped) + len(missing),
                           "Schema changed vs the base: " + "; ".join(problems) + note)
        return Outcome(True, "compatible", 0, "Schema compatible with the base" + note)


    @staticmethod
    def _missing_in_new_rows(scope: TableScope, columns: list[str]) -> list[str]:
        """Append mode: an import fills columns its files lack with NULL, so the table schema cannot show
        the drift. A column that has values on the base but none in the new rows was dropped upstream."""
        if not scope.incremental or not columns or scope.base_ref is None:
            return []
        exprs = ", ".join(f"COUNT({quote_ident(c)}) AS {quote_ident(f'v{i}')}" for i, c in enumerate(columns))
        query = f'SELECT COUNT(*) AS "__rows", {exprs} FROM {scope.fqn}'
        after = scope.query(query, scope.branch).to_pylist()[0]
        before = scope.query(query, scope.base_ref).to_pylist()[0]
        if as_int(after["__rows"]) - as_int(before["__rows"]) <= 0:
            return []
        return [c for i, c in enumerate(columns)
                if as_int(before[f"v{i}"]) > 0 and as_int(after[f"v{i}"]) - as_int(before[f"v{i}"]) == 0]


class NoDuplicatesWith(QueryCheck):
    """New rows whose key already exists on `ref`.

    Runs as GROUP BY queries whose key lists are compared in-process (DuckDB): key counts on the branch,
    minus key counts on the base snapshot in append mode (= keys of the new rows), joined with the
    distinct keys on `ref`. This downloads keys (not rows); fine up to a few million keys.
    """

    kind = "no_duplicates_with"

    def __init__(self, ref: str = "main", key: Sequence[str] = (), **kw: Any) -> None:
        if isinstance(key, str):
            key = [key]
        if not key:
            raise InvalidSpec("no_duplicates_with needs key=[column, ...]")
        super().__init__(tuple(key), **kw)
        self.ref = validate_ref(ref, "ref")

    @property
    def name(self) -> str:
        return self._name or f"no_duplicates_with({self.ref}: {', '.join(self.columns)})"

    def expected(self) -> str:
        return f"no key already on {self.ref}"

    def params(self) -> dict[str, Any]:
        return {"ref": self.ref, "key": list(self.columns)}

    def run(self, scope: TableScope) -> Outcome:
        cols = columns_list(self.columns)
        not_null = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.columns)
        counts = f"SELECT {cols}, COUNT(*) AS __n FROM {scope.fqn} WHERE {not_null} GROUP BY {cols}"
        after = scope.query(counts, scope.branch)
        before = scope.query(counts, scope.base_ref) if scope.incremental and scope.base_ref else None
        if scope.fields(self.ref) is None:
            return Outcome(True, 0, 0, f"Table does not exist on {self.ref}: no existing keys")
        existing = scope.query(f"SELECT DISTINCT {cols} FROM {scope.fqn} WHERE {not_null}", self.ref)
        registered = {"a_keys": after, "e_keys": existing}
        if before is not None:
            registered["b_keys"] = before
            new_keys = (f"SELECT {cols}, a.__n - COALESCE(b.__n, 0) AS __n FROM a_keys a "
                        f"LEFT JOIN b_keys b USING ({cols}) WHERE a.__n - COALESCE(b.__n, 0) > 0")
        else:
            new_keys = "SELECT * FROM a_keys"
        joined = f"SELECT {cols}, k.__n FROM ({new_keys}) k SEMI JOIN e_keys USING ({cols})"
        total = local_sql(registered, f"SELECT COALESCE(SUM(__n), 0) FROM ({joined}) j").column(0)[0].as_py()
        sample = local_sql(registered, f"SELECT {cols} FROM ({joined}) j LIMIT {FAILING_KEYS_SAMPLE}")
        total = int(total)
        predicate = None
        if sample.num_rows:
            ors = []
            for row in sample.to_pylist():
                ors.append("(" + " AND ".join(f"{quote_ident(c)} = {sql_literal(row[c])}" for c in self.columns) + ")")
            predicate = " OR ".join(ors)
        return Outcome(total == 0, total, total,
                       f"{total} new rows have a key already on {self.ref}", predicate)


class Sql(QueryCheck):
    """Rows returned by the user's query are failures. It runs over the branch (whole table)."""

    kind = "sql"

    def __init__(self, name: str, query: str, **kw: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidSpec("sql check needs a name")
        super().__init__((), name=name, **kw)
        self.query = strip_statement(query)

    def expected(self) -> str:
        return "0 rows"

    def params(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query}

    def render(self, scope: TableScope) -> str:
        return self.query.replace("{table}", scope.fqn)

    def run(self, scope: TableScope) -> Outcome:
        inner = self.render(scope)
        count = as_int(scalar(scope.query(f"SELECT COUNT(*) AS n FROM ({inner}) AS q", scope.branch)))
        return Outcome(count == 0, count, count, f"query returned {count} rows (on the whole branch table)")


class Custom(QueryCheck):
    kind = "custom"

    def __init__(self, name: str, fn: Callable[[pa.Table], Any], **kw: Any) -> None:
        if not callable(fn):
            raise InvalidSpec("custom check needs a callable fn(pyarrow.Table) -> bool | (bool, observed)")
        if not isinstance(name, str) or not name.strip():
            raise InvalidSpec("custom check needs a name")
        super().__init__((), name=name, **kw)
        self.fn = fn

    def expected(self) -> str:
        return "fn returns True"

    def params(self) -> dict[str, Any]:
        """`fn` by name: a persisted spec or a YAML cell resolves it in the notebook's namespace."""
        return {"name": self.name, "fn": getattr(self.fn, "__name__", repr(self.fn))}

    def run(self, scope: TableScope) -> Outcome:
        rows, exact = scope.new_rows(None, CUSTOM_MAX_ROWS)
        result = self.fn(rows)
        observed: Any = None
        if isinstance(result, tuple):
            if len(result) != 2:
                raise ValueError(f"custom check {self.name!r} must return bool or (bool, observed)")
            result, observed = result
        ok = bool(result)
        failing_table = None
        failing = None
        if observed is not None and hasattr(observed, "num_rows"):
            failing_table, failing = observed, observed.num_rows
            observed = f"{failing} rows"
        elif observed is not None and hasattr(observed, "to_records") and hasattr(observed, "columns"):
            failing_table = pa.Table.from_pandas(observed, preserve_index=False)
            failing = failing_table.num_rows
            observed = f"{failing} rows"
        note = "" if exact else " (sample of the branch table: new rows could not be isolated)"
        return Outcome(ok, observed, failing, f"fn ran on {rows.num_rows} rows{note}",
                       failing_table=failing_table)


# --------------------------------------------------------------------------------------------------
# Factories (the public vocabulary)
# --------------------------------------------------------------------------------------------------


@register_check("row_count")
def row_count(min: int = 1, max: int | None = None, *, severity: str = "error",  # noqa: A002
              name: str | None = None) -> Check:
    """Rows this ingestion added are within [min, max]."""
    return RowCount(min, max, severity=severity, name=name)


@register_check("not_null")
def not_null(*columns: str, nan_as_null: bool = False, severity: str = "error", name: str | None = None) -> Check:
    """No NULL in any of `columns`. NaN is a float value, not NULL, so it passes unless `nan_as_null=True`
    (then NaN counts as missing too; the columns must be numeric)."""
    return NotNull(*columns, nan_as_null=nan_as_null, severity=severity, name=name)


@register_check("unique")
def unique(*columns: str, severity: str = "error", name: str | None = None) -> Check:
    if len(columns) == 1:
        return Unique(columns[0], severity=severity, name=name)
    return UniqueKey(*columns, severity=severity, name=name)


@register_check("accepted_values")
def accepted_values(column: str, values: Sequence[Any], *, severity: str = "error",
                    name: str | None = None) -> Check:
    return AcceptedValues(column, values, severity=severity, name=name)


@register_check("between")
def between(column: str, min: Any = None, max: Any = None, *, severity: str = "error",  # noqa: A002
            name: str | None = None) -> Check:
    """Non-NULL values of `column` within [min, max] (either bound may be omitted). With numeric bounds a NaN
    value fails: it is in no range (the observed range and the failing rows show it)."""
    return Between(column, min, max, severity=severity, name=name)


@register_check("matches")
def matches(column: str, regex: str, *, severity: str = "error", name: str | None = None) -> Check:
    return Matches(column, regex, severity=severity, name=name)


@register_check("schema_compatible")
def schema_compatible(*, severity: str = "error", name: str | None = None) -> Check:
    return SchemaCompatible(severity=severity, name=name)


@register_check("no_duplicates_with")
def no_duplicates_with(ref: str = "main", key: Sequence[str] = (), *, severity: str = "error",
                       name: str | None = None) -> Check:
    return NoDuplicatesWith(ref, key, severity=severity, name=name)


@register_check("sql")
def sql(name: str, query: str, *, severity: str = "error") -> Check:
    return Sql(name, query, severity=severity)


@register_check("custom")
def custom(name: str, fn: Callable[[pa.Table], Any], *, severity: str = "error") -> Check:
    return Custom(name, fn, severity=severity)
