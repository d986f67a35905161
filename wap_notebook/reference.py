"""`quality_gated_update`: the reference WAP flow's interface, on top of the `Ingestion` engine.

Same arguments, return value `(branch_name, success)` and printed lines as Bauplan's reference script,
but without its weak spots: the import state is checked, the row count is on the rows this import
added, names are validated and quoted, and the branch name cannot collide. As in the reference, a
failure prints the reason, applies `on_failure` ("inspect"/"keep" keep the branch, "delete" deletes
it) and re-raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wap_notebook.checks.model import Check
from wap_notebook.core.options import ON_FAILURE, ON_SUCCESS, OnFailure, OnSuccess, choice
from wap_notebook.engine.phases import Phase
from wap_notebook.errors import IngestionFailed
from wap_notebook.ingestion import Ingestion

__all__ = ["IngestionFailed", "quality_gated_update"]


def quality_gated_update(
    table_name: str,
    s3_path: str,
    namespace: str = "bauplan",
    on_success: OnSuccess = "inspect",
    on_failure: OnFailure = "inspect",
    client: Any = None,
    checks: Sequence[Check] = (),
) -> tuple[str, bool]:
    """Import `s3_path` into `namespace.table_name` on a fresh branch, check it, then merge or keep it.

    Returns:
        (the import branch, True): a failure raises instead, as the reference script does.

    Raises:
        IngestionFailed: the import or the checks failed (after `on_failure` was applied); it holds the ingestion.
        InvalidSpec: an unknown `on_success` / `on_failure`, a bad name, or checks on missing columns.
        IngestionConflict: `on_success="merge"` and the table changed on `main` since the branch was made.
        bauplan.exceptions.BauplanError: the lakehouse refused an operation.
    """
    choice(on_success, ON_SUCCESS, "on_success")
    choice(on_failure, ON_FAILURE, "on_failure")
    ingestion = Ingestion(table_name, s3_path, namespace=namespace, checks=checks, client=client,
                          on_success="inspect", on_failure="inspect")
    branch = ingestion.branch
    try:
        try:
            ingestion.run()
        finally:
            branch = ingestion.branch  # the name may have been re-drawn on a collision
        if ingestion.phase != Phase.PASSED:
            raise IngestionFailed(ingestion.error or f"ingestion ended in phase {ingestion.phase!r}", ingestion)
        print(f"Imported {sum(ingestion.rows_added.values())} rows")
        if on_success == "inspect":
            print(f"Import complete. Branch ready for inspection: '{branch}'.")
            print(f"To merge manually: client.merge_branch(source_ref='{branch}', into_branch='{ingestion.from_ref}')")
        else:
            ingestion.merge()  # deletes the merged branch
            print(f"Successfully published {table_name} to {ingestion.from_ref}")
            print(f"Cleaned up branch: {branch}")
    except Exception as exc:
        print(f"Import failed: {exc}")
        if on_failure == "delete":
            if ingestion.phase not in (Phase.DISCARDED, Phase.MERGED, Phase.NEW):
                ingestion.discard()
                print(f"Cleaned up failed branch: {branch}")
        else:
            print(f"Branch preserved for inspection/debugging: '{branch}'")
        raise
    return branch, True
