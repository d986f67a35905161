"""`Inspection`: read-only views of what an ingestion imported (sample, diff, schemas, failing rows).

Reached as `ingestion.inspect`; the `Ingestion` methods of the same names delegate here.
"""

from __future__ import annotations

import pandas as pd

from wap_notebook import checks as ck
from wap_notebook.checks.model import REPORT_COLUMNS, CheckResult
from wap_notebook.core.frames import to_frame
from wap_notebook.core.sql import qualified_table
from wap_notebook.engine.explore import Suggestions, explore, profile_frame, suggest
from wap_notebook.engine.history import HISTORY_COLUMNS, merged_ingestions
from wap_notebook.engine.phases import Phase
from wap_notebook.engine.profiles import TableProfile, profile_table
from wap_notebook.engine.state import Context
from wap_notebook.engine.steps import Steps
from wap_notebook.errors import InvalidSpec, NothingImported

_MAX_FAILING_ROWS = 10_000


class Inspection:
    def __init__(self, ctx: Context, steps: Steps) -> None:
        self._ctx = ctx
        self._steps = steps
        self._rows = steps.rows


    def moved_tables(self) -> list[str]:
        """This ingestion's tables that changed on `from_ref` since the fork: a merge conflicts on them;
        commits that touched only other tables do not matter ([] before there is a branch)."""
        from wap_notebook.engine import conflicts

        return conflicts.tables_moved(self._ctx) if self._ctx.state.branch_created else []
    def report(self) -> pd.DataFrame:
        """One row per check: status, observed, expected, failing rows, message."""
        with self._ctx.lock:
            rows = [r.as_row() for r in self._ctx.state.results]
        frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        if rows:
            frame["failing_rows"] = frame["failing_rows"].astype("Int64")
        return frame

    def _require_data(self, what: str) -> None:
        state = self._ctx.state
        if not state.imported or state.phase == Phase.DISCARDED:
            raise NothingImported(f"Cannot {what} in phase {state.phase.value!r}: nothing imported on a live branch")

    def _table_arg(self, table: str | None) -> str:
        tables = self._ctx.spec.tables
        if table is None:
            return tables[0]
        if table not in tables:
            raise InvalidSpec(f"Unknown table {table!r}; this ingestion has {', '.join(tables)}")
        return table

    def find_result(self, check: str | int) -> CheckResult:
        """A report row by check name, "table.check", check kind, or row index."""
        state = self._ctx.state
        results = state.results
        if not results:
            raise NothingImported(f"No report yet (phase {state.phase.value!r}): run validate() first")
        if isinstance(check, int) and not isinstance(check, bool):
            if not 0 <= check < len(results):
                raise InvalidSpec(f"Report row {check} does not exist (0..{len(results) - 1})")
            return results[check]
        if not isinstance(check, str):
            raise InvalidSpec(f"check must be a name or a report row index; got {check!r}")
        for matcher in (
            lambda r: r.check == check,
            lambda r: f"{r.table}.{r.check}" == check,
            lambda r: r.check_obj is not None and r.check_obj.kind == check,
            lambda r: r.check_obj is not None and f"{r.table}.{r.check_obj.kind}" == check,
        ):
            found = [r for r in results if matcher(r)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                names = ", ".join(f"{r.table}.{r.check}" for r in found)
                raise InvalidSpec(f"{check!r} matches several checks ({names}); use 'table.check' or a row index")
        names = ", ".join(f"{r.table}.{r.check}" for r in results)
        raise InvalidSpec(f"No check {check!r}; checks are: {names}")

    def failures(self, check: str | int, n: int = 20) -> pd.DataFrame:
        """Up to `n` failing rows of a check (by name, "table.check", kind, or report row index).

        Rows come from the new rows only (see `wap_notebook.engine.rows`); for `unique` they are every row
        sharing a repeated key, grouped by key, and in append mode they include the existing rows the batch
        collides with, marked by an `on_main` column (True: already on the base). `sql` checks return the
        query's rows; `row_count` / `schema_compatible` none."""
        result = self.find_result(check)
        n = max(0, min(int(n), _MAX_FAILING_ROWS))
        if result.failing_table is not None:
            return to_frame(result.failing_table.slice(0, n))
        self._require_data("fetch failing rows")
        obj = result.check_obj
        if isinstance(obj, ck.Sql):
            scope = self._rows.scope(result.table)
            return to_frame(self._ctx.client.query(f"SELECT * FROM ({obj.render(scope)}) AS q LIMIT {n}",
                                                   ref=self._ctx.data_ref))
        if result.predicate and (result.status != "passed" or result.failing_rows):  # tolerated ones too
            rows, _ = self._rows.new_rows(result.table, result.predicate, n)
            if obj is not None:
                rows = obj.annotate_failures(rows, self._rows.scope(result.table))
            return to_frame(rows)
        return pd.DataFrame()

    def column_profile(self, table: str | None = None) -> pd.DataFrame:
        """One row per column of the new rows beside from_ref: see `wap_notebook.engine.explore`."""
        self._require_data("profile")
        return profile_frame(explore(self._rows.scope(self._table_arg(table))))

    def suggest_checks(self, table: str | None = None) -> Suggestions:
        """Checks proposed from from_ref's data, the table's history and the new rows."""
        self._require_data("suggest checks")
        scope = self._rows.scope(self._table_arg(table))
        return suggest(explore(scope), scope.history() if scope.history is not None else [])

    def history(self, table: str | None = None, limit: int = 50) -> pd.DataFrame:
        """The merged ingestions of (the first, or `table`) table on from_ref, newest first: what
        `wap_notebook.history` returns, read with this ingestion's client and namespace."""
        spec = self._ctx.spec
        rows = merged_ingestions(self._ctx.client, self._table_arg(table), namespace=spec.namespace,
                                 ref=spec.from_ref, limit=limit)
        return pd.DataFrame(rows, columns=HISTORY_COLUMNS)

    def query(self, sql: str, table: str | None = None) -> pd.DataFrame:
        """The user's SQL on the ingestion's branch (the merge commit once merged): `{table}` names the
        ingestion's (first, or `table=`) table, quoted; `{name}` any of its tables by name. The lakehouse's
        query sandbox runs it as it runs any query."""
        if not isinstance(sql, str) or not sql.strip():
            raise InvalidSpec("query needs SQL text, e.g. \"SELECT carrier, COUNT(*) FROM {table} GROUP BY 1\"")
        self._require_data("query")
        spec = self._ctx.spec
        text = sql.replace("{table}", qualified_table(spec.namespace, self._table_arg(table)))
        for name in spec.tables:
            text = text.replace("{" + name + "}", qualified_table(spec.namespace, name))
        return to_frame(self._ctx.client.query(text, ref=self._ctx.data_ref))

    def sample(self, n: int = 10, table: str | None = None) -> pd.DataFrame:
        """Up to `n` rows this ingestion added (first table by default)."""
        self._require_data("sample")
        rows, _ = self._rows.new_rows(self._table_arg(table), None, max(0, int(n)))
        return to_frame(rows)

    def diff(self) -> pd.DataFrame:
        """Per table: rows_before / rows_after / rows_added and added / removed / retyped columns."""
        self._require_data("diff")
        ctx, state = self._ctx, self._ctx.state
        out = []
        for table in ctx.spec.tables:
            self._rows.count_rows(table)
            base_ref = ctx.base_ref
            before = self._rows.fields(table, base_ref) if state.base_exists.get(table) and base_ref else []
            after = self._rows.fields(table, ctx.data_ref) or []
            b = {name: typ for name, typ, _ in before or []}
            a = {name: typ for name, typ, _ in after}
            out.append({
                "table": table,
                "mode": state.modes.get(table),
                "rows_before": state.rows_before.get(table, 0),
                "rows_after": state.rows_after.get(table, 0),
                "rows_added": state.rows_added.get(table, 0),
                "added_columns": [c for c in a if c not in b] if b else [],
                "removed_columns": [c for c in b if c not in a],
                "retyped_columns": [f"{c}: {b[c]} -> {a[c]}" for c in a if c in b and b[c] != a[c]],
            })
        return pd.DataFrame(out)

    def profile(self, table: str | None = None) -> TableProfile:
        """New rows vs the base ref for each column a check touches (what the panel's charts draw)."""
        self._require_data("profile columns")
        name = self._table_arg(table)
        version = self._steps.table_version(name, self._ctx.data_ref)
        return profile_table(self._rows.scope(name), self._steps.effective_checks(name),
                             snapshot_id=version and version[1])

    def schemas(self) -> dict[str, pd.DataFrame]:
        """Per table: column, type, required on the branch (or the merge commit)."""
        self._require_data("read schemas")
        return {t: pd.DataFrame(self._rows.fields(t, self._ctx.data_ref) or [], columns=["column", "type", "required"])
                for t in self._ctx.spec.tables}


class InspectionMethods:
    """The facade's reading methods (`Ingestion.failures`, `sample`, `diff`, `profile`, `suggest_checks`,
    `query`, `schemas`): what an ingestion holds, read through its `Inspection`, kept apart from the
    methods that act on it."""

    inspect: Inspection

    def failures(self, check: str | int, n: int = 20) -> pd.DataFrame:
        """Up to `n` failing rows of a check; see `Inspection.failures`.

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            InvalidSpec: no such check (by name, `table.check` or report row), or no report yet.
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.failures(check, n)

    def sample(self, n: int = 10, table: str | None = None) -> pd.DataFrame:
        """Up to `n` rows this ingestion added (first table by default).

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            InvalidSpec: `table` is not one of this ingestion's tables.
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.sample(n, table)

    def diff(self) -> pd.DataFrame:
        """Per table: rows_before / rows_after / rows_added and added / removed / retyped columns.

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.diff()

    def profile(self, table: str | None = None) -> pd.DataFrame:
        """One row per column of the new rows beside `main` (`wap_notebook.engine.explore.profile_frame`).

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            InvalidSpec: `table` is not one of this ingestion's tables.
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.column_profile(table)

    def suggest_checks(self, table: str | None = None) -> Suggestions:
        """Checks that pass on `main`: `.yaml` for a cell, `.checks` for `validate(checks=...)` (see `explore`).

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            InvalidSpec: `table` is not one of this ingestion's tables.
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.suggest_checks(table)

    def query(self, sql: str, table: str | None = None) -> pd.DataFrame:
        """`sql` on the branch as a DataFrame; `{table}` names the (first, or `table=`) table, `{name}` any.

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            InvalidSpec: no SQL text, or `table` is not one of this ingestion's tables.
            bauplan.exceptions.BauplanQueryError: the query failed (bad SQL, an unknown table, a limit reached).
        """
        return self.inspect.query(sql, table)

    def schemas(self) -> dict[str, pd.DataFrame]:
        """Per table: column, type, required on the branch (or the merge commit).

        Raises:
            NothingImported: no data on a live branch yet (before the import, or after a discard).
            bauplan.exceptions.BauplanError: the lakehouse refused a read (e.g. the branch was deleted elsewhere).
        """
        return self.inspect.schemas()
