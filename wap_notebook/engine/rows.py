"""Rows this ingestion added, without copying data.

At branch creation the engine pins the base: ``base_ref = "<from_ref>@<hash of its head>"``, and
creates the branch *from that fixed ref*. Every "before" question is then asked at ``base_ref`` (which
never moves) and every "after" question at the branch.

- create / replace mode: every row of the table on the branch is new.
- append mode: the branch table is (base table) + (new rows) as a multiset, because an import only adds
  data files. So ``rows_added = COUNT(*)@branch - COUNT(*)@base``, and for every aggregate check the
  count of failing rows is additive: ``failing(new rows) = failing@branch - failing@base`` (see
  `wap_notebook.checks.planner`).
- failing-row samples and `sample()` in append mode: the rows matching a predicate on the branch minus
  those matching on the base, computed in-process with DuckDB `EXCEPT ALL` over the two *filtered*
  result sets (only when the base has at most `ANTI_JOIN_LIMIT` matching rows; otherwise the sample is
  taken from the whole branch table and flagged as inexact).
"""

from __future__ import annotations

import logging

import pyarrow as pa

from wap_notebook.checks.model import Fields, TableScope, as_int
from wap_notebook.core import partials_contract
from wap_notebook.core.arrow_sql import local_sql, scalar
from wap_notebook.core.sql import qualified_table
from wap_notebook.engine.history import rows_added_history
from wap_notebook.engine.state import Context

logger = logging.getLogger("wap_notebook.ingestion")

ANTI_JOIN_LIMIT = 100_000
HISTORY_WINDOW = 50  # merged ingestions a check may compare the batch with


class TableRows:
    """Counts, columns and new-row samples of the ingestion's tables, on the refs the state names."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _fqn(self, table: str) -> str:
        return qualified_table(self.ctx.spec.namespace, table)

    def _query(self, sql: str, ref: str) -> pa.Table:
        return self.ctx.client.query(sql, ref=ref)

    def count(self, table: str, ref: str) -> int:
        # Metadata first: the record count of the table version (its snapshot summary), without a scan.
        try:
            records = getattr(self.ctx.facts.describe(table, ref), "records", None)
            if isinstance(records, int) and not isinstance(records, bool):
                return records
        except Exception:  # noqa: BLE001 - no usable metadata: count
            logger.debug("no record count in the metadata of %s at %s", table, ref, exc_info=True)
        return as_int(scalar(self._query(f"SELECT COUNT(*) AS n FROM {self._fqn(table)}", ref)))

    def _incremental(self, table: str) -> bool:
        state = self.ctx.state
        return state.modes.get(table) == "append" and state.base_exists.get(table, False) \
            and self.ctx.base_ref is not None

    def count_rows(self, table: str) -> None:
        """Refresh rows before / after / added of `table` in the state."""
        ctx = self.ctx
        base_ref = ctx.base_ref
        after = self.count(table, ctx.data_ref)
        before = self.count(table, base_ref) if ctx.state.base_exists.get(table) and base_ref else 0
        added = after - before if ctx.state.modes.get(table) == "append" else after
        with ctx.lock:
            ctx.state.rows_before[table], ctx.state.rows_after[table] = before, after
            ctx.state.rows_added[table] = added

    def fields(self, table: str, ref: str) -> Fields | None:
        """(column, type, required) of `table` on `ref`, or None when it does not exist there."""
        described = self.ctx.facts.describe(table, ref)
        if described is None:
            return None
        return [(f.name, str(f.type), bool(f.required)) for f in described.fields]

    def new_rows(self, table: str, where: str | None, limit: int) -> tuple[pa.Table, bool]:
        """Up to `limit` rows this ingestion added matching `where`; and whether that is exact."""
        fqn = self._fqn(table)
        cond = f" WHERE {where}" if where else ""
        limit = max(int(limit), 0)
        branch_sql = f"SELECT * FROM {fqn}{cond}"
        data_ref, base_ref = self.ctx.data_ref, self.ctx.base_ref
        if not self._incremental(table) or base_ref is None:
            return self._query(f"{branch_sql} LIMIT {limit}", data_ref), True
        try:
            matching_before = as_int(scalar(self._query(f"SELECT COUNT(*) FROM {fqn}{cond}", base_ref)))
            if matching_before == 0:
                return self._query(f"{branch_sql} LIMIT {limit}", data_ref), True
            if matching_before <= ANTI_JOIN_LIMIT:
                before = self._query(branch_sql, base_ref)
                after = self._query(f"{branch_sql} LIMIT {matching_before + limit}", data_ref)
                rows = local_sql({"after_rows": after, "before_rows": before},
                                 "SELECT * FROM (SELECT * FROM after_rows EXCEPT ALL SELECT * FROM before_rows) d "
                                 f"LIMIT {limit}")
                return rows, True
        except Exception:  # noqa: BLE001 - e.g. the base lacks a column: fall back to an inexact sample
            logger.debug("exact new-row sample failed for %s", table, exc_info=True)
        return self._query(f"{branch_sql} LIMIT {limit}", data_ref), False

    def scope(self, table: str) -> TableScope:
        """What the checks of `table` may use."""
        ctx = self.ctx
        return TableScope(
            table=table,
            namespace=ctx.spec.namespace,
            fqn=self._fqn(table),
            mode=ctx.state.modes.get(table, "create"),
            branch=ctx.data_ref,
            base_ref=ctx.base_ref,
            base_exists=ctx.state.base_exists.get(table, False),
            query=self._query,
            new_rows=lambda where, limit: self.new_rows(table, where, limit),
            fields=lambda ref: self.fields(table, ref),
            partials=lambda wanted: partials_contract.lookup(
                self.ctx.client, table, self.ctx.spec.namespace, self.ctx.data_ref,
                self.ctx.base_ref if self._incremental(table) else None, wanted),
            history=lambda: rows_added_history(self.ctx.client, table, namespace=self.ctx.spec.namespace,
                                               ref=self.ctx.spec.from_ref, limit=HISTORY_WINDOW),
        )
