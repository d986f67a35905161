"""Distributions of the rows an ingestion added against the base ref, for the columns its checks touch.

Data only (no drawing): `profile_table(scope, checks)` returns one `ColumnProfile` per checked column,
with bars (histogram bins for numbers and dates, top values for the rest) counting the new rows, the
new rows that fail a check on that column, and the rows of the table on the base ref (`main` at the
fork point). The panel's charts draw them; `failing_cells` marks the failing cells of any frame.

Cost. The new side is one bounded read of the new rows (`scope.new_rows`, at most `SAMPLE_ROWS`; the
profile says when it is a sample). The base side is aggregate SQL on the lakehouse (MIN/MAX/COUNT, then
one GROUP BY per column), so a large `main` is never pulled into Python. Failing rows are found by
running each check's own SQL predicate over the new rows in an in-process DuckDB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from wap_notebook import checks as ck
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.sql import quote_ident
from wap_notebook.errors import InvalidSpec

SAMPLE_ROWS = 20_000
BINS = 20
TOP_VALUES = 8
MAX_COLUMNS = 8

@dataclass(frozen=True)
class Bar:
    """One histogram bin (`start`/`end` set) or one value (`label` only)."""

    label: str
    new: int
    new_failing: int
    base: int
    start: float | None = None
    end: float | None = None
    edge: str | None = None  # "below" / "above": values outside a between range, drawn apart from the bins


@dataclass(frozen=True)
class ColumnProfile:
    table: str
    column: str
    kind: str  # "numeric" | "temporal" | "categorical"
    checks: tuple[str, ...]
    bars: tuple[Bar, ...]
    new_rows: int
    new_nulls: int
    new_nulls_failing: bool  # a check on this column fails null values (not_null)
    base_rows: int  # 0 when the table is new
    base_nulls: int
    sampled: bool  # the new side is a sample of the new rows, not all of them
    bounds: tuple[float | None, float | None] | None = None  # a between check's range, numeric columns only
    failing: int = 0  # new rows failing a check on this column (in what was read)
    distinct: int = 0  # distinct non-null values among the new rows read

    @property
    def is_key(self) -> bool:
        """A key column (nearly every value distinct) checked only for keys' properties: its distribution
        says nothing, and a histogram of a surrogate key reads as if it did."""
        present = self.new_rows - self.new_nulls
        key_checks = {"unique", "not_null"}
        only_key_checks = all(name.split("(", 1)[0] in key_checks for name in self.checks)
        return only_key_checks and present >= 20 and self.distinct >= 0.9 * present


Field = tuple[str, str, bool]  # name, type, required


@dataclass(frozen=True)
class TableProfile:
    table: str
    columns: tuple[ColumnProfile, ...]
    cell_predicates: dict[str, str] = field(default_factory=dict)  # column -> SQL predicate of failing cells
    schema: tuple[Field, ...] = ()  # on the branch (or the merge commit)
    base_schema: tuple[Field, ...] | None = None  # on the base ref; None when the table is new
    snapshot_id: Any = None  # the table's current snapshot where the new rows are


def checked_columns(checks: Sequence[Any]) -> dict[str, list[Any]]:
    """Column -> the checks that name it, in check order (at most MAX_COLUMNS columns)."""
    out: dict[str, list[Any]] = {}
    for check in checks:
        for column in getattr(check, "columns", ()) or ():
            if column in out or len(out) < MAX_COLUMNS:
                out.setdefault(column, []).append(check)
    return out


def cell_predicates(checks: Sequence[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for column, column_checks in checked_columns(checks).items():
        parts = [p for p in (c.cell_predicate(column) for c in column_checks) if p]
        if parts:
            out[column] = " OR ".join(f"({p})" for p in parts)
    return out


def failing_cells(frame: pd.DataFrame | pa.Table, predicates: dict[str, str]) -> dict[str, list[bool]]:
    """Column -> one flag per row: True where the cell fails a check on that column."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    usable = {c: p for c, p in predicates.items() if c in table.column_names}
    if not usable or table.num_rows == 0:
        return {}
    select = ", ".join(f"COALESCE({p}, FALSE) AS {quote_ident(c)}" for c, p in usable.items())
    try:
        flags = local_sql({"rows_": table}, f"SELECT {select} FROM rows_")
    except Exception:  # noqa: BLE001 - a predicate the local engine cannot run: mark nothing
        return {}
    return {c: [bool(v) for v in flags.column(c).to_pylist()] for c in usable}


