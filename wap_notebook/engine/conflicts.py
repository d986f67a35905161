"""Two ingestions into one table: see that `from_ref` moved before merging, and say so readably.

The checks before a merge live here too: an ingestion whose checks are unknown is not merged without
force, and how far `from_ref` moved is said.

`main moved 2 commits since this import` is shown before the merge is attempted; a conflict is an
`IngestionConflict`, which still is a `bauplan.exceptions.MergeConflictError` (callers that caught the SDK's
class keep working) but whose message names the tables, both commits, how far `from_ref` moved, and the
way forward (`ingestion.rebase()`, or `on_conflict="rebase"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wap_notebook.engine.records import commit_hash
from wap_notebook.engine.refs import changed_tables
from wap_notebook.engine.state import Context
from wap_notebook.errors import IngestionConflict, MergeRefused

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


def conflict_error(*, tables: Sequence[str], from_ref: str, base: str | None, head: str | None, moved: int,
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


# ---------------------------------------------------------------------------------- before a merge
def from_ref_moved(ctx: Context) -> int:
    """How many commits `from_ref` has on top of the commit this import branched from."""
    return commits_since(ctx.client, ctx.spec.from_ref, ctx.state.base_hash)


def tables_moved(ctx: Context) -> list[str]:
    """This ingestion's tables that changed on `from_ref` since the fork (a rebase is worth it only for them)."""
    if not ctx.state.base_hash:
        return []
    ours = set(ctx.spec.sources)
    changed = changed_tables(ctx.client, ctx.spec.from_ref, f"{ctx.spec.from_ref}@{ctx.state.base_hash}",
                             ctx.spec.namespace)
    return [name for name in changed if name in ours]


def before_merge(ctx: Context, *, force: bool, head: str | None = None) -> None:
    """`head`: `from_ref`'s head as just read; when it is still the fork commit, nothing moved and the
    history need not be read (one round trip less on Bauplan's cloud)."""
    if ctx.state.checks_unknown and not force:
        raise MergeRefused(f"Cannot merge {ctx.state.branch}: {ctx.state.checks_unknown}. Give the checks that "
                           "should gate it (Ingestion.resume(branch, checks=[...]); checks=[] accepts only the "
                           "built-in ones), or merge(force=True, reason='...') to publish anyway")
    moved = 0 if head is not None and head == ctx.state.base_hash else from_ref_moved(ctx)
    if moved:
        ctx.emit("log", moved_text(ctx.spec.from_ref, moved))


def conflict(ctx: Context, tables: list[str], head: str | None) -> IngestionConflict:
    if head is None:
        head = str(ctx.client.get_branch(ctx.spec.from_ref).hash)
    return conflict_error(tables=tables, from_ref=ctx.spec.from_ref, base=ctx.state.base_hash, head=head,
                          moved=from_ref_moved(ctx), branch=ctx.state.branch)
