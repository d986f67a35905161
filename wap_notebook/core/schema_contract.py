"""The schema of source files before any import: a backend-neutral side channel beside Bauplan's API.

Bauplan's client has no call that infers a schema without creating something (`plan_table_creation` on a
branch, applied at once when it has no conflicts), and the engine must know a new table's columns before
any branch exists to refuse a check on a column the files lack. So, as with check partials
(`partials_contract.py`), the backend that can answer registers a reader for its client class
(`register_reader`, done by the embedded lakehouse when it is imported: its own schema inference over the
Parquet footers and the first block of CSV / JSON Lines files), and `source_columns` asks it. A client with
no reader (Bauplan's cloud) gets None, and the columns are checked against the table after the import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Columns = list[tuple[str, str]]  # (name, type as the backend writes it) per column, in file order
Reader = Callable[[Any, str], Columns | None]

_readers: dict[type, Reader] = {}


def register_reader(client_class: type, reader: Reader) -> None:
    """Make `source_columns` answer for clients of `client_class` (and its subclasses) with `reader`."""
    _readers[client_class] = reader


def source_columns(client: Any, search_uri: str) -> Columns | None:
    """The columns an import of `search_uri` would create, or None when the backend cannot say up front
    (no reader, or the files cannot be read: the import then reports that, with its own message)."""
    for cls in type(client).__mro__:
        reader = _readers.get(cls)
        if reader is not None:
            return reader(client, search_uri)
    return None