def profile_table(scope: ck.TableScope, checks: Sequence[Any], *, sample_rows: int = SAMPLE_ROWS,
                  snapshot_id: Any = None) -> TableProfile:
    columns = checked_columns(checks)
    predicates = cell_predicates(checks)
    schema = tuple(scope.fields(scope.branch) or ())
    base = scope.fields(scope.base_ref) if scope.base_exists and scope.base_ref else None
    base_schema = tuple(base) if base is not None else None
    extra = {"schema": schema, "base_schema": base_schema, "snapshot_id": snapshot_id}
    if not columns:
        return TableProfile(scope.table, (), predicates, **extra)
    rows, exact = scope.new_rows(None, sample_rows + 1)
    sampled = rows.num_rows > sample_rows or not exact
    rows = rows.slice(0, sample_rows)
    flags = failing_cells(rows, predicates)
    base_fields = {name for name, _, _ in base_schema or ()}
    kinds = {c: _kind(rows.column(c).type) for c in columns if c in rows.column_names}
    stats = _base_stats(scope, {c: k for c, k in kinds.items() if c in base_fields})
    profiles = [_profile_column(scope, column, columns[column], kind, rows.column(column), flags.get(column),
                                sampled, stats.get(column)) for column, kind in kinds.items()]
    return TableProfile(scope.table, tuple(profiles), predicates, **extra)


@dataclass(frozen=True)
class _Base:
    rows: int
    present: int  # non-null values
    lo: float | None = None  # numbers (epoch ms for dates)
    hi: float | None = None


def _expr(column: str, kind: str) -> str:
    """The SQL number a column is binned on: the value, or epoch milliseconds for dates and timestamps."""
    col = quote_ident(column)
    return f"EXTRACT(EPOCH FROM {col}) * 1000" if kind == "temporal" else f"CAST({col} AS DOUBLE)"


def _base_stats(scope: ck.TableScope, kinds: dict[str, str]) -> dict[str, _Base]:
    """Row count, non-null count and range of each column on the base ref: one aggregate query."""
    if not kinds:
        return {}
    parts = ["COUNT(*) AS n"]
    for i, (column, kind) in enumerate(kinds.items()):
        parts.append(f"COUNT({quote_ident(column)}) AS v{i}")
        if kind != "categorical":
            parts += [f"MIN({_expr(column, kind)}) AS lo{i}", f"MAX({_expr(column, kind)}) AS hi{i}"]
    row = _on_base(scope, f"SELECT {', '.join(parts)} FROM {scope.fqn}").to_pylist()[0]
    out = {}
    for i, (column, kind) in enumerate(kinds.items()):
        lo, hi = (row.get(f"lo{i}"), row.get(f"hi{i}")) if kind != "categorical" else (None, None)
        out[column] = _Base(int(row["n"] or 0), int(row[f"v{i}"] or 0),
                            None if lo is None else float(lo), None if hi is None else float(hi))
    return out


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "numeric"
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "temporal"
    return "categorical"


