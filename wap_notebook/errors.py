"""The errors wap-notebook raises itself, one hierarchy with dual bases.

Every class derives from `WapError` (catch everything this package decided to refuse) *and* from the
built-in exception callers caught before it existed (`ValueError` for bad input, `RuntimeError` for an
action refused in the current state), so `except ValueError` keeps working while the panel and scripts
can tell "not allowed now" from a bug without matching message strings. Errors of the lakehouse itself
stay `bauplan.exceptions` classes (conflicts, missing branches): they are Bauplan's vocabulary.
"""

from __future__ import annotations

from typing import Any


class WapError(Exception):
    """Base of every error wap-notebook raises on purpose."""


class InvalidSpec(WapError, ValueError):
    """What the user asked is malformed (a table name, an option, a check); nothing was touched."""


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


__all__ = [
    "ActionNotAllowed", "IngestionBusy", "IngestionFailed", "InvalidSpec", "MergeRefused", "NothingImported",
    "WapError",
]
