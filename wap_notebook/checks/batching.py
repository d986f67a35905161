"""The shared scans of several tables as one query per ref.

On Bauplan's cloud each query is a round trip. A multi-table ingestion scans every table's branch version
(and base version in append mode) once; those aggregate queries are single-row, so the ones on the same ref
become one: ``SELECT * FROM (<table 1's scan>) AS s0 CROSS JOIN (<table 2's scan>) AS s1 ...``, each
table's aliases prefixed so they do not collide. Each table's planner then reads its row as if it had run
its own query. If the combined query fails (a faulty check in one table), nothing is prefetched for that ref
and each table runs its own queries, which isolate the faulty check as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pyarrow as pa

from wap_notebook.checks.planner import TablePlan, plan_aggregate_query

Query = Callable[[str, str], pa.Table]


def prefetch_scans(plans: list[TablePlan]) -> None:
    """Run the first scan queries of `plans` that share a ref as one query per ref; each plan's scope then
    answers its own scan query from that result (once) and sends every other query on as before."""
    by_ref: dict[str, list[tuple[int, TablePlan, str]]] = {}
    for number, plan in enumerate(plans):
        for sql, ref in plan.scan_queries():
            by_ref.setdefault(ref, []).append((number, plan, sql))
    answers: dict[int, dict[tuple[str, str], pa.Table]] = {}
    for ref, items in by_ref.items():
        if len(items) < 2:
            continue
        parts = []
        for number, plan, _ in items:
            scope = plan.scope
            sql = plan_aggregate_query(scope.fqn, [c for _, c in plan.scanned], scope, prefix=f"t{number}_")[0]
            parts.append(f"({sql}) AS {'s' + str(number)}")
        try:
            row = items[0][1].scope.query("SELECT * FROM " + " CROSS JOIN ".join(parts), ref).to_pylist()[0]
        except Exception:  # noqa: BLE001 - each table runs its own scan, isolating what failed
            continue
        for number, _, sql in items:
            prefix = f"t{number}_"
            own = {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix)}
            answers.setdefault(number, {})[(sql, ref)] = pa.Table.from_pylist([own])
    for number, prefetched in answers.items():
        plans[number].scope = replace(plans[number].scope, query=_answering(plans[number].scope.query, prefetched))


def _answering(query: Query, prefetched: dict[tuple[str, str], pa.Table]) -> Query:
    def answered(sql: str, ref: str) -> pa.Table:
        found = prefetched.pop((sql, ref), None)
        return found if found is not None else query(sql, ref)

    return answered
