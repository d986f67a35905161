"""What a failed import leaves: a branch with no data goes, and the lakehouse's advice is followable.

An import that fails before any table holds rows on the branch has nothing to inspect, so its branch is
deleted (`on_failure` governs only branches with data); one that failed later keeps its branch and record.
"""

from __future__ import annotations

from wap_notebook.engine import persist
from wap_notebook.engine.state import Context


def followable_advice(reason: str) -> str:
    if "import_duplicate_files" in reason:
        return reason + (" (Ingestion(..., import_duplicate_files=True); --import-duplicate-files in %wap_ingest "
                         "and the CLI)")
    return reason


def after_failed_import(ctx: Context, *, data_on_branch: bool) -> None:
    """No table holds rows on the branch: nothing to inspect, so the branch goes (and `on_failure` only
    governs branches with data)."""
    state = ctx.state
    if data_on_branch or not state.branch_created:
        persist.save(ctx)
        return
    try:
        ctx.client.delete_branch(state.branch, if_exists=True)
    except Exception as exc:  # noqa: BLE001 - the failure itself is what matters; say the branch stayed
        ctx.emit("error", f"Could not delete branch {state.branch} after the failed import: {exc}")
        return
    persist.unregister(state.branch)
    with ctx.lock:
        state.branch_created = False
        state.error = f"{state.error}. Branch {state.branch} was deleted: the import failed before any data."
    ctx.emit("log", f"Deleted branch {state.branch}: the import failed before any table held rows")
