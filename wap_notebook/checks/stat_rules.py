"""Rules on a statistic of the new rows: fresh (the newest timestamp is recent) and column_stat (mean,
median, stddev, sum, min, max, null_fraction or distinct_count within bounds). Both ride on the import's
partials where they can (min/max, null counts, sums); median and distinct_count run a query of their own."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

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
from wap_notebook.checks.new_rows import RANGE_READ_LIMIT, new_rows_range
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.durations import humanize_age, parse_duration
from wap_notebook.core.partials_contract import Measure, minmax_as_duckdb
from wap_notebook.core.sql import quote_ident
from wap_notebook.errors import InvalidSpec


def _as_utc(value: Any) -> datetime | None:
    """A date or timestamp as an aware UTC datetime (naive timestamps are taken as UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return _as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


class Fresh(AggregateCheck):
    """The newest value of a timestamp/date column among the new rows is within `within` of `now` (the
    validation time unless given)."""

    kind = "fresh"

    def __init__(self, column: str, within: Any = "2d", now: Any = None, **kw: Any) -> None:
        super().__init__((column,), **kw)
        try:
            self.within: timedelta = parse_duration(within)
        except InvalidSpec:
            raise InvalidSpec(f"fresh: within must be a duration like '2d', '12h', '30min'; got {within!r}") from None
        if now is not None and _as_utc(now) is None:
            raise InvalidSpec(f"fresh: now must be a datetime, a date or an ISO timestamp; got {now!r}")
        self.within_text = within if isinstance(within, str) else str(self.within)
        self.now = now

    def expected(self) -> str:
        return f"newest value within {self.within_text}"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "within": self.within_text,
                **({"now": str(self.now)} if self.now is not None else {})}

    def aggregates(self) -> list[Aggregate]:
        col = quote_ident(self.columns[0])
        return [Aggregate("lo", "min", col), Aggregate("hi", "max", col)]

    def partial_measures(self) -> list[Measure]:
        return [Measure("minmax", self.columns)]

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        if None in got:
            return None
        lo, hi = minmax_as_duckdb(got[0])
        return {"lo": lo, "hi": hi}

    def evaluate(self, values: Values) -> Outcome:
        newest = values.after.get("hi")
        added = new_rows_range(values, self.columns[0])  # append: the batch's newest, not the table's
        if added is not None:
            newest = added[1]
        now = _as_utc(self.now) or datetime.now(timezone.utc)
        when = _as_utc(newest)
        if when is None:
            return Outcome(values.rows_added == 0, None, None,
                           "no new rows" if values.rows_added == 0 else "no timestamp among the new rows")
        age = now - when
        ok = age <= self.within
        return Outcome(ok, str(newest), None,
                       f"newest value {newest} is {humanize_age(age)} old (allowed {self.within_text})")


STATS = ("mean", "median", "stddev", "sum", "min", "max", "null_fraction", "distinct_count")
ORDERED_STATS = ("median", "distinct_count")  # not derivable from terms of the shared scan: a query of their own


class _StatRule(Check):
    """A statistic of the new rows' column within [min, max]: arguments, wording and the verdict."""

    kind = "column_stat"

    def __init__(self, column: str, stat: str, min: Any = None, max: Any = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((column,), **kw)
        if stat not in STATS:
            raise InvalidSpec(f"column_stat: stat must be one of {', '.join(STATS)}; got {stat!r}")
        if min is None and max is None:
            raise InvalidSpec("column_stat needs min, max or both")
        for bound in (min, max):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
                raise InvalidSpec(f"column_stat: min and max must be numbers; got {bound!r}")
        if min is not None and max is not None and max < min:
            raise InvalidSpec(f"column_stat: need min <= max; got min={min}, max={max}")
        self.stat, self.min, self.max = stat, min, max

    @property
    def name(self) -> str:
        return self._name or f"column_stat({self.columns[0]}: {self.stat})"

    def expected(self) -> str:
        if self.min is None:
            return f"{self.stat} <= {self.max}"
        if self.max is None:
            return f"{self.stat} >= {self.min}"
        return f"{self.stat} between {self.min} and {self.max}"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "stat": self.stat, "min": self.min, "max": self.max}

    def judge(self, value: Any, note: str = "") -> Outcome:
        if value is None:
            return Outcome(False, None, None, f"{self.stat} of {self.columns[0]} is undefined over the new rows")
        number = float(value) if not isinstance(value, (int, float)) else value
        if isinstance(number, float) and math.isnan(number):
            return Outcome(False, "NaN", None, f"{self.stat} of {self.columns[0]} over the new rows is NaN "
                                               "(the column has NaN values)")
        ok = (self.min is None or number >= self.min) and (self.max is None or number <= self.max)
        shown = f"{number:.6g}" if isinstance(number, float) else str(number)
        return Outcome(ok, number, None, f"{self.stat} of {self.columns[0]} over the new rows is {shown}{note}")


