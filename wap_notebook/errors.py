"""The errors wap-notebook raises itself, one hierarchy with dual bases.

Every class derives from `WapError` (catch everything this package decided to refuse) *and* from the
built-in exception callers caught before it existed (`ValueError` for bad input, `RuntimeError` for an
action refused in the current state), so `except ValueError` keeps working while the panel and scripts
can tell "not allowed now" from a bug without matching message strings. Errors of the lakehouse itself
stay `bauplan.exceptions` classes (conflicts, missing branches): they are Bauplan's vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bauplan import exceptions as bx


class WapError(Exception):
    """Base of every error wap-notebook raises on purpose."""


class InvalidSpec(WapError, ValueError):
    """What the user asked is malformed (a table name, an option, a check); nothing was touched."""


class InvalidType(WapError, TypeError):
    """A value of a type wap-notebook cannot use where it was given (e.g. as a SQL literal)."""


class ActionNotAllowed(WapError, RuntimeError):
    """The action is not legal in the ingestion's current phase, or another action is running."""


class IngestionBusy(ActionNotAllowed):
    """Another action is still running on this ingestion."""


class NothingImported(ActionNotAllowed):
    """Inspection needs imported data on a live branch, and there is none."""


class MergeRefused(ActionNotAllowed):
    """The gate: the checks did not pass, and no override with a reason was given."""


class IngestionFailed(WapError, RuntimeError):
    """The ingestion failed (import or checks); `.ingestion` holds the details (report, branch)."""

    def __init__(self, message: str, ingestion: Any) -> None:
        super().__init__(message)
        self.ingestion = ingestion


class IngestionConflict(bx.MergeConflictError, WapError):
    """The batch cannot be published as it is: a table it writes changed on `from_ref` since the fork.
    A project error (`WapError`) that still is the SDK's `MergeConflictError`, so callers that caught the
    SDK's class keep working. Built with `wap_notebook.engine.conflicts.conflict_error(...)`."""

    tables: list[str]
    from_ref: str
    base: str | None
    head: str | None
    moved: int
    branch: str
    readable: str

    @classmethod
    def make(cls, *, tables: Sequence[str], from_ref: str, base: str | None, head: str | None, moved: int,
             branch: str, message: str) -> IngestionConflict:
        # the SDK's exception classes construct from (code, type, message) only
        error = cls(409, "MERGE_CONFLICT", message)
        error.tables, error.from_ref, error.base, error.head = list(tables), from_ref, base, head
        error.moved, error.branch, error.readable = moved, branch, message
        return error

    def __str__(self) -> str:
        return getattr(self, "readable", None) or super().__str__()


class BackendUnavailable(WapError, ConnectionError):
    """The chosen backend cannot be used (unreachable, or not configured). The message is one line that
    names the backend and the way out; the SDK's own text (a transport dump) is reduced to its reason."""


class LakehouseNotFound(BackendUnavailable, FileNotFoundError):
    """No lakehouse where one was to be opened for reading (resume, list, show): none is created as a side
    effect. The message names the path, where it looked, and how to point at the right one."""


class BranchNotFound(InvalidSpec):
    """The import branch to resume does not exist in the lakehouse that was opened (the message says which)."""


class DemoFailed(WapError, RuntimeError):
    """`make demo` did not reach the outcome it shows (its S3 server, or an ingestion, misbehaved)."""


__all__ = [
    "BackendUnavailable", "BranchNotFound", "DemoFailed", "LakehouseNotFound", "IngestionConflict", "InvalidType",
    "ActionNotAllowed", "IngestionBusy", "IngestionFailed", "InvalidSpec", "MergeRefused", "NothingImported",
    "WapError",
]
