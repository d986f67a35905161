"""Two ingestions into one table: see that `from_ref` moved before merging, and say so readably.

`main moved 2 commits since this import` is shown before the merge is attempted; a conflict is an
`IngestionConflict`, which still is a `bauplan.exceptions.MergeConflictError` (callers that caught the SDK's
class keep working) but whose message names the tables, both commits, how far `from_ref` moved, and the
way forward (`ingestion.rebase()`, or `on_conflict="rebase"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bauplan import exceptions as bx

from wap_notebook.errors import WapError
from wap_notebook.records import commit_hash

MOVED_LIMIT = 1000  # commits read from from_ref to count how far it moved


def commits_since(client: Any, ref: str, base_hash: str | None) -> int:
    """How many commits `ref` has on top of `base_hash`, along first parents: a merged ingestion counts as
    one (its merge commit), not as the commits of its branch. 0 when it did not move; MOVED_LIMIT at most."""
    if not base_hash:
        return 0
    commits = list(client.get_commits(ref, limit=MOVED_LIMIT))
    by_hash = {commit_hash(c): c for c in commits}
    current = commits[0] if commits else None
    count = 0
    while current is not None and count < MOVED_LIMIT:
        if commit_hash(current) == base_hash:
            return count
        count += 1
        parents = list(getattr(current, "parent_hashes", None) or [])
        current = by_hash.get(parents[0]) if parents else None
    return MOVED_LIMIT if current is not None else count


def moved_text(from_ref: str, moved: int) -> str:
    if moved <= 0:
        return f"{from_ref} has not moved since this import"
    plural = "commit" if moved == 1 else "commits"
    more = "+" if moved >= MOVED_LIMIT else ""
    return f"{from_ref} moved {moved}{more} {plural} since this import"


class IngestionConflict(bx.MergeConflictError, WapError):
    """The batch cannot be published as it is: a table it writes changed on `from_ref` since the fork.
    A project error (`WapError`) that still is the SDK's `MergeConflictError`.

    Built with `IngestionConflict.make(...)`: the SDK's exception classes construct from
    `(code, type, message)` only."""

    tables: list[str]
    from_ref: str
    base: str | None
    head: str | None
    moved: int
    branch: str

    @classmethod
    def make(cls, *, tables: Sequence[str], from_ref: str, base: str | None, head: str | None, moved: int,
             branch: str) -> IngestionConflict:
        names = ", ".join(tables) or "the tables"
        message = (f"{names} changed on {from_ref} since this import ({moved_text(from_ref, moved)}: "
                   f"{_short(base)} -> {_short(head)}). Nothing was merged; branch {branch} is kept. "
                   "Re-import the same files on the new head with ingestion.rebase() (the Rebase button, or "
                   "on_conflict='rebase' / --on-conflict rebase for unattended runs), or discard it.")
        error = cls(409, "MERGE_CONFLICT", message)
        error.tables, error.from_ref, error.base, error.head = list(tables), from_ref, base, head
        error.moved, error.branch, error.readable = moved, branch, message
        return error

    def __str__(self) -> str:
        return getattr(self, "readable", None) or super().__str__()


def _short(value: str | None) -> str:
    return (value or "?")[:12]
