"""The planner: run every check of one table in as few scans as possible.

Every `AggregateCheck` contributes its `Aggregate` terms to a single
``SELECT COUNT(*), SUM(CASE ...), COUNT(DISTINCT ...), MIN/MAX ... FROM "ns"."table"`` query: **one
scan of the table for all aggregate checks of that table** (two in append mode: the branch and the
fixed snapshot it was made from, whose difference is what the new rows brought; see
`wap_notebook.engine.rows`). `QueryCheck`s then run one after the other. A check that cannot run
(missing column, query error) gets status "error" without hiding the others' results.

Before scanning, the planner asks the scope for the import's check partials (`wap_notebook.checks.partials`):
on the embedded lakehouse the import computed null counts, value-list and range violations, regex
misses and distinct keys while it wrote the rows, so the checks they answer exactly need no scan at all.
When some checks still need the scan, its row counts must agree with the partials' or every check is
answered by SQL. On Bauplan's cloud there are no partials and everything is SQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wap_notebook.checks.model import (
    AggregateCheck,
    Check,
    CheckResult,
    Outcome,
    QueryCheck,
    TableScope,
    Values,
    as_int,
)
from wap_notebook.checks.partials import NewRowValues, answerable, request
from wap_notebook.core.arrow_sql import scalar
from wap_notebook.core.sql import quote_ident

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableStats:
    """Row counts of one table seen by the scan: before (base), after (branch), added by the ingestion."""

    rows_before: int
    rows_after: int
    rows_added: int


Scanned = AggregateCheck | QueryCheck  # a query check joins the scan through its `scan_terms`


def plan_aggregate_query(fqn: str, checks: Sequence[Scanned], scope: TableScope | None = None, prefix: str = ""
                         ) -> tuple[str, dict[int, dict[str, str]]]:
    """One ``SELECT COUNT(*) AS "__rows", <every term of every check> FROM fqn`` query (with `scope`, each
    check's `scan_terms` on it, else its `aggregates()`; every alias starts with `prefix`).

    Returns the SQL and, per check index, the map from the check's own keys to the result aliases.
    """
    exprs = [f"COUNT(*) AS {quote_ident(prefix + '__rows')}"]
    aliases: dict[int, dict[str, str]] = {}
    for index, check in enumerate(checks):
        mapping = {}
        if scope is not None:
            terms = check.scan_terms(scope)
        else:
            terms = check.aggregates() if isinstance(check, AggregateCheck) else []
        for term in terms:
            alias = f"{prefix}c{index}_{term.key}"
            mapping[term.key] = alias[len(prefix):]
            exprs.append(f"{term.sql()} AS {quote_ident(alias)}")
        aliases[index] = mapping
    return f"SELECT {', '.join(exprs)} FROM {fqn}", aliases


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


def _scan(scope: TableScope, aggregate: list[tuple[int, Scanned]], results: dict[int, CheckResult]
          ) -> tuple[list[tuple[int, Scanned]], str, dict[int, dict[str, str]], dict[str, Any]]:
    """The shared scan on the branch. One faulty check (say a bound that cannot be compared with its
    column) must not hide the others' results: find it with one query per check, report it as "error",
    and rescan with the healthy ones."""
    query, aliases = plan_aggregate_query(scope.fqn, [c for _, c in aggregate], scope)
    try:
        return aggregate, query, aliases, scope.query(query, scope.branch).to_pylist()[0]
    except Exception:  # noqa: BLE001 - isolate the faulty check(s) below
        pass
    healthy = []
    for index, check in aggregate:
        try:
            scope.query(plan_aggregate_query(scope.fqn, [check], scope)[0], scope.branch)
            healthy.append((index, check))
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")
    query, aliases = plan_aggregate_query(scope.fqn, [c for _, c in healthy], scope)
    return healthy, query, aliases, scope.query(query, scope.branch).to_pylist()[0]


def _count(scope: TableScope, ref: str) -> int:
    return as_int(scalar(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", ref)))


def _judge(check: Scanned, values: Values) -> Outcome:
    return check.evaluate(values) if isinstance(check, AggregateCheck) else check.evaluate_scanned(values)


def _scan_and_evaluate(scope: TableScope, aggregate: list[tuple[int, Scanned]],
                       results: dict[int, CheckResult]) -> tuple[int, int]:
    """The shared SQL scan of `aggregate` (and of the base in append mode); fills `results`; returns the
    row counts before and after."""
    aggregate, query, aliases, after_row = _scan(scope, aggregate, results)
    before_row: dict[str, Any] | None = None
    rows_before = 0
    exact = True
    if scope.base_exists and scope.base_ref is not None:
        if scope.incremental:
            try:
                before_row = scope.query(query, scope.base_ref).to_pylist()[0]
                rows_before = as_int(before_row["__rows"])
            except Exception:  # noqa: BLE001 - e.g. a column the base does not have yet
                exact = False
                rows_before = _count(scope, scope.base_ref)
        else:
            rows_before = _count(scope, scope.base_ref)
    rows_after = as_int(after_row["__rows"])

    for position, (index, check) in enumerate(aggregate):
        mapping = aliases[position]
        after = {key: after_row[alias] for key, alias in mapping.items()}
        before = None if before_row is None else {key: before_row[alias] for key, alias in mapping.items()}
        try:
            outcome = _judge(check, Values(after, before, scope, rows_before, rows_after))
            if scope.incremental and not exact and check.notes_whole_table_fallback:
                outcome.message += " (base snapshot could not be scanned: counted over the whole branch table)"
            results[index] = _result(scope, check, _status(check, outcome.ok), outcome)
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")
    return rows_before, rows_after


@dataclass
class TablePlan:
    """What the planner will do for one table's checks, decided before any scan runs (so the scans of
    several tables can be made one query per ref: `wap_notebook.checks.batching`)."""

    scope: TableScope
    checks: Sequence[Check]
    results: dict[int, CheckResult]  # filled so far: checks on columns the table lacks
    runnable: list[tuple[int, Check]]
    checks_by_index: dict[int, AggregateCheck]
    scanned: list[tuple[int, Scanned]]  # by the shared SQL scan (folded query checks included)
    folded: list[tuple[int, Scanned]]
    answered: dict[int, NewRowValues]  # by the import's partials

    @property
    def scans(self) -> bool:
        return not (self.answered and not self.scanned)

    def scan_queries(self) -> list[tuple[str, str]]:
        """(SQL, ref) of the shared scan's first queries: the branch, and the base in append mode."""
        if not self.scans:
            return []
        scope = self.scope
        sql = plan_aggregate_query(scope.fqn, [c for _, c in self.scanned], scope)[0]
        refs = [scope.branch] + ([scope.base_ref] if scope.incremental and scope.base_ref is not None else [])
        return [(sql, ref) for ref in refs]


