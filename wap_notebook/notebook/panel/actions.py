"""What the panel's buttons do: the confirmation asked first, then the action, one at a time, off the UI thread.

Merge, Discard and Rebase ask first (`request` sets the panel's `pending` trait and the question; `confirm`
or `cancel` answers it). Every action claims the panel's `busy` trait (the buttons are disabled from it),
runs on the worker thread (or in the cell's thread for the magic), and ends with one status line, the
views refreshed and the data views reloaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bauplan import exceptions as bx

from wap_notebook.engine.conflicts import moved_text
from wap_notebook.engine.phases import Action
from wap_notebook.notebook.panel import controls, tables, views
from wap_notebook.notebook.panel.facts import safe_read
from wap_notebook.notebook.panel.workers import ActionWorker

if TYPE_CHECKING:
    from wap_notebook.notebook.panel.widget import IngestionPanel

Outcome = tuple[str, str] | None  # (status kind, message); None: the ingestion's own result says it

BUSY_TEXT = {
    "merge": "Merging…",
    "discard": "Discarding (deleting the branch)…",
    "validate": "Re-running the checks…",
    "run": "Importing and validating…",
    "rebase": "Rebasing: re-importing the same files on the new head, then validating…",
    "profile": "Profiling the new rows beside the base ref…",
    "suggest": "Suggesting checks from the base ref's data, the table's history and the new rows…",
}
# actions after which the data on the branch changed: the data views reload
_RELOADING = frozenset({"run", "validate", "rebase"})
# actions that only read: nothing else to refresh when they end
_READING = frozenset({"profile", "suggest"})


class PanelActions:
    """The confirmation flow and the action lifecycle of one panel (its view state stays in its traits)."""

    def __init__(self, panel: IngestionPanel) -> None:
        self.panel = panel
        self.worker = ActionWorker()

    # ---------------------------------------------------------------- confirmation

    def request(self, action: str) -> None:
        """Merge / Discard / Rebase: ask for confirmation first."""
        panel = self.panel
        if panel.busy or action not in ("merge", "discard", "rebase"):
            return
        ingestion = panel.ingestion
        branch = tables.esc(safe_read(lambda: ingestion.branch, "?"))
        into = tables.esc(safe_read(lambda: ingestion.from_ref, "main"))
        if action == "merge":
            question = f"Merge <code>{branch}</code> into <code>{into}</code>?"
            if self.forcing():
                question += (f' <b class="wap-warn">Failed checks will be overridden</b> (reason: '
                             f"{tables.esc(panel.reason.value.strip())}).")
            # asked now, not only at the last load: someone may have merged into the base ref meanwhile
            panel.read_behind()
            if panel.behind and panel.moved_tables:
                question += (f' <span class="wap-warn">{tables.esc(moved_text(panel.ingestion.from_ref, panel.behind))}'
                             f" and {tables.esc(', '.join(panel.moved_tables))} changed there.</span>")
        elif action == "rebase":
            question = controls.rebase_question(ingestion, html=True)
        else:
            question = f"Delete branch <code>{branch}</code> and the data it imported?"
        panel.confirm_text.value = question
        panel.pending = action

    def forcing(self) -> bool:
        """A merge now would override failed checks (what the engine allows, not a button's label)."""
        allowed = safe_read(self.panel.ingestion.allowed_actions, set()) or set()
        return Action.FORCE_MERGE in allowed and Action.MERGE not in allowed

    def confirm(self) -> None:
        panel = self.panel
        action, panel.pending = panel.pending, ""
        if action == "merge":
            forced = self.forcing()
            reason = panel.reason.value.strip() or None
            if forced and (not panel.override.value or len(reason or "") < controls.MIN_REASON):
                panel.set_status("error", f"Not merged: checks failed. Tick 'Override failed checks' and give a "
                                          f"reason of at least {controls.MIN_REASON} characters to merge anyway.")
                return
            self.start("merge", lambda: self._merge(forced, reason))
        elif action == "discard":
            self.start("discard", self._discard)
        elif action == "rebase":
            self.start("rebase", self._rebase)

    def cancel(self) -> None:
        if self.panel.pending:
            self.panel.pending = ""
            self.panel.set_status("info", "Cancelled.")

    # ---------------------------------------------------------------- lifecycle

    def start(self, action: str, work: Callable[[], Outcome], *, threaded: bool | None = None) -> bool:
        """Run `work` unless an action runs already; False if one does."""
        panel = self.panel
        with panel.lock:
            if panel.busy:
                return False
            panel.busy = True
        panel.set_status("busy", BUSY_TEXT.get(action, "Working…"))
        self.worker.start(action, lambda: self._work(action, work),
                          threaded=panel.threaded if threaded is None else threaded)
        return True

    def _work(self, action: str, work: Callable[[], Outcome]) -> None:
        panel = self.panel
        started = time.monotonic()
        outcome: Outcome
        try:
            outcome = work()
        except Exception as exc:  # noqa: BLE001 - shown in the panel, never as a traceback
            outcome = ("error", f"{action.capitalize()} failed: {type(exc).__name__}: {exc}")
        try:
            panel.refresh()
        finally:
            if outcome is None:
                outcome = views.result_text(panel.ingestion, panel.facts()) or ("ok", "Done.")
            kind, message = outcome
            if kind in ("ok", "warn"):
                message += f" ({time.monotonic() - started:.2f} s)"
            panel.set_status(kind, message)
            panel.busy = False
            self._finish(action)

    def _finish(self, action: str) -> None:
        panel = self.panel
        if action in _READING:
            return
        if action not in _RELOADING:
            panel.update_displays()
        elif self.worker.on_worker():
            panel.update_displays()
            panel.schedule_data_load(update_displays=True)
        else:  # the magic runs in the cell: the cell ends with every view (and the static export) complete
            panel.load_data()
            panel.update_displays()

    # ---------------------------------------------------------------- the actions

    def _merge(self, forced: bool, reason: str | None) -> Outcome:
        panel, ingestion = self.panel, self.panel.ingestion
        try:
            if forced:
                ingestion.merge(force=True, reason=reason)
            else:
                ingestion.merge()
        except bx.MergeConflictError as exc:  # the branch and verdict are kept: offer Rebase, not a traceback
            panel.behind, panel.conflict = controls.conflict_line(exc, ingestion)
            return "error", panel.conflict
        return views.result_text(ingestion, panel.facts()) or ("ok", "Merged.")

    def _discard(self) -> Outcome:
        branch = safe_read(lambda: self.panel.ingestion.branch, "")
        self.panel.ingestion.discard()
        return "ok", f"Discarded: branch {branch} deleted"

    def _rebase(self) -> Outcome:
        self.panel.ingestion.rebase()  # deletes the old branch; the summary shows the new one and its base
        self.panel.conflict = ""
        return controls.rebased_text(self.panel.ingestion, self.panel.facts())

    def validate(self) -> Outcome:
        self.panel.ingestion.validate()
        return None

    def run(self) -> Outcome:
        self.panel.ingestion.run()
        return None

    def profile(self) -> Outcome:
        done = self.panel.tabs.profile.load()
        # the verdict stays the status line; the profile itself is the tab
        return views.result_text(self.panel.ingestion, self.panel.facts()) or ("ok", done)

    def suggest(self) -> Outcome:
        return "ok", self.panel.tabs.profile.suggest()
