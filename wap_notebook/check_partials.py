"""Which check aggregates the import can compute as it writes, and their values read back.

The bridge between the checks (backend-agnostic) and the partials a backend computes during an import,
through the backend-neutral contract (`wap_notebook.partials_contract`; the embedded lakehouse computes
them in `wap_notebook.lakehouse.partials`): `request(checks)` turns the aggregate checks of one table into
the measures the import computes on its record batches; `answerable(scope, found, checks)` gives each
check it can answer the same aggregate values its SQL terms would produce over the rows this ingestion
added, and leaves the others to the planner's SQL scan. Only the built-in checks are answered (by exact
type: a subclass may redefine what its terms mean).

On Bauplan's cloud `partials_contract.lookup` returns None (no reader is registered for its client), so every
check runs as SQL there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wap_notebook.check_model import TableScope, Values
from wap_notebook.partials_contract import Measure, NewRowPartials, PartialRequest, minmax_as_duckdb


def measures(check: Any) -> list[Measure]:
    """The measures that answer `check`'s aggregate terms (empty when none can)."""
    from wap_notebook import checks as ck  # here: the checks module imports the planner, which imports this

    cols = tuple(check.columns)
    kind = type(check)
    if kind is ck.NotNull:
        if check.nan_as_null:  # null counts do not include NaN: left to SQL
            return []
        found = [Measure("nulls", (c,)) for c in cols]
        return found + ([Measure("any_null", cols)] if len(cols) > 1 else [])
    if kind is ck.Unique and len(cols) == 1:
        # min/max of the new keys: when appending, keys outside the existing rows' bounds cannot collide.
        return [Measure("distinct", cols), Measure("minmax", cols)]
    if kind is ck.AcceptedValues:
        return [Measure("not_in", cols, list(check.values))]
    if kind is ck.Between:
        return [Measure("out_of_range", cols, [check.min, check.max]), Measure("minmax", cols)]
    if kind is ck.Matches:
        return [Measure("not_matching", cols, check.regex)]
    return []


def request(checks: Sequence[Any]) -> PartialRequest:
    wanted: dict[str, Measure] = {}
    for check in checks:
        for m in measures(check):
            wanted.setdefault(m.key, m)
    return PartialRequest(tuple(wanted.values()))


def values(check: Any, found: NewRowPartials, *, incremental: bool) -> dict[str, Any] | None:
    """`check`'s aggregate values over the new rows, keyed like its SQL terms; None if not answerable.

    `incremental` (append to a table that has rows): distinct keys of the new rows alone say nothing about
    duplicates with the rows already there, so `unique` is left to SQL unless the bounds rule them out.
    """
    from wap_notebook import checks as ck

    if type(check) is ck.RowCount:
        return {}
    wanted = measures(check)
    got = [found.get(m) for m in wanted]
    kind = type(check)
    if kind is ck.Unique:
        if not got or got[0] is None:
            return None
        # Appending: new keys may equal existing ones, which only SQL over both counts, unless the new keys
        # lie outside the existing ones' bounds (min/max is computed for numeric and text keys only).
        if incremental and not _disjoint(found.base_bounds, check.columns[0], got[1]):
            return None
        nonnull, distinct = got[0]
        return {"nonnull": nonnull, "distinct": distinct}
    if not wanted or any(v is None for v in got):
        return None
    if kind is ck.NotNull:
        out = {f"n{i}": got[i] for i in range(len(check.columns))}
        if len(check.columns) > 1:
            out["any"] = got[-1]
        return out
    if kind is ck.Between:
        lo, hi = minmax_as_duckdb(got[1])
        return {"bad": got[0], "lo": lo, "hi": hi}
    return {"bad": got[0]}


def _disjoint(base_bounds: dict[str, Any], column: str, new_minmax: list[Any] | None) -> bool:
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
    return lo > bounds[1] or hi < bounds[0]


@dataclass
class NewRowValues(Values):
    """Values read from partials: over the new rows only, never the whole branch table."""

    @property
    def whole_table_note(self) -> str:
        return " (over the new rows)" if self.scope.incremental else ""


def answerable(scope: TableScope, found: NewRowPartials | None, aggregate: Sequence[tuple[int, Any]]
               ) -> tuple[dict[int, NewRowValues], list[tuple[int, Any]]]:
    """Split a table's aggregate checks into those the partials answer (with their values) and the rest."""
    if found is None:
        return {}, list(aggregate)
    rows_before = found.rows_before if scope.incremental else 0
    rows_after = rows_before + found.rows
    answered: dict[int, NewRowValues] = {}
    rest: list[tuple[int, Any]] = []
    for index, check in aggregate:
        got = values(check, found, incremental=scope.incremental)
        if got is None:
            rest.append((index, check))
        else:
            answered[index] = NewRowValues(got, None, scope, rows_before, rows_after)
    return answered, rest
