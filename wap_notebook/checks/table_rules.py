"""Rules that run queries of their own, read the catalog or call Python: schema_compatible,
no_duplicates_with, sql, custom."""


from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from wap_notebook.checks.model import (
    Aggregate,
    Outcome,
    QueryCheck,
    TableScope,
    Values,
    as_int,
)
from wap_notebook.core.arrow_sql import local_sql, scalar
from wap_notebook.core.sql import (
    columns_list,
    keys_predicate,
    quote_ident,
    strip_statement,
    validate_ref,
)
from wap_notebook.errors import InvalidSpec

# Bounds on what the engine pulls into Python.
CUSTOM_MAX_ROWS = 100_000
FAILING_KEYS_SAMPLE = 50


class SchemaCompatible(QueryCheck):
    kind = "schema_compatible"

    def __init__(self, **kw: Any) -> None:
        super().__init__((), **kw)

    def expected(self) -> str:
        return "no dropped or retyped columns"

    def params(self) -> dict[str, Any]:
        return {}

    def run(self, scope: TableScope) -> Outcome:
        return self._judge(scope, lambda columns: self._missing_in_new_rows(scope, columns))

    def scan_terms(self, scope: TableScope) -> list[Aggregate]:
        """Append mode: the non-NULL count of every column the base and the branch share, read by the shared
        scan on both refs (the new rows' count is the difference), instead of two queries of its own."""
        if not scope.incremental:
            return []
        return [Aggregate(f"v{i}", "count", quote_ident(c)) for i, c in enumerate(self._shared_columns(scope))]

    def evaluate_scanned(self, values: Values) -> Outcome:
        def missing(columns: list[str]) -> list[str]:
            if values.before is None or values.rows_added <= 0:  # base not scannable, or no new row
                return []
            return [c for i, c in enumerate(columns)
                    if as_int(values.before.get(f"v{i}")) > 0 and values.new(f"v{i}") == 0]

        return self._judge(values.scope, missing)

    @staticmethod
    def _shared_columns(scope: TableScope) -> list[str]:
        """Columns of the base that the branch still has, in the base's order."""
        if scope.base_ref is None:
            return []
        after = {name for name, _, _ in (scope.fields(scope.branch) or [])}
        return [name for name, _, _ in (scope.fields(scope.base_ref) or []) if name in after]

    def _judge(self, scope: TableScope, missing_in_new_rows: Callable[[list[str]], list[str]]) -> Outcome:
        if not scope.base_exists or scope.base_ref is None:
            return Outcome(True, "new table", None, "The table is new: nothing to be compatible with")
        before = scope.fields(scope.base_ref) or []
        after = {name: typ for name, typ, _ in (scope.fields(scope.branch) or [])}
        dropped = [name for name, _, _ in before if name not in after]
        retyped = [f"{name} ({typ} -> {after[name]})" for name, typ, _ in before
                   if name in after and str(after[name]) != str(typ)]
        before_names = {name for name, _, _ in before}
        added = [name for name in after if name not in before_names]
        problems = []
        if dropped:
            problems.append("dropped: " + ", ".join(dropped))
        if retyped:
            problems.append("retyped: " + ", ".join(retyped))
        missing = missing_in_new_rows(self._shared_columns(scope)) if scope.incremental else []
        if missing:
            problems.append("missing from the new data: " + ", ".join(missing))
        note = ("; added: " + ", ".join(added)) if added else ""
        # What was compared, so a reader can see the schemas without opening the catalog.
        seen = (f". Found: {_schema_text(list(after.items()))}; expected (as on {scope.base_ref}): "
                f"{_schema_text([(name, typ) for name, typ, _ in before])}")
        if problems:
            return Outcome(False, "; ".join(problems), len(dropped) + len(retyped) + len(missing),
                           "Schema changed vs the base: " + "; ".join(problems) + note + seen)
        return Outcome(True, f"compatible ({len(before)} columns as on the base{note})", 0,
                       "Schema compatible with the base" + note + seen)

    @staticmethod
    def _missing_in_new_rows(scope: TableScope, columns: list[str]) -> list[str]:
        """Append mode: an import fills columns its files lack with NULL, so the table schema cannot show
        the drift. A column that has values on the base but none in the new rows was dropped upstream."""
        if not scope.incremental or not columns or scope.base_ref is None:
            return []
        exprs = ", ".join(f"COUNT({quote_ident(c)}) AS {quote_ident(f'v{i}')}" for i, c in enumerate(columns))
        query = f'SELECT COUNT(*) AS "__rows", {exprs} FROM {scope.fqn}'
        after = scope.query(query, scope.branch).to_pylist()[0]
        before = scope.query(query, scope.base_ref).to_pylist()[0]
        if as_int(after["__rows"]) - as_int(before["__rows"]) <= 0:
            return []
        return [c for i, c in enumerate(columns)
                if as_int(before[f"v{i}"]) > 0 and as_int(after[f"v{i}"]) - as_int(before[f"v{i}"]) == 0]


_SCHEMA_TEXT_COLUMNS = 30  # a wider schema is cut, with how many columns were left out


