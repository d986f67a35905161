"""Which check aggregates the import can compute as it writes, and their values read back.

The bridge between the checks (backend-agnostic) and the partials a backend computes during an import,
through the backend-neutral contract (`wap_notebook.core.partials_contract`; the embedded lakehouse computes
them in `wap_notebook.lakehouse.partials`): `request(checks)` turns the aggregate checks of one table into
the measures the import computes on its record batches; `answerable(scope, found, checks)` gives each
check it can answer the same aggregate values its SQL terms would produce over the rows this ingestion
added, and leaves the others to the planner's SQL scan. Each check class says which measures answer it
(`partial_measures` / `partial_values`); a subclass that redefines its terms without them goes to SQL.

On Bauplan's cloud `partials_contract.lookup` returns None (no reader is registered for its client), so every
check runs as SQL there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wap_notebook.checks.model import TableScope, Values
from wap_notebook.core.partials_contract import Measure, NewRowPartials, PartialRequest


def _answers_own_terms(check: Any) -> bool:
    """Whether the class that says which partials answer `check` also defines its SQL terms: a subclass that
    redefines `aggregates()` without `partial_measures()` changes what the terms mean, so SQL answers it."""
    mro = type(check).__mro__
    measures_owner = next((k for k in mro if "partial_measures" in vars(k) or "partial_values" in vars(k)), None)
    terms_owner = next((k for k in mro if "aggregates" in vars(k)), None)
    return measures_owner is not None and terms_owner is not None and issubclass(measures_owner, terms_owner)


def measures(check: Any) -> list[Measure]:
    """The measures that answer `check`'s aggregate terms (empty when none can)."""
    return list(check.partial_measures()) if _answers_own_terms(check) else []


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
    if not _answers_own_terms(check):
        return None
    got = [found.get(m) for m in check.partial_measures()]
    if not got and check.aggregates():  # terms of its own, but no measure answers them
        return None
    answered: dict[str, Any] | None = check.partial_values(got, incremental=incremental,
                                                           base_bounds=found.base_bounds)
    return answered


@dataclass
class NewRowValues(Values):
    """Values read from partials: over the new rows only, never the whole branch table."""

    @property
    def whole_table_note(self) -> str:
        return " (over the new rows)" if self.scope.incremental else ""

    @property
    def counted_rows(self) -> int:
        return self.rows_added


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
