"""Check partials: the backend-neutral contract that travels beside Bauplan's API instead of through it.

Like `wap_notebook.core.progress` for import progress. `bauplan.Client.import_data` cannot be asked for
aggregates over the rows it writes, and the embedded lakehouse keeps the exact same signature. So:

- the caller states what it wants before calling `import_data`, in a context::

      with partials_contract.requested({"ns.table": PartialRequest(measures)}):
          client.import_data("table", uri, branch=..., namespace="ns")

  a backend that computes partials reads the request with `request_for`; the real Bauplan client ignores it;
- `lookup(client, table, namespace, ref, since_ref, wanted)` asks the reader registered for the client's
  class (`register_reader`, done by the embedded lakehouse when it is imported) for the partials of the rows
  a ref's table version added since `since_ref`. A client with no reader (Bauplan's cloud) gets None, and
  the caller runs the checks as SQL.

Only data types and plumbing live here: computing and reading partials is the backend's business
(`wap_notebook.lakehouse.partials`), so the engine and the checks need not import the lakehouse.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from wap_notebook.errors import InvalidSpec

KINDS = ("nulls", "any_null", "not_in", "out_of_range", "minmax", "not_matching", "distinct", "length_out_of_range",
         "length_minmax", "moments")


@dataclass(frozen=True)
class Measure:
    """One partial aggregate over the rows of an import.

    kinds: ``nulls`` (col), ``any_null`` (cols: rows with a NULL in any), ``not_in`` (col, arg = list:
    non-NULL values outside it), ``out_of_range`` (col, arg = [min, max], either may be None),
    ``minmax`` (col), ``not_matching`` (col, arg = regex: non-NULL values with no match), ``distinct``
    (col: [non-NULL count, distinct non-NULL values]), ``length_out_of_range`` (string col, arg = [min, max]:
    non-NULL values whose length in characters is outside), ``length_minmax`` (string col: minmax of the
    lengths), ``moments`` (numeric col: [non-NULL count, SUM(col), SUM(CAST(col AS DOUBLE) ^ 2)]).
    """

    kind: str
    columns: tuple[str, ...]
    arg: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidSpec(f"unknown partial measure {self.kind!r}")

    @property
    def key(self) -> str:
        text = json.dumps([self.kind, list(self.columns), self.arg], sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PartialRequest:
    measures: tuple[Measure, ...]


@dataclass
class NewRowPartials:
    """Merged partials of the rows a table version added: measure key -> value."""

    rows: int
    values: dict[str, Any] = field(default_factory=dict)
    snapshots: int = 0
    rows_before: int = 0  # rows of the `since_ref` version (its snapshot summary), 0 without one
    # Per integer column of a wanted `distinct` measure: (min, max) of the `since_ref` version's values from
    # its manifests, None for a base with no value in it; absent when the statistics do not prove it.
    base_bounds: dict[str, tuple[int, int] | None] = field(default_factory=dict)

    def get(self, measure: Measure) -> Any:
        return self.values.get(measure.key)


def minmax_as_duckdb(value: list[Any]) -> tuple[Any, Any]:
    """(MIN, MAX) as DuckDB computes them over the same values (NaN counts as the largest number)."""
    lo, hi, nans, nonnull = value
    if nans:
        hi = float("nan")
        if nans == nonnull:
            lo = float("nan")
    return lo, hi


# ------------------------------------------------------------------------------------------ requesting
_requests: contextvars.ContextVar[Mapping[str, PartialRequest] | None] = contextvars.ContextVar(
    "wap_partial_requests", default=None)


@contextmanager
def requested(requests: Mapping[str, PartialRequest]) -> Iterator[None]:
    """Ask the imports in this context for partials, per "namespace.table" (backends that compute none ignore it)."""
    token = _requests.set(dict(requests))
    try:
        yield
    finally:
        _requests.reset(token)


def request_for(table_key: str) -> PartialRequest | None:
    found = _requests.get()
    return None if found is None else found.get(table_key)


# ------------------------------------------------------------------------------------------ reading
Reader = Callable[[Any, str, str, str, str | None, tuple[Measure, ...]], NewRowPartials | None]
_readers: dict[type, Reader] = {}


def register_reader(client_class: type, reader: Reader) -> None:
    """Make `lookup` answer for clients of `client_class` (and its subclasses) with `reader`."""
    _readers[client_class] = reader


def lookup(client: Any, table: str, namespace: str, ref: str, since_ref: str | None,
           wanted: tuple[Measure, ...] = ()) -> NewRowPartials | None:
    """Partials of the rows `table` gained on `ref` since `since_ref` (None: since it was created).

    None when no reader is registered for the client's class (Bauplan's cloud imports remotely) or when
    the reader cannot prove the answer: the caller then uses SQL.
    """
    for cls in type(client).__mro__:
        reader = _readers.get(cls)
        if reader is not None:
            return reader(client, table, namespace, ref, since_ref, wanted)
    return None