def plan_table_checks(scope: TableScope, checks: Sequence[Check]) -> TablePlan:
    names = {name for name, _, _ in scope.fields(scope.branch) or []}
    results: dict[int, CheckResult] = {}

    runnable: list[tuple[int, Check]] = []
    for index, check in enumerate(checks):
        missing = [c for c in check.columns if c not in names]
        if missing:
            results[index] = _result(scope, check, "error", None,
                                     f"column(s) not in table {scope.table}: {', '.join(missing)}")
        else:
            runnable.append((index, check))
    checks_by_index = {index: check for index, check in runnable if isinstance(check, AggregateCheck)}

    aggregate: list[tuple[int, Scanned]] = [(i, c) for i, c in runnable if isinstance(c, AggregateCheck)]
    # Query checks whose reads can ride on the shared scan (one query per ref, not theirs besides it).
    folded: list[tuple[int, Scanned]] = [(i, c) for i, c in runnable
                                         if isinstance(c, QueryCheck) and c.scan_terms(scope)]
    # The choice: what the import computed as it wrote (partials, embedded lakehouse only) is read, the
    # rest scanned. Partials never decide alone when a scan runs anyway: both must agree on the new rows.
    found = scope.partials(request([c for _, c in aggregate]).measures) if scope.partials and aggregate else None
    answered, aggregate = answerable(scope, found, aggregate)
    if answered and not aggregate:
        folded = []  # no scan runs: they query for themselves
    else:
        aggregate = sorted(aggregate + folded, key=lambda item: item[0])
    return TablePlan(scope, checks, results, runnable, checks_by_index, aggregate, folded, answered)


def run_table_checks(scope: TableScope, checks: Sequence[Check]) -> tuple[list[CheckResult], TableStats]:
    """Run every check of one table: one aggregate scan (two in append mode: branch and base), then the
    query checks. A check that cannot run (missing column, query error) gets status "error"."""
    return run_planned(plan_table_checks(scope, checks))


def run_planned(plan: TablePlan) -> tuple[list[CheckResult], TableStats]:
    scope, checks, results, answered = plan.scope, plan.checks, plan.results, plan.answered
    if not plan.scans:
        only = next(iter(answered.values()))
        rows_before, rows_after = only.rows_before, only.rows_after
        if scope.base_exists and scope.base_ref is not None and not scope.incremental:
            rows_before = _count(scope, scope.base_ref)  # replace mode: the old table's rows, for the stats
    else:
        aggregate = plan.scanned
        rows_before, rows_after = _scan_and_evaluate(scope, aggregate, results)
        first = next(iter(answered.values()), None)
        added = rows_after - rows_before if scope.incremental else rows_after
        if first is not None and added != first.rows_after - first.rows_before:
            logger.warning("partials of %s disagree with the scan on the new rows: every check uses SQL", scope.table)
            aggregate = sorted(aggregate + [(i, plan.checks_by_index[i]) for i in answered], key=lambda item: item[0])
            answered = {}
            rows_before, rows_after = _scan_and_evaluate(scope, aggregate, results)
    for index, values in answered.items():
        answered_check = plan.checks_by_index[index]
        try:
            outcome = answered_check.evaluate(values)
            results[index] = _result(scope, answered_check, _status(answered_check, outcome.ok), outcome)
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, answered_check, "error", None, f"check failed to run: {exc}")

    done_by_scan = {index for index, _ in plan.folded}
    for index, check in plan.runnable:
        if not isinstance(check, QueryCheck) or index in done_by_scan:
            continue
        try:
            outcome = check.run(scope)
            results[index] = _result(scope, check, _status(check, outcome.ok), outcome)
        except Exception as exc:  # noqa: BLE001
            results[index] = _result(scope, check, "error", None, f"check failed to run: {exc}")

    added = rows_after - rows_before if scope.incremental else rows_after
    for index, check in enumerate(checks):
        apply_tolerance(results[index], check, added)
    return [results[i] for i in range(len(checks))], TableStats(rows_before, rows_after, added)


def apply_tolerance(result: CheckResult, check: Check, rows_added: int) -> None:
    """Re-decide a row-level check with its tolerance over the new rows; the failing rows stay listed (the
    predicate is kept), and the message gives the observed fraction, the threshold and the verdict."""
    tolerance = check.tolerance
    if tolerance is None or result.status == "error":
        return
    result.expected = f"{result.expected}; {tolerance.expected()}" if result.expected else tolerance.expected()
    if result.failing_rows is None:
        return
    ok, sentence = tolerance.verdict(int(result.failing_rows), rows_added)
    result.status = _status(check, ok)
    result.message = f"{result.message}; {sentence}" if result.message else sentence
