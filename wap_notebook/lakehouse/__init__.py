"""The embedded, Bauplan-compatible lakehouse: Iceberg tables, DuckDB queries, a SQLite commit graph."""

from wap_notebook.lakehouse.client import LocalClient, default_lakehouse_path
from wap_notebook.lakehouse.limits import QueryLimits

__all__ = ["LocalClient", "QueryLimits", "default_lakehouse_path"]
