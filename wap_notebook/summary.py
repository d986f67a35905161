"""The outcome of an ingestion as plain text: what `%wap_ingest --no-panel` and the command line print."""

from __future__ import annotations

from typing import Any


def text_summary(ingestion: Any) -> str:
    """What `--no-panel` prints: the outcome, the branch and the report as text."""
    from wap_notebook import panel_views as views

    lines = [f"{', '.join(ingestion.tables)}: {views.phase_label(ingestion.phase, ingestion.from_ref)}"]
    if ingestion.branch:
        lines.append(f"branch: {ingestion.branch}")
    result = views.result_text(ingestion)
    if result:
        lines.append(result[1])
    report = ingestion.report
    if report is not None and len(report):
        columns = [c for c in ("table", "check", "columns", "severity", "status", "observed", "expected",
                               "failing_rows") if c in report.columns]
        lines.append(report[columns].to_string(index=False))
    return "\n".join(lines)
