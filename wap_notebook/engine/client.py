"""`LakehouseClient`: the part of `bauplan.Client`'s API the engine calls, and nothing more.

Both `bauplan.Client` and the embedded `wap_notebook.LocalClient` satisfy it (tests/unit/test_engine.py checks
it at run time, the type checker on `wap_notebook/engine/conformance.py`). Parameters the engine passes
by position are positional-only here, as in the SDK. Returned objects are typed loosely (`Any`): the
engine reads only attributes the SDK's stubs declare (`Branch.hash`, `Table.fields`, `Commit.ref.hash`,
`TableDataImportState.error` / `job_status`, ...), never ones only the embedded lakehouse has.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa


@runtime_checkable
class LakehouseClient(Protocol):
    def info(self) -> Any: ...

    def create_branch(self, branch: str, from_ref: str, /) -> Any: ...

    def has_branch(self, branch: str, /) -> bool: ...

    def get_branch(self, branch: str, /) -> Any: ...

    def get_branches(self, *, user: str | None = None) -> Iterator[Any]: ...

    def delete_branch(self, branch: str, /, *, if_exists: bool = False) -> bool: ...

    def has_namespace(self, namespace: str, ref: str, /) -> bool: ...

    def create_namespace(self, namespace: str, branch: str, /, *, commit_body: str | None = None,
                         commit_properties: dict[str, str] | None = None, if_not_exists: bool = False) -> Any: ...

    # Record commits (`wap_notebook.engine.records`) create and delete a namespace of their own.
    def delete_namespace(self, namespace: str, branch: str, /, *, if_exists: bool = False,
                         commit_body: str | None = None, commit_properties: dict[str, str] | None = None) -> Any: ...

    def get_namespaces(self, ref: str, /, *, filter_by_name: str | None = None) -> Iterator[Any]: ...

    def has_table(self, table: str, ref: str, /, *, namespace: str | None = None) -> bool: ...

    def get_table(self, table: str, ref: str, /, *, namespace: str | None = None) -> Any: ...

    def get_tables(self, ref: str, /, *, filter_by_namespace: str | None = None) -> Iterator[Any]: ...

    def create_table(self, table: str, search_uri: str, /, *, branch: str | None = None,
                     namespace: str | None = None, replace: bool | None = None) -> Any: ...

    def import_data(self, table: str, search_uri: str, /, *, branch: str | None = None,
                    namespace: str | None = None, import_duplicate_files: bool = False) -> Any: ...

    def query(self, query: str, /, *, ref: str | None = None) -> pa.Table: ...

    def merge_branch(self, source_ref: str, into_branch: str, /, *, commit_message: str | None = None,
                     commit_body: str | None = None, commit_properties: dict[str, str] | None = None) -> Any: ...

    def get_commits(self, ref: str, /, *, limit: int | None = None) -> Iterator[Any]: ...


#: The method names of the protocol, for run-time checks of a client object.
CLIENT_METHODS = tuple(
    name for name in LakehouseClient.__dict__ if not name.startswith("_") and callable(LakehouseClient.__dict__[name])
)


def table_exists(client: LakehouseClient, table: str, ref: str, *, namespace: str | None) -> bool:
    """`has_table`, with a namespace missing on `ref` read as a missing table: Bauplan (and the embedded
    lakehouse) raise `NamespaceNotFoundError` there, where an ingestion's first table simply does not exist yet."""
    from bauplan import exceptions as bx

    try:
        return bool(client.has_table(table, ref, namespace=namespace))
    except bx.NamespaceNotFoundError:
        return False
