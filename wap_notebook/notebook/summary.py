"""The outcome of an ingestion as plain text: what `%wap_ingest --no-panel` and the command line print.

A forced merge and a verdict resting on built-in checks only are said in words, on lines of their own,
so they cannot be mistaken for a clean pass in a log or a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion


def text_summary(ingestion: Ingestion) -> str:
    """What `--no-panel` prints: the outcome, the branch, warnings, and the report as text."""
    from wap_notebook.notebook.panel import views

    phase = ingestion.phase
    lines = [f"{', '.join(ingestion.tables)}: {views.phase_label(phase, ingestion.from_ref)}"]
    if ingestion.branch:
        lines.append(f"branch: {ingestion.branch}")
    if phase == "merged" and views.safe_read(lambda: ingestion.forced, False):
        lines.append(f"WARNING: Merged with override: {views.safe_read(lambda: ingestion.force_reason, None) or '?'} "
                     "(failed checks were published on purpose; recorded in the merge commit)")
    result = views.result_text(ingestion)
    if result:
        lines.append(result[1])
    note = views.safe_read(lambda: ingestion.checks_note, None)
    if note and phase in ("passed", "failed", "merged"):
        lines.append(f"NOTE: {note}")
    if views.safe_read(lambda: ingestion.spec.checks_source, None) == "remembered":
        lines.append("NOTE: no checks given: the checks of the last ingestion merged into the table ran "
                     "(checks=[] runs only the built-in ones)")
    behind = views.safe_read(lambda: ingestion.behind, None) if phase in ("passed", "failed") else None
    if behind:
        lines.append(f"NOTE: {ingestion.from_ref} moved {behind} commit{'s' if behind != 1 else ''} since this "
                     "import: ingestion.rebase() re-imports on the new head")
    report = ingestion.report
    if report is not None and len(report):
        columns = [c for c in ("table", "check", "columns", "severity", "status", "observed", "expected",
                               "failing_rows") if c in report.columns]
        lines.append(report[columns].to_string(index=False))
    return "\n".join(lines)
