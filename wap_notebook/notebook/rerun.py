"""Re-running a `%%wap_ingest` cell: never a second open branch for the same batch.

The cell's earlier ingestion is the one bound to its `--as` name. While its branch is open (imported, not
merged or discarded):
- same tables, sources, namespace and from_ref, no `--reimport`: re-validate that branch with the cell's
  current checks (editing a bound does not import everything again);
- other sources, or `--reimport`: discard the earlier unmerged ingestion (said in one line) and import anew.
"""

from __future__ import annotations

from typing import Any

from wap_notebook.engine.phases import Phase
from wap_notebook.ingestion import Ingestion

OPEN_PHASES = frozenset({Phase.IMPORTED, Phase.PASSED, Phase.FAILED, Phase.ERROR})


def _open(previous: Any) -> bool:
    return (isinstance(previous, Ingestion) and previous.phase in OPEN_PHASES and previous.state.imported
            and previous.busy is None)


def _same_batch(previous: Ingestion, new: Ingestion) -> bool:
    old, fresh = previous.spec, new.spec
    return (old.sources == fresh.sources and old.namespace == fresh.namespace and old.from_ref == fresh.from_ref
            and previous.state.branch_created)


def revalidation_target(previous: Any, new: Ingestion, *, reimport: bool) -> Ingestion | None:
    """The earlier ingestion to re-validate instead of importing `new`, or None (after discarding an earlier
    unmerged ingestion of the same tables that `new` replaces)."""
    if not isinstance(previous, Ingestion) or not _open(previous):
        return None
    if not reimport and _same_batch(previous, new):
        return previous
    if set(previous.spec.tables) == set(new.spec.tables) and previous.spec.namespace == new.spec.namespace:
        why = "--reimport" if reimport else "other sources"
        previous.discard()
        print(f"wap_ingest: discarded the earlier unmerged ingestion on branch {previous.branch} ({why})")
    return None


def revalidate(previous: Ingestion, new: Ingestion) -> None:
    """Re-validate the open branch with the checks `new` resolved (the cell's, or the table's remembered)."""
    print(f"wap_ingest: same table and sources as the open branch {previous.branch}: re-validating it with the "
          "cell's current checks, without importing again (--reimport imports anew)")
    previous.validate(checks=dict(new.spec.checks))
