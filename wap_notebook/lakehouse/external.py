"""What the embedded lakehouse can register as an external Iceberg table and read exactly as written.

Queries read a table version's data files by column name (lakehouse/query.py), so a registered table must be
one whose rows those files hold as they are: no delete files to apply, no column renamed or dropped since
older files were written, every data file local or on S3, and none inside the warehouse (another table's
file, which would let a query reach data its ref does not hold). Anything else is refused at registration with
the reason, instead of answering queries with rows the table does not hold.
"""

from __future__ import annotations

from pathlib import Path

from pyiceberg.schema import index_by_id

from wap_notebook.lakehouse import object_store, tables


def is_inside_warehouse(location: str, warehouse: Path) -> bool:
    """Whether `location` is a local path (or `file://` URI) that resolves, links followed, into the warehouse."""
    return (object_store.is_local_uri(location)
            and Path(location.removeprefix("file://")).expanduser().resolve().is_relative_to(warehouse.resolve()))


def inside_warehouse(paths: list[str], warehouse: Path) -> list[str]:
    """The paths among `paths` inside the warehouse.

    A query may open the data files of its ref's tables and no other (lakehouse/query.py). An external table
    that named a managed table's data file would let a query on one branch read another branch's unmerged data,
    so such files are refused at registration."""
    return [path for path in paths if is_inside_warehouse(path, warehouse)]


def read_problem(metadata_location: str, warehouse: Path) -> str | None:
    """Why the table version at `metadata_location` cannot be registered and read exactly, or None."""
    try:
        data_files = list(tables.table_files(metadata_location).data_files)
    except tables.DeleteFilesError:
        return "it has delete files (merge-on-read deletes or updates), which the embedded lakehouse cannot apply"
    table = tables.load_table_at(metadata_location)
    current = index_by_id(table.schema())
    for schema in table.metadata.schemas:
        for field_id, field in index_by_id(schema).items():
            now = current.get(field_id)
            if now is None:
                return (f"column {field.name!r} was dropped from its schema; the embedded lakehouse reads data "
                        "files by column name and would still show it")
            if now.name != field.name:
                return (f"column {field.name!r} was renamed to {now.name!r}; the embedded lakehouse reads data "
                        "files by column name")
    for path in data_files:
        if not (object_store.is_local_uri(path) or object_store.is_s3_uri(path)):
            return f"its data file {path} is neither local nor on S3"
    inside = inside_warehouse(data_files, warehouse)
    if inside:
        return (f"its data file {inside[0]} is inside the lakehouse's warehouse (another table's data file); "
                "external tables register files from outside it")
    return None
