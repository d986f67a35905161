"""Static HTML for an ingestion: the summary line, the checks table, status, result and log lines, the export.

Pure functions of their inputs (no widgets, no threads), shared by the live panel (which puts them into
`ipywidgets.HTML`) and by the static fallback `ingestion_html()` that nbconvert, GitHub and other
widget-less viewers show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from wap_notebook.core.uris import redact_uri
from wap_notebook.engine.conflicts import moved_text
from wap_notebook.engine.phases import Phase
from wap_notebook.notebook.panel.facts import OPEN_PHASES, Facts, history_lines, read_facts, safe_read
from wap_notebook.notebook.panel.steps import phase_label, phase_strip_html, verdict
from wap_notebook.notebook.panel.style import CSS
from wap_notebook.notebook.panel.tables import esc
from wap_notebook.notebook.panel.text import cell, sentence, short, short_branch

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

__all__ = ["ingestion_html", "summary_html", "checks_html", "status_html", "log_html", "result_text"]

LOG_VISIBLE = 4


def _counts_text(report: pd.DataFrame | None) -> str:
    if report is None or len(report) == 0 or "status" not in report.columns:
        return ""
    counts = report["status"].value_counts()
    bad = int(counts.get("failed", 0)) + int(counts.get("error", 0))
    warned = int(counts.get("warned", 0))
    total = len(report)
    text = f"{bad} of {total} checks failed" if bad else f"{total} check{'' if total == 1 else 's'} passed"
    return text + (f", {warned} warned" if warned else "")



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
        moved = esc(moved_text(facts.from_ref, facts.behind))
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


def offline_html(facts: Facts) -> str:
    """Shown only once the kernel is gone (ipywidgets marks the views disconnected): what to run next."""
    if facts.branch and facts.branch_exists and facts.phase in OPEN_PHASES:
        action = f"The branch is kept. To continue in a new kernel: <code>{esc(facts.resume_line)}</code>"
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
        message = cell(record.get("message"))
        body.append(
            f'<tr data-status="{esc(status)}"><td><span class="wap-pill {css.get(status, "wap-idle")}" '
            f'style="font-size:10px;padding:0 6px">{esc(status)}</span></td>'
            f'<td class="wap-cut wap-name" title="{esc(name)}">{esc(name)}{severity}</td>'
            + "".join(f'<td class="wap-cut" title="{esc(text)}"><div class="wap-clamp">{esc(text)}</div></td>'
                      for text in (cell(record.get("observed")), cell(record.get("expected"))))
            + f'<td class="wap-num{" wap-bad" if bad else ""}">{esc(count_text)}</td>'
            # observed, expected and the message: two lines at most (a schema listed in full would make one
            # check fill the screen), all of it on hover
            f'<td class="wap-msg wap-dim" title="{esc(message)}"><div class="wap-clamp">{esc(message)}</div></td></tr>')
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


def ingestion_html(ingestion: Ingestion, *, charts: str | None = None, facts: Facts | None = None) -> str:
    """The static fallback: summary, checks, charts and log, readable without widgets or a kernel."""
    facts = facts or read_facts(ingestion)
    parts = [CSS, '<div class="wap-ingestion">', summary_html(facts)]
    result = result_text(ingestion, facts)
    if result:
        parts.append(status_html(*result))
    if facts.branch and facts.branch_exists and facts.phase in OPEN_PHASES:
        parts.append(f'<div class="wap-dim">Saved view. In a live kernel, '
                     f"<code>{esc(facts.resume_line)}</code> picks this branch up.</div>")
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
    when the notebook is reopened without a kernel (the panel's output then holds only that text, no panel).
    No `:has()` inside `:has()`: browsers drop such a rule as invalid."""
    css = (f"<style>.jp-OutputArea-child:has(+ .jp-OutputArea-child #{key}):not(:has(.wap-panel))"
           "{display:none}</style>")
    return f'{css}<div class="wap-saved" id="{esc(key)}">{body}</div>'


