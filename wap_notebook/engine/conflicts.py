"""Two ingestions into one table: see that `from_ref` moved before merging, and say so readably.

`main moved 2 commits since this import` is shown before the merge is attempted; a conflict is an
`IngestionConflict`, which still is a `bauplan.exceptions.MergeConflictError` (callers that caught the SDK's
class keep working) but whose message names the tables, both commits, how far `from_ref` moved, and the
way forward (`ingestion.rebase()`, or `on_conflict="rebase"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wap_notebook.engine.records import commit_hash
from wap_notebook.errors import IngestionConflict

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


def conflict(*, tables: Sequence[str], from_ref: str, base: str | None, head: str | None, moved: int,
             branch: str) -> IngestionConflict:
    """The error for a batch whose tables changed on `from_ref` since the fork, with the way forward."""
    names = ", ".join(tables) or "the tables"
    message = (f"{names} changed on {from_ref} since this import ({moved_text(from_ref, moved)}: "
               f"{_short(base)} -> {_short(head)}). Nothing was merged; branch {branch} is kept. "
               "Re-import the same files on the new head with ingestion.rebase() (the Rebase button, or "
               "on_conflict='rebase' / --on-conflict rebase for unattended runs), or discard it.")
    return IngestionConflict.make(tables=tables, from_ref=from_ref, base=base, head=head, moved=moved,
                                  branch=branch, message=message)


def _short(value: str | None) -> str:
    return (value or "?")[:12]
