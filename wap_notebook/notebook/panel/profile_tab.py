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
import pandas as pd

from wap_notebook.notebook.panel.facts import safe_read
from wap_notebook.notebook.panel.tables import esc, frame_html, is_null
from wap_notebook.notebook.panel.text import number

if TYPE_CHECKING:
    from wap_notebook.engine.explore import Suggestions
    from wap_notebook.ingestion import Ingestion

_NONE = "–"  # nothing to list (not a null value: top values are counted for text columns only)
HISTORY_ROWS = 10  # merges shown in the tab; `wap_notebook.history(table)` returns up to 50
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


def _with_base(new: Any, base: Any, from_ref: str, suffix: str = "") -> str | None:
    if is_null(new):
        return None
    text = f"{_plain(new)}{suffix}"
    if is_null(base):
        return text
    return f"{text} ({from_ref} {_plain(base)}{suffix})"


def _plain(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return str(value)


def _range(low: Any, high: Any) -> str | None:
    if is_null(low) and is_null(high):
        return None
    return f"{_plain(low)} … {_plain(high)}"


def profile_html(frame: pd.DataFrame, from_ref: str = "main") -> str:
    """One row per column: type, nulls, distinct, min / max (the base ref's beside), top values, values not
    on the base ref; `ingestion.profile()` has every figure as a DataFrame."""
    if frame is None or len(frame) == 0:
        return "<i>no columns to profile</i>"
    rows = []
    for record in frame.to_dict("records"):
        rows.append({
            "column": record["column"],
            "type": record["type"],
            "nulls": _with_base(record["new_null_pct"], record["main_null_pct"], from_ref, "%"),
            "distinct": _with_base(record["new_distinct"], record["main_distinct"], from_ref),
            "min … max": _range(record["new_min"], record["new_max"]),
            f"on {from_ref}": _range(record["main_min"], record["main_max"]),
            "top values": ", ".join(record["top_values"]) or _NONE,
            f"not on {from_ref}": ", ".join(map(str, record["not_on_main"])) or _NONE,
        })
    sampled = bool(frame["sampled"].iloc[0]) if "sampled" in frame.columns else False
    note = (f"New rows: {int(frame['new_rows'].iloc[0]):,}" + (" (a sample)" if sampled else "")
            + f"; figures in brackets are {from_ref}'s at the fork. As a DataFrame: <code>ingestion.profile()</code>")
    return (f'<div class="wap-profile"><div class="wap-dim">{note}</div>'
            + frame_html(pd.DataFrame(rows), max_rows=len(rows), empty="no columns to profile") + "</div>")


def suggestions_html(found: Suggestions) -> str:
    """The suggested checks as YAML for the cell and as Python for `validate`, with the notes: to copy, not
    applied."""
    if not found.yaml:
        return '<i class="wap-dim">no checks to suggest: ' + esc("; ".join(found.notes)) + "</i>"
    notes = "".join(f"<li>{esc(n)}</li>" for n in found.notes)
    python = f'ingestion.validate(checks="""\n{found.yaml}""")'
    return (f'<div class="wap-suggest"><div class="wap-dim">Suggested checks for {esc(found.table)} (not applied). '
            "Paste the YAML into the <code>%%wap_ingest</code> cell, or try them on this branch without "
            f"re-importing:</div><ul class=\"wap-dim\">{notes}</ul>"
            f'<pre class="wap-code" data-lang="yaml">{esc(found.yaml)}</pre>'
            f'<pre class="wap-code" data-lang="python">{esc(python)}</pre></div>')


def history_html(history: pd.DataFrame | None, table: str, *, namespace: str, ref: str) -> str:
    """The last merged ingestions of the table (who, when, rows, verdict, reason) and how to read them all."""
    call = f"wap_notebook.history({table!r}" + ("" if namespace == "bauplan" else f", namespace={namespace!r}") + ")"
    head = (f'<div><b>History</b> <span class="wap-dim">merged ingestions into '
            f"<code>{esc(namespace)}.{esc(table)}</code> on <code>{esc(ref)}</code>, newest first; all of them: "
            f"<code>{esc(call)}</code></span></div>")
    if history is None:
        body = '<i class="wap-dim">history unavailable</i>'
    elif len(history) == 0:
        body = '<i class="wap-dim">no audited merge into this table yet</i>'
    else:
        shown = history[["when", "who", "rows_added", "verdict", "reason", "merge_commit"]].copy()
        shown["merge_commit"] = shown["merge_commit"].map(lambda h: str(h)[:12] if h else None)
        shown["when"] = shown["when"].map(_to_the_second)
        body = frame_html(shown, max_rows=HISTORY_ROWS)
    return f'<div class="wap-history">{head}{body}</div>'


def _to_the_second(value: Any) -> str | None:
    if is_null(value):
        return None
    stamp = pd.Timestamp(value)
    return f"{stamp:%Y-%m-%d %H:%M:%S}" + (" UTC" if stamp.tzinfo is not None else "")