class ColumnStat(_StatRule, AggregateCheck):
    """mean, stddev, sum, min, max or null_fraction of the new rows: terms of the table's shared scan (sums
    and counts are branch minus base in append mode), or the import's partials on the embedded lakehouse."""

    def __init__(self, column: str, stat: str, min: Any = None, max: Any = None, **kw: Any) -> None:  # noqa: A002
        super().__init__(column, stat, min, max, **kw)
        if self.stat in ORDERED_STATS:
            raise InvalidSpec(f"column_stat: {self.stat} is not a term of the shared scan; build it with "
                              "column_stat(...)")

    def aggregates(self) -> list[Aggregate]:
        col = quote_ident(self.columns[0])
        if self.stat == "null_fraction":
            return [Aggregate("nulls", "count_if", f"{col} IS NULL")]
        if self.stat in ("min", "max"):
            return [Aggregate("lo", "min", col), Aggregate("hi", "max", col)]
        value = f"CAST({col} AS DOUBLE)"
        return [Aggregate("nn", "count", col), Aggregate("s", "sum", col), Aggregate("ss", "sum", f"{value} * {value}")]

    def partial_measures(self) -> list[Measure]:
        kind = {"null_fraction": "nulls", "min": "minmax", "max": "minmax"}.get(self.stat, "moments")
        return [Measure(kind, self.columns)]

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        if None in got:
            return None
        if self.stat == "null_fraction":
            return {"nulls": got[0]}
        if self.stat in ("min", "max"):
            lo, hi = minmax_as_duckdb(got[0])
            return {"lo": lo, "hi": hi}
        nonnull, total, squares = got[0]
        return {"nn": nonnull, "s": total, "ss": squares}

    def evaluate(self, values: Values) -> Outcome:
        if self.stat in ("min", "max"):
            added = new_rows_range(values, self.columns[0])  # append: the batch's extremes, not the table's
            lo, hi = (values.after.get("lo"), values.after.get("hi")) if added is None else added
            whole = added is None and values.before is not None and values.scope.incremental
            return self.judge(lo if self.stat == "min" else hi, " (over the whole branch table)" if whole else "")
        if self.stat == "null_fraction":
            rows = values.counted_rows
            return self.judge(None if rows == 0 else values.new("nulls") / rows)
        nonnull, total, squares = values.new("nn"), values.new_number("s"), float(values.new_number("ss"))
        if nonnull == 0:
            return self.judge(None)
        if self.stat == "sum":
            return self.judge(float(total))
        mean = float(total) / nonnull
        if self.stat == "mean":
            return self.judge(mean)
        spread = None if nonnull < 2 else math.sqrt(max(0.0, (squares - float(total) * float(total) / nonnull)
                                                         / (nonnull - 1)))
        return self.judge(spread)


class OrderedColumnStat(_StatRule, QueryCheck):
    """median or distinct_count of the new rows: a query of its own (in append mode the column is read at the
    branch and the base and subtracted in process, up to `RANGE_READ_LIMIT` base rows)."""

    def run(self, scope: TableScope) -> Outcome:
        col = quote_ident(self.columns[0])
        fn = {"median": "MEDIAN(v)", "distinct_count": "COUNT(DISTINCT v)"}[self.stat]
        whole = f"SELECT {fn.replace('(v)', f'({col})')} FROM {scope.fqn}"
        if not scope.incremental or scope.base_ref is None:
            return self.judge(scope.query(whole, scope.branch).column(0)[0].as_py())
        rows_before = as_int(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.base_ref).column(0)[0].as_py())
        if rows_before > RANGE_READ_LIMIT:  # too big to subtract in process: say what it is over
            return self.judge(scope.query(whole, scope.branch).column(0)[0].as_py(), " (over the whole branch table)")
        query = f"SELECT {col} AS v FROM {scope.fqn}"
        new = local_sql({"a": scope.query(query, scope.branch), "b": scope.query(query, scope.base_ref)},
                        f"SELECT {fn} FROM (SELECT v FROM a EXCEPT ALL SELECT v FROM b) AS d")
        return self.judge(new.column(0)[0].as_py())


def column_stat_check(column: str, stat: str, min: Any = None, max: Any = None, **kw: Any) -> Check:  # noqa: A002
    """The class that computes `stat`: terms of the shared scan, or a query of its own."""
    if stat in ORDERED_STATS:
        return OrderedColumnStat(column, stat, min, max, **kw)
    return ColumnStat(column, stat, min, max, **kw)
