"""The panel's detail tabs: charts, failing rows, sample, profile, schema, diff and log of one ingestion.

`load()` runs the queries (the panel calls it on its loader thread, never inside an engine event),
builds every view first and shows them only if the ingestion is still in the phase it started from, so
a tab never shows half of one state and half of the next. The tab contents' height is capped by the
panel's CSS, so the panel stays the same size whatever the tables hold.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from wap_notebook.engine.phases import DATA_PHASES, Phase
from wap_notebook.notebook import report
from wap_notebook.notebook.panel import views
from wap_notebook.notebook.panel.facts import Facts, read_facts, safe_read
from wap_notebook.notebook.panel.profile_tab import ProfileTab

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

TAB_TITLES = ("Charts", "Failing rows", "Sample", "Profile", "Schema", "Diff", "Log")
PROFILE_TAB = TAB_TITLES.index("Profile")
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
        self.profile = ProfileTab(ingestion)  # loaded by the panel when opened (see `profile_tab`)
        super().__init__(children=[self.charts_view, self.failures_box, self.sample_view, self.profile,
                                   self.schema_view, self.diff_view, self.log_view], titles=TAB_TITLES, **kwargs)
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

    def show_placeholder(self, facts: Facts) -> None:
        """Until the data views are loaded for this phase, say why they are empty, in the phase's words
        (never "available once imported" next to a verdict)."""
        note = _placeholder(facts)
        # the profile is kept while its rows are (validating does not change them), else it says why not
        self.profile.show_placeholder(None if has_data(facts) or note == _LOADING else note)
        if self.loaded_for is not None and (facts.phase == Phase.MERGED or self.loaded_for == facts.phase):
            return
        for view in (self.charts_view, self.sample_view, self.schema_view, self.diff_view):
            view.value = note

    @property
    def profile_open(self) -> bool:
        return bool(self.selected_index == PROFILE_TAB)

    def show_log(self, lines: list[str]) -> None:
        self.log_view.value = views.log_html(lines)

    def load(self) -> bool:
        """Query and show the data views; False when there was nothing (new) to show."""
        phase = safe_read(lambda: self.ingestion.phase, Phase.NEW)
        if phase == Phase.MERGED and self.loaded_for is not None:
            return False  # what the branch added is still what was shown; keep it
        facts = read_facts(self.ingestion)
        if not has_data(facts):
            if self.loaded_for is None or phase != Phase.MERGED:
                self.loaded_for = None
                self.show_placeholder(facts)
            return False
        built = self._build()
        with self._lock:
            if safe_read(lambda: self.ingestion.phase, None) != phase:
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
        names = safe_read(lambda: list(self.ingestion.tables), [])
        base_label = safe_read(lambda: self.ingestion.from_ref, "main")
        profiles = report.profiles_of(self.ingestion)
        predicates = {t: dict(p.cell_predicates) for t, p in profiles.items()}
        samples = {t: report.attempt(partial(self.ingestion.sample, n=self.sample_rows, table=t)) for t in names}
        key = self.failure_select.value
        return {
            "predicates": predicates,
            "charts": report.charts_section(self.ingestion, profiles, base_label),
            "sample": report.sample_section(samples, predicates),
            "schema": report.schema_section(profiles, base_label),
            "diff": report.diff_section(self.ingestion, profiles, {t: f for t, (f, e) in samples.items() if e is None},
                                        predicates, base_label),
            "key": key,
            "failing": self._failing_rows(key, predicates) if key else None,
        }

    def _failing_rows(self, key: tuple[str, str], predicates: dict[str, dict[str, str]]) -> str:
        return report.failing_section(self.ingestion, *key, predicates)

    def _on_failure_selected(self, _change: Any) -> None:
        """The user picked another failed check: show its rows (fetched once, then cached)."""
        key = self.failure_select.value
        if not key or self._quiet:
            return
        if key not in self._failures_cache:
            self._failures_cache[key] = self._failing_rows(key, self.predicates)
        self.failure_rows.value = self._failures_cache[key]


def has_data(facts: Facts) -> bool:
    """The ingestion's rows are there to query (on its branch, or its merge commit)."""
    return facts.phase in DATA_PHASES and not (facts.phase == Phase.FAILED and not facts.branch_exists)


def _placeholder(facts: Facts) -> str:
    phase = facts.phase
    if phase in (Phase.NEW, Phase.IMPORTING):
        return "<i>available once the data is imported</i>"
    if phase in (Phase.MERGED, Phase.DISCARDED):
        return '<i class="wap-dim">the import branch no longer exists</i>'
    if phase in (Phase.FAILED, Phase.ERROR) and not facts.branch_exists:
        return '<i class="wap-dim">no data: the import failed before any rows reached a branch</i>'
    if phase == Phase.ERROR and not facts.rows_added:
        return '<i class="wap-dim">no data to show: the import did not finish</i>'
    return _LOADING


