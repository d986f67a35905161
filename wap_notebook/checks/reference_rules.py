"""references: the new rows' values (non-NULL) exist in another table, read on the ingestion's own branch so
that tables imported together are checked together (dbt's `relationships`)."""

from __future__ import annotations

from typing import Any

from wap_notebook.checks.model import Outcome, QueryCheck, TableScope, as_int
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.naming import validate_identifier
from wap_notebook.core.sql import quote_ident
from wap_notebook.errors import InvalidSpec

SHOWN_VALUES = 5


class References(QueryCheck):
    """Failing rows are new rows whose value is not among the referenced column's values on the branch.

    In append mode the count is exact without reading rows: per missing value, rows on the branch minus rows
    on the base snapshot (an append only adds rows), so a reference that gained the value in the same
    ingestion makes the old rows pass too."""

    kind = "references"
    row_level = True

    def __init__(self, column: str, table: str, to_column: str | None = None, **kw: Any) -> None:
        super().__init__((column,), **kw)
        self.table = validate_identifier(table, "references: table")
        if to_column is not None and (not isinstance(to_column, str) or not to_column):
            raise InvalidSpec(f"references: to_column must be a column name; got {to_column!r}")
        self.to_column = to_column or column

    @property
    def name(self) -> str:
        return self._name or f"references({self.columns[0]} -> {self.table}.{self.to_column})"

    def expected(self) -> str:
        return f"values in {self.table}.{self.to_column}"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "table": self.table, "to_column": self.to_column}

    def _target(self, fqn: str) -> str:
        namespace = fqn.rsplit(".", 1)[0]  # the checked table's quoted namespace: identifiers have no dot
        return f"{namespace}.{quote_ident(self.table)}"

    def failing_predicate(self, fqn: str) -> str:
        col, to = quote_ident(self.columns[0]), quote_ident(self.to_column)
        return f"{col} IS NOT NULL AND {col} NOT IN (SELECT {to} FROM {self._target(fqn)} WHERE {to} IS NOT NULL)"

    def run(self, scope: TableScope) -> Outcome:
        col, to = quote_ident(self.columns[0]), quote_ident(self.to_column)
        try:
            scope.query(f"SELECT {to} FROM {self._target(scope.fqn)} LIMIT 0", scope.branch)
        except Exception as exc:  # noqa: BLE001 - said in the report as the reason
            raise InvalidSpec(f"references: cannot read {self.table}.{self.to_column} on the branch: {exc}") from None
        predicate = self.failing_predicate(scope.fqn)
        missing = scope.query(f"SELECT {col} AS v, COUNT(*) AS n FROM {scope.fqn} WHERE {predicate} GROUP BY {col}",
                              scope.branch)
        if scope.incremental and scope.base_ref and missing.num_rows:
            before = scope.query(f"SELECT {col} AS v, COUNT(*) AS n FROM {scope.fqn} WHERE {col} IS NOT NULL "
                                 f"GROUP BY {col}", scope.base_ref)
            missing = local_sql({"a": missing, "b": before},
                                "SELECT a.v, a.n - COALESCE(b.n, 0) AS n FROM a LEFT JOIN b ON a.v = b.v "
                                "WHERE a.n - COALESCE(b.n, 0) > 0 ORDER BY n DESC")
        failing = sum(as_int(n) for n in missing.column("n").to_pylist()) if missing.num_rows else 0
        values = [repr(v) for v in missing.column("v").to_pylist()[:SHOWN_VALUES]] if missing.num_rows else []
        more = ", ..." if missing.num_rows > SHOWN_VALUES else ""
        detail = f"; unknown values: {', '.join(values)}{more}" if values else ""
        return Outcome(failing == 0, failing, failing,
                       f"{failing} new rows with {self.columns[0]} not in {self.table}.{self.to_column}{detail}",
                       predicate)
