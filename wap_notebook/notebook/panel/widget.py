"""The ipywidgets panel of an `Ingestion`: a summary line and the buttons on top, checks, then details.

Layout (top to bottom): the summary (verdict, rows added, branch, base, commit, warnings), the action bar
(buttons, the override and the confirmation inline, `layout`), one status line, the import progress while
importing, one line per check, and tabs (charts, failing rows, sample, schema, diff, log; `details`) whose
height is capped.

State lives in traits (`phase`, `busy`, `forced`, `pending`, `behind`, `conflict`) and one observer
re-renders the controls from them (`controls`). The ingestion's events (`subscribe`) may arrive on any
thread; the handler only sets traits and widget values, which ipywidgets sends to the front end from
whichever thread sets them. The slower views load on the data loader's thread after a terminal event
(`workers.DataLoader`), never inside the callback; the buttons' actions run one at a time on the action
worker (`actions`). No `with output:` blocks are used, because ipykernel 7 does not route output from other
threads into them.

`wait()` joins the worker and the loader, for scripts and tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

from wap_notebook.engine.phases import Phase
from wap_notebook.notebook.panel import controls, registry, saved, tables, views
from wap_notebook.notebook.panel.actions import PanelActions
from wap_notebook.notebook.panel.details import DetailTabs, has_data
from wap_notebook.notebook.panel.facts import OPEN_PHASES, Facts, history_lines, read_facts, safe_read
from wap_notebook.notebook.panel.layout import ActionBar
from wap_notebook.notebook.panel.progress import ProgressMeter
from wap_notebook.notebook.panel.steps import phase_label
from wap_notebook.notebook.panel.style import CSS
from wap_notebook.notebook.panel.workers import DataLoader

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

__all__ = ["IngestionPanel", "display_ingestion", "ingestion_html", "panel_for", "skip_next_display"]

# phases an operation ends in: the data views reload, the progress bar goes away
_SETTLED = frozenset({Phase.IMPORTED, Phase.PASSED, Phase.FAILED, Phase.MERGED, Phase.DISCARDED, Phase.ERROR})
LOG_KEEP = 200
STATIC_TEXT = "Ingestion panel (live with its kernel; its last state is saved right below)"


class IngestionPanel(widgets.VBox):
    """A live view of one ingestion with its Merge / Discard / Re-validate buttons."""

    busy = traitlets.Bool(False, help="an action of this panel is running on its worker thread")
    phase = traitlets.Unicode("new", help="the ingestion's phase, as last seen")
    forced = traitlets.Bool(False, help="merged with failed checks overridden")
    pending = traitlets.Unicode("", help="the action waiting for Confirm / Cancel: '', 'merge', 'discard', 'rebase'")
    behind = traitlets.Int(None, allow_none=True, help="commits the base ref moved since the fork, as last read")
    conflict = traitlets.Unicode("", help="the last merge's conflict (one line), until the branch is re-imported")

    def __init__(self, ingestion: Ingestion, *, threaded: bool = True, sample_rows: int = 10, **kwargs: Any):
        self.ingestion = ingestion
        self.threaded = threaded
        self.sample_rows = sample_rows
        self.lock = threading.RLock()
        self.actions = PanelActions(self)
        self.loader = DataLoader(self._load_round, on_stale=self._data_stale, lock=self.lock)
        self._log = history_lines(ingestion)[-LOG_KEEP:]
        self.displays: list[Any] = []  # DisplayHandles of the saved views (static HTML) beside the panel
        self._meter = ProgressMeter()
        self.moved_tables: tuple[str, ...] = ()  # this ingestion's tables that changed on the base ref, as last read
        self.shown_buttons: set[str] = set()  # buttons shown when the panel was last idle (kept while an action runs)

        self.summary = widgets.HTML()
        self.offline = widgets.HTML()
        self.buttons = ActionBar(rebase_tip=controls.rebase_question(ingestion, html=False))
        bar = self.buttons  # its widgets, also as the panel's own attributes (controls, scripts and tests)
        self.run_button, self.merge_button, self.discard_button = bar.run_button, bar.merge_button, bar.discard_button
        self.revalidate_button, self.rebase_button = bar.revalidate_button, bar.rebase_button
        self.override, self.reason, self.reason_hint, self.override_box = (
            bar.override, bar.reason, bar.reason_hint, bar.override_box)
        self.confirm_text, self.confirm_button, self.cancel_button, self.confirm_box = (
            bar.confirm_text, bar.confirm_button, bar.cancel_button, bar.confirm_box)
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, bar_style="info", layout={"width": "16em"})
        self.progress_label = widgets.HTML()
        self.progress_box = widgets.HBox([self.progress, self.progress_label], layout={"align_items": "center"})
        self.report = widgets.HTML()

        self.tabs = DetailTabs(ingestion, sample_rows=sample_rows)
        tabs = self.tabs  # the views, also as the panel's own attributes (scripts and tests reach them here)
        self.charts_view, self.failure_select, self.failure_rows = tabs.charts_view, tabs.failure_select, (
            tabs.failure_rows)
        self.sample_view, self.schema_view, self.diff_view, self.log_view = (
            tabs.sample_view, tabs.schema_view, tabs.diff_view, tabs.log_view)

        super().__init__(
            children=[self.summary, self.offline, self.buttons, self.status, self.progress_box, self.report,
                      self.tabs],
            **kwargs,
        )
        self.add_class("wap-panel")
        self.progress_box.layout.display = "none"
        self._wire()
        self._unsubscribe: Callable[[], None] | None = ingestion.subscribe(self._on_event)
        self.tabs.show_log(self._log)
        self.refresh(load_data=True)

    def _wire(self) -> None:
        actions = self.actions
        self.run_button.on_click(_unless_disabled(lambda: actions.start("run", actions.run)))
        self.merge_button.on_click(_unless_disabled(lambda: actions.request("merge")))
        self.discard_button.on_click(_unless_disabled(lambda: actions.request("discard")))
        self.revalidate_button.on_click(_unless_disabled(lambda: actions.start("validate", actions.validate)))
        self.rebase_button.on_click(_unless_disabled(lambda: actions.request("rebase")))
        self.confirm_button.on_click(lambda _b: actions.confirm())
        self.cancel_button.on_click(lambda _b: actions.cancel())
        self.override.observe(lambda _c: self._update_controls(), names="value")
        self.reason.observe(lambda _c: self._update_controls(), names="value")
        self.observe(lambda _c: self._update_controls(),
                     names=["busy", "pending", "phase", "forced", "behind", "conflict"])
        profile = self.tabs.profile
        profile.suggest_button.on_click(_unless_disabled(lambda: actions.start("suggest", actions.suggest)))
        self.tabs.observe(lambda _c: self.profile_if_open(), names="selected_index")
        profile.table_select.observe(lambda _c: self.profile_if_open(), names="value")

    # ---------------------------------------------------------------- rendering

    @property
    def charts_html(self) -> str | None:
        """The rendered charts (inline SVG), once loaded; also put into the static export."""
        return self.tabs.charts_html

    def facts(self) -> Facts:
        return read_facts(self.ingestion, behind=self.behind, moved_tables=self.moved_tables)

    def refresh(self, *, load_data: bool = False) -> None:
        """Re-render from the ingestion's state; `load_data` also reloads the data views."""
        with self.lock:
            facts = self.facts()
            self.forced = facts.forced
            self.phase = facts.phase
            self._render(facts)
            result = views.result_text(self.ingestion, facts)
            if result and not self.busy and not self.status.value:
                self.set_status(*result)
        if load_data:
            self.schedule_data_load()
        self._update_controls()

    def _render(self, facts: Facts | None = None) -> None:
        """Summary, checks and failing-check choices: no queries (may run inside an engine event)."""
        facts = facts or self.facts()
        self.summary.value = CSS + views.summary_html(facts)
        # the live panel hides its saved view (see `show`); a reopened notebook has no live panel to do so
        self.offline.value = views.hide_saved_css(self.saved_key) + views.offline_html(facts)
        self.report.value = views.checks_html(facts.report)
        self.tabs.show_failed_checks(facts.report)
        self.tabs.show_placeholder(facts)

    def load_data(self) -> None:
        """Query the lakehouse for the detail tabs and how far the base ref moved (on the loader thread)."""
        self.read_behind()
        self.tabs.load()
        self.profile_if_open()

    def profile_if_open(self) -> None:
        """Profile the new rows (an action: off this thread, buttons disabled) when the Profile tab is open
        and shows no profile of the current rows yet."""
        if self.tabs.profile_open and self.tabs.profile.stale and has_data(self.facts()) and not self.busy:
            self.actions.start("profile", self.actions.profile, threaded=True)

    def read_behind(self) -> None:
        """How far the base ref moved since the fork and which of our tables changed there (queries)."""
        open_branch = self.phase in OPEN_PHASES
        behind = controls.behind_of(self.ingestion) if open_branch else None
        moved = tuple(safe_read(lambda: self.ingestion.inspect.moved_tables(), ()) or ()) if behind else ()
        with self.lock:
            self.moved_tables = moved
            self.behind = behind
            self.summary.value = CSS + views.summary_html(self.facts())
        self._update_controls()

    def _update_controls(self) -> None:
        controls.update(self)

    def set_status(self, kind: str, message: str) -> None:
        self.status.value = views.status_html(kind, message)

    # ---------------------------------------------------------------- events from the ingestion

    def _on_event(self, event: Any) -> None:
        """Runs on whatever thread the ingestion works on: set traits and values only, never query."""
        try:
            kind = getattr(event, "kind", "")
            if kind == "progress" and event.progress is not None:
                self._show_progress(event.progress)
            elif kind == "phase":
                self._on_phase(event.phase)
            elif kind == "error":
                self.set_status("error", event.message)
            if getattr(event, "message", "") and kind in ("log", "phase", "error"):
                self._log = [*self._log[-(LOG_KEEP - 1):], f"{event.at:%H:%M:%S} {event.message}"]
                self.tabs.show_log(self._log)
        except Exception:  # noqa: BLE001 - a broken view must never break the ingestion
            pass

    def _on_phase(self, phase: str) -> None:
        facts = self.facts()
        self.forced = facts.forced
        self._render(facts)
        if phase == Phase.IMPORTING:
            self._meter.reset()
            self.behind, self.conflict, self.moved_tables = None, "", ()  # a (re-)import forks anew
        self.phase = phase  # observers (the registry's "main moved" for the other panels) see it rendered
        if phase in _SETTLED:
            self.progress_box.layout.display = "none"
            result = views.result_text(self.ingestion, facts)
            if result:
                self.set_status(*result)
            if not self.busy:
                self.update_displays()
                self.schedule_data_load()  # driven from code, not from this panel
        elif not self.busy:
            self.set_status("busy", f"{phase_label(phase)}…")

    def _show_progress(self, progress: Any) -> None:
        reading = self._meter.update(progress)
        self.progress_box.layout.display = ""
        self.progress.value = reading.fraction
        self.progress.bar_style = "success" if reading.fraction >= 1 else "info"
        self.progress_label.value = f'<span style="font-size:12px">{tables.esc(reading.text)}</span>'

    # ---------------------------------------------------------------- actions (see `actions`)

    def request(self, action: str) -> None:
        """Merge / Discard / Rebase: ask for confirmation first."""
        self.actions.request(action)

    def confirm(self) -> None:
        self.actions.confirm()

    def cancel(self) -> None:
        self.actions.cancel()

    def run(self, *, background: bool = False) -> None:
        """Import and validate through the panel: buttons disabled meanwhile, outcome in the status line.
        In the calling thread by default (the magic), on the worker thread with `background=True`."""
        self.actions.start("run", self.actions.run, threaded=background)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running action and data load; True when the panel is idle."""
        self.actions.worker.join(timeout)
        self.loader.join(timeout)  # started by the worker as it finished: joined after it
        self.actions.worker.join(timeout)  # a profile the loader started for an open Profile tab
        return not self.busy

    # ---------------------------------------------------------------- data loading (see `workers`)

    def schedule_data_load(self, *, update_displays: bool = False) -> None:
        """(Re)load the data views on the loader thread: queries and chart rendering never hold up the
        event that asked for them. `update_displays` also refreshes the static HTML afterwards; only asked
        after a button click: sending display data flushes the kernel's stdout, and a flush from this
        thread while a cell prints would cut that cell's output in two."""
        self.loader.request(update_displays=update_displays)

    def _load_round(self, refresh_displays: bool) -> None:
        if self.busy:  # an action of this panel reloads when it ends
            return
        self.load_data()
        if refresh_displays:
            self.update_displays()  # the static export gets the charts too

    def _data_stale(self) -> None:
        if self.phase != Phase.MERGED:
            self.tabs.loaded_for = None

    # ---------------------------------------------------------------- display

    @property
    def saved_key(self) -> str:
        return saved.key(self)

    def saved_bundle(self) -> dict[str, str]:
        return saved.bundle(self)

    def show(self) -> None:
        """Display the panel in the current cell, and right under it its saved view (see `saved`)."""
        saved.show(self)

    def update_displays(self) -> None:
        saved.update(self)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        registry.forget(self)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        if data is None:
            return bundle
        # no text/html here: the saved view shown beside the panel carries it (nbconvert would show both)
        data = {key: value for key, value in data.items() if key != "text/html"}
        # what a viewer without the widget shows: nothing that goes stale (the phase at display time did)
        data["text/plain"] = STATIC_TEXT
        return (data, metadata) if isinstance(bundle, tuple) else data

    def __repr__(self) -> str:
        names = ", ".join(safe_read(lambda: list(self.ingestion.tables), []))
        branch = safe_read(lambda: self.ingestion.branch, None)
        return f"IngestionPanel({names}: {self.phase}, branch {branch})"


