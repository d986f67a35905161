"""`QueriesMixin`: `query`, `scan` and `query_to_*` of `LocalClient`, each a QUERY job on the ledger."""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import bauplan.exceptions as bx
import pyarrow as pa

from wap_notebook.lakehouse import exports, tables
from wap_notebook.lakehouse.catalog import DEFAULT_NAMESPACE, MAIN, Resolved
from wap_notebook.lakehouse.client_core import ClientCore, _describe_error, _refuse_args
from wap_notebook.lakehouse.names import validate_identifier
from wap_notebook.lakehouse.query import query_error, run_query
from wap_notebook.lakehouse.scan import scan_sql


class QueriesMixin(ClientCore):
    """SQL queries and scans, read at one commit, and their exports to files."""

    # ------------------------------------------------------------------ queries
    def _query_ref(self, ref: Any) -> Resolved:
        """The commit a query reads. Bauplan's query service answers every failure of a query job, an unknown
        or malformed ref included, and the SDK raises each as `BauplanQueryError` with the service's message
        (`query_err` in its `src/python/query.rs`), never as a catalog error such as `RefNotFoundError`."""
        try:
            return self._resolve(ref or MAIN)
        except bx.BauplanHTTPError as exc:
            raise query_error(exc.message or str(exc)) from exc

    def _sql(self, sql: str, ref: Any, namespace: Any, max_rows: int | None, args: Any) -> pa.Table:
        """Run one query as a QUERY job on the ledger."""
        _refuse_args(args)
        resolved = self._query_ref(ref)
        state = resolved.commit.state
        default_ns = validate_identifier(getattr(namespace, "name", namespace) or DEFAULT_NAMESPACE, "namespace")

        def resolve(ns: str, name: str) -> tables.TableFiles | None:
            location = state.tables.get(f"{ns}.{name}")
            return tables.table_files(location) if location else None

        started = time.time()
        error: str | None = None
        try:
            return run_query(sql, resolve=resolve, default_namespace=default_ns, limits=self.query_limits,
                             max_rows=max_rows)
        except BaseException as exc:
            error = _describe_error(exc)
            raise
        finally:
            self._jobs.record_finished("QUERY", self.username, ref=f"{resolved.name or ''}@{resolved.commit.hash}",
                                       sql=sql, started=started, error=error)

    def query(self, /, query: Any, *, ref: Any = None, max_rows: Any = None, cache: Any = None, namespace: Any = None,
              args: Any = None, priority: Any = None, client_timeout: Any = None) -> pa.Table:
        return self._sql(query, ref, namespace, max_rows, args)

    def scan(self, /, table: Any, *, ref: Any = None, columns: Any = None, filters: Any = None, limit: Any = None,
             cache: Any = None, namespace: Any = None, args: Any = None, priority: Any = None,
             client_timeout: Any = None) -> pa.Table:
        ns, name, key = self._table_key(table, namespace)
        resolved = self._query_ref(ref)
        location = resolved.commit.state.tables.get(key)
        if location is None:  # as the query the SDK builds for a scan fails: a query error, not a catalog one
            raise query_error(f"Table {key} does not exist on this ref")
        sql = scan_sql(ns, name, tables.table_files(location).schema.names, columns, filters, limit)
        # Pin the commit just resolved, so the schema checked and the data read are the same version.
        return self._sql(sql, f"{resolved.name or ''}@{resolved.commit.hash}", ns, None, args)

    def query_to_generator(self, /, query: Any, *, ref: Any = None, max_rows: Any = None, cache: Any = None,
                           namespace: Any = None, args: Any = None, priority: Any = None,
                           client_timeout: Any = None) -> Iterator[dict[str, Any]]:
        result = self._sql(query, ref, namespace, max_rows, args)
        return (row for batch in result.to_batches() for row in batch.to_pylist())

    def query_to_parquet_file(self, /, path: Any, query: Any, *, ref: Any = None, max_rows: Any = None,
                              cache: Any = None, namespace: Any = None, args: Any = None, priority: Any = None,
                              client_timeout: Any = None) -> pathlib.Path:
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, "parquet")

    def query_to_csv_file(self, /, path: Any, query: Any, *, ref: Any = None, max_rows: Any = None, cache: Any = None,
                          namespace: Any = None, args: Any = None, priority: Any = None,
                          client_timeout: Any = None) -> pathlib.Path:
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, "csv")

    def query_to_json_file(self, /, path: Any, query: Any, *, file_format: Any = "json", ref: Any = None,
                           max_rows: Any = None, cache: Any = None, namespace: Any = None, args: Any = None,
                           priority: Any = None, client_timeout: Any = None) -> pathlib.Path:
        if file_format not in ("json", "jsonl"):
            raise ValueError(f"file_format must be 'json' or 'jsonl', got {file_format!r}")
        result = self._sql(query, ref, namespace, max_rows, args)
        return exports.write(path, result, file_format)
