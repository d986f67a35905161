"""Static HTML for an ingestion: header, phase strip, styled report, data frames, status lines.

Pure functions of their inputs (no widgets, no threads), shared by the live panel (which puts them into
`ipywidgets.HTML`) and by the static fallback `ingestion_html()` that nbconvert, GitHub and other
widget-less viewers show.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from wap_notebook.uris import redact_uri

STEPS = ("Import", "Validate", "Publish")

# Step states -> (symbol, colour). Colours read on light and dark themes.
_STATE_STYLE = {
    "pending": ("○", "#8a8a8a"),
    "running": ("◐", "#1f6feb"),
    "done": ("●", "#1a7f37"),
    "waiting": ("◔", "#9a6700"),
    "failed": ("✕", "#cf222e"),
    "error": ("!", "#cf222e"),
    "skipped": ("–", "#8a8a8a"),
}
_STATUS_STYLE = {
    "passed": "background-color:#dafbe1;color:#116329",
    "failed": "background-color:#ffebe9;color:#a40e26",
    "warned": "background-color:#fff8c5;color:#7d4e00",
    "error": "background-color:#ffebe9;color:#a40e26;font-weight:bold",
}
_PHASE_LABEL = {
    "new": "not started",
    "importing": "importing",
    "imported": "imported",
    "validating": "validating",
    "passed": "checks passed, ready to merge",
    "failed": "failed",
    "merged": "merged into {ref}",
    "discarded": "discarded (branch deleted)",
    "error": "error",
}

_TABLE_CSS = (
    "<style>.wap-table table{border-collapse:collapse;font-size:12px}"
    ".wap-table th,.wap-table td{padding:2px 8px;border-bottom:1px solid rgba(128,128,128,.3);"
    "text-align:left;vertical-align:top}</style>"
)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def phase_label(phase: str, from_ref: str = "main") -> str:
    return _PHASE_LABEL.get(phase, phase).format(ref=from_ref)


def step_states(phase: str, seen: Iterable[str] = ()) -> dict[str, str]:
    """The state of Import / Validate / Publish for an ingestion in `phase` that went through `seen`."""
    seen = set(seen)
    pending = dict.fromkeys(STEPS, "pending")
    if phase == "new":
        return pending
    if phase == "importing":
        return {**pending, "Import": "running"}
    if phase == "imported":
        return {**pending, "Import": "done"}
    if phase == "validating":
        return {**pending, "Import": "done", "Validate": "running"}
    if phase == "passed":
        return {"Import": "done", "Validate": "done", "Publish": "waiting"}
    if phase == "failed":
        if "imported" in seen or "validating" in seen:
            return {"Import": "done", "Validate": "failed", "Publish": "waiting"}
        return {"Import": "failed", "Validate": "skipped", "Publish": "waiting"}
    if phase == "merged":
        return {"Import": "done", "Validate": "done", "Publish": "done"}
    if phase == "discarded":
        validated = "done" if "passed" in seen else ("failed" if "failed" in seen else "skipped")
        imported = "done" if seen & {"imported", "validating", "passed"} or validated == "failed" else "skipped"
        return {"Import": imported, "Validate": validated, "Publish": "skipped"}
    if phase == "error":
        if seen & {"passed", "failed"}:
            failed = "failed" if "failed" in seen and "passed" not in seen else "done"
            return {"Import": "done", "Validate": failed, "Publish": "error"}
        if "validating" in seen or "imported" in seen:
            return {"Import": "done", "Validate": "error", "Publish": "pending"}
        return {"Import": "error", "Validate": "pending", "Publish": "pending"}
    return pending


def phase_strip_html(phase: str, seen: Iterable[str] = (), from_ref: str = "main") -> str:
    states = step_states(phase, seen)
    parts = []
    for step in STEPS:
        symbol, colour = _STATE_STYLE[states[step]]
        parts.append(
            f'<span class="wap-step wap-step-{states[step]}" data-step="{step.lower()}" '
            f'style="color:{colour};font-weight:600" title="{states[step]}">{symbol} {step}</span>'
        )
    arrow = ' <span style="color:#8a8a8a">→</span> '
    return (
        f'<div class="wap-phase" data-phase="{esc(phase)}">{arrow.join(parts)}'
        f' <span style="margin-left:1em;color:#57606a">({esc(phase_label(phase, from_ref))})</span></div>'
    )


def header_html(ingestion: Any) -> str:
    """Tables, sources, branch, backend and user: nothing secret (URIs are redacted)."""
    sources = _safe(lambda: dict(ingestion.sources), {}) or {}
    tables = _safe(lambda: list(ingestion.tables), []) or list(sources)
    namespace = _safe(lambda: ingestion.namespace, "")
    rows = []
    for table in tables:
        source = sources.get(table, "")
        qualified = f"{namespace}.{table}" if namespace else table
        rows.append(f"<code>{esc(qualified)}</code> ← <code>{esc(redact_uri(source))}</code>")
    branch = _safe(lambda: ingestion.branch, None)
    from_ref = _safe(lambda: ingestion.from_ref, "main")
    items = [
        ("Tables", "<br>".join(rows) or "–"),
        ("Branch", f"<code>{esc(branch)}</code> (from <code>{esc(from_ref)}</code>)" if branch
         else f"not created yet (from <code>{esc(from_ref)}</code>)"),
        ("Backend", esc(_safe(lambda: ingestion.backend, "?"))),
        ("User", esc(_safe(lambda: ingestion.user, "?"))),
    ]
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em;vertical-align:top">{label}</th><td>{value}</td></tr>'
        for label, value in items
    )
    return f'<table class="wap-header" style="font-size:12px">{body}</table>'


def frame_html(frame: Any, *, max_rows: int = 20, empty: str = "no rows") -> str:
    """A DataFrame (or anything pandas can wrap) as a compact HTML table."""
    if frame is None:
        return f"<i>{esc(empty)}</i>"
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    if frame.empty and len(frame.columns) == 0:
        return f"<i>{esc(empty)}</i>"
    shown = frame.head(max_rows)
    more = "" if len(frame) <= max_rows else f"<div><i>… {len(frame) - max_rows} more rows</i></div>"
    table = shown.to_html(index=False, border=0, na_rep="null", max_cols=30, escape=True)
    if frame.empty:
        more = f"<div><i>{esc(empty)}</i></div>"
    return f'{_TABLE_CSS}<div class="wap-table" style="overflow-x:auto">{table}{more}</div>'


def report_html(report: pd.DataFrame | None) -> str:
    """The validation report with one colour per status (pandas Styler)."""
    if report is None or len(report) == 0:
        return "<i>no checks run yet</i>"
    frame = report.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_cell_text)

    def colour(value: Any) -> str:
        return _STATUS_STYLE.get(str(value), "")

    # A uuid derived from the content: stable output, yet two different reports on one page never share
    # the per-cell CSS ids pandas generates.
    digest = hashlib.sha1(frame.to_json(default_handler=str).encode()).hexdigest()[:10]
    styler = frame.style.set_uuid(f"wap{digest}").hide(axis="index")
    if "status" in frame.columns:
        styler = styler.map(colour, subset=["status"])
    styler = styler.set_table_attributes('class="wap-report"').set_table_styles(
        [
            {"selector": "th", "props": "text-align:left;padding:2px 8px;border-bottom:1px solid #999"},
            {"selector": "td", "props": "padding:2px 8px;border-bottom:1px solid rgba(128,128,128,.3)"},
            {"selector": "", "props": "border-collapse:collapse;font-size:12px"},
        ]
    )
    summary = report_summary(report)
    return f'<div class="wap-report-summary"><b>{esc(summary)}</b></div>{styler.to_html()}'


def report_summary(report: pd.DataFrame | None) -> str:
    if report is None or len(report) == 0 or "status" not in report.columns:
        return "no checks run yet"
    counts = report["status"].value_counts()
    parts = [f"{int(counts[s])} {s}" for s in ("passed", "failed", "warned", "error") if s in counts]
    return f"{len(report)} checks: " + ", ".join(parts)


def failed_checks(report: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """(label, table, check) of each failed or warned check with failing rows worth looking at."""
    if report is None or len(report) == 0 or "status" not in report.columns:
        return []
    out = []
    for row in report.itertuples(index=False):
        record = row._asdict()
        if record.get("status") not in ("failed", "warned", "error"):
            continue
        table, check = str(record.get("table", "")), str(record.get("check", ""))
        count = record.get("failing_rows")
        count_text = "" if count is None or pd.isna(count) else f" ({int(count)} row{'' if int(count) == 1 else 's'})"
        out.append((f"{table} · {check} · {record.get('status')}{count_text}", table, check))
    return out


def schemas_html(schemas: Mapping[str, pd.DataFrame] | None) -> str:
    if not schemas:
        return "<i>no schema yet</i>"
    return "".join(f"<h4 style='margin:6px 0'>{esc(t)}</h4>{frame_html(df, max_rows=200)}" for t, df in schemas.items())


def status_html(kind: str, message: str) -> str:
    """One status line: kind is info, busy, ok or error."""
    colours = {"info": "#57606a", "busy": "#1f6feb", "ok": "#1a7f37", "error": "#cf222e"}
    symbols = {"info": "", "busy": "⏳ ", "ok": "✔ ", "error": "✖ "}
    colour = colours.get(kind, "#57606a")
    return (
        f'<div class="wap-status wap-status-{esc(kind)}" style="color:{colour};white-space:pre-wrap">'
        f"{symbols.get(kind, '')}{esc(message)}</div>"
    )


def result_text(ingestion: Any) -> tuple[str, str] | None:
    """The outcome worth a status line for a finished ingestion: (kind, message), or None."""
    phase = _safe(lambda: ingestion.phase, "")
    if phase == "merged":
        commit = _safe(lambda: ingestion.merge_commit, None)
        into = _safe(lambda: ingestion.from_ref, "main")
        return "ok", f"Merged into {into}: commit {commit}"
    if phase == "discarded":
        return "ok", f"Discarded: branch {_safe(lambda: ingestion.branch, '')} deleted"
    if phase == "error":
        return "error", f"Error: {_safe(lambda: ingestion.error, None) or 'the last operation failed'}"
    if phase == "failed":
        reason = _safe(lambda: ingestion.error, None)
        return "error", f"Failed: {reason}" if reason else "Failed: error-severity checks did not pass"
    if phase == "passed":
        return "info", "All error-severity checks passed: review, then Merge or Discard."
    return None


def seen_phases(ingestion: Any) -> list[str]:
    history = _safe(lambda: list(ingestion.history), []) or []
    return [event.phase for event in history if getattr(event, "kind", None) == "phase"]


def ingestion_html(ingestion: Any) -> str:
    """The static fallback: everything a reader needs, without widgets or a kernel."""
    phase = _safe(lambda: ingestion.phase, "new")
    from_ref = _safe(lambda: ingestion.from_ref, "main")
    parts = [
        '<div class="wap-ingestion" style="font-family:var(--jp-ui-font-family,sans-serif)">',
        "<b>wap-notebook ingestion</b>",
        header_html(ingestion),
        phase_strip_html(phase, seen_phases(ingestion), from_ref),
    ]
    result = result_text(ingestion)
    if result:
        parts.append(status_html(*result))
    report = _safe(lambda: ingestion.report, None)
    if report is not None and len(report):
        parts.append(report_html(report))
    parts.append("</div>")
    return "\n".join(parts)


def _cell_text(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return value


def _safe(getter: Any, default: Any) -> Any:
    try:
        return getter()
    except Exception:  # noqa: BLE001 - a view must render whatever state the ingestion is in
        return default
