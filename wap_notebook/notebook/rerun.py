"""Re-running a `%%wap_ingest` cell: never a second open branch for the same batch.

The cell's earlier ingestion is the one bound to its `--as` name or, when that is not an open ingestion of the
same batch (the cell was re-run under another `--as` name), an open one the same cell started for the same
tables and sources (`remember`; the front end names the cell: JupyterLab, Notebook 7 and nbclient do). Another
cell importing the same files is left alone: two cells may mean two ingestions. While its branch is open
(imported, not merged or discarded):
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
            and previous.backend == new.backend and previous.user == new.user and previous.state.branch_created)


# Ingestions `%%wap_ingest` started in this kernel with the cell that started them, oldest first: a re-run
# under another `--as` name finds its earlier ingestion here. Closed ones (merged, discarded) are dropped.
_started: list[tuple[Ingestion, str | None]] = []
_running = {"cell": None}  # the id of the cell running now (None: the front end does not say)


def note_cell(info: Any) -> None:
    """IPython's `pre_run_cell` hook: remember which cell is running."""
    _running["cell"] = getattr(info, "cell_id", None)


def remember(ingestion: Ingestion) -> None:
    """Note an ingestion the magic started from the running cell, so that a re-run of that cell under another
    `--as` name finds it."""
    _started[:] = [(i, c) for i, c in _started if _open(i) or i.busy is not None] + [(ingestion, _running["cell"])]


def _same_open_batch(bound: Any, new: Ingestion) -> Ingestion | None:
    """The open ingestion of the same batch (tables, sources, namespace, from_ref): the one bound to the cell's
    `--as` name, else the newest the same cell started under another name; None if neither."""
    if _open(bound) and _same_batch(bound, new):
        return bound  # type: ignore[no-any-return]
    cell = _running["cell"]
    if cell is None:  # cells cannot be told apart: only the --as name says what this cell ran before
        return None
    for candidate, started_by in reversed(_started):
        if started_by == cell and candidate is not bound and _open(candidate) and _same_batch(candidate, new):
            return candidate
    return None


def _replaces(previous: Any, new: Ingestion) -> bool:
    return (_open(previous) and set(previous.spec.tables) == set(new.spec.tables)
            and previous.spec.namespace == new.spec.namespace)


def revalidation_target(bound: Any, new: Ingestion, *, reimport: bool) -> Ingestion | None:
    """The earlier ingestion to re-validate instead of importing `new`, or None. `bound` is what the cell's
    `--as` name holds. An earlier unmerged ingestion of the same tables that `new` replaces (other sources, or
    `--reimport`) is discarded, said in one line, so one batch never has two open branches."""
    same = _same_open_batch(bound, new)
    if same is not None and not reimport:
        if bound is not same and _replaces(bound, new):
            _discard(bound, "other sources")
        return same
    for previous in [bound] + ([same] if same is not None and same is not bound else []):
        if _replaces(previous, new):  # whatever the name holds: only an open ingestion is replaced
            _discard(previous, "--reimport" if reimport else "other sources")
    return None


def _discard(previous: Ingestion, why: str) -> None:
    previous.discard()
    print(f"wap_ingest: discarded the earlier unmerged ingestion on branch {previous.branch} ({why})")


def revalidate(previous: Ingestion, new: Ingestion) -> None:
    """Re-validate the open branch with the checks `new` resolved (the cell's, or the table's remembered)."""
    print(f"wap_ingest: same table and sources as the open branch {previous.branch}: re-validating it with the "
          "cell's current checks, without importing again (--reimport imports anew)")
    previous.validate(checks=dict(new.spec.checks))
