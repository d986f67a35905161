"""The panel's Profile tab: the new rows profiled beside the base ref, checks suggested from them, and the
table's history.

Profiling reads up to `explore.SAMPLE_ROWS` new rows and runs aggregate queries on the base ref, and
suggesting reads the table's history too, so neither runs in a click handler or an engine event: the panel
runs them as actions (`actions`: busy, buttons disabled, a status line), the profile when the tab is opened
(again after a re-import), the suggestions on "Suggest checks". Suggestions are shown as YAML and Python to
paste into the cell, never applied. `ingestion.profile()`, `ingestion.suggest_checks()` and
`wap_notebook.history()` give the same as objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from wap_notebook.notebook.panel.facts import safe_read
from wap_notebook.notebook.panel.profile_html import HISTORY_ROWS, history_html, profile_html, suggestions_html
from wap_notebook.notebook.panel.tables import esc

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

_NOT_YET = '<i class="wap-dim">the profile of the new rows loads when this tab is open and the panel idle</i>'
SUGGEST_TIP = ("Propose checks from main's data, the table's history and the new rows: shown as YAML to paste "
               "into the cell, not applied")


class ProfileTab(widgets.VBox):
    """The Profile tab's widgets; the panel decides when they load (see the module docstring)."""

    def __init__(self, ingestion: Ingestion, **kwargs: Any) -> None:
        self.ingestion = ingestion
        names = safe_read(lambda: list(ingestion.tables), []) or []
        self.table_select = widgets.Dropdown(options=names, value=names[0] if names else None, description="table",
                                             layout={"width": "max-content",
                                                     "display": "" if len(names) > 1 else "none"})
        self.profile_view = widgets.HTML(_NOT_YET)
        self.suggest_button = widgets.Button(description="Suggest checks", icon="magic", tooltip=SUGGEST_TIP,
                                             layout={"width": "auto", "align_self": "flex-start"})
        self.suggestions_view = widgets.HTML()
        self.history_view = widgets.HTML()
        self.loaded_for: tuple[str, str] | None = None  # (branch, table) whose profile is shown
        self.loading = False  # a profile is being read (on the panel's worker)
        super().__init__([self.table_select, self.profile_view, self.suggest_button, self.suggestions_view,
                          self.history_view], **kwargs)

    @property
    def table(self) -> str:
        return str(self.table_select.value or "")

    def current_key(self) -> tuple[str, str]:
        return safe_read(lambda: self.ingestion.branch, "") or "", self.table

    @property
    def stale(self) -> bool:
        return self.loaded_for != self.current_key()

    def show_placeholder(self, note: str | None) -> None:
        """`note`: no data to profile in this phase, say why in the phase's words. None: there are rows; a
        profile of other rows (before a re-import) gives way to "loads when opened"."""
        if self.loading:
            return
        if note is not None:
            self.loaded_for = None
            self.profile_view.value, self.suggestions_view.value, self.history_view.value = note, "", ""
        elif self.stale:
            self.profile_view.value, self.suggestions_view.value = _NOT_YET, ""

    def load(self) -> str:
        """Profile the new rows and read the table's history (queries: on the panel's worker thread)."""
        key, table = self.current_key(), self.table
        self.profile_view.value = '<i class="wap-dim">profiling the new rows…</i>'
        self.loading = True
        try:
            frame = self.ingestion.profile(table)
        except Exception as exc:  # the tab says what failed; the status line too (the action's outcome)
            self.profile_view.value = f"<i>profile unavailable: {esc(type(exc).__name__)}: {esc(exc)}</i>"
            raise
        finally:
            self.loading = False
        from_ref = safe_read(lambda: self.ingestion.from_ref, "main") or "main"
        self.profile_view.value = profile_html(frame, from_ref)
        history = safe_read(lambda: self.ingestion.inspect.history(table, limit=HISTORY_ROWS), None)
        namespace = safe_read(lambda: self.ingestion.namespace, "bauplan") or "bauplan"
        self.history_view.value = history_html(history, table, namespace=namespace, ref=from_ref)
        if self.loaded_for != key:
            self.suggestions_view.value = ""
        self.loaded_for = key
        return f"Profiled {table}: {len(frame)} column{'' if len(frame) == 1 else 's'}"

    def suggest(self) -> str:
        """Suggest checks for the table (queries: on the panel's worker thread)."""
        table = self.table
        self.suggestions_view.value = '<i class="wap-dim">suggesting checks…</i>'
        try:
            found = self.ingestion.suggest_checks(table)
        except Exception as exc:
            self.suggestions_view.value = f"<i>suggestions unavailable: {esc(type(exc).__name__)}: {esc(exc)}</i>"
            raise
        self.suggestions_view.value = suggestions_html(found)
        return f"{len(found.checks)} check{'' if len(found.checks) == 1 else 's'} suggested for {table}: not applied"
