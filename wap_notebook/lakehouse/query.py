"""Read-only SQL over lakehouse tables at a ref, on DuckDB.

Each query gets a private in-memory DuckDB connection holding one view per table of the ref the query
names, over that table version's exact Parquet data files. Before the user's SQL runs the connection is
sealed: `allowed_paths` is exactly those files, `allowed_directories` is empty, external access is off and
the configuration is locked (no statement can undo it). So the query can read the data files of its ref's
tables and no other file, whatever its text says: a path in a string literal, a quoted identifier, a table
function, a CTE that shadows a name in one scope, `ATTACH`, `COPY`, `INSTALL`/`LOAD`. That holds by
DuckDB's file-system check, not by reading the SQL; the parse below only picks which tables to expose and
refuses what is not a single SELECT with a clearer message than DuckDB's permission error would give.

DuckDB compares a path to `allowed_paths` after normalising it (`a/./b`, `a//b`, `x/../a` are the same
file), so a spelling can only reach an allowed file. Data files have unique (uuid) names and the warehouse
holds no links. Data files on S3 (external tables) are read by pyarrow, not DuckDB: each table's exact files
become a registered dataset, and DuckDB itself still cannot open any S3 object. Memory, threads and time are
bounded by `QueryLimits` (lakehouse/limits.py, watchdog.py).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from bauplan import exceptions as bx

from wap_notebook.core import background
from wap_notebook.core.sql import quote_ident as _quote
from wap_notebook.core.sql import string_literal as _string_literal
from wap_notebook.core.sql import syntax_nodes
from wap_notebook.lakehouse import object_store
from wap_notebook.lakehouse.limits import ENV_MEMORY, ENV_TIMEOUT, QueryLimits
from wap_notebook.lakehouse.tables import TableFiles
from wap_notebook.lakehouse.watchdog import Watchdog

# Table functions that compute values but touch no file or network.
_SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

TableResolver = Callable[[str, str], TableFiles | None]  # (namespace, table) -> files, or None if absent


def query_error(message: str) -> bx.BauplanQueryError:
    return bx.BauplanQueryError(message)


_parser = threading.local()


def one_value(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Any:
    """The single value of a one-row, one-column statement (DuckDB's SQL (de)serializers answer one row)."""
    row = con.execute(sql, list(params)).fetchone()
    if row is None:
        raise RuntimeError(f"DuckDB returned no row for {sql!r}")
    return row[0]


def parser_connection() -> duckdb.DuckDBPyConnection:
    """A per-thread in-memory connection used only for `json_serialize_sql`, which reads no table or file.

    Opening a DuckDB database costs 30-50 ms on a 2-core machine, about as much as validating 100K rows:
    paying it once per thread instead of once per query halves `LocalClient.query`'s fixed cost.
    """
    con = getattr(_parser, "con", None)
    if con is None:
        # Sealed too, though it only parses and renders SQL: nothing it is given can open a file.
        con = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False, "threads": 1,
            "python_enable_replacements": False, "enable_external_access": False, "lock_configuration": True})
        _parser.con = con
    return con


def _parse(sql: str) -> dict[str, Any]:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise query_error(f"Query could not be parsed: {exc}") from None
    if len(statements) != 1:
        raise query_error(f"Exactly one statement is allowed per query; got {len(statements)}")
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = str(statements[0].type).rsplit(".", 1)[-1]
        raise query_error(f"Queries are read-only: {kind} statements are not allowed")
    tree: dict[str, Any] = json.loads(one_value(parser_connection(), "SELECT json_serialize_sql(?)", sql))
    if tree.get("error"):
        raise query_error(f"Query could not be parsed: {tree.get('error_message', 'unsupported statement')}")
    return tree




def referenced_tables(sql: str) -> tuple[set[tuple[str, str]], set[str]]:
    """Tables the query names, as (schema or "", table), and names defined by its CTEs."""
    tree = _parse(sql)
    tables: set[tuple[str, str]] = set()
    cte_names: set[str] = set()
    for node in syntax_nodes(tree):
        node_type = node.get("type")
        if node_type == "BASE_TABLE":
            if node.get("catalog_name"):
                raise query_error(f"Catalog-qualified table names are not supported: {node['catalog_name']!r}")
            tables.add((node.get("schema_name") or "", node["table_name"]))
        elif node_type == "TABLE_FUNCTION":
            function = node.get("function", {}).get("function_name", "")
            if function.lower() not in _SAFE_TABLE_FUNCTIONS:
                raise query_error(
                    f"Table function {function!r} is not allowed: queries may only read lakehouse tables"
                )
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            cte_names.update(entry.get("key", "") for entry in cte_map.get("map", []))
    return tables, cte_names


def run_query(
    sql: str,
    *,
    resolve: TableResolver,
    default_namespace: str,
    limits: QueryLimits,
    max_rows: int | None = None,
) -> pa.Table:
    if not isinstance(sql, str) or not sql.strip():
        raise query_error("Query is empty")
    if background.stopping():
        raise query_error("Query not run: the process is shutting down")
    tables, cte_names = referenced_tables(sql)
    exposed = _resolve_tables(tables, cte_names, resolve, default_namespace)
    with sealed_connection(exposed, default_namespace, limits) as con:
        return _execute(con, sql, limits, max_rows)