# ------------------------------------------------------------------------ how an ingestion gets its panel


def panel_for(ingestion: Ingestion) -> IngestionPanel:
    """The panel of `ingestion`, made once: every display shows the same live widget."""
    panel = registry.lookup(ingestion)
    if panel is None or panel.comm is None:
        panel = IngestionPanel(ingestion)
        registry.register(panel)
    return panel


def skip_next_display(ingestion: Ingestion) -> None:
    """The magic already displayed `ingestion`: do not show it again as the cell's result."""
    registry.skip_next_display(ingestion)


def display_ingestion(ingestion: Ingestion) -> None:
    """How IPython displays an `Ingestion`: the live panel (with a static HTML fallback in its bundle)."""
    if not registry.skipped(ingestion):
        panel_for(ingestion).show()


def ingestion_html(ingestion: Ingestion) -> str:
    """The static HTML of an ingestion (with its panel's charts when a panel has loaded them)."""
    panel = registry.lookup(ingestion)
    return views.ingestion_html(ingestion, charts=panel.charts_html if panel is not None else None)


def _unless_disabled(action: Callable[[], object]) -> Callable[[Any], None]:
    """A click handler that ignores clicks on a disabled button (a stale front end may still send one)."""

    def on_click(button: Any) -> None:
        if not button.disabled:
            action()

    return on_click
