"""Observed values over the rows an append added, not over the whole branch table.

Counts are additive (failing@branch - failing@base), but a minimum or a maximum is not: the branch's
MAX over old and new rows can be an old outlier the batch never had. Values outside the base's range are
certainly new. So are the table's extremes when the batch holds them too: the shared scan counts the rows
equal to the table's MIN and MAX on both refs (`extreme_terms`), and more of them on the branch than on the
base means the batch reached that extreme. Most batches need nothing more; otherwise the column alone is
read at both refs and the multiset difference (`EXCEPT ALL`, in process) gives the new rows' range exactly,
as long as the base is small enough to read (`RANGE_READ_LIMIT` rows). Beyond that the caller says the
range is the table's.
"""

from __future__ import annotations

from typing import Any

from wap_notebook.checks.model import Aggregate, TableScope, Values
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.sql import quote_ident

RANGE_READ_LIMIT = 2_000_000  # base rows; one column of them is read at most twice


def extreme_terms(scope: TableScope, column: str) -> list[Aggregate]:
    """Append mode: rows equal to the table's MIN / MAX of `column` (keys `at_lo` / `at_hi`), for the scan."""
    if not scope.incremental:
        return []
    col = quote_ident(column)
    return [Aggregate("at_lo", "count_if", f"{col} = (SELECT MIN({col}) FROM {scope.fqn})"),
            Aggregate("at_hi", "count_if", f"{col} = (SELECT MAX({col}) FROM {scope.fqn})")]


def _batch_reached(values: Values, key: str, value: Any, base_value: Any) -> bool:
    """The table's extreme `value` equals the base's, and the new rows hold it too (counted by the scan)."""
    before = values.before
    if before is None or key not in values.after or key not in before or value is None:
        return False
    try:
        same = bool(value == base_value)
    except TypeError:
        return False
    return same and values.new(key) > 0


def new_rows_range(values: Values, column: str) -> tuple[Any, Any] | None:
    """(min, max) of `column` over the rows this append added, or None when it cannot be computed."""
    scope, before = values.scope, values.before
    if not scope.incremental or before is None or scope.base_ref is None:
        return None
    if values.rows_added <= 0:
        return (None, None)
    lo, hi = values.after.get("lo"), values.after.get("hi")
    base_lo, base_hi = before.get("lo"), before.get("hi")
    try:
        lo_is_new = lo is not None and (base_lo is None or lo < base_lo)
        hi_is_new = hi is not None and (base_hi is None or hi > base_hi)
    except TypeError:  # values that do not compare (mixed types): read them
        lo_is_new = hi_is_new = False
    lo_is_new = lo_is_new or _batch_reached(values, "at_lo", lo, base_lo)
    hi_is_new = hi_is_new or _batch_reached(values, "at_hi", hi, base_hi)
    if lo_is_new and hi_is_new:
        return (lo, hi)
    if values.rows_before > RANGE_READ_LIMIT:
        return None
    col = quote_ident(column)
    query = f"SELECT {col} AS v FROM {scope.fqn}"
    added = local_sql({"a": scope.query(query, scope.branch), "b": scope.query(query, scope.base_ref)},
                      "SELECT MIN(v) AS lo, MAX(v) AS hi FROM (SELECT v FROM a EXCEPT ALL SELECT v FROM b) AS d")
    row = added.to_pylist()[0] if added.num_rows else {"lo": None, "hi": None}
    return (lo if lo_is_new else row["lo"], hi if hi_is_new else row["hi"])


def keys_outside(base_bounds: dict[str, Any], column: str, new_minmax: list[Any] | None) -> bool:
    """Whether the new keys lie entirely outside the existing rows' [min, max] (integer keys: exact bounds).

    Then no new key can equal an existing one, and the duplicates the batch introduces are its own:
    SQL's ``(nonnull - distinct)@branch - (nonnull - distinct)@base`` equals the new rows' nonnull - distinct.
    """
    if column not in base_bounds or new_minmax is None:
        return False
    bounds = base_bounds[column]
    lo, hi, nans, nonnull = new_minmax
    if bounds is None or nonnull == 0:
        return True  # no existing key, or no new key
    if nans or not isinstance(lo, int) or not isinstance(hi, int) or isinstance(lo, bool):
        return False
    return bool(lo > bounds[1] or hi < bounds[0])