def _numbers(values: pa.ChunkedArray, kind: str) -> pd.Series:
    """Numbers to bin: the values themselves, or epoch milliseconds for dates and timestamps."""
    series = values.to_pandas()
    if kind == "temporal":
        stamps = pd.to_datetime(series, utc=True)
        return pd.Series((stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(milliseconds=1), index=series.index)
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _profile_column(scope: ck.TableScope, column: str, checks: list[Any], kind: str, values: pa.ChunkedArray,
                    flags: list[bool] | None, sampled: bool, base: _Base | None) -> ColumnProfile:
    failing = pd.Series(flags if flags is not None else [False] * len(values), dtype=bool)
    null = pd.Series(values.is_null().to_pylist(), dtype=bool)
    names = tuple(str(getattr(c, "name", getattr(c, "kind", "check"))) for c in checks)
    nulls_fail = any(getattr(c, "kind", "") == "not_null" for c in checks)
    if kind == "categorical":
        bars = _top_values(scope, quote_ident(column), values, failing, null, base.present if base else 0)
        bounds = None
    else:
        bounds = _bounds(checks) if kind == "numeric" else None
        bars = _histogram(scope, column, kind, values, failing, null, base, bounds)
    return ColumnProfile(
        table=scope.table, column=column, kind=kind, checks=names, bars=tuple(bars), new_rows=len(values),
        new_nulls=int(null.sum()), new_nulls_failing=nulls_fail, base_rows=base.rows if base else 0,
        base_nulls=base.rows - base.present if base else 0, sampled=sampled, bounds=bounds,
        failing=int(failing.sum()), distinct=int(pa.compute.count_distinct(values.drop_null()).as_py()),
    )


def _bounds(checks: list[Any]) -> tuple[float | None, float | None] | None:
    for check in checks:
        if getattr(check, "kind", "") == "between":
            lo, hi = getattr(check, "min", None), getattr(check, "max", None)
            if all(v is None or isinstance(v, (int, float)) for v in (lo, hi)):
                return lo, hi
    return None


def _histogram(scope: ck.TableScope, column: str, kind: str, values: pa.ChunkedArray, failing: pd.Series,
               null: pd.Series, base: _Base | None,
               bounds: tuple[float | None, float | None] | None = None) -> list[Bar]:
    """Bins over the values inside the allowed range (all values without one); values below or above a
    between range go to one bar on each side, so a single 99999 does not squash every other bin."""
    low, high = bounds or (None, None)
    numbers = _numbers(values, kind)
    keep = ~null.to_numpy()
    present, bad = numbers[keep], failing.to_numpy()[keep]
    below = (present < low).to_numpy() if low is not None else np.zeros(len(present), dtype=bool)
    above = (present > high).to_numpy() if high is not None else np.zeros(len(present), dtype=bool)
    inside = present[~below & ~above]
    lows, highs = ([float(inside.min())], [float(inside.max())]) if len(inside) else ([], [])
    on_base = False
    if base is not None and base.present and base.lo is not None and base.hi is not None:
        on_base = True
        base_lo = base.lo if low is None else max(base.lo, low)  # main's range, inside the allowed one
        base_hi = base.hi if high is None else min(base.hi, high)
        if base_lo <= base_hi:
            lows.append(base_lo)
            highs.append(base_hi)
    if not lows:  # every value is out of range: bin over the allowed range itself
        lows = highs = [v for v in (low, high) if v is not None]
    if not lows or not all(math.isfinite(v) for v in (*lows, *highs)):
        return []
    lo, hi = min(lows), max(highs)
    bins = BINS if hi > lo else 1
    width = (hi - lo) / bins if hi > lo else 1.0

    def index(x: pd.Series) -> pd.Series:
        idx = ((x - lo) / width).floordiv(1).clip(0, bins - 1).astype("int64")
        if low is not None:
            idx[(x < low).to_numpy()] = -1
        if high is not None:
            idx[(x > high).to_numpy()] = bins
        return idx

    new_idx = index(present)
    new_counts = new_idx.value_counts()
    failing_counts = new_idx[bad].value_counts()
    base_counts: dict[int, int] = {}
    if on_base:
        expr = _expr(column, kind)
        cases = "".join(f" WHEN {expr} < {low!r} THEN -1" for _ in [low] if low is not None) + "".join(
            f" WHEN {expr} > {high!r} THEN {bins}" for _ in [high] if high is not None)
        binned = _on_base(
            scope,
            f"SELECT CASE{cases} ELSE LEAST(GREATEST(CAST(FLOOR(({expr} - {lo!r}) / {width!r}) AS BIGINT), 0), "
            f"{bins - 1}) END AS b, COUNT(*) AS n FROM {scope.fqn} WHERE {quote_ident(column)} IS NOT NULL GROUP BY 1"
            if cases else
            f"SELECT LEAST(GREATEST(CAST(FLOOR(({expr} - {lo!r}) / {width!r}) AS BIGINT), 0), "
            f"{bins - 1}) AS b, COUNT(*) AS n FROM {scope.fqn} WHERE {quote_ident(column)} IS NOT NULL GROUP BY 1")
        base_counts = {int(b): int(n) for b, n in _pairs(binned)}

    def bar(i: int, label: str, start: float, end: float, edge: str | None = None) -> Bar:
        return Bar(label=label, new=int(new_counts.get(i, 0)), new_failing=int(failing_counts.get(i, 0)),
                   base=base_counts.get(i, 0), start=start, end=end, edge=edge)

    bars = [bar(i, f"{lo + i * width:g}", lo + i * width, lo + (i + 1) * width) for i in range(bins)]
    gap = width * max(1.0, bins / 10)  # edge bars stand apart: their position is not a value
    if low is not None and (new_counts.get(-1, 0) or base_counts.get(-1, 0)):
        bars.insert(0, bar(-1, f"< {low:,g}", lo - gap - width, lo - gap, "below"))
    if high is not None and (new_counts.get(bins, 0) or base_counts.get(bins, 0)):
        bars.append(bar(bins, f"> {high:,g}", hi + gap, hi + gap + width, "above"))
    return bars


def _top_values(scope: ck.TableScope, col: str, values: pa.ChunkedArray, failing: pd.Series, null: pd.Series,
                base_present: int) -> list[Bar]:
    text = pd.Series(values.cast(pa.string()).to_pylist(), dtype=object)
    present = ~null.to_numpy()
    new_counts = text[present].value_counts()
    failing_counts = text[present & failing.to_numpy()].value_counts()
    base_counts: dict[str, int] = {}
    if base_present:
        top = _on_base(scope, f"SELECT CAST({col} AS VARCHAR) AS v, COUNT(*) AS n FROM {scope.fqn} "
                              f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_VALUES * 3}")
        base_counts = {str(v): int(n) for v, n in _pairs(top)}
    # failing values first (the point of the chart), then the most frequent on either side
    order = sorted(set(new_counts.index) | set(base_counts),
                   key=lambda v: (-int(failing_counts.get(v, 0)), -(int(new_counts.get(v, 0)) + base_counts.get(v, 0)),
                                  str(v)))
    shown = order[:TOP_VALUES]
    bars = [Bar(label=str(v), new=int(new_counts.get(v, 0)), new_failing=int(failing_counts.get(v, 0)),
                base=base_counts.get(v, 0)) for v in shown]
    rest_new = int(new_counts.drop(labels=[v for v in shown if v in new_counts.index]).sum())
    rest_failing = int(failing_counts.drop(labels=[v for v in shown if v in failing_counts.index]).sum())
    rest_base = base_present - sum(base_counts.get(v, 0) for v in shown)
    if rest_new or rest_base:
        bars.append(Bar(label="(other)", new=rest_new, new_failing=rest_failing, base=rest_base))
    return bars


def _on_base(scope: ck.TableScope, sql: str) -> pa.Table:
    """Run `sql` on the base ref (only called when the table exists there)."""
    if scope.base_ref is None:
        raise InvalidSpec(f"{scope.table} has no base ref to compare with")
    return scope.query(sql, scope.base_ref)


def _pairs(table: pa.Table) -> list[tuple[Any, Any]]:
    return list(zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True))
