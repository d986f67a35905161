"""SQL over Arrow tables already in memory (an in-process DuckDB), for set operations the lakehouse's
SQL cannot do across two refs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa


def local_sql(tables: Mapping[str, pa.Table], query: str) -> pa.Table:
    """Run `query` in an in-process DuckDB over arrow tables registered under the given names.

    The connection reads only those tables: no file, no extension, no Python variable, and its settings are
    locked (check predicates reach this SQL, so it gets the same sealing as a lakehouse query)."""
    import duckdb

    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "python_enable_replacements": False, "enable_external_access": False, "lock_configuration": True,
    })
    try:
        for name, table in tables.items():
            con.register(name, table)
        relation = con.sql(query)
        to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        result: pa.Table = to_table()
        return result
    finally:
        con.close()


def scalar(table: pa.Table) -> Any:
    """The first value of the first column, or None for an empty result."""
    if table.num_rows == 0 or table.num_columns == 0:
        return None
    return table.column(0)[0].as_py()
