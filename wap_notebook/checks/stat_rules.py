"""Rules on a statistic of the new rows: fresh (the newest timestamp is recent) and column_stat (mean,
median, stddev, sum, min, max, null_fraction or distinct_count within bounds)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

from wap_notebook.checks.model import Aggregate, AggregateCheck, Outcome, QueryCheck, TableScope, Values, as_int
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
_ADDITIVE = ("mean", "stddev", "sum", "null_fraction")  # from sums of the rows: branch minus base in append


class ColumnStat(QueryCheck):
    """A statistic of the new rows' column within [min, max]."""

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

    def _sums(self, scope: TableScope, ref: str) -> dict[str, Any]:
        col = quote_ident(self.columns[0])
        value = f"CAST({col} AS DOUBLE)"
        query = (f"SELECT COUNT(*) AS n, COUNT({col}) AS nn, SUM({col}) AS s, SUM({value} * {value}) AS ss "
                 f"FROM {scope.fqn}")
        return dict(scope.query(query, ref).to_pylist()[0])

    def _additive(self, scope: TableScope) -> float | None:
        after = self._sums(scope, scope.branch)
        before = self._sums(scope, scope.base_ref) if scope.incremental and scope.base_ref else None

        def new(key: str) -> Any:
            value = after[key] or 0
            return value - (before[key] or 0) if before is not None else value

        n, nn, s, ss = as_int(new("n")), as_int(new("nn")), new("s"), float(new("ss"))
        if self.stat == "null_fraction":
            return None if n == 0 else (n - nn) / n
        if nn == 0:
            return None
        if self.stat == "sum":
            return float(s)
        mean = float(s) / nn
        if self.stat == "mean":
            return mean
        return None if nn < 2 else math.sqrt(max(0.0, (ss - float(s) * float(s) / nn) / (nn - 1)))

    def _ordered(self, scope: TableScope) -> tuple[Any, str]:
        col = quote_ident(self.columns[0])
        fn = {"median": "MEDIAN(v)", "min": "MIN(v)", "max": "MAX(v)", "distinct_count": "COUNT(DISTINCT v)"}[self.stat]
        if not scope.incremental or scope.base_ref is None:
            return scope.query(f"SELECT {fn.replace('(v)', f'({col})')} FROM {scope.fqn}", scope.branch
                               ).column(0)[0].as_py(), ""
        rows_before = as_int(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.base_ref).column(0)[0].as_py())
        if rows_before > RANGE_READ_LIMIT:  # too big to subtract in process: say what it is over
            return scope.query(f"SELECT {fn.replace('(v)', f'({col})')} FROM {scope.fqn}", scope.branch
                               ).column(0)[0].as_py(), " (over the whole branch table)"
        query = f"SELECT {col} AS v FROM {scope.fqn}"
        new = local_sql({"a": scope.query(query, scope.branch), "b": scope.query(query, scope.base_ref)},
                        f"SELECT {fn} FROM (SELECT v FROM a EXCEPT ALL SELECT v FROM b) AS d")
        return new.column(0)[0].as_py(), ""

    def run(self, scope: TableScope) -> Outcome:
        note = ""
        value: Any = self._additive(scope) if self.stat in _ADDITIVE else None
        if self.stat not in _ADDITIVE:
            value, note = self._ordered(scope)
        if value is None:
            return Outcome(False, None, None, f"{self.stat} of {self.columns[0]} is undefined over the new rows")
        number = float(value) if not isinstance(value, (int, float)) else value
        if isinstance(number, float) and math.isnan(number):
            return Outcome(False, "NaN", None, f"{self.stat} of {self.columns[0]} over the new rows is NaN "
                                               "(the column has NaN values)")
        ok = (self.min is None or number >= self.min) and (self.max is None or number <= self.max)
        shown = f"{number:.6g}" if isinstance(number, float) else str(number)
        return Outcome(ok, number, None, f"{self.stat} of {self.columns[0]} over the new rows is {shown}{note}")
