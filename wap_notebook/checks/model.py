"""What a check is, apart from any particular check: its two kinds, what it is given, what it returns.

- `AggregateCheck`: contributes `Aggregate` terms to one shared scan of the table and judges the
  resulting values (`evaluate`). Every term is a count, a count of distinct values, a sum, a minimum or
  a maximum, so the planner may compute it in SQL or, for the mergeable ones, from partials gathered
  while the files are imported (`Aggregate.mergeable`).
- `QueryCheck`: runs its own queries through the `TableScope` (`run`): GROUP BY checks, the user's SQL,
  catalog reads, Python functions.

The built-in checks are in `wap_notebook.checks`; the planner that runs them is
`wap_notebook.checks.planner`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pyarrow as pa

from wap_notebook.checks.tolerance import Tolerance
from wap_notebook.core.options import SEVERITIES
from wap_notebook.core.partials_contract import Measure
from wap_notebook.errors import InvalidSpec

STATUSES = ("passed", "failed", "warned", "error")
REPORT_COLUMNS = ["table", "check", "columns", "severity", "status", "observed", "expected", "failing_rows",
                  "message"]

Fields = list[tuple[str, str, bool]]  # (name, type, required) per column


@dataclass
class TableScope:
    """Everything a check may use about one table of one ingestion. Built by the engine.

    `query(sql, ref)` runs SQL on the lakehouse; `new_rows(where, limit)` returns up to `limit` rows this
    ingestion added that satisfy the SQL predicate `where` (None = all), plus whether the result is
    exactly restricted to new rows; `fields(ref)` returns the columns, or None when the table does not
    exist on that ref.
    """

    table: str
    namespace: str
    fqn: str  # quoted "ns"."table"
    mode: str  # "create" | "append" | "replace"
    branch: str
    base_ref: str | None  # from_ref@hash the branch was made from
    base_exists: bool
    query: Callable[[str, str], pa.Table]
    new_rows: Callable[[str | None, int], tuple[pa.Table, bool]]
    fields: Callable[[str], Fields | None]
    # The import's check partials for the new rows, given the measures wanted (embedded lakehouse only;
    # None on Bauplan's cloud): see wap_notebook.checks.partials. The planner decides what they answer.
    partials: Callable[[tuple[Any, ...]], Any] | None = None
    # Rows added by the last merged ingestions of this table into from_ref, newest first (None: unknown).
    history: Callable[[], list[int]] | None = None

    @property
    def incremental(self) -> bool:
        """True when new rows are the branch table minus the base table (append to an existing table)."""
        return self.mode == "append" and self.base_exists and self.base_ref is not None


AggregateFunction = Literal["count_if", "count", "count_distinct", "min", "max", "sum"]


@dataclass(frozen=True)
class Aggregate:
    """One term of the shared scan: `function` over `argument` (a SQL predicate for count_if, else a
    quoted column)."""

    key: str
    function: AggregateFunction
    argument: str

    @property
    def mergeable(self) -> bool:
        """Partials of this term over parts of the rows combine exactly (sum, min, max)."""
        return self.function != "count_distinct"

    def sql(self) -> str:
        if self.function == "count_if":
            return f"SUM(CASE WHEN {self.argument} THEN 1 ELSE 0 END)"
        if self.function == "count":
            return f"COUNT({self.argument})"
        if self.function == "count_distinct":
            return f"COUNT(DISTINCT {self.argument})"
        return f"{self.function.upper()}({self.argument})"


def as_int(value: Any) -> int:
    return 0 if value is None else int(value)


@dataclass
class Values:
    """Aggregate values of one check after (branch) and before (base snapshot, append only)."""

    after: dict[str, Any]
    before: dict[str, Any] | None
    scope: TableScope
    rows_before: int
    rows_after: int

    def new(self, key: str) -> int:
        """Count attributable to the new rows: after - before in append mode, after otherwise."""
        after = as_int(self.after.get(key))
        if self.before is None:
            return after
        return after - as_int(self.before.get(key))

    def new_number(self, key: str) -> Any:
        """A sum attributable to the new rows (int, float or Decimal as the engine returned it; NULL is 0)."""
        after = self.after.get(key) or 0
        return after if self.before is None else after - (self.before.get(key) or 0)

    @property
    def counted_rows(self) -> int:
        """The rows `new()` counts over: the new rows, or the whole branch table when an append's base could
        not be scanned (the planner says so in the message)."""
        return self.rows_after if self.scope.incremental and self.before is None else self.rows_added

    @property
    def rows_added(self) -> int:
        return self.rows_after - self.rows_before if self.scope.incremental else self.rows_after

    @property
    def whole_table_note(self) -> str:
        return " (over the whole branch table)" if self.scope.incremental else ""


@dataclass
class Outcome:
    ok: bool
    observed: Any
    failing_rows: int | None
    message: str
    predicate: str | None = None  # SQL predicate selecting failing rows, for failures()
    failing_table: pa.Table | None = None  # precomputed failing rows (custom checks)


@dataclass
class CheckResult:
    """One row of the report, plus what `Ingestion.failures()` needs to fetch the failing rows."""

    table: str
    check: str
    columns: str
    severity: str
    status: str
    observed: Any
    expected: str
    failing_rows: int | None
    message: str
    check_obj: Check | None = field(default=None, repr=False, compare=False)
    predicate: str | None = field(default=None, repr=False, compare=False)
    failing_table: pa.Table | None = field(default=None, repr=False, compare=False)

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in REPORT_COLUMNS}


class Check(ABC):
    """A named rule with a severity ("error" blocks the merge, "warn" is reported only)."""

    kind: ClassVar[str] = "check"
    #: Whether the check counts failing rows among the new rows, so that a tolerance (`mostly=`,
    #: `max_failing=`) applies to it.
    row_level: ClassVar[bool] = False
    #: Whether a fallback to whole-table counts (base not scannable) is worth a note in the message.
    notes_whole_table_fallback: ClassVar[bool] = True

    def __init__(self, columns: tuple[str, ...] | list[str] = (), *, name: str | None = None,
                 severity: str = "error", mostly: Any = None, max_failing: Any = None) -> None:
        if severity not in SEVERITIES:
            raise InvalidSpec(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")
        for column in columns:
            if not isinstance(column, str) or not column:
                raise InvalidSpec(f"{self.kind}: column names must be non-empty strings; got {column!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidSpec(f"{self.kind}: name must be a non-empty string; got {name!r}")
        if not self.row_level and (mostly is not None or max_failing is not None):
            raise InvalidSpec(f"{self.kind}: mostly= / max_failing= apply to row-level checks only "
                              "(not_null, unique, accepted_values, between, matches, ...)")
        self.columns: tuple[str, ...] = tuple(columns)
        self.severity = severity
        self._name = name
        self.tolerance = Tolerance.parse(self.kind, mostly, max_failing)

    @property
    def name(self) -> str:
        if self._name:
            return self._name
        return f"{self.kind}({', '.join(self.columns)})" if self.columns else self.kind

    def expected(self) -> str:
        return ""

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The factory's arguments that rebuild this check (besides `name` and `severity`)."""

    def to_config(self) -> dict[str, Any]:
        """This check as one item of the YAML list the magic reads (and a persisted spec stores)."""
        args = dict(self.params())
        if self._name is not None and "name" not in args:
            args["name"] = self._name
        if self.severity != "error":
            args["severity"] = self.severity
        if self.tolerance is not None:
            args.update(self.tolerance.spelled)
        return {self.kind: args}

    def cell_predicate(self, column: str) -> str | None:
        """SQL true where `column`'s cell alone makes this check fail (the panel marks those cells); None
        where one cell cannot tell (keys, cross-row and whole-table rules)."""
        return None

    def annotate_failures(self, rows: pa.Table, scope: TableScope) -> pa.Table:
        """The failing rows `failures()` returns, as the check wants them read (order, marks); as fetched by
        default."""
        return rows

    def __repr__(self) -> str:
        return f"<check {self.name} severity={self.severity}>"


