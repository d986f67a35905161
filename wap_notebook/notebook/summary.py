"""The outcome of an ingestion as plain text: what `%wap_ingest --no-panel` and the command line print.

The heading says what happened, in the order it happened: a failed import is "import failed" (no check
ran), failed checks are "checks failed", and a branch deleted by `on_failure="delete"` reads "checks failed;
branch discarded", never a bare "discarded". A forced merge and a verdict resting on built-in checks only
are said in words, on lines of their own, so they cannot be mistaken for a clean pass in a log or a
terminal. The report has the check's message and, for a failed check, a few failing values; a missing value
prints as "-", never as pandas' `<NA>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wap_notebook.engine.conflicts import moved_text

if TYPE_CHECKING:
    import pandas as pd

    from wap_notebook.ingestion import Ingestion

REPORT_COLUMNS = ("table", "check", "severity", "status", "observed", "expected", "failing_rows", "message")
FAILING_VALUES = 5  # distinct failing values shown per failed check
MISSING = "-"


def heading(ingestion: Ingestion) -> str:
    """What happened, in words: the first line of the summary."""
    from wap_notebook.notebook.panel.facts import safe_read
    from wap_notebook.notebook.panel.steps import phase_label

    state, phase, ref = ingestion.state, ingestion.phase, ingestion.from_ref
    if phase == "failed":
        return "checks failed" if state.imported else "import failed"
    if phase == "discarded":
        if state.passed is False:
            return "checks failed; branch discarded"
        if not state.imported and state.error:
            return "import failed; branch deleted"
        return "discarded: branch deleted"
    if phase == "merged" and safe_read(lambda: ingestion.forced, False):
        return f"merged into {ref} with failed checks overridden"
    return phase_label(phase, ref)


def text_summary(ingestion: Ingestion, *, commands: str | None = None) -> str:
    """What `--no-panel` prints: the outcome, the branch, warnings, and the report as text.

    `commands` is how the reader continues a kept branch (the command line passes its program name, so a
    passed ingestion reads "python -m wap_notebook merge BRANCH" instead of the panel's buttons)."""
    from wap_notebook.notebook.panel.facts import OPEN_PHASES, safe_read
    from wap_notebook.notebook.panel.views import result_text

    phase = ingestion.phase
    lines = [f"{', '.join(ingestion.tables)}: {heading(ingestion)}"]
    if ingestion.branch:
        lines.append(f"branch: {ingestion.branch}")
    if phase == "merged" and safe_read(lambda: ingestion.forced, False):
        lines.append(f"WARNING: Merged with override: {safe_read(lambda: ingestion.force_reason, None) or '?'} "
                     "(failed checks were published on purpose; recorded in the merge commit)")
    result = result_text(ingestion)
    if result:
        lines.append(_next_steps(ingestion, commands) if commands and phase in ("passed", "failed")
                     else result[1])
    note = safe_read(lambda: ingestion.checks_note, None)
    if note and phase in ("passed", "failed", "merged"):
        lines.append(f"NOTE: {note}")
    if safe_read(lambda: ingestion.spec.checks_source, None) == "remembered":
        lines.append("NOTE: no checks given: the checks of the last ingestion merged into the table ran "
                     "(checks=[] runs only the built-in ones)")
    behind = safe_read(lambda: ingestion.behind, None) if phase in ("passed", "failed") else None
    if behind:
        lines.append(f"NOTE: {moved_text(ingestion.from_ref, behind)}: ingestion.rebase() re-imports on the new head")
    if ingestion.branch:  # where `show` and resume look (after the lines scripts index: heading, branch, result)
        lines.append(f"lakehouse: {safe_read(lambda: ingestion.backend, '?')}")
    if commands is None and phase in OPEN_PHASES and safe_read(lambda: ingestion.state.branch_created, False):
        lines.append(f"resume in a new kernel: {safe_read(lambda: ingestion.resume_code, '?')}")
    report = ingestion.report
    if report is not None and len(report):
        lines.append(report_text(report))
        lines.extend(failing_values(ingestion, report))
    return "\n".join(lines)


def _next_steps(ingestion: Ingestion, program: str) -> str:
    branch = ingestion.branch
    if ingestion.phase == "passed":
        return (f"All error-severity checks passed: review ({program} show {branch}), then "
                f"{program} merge {branch} or {program} discard {branch}")
    if not ingestion.state.imported:
        return f"Failed: {ingestion.error or 'the import failed'}"
    reason = ingestion.error or "error-severity checks did not pass"
    return (f"Failed: {reason}. Fix the data and ingest again ({program} discard {branch}), or publish anyway: "
            f"{program} merge {branch} --force --reason TEXT")


def report_text(report: pd.DataFrame) -> str:
    """The report as a plain table, with its message column and "-" for what is missing."""
    columns = [c for c in REPORT_COLUMNS if c in report.columns]
    shown = report[columns].astype(object)
    shown = shown.where(shown.notna(), MISSING)
    shown = shown.map(lambda v: MISSING if v == "" else v)
    if "message" in shown.columns:
        # pandas right-aligns text, so one long message (a schema listed in full) would push every other
        # message far right; the last column is left-aligned instead, its header with it.
        width = max(len("message"), *(len(str(v)) for v in shown["message"]))
        shown["message"] = [str(v).ljust(width) for v in shown["message"]]
        shown = shown.rename(columns={"message": "message".ljust(width)})
    return "\n".join(line.rstrip() for line in shown.to_string(index=False).splitlines())


def failing_values(ingestion: Ingestion, report: pd.DataFrame) -> list[str]:
    """One line per failed check naming columns: up to `FAILING_VALUES` distinct failing values of each."""
    from wap_notebook.notebook.panel.facts import safe_read

    lines = []
    for index, row in enumerate(report.itertuples(index=False)):
        if getattr(row, "status", None) != "failed":
            continue
        columns = [c.strip() for c in str(getattr(row, "columns", "") or "").split(",") if c.strip()]
        if not columns:
            continue
        rows = safe_read(lambda i=index: ingestion.failures(i, n=50), None)
        if rows is None or not len(rows):
            continue
        parts = [f"{c}={', '.join(_distinct(rows[c]))}" for c in columns if c in rows.columns]
        if parts and "on_main" in rows.columns:  # unique in append mode: rows the batch collides with
            on_main = rows[rows["on_main"].astype(bool)]
            if len(on_main):
                keys = "; ".join(f"{c}={', '.join(_distinct(on_main[c]))}" for c in columns if c in on_main.columns)
                parts.append(f"{len(on_main)} of the {len(rows)} rows listed already on main ({keys})")
        if parts:
            lines.append(f"failing values of {row.table}.{row.check}: {'; '.join(parts)}")
    return lines


def _distinct(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values.tolist():
        text = "null" if _missing(value) else repr(value) if isinstance(value, str) else str(value)
        if text not in seen:
            seen.append(text)
        if len(seen) == FAILING_VALUES:
            break
    return seen


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values, not missing
        return False
