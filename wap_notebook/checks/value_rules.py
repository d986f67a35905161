"""Rules on values and counts, answered by terms of the table's one shared scan (and, on the embedded
lakehouse, by partial measures the import computed): row_count, not_null, unique, accepted_values,
between, matches."""


from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from wap_notebook.checks.model import (
    Aggregate,
    AggregateCheck,
    Check,
    Outcome,
    QueryCheck,
    TableScope,
    Values,
    as_int,
)
from wap_notebook.checks.new_rows import extreme_terms, keys_outside, new_rows_range
from wap_notebook.core.arrow_sql import scalar
from wap_notebook.core.partials_contract import Measure, minmax_as_duckdb
from wap_notebook.core.sql import (
    columns_list,
    keys_predicate,
    literal_list,
    quote_ident,
    regex_match,
    sql_literal,
    validate_regex,
)
from wap_notebook.errors import InvalidSpec


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
    row_level = True

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


def _row_key(row: dict[str, Any]) -> str:
    """A row as comparable text (NaN equal to NaN, nested values included), to match rows across refs."""
    return json.dumps(row, default=str, sort_keys=True)


class _UniqueRule(Check):
    """Unique combined key among the table's rows. In append mode the reported number is the duplicate
    rows the new batch introduced (duplicates inside the batch or with rows already in the table)."""

    kind = "unique"
    row_level = True

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

    def _outcome(self, dups: int, scope: TableScope) -> Outcome:
        """`dups` counts the rows beyond the first of each key; the failing rows listed are every row sharing a
        repeated key (in append mode including the row already on the base), so the message gives both."""
        predicate = self.failing_predicate(scope.fqn)
        message = f"{dups} duplicate rows on key ({', '.join(self.columns)})"
        if dups > 0:
            try:
                sharing = self._rows_sharing(scope, predicate)
                on_main = "; the rows already on the base are marked on_main" if scope.incremental else ""
                message += f": {sharing - dups} keys repeated, {sharing} rows share them{on_main}"
            except Exception:  # noqa: BLE001 - the count is a nicety; the verdict stands without it
                pass
        return Outcome(dups == 0, dups, dups, message, predicate)

    @staticmethod
    def _rows_sharing(scope: TableScope, predicate: str) -> int:
        """The rows `failures()` lists: sharing a repeated key on the branch, minus (append) those matching on the
        base, which the branch's matches include (a key repeated on the base is repeated on the branch)."""
        query = f"SELECT COUNT(*) FROM {scope.fqn} WHERE {predicate}"
        rows = as_int(scalar(scope.query(query, scope.branch)))
        if scope.incremental and scope.base_ref is not None:
            rows -= as_int(scalar(scope.query(query, scope.base_ref)))
        return rows

    def annotate_failures(self, rows: pa.Table, scope: TableScope) -> pa.Table:
        """The failing rows as whole groups of a key, grouped by key and, in append mode, with an `on_main`
        column: True for a row that was already on the base (the batch repeated its key), False for the rows
        the batch added. The sample the engine fetched may hold one row of a pair: the rows of its keys are
        read again on the branch (as many as were asked for), so a repeated key shows with its partners."""
        if rows.num_rows == 0:
            return rows
        try:
            keys = [dict(k) for k in {tuple((c, row[c]) for c in self.columns): None for row in rows.to_pylist()}]
            matching = keys_predicate(self.columns, keys)
        except InvalidSpec:  # a key no SQL literal can spell (NaN): the sample as fetched
            return rows
        order = columns_list(self.columns)
        rows = scope.query(f"SELECT * FROM {scope.fqn} WHERE {matching} ORDER BY {order} LIMIT {rows.num_rows}",
                           scope.branch)
        if scope.incremental and scope.base_ref is not None:
            existing = scope.query(f"SELECT * FROM {scope.fqn} WHERE {matching}", scope.base_ref)
            left = Counter(_row_key(row) for row in existing.to_pylist())
            flags = []
            for row in rows.to_pylist():
                key = _row_key(row)
                flags.append(left[key] > 0)
                left[key] -= 1
            rows = rows.append_column("on_main", pa.array(flags, pa.bool_()))
        by_key = [(c, "ascending") for c in self.columns]
        return rows.sort_by(by_key + ([("on_main", "descending")] if "on_main" in rows.column_names else []))


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
        return self._outcome(values.new("nonnull") - values.new("distinct"), values.scope)


class UniqueKey(_UniqueRule, QueryCheck):
    """`unique` on several columns: a GROUP BY of its own (a composite COUNT DISTINCT is not portable)."""

    def run(self, scope: TableScope) -> Outcome:
        cols = columns_list(self.columns)
        query = (f"SELECT COALESCE(SUM(n), 0) - COUNT(*) AS dups FROM "
                 f"(SELECT COUNT(*) AS n FROM {scope.fqn} WHERE {self._not_null()} GROUP BY {cols}) AS g")
        dups = as_int(scalar(scope.query(query, scope.branch)))
        if scope.incremental and scope.base_ref:
            dups -= as_int(scalar(scope.query(query, scope.base_ref)))
        return self._outcome(dups, scope)


class AcceptedValues(AggregateCheck):
    kind = "accepted_values"
    row_level = True

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
    row_level = True

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

    def scan_terms(self, scope: TableScope) -> list[Aggregate]:
        return self.aggregates() + extreme_terms(scope, self.columns[0])  # the batch's range, without a read

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
    row_level = True

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
