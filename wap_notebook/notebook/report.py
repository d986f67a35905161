"""A static report of one ingestion: one self-contained HTML file to attach to a ticket or publish.

Summary, checks, charts (inline SVG, rendered in-process by `vl-convert`), failing rows of each failed
check, a sample of the new rows, the schema beside the base ref, the diff, sources and log: readable
offline, no script, no CDN. The sections are the same pure functions the panel's tabs show, so the
report and the panel cannot drift apart. `Ingestion.to_html(path)` and `ingest --report FILE` write it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from wap_notebook.engine.phases import DATA_PHASES, Phase
from wap_notebook.notebook import charts
from wap_notebook.notebook.panel import tables, views
from wap_notebook.notebook.panel.facts import read_facts, redacted_sources, safe_read
from wap_notebook.notebook.panel.steps import phase_label

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

__all__ = ["report_html", "write_report", "charts_section", "schema_section", "diff_section", "failing_section"]

# Outside JupyterLab there are no --jp-* variables: the same palette, and a dark one when the reader's
# system asks for it. A report is read, not hovered: check messages are shown whole, not cut at two lines.
_PAGE_CSS = """<style>
body{margin:24px auto;max-width:1200px;padding:0 16px;font-family:system-ui,sans-serif;font-size:13px;
 color:#1f2328;background:#fff}
@media (prefers-color-scheme: dark){body{color:#e6edf3;background:#0d1117}}
h2{font-size:15px;margin:22px 0 6px;border-bottom:1px solid rgba(128,128,128,.35);padding-bottom:3px}
h3{font-size:13px;margin:12px 0 4px}
code{font-size:12px}
body .wap-clamp{display:block;overflow:visible;-webkit-line-clamp:none;line-clamp:none}
</style>"""


def attempt(getter: Callable[[], Any]) -> tuple[Any, Exception | None]:
    try:
        return getter(), None
    except Exception as exc:  # noqa: BLE001 - a section says what failed; the rest still renders
        return None, exc


def unavailable(error: Exception) -> str:
    return f"<i>unavailable: {tables.esc(type(error).__name__)}: {tables.esc(error)}</i>"


def flags(frame: Any, predicates: dict[str, str]) -> dict[str, list[bool]]:
    """Column -> failing-cell flags of `frame` (empty when there is nothing to mark)."""
    from wap_notebook.engine.profiles import failing_cells

    if frame is None or not predicates or not len(frame):
        return {}
    return safe_read(lambda: failing_cells(frame, predicates), {}) or {}


def profiles_of(ingestion: Ingestion) -> dict[str, Any]:
    out = {}
    for table in safe_read(lambda: list(ingestion.tables), []):
        profile, error = attempt(partial(ingestion.inspect.profile, table))  # the charts' TableProfile
        if error is None:
            out[table] = profile
    return out


def charts_section(ingestion: Ingestion, profiles: dict[str, Any], base_label: str) -> str:
    report = safe_read(lambda: ingestion.report, None)
    specs = [charts.failing_rows_spec(report)]
    specs += [charts.column_spec(c, base_label, exact_failing=exact_failing(report, c.table, c.checks))
              for p in profiles.values() for c in p.columns]
    note = '<div class="wap-dim">No check has failing rows.</div>' if specs[0] is None and len(specs) > 1 else ""
    keys = [c.column for p in profiles.values() for c in p.columns if c.is_key]
    if keys:
        note += (f'<div class="wap-dim">Not charted (keys: nearly every value distinct): '
                 f'{tables.esc(", ".join(keys))}</div>')
    return note + charts.charts_html(specs, empty="no checks to chart yet")


def exact_failing(report: Any, table: str, checks: Sequence[str]) -> int | None:
    """The most failing rows any of `checks` counted on `table` (over every new row, not a sample)."""
    if report is None or len(report) == 0 or "failing_rows" not in report.columns:
        return None
    rows = report[(report["table"] == table) & report["check"].isin(list(checks))]
    counts = [int(v) for v in rows["failing_rows"] if v is not None and not pd.isna(v)]
    return max(counts) if counts else None


def schema_section(profiles: dict[str, Any], base_label: str) -> str:
    return "".join(tables.schema_compare_html(p, base_label) for p in profiles.values()) or "<i>schema unavailable</i>"


def check_columns(report: Any, table: str, check: str) -> list[str]:
    if report is None or len(report) == 0:
        return []
    rows = report[(report["table"] == table) & (report["check"] == check)]
    if not len(rows):
        return []
    value = rows.iloc[0].get("columns")
    if isinstance(value, (list, tuple)):
        return [str(c) for c in value]
    return [c.strip() for c in str(value or "").split(",") if c.strip()]


def failing_section(ingestion: Ingestion, table: str, check: str, predicates: dict[str, dict[str, str]]) -> str:
    """The failing rows of one check, its columns first and its failing cells marked."""
    names = safe_read(lambda: list(ingestion.tables), [])
    name = f"{table}.{check}" if len(names) > 1 else check
    frame, error = attempt(lambda: ingestion.failures(name))
    if error is not None:
        return unavailable(error)
    columns = check_columns(safe_read(lambda: ingestion.report, None), table, check)
    if frame is not None and len(getattr(frame, "columns", ())):
        # the checked columns first: a wide table must not push the failing cells off the right edge
        first = [c for c in columns if c in frame.columns]
        if "on_main" in frame.columns:  # unique in append mode: which listed rows were already on main
            first = ["on_main", *first]
            frame = frame.assign(on_main=frame["on_main"].map({True: "on main", False: "new"}))
        frame = frame[first + [c for c in frame.columns if c not in first]]
    marks = flags(frame, {c: p for c, p in predicates.get(table, {}).items() if c in columns})
    return tables.frame_html(frame, empty="no failing rows to show", failing=marks, highlight_columns=columns)


def sample_section(samples: dict[str, tuple[Any, Exception | None]], predicates: dict[str, dict[str, str]]) -> str:
    return "".join(
        (f"<h4 style='margin:4px 0'>{tables.esc(t)}</h4>" if len(samples) > 1 else "")
        + (tables.frame_html(frame, empty="no new rows", failing=flags(frame, predicates.get(t, {})))
           if error is None else unavailable(error))
        for t, (frame, error) in samples.items()) or "<i>no tables</i>"


def diff_section(ingestion: Ingestion, profiles: dict[str, Any], samples: dict[str, Any],
                 predicates: dict[str, dict[str, str]], base_label: str) -> str:
    diff, error = attempt(ingestion.diff)
    if error is not None:
        return unavailable(error)
    files = safe_read(lambda: dict(ingestion.files_imported), {}) or {}
    snapshots = {t: p.snapshot_id for t, p in profiles.items()}
    first = "".join(
        f"<div class='wap-dim' style='margin-top:6px'>First rows added to {tables.esc(t)}</div>"
        + tables.frame_html(frame.head(3), empty="no rows", failing=flags(frame.head(3), predicates.get(t, {})))
        for t, frame in samples.items())
    return (tables.diff_html(diff, files, redacted_sources(ingestion), snapshots, base_label) + first
            + views.sources_html(ingestion))


def report_html(ingestion: Ingestion, *, sample_rows: int = 10) -> str:
    """The whole report as one HTML document (no script, no external file)."""
    facts = read_facts(ingestion)
    names = ", ".join(facts.tables) or "ingestion"
    data = facts.phase in DATA_PHASES and not (facts.phase == Phase.FAILED and not facts.branch_exists)
    sections: list[tuple[str, str]] = []
    if data:
        profiles = profiles_of(ingestion)
        predicates = {t: dict(p.cell_predicates) for t, p in profiles.items()}
        samples = {t: attempt(partial(ingestion.sample, n=sample_rows, table=t)) for t in facts.tables}
        chart_html = charts_section(ingestion, profiles, facts.from_ref)
        failing = "".join(
            f"<h3>{tables.esc(label)}</h3>{failing_section(ingestion, table, check, predicates)}"
            for label, table, check in views.failed_checks(facts.report)) or '<i class="wap-dim">no failing checks</i>'
        sections += [("Failing rows", failing), ("Sample of the new rows", sample_section(samples, predicates)),
                     ("Schema", schema_section(profiles, facts.from_ref)),
                     ("Diff", diff_section(ingestion, profiles, {t: f for t, (f, e) in samples.items() if e is None},
                                           predicates, facts.from_ref))]
    else:
        chart_html = None
    body = views.ingestion_html(ingestion, charts=chart_html, facts=facts)
    rest = "".join(f"<h2>{tables.esc(title)}</h2>{html}" for title, html in sections)
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{tables.esc(names)}: {tables.esc(phase_label(facts.phase, facts.from_ref))}</title>"
            f"{_PAGE_CSS}</head><body>{body}{rest}</body></html>\n")


def write_report(ingestion: Ingestion, path: str | Path, *, sample_rows: int = 10) -> Path:
    """Write `report_html(ingestion)` to `path` (UTF-8); returns the path."""
    target = Path(path)
    target.write_text(report_html(ingestion, sample_rows=sample_rows), encoding="utf-8")
    return target