@contextmanager
def sealed_connection(
    exposed: dict[tuple[str, str], TableFiles], default_namespace: str, limits: QueryLimits,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private DuckDB connection with one view per exposed table, sealed: whatever SQL it is given next,
    it can open only those tables' data files (and its own spill folder). The tests run hostile SQL on it
    directly, past the parse in `run_query`."""
    # DuckDB spills to this folder beyond its memory limit; it is the only folder the query could list,
    # and it holds only this query's own spill files.
    with tempfile.TemporaryDirectory(prefix="wap-query-") as spill:
        con = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "python_enable_replacements": False,  # no Python variable becomes a table
            # DuckDB's own accounting gets three quarters: the watchdog's limit on the process's growth
            # also counts what DuckDB does not (values functions build, the result), so spilling comes first.
            "memory_limit": f"{max(1, limits.memory_mb * 3 // 4)}MiB", "threads": int(limits.threads),
            "temp_directory": spill,
        })
        try:
            _create_views(con, exposed, default_namespace)
            _seal(con, exposed)
            yield con
        finally:
            con.close()


def _resolve_tables(
    tables: set[tuple[str, str]], cte_names: set[str], resolve: TableResolver, default_namespace: str,
) -> dict[tuple[str, str], TableFiles]:
    """The ref's tables the query names. Choosing which ones to expose is a convenience (a query only pays
    for the tables it reads), not the boundary: whatever the SQL says, DuckDB can open no other file."""
    exposed: dict[tuple[str, str], TableFiles] = {}
    for schema, name in sorted(tables):
        namespace = schema or default_namespace
        files = resolve(namespace, name)
        if files is None:
            if not schema and name in cte_names:
                continue  # a CTE's name, not a table (a CTE shadows a table of the same name in its scope only)
            raise query_error(f"Table {namespace}.{name} does not exist on this ref")
        exposed[(namespace, name)] = files
    return exposed


def _seal(con: duckdb.DuckDBPyConnection, exposed: dict[tuple[str, str], TableFiles]) -> None:
    """From here on DuckDB can open exactly the exposed tables' data files (and its own spill folder):
    no directory listing, no other path however spelled, and no way back (the configuration is locked)."""
    files = sorted({path for table in exposed.values() for path in table.local_files})
    if files:
        con.execute(f"SET allowed_paths=[{', '.join(_string_literal(path) for path in files)}]")
    con.execute("SET allowed_directories=[]")
    con.execute("SET enable_external_access=false")
    con.execute("SET lock_configuration=true")


def _execute(con: duckdb.DuckDBPyConnection, sql: str, limits: QueryLimits, max_rows: int | None) -> pa.Table:
    watchdog = Watchdog(con, timeout_s=float(limits.timeout_s), memory_bytes=limits.memory_bytes)
    try:
        relation = con.sql(sql)
        if max_rows is not None:
            reader = relation.to_arrow_reader(min(max(max_rows, 1), 1_000_000))
            table = pa.Table.from_batches(list(_take(reader, max_rows)), schema=reader.schema)
        else:
            table = relation.to_arrow_table()
    except duckdb.OutOfMemoryException as exc:
        raise _limit_error("memory", limits, exc) from None
    except duckdb.Error as exc:
        if watchdog.reason is not None:
            raise _limit_error(watchdog.reason, limits, exc) from None
        raise query_error(f"Query failed: {exc}") from None
    finally:
        watchdog.stop()
    if watchdog.reason is not None:  # the limit was passed inside one call that finished before it could stop
        raise _limit_error(watchdog.reason, limits, None)
    return table


def _limit_error(reason: str, limits: QueryLimits, exc: BaseException | None) -> bx.BauplanQueryError:
    if reason == "time":
        return query_error(f"Query stopped: it ran longer than its time limit of {limits.timeout_s:g} s "
                           f"(raise it with LocalClient(query_limits=QueryLimits(timeout_s=...)) or {ENV_TIMEOUT})")
    if reason == "shutdown":
        return query_error("Query stopped: the process is shutting down")
    detail = f": {str(exc).splitlines()[0]}" if exc is not None else ""
    return query_error(f"Query stopped: it needed more memory than its limit of {limits.memory_mb} MiB{detail} "
                       f"(raise it with LocalClient(query_limits=QueryLimits(memory_mb=...)) or {ENV_MEMORY})")


def _take(reader: pa.RecordBatchReader, limit: int) -> Iterator[pa.RecordBatch]:
    remaining = limit
    for batch in reader:
        if remaining <= 0:
            break
        yield batch.slice(0, remaining)
        remaining -= batch.num_rows


def _create_views(
    con: duckdb.DuckDBPyConnection, exposed: dict[tuple[str, str], TableFiles], default_namespace: str,
) -> None:
    """One view per exposed table over its exact data files (created while DuckDB may still read them)."""
    schemas: set[str] = set()
    for index, ((namespace, name), files) in enumerate(sorted(exposed.items())):
        if namespace not in schemas:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(namespace)}")
            schemas.add(namespace)
        target = f"{_quote(namespace)}.{_quote(name)}"
        remote = [object_store.s3_path(path) for path in files.s3_files]
        parts = []
        if files.local_files:
            paths = ", ".join(_string_literal(path) for path in files.local_files)
            parts.append(f"SELECT * FROM read_parquet([{paths}], union_by_name=true)")
        if remote:
            # DuckDB has no S3 reader here (no extension may load): pyarrow reads these files, and only
            # these, through a dataset registered by name; the SQL cannot name any other object.
            placeholder = f"__s3_{index}"
            con.register(placeholder, pads.dataset(remote, schema=files.schema, format="parquet",
                                                   filesystem=object_store.s3_filesystem()))
            parts.append(f"SELECT * FROM {_quote(placeholder)}")
        if not parts:
            placeholder = f"__empty_{index}"
            con.register(placeholder, files.schema.empty_table())
            parts.append(f"SELECT * FROM {_quote(placeholder)}")
        con.execute(f"CREATE VIEW {target} AS {' UNION ALL BY NAME '.join(parts)}")
    if default_namespace not in schemas:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(default_namespace)}")
    con.execute(f"SET schema={_string_literal(default_namespace)}")
