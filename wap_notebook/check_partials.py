"""Which check aggregates the import can compute as it writes, and their values read back.

The bridge between the checks (engine side, backend-agnostic) and the embedded lakehouse's partials
(`wap_notebook.lakehouse.partials`): `request(checks)` turns the aggregate checks of one table into
the partial measures the import computes on its record batches; `values(check, found, ...)` gives a
check the same aggregate values its SQL terms would have produced over the rows this ingestion added,
or None when the partials cannot answer it exactly (then the planner keeps the check in the SQL scan).

On Bauplan's cloud, `partials.lookup` returns None, so every check runs as SQL there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wap_notebook import checks as ck
from wap_notebook.lakehouse.partials import Measure, NewRowPartials, PartialRequest, minmax_as_duckdb


def measures(check: Any) -> list[Measure]:
    """The measures that answer `check`'s aggregate terms (empty when none can)."""
    cols = tuple(check.columns)
    if isinstance(check, ck.NotNull):
        found = [Measure("nulls", (c,)) for c in cols]
        return found + ([Measure("any_null", cols)] if len(cols) > 1 else [])
    if isinstance(check, ck.Unique) and len(cols) == 1:
        return [Measure("distinct", cols)]
    if isinstance(check, ck.AcceptedValues):
        return [Measure("not_in", cols, list(check.values))]
    if isinstance(check, ck.Between):
        return [Measure("out_of_range", cols, [check.min, check.max]), Measure("minmax", cols)]
    if isinstance(check, ck.Matches):
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

    `incremental` (append to a table that has rows): a count of distinct keys over the new rows alone
    says nothing about duplicates with the rows already there, so `unique` is left to SQL.
    """
    if isinstance(check, ck.RowCount):
        return {}
    wanted = measures(check)
    if not wanted:
        return None
    got = [found.get(m) for m in wanted]
    if any(v is None for v in got):
        return None
    if isinstance(check, ck.NotNull):
        out = {f"n{i}": got[i] for i in range(len(check.columns))}
        if len(check.columns) > 1:
            out["any"] = got[-1]
        return out
    if isinstance(check, ck.Unique):
        if incremental:
            return None
        nonnull, distinct = got[0]
        return {"nonnull": nonnull, "distinct": distinct}
    if isinstance(check, ck.Between):
        lo, hi = minmax_as_duckdb(got[1])
        return {"bad": got[0], "lo": lo, "hi": hi}
    return {"bad": got[0]}


@dataclass
class NewRowValues(ck.Values):
    """Values read from partials: they are over the new rows only (never the whole branch table)."""

    @property
    def whole_table_note(self) -> str:
        return " (over the new rows)" if self.scope.incremental else ""


def answerable(scope: Any, found: NewRowPartials | None, aggregate: Sequence[tuple[int, Any]]
               ) -> tuple[dict[int, NewRowValues], list[tuple[int, Any]]]:
    """Split a table's aggregate checks into those the partials answer (with their values) and the rest.

    Nothing is answered when `found` is None or when its rows cannot be tied to the table's row counts
    (the caller's SQL scan then covers every check, as before).
    """
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
