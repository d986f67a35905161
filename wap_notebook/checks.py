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

How they run (`run_table_checks`): every check that is an aggregate over rows (row_count, not_null,
single-column unique, accepted_values, between, matches) contributes one or more expressions to a
single ``SELECT COUNT(*), SUM(CASE ...), COUNT(DISTINCT ...), MIN/MAX ... FROM "ns"."table"`` query:
**one scan of the table for all aggregate checks of that table**. The checks that need a GROUP BY
(multi-column `unique`, `no_duplicates_with`) or a user's query (`sql`) run one query each;
`schema_compatible` reads the catalog only; `custom` receives the new rows (bounded) in Python.

"New rows" in append mode: see `wap_notebook.ingestion` for the full rationale. In short, every
aggregate a check uses is a *count of failing rows* (additive) or a count from which the number of
failing rows is derived, so the engine runs the same one-scan query on the branch and on the fixed
snapshot the branch was made from (``from_ref@<hash>``) and reports the difference: exactly the
failures the new rows bring, without copying data or cross-ref joins. Informational extremes (MIN /
MAX) are not additive and are reported over the whole branch table, which the message says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import pyarrow as pa

from wap_notebook.sql import (
    columns_list,
    literal_list,
    quote_ident,
    regex_match,
    sql_literal,
    strip_statement,
    validate_ref,
    validate_regex,
)

SEVERITIES = ("error", "warn")
STATUSES = ("passed", "failed", "warned", "error")
REPORT_COLUMNS = ["table", "check", "columns", "severity", "status", "observed", "expected", "failing_rows",
                  "message"]

# Bounds on what the engine pulls into Python.
CUSTOM_MAX_ROWS = 100_000
FAILING_KEYS_SAMPLE = 50

__all__ = [
    "Check", "CheckResult", "TableScope", "row_count", "not_null", "unique", "accepted_values", "between",
    "matches", "schema_compatible", "no_duplicates_with", "sql", "custom", "run_table_checks",
    "plan_aggregate_query", "REPORT_COLUMNS",
]


# --------------------------------------------------------------------------------------------------
# Scope: what the engine tells the checks about one table of one ingestion
# --------------------------------------------------------------------------------------------------


@dataclass
class TableScope:
    """Everything a check may use about one table. Built by the ingestion engine.

    `query(sql, ref)` runs SQL on the lakehouse; `new_rows(where, limit)` returns up to `limit` rows this
    ingestion added that satisfy the SQL predicate `where` (None = all), plus whether the result is
    exactly restricted to new rows; `fields(ref)` returns ``[(name, type, required), ...]`` or None when
    the table does not exist on that ref.
    """

    table: str
    namespace: str
    fqn: str  # quoted "ns"."table"
    mode: str  # "create" | "append" | "replace"
    branch: str
    base_ref: str | None  # from_ref@hash the branch was made from
    base_exists: bool
    query: Callable[[str, str], pa.Table]
    new_rows: Callable[[str | None, int], tuple[pa.Table, bool]]
    fields: Callable[[str], list[tuple[str, str, bool]] | None]

    @property
    def incremental(self) -> bool:
        """True when new rows are the branch table minus the base table (append to an existing table)."""
        return self.mode == "append" and self.base_exists and self.base_ref is not None


@dataclass
class Values:
    """Aggregate values of one check after (branch) and before (base snapshot, append only)."""

    after: dict[str, Any]
    before: dict[str, Any] | None
    scope: TableScope
    rows_before: int
    rows_after: int

    def new(self, key: str) -> int:
        """Count attributable to the new rows: after - before in append mode, after otherwise."""
        after = _int(self.after.get(key))
        if self.before is None:
            return after
        return after - _int(self.before.get(key))

    @property
    def rows_added(self) -> int:
        return self.rows_after - self.rows_before if self.scope.incremental else self.rows_after

    @property
    def whole_table_note(self) -> str:
        return " (over the whole branch table)" if self.scope.incremental else ""


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


