"""The panel's buttons and the words around them: which show, which are enabled, what they ask and say.

Pure functions of the panel's state and the engine's allowed actions (no queries except `behind_of`,
which the panel calls on its loader or worker thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wap_notebook.engine.conflicts import moved_text
from wap_notebook.engine.phases import DATA_PHASES, Action, Phase
from wap_notebook.errors import IngestionConflict
from wap_notebook.notebook.panel import tables, views
from wap_notebook.notebook.panel.facts import Facts, safe_read

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion
    from wap_notebook.notebook.panel.widget import IngestionPanel

MIN_REASON = 8  # characters: a reason someone can act on later ("ok" is not one)
MERGE_TIP = "Publish the branch into its base ref"
_FORCE_TIP = (f"Checks failed: tick 'Override failed checks' and give a reason (at least {MIN_REASON} characters, "
              "recorded in the merge commit) to merge anyway")
# action -> what the engine must allow for its button to be shown
_BUTTON_ACTIONS = {"run": {Action.IMPORT}, "merge": {Action.MERGE, Action.FORCE_MERGE}, "discard": {Action.DISCARD},
                   "revalidate": {Action.VALIDATE}}


def update(panel: IngestionPanel) -> None:
    """Show, enable and label the buttons from what the engine allows now and what the panel is doing."""
    allowed = safe_read(panel.ingestion.allowed_actions, set()) or set()
    engine_busy = safe_read(lambda: panel.ingestion.busy, None)
    idle = not panel.busy and not panel.pending
    if not panel.busy and not engine_busy:
        # a button shows only for what this ingestion can still do: none on a merged or discarded one
        panel.shown_buttons = {name for name, needs in _BUTTON_ACTIONS.items() if needs & allowed}
        if not safe_read(lambda: panel.ingestion.state.branch_created, True) and panel.phase != Phase.NEW:
            # a failed import that left no data deleted its branch: "Discard" would only hide the error
            panel.shown_buttons.discard("discard")
    for name, button in (("run", panel.run_button), ("merge", panel.merge_button),
                         ("discard", panel.discard_button), ("revalidate", panel.revalidate_button)):
        button.layout.display = "" if name in panel.shown_buttons else "none"
    can_force = Action.FORCE_MERGE in allowed and Action.MERGE not in allowed
    reason = panel.reason.value.strip()
    forced_ready = can_force and panel.override.value and len(reason) >= MIN_REASON
    panel.reason_hint.value = (
        f'<span class="wap-dim" style="font-size:11px">a reason of at least {MIN_REASON} characters</span>'
        if can_force and panel.override.value and len(reason) < MIN_REASON else "")
    panel.run_button.disabled = not idle or Action.IMPORT not in allowed
    panel.merge_button.disabled = not idle or not (Action.MERGE in allowed or forced_ready)
    panel.merge_button.description = "Merge anyway" if can_force else "Merge"
    panel.merge_button.button_style = "warning" if can_force else "success"
    panel.merge_button.tooltip = _FORCE_TIP if can_force and not forced_ready else MERGE_TIP
    panel.discard_button.disabled = not idle or Action.DISCARD not in allowed
    panel.revalidate_button.disabled = not idle or Action.VALIDATE not in allowed
    can_rebase = Action.REBASE in allowed and (bool(panel.moved_tables) or bool(panel.conflict))
    panel.rebase_button.layout.display = "" if can_rebase else "none"
    panel.rebase_button.disabled = not idle or not can_rebase
    panel.override_box.layout.display = "" if can_force and not panel.pending else "none"
    panel.override.disabled = panel.reason.disabled = not idle
    panel.confirm_box.layout.display = "" if panel.pending else "none"
    panel.confirm_button.disabled = panel.cancel_button.disabled = panel.busy
    profile = panel.tabs.profile
    profile.suggest_button.disabled = not idle or panel.phase not in DATA_PHASES
    profile.table_select.disabled = panel.busy


def behind_of(ingestion: Ingestion) -> int | None:
    """Commits the base ref moved since the fork, when the engine can tell (else None)."""
    value = safe_read(lambda: ingestion.behind, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def conflict_line(exc: Exception, ingestion: Ingestion) -> tuple[int | None, str]:
    """How far the base ref moved, and the merge conflict in one readable line that offers the way out."""
    from_ref = safe_read(lambda: ingestion.from_ref, "main") or "main"
    if isinstance(exc, IngestionConflict):
        names = ", ".join(exc.tables) or "the tables"
        moved: int | None = exc.moved
        what = f"{names} changed on {exc.from_ref} ({moved_text(exc.from_ref, exc.moved)})"
    else:
        moved, what = behind_of(ingestion), f"the tables changed on {from_ref} since this import"
    return moved, (f"Not merged: {what}. The branch is kept: Rebase re-imports the same files on the new head of "
                   f"{from_ref} and validates again; or Discard it.")


def rebase_question(ingestion: Ingestion, *, html: bool) -> str:
    """What Rebase does: the button's tooltip, and (with the branch named) the confirmation question."""
    into = safe_read(lambda: ingestion.from_ref, "main") or "main"
    if not html:
        return f"Re-import the same files on the new head of {into} and validate again"
    branch = tables.esc(safe_read(lambda: ingestion.branch, "?"))
    return (f"Delete <code>{branch}</code>, re-import the same files on the new head of "
            f"<code>{tables.esc(into)}</code> and validate again?")


def rebased_text(ingestion: Ingestion, facts: Facts) -> tuple[str, str]:
    """The status after a rebase: the new base and branch, and the new verdict."""
    base = f"{facts.from_ref}@{facts.base_hash[:12]}" if facts.base_hash else facts.from_ref
    done = f"Rebased on {base}, new branch {facts.branch}"
    if facts.phase == Phase.PASSED:
        return "ok", f"{done}: checks passed again."
    result = views.result_text(ingestion, facts)
    return "error", f"{done}: {result[1] if result else facts.phase}"
