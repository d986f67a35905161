"""The Profile tab's HTML, apart from its widgets: the profile of the new rows beside the base ref, suggested
checks and the table's history. The panel's tab and the static report draw them with the same functions, and
the report (reached from the facade) imports no widget toolkit through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from wap_notebook.notebook.panel.tables import esc, frame_html, is_null
from wap_notebook.notebook.panel.text import number

if TYPE_CHECKING:
    from wap_notebook.engine.explore import Suggestions

_NONE = "–"  # nothing to list (not a null value: top values are counted for text columns only)
HISTORY_ROWS = 10  # merges shown in the tab; `wap_notebook.history(table)` returns up to 50


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