@dataclass
class Outcome:
    ok: bool
    observed: Any
    failing_rows: int | None
    message: str
    predicate: str | None = None  # SQL predicate selecting failing rows, for failures()
    failing_table: pa.Table | None = None  # precomputed failing rows (custom checks)


@dataclass
class CheckResult:
    """One row of the report, plus what `Ingestion.failures()` needs to fetch the failing rows."""

    table: str
    check: str
    columns: str
    severity: str
    status: str
    observed: Any
    expected: str
    failing_rows: int | None
    message: str
    check_obj: Check | None = field(default=None, repr=False, compare=False)
    predicate: str | None = field(default=None, repr=False, compare=False)
    failing_table: pa.Table | None = field(default=None, repr=False, compare=False)

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in REPORT_COLUMNS}


# --------------------------------------------------------------------------------------------------
# Check classes
# --------------------------------------------------------------------------------------------------


class Check:
    """Base class. `kind` names the check type; `scope_kind` says how the planner runs it."""

    kind: ClassVar[str] = "check"
    scope_kind: ClassVar[str] = "aggregate"  # aggregate | query | schema | python

    def __init__(self, columns: Sequence[str] = (), *, name: str | None = None, severity: str = "error") -> None:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")
        for column in columns:
            if not isinstance(column, str) or not column:
                raise ValueError(f"{self.kind}: column names must be non-empty strings; got {column!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"{self.kind}: name must be a non-empty string; got {name!r}")
        self.columns: tuple[str, ...] = tuple(columns)
        self.severity = severity
        self._name = name

    @property
    def name(self) -> str:
        if self._name:
            return self._name
        return f"{self.kind}({', '.join(self.columns)})" if self.columns else self.kind

    def expected(self) -> str:
        return ""

    # aggregate checks
    def aggregates(self) -> list[tuple[str, str]]:
        """(key, SQL aggregate expression) pairs added to the table's single scan."""
        return []

    def evaluate(self, values: Values) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    # other checks
    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<check {self.name} severity={self.severity}>"


class RowCount(Check):
    kind = "row_count"

    def __init__(self, min: int = 1, max: int | None = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((), **kw)
        if not isinstance(min, int) or min < 0 or (max is not None and (not isinstance(max, int) or max < min)):
            raise ValueError(f"row_count: need 0 <= min <= max; got min={min!r}, max={max!r}")
        self.min, self.max = min, max

    def expected(self) -> str:
        return f">= {self.min}" if self.max is None else f"between {self.min} and {self.max}"

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


class NotNull(Check):
    kind = "not_null"

    def __init__(self, *columns: str, nan_as_null: bool = False, **kw: Any) -> None:
        if not columns:
            raise ValueError("not_null needs at least one column")
        if not isinstance(nan_as_null, bool):
            raise ValueError(f"nan_as_null must be True or False, got {nan_as_null!r}")
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

    def aggregates(self) -> list[tuple[str, str]]:
        out = [(f"n{i}", f"SUM(CASE WHEN {self._missing(c)} THEN 1 ELSE 0 END)")
               for i, c in enumerate(self.columns)]
        if len(self.columns) > 1:
            out.append(("any", f"SUM(CASE WHEN {self.predicate()} THEN 1 ELSE 0 END)"))
        return out

    def evaluate(self, values: Values) -> Outcome:
        per_column = {c: values.new(f"n{i}") for i, c in enumerate(self.columns)}
        failing = values.new("any") if len(self.columns) > 1 else per_column[self.columns[0]]
        parts = ", ".join(f"{c}: {n} null{'s' if n != 1 else ''}" for c, n in per_column.items())
        return Outcome(failing == 0, failing, failing, f"{failing} rows with nulls ({parts})", self.predicate())


class Unique(Check):
    """Unique combined key among the table's rows. In append mode the reported number is the duplicate
    rows the new batch introduced (duplicates inside the batch or with rows already in the table)."""

    kind = "unique"

    def __init__(self, *columns: str, **kw: Any) -> None:
        if not columns:
            raise ValueError("unique needs at least one column")
        super().__init__(columns, **kw)
        if len(columns) > 1:
            self.scope_kind = "query"  # a GROUP BY per check: cannot share the aggregate scan portably

    def expected(self) -> str:
        return "0 duplicate keys"

    def _not_null(self) -> str:
        return " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.columns)

    def failing_predicate(self, fqn: str) -> str:
        cols = columns_list(self.columns)
        key = cols if len(self.columns) == 1 else f"({cols})"
        return f"{key} IN (SELECT {cols} FROM {fqn} WHERE {self._not_null()} GROUP BY {cols} HAVING COUNT(*) > 1)"

    def aggregates(self) -> list[tuple[str, str]]:
        col = quote_ident(self.columns[0])
        return [("nonnull", f"COUNT({col})"), ("distinct", f"COUNT(DISTINCT {col})")]

    def _outcome(self, dups: int, fqn: str) -> Outcome:
        return Outcome(dups == 0, dups, dups, f"{dups} duplicate rows on key ({', '.join(self.columns)})",
                       self.failing_predicate(fqn))

    def evaluate(self, values: Values) -> Outcome:
        dups = (values.new("nonnull") - values.new("distinct"))
        return self._outcome(dups, values.scope.fqn)

    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:
        cols = columns_list(self.columns)
        query = (f"SELECT COALESCE(SUM(n), 0) - COUNT(*) AS dups FROM "
                 f"(SELECT COUNT(*) AS n FROM {scope.fqn} WHERE {self._not_null()} GROUP BY {cols}) AS g")
        dups = _int(_scalar(scope.query(query, scope.branch)))
        if scope.incremental:
            dups -= _int(_scalar(scope.query(query, scope.base_ref))) if scope.base_ref else 0
        return self._outcome(dups, scope.fqn)


class AcceptedValues(Check):
    kind = "accepted_values"

    def __init__(self, column: str, values: Sequence[Any], **kw: Any) -> None:
        super().__init__((column,), **kw)
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, set, frozenset)):
            raise ValueError(f"accepted_values: values must be a list; got {values!r}")
        self.values = list(values)
        self._in_list = literal_list(self.values)  # validates the values now

    def expected(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:10]) + (", ..." if len(self.values) > 10 else "")
        return f"in [{shown}]"

    def predicate(self) -> str:
        col = quote_ident(self.columns[0])
        return f"{col} IS NOT NULL AND {col} NOT IN {self._in_list}"

    def aggregates(self) -> list[tuple[str, str]]:
        return [("bad", f"SUM(CASE WHEN {self.predicate()} THEN 1 ELSE 0 END)")]

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


