"""The embedded, Bauplan-compatible lakehouse: Iceberg tables, DuckDB queries, a SQLite commit graph."""

from wap_notebook.lakehouse.client import LocalClient, default_lakehouse_path

__all__ = ["LocalClient", "default_lakehouse_path"]
