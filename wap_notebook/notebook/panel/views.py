"""Static HTML for an ingestion: the summary line, the checks table, status and log lines, the export.

Pure functions of their inputs (no widgets, no threads), shared by the live panel (which puts them into
`ipywidgets.HTML`) and by the static fallback `ingestion_html()` that nbconvert, GitHub and other
widget-less viewers show. Colours come from JupyterLab's CSS variables, with fallbacks elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wap_notebook.core.uris import redact_uri
from wap_notebook.engine.phases import Phase
from wap_notebook.notebook.panel.tables import esc, frame_html

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

__all__ = ["esc", "frame_html", "ingestion_html", "summary_html", "checks_html", "status_html", "log_html"]

STEPS = ("Import", "Validate", "Publish")
# phases in which the import branch is there to inspect, merge, discard or resume
OPEN_PHASES = frozenset({Phase.IMPORTED, Phase.VALIDATING, Phase.PASSED, Phase.FAILED, Phase.ERROR})
LOG_VISIBLE = 4

# Step states -> symbol (colour comes from the CSS class)
_STEP_SYMBOL = {"pending": "○", "running": "◐", "done": "●", "waiting": "◔", "failed": "✕", "error": "!",
                "skipped": "–"}
_PHASE_LABEL: dict[str, str] = {
    Phase.NEW: "not started",
    Phase.IMPORTING: "importing",
    Phase.IMPORTED: "imported, not validated",
    Phase.VALIDATING: "validating",
    Phase.PASSED: "checks passed: ready to merge",
    Phase.FAILED: "checks failed",
    Phase.MERGED: "merged into {ref}",
    Phase.DISCARDED: "discarded: branch deleted",
    Phase.ERROR: "error",
}

CSS = """<style>
.wap-panel,.wap-ingestion{color:var(--jp-ui-font-color1,inherit);font-size:var(--jp-ui-font-size1,13px)}
.wap-ingestion{font-family:var(--jp-ui-font-family,sans-serif)}
.wap-summary{display:flex;flex-wrap:wrap;align-items:center;gap:2px 14px;line-height:24px}
.wap-pill{font-weight:700;padding:1px 9px;border-radius:11px;font-size:12px;letter-spacing:.04em;white-space:nowrap}
.wap-ok{background:rgba(46,160,67,.18);color:var(--jp-success-color1,#1a7f37)}
.wap-fail{background:rgba(229,83,75,.18);color:var(--jp-error-color1,#cf222e)}
.wap-caution{background:rgba(212,160,23,.24);color:var(--jp-warn-color1,#9a6700)}
.wap-busy{background:rgba(56,139,253,.18);color:var(--jp-brand-color1,#1f6feb)}
.wap-idle{background:rgba(128,128,128,.18);color:var(--jp-ui-font-color2,#57606a)}
.wap-dim{color:var(--jp-ui-font-color2,#6e7781)}
.wap-warn{color:var(--jp-warn-color1,#9a6700);font-weight:600}
.wap-grid{border-collapse:collapse;font-size:12px;line-height:18px}
.wap-grid.wap-grid th,.wap-grid.wap-grid td{padding:1px 8px;text-align:left;white-space:nowrap;vertical-align:top;
 border:none;border-bottom:1px solid var(--jp-border-color2,rgba(128,128,128,.3));background:none}
.wap-grid.wap-grid th{font-weight:600;border-bottom-color:var(--jp-border-color1,rgba(128,128,128,.6))}
.wap-grid.wap-grid .wap-num{text-align:right;font-variant-numeric:tabular-nums}
.wap-grid.wap-grid td.wap-cut{max-width:18em;overflow:hidden;text-overflow:ellipsis}
.wap-grid.wap-checks{width:100%}
.wap-grid.wap-checks.wap-checks td.wap-cut{white-space:normal;overflow-wrap:anywhere;max-width:16em}
.wap-grid.wap-checks.wap-checks td:first-child{width:1%;white-space:nowrap}
.wap-grid.wap-checks.wap-checks .wap-num{width:1%;white-space:normal}
.wap-grid.wap-grid td.wap-msg{white-space:normal;overflow-wrap:anywhere;min-width:10em}
.wap-status{white-space:normal;overflow-wrap:anywhere;max-width:100%}
.wap-panel{min-width:0;max-width:100%}
.wap-panel .widget-html,.wap-panel .widget-html-content{min-width:0;max-width:100%}
.wap-panel .wap-confirm-text .widget-html-content{white-space:normal;overflow-wrap:anywhere;line-height:18px}
.wap-grid.wap-grid td.wap-bad{background:rgba(229,83,75,.2);color:var(--jp-error-color1,#cf222e);font-weight:600}
.wap-grid th.wap-hot{color:var(--jp-error-color1,#cf222e)}
.wap-null{color:var(--jp-ui-font-color3,#8c959f);font-style:italic}
.wap-added{color:var(--jp-success-color1,#1a7f37)}
.wap-removed td:first-child{text-decoration:line-through}
.wap-removed{color:var(--jp-error-color1,#cf222e)}
.wap-changed{color:var(--jp-warn-color1,#9a6700)}
.wap-step-done{color:var(--jp-success-color1,#1a7f37)}
.wap-step-failed,.wap-step-error{color:var(--jp-error-color1,#cf222e)}
.wap-step-running{color:var(--jp-brand-color1,#1f6feb)}
.wap-step-waiting{color:var(--jp-warn-color1,#9a6700)}
.wap-step-pending,.wap-step-skipped{color:var(--jp-ui-font-color3,#8c959f)}
.wap-rows{overflow-x:auto}
.wap-log{font-size:11px;white-space:pre-wrap;color:var(--jp-ui-font-color2,#57606a)}
.wap-log summary{cursor:pointer}
.wap-offline{display:none;margin:4px 0;padding:4px 8px;border-left:3px solid var(--jp-warn-color1,#9a6700);
 background:rgba(212,160,23,.12)}
.jupyter-widgets-disconnected .wap-offline{display:block}
.wap-panel .jupyter-widgets-disconnected::before,.wap-panel.jupyter-widgets-disconnected::before{display:none}
.wap-panel .jupyter-widgets-disconnected.jupyter-button,.wap-panel .widget-checkbox.jupyter-widgets-disconnected,
.wap-panel .widget-text.jupyter-widgets-disconnected{opacity:.35;pointer-events:none}
.wap-panel .widget-tab>.widget-tab-contents,.wap-panel .lm-TabPanel-stackedPanel{max-height:400px;overflow:auto}
</style>"""


@dataclass(frozen=True)
class Verdict:
    label: str
    css: str  # wap-ok | wap-fail | wap-caution | wap-busy | wap-idle


_VERDICT: dict[str, Verdict] = {
    Phase.PASSED: Verdict("PASSED", "wap-ok"),
    Phase.FAILED: Verdict("FAILED", "wap-fail"),
    Phase.ERROR: Verdict("ERROR", "wap-fail"),
    Phase.DISCARDED: Verdict("DISCARDED", "wap-idle"),
    Phase.IMPORTING: Verdict("IMPORTING", "wap-busy"),
    Phase.VALIDATING: Verdict("VALIDATING", "wap-busy"),
    Phase.IMPORTED: Verdict("IMPORTED", "wap-busy"),
    Phase.MERGED: Verdict("MERGED", "wap-ok"),
}


def verdict(phase: str, *, forced: bool = False) -> Verdict:
    if phase == Phase.MERGED and forced:
        return Verdict("MERGED WITH OVERRIDE", "wap-caution")
    return _VERDICT.get(phase, Verdict("NOT STARTED", "wap-idle"))


def phase_label(phase: str, from_ref: str = "main") -> str:
    return _PHASE_LABEL.get(phase, phase).format(ref=from_ref)


def step_states(phase: str, seen: Iterable[str] = (), *, validated: str | None = None) -> dict[str, str]:
    """The state of Import / Validate / Publish for an ingestion in `phase` that went through `seen`.

    `validated` ("passed" / "failed", from the report) stands in for the history a resumed ingestion does
    not have: a report means the import finished and the checks ran."""
    seen = set(seen)
    if validated == "passed":
        seen |= {Phase.IMPORTED, Phase.PASSED}
    elif validated == "failed":
        seen |= {Phase.IMPORTED, Phase.FAILED}
    pending = dict.fromkeys(STEPS, "pending")
    if phase == Phase.IMPORTING:
        return {**pending, "Import": "running"}
    if phase == Phase.IMPORTED:
        return {**pending, "Import": "done"}
    if phase == Phase.VALIDATING:
        return {**pending, "Import": "done", "Validate": "running"}
    if phase == Phase.PASSED:
        return {"Import": "done", "Validate": "done", "Publish": "waiting"}
    if phase == Phase.FAILED:
        if seen & {Phase.IMPORTED, Phase.VALIDATING}:
            return {"Import": "done", "Validate": "failed", "Publish": "waiting"}
        return {"Import": "failed", "Validate": "skipped", "Publish": "waiting"}
    if phase == Phase.MERGED:
        return {"Import": "done", "Validate": "done", "Publish": "done"}
    if phase == Phase.DISCARDED:
        validated = "done" if Phase.PASSED in seen else ("failed" if Phase.FAILED in seen else "skipped")
        reached = seen & {Phase.IMPORTED, Phase.VALIDATING, Phase.PASSED} or validated == "failed"
        imported = "done" if reached else "skipped"
        return {"Import": imported, "Validate": validated, "Publish": "skipped"}
    if phase == Phase.ERROR:
        if seen & {Phase.PASSED, Phase.FAILED}:
            failed = "failed" if Phase.FAILED in seen and Phase.PASSED not in seen else "done"
            return {"Import": "done", "Validate": failed, "Publish": "error"}
        if seen & {Phase.IMPORTED, Phase.VALIDATING}:
            return {"Import": "done", "Validate": "error", "Publish": "pending"}
        return {"Import": "error", "Validate": "pending", "Publish": "pending"}
    return pending


def phase_strip_html(phase: str, seen: Iterable[str] = (), *, validated: str | None = None) -> str:
    states = step_states(phase, seen, validated=validated)
    parts = [f'<span class="wap-step wap-step-{states[s]}" data-step="{s.lower()}" title="{states[s]}">'
             f"{_STEP_SYMBOL[states[s]]} {s}</span>" for s in STEPS]
    return f'<span class="wap-strip" style="font-size:11px">{" → ".join(parts)}</span>'


def short(value: Any, keep: int = 8) -> str:
    """A hash cut to `keep` characters, the full value on hover."""
    text = "" if value is None else str(value)
    if len(text) <= keep:
        return f"<code>{esc(text)}</code>"
    return f'<code title="{esc(text)}">{esc(text[:keep])}</code>'


def short_branch(branch: str) -> str:
    """`user.import_orders_20261125T211737_2340a4` -> `import_orders…2340a4`, the full name on hover."""
    if not branch:
        return '<span class="wap-dim">no branch yet</span>'
    name = branch.split(".", 1)[-1]
    head, _, suffix = name.rpartition("_")
    stem = head.rsplit("_", 1)[0] if head.count("_") >= 2 else head
    text = f"{stem}…{suffix}" if stem and suffix and len(name) > 24 else name
    return f'<code title="{esc(branch)}">{esc(text)}</code>'


def _counts_text(report: pd.DataFrame | None) -> str:
    if report is None or len(report) == 0 or "status" not in report.columns:
        return ""
    counts = report["status"].value_counts()
    bad = int(counts.get("failed", 0)) + int(counts.get("error", 0))
    warned = int(counts.get("warned", 0))
    total = len(report)
    text = f"{bad} of {total} checks failed" if bad else f"{total} check{'' if total == 1 else 's'} passed"
    return text + (f", {warned} warned" if warned else "")


@dataclass(frozen=True)
class Facts:
    """What the summary line says, read once from the ingestion (and the panel's own knowledge)."""

    phase: str
    tables: list[str]
    rows_added: dict[str, int]
    branch: str
    from_ref: str
    base_hash: str | None
    merge_commit: str | None
    forced: bool
    force_reason: str | None
    behind: int | None  # commits `from_ref` moved since the fork, when known
    report: pd.DataFrame | None
    seen: list[str]
    checks_note: str | None = None  # "only built-in checks ran ..." when no user check applies
    moved_tables: tuple[str, ...] = ()  # this ingestion's tables that changed on `from_ref` since the fork
    branch_exists: bool = True  # False once a failed import deleted its branch (or before it is made)
    resume_code: str = ""  # the line that resumes the branch in a new kernel, naming its lakehouse

    @property
    def validated(self) -> str | None:
        """"passed" / "failed" when the report holds a validation's verdicts, else None."""
        return report_verdict(self.report)


def report_verdict(report: pd.DataFrame | None) -> str | None:
    if report is None or len(report) == 0 or "status" not in report.columns:
        return None
    return "failed" if report["status"].isin(["failed", "error"]).any() else "passed"


def read_facts(ingestion: Ingestion, *, behind: int | None = None, moved_tables: Sequence[str] = ()) -> Facts:
    base_ref = safe_read(lambda: ingestion.base_ref, None) or ""
    return Facts(
        phase=safe_read(lambda: ingestion.phase, Phase.NEW),
        tables=safe_read(lambda: list(ingestion.tables), []) or [],
        rows_added=safe_read(lambda: dict(ingestion.rows_added), {}) or {},
        branch=safe_read(lambda: ingestion.branch, "") or "",
        from_ref=safe_read(lambda: ingestion.from_ref, "main") or "main",
        base_hash=base_ref.split("@", 1)[1] if "@" in base_ref else None,
        merge_commit=safe_read(lambda: ingestion.merge_commit, None),
        forced=bool(safe_read(lambda: ingestion.forced, False)),
        force_reason=safe_read(lambda: ingestion.force_reason, None),
        behind=behind,
        report=safe_read(lambda: ingestion.report, None),
        seen=seen_phases(ingestion),
        checks_note=safe_read(lambda: ingestion.checks_note, None),
        moved_tables=tuple(moved_tables),
        branch_exists=bool(safe_read(lambda: ingestion.state.branch_created, True)),
        resume_code=safe_read(lambda: ingestion.resume_code, "") or "",
    )


def summary_html(facts: Facts) -> str:
    """One line: verdict, rows per table, branch, base and merge commit, override and staleness warnings."""
    v = verdict(facts.phase, forced=facts.forced)
    parts = [f'<span class="wap-pill {v.css} wap-phase" data-phase="{esc(facts.phase)}" '
             f'title="{esc(phase_label(facts.phase, facts.from_ref))}">{esc(v.label)}</span>']
    rows = []
    for table in facts.tables[:3]:
        added = facts.rows_added.get(table)
        count = "" if added is None else f" +{added:,} row{'' if added == 1 else 's'}"
        rows.append(f"<b>{esc(table)}</b>{count}")
    if len(facts.tables) > 3:
        rows.append(f"+{len(facts.tables) - 3} more tables")
    parts.append(", ".join(rows))
    base = f"@{short(facts.base_hash)}" if facts.base_hash else ""
    parts.append(f'<span>{short_branch(facts.branch)} <span class="wap-dim">from</span> '
                 f"<code>{esc(facts.from_ref)}</code>{base}</span>")
    if facts.merge_commit:
        parts.append(f'<span><span class="wap-dim">commit</span> {short(facts.merge_commit)}</span>')
    if facts.forced:
        parts.append(f'<span class="wap-warn">⚠ checks overridden: {esc(facts.force_reason or "no reason given")}'
                     "</span>")
    if facts.behind and facts.phase in OPEN_PHASES:
        plural = "" if facts.behind == 1 else "s"
        moved = f"{esc(facts.from_ref)} moved {facts.behind} commit{plural} since the fork"
        if facts.moved_tables:
            names = ", ".join(facts.moved_tables)
            parts.append(f'<span class="wap-warn" title="the branch does not contain them: merge refuses tables '
                         f'that changed on {esc(facts.from_ref)}">⚠ {moved} ({esc(names)} changed)</span>')
        else:  # only other tables changed: nothing to rebase, the merge goes through
            parts.append(f'<span class="wap-dim" title="no table of this ingestion changed there: the merge is '
                         f'not affected">{moved} (other tables only)</span>')
    if facts.checks_note and facts.phase in (Phase.PASSED, Phase.FAILED, Phase.MERGED):
        parts.append(f'<span class="wap-warn" title="{esc(facts.checks_note)}">⚠ only built-in checks ran</span>')
    counts = _counts_text(facts.report)
    if counts:
        parts.append(f'<span class="wap-dim">{esc(counts)}</span>')
    parts.append(phase_strip_html(facts.phase, facts.seen, validated=facts.validated))
    wrapped = (p if p.startswith("<span") else f"<span>{p}</span>" for p in parts)
    return f'<div class="wap-summary">{"".join(wrapped)}</div>'


def resume_line(facts: Facts) -> str:
    return facts.resume_code or f"from wap_notebook import Ingestion; ingestion = Ingestion.resume({facts.branch!r})"


def offline_html(facts: Facts) -> str:
    """Shown only once the kernel is gone (ipywidgets marks the views disconnected): what to run next."""
    if facts.branch and facts.branch_exists and facts.phase in OPEN_PHASES:
        action = f"The branch is kept. To continue in a new kernel: <code>{esc(resume_line(facts))}</code>"
    else:
        action = "Nothing is left to resume: this ingestion is finished."
    return (f'<div class="wap-offline"><b>Disconnected</b>: the kernel that ran this panel is gone, its buttons no '
            f"longer work. {action}</div>")


def checks_html(report: pd.DataFrame | None) -> str:
    """One line per check: status, check, observed, expected, failing rows, message (cut, full on hover)."""
    if report is None or len(report) == 0:
        return '<i class="wap-dim">no checks run yet</i>'
    multi = "table" in report.columns and report["table"].nunique() > 1
    css = {"passed": "wap-ok", "failed": "wap-fail", "warned": "wap-caution", "error": "wap-fail"}
    body = []
    for record in report.to_dict("records"):
        status = str(record.get("status", ""))
        name = f"{record.get('table')}.{record.get('check')}" if multi else str(record.get("check"))
        severity = "" if record.get("severity") in (None, "error") else (
            f' <span class="wap-dim">({esc(record.get("severity"))})</span>')
        count = record.get("failing_rows")
        count_text = "" if count is None or pd.isna(count) else f"{int(count):,}"
        bad = status in ("failed", "error", "warned") and count_text not in ("", "0")
        message = _cell(record.get("message"))
        body.append(
            f'<tr data-status="{esc(status)}"><td><span class="wap-pill {css.get(status, "wap-idle")}" '
            f'style="font-size:10px;padding:0 6px">{esc(status)}</span></td>'
            f'<td class="wap-cut" title="{esc(name)}">{esc(name)}{severity}</td>'
            + "".join(f'<td class="wap-cut" title="{esc(text)}">{esc(text)}</td>'
                      for text in (_cell(record.get("observed")), _cell(record.get("expected"))))
            + f'<td class="wap-num{" wap-bad" if bad else ""}">{esc(count_text)}</td>'
            f'<td class="wap-msg wap-dim" title="{esc(message)}">{esc(message)}</td></tr>')
    return ('<table class="wap-grid wap-checks wap-report"><thead><tr><th>status</th><th>check</th><th>observed</th>'
            '<th>expected</th><th class="wap-num">failing rows</th><th>message</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def failed_checks(report: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """(label, table, check) of each failed or warned check with failing rows worth looking at."""
    if report is None or len(report) == 0 or "status" not in report.columns:
        return []
    out = []
    for record in report.to_dict("records"):
        if record.get("status") not in ("failed", "warned", "error"):
            continue
        table, check = str(record.get("table", "")), str(record.get("check", ""))
        count = record.get("failing_rows")
        count_text = "" if count is None or pd.isna(count) else f" ({int(count):,} row{'' if int(count) == 1 else 's'})"
        out.append((f"{table} · {check} · {record.get('status')}{count_text}", table, check))
    return out


def status_html(kind: str, message: str, *, title: str | None = None) -> str:
    """One status line: kind is info, busy, ok, warn or error."""
    symbols = {"busy": "⏳ ", "ok": "✔ ", "warn": "⚠ ", "error": "✖ "}
    css = {"busy": "wap-step-running", "ok": "wap-step-done", "warn": "wap-warn", "error": "wap-step-failed"}
    # wrapped, never cut: the cause of a failure is often at the end of a long message
    hover = f' title="{esc(title)}"' if title else ""
    return (f'<div class="wap-status wap-status-{esc(kind)} {css.get(kind, "wap-dim")}"{hover}>'
            f'{symbols.get(kind, "")}{esc(sentence(message))}</div>')


def result_text(ingestion: Ingestion, facts: Facts | None = None) -> tuple[str, str] | None:
    """The outcome worth a status line for a finished ingestion: (kind, message), or None."""
    facts = facts or read_facts(ingestion)
    phase = facts.phase
    if phase == Phase.MERGED:
        commit = facts.merge_commit or "?"
        if facts.forced:
            return "warn", f"Merged into {facts.from_ref} with failed checks overridden: commit {commit}"
        return "ok", f"Merged into {facts.from_ref}: commit {commit}"
    if phase == Phase.DISCARDED:
        return "ok", f"Discarded: branch {facts.branch} deleted"
    if phase == Phase.ERROR:
        return "error", f"Error: {safe_read(lambda: ingestion.error, None) or 'the last operation failed'}"
    if phase == Phase.FAILED:
        reason = safe_read(lambda: ingestion.error, None)
        if reason and facts.validated is None:  # the checks never ran: the import is what failed
            return "error", f"Import failed: {reason}"
        # the engine's reason already reads "4 check(s) failed: ..." (one heading, not two)
        return "error", reason or "Checks failed: error-severity checks did not pass"
    if phase == Phase.PASSED:
        return "info", "All error-severity checks passed: review, then Merge or Discard."
    return None


def log_html(lines: Sequence[str], visible: int = LOG_VISIBLE) -> str:
    """The last `visible` lines; earlier ones folded behind "show N earlier"."""
    if not lines:
        return '<div class="wap-log"><i>nothing yet</i></div>'
    earlier, recent = lines[:-visible], lines[-visible:]
    folded = (f"<details><summary>show {len(earlier)} earlier line{'' if len(earlier) == 1 else 's'}</summary>"
              f"{esc(chr(10).join(earlier))}</details>") if earlier else ""
    return f'<div class="wap-log">{folded}{esc(chr(10).join(recent))}</div>'


def sources_html(ingestion: Ingestion) -> str:
    """Tables, their (redacted) sources, backend and user: nothing secret."""
    sources = safe_read(lambda: dict(ingestion.sources), {}) or {}
    namespace = safe_read(lambda: ingestion.namespace, "")
    tables = ", ".join(f"<code>{esc(f'{namespace}.{t}' if namespace else t)}</code> ← "
                       f"<code>{esc(redact_uri(uri))}</code>" for t, uri in sources.items())
    return (f'<div class="wap-dim" style="margin-top:6px">{tables} · backend '
            f'{esc(safe_read(lambda: ingestion.backend, "?"))} · user '
            f'{esc(safe_read(lambda: ingestion.user, "?"))} · branch '
            f'<code>{esc(safe_read(lambda: ingestion.branch, ""))}</code></div>')


def seen_phases(ingestion: Ingestion) -> list[str]:
    history = safe_read(lambda: list(ingestion.history), []) or []
    return [event.phase for event in history if getattr(event, "kind", None) == "phase"]


def history_lines(ingestion: Ingestion) -> list[str]:
    history = safe_read(lambda: list(ingestion.history), []) or []
    return [f"{event.at:%H:%M:%S} {event.message}" for event in history if getattr(event, "message", "")]


def ingestion_html(ingestion: Ingestion, *, charts: str | None = None, facts: Facts | None = None) -> str:
    """The static fallback: summary, checks, charts and log, readable without widgets or a kernel."""
    facts = facts or read_facts(ingestion)
    parts = [CSS, '<div class="wap-ingestion">', summary_html(facts)]
    result = result_text(ingestion, facts)
    if result:
        parts.append(status_html(*result))
    if facts.branch and facts.branch_exists and facts.phase in OPEN_PHASES:
        parts.append(f'<div class="wap-dim">Saved view. In a live kernel, '
                     f"<code>{esc(resume_line(facts))}</code> picks this branch up.</div>")
    if facts.report is not None and len(facts.report):
        parts.append(checks_html(facts.report))
    if charts:
        parts.append(charts)
    parts.append(f"<details><summary>Sources and log</summary>{sources_html(ingestion)}"
                 f"{log_html(history_lines(ingestion), visible=1000)}</details>")
    parts.append("</div>")
    return "\n".join(parts)


def hide_saved_css(key: str) -> str:
    """Put into the live panel: its saved view (the output right under it) is not shown while it lives."""
    return f"<style>#{key},.jp-OutputArea-child:has(#{key}){{display:none}}</style>"


def saved_view_html(key: str, body: str) -> str:
    """The saved view of a panel, with the CSS that hides the widget's "model not found" line above it
    when the notebook is reopened without a kernel (the panel's output then holds only that text)."""
    css = (f"<style>.jp-OutputArea-child:has(> .jupyter-widgets:not(:has(*))):has(+ .jp-OutputArea-child #{key})"
           "{display:none}</style>")
    return f'{css}<div class="wap-saved" id="{esc(key)}">{body}</div>'


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_cell, value))
    if value is None:
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return number(value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def number(value: Any) -> str:
    """Counts and numbers one way everywhere: thousands separated, integral floats without decimals."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    as_float = float(value)
    if not np.isfinite(as_float):
        return str(as_float)
    if as_float.is_integer() and abs(as_float) < 1e15:
        return f"{int(as_float):,}"
    return f"{as_float:,.6g}" if abs(as_float) < 1e6 else f"{as_float:,.2f}"


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def sentence(text: str) -> str:
    """A message as one readable sentence: no doubled full stop where two parts were joined."""
    return _DOUBLE_STOP.sub(".", text.strip())


def safe_read(getter: Any, default: Any) -> Any:
    """`getter()`, or `default` if it raises: a view (panel, HTML, text summary) must render whatever state
    the ingestion is in, including a half-failed one."""
    try:
        return getter()
    except Exception:  # noqa: BLE001 - see the docstring
        return default


def redacted_sources(ingestion: Ingestion) -> Mapping[str, str]:
    return {t: redact_uri(u) for t, u in (safe_read(lambda: dict(ingestion.sources), {}) or {}).items()}