class Between(Check):
    kind = "between"

    def __init__(self, column: str, min: Any = None, max: Any = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((column,), **kw)
        if min is None and max is None:
            raise ValueError("between needs min, max or both")
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

    def aggregates(self) -> list[tuple[str, str]]:
        col = quote_ident(self.columns[0])
        return [("bad", f"SUM(CASE WHEN {self.predicate()} THEN 1 ELSE 0 END)"),
                ("lo", f"MIN({col})"), ("hi", f"MAX({col})")]

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        lo, hi = values.after.get("lo"), values.after.get("hi")
        message = f"{bad} rows out of range; observed range [{lo}, {hi}]{values.whole_table_note}"
        return Outcome(bad == 0, bad, bad, message, self.predicate())


class Matches(Check):
    kind = "matches"

    def __init__(self, column: str, regex: str, **kw: Any) -> None:
        super().__init__((column,), **kw)
        self.regex = validate_regex(regex)

    def expected(self) -> str:
        return f"matches {self.regex!r}"

    def predicate(self) -> str:
        col = quote_ident(self.columns[0])
        return f"{col} IS NOT NULL AND NOT {regex_match(col, self.regex)}"

    def aggregates(self) -> list[tuple[str, str]]:
        return [("bad", f"SUM(CASE WHEN {self.predicate()} THEN 1 ELSE 0 END)")]

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        return Outcome(bad == 0, bad, bad, f"{bad} rows not matching {self.regex!r}", self.predicate())


class SchemaCompatible(Check):
    kind = "schema_compatible"
    scope_kind = "schema"

    def __init__(self, **kw: Any) -> None:
        super().__init__((), **kw)

    def expected(self) -> str:
        return "no dropped or retyped columns"

    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:
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
        if _int(after["__rows"]) - _int(before["__rows"]) <= 0:
            return []
        return [c for i, c in enumerate(columns)
                if _int(before[f"v{i}"]) > 0 and _int(after[f"v{i}"]) - _int(before[f"v{i}"]) == 0]


class NoDuplicatesWith(Check):
    """New rows whose key already exists on `ref`.

    Runs as GROUP BY queries whose key lists are compared in-process (DuckDB): key counts on the branch,
    minus key counts on the base snapshot in append mode (= keys of the new rows), joined with the
    distinct keys on `ref`. This downloads keys (not rows); fine up to a few million keys.
    """

    kind = "no_duplicates_with"
    scope_kind = "query"

    def __init__(self, ref: str = "main", key: Sequence[str] = (), **kw: Any) -> None:
        if isinstance(key, str):
            key = [key]
        if not key:
            raise ValueError("no_duplicates_with needs key=[column, ...]")
        super().__init__(tuple(key), **kw)
        self.ref = validate_ref(ref, "ref")

    @property
    def name(self) -> str:
        return self._name or f"no_duplicates_with({self.ref}: {', '.join(self.columns)})"

    def expected(self) -> str:
        return f"no key already on {self.ref}"

    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:
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


class Sql(Check):
    """Rows returned by the user's query are failures. It runs over the branch (whole table)."""

    kind = "sql"
    scope_kind = "query"

    def __init__(self, name: str, query: str, **kw: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError("sql check needs a name")
        super().__init__((), name=name, **kw)
        self.query = strip_statement(query)

    def expected(self) -> str:
        return "0 rows"

    def render(self, scope: TableScope) -> str:
        return self.query.replace("{table}", scope.fqn)

    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:
        inner = self.render(scope)
        count = _int(_scalar(scope.query(f"SELECT COUNT(*) AS n FROM ({inner}) AS q", scope.branch)))
        return Outcome(count == 0, count, count, f"query returned {count} rows (on the whole branch table)")


class Custom(Check):
    kind = "custom"
    scope_kind = "python"

    def __init__(self, name: str, fn: Callable[[pa.Table], Any], **kw: Any) -> None:
        if not callable(fn):
            raise ValueError("custom check needs a callable fn(pyarrow.Table) -> bool | (bool, observed)")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("custom check needs a name")
        super().__init__((), name=name, **kw)
        self.fn = fn

    def expected(self) -> str:
        return "fn returns True"

    def run(self, scope: TableScope, rows_before: int, rows_after: int) -> Outcome:
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


def row_count(min: int = 1, max: int | None = None, *, severity: str = "error",  # noqa: A002
              name: str | None = None) -> Check:
    """Rows this ingestion added are within [min, max]."""
    return RowCount(min, max, severity=severity, name=name)


def not_null(*columns: str, nan_as_null: bool = False, severity: str = "error", name: str | None = None) -> Check:
    """No NULL in any of `columns`. NaN is a float value, not NULL, so it passes unless `nan_as_null=True`
    (then NaN counts as missing too; the columns must be numeric)."""
    return NotNull(*columns, nan_as_null=nan_as_null, severity=severity, name=name)


def unique(*columns: str, severity: str = "error", name: str | None = None) -> Check:
    return Unique(*columns, severity=severity, name=name)


def accepted_values(column: str, values: Sequence[Any], *, severity: str = "error",
                    name: str | None = None) -> Check:
    return AcceptedValues(column, values, severity=severity, name=name)


def between(column: str, min: Any = None, max: Any = None, *, severity: str = "error",  # noqa: A002
            name: str | None = None) -> Check:
    """Non-NULL values of `column` within [min, max] (either bound may be omitted). With numeric bounds a NaN
    value fails: it is in no range (the observed range and the failing rows show it)."""
    return Between(column, min, max, severity=severity, name=name)


def matches(column: str, regex: str, *, severity: str = "error", name: str | None = None) -> Check:
    return Matches(column, regex, severity=severity, name=name)


def schema_compatible(*, severity: str = "error", name: str | None = None) -> Check:
    return SchemaCompatible(severity=severity, name=name)


def no_duplicates_with(ref: str = "main", key: Sequence[str] = (), *, severity: str = "error",
                       name: str | None = None) -> Check:
    return NoDuplicatesWith(ref, key, severity=severity, name=name)


def sql(name: str, query: str, *, severity: str = "error") -> Check:
    return Sql(name, query, severity=severity)


def custom(name: str, fn: Callable[[pa.Table], Any], *, severity: str = "error") -> Check:
    return Custom(name, fn, severity=severity)


# --------------------------------------------------------------------------------------------------
# Planner / executor
# --------------------------------------------------------------------------------------------------


def local_sql(tables: Mapping[str, pa.Table], query: str) -> pa.Table:
    """Run `query` in an in-process DuckDB over arrow tables registered under the given names."""
    import duckdb

    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        relation = con.sql(query)
        to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        return to_table()
    finally:
        con.close()


def _scalar(table: pa.Table) -> Any:
    if table.num_rows == 0 or table.num_columns == 0:
        return None
    return table.column(0)[0].as_py()


def plan_aggregate_query(fqn: str, checks: Sequence[Check]) -> tuple[str, dict[int, dict[str, str]]]:
    """One ``SELECT COUNT(*) AS "__rows", <every aggregate of every check> FROM fqn`` query.

    Returns the SQL and, per check index, the map from the check's own keys to the result aliases.
    """
    exprs = ['COUNT(*) AS "__rows"']
    aliases: dict[int, dict[str, str]] = {}
    for index, check in enumerate(checks):
        mapping = {}
        for key, expr in check.aggregates():
            alias = f"c{index}_{key}"
            mapping[key] = alias
            exprs.append(f"{expr} AS {quote_ident(alias)}")
        aliases[index] = mapping
    return f"SELECT {', '.join(exprs)} FROM {fqn}", aliases


def _is_aggregate(check: Check) -> bool:
    return check.scope_kind == "aggregate"


def _result(scope: TableScope, check: Check, status: str, outcome: Outcome | None, message: str = "") -> CheckResult:
    return CheckResult(
        table=scope.table,
        check=check.name,
        columns=", ".join(check.columns),
        severity=check.severity,
        status=status,
        observed=None if outcome is None else _jsonable(outcome.observed),
        expected=check.expected(),
        failing_rows=None if outcome is None else outcome.failing_rows,
        message=message or ("" if outcome is None else outcome.message),
        check_obj=check,
        predicate=None if outcome is None else outcome.predicate,
        failing_table=None if outcome is None else outcome.failing_table,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _status(check: Check, ok: bool) -> str:
    if ok:
        return "passed"
    return "failed" if check.severity == "error" else "warned"


@dataclass
class TableStats:
    rows_before: int
    rows_after: int
    rows_added: int
    incremental_exact: bool  # append-mode differences could be computed


def run_table_checks(scope: TableScope, checks: Sequence[Check]) -> tuple[list[CheckResult], TableStats]:
    """Run every check of one table: one aggregate scan (two in append mode: branch and base), then the
    non-aggregate checks. A check that cannot run (missing column, query error) gets status "error"."""
    fields_after = scope.fields(scope.branch) or []
    names = {name for name, _, _ in fields_after}
    results: dict[int, CheckResult] = {}

    runnable: list[tuple[int, Check]] = []
    for index, check in enumerate(checks):
        missing = [c for c in check.columns if c not in names]
        if missing:
            results[index] = _result(scope, check, "error", None,
                                     f"column(s) not in table {scope.table}: {', '.join(missing)}")
        else:
            runnable.append((index, check))

    aggregate = [(i, c) for i, c in runnable if _is_aggregate(c)]
    query, aliases = plan_aggregate_query(scope.fqn, [c for _, c in aggregate])
    try:
        after_row = scope.query(query, scope.branch).to_pylist()[0]
    except Exception:  # noqa: BLE001 - isolate the faulty check(s) below
        # One faulty check (say a bound that cannot be compared with its column) must not hide the others'
        # results: find it with one query per check, report it as "error", and rescan with the healthy ones.
        healthy = []
        for index, check in aggregate:
            try:
                scope.query(plan_aggregate_query(scope.fqn, [check])[0], scope.branch)
                healthy.append((index, check))
            except Exception as exc:  # noqa: BLE001
                results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")
        aggregate = healthy
        query, aliases = plan_aggregate_query(scope.fqn, [c for _, c in aggregate])
        after_row = scope.query(query, scope.branch).to_pylist()[0]
    before_row: dict[str, Any] | None = None
    rows_before = 0
    exact = True
    if scope.base_exists and scope.base_ref is not None:
        if scope.incremental:
            try:
                before_row = scope.query(query, scope.base_ref).to_pylist()[0]
                rows_before = _int(before_row["__rows"])
            except Exception:  # noqa: BLE001 - e.g. a column the base does not have yet
                exact = False
                rows_before = _int(_scalar(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.base_ref)))
        else:
            rows_before = _int(_scalar(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.base_ref)))
    rows_after = _int(after_row["__rows"])

    for position, (index, check) in enumerate(aggregate):
        mapping = aliases[position]
        after = {key: after_row[alias] for key, alias in mapping.items()}
        before = None
        if before_row is not None:
            before = {key: before_row[alias] for key, alias in mapping.items()}
        values = Values(after, before, scope, rows_before, rows_after)
        try:
            outcome = check.evaluate(values)
            if scope.incremental and not exact and not isinstance(check, RowCount):
                outcome.message += " (base snapshot could not be scanned: counted over the whole branch table)"
            results[index] = _result(scope, check, _status(check, outcome.ok), outcome)
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")

    for index, check in runnable:
        if _is_aggregate(check):
            continue
        try:
            outcome = check.run(scope, rows_before, rows_after)
            results[index] = _result(scope, check, _status(check, outcome.ok), outcome)
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")

    added = rows_after - rows_before if scope.incremental else rows_after
    ordered = [results[i] for i in range(len(checks))]
    return ordered, TableStats(rows_before, rows_after, added, exact)


def normalize_checks(checks: Sequence[Check] | Mapping[str, Sequence[Check]], tables: Sequence[str]
                     ) -> dict[str, list[Check]]:
    """Checks per table: a sequence applies to every table; a mapping is keyed by table name."""
    if isinstance(checks, Mapping):
        unknown = [t for t in checks if t not in tables]
        if unknown:
            raise ValueError(f"checks given for unknown table(s) {unknown}; tables are {list(tables)}")
        per_table = {t: list(checks.get(t, ())) for t in tables}
    else:
        if isinstance(checks, Check):
            checks = [checks]
        per_table = {t: list(checks) for t in tables}
    for table, items in per_table.items():
        for item in items:
            if not isinstance(item, Check):
                raise ValueError(
                    f"checks for {table!r} must be wap_notebook.checks objects (e.g. checks.not_null('id')); "
                    f"got {item!r}"
                )
    return per_table
