"""The panel's detail tabs: charts, failing rows, sample, schema, diff and log of one ingestion.

`load()` runs the queries (the panel calls it on its loader thread, never inside an engine event),
builds every view first and shows them only if the ingestion is still in the phase it started from, so
a tab never shows half of one state and half of the next. The tab contents' height is capped by the
panel's CSS, so the panel stays the same size whatever the tables hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from wap_notebook.engine.phases import DATA_PHASES, Phase
from wap_notebook.notebook import charts
from wap_notebook.notebook.panel import tables, views

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

TAB_TITLES = ("Charts", "Failing rows", "Sample", "Schema", "Diff", "Log")
_LOADING = '<i class="wap-dim">loading…</i>'


class DetailTabs(widgets.Tab):
    """Tabs with the data of one ingestion; the panel decides when they load."""

    def __init__(self, ingestion: Ingestion, *, sample_rows: int = 10, **kwargs: Any) -> None:
        self.ingestion = ingestion
        self.sample_rows = sample_rows
        self._lock = threading.RLock()
        self._quiet = False  # the failing-check choice is being set by a render, not by the user
        self._failures_cache: dict[tuple[str, str], str] = {}
        self.predicates: dict[str, dict[str, str]] = {}  # table -> column -> SQL of failing cells
        self.charts_html: str | None = None  # the rendered charts, also put into the static export
        self.loaded_for: str | None = None  # the phase the data views show
        self.charts_view = widgets.HTML("<i>not loaded yet</i>")
        self.failure_select = widgets.Dropdown(options=[], layout={"width": "max-content"})
        self.failure_rows = widgets.HTML('<i class="wap-dim">no failing checks</i>')
        self.failures_box = widgets.VBox([self.failure_select, self.failure_rows])
        self.sample_view = widgets.HTML("<i>not loaded yet</i>")
        self.schema_view = widgets.HTML("<i>not loaded yet</i>")
        self.diff_view = widgets.HTML("<i>not loaded yet</i>")
        self.log_view = widgets.HTML()
        super().__init__(children=[self.charts_view, self.failures_box, self.sample_view, self.schema_view,
                                   self.diff_view, self.log_view], titles=TAB_TITLES, **kwargs)
        self.failure_select.observe(self._on_failure_selected, names="value")

    def show_failed_checks(self, report: Any) -> None:
        """The choice of failed checks (no query: their rows come with the next load)."""
        options = [(label, (table, check)) for label, table, check in views.failed_checks(report)]
        if [o[1] for o in options] != [o[1] for o in self.failure_select.options]:
            self._failures_cache.clear()
            self._quiet = True
            try:
                self.failure_select.options = options
                self.failure_select.value = options[0][1] if options else None
            finally:
                self._quiet = False
            self.failure_rows.value = _LOADING
        if not options:
            self.failure_rows.value = '<i class="wap-dim">no failing checks</i>'

    def show_log(self, lines: list[str]) -> None:
        self.log_view.value = views.log_html(lines)

    def load(self) -> bool:
        """Query and show the data views; False when there was nothing (new) to show."""
        phase = views.safe_read(lambda: self.ingestion.phase, Phase.NEW)
        if phase == Phase.MERGED and self.loaded_for is not None:
            return False  # what the branch added is still what was shown; keep it
        if phase not in DATA_PHASES:
            if self.loaded_for is None:
                note = "<i>available once the data is imported</i>" if phase in (Phase.NEW, Phase.IMPORTING) else (
                    "<i>the import branch no longer exists</i>" if phase in (Phase.MERGED, Phase.DISCARDED)
                    else "<i>–</i>")
                for view in (self.charts_view, self.sample_view, self.schema_view, self.diff_view):
                    view.value = note
            return False
        built = self._build()
        with self._lock:
            if views.safe_read(lambda: self.ingestion.phase, None) != phase:
                return False  # the ingestion moved on meanwhile: the next load shows the new state
            self.predicates, self.charts_html = built["predicates"], built["charts"]
            self.charts_view.value = built["charts"]
            self.sample_view.value = built["sample"]
            self.schema_view.value = built["schema"]
            self.diff_view.value = built["diff"]
            self._failures_cache.clear()
            key = built["key"]
            if key and built["failing"] is not None:
                self._failures_cache[key] = built["failing"]
                if self.failure_select.value == key:
                    self.failure_rows.value = built["failing"]
            self.loaded_for = phase
        return True

    def _build(self) -> dict[str, Any]:
        names = views.safe_read(lambda: list(self.ingestion.tables), [])
        base_label = views.safe_read(lambda: self.ingestion.from_ref, "main")
        profiles = {}
        for table in names:
            profile, error = _attempt(partial(self.ingestion.inspect.profile, table))
            if error is None:
                profiles[table] = profile
        predicates = {t: dict(p.cell_predicates) for t, p in profiles.items()}
        samples = {t: _attempt(partial(self.ingestion.sample, n=self.sample_rows, table=t)) for t in names}
        sample = "".join(
            (f"<h4 style='margin:4px 0'>{tables.esc(t)}</h4>" if len(names) > 1 else "")
            + (tables.frame_html(frame, empty="no new rows", failing=flags(frame, predicates.get(t, {})))
               if error is None else unavailable(error))
            for t, (frame, error) in samples.items()) or "<i>no tables</i>"
        schema = "".join(tables.schema_compare_html(p, base_label) for p in profiles.values()) or (
            "<i>schema unavailable</i>")
        key = self.failure_select.value
        return {
            "predicates": predicates,
            "charts": self._charts(profiles, base_label),
            "sample": sample,
            "schema": schema,
            "diff": self._diff(profiles, {t: f for t, (f, e) in samples.items() if e is None}, predicates, base_label),
            "key": key,
            "failing": self._failing_rows(key, predicates) if key else None,
        }

    def _charts(self, profiles: dict[str, Any], base_label: str) -> str:
        specs = [charts.failing_rows_spec(views.safe_read(lambda: self.ingestion.report, None))]
        specs += [charts.column_spec(c, base_label) for p in profiles.values() for c in p.columns]
        note = '<div class="wap-dim">No check has failing rows.</div>' if specs[0] is None and len(specs) > 1 else ""
        return note + charts.charts_html(specs, empty="no checks to chart yet")

    def _diff(self, profiles: dict[str, Any], samples: dict[str, Any], predicates: dict[str, dict[str, str]],
              base_label: str) -> str:
        diff, error = _attempt(self.ingestion.diff)
        if error is not None:
            return unavailable(error)
        files = views.safe_read(lambda: dict(self.ingestion.files_imported), {}) or {}
        snapshots = {t: p.snapshot_id for t, p in profiles.items()}
        first = "".join(
            f"<div class='wap-dim' style='margin-top:6px'>First rows added to {tables.esc(t)}</div>"
            + tables.frame_html(frame.head(3), empty="no rows", failing=flags(frame.head(3), predicates.get(t, {})))
            for t, frame in samples.items())
        return (tables.diff_html(diff, files, views.redacted_sources(self.ingestion), snapshots, base_label) + first
                + views.sources_html(self.ingestion))

    def _failing_rows(self, key: tuple[str, str], predicates: dict[str, dict[str, str]]) -> str:
        table, check = key
        names = views.safe_read(lambda: list(self.ingestion.tables), [])
        name = f"{table}.{check}" if len(names) > 1 else check
        frame, error = _attempt(lambda: self.ingestion.failures(name))
        if error is not None:
            return unavailable(error)
        columns = _check_columns(views.safe_read(lambda: self.ingestion.report, None), table, check)
        marks = flags(frame, {c: p for c, p in predicates.get(table, {}).items() if c in columns})
        return tables.frame_html(frame, empty="no failing rows to show", failing=marks, highlight_columns=columns)

    def _on_failure_selected(self, _change: Any) -> None:
        """The user picked another failed check: show its rows (fetched once, then cached)."""
        key = self.failure_select.value
        if not key or self._quiet:
            return
        if key not in self._failures_cache:
            self._failures_cache[key] = self._failing_rows(key, self.predicates)
        self.failure_rows.value = self._failures_cache[key]


def _check_columns(report: Any, table: str, check: str) -> list[str]:
    if report is None or len(report) == 0:
        return []
    rows = report[(report["table"] == table) & (report["check"] == check)]
    if not len(rows):
        return []
    value = rows.iloc[0].get("columns")
    if isinstance(value, (list, tuple)):
        return [str(c) for c in value]
    return [c.strip() for c in str(value or "").split(",") if c.strip()]


def flags(frame: Any, predicates: dict[str, str]) -> dict[str, list[bool]]:
    """Column -> failing-cell flags of `frame` (empty when there is nothing to mark)."""
    from wap_notebook.engine.profiles import failing_cells

    if frame is None or not predicates or not len(frame):
        return {}
    return views.safe_read(lambda: failing_cells(frame, predicates), {}) or {}


def _attempt(getter: Callable[[], Any]) -> tuple[Any, Exception | None]:
    try:
        return getter(), None
    except Exception as exc:  # noqa: BLE001
        return None, exc


def unavailable(error: Exception) -> str:
    return f"<i>unavailable: {tables.esc(type(error).__name__)}: {tables.esc(error)}</i>"
