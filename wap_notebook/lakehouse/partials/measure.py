"""Measures over one record batch (the same values DuckDB's SQL would give), and how two merge."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wap_notebook.core.partials_contract import Measure


def supported(measure: Measure, schema: pa.Schema) -> bool:
    """Whether `measure` can be computed exactly, with DuckDB's semantics, on columns of `schema`."""
    if any(c not in schema.names for c in measure.columns):
        return False
    if measure.kind in ("nulls", "any_null"):
        return True
    typ = schema.field(measure.columns[0]).type
    numeric = bool(pa.types.is_integer(typ) or pa.types.is_floating(typ))
    text = bool(pa.types.is_string(typ) or pa.types.is_large_string(typ))
    if measure.kind == "not_matching":
        return text
    if measure.kind == "distinct":
        return True
    if measure.kind == "minmax":
        # Timestamps and dates are stored as ISO text, which orders as they do (fresh reads them back).
        return numeric or text or bool(pa.types.is_timestamp(typ) or pa.types.is_date(typ))
    if measure.kind == "length_minmax":
        return text
    if measure.kind == "moments":
        return numeric
    if measure.kind == "length_out_of_range":
        bounds = measure.arg if isinstance(measure.arg, (list, tuple)) and len(measure.arg) == 2 else None
        return text and bounds is not None and all(
            b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds)
    values = measure.arg if measure.kind == "not_in" else [v for v in (measure.arg or []) if v is not None]
    if not isinstance(values, (list, tuple)) or (measure.kind == "not_in" and not values):
        return False
    if text:
        return all(isinstance(v, str) for v in values)
    if pa.types.is_integer(typ) and measure.kind == "not_in":
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if numeric:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)
    return False


def count_true(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def _nan_count(column: pa.Array) -> int:
    return count_true(pc.is_nan(column)) if pa.types.is_floating(column.type) else 0


def measure_batch(m: Measure, batch: pa.RecordBatch) -> Any:
    cols = [batch.column(c) for c in m.columns]
    col = cols[0]
    if m.kind == "nulls":
        return col.null_count
    if m.kind == "any_null":
        mask = pc.is_null(cols[0])
        for other in cols[1:]:
            mask = pc.or_(mask, pc.is_null(other))
        return count_true(mask)
    if m.kind == "not_in":
        value_set = pa.array(m.arg, type=col.type) if not pa.types.is_floating(col.type) else pa.array(
            [float(v) for v in m.arg], type=col.type)
        # is_in gives False for a NULL input: count the non-NULL values that are in the list instead.
        return len(col) - col.null_count - count_true(pc.is_in(col, value_set=value_set, skip_nulls=True))
    if m.kind == "out_of_range":
        lo, hi = m.arg
        mask = None
        if lo is not None:
            mask = pc.less(col, pa.scalar(lo))
        if hi is not None:
            above = pc.greater(col, pa.scalar(hi))
            mask = above if mask is None else pc.or_(mask, above)
        # NaN is in no range: `between` fails it explicitly (`OR isnan(x)`); IEEE comparisons say False.
        return count_true(mask) + _nan_count(col)
    if m.kind == "minmax":
        found = pc.min_max(col).as_py()
        lo, hi = (v if _present(v) else None for v in (found["min"], found["max"]))
        # NaN is counted apart; minmax_as_duckdb puts it back where DuckDB would (it sorts NaN last).
        return [lo, hi, _nan_count(col), len(col) - col.null_count]
    if m.kind == "not_matching":
        return count_true(pc.invert(pc.match_substring_regex(col, m.arg)))
    if m.kind == "length_out_of_range":
        lengths, (lo, hi) = pc.utf8_length(col), m.arg  # characters (code points), as DuckDB's length()
        mask = None
        if lo is not None:
            mask = pc.less(lengths, lo)
        if hi is not None:
            above = pc.greater(lengths, hi)
            mask = above if mask is None else pc.or_(mask, above)
        return count_true(mask)
    if m.kind == "length_minmax":
        found = pc.min_max(pc.utf8_length(col)).as_py()
        return [found["min"], found["max"], 0, len(col) - col.null_count]
    if m.kind == "moments":
        return _moments(col)
    raise ValueError(m.kind)


# An int64 sum of a batch cannot overflow when |values| stay below this times the batch's length.
_INT_SUM_LIMIT = 2**62


def _moments(col: pa.Array) -> list[Any]:
    """[non-NULL count, SUM, SUM of squares as doubles], as DuckDB computes them: an exact integer sum for
    integer columns (HUGEINT there), a double sum otherwise; NaN propagates. A possible int64 overflow raises,
    which drops the partials (the SQL path is right)."""
    nonnull = len(col) - col.null_count
    if nonnull == 0:
        return [0, 0, 0.0]
    as_double = pc.cast(col, pa.float64())
    squares = pc.sum(pc.multiply(as_double, as_double)).as_py()
    if pa.types.is_integer(col.type):
        bounds = pc.min_max(col).as_py()
        if max(abs(int(bounds["min"])), abs(int(bounds["max"]))) * nonnull >= _INT_SUM_LIMIT:
            raise OverflowError("integer sum may overflow int64")
        return [nonnull, int(pc.sum(col).as_py()), float(squares)]
    return [nonnull, float(pc.sum(col).as_py()), float(squares)]


def _present(value: Any) -> bool:
    """A bound that takes part in min/max: not NULL and not NaN (NaN is counted apart, see minmax_as_duckdb);
    comparing with NaN would make Python's min/max depend on the order of the files."""
    return value is not None and value == value


def merge_minmax(a: list[Any], b: list[Any]) -> list[Any]:
    lo = [v for v in (a[0], b[0]) if _present(v)]
    hi = [v for v in (a[1], b[1]) if _present(v)]
    return [min(lo) if lo else None, max(hi) if hi else None, a[2] + b[2], a[3] + b[3]]


def merge_values(m: Measure, a: Any, b: Any) -> Any:
    if m.kind in ("minmax", "length_minmax"):
        return merge_minmax(a, b)
    if m.kind == "moments":
        return [x + y for x, y in zip(a, b, strict=True)]
    return a + b