class AggregateCheck(Check):
    """A check answered by terms of the table's one shared scan."""

    @abstractmethod
    def aggregates(self) -> list[Aggregate]:
        """The terms this check needs; keys are local to the check."""

    @abstractmethod
    def evaluate(self, values: Values) -> Outcome:
        """Judge the values of the terms (after, and before in append mode)."""

    def scan_terms(self, scope: TableScope) -> list[Aggregate]:
        """The terms this check adds to the shared SQL scan of `scope`: `aggregates()`, plus any that only
        this scope needs (an append's extra terms ride on the scan instead of costing queries of their own)."""
        return self.aggregates()

    def partial_measures(self) -> list[Measure]:
        """Measures an import can compute as it writes that answer this check's terms (none by default:
        the shared SQL scan answers them)."""
        return []

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        """This check's term values, keyed like `aggregates()`, from the measured `got` (one value per
        `partial_measures()` item, None where the import could not measure it); None when they cannot
        answer it."""
        return None if None in got else {"bad": got[0]}


class QueryCheck(Check):
    """A check that runs its own queries (or reads the catalog, or calls Python)."""

    @abstractmethod
    def run(self, scope: TableScope) -> Outcome:
        """Run on one table of one ingestion."""

    def scan_terms(self, scope: TableScope) -> list[Aggregate]:
        """Terms this check can read from the table's shared SQL scan instead of running its own queries
        (on Bauplan's cloud each query is a round trip); [] (the default): it runs `run`."""
        return []

    def evaluate_scanned(self, values: Values) -> Outcome:
        """Judge the values of `scan_terms` (after, and before in append mode), as `run` would have."""
        raise NotImplementedError(f"{type(self).__name__} has no scan terms")