def _schema_text(fields: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{name} {typ}" for name, typ in fields[:_SCHEMA_TEXT_COLUMNS])
    more = len(fields) - _SCHEMA_TEXT_COLUMNS
    return shown + (f" ... and {more} more" if more > 0 else "")


class NoDuplicatesWith(QueryCheck):
    """New rows whose key already exists on `ref`.

    Runs as GROUP BY queries whose key lists are compared in-process (DuckDB): key counts on the branch,
    minus key counts on the base snapshot in append mode (= keys of the new rows), joined with the
    distinct keys on `ref`. This downloads keys (not rows); fine up to a few million keys.
    """

    kind = "no_duplicates_with"
    row_level = True

    def __init__(self, ref: str = "main", key: Sequence[str] = (), **kw: Any) -> None:
        if isinstance(key, str):
            key = [key]
        if not key:
            raise InvalidSpec("no_duplicates_with needs key=[column, ...]")
        super().__init__(tuple(key), **kw)
        self.ref = validate_ref(ref, "ref")

    @property
    def name(self) -> str:
        return self._name or f"no_duplicates_with({self.ref}: {', '.join(self.columns)})"

    def expected(self) -> str:
        return f"no key already on {self.ref}"

    def params(self) -> dict[str, Any]:
        return {"ref": self.ref, "key": list(self.columns)}

    def run(self, scope: TableScope) -> Outcome:
        cols = columns_list(self.columns)
        not_null = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.columns)
        counts = f"SELECT {cols}, COUNT(*) AS __n FROM {scope.fqn} WHERE {not_null} GROUP BY {cols}"
        after = scope.query(counts, scope.branch)
        before = scope.query(counts, scope.base_ref) if scope.incremental and scope.base_ref else None
        if scope.fields(self.ref) is None:
            return Outcome(True, 0, 0, f"Table does not exist on {self.ref}: no existing keys")
        existing = scope.query(f"SELECT DISTINCT {cols} FROM {scope.fqn} WHERE {not_null}", self.ref)
        registered = {"a_keys": after, "e_keys": existing}
        if before is not None:
            registered["b_keys"] = before
            new_keys = (f"SELECT {cols}, a.__n - COALESCE(b.__n, 0) AS __n FROM a_keys a "
                        f"LEFT JOIN b_keys b USING ({cols}) WHERE a.__n - COALESCE(b.__n, 0) > 0")
        else:
            new_keys = "SELECT * FROM a_keys"
        joined = f"SELECT {cols}, k.__n FROM ({new_keys}) k SEMI JOIN e_keys USING ({cols})"
        total = local_sql(registered, f"SELECT COALESCE(SUM(__n), 0) FROM ({joined}) j").column(0)[0].as_py()
        sample = local_sql(registered, f"SELECT {cols} FROM ({joined}) j LIMIT {FAILING_KEYS_SAMPLE}")
        total = int(total)
        predicate = keys_predicate(self.columns, sample.to_pylist()) if sample.num_rows else None
        return Outcome(total == 0, total, total,
                       f"{total} new rows have a key already on {self.ref}", predicate)


class Sql(QueryCheck):
    """Rows returned by the user's query are failures. It runs over the branch (whole table)."""

    kind = "sql"

    def __init__(self, name: str, query: str, **kw: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidSpec("sql check needs a name")
        super().__init__((), name=name, **kw)
        self.query = strip_statement(query)

    def expected(self) -> str:
        return "0 rows"

    def params(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query}

    def render(self, scope: TableScope) -> str:
        return self.query.replace("{table}", scope.fqn)

    def run(self, scope: TableScope) -> Outcome:
        inner = self.render(scope)
        count = as_int(scalar(scope.query(f"SELECT COUNT(*) AS n FROM ({inner}) AS q", scope.branch)))
        return Outcome(count == 0, count, count, f"query returned {count} rows (on the whole branch table)")


class Custom(QueryCheck):
    kind = "custom"

    def __init__(self, name: str, fn: Callable[[pa.Table], Any], **kw: Any) -> None:
        if not callable(fn):
            raise InvalidSpec("custom check needs a callable fn(pyarrow.Table) -> bool | (bool, observed)")
        if not isinstance(name, str) or not name.strip():
            raise InvalidSpec("custom check needs a name")
        super().__init__((), name=name, **kw)
        self.fn = fn

    def expected(self) -> str:
        return "fn returns True"

    def params(self) -> dict[str, Any]:
        """`fn` by name: a persisted spec or a YAML cell resolves it in the notebook's namespace."""
        return {"name": self.name, "fn": getattr(self.fn, "__name__", repr(self.fn))}

    def run(self, scope: TableScope) -> Outcome:
        rows, exact = scope.new_rows(None, CUSTOM_MAX_ROWS)
        result = self.fn(rows)
        observed: Any = None
        if isinstance(result, tuple):
            if len(result) != 2:
                raise InvalidSpec(f"custom check {self.name!r} must return bool or (bool, observed)")
            result, observed = result
        ok = bool(result)
        failing_table = None
        failing = None
        if observed is not None and hasattr(observed, "num_rows"):
            failing_table, failing = observed, observed.num_rows
            observed = f"{failing} rows"
        elif observed is not None and hasattr(observed, "to_records") and hasattr(observed, "columns"):
            failing_table = pa.Table.from_pandas(observed, preserve_index=False)
            failing = failing_table.num_rows
            observed = f"{failing} rows"
        note = "" if exact else " (sample of the branch table: new rows could not be isolated)"
        return Outcome(ok, observed, failing, f"fn ran on {rows.num_rows} rows{note}",
                       failing_table=failing_table)
