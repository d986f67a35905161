"""The ipywidgets panel of an `Ingestion`: a summary line and the buttons on top, checks, then details.

Layout (top to bottom): the summary (verdict, rows added, branch, base, commit, warnings), the buttons
(with the override and the confirmation inline), one status line, the import progress while importing,
one line per check, and tabs (charts, failing rows, sample, schema, diff, log) whose height is capped.

State lives in traits (`phase`, `busy`, `forced`, `pending`) and one observer re-renders the controls
from them. The ingestion's events (`subscribe`) may arrive on any thread; the handler only sets traits
and widget values, which ipywidgets sends to the front end from whichever thread sets them. The slower
views (sample, schema, diff, charts: queries on the branch) load on a loader thread after a terminal
event, never inside the callback; a load that raced a later phase is dropped and redone (no polling).
Merge / Discard / Re-validate / Rebase / Run run on a worker thread, one at a time, buttons disabled meanwhile.
Rebase shows only when the engine allows it and the base ref moved since the fork (or a merge conflicted).
No `with output:` blocks are used, because ipykernel 7 does not route output from other threads into them.

`wait()` joins the worker and the loader, for scripts and tests.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets
from bauplan import exceptions as bx

from wap_notebook.core.background import start as start_background
from wap_notebook.engine.phases import Action, Phase
from wap_notebook.notebook.panel import controls, saved, tables, views
from wap_notebook.notebook.panel.details import DetailTabs
from wap_notebook.notebook.panel.progress import ProgressMeter

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

__all__ = ["IngestionPanel", "display_ingestion", "ingestion_html", "panel_for"]

# phases an operation ends in: the data views reload, the progress bar goes away
_SETTLED = frozenset({Phase.IMPORTED, Phase.PASSED, Phase.FAILED, Phase.MERGED, Phase.DISCARDED, Phase.ERROR})
_BUSY_TEXT = {
    "merge": "Merging…",
    "discard": "Discarding (deleting the branch)…",
    "validate": "Re-running the checks…",
    "run": "Importing and validating…",
    "rebase": "Rebasing: re-importing the same files on the new head, then validating…",
}
LOG_KEEP = 200

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
        self._lock = threading.RLock()
        self._worker: threading.Thread | None = None
        self._loader: threading.Thread | None = None
        self._load_wanted = 0  # bumped by every event that makes the data views stale
        self._loading = False  # a loader thread is running (set and cleared under the lock)
        self._refresh_displays = False  # the running loader also refreshes the static HTML when done
        self._log = views.history_lines(ingestion)[-LOG_KEEP:]
        self.displays: list[Any] = []  # DisplayHandles of the saved views (static HTML) beside the panel
        self._meter = ProgressMeter()
        self.moved_tables: tuple[str, ...] = ()  # this ingestion's tables that changed on the base ref, as last read
        self.shown_buttons: set[str] = set()  # buttons shown when the panel was last idle (kept while an action runs)

        self.summary = widgets.HTML()
        self.offline = widgets.HTML()
        self.run_button = widgets.Button(description="Run", icon="play", tooltip="Import and validate")
        self.merge_button = widgets.Button(description="Merge", icon="code-fork", button_style="success",
                                           tooltip=controls.MERGE_TIP)
        self.discard_button = widgets.Button(description="Discard", icon="trash", button_style="danger",
                                             tooltip="Delete the import branch")
        self.revalidate_button = widgets.Button(description="Re-validate", icon="refresh",
                                                tooltip="Run the checks again on the branch")
        self.rebase_button = widgets.Button(description="Rebase", icon="level-up", button_style="info",
                                            tooltip=controls.rebase_question(ingestion, html=False))
        self.override = widgets.Checkbox(value=False, description="Override failed checks", indent=False,
                                         layout={"width": "auto"})
        self.reason = widgets.Text(placeholder="Reason (recorded in the merge commit)",
                                   layout={"width": "22em", "max_width": "100%"})
        self.reason_hint = widgets.HTML()
        self.override_box = widgets.HBox([self.override, self.reason, self.reason_hint],
                                         layout={"align_items": "center", "flex_flow": "row wrap"})
        self.confirm_text = widgets.HTML(layout={"flex": "1 1 18em", "min_width": "0"})
        self.confirm_text.add_class("wap-confirm-text")
        self.confirm_button = widgets.Button(description="Confirm", button_style="warning")
        self.cancel_button = widgets.Button(description="Cancel")
        # the question wraps; the buttons keep their width (a long question squeezed them to "Con...")
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                        layout={"align_items": "center", "flex_flow": "row wrap",
                                                "flex": "1 1 100%", "max_width": "100%"})
        for button in (self.run_button, self.merge_button, self.discard_button, self.revalidate_button,
                       self.rebase_button, self.confirm_button, self.cancel_button):
            button.layout.width = "auto"
            button.layout.flex = "0 0 auto"
        self.buttons = widgets.HBox(
            [self.run_button, self.merge_button, self.discard_button, self.revalidate_button, self.rebase_button,
             self.override_box, self.confirm_box],
            layout={"flex_flow": "row wrap", "align_items": "center"})
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

        self.run_button.on_click(_unless_disabled(lambda: self._start("run", self._do_run)))
        self.merge_button.on_click(_unless_disabled(lambda: self.request("merge")))
        self.discard_button.on_click(_unless_disabled(lambda: self.request("discard")))
        self.revalidate_button.on_click(_unless_disabled(lambda: self._start("validate", self._do_validate)))
        self.rebase_button.on_click(_unless_disabled(lambda: self.request("rebase")))
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.override.observe(lambda _c: self._update_controls(), names="value")
        self.reason.observe(lambda _c: self._update_controls(), names="value")
        self.observe(self._on_state, names=["busy", "pending", "phase", "forced", "behind", "conflict"])

        self._unsubscribe: Callable[[], None] | None = ingestion.subscribe(self._on_event)
        self.tabs.show_log(self._log)
        self.refresh(load_data=True)

    # ---------------------------------------------------------------- rendering

    @property
    def charts_html(self) -> str | None:
        """The rendered charts (inline SVG), once loaded; also put into the static export."""
        return self.tabs.charts_html

    def facts(self) -> views.Facts:
        return views.read_facts(self.ingestion, behind=self.behind, moved_tables=self.moved_tables)

    def refresh(self, *, load_data: bool = False) -> None:
        """Re-render from the ingestion's state; `load_data` also reloads the data views."""
        with self._lock:
            facts = self.facts()
            self.forced = facts.forced
            self.phase = facts.phase
            self._render(facts)
            result = views.result_text(self.ingestion, facts)
            if result and not self.busy and not self.status.value:
                self._set_status(*result)
        if load_data:
            self._schedule_data_load()
        self._update_controls()

    def _render(self, facts: views.Facts | None = None) -> None:
        """Summary, checks and failing-check choices: no queries (may run inside an engine event)."""
        facts = facts or self.facts()
        self.summary.value = views.CSS + views.summary_html(facts)
        # the live panel hides its saved view (see `show`); a reopened notebook has no live panel to do so
        self.offline.value = views.hide_saved_css(self.saved_key) + views.offline_html(facts)
        self.report.value = views.checks_html(facts.report)
        self.tabs.show_failed_checks(facts.report)
        self.tabs.show_placeholder(facts)

    def load_data(self) -> None:
        """Query the lakehouse for the detail tabs and how far the base ref moved (on the loader thread)."""
        self.read_behind()
        self.tabs.load()

    def read_behind(self) -> None:
        """How far the base ref moved since the fork and which of our tables changed there (queries)."""
        open_branch = self.phase in views.OPEN_PHASES
        behind = controls.behind_of(self.ingestion) if open_branch else None
        moved = tuple(views.safe_read(lambda: self.ingestion.inspect.moved_tables(), ()) or ()) if behind else ()
        with self._lock:
            self.moved_tables = moved
            self.behind = behind
            self.summary.value = views.CSS + views.summary_html(self.facts())
        self._update_controls()

    def _on_state(self, _change: Any) -> None:
        self._update_controls()

    def _update_controls(self) -> None:
        controls.update(self)

    def _set_status(self, kind: str, message: str) -> None:
        self.status.value = views.status_html(kind, message)

    # ---------------------------------------------------------------- events from the ingestion

    def _on_event(self, event: Any) -> None:
        """Runs on whatever thread the ingestion works on: set traits and values only, never query."""
        try:
            kind = getattr(event, "kind", "")
            if kind == "progress" and event.progress is not None:
                self._show_progress(event.progress)
            elif kind == "phase":
                self.phase = event.phase
                facts = self.facts()
                self.forced = facts.forced
                self._render(facts)
                if event.phase == Phase.IMPORTING:
                    self._meter.reset()
                    self.behind, self.conflict, self.moved_tables = None, "", ()  # a (re-)import forks anew
                if event.phase == Phase.MERGED:
                    _others_read_behind(self)  # the base ref moved under the other open panels
                if event.phase in _SETTLED:
                    self.progress_box.layout.display = "none"
                    result = views.result_text(self.ingestion, facts)
                    if result:
                        self._set_status(*result)
                    if not self.busy:
                        self.update_displays()
                        self._schedule_data_load()  # driven from code, not from this panel
                elif not self.busy:
                    self._set_status("busy", f"{views.phase_label(event.phase)}…")
            elif kind == "error":
                self._set_status("error", event.message)
            if getattr(event, "message", "") and kind in ("log", "phase", "error"):
                self._log = [*self._log[-(LOG_KEEP - 1):], f"{event.at:%H:%M:%S} {event.message}"]
                self.tabs.show_log(self._log)
        except Exception:  # noqa: BLE001 - a broken view must never break the ingestion
            pass

    def _show_progress(self, progress: Any) -> None:
        reading = self._meter.update(progress)
        self.progress_box.layout.display = ""
        self.progress.value = reading.fraction
        self.progress.bar_style = "success" if reading.fraction >= 1 else "info"
        self.progress_label.value = f'<span style="font-size:12px">{tables.esc(reading.text)}</span>'

    # ---------------------------------------------------------------- actions

    def request(self, action: str) -> None:
        """Merge / Discard / Rebase: ask for confirmation first."""
        if self.busy or action not in ("merge", "discard", "rebase"):
            return
        branch = tables.esc(views.safe_read(lambda: self.ingestion.branch, "?"))
        into = tables.esc(views.safe_read(lambda: self.ingestion.from_ref, "main"))
        if action == "merge":
            question = f"Merge <code>{branch}</code> into <code>{into}</code>?"
            if self._forcing():
                question += (f' <b class="wap-warn">Failed checks will be overridden</b> (reason: '
                             f"{tables.esc(self.reason.value.strip())}).")
            # asked now, not only at the last load: someone may have merged into the base ref meanwhile
            self.read_behind()
            if self.behind and self.moved_tables:
                question += (f' <span class="wap-warn">{into} moved {self.behind} commit'
                             f"{'' if self.behind == 1 else 's'} since the fork and "
                             f"{tables.esc(', '.join(self.moved_tables))} changed there.</span>")
        elif action == "rebase":
            question = controls.rebase_question(self.ingestion, html=True)
        else:
            question = f"Delete branch <code>{branch}</code> and the data it imported?"
        self.confirm_text.value = question
        self.pending = action

    def _forcing(self) -> bool:
        """A merge now would override failed checks (what the engine allows, not a button's label)."""
        allowed = views.safe_read(self.ingestion.allowed_actions, set()) or set()
        return Action.FORCE_MERGE in allowed and Action.MERGE not in allowed

    def confirm(self) -> None:
        action, self.pending = self.pending, ""
        if action == "merge":
            forced = self._forcing()
            reason = self.reason.value.strip() or None
            if forced and (not self.override.value or len(reason or "") < controls.MIN_REASON):
                self._set_status("error", f"Not merged: checks failed. Tick 'Override failed checks' and give a "
                                          f"reason of at least {controls.MIN_REASON} characters to merge anyway.")
                return
            self._start("merge", lambda: self._do_merge(forced, reason))
        elif action == "discard":
            self._start("discard", self._do_discard)
        elif action == "rebase":
            self._start("rebase", self._do_rebase)

    def cancel(self) -> None:
        if self.pending:
            self.pending = ""
            self._set_status("info", "Cancelled.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running action and data load; True when the panel is idle."""
        if self._worker is not None:
            self._worker.join(timeout)
        if self._loader is not None:  # started by the worker as it finished: read it after the join
            self._loader.join(timeout)
        return not self.busy

    def run(self, *, background: bool = False) -> None:
        """Import and validate through the panel: buttons disabled meanwhile, outcome in the status line.
        In the calling thread by default (the magic), on the worker thread with `background=True`."""
        self._start("run", self._do_run, threaded=background)

    def _schedule_data_load(self, *, update_displays: bool = False) -> None:
        """(Re)load the data views on the loader thread: queries and chart rendering never hold up the
        event that asked for them. `update_displays` also refreshes the static HTML afterwards; only asked
        after a button click: sending display data flushes the kernel's stdout, and a flush from this
        thread while a cell prints would cut that cell's output in two."""
        with self._lock:
            self._load_wanted += 1
            self._refresh_displays = self._refresh_displays or update_displays
            if self._loading:
                return  # the running loader sees the bump and loads again
            self._loading = True
            self._loader = start_background(self._load_loop, name="wap-panel-load")

    def _load_loop(self) -> None:
        while True:
            with self._lock:
                wanted, refresh_displays = self._load_wanted, self._refresh_displays
                self._refresh_displays = False
            if not self.busy:  # an action of this panel reloads when it ends
                try:
                    self.load_data()
                    if refresh_displays:
                        self.update_displays()  # the static export gets the charts too
                except Exception:  # noqa: BLE001 - the views say what failed; the loop must end cleanly
                    pass
            with self._lock:
                if self._load_wanted == wanted:  # no event arrived meanwhile: what is shown is current
                    self._loading = False
                    return
                if self.phase != Phase.MERGED:
                    self.tabs.loaded_for = None

    def _start(self, action: str, work: Callable[[], tuple[str, str] | None], *,
               threaded: bool | None = None) -> bool:
        with self._lock:
            if self.busy:
                return False
            self.busy = True
        self._set_status("busy", _BUSY_TEXT.get(action, "Working…"))
        if not (self.threaded if threaded is None else threaded):
            self._work(action, work)
            return True
        self._worker = start_background(self._work, args=(action, work), name=f"wap-panel-{action}")
        return True

    def _work(self, action: str, work: Callable[[], tuple[str, str] | None]) -> None:
        started = time.monotonic()
        outcome: tuple[str, str] | None
        try:
            outcome = work()
        except Exception as exc:  # noqa: BLE001 - shown in the panel, never as a traceback
            outcome = ("error", f"{action.capitalize()} failed: {type(exc).__name__}: {exc}")
        try:
            self.refresh()
        finally:
            if outcome is None:
                outcome = views.result_text(self.ingestion, self.facts()) or ("ok", "Done.")
            kind, message = outcome
            if kind in ("ok", "warn"):
                message += f" ({time.monotonic() - started:.2f} s)"
            self._set_status(kind, message)
            self.busy = False
            if action not in ("run", "validate", "rebase"):
                self.update_displays()
            elif threading.current_thread() is self._worker:
                self.update_displays()
                self._schedule_data_load(update_displays=True)
            else:  # the magic runs in the cell: the cell ends with every view (and the static export) complete
                self.load_data()
                self.update_displays()

    def _do_merge(self, forced: bool, reason: str | None) -> tuple[str, str]:
        try:
            if forced:
                self.ingestion.merge(force=True, reason=reason)
            else:
                self.ingestion.merge()
        except bx.MergeConflictError as exc:  # the branch and verdict are kept: offer Rebase, not a traceback
            self.behind, self.conflict = controls.conflict_line(exc, self.ingestion)
            return "error", self.conflict
        result = views.result_text(self.ingestion, self.facts())
        return result or ("ok", "Merged.")

    def _do_discard(self) -> tuple[str, str]:
        branch = views.safe_read(lambda: self.ingestion.branch, "")
        self.ingestion.discard()
        return "ok", f"Discarded: branch {branch} deleted"

    def _do_rebase(self) -> tuple[str, str]:
        self.ingestion.rebase()  # deletes the old branch; the summary shows the new one and its base
        self.conflict = ""
        return controls.rebased_text(self.ingestion, self.facts())

    def _do_validate(self) -> None:
        self.ingestion.validate()

    def _do_run(self) -> None:
        self.ingestion.run()

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
        ingestion = self.__dict__.get("ingestion")
        if ingestion is not None and _lookup(ingestion) is self:
            _panels.pop(ingestion, None)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        if data is None:
            return bundle
        # no text/html here: the saved view shown beside the panel carries it (nbconvert would show both)
        data = {key: value for key, value in data.items() if key != "text/html"}
        data["text/plain"] = repr(self)
        return (data, metadata) if isinstance(bundle, tuple) else data

    def __repr__(self) -> str:
        names = ", ".join(views.safe_read(lambda: list(self.ingestion.tables), []))
        branch = views.safe_read(lambda: self.ingestion.branch, None)
        return f"IngestionPanel({names}: {self.phase}, branch {branch})"


# ------------------------------------------------------------------------ one panel per ingestion

# Keyed by the ingestion object itself (not its id(), which Python reuses): an entry goes away with its
# ingestion. The value is a weak reference so the registry alone never keeps a closed panel alive.
_panels: weakref.WeakKeyDictionary[Any, weakref.ref[IngestionPanel]] = weakref.WeakKeyDictionary()
_skip_display: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def _lookup(ingestion: Ingestion) -> IngestionPanel | None:
    ref = _panels.get(ingestion)
    return None if ref is None else ref()


def panel_for(ingestion: Ingestion) -> IngestionPanel:
    """The panel of `ingestion`, made once: every display shows the same live widget."""
    panel = _lookup(ingestion)
    if panel is None or panel.comm is None:
        panel = IngestionPanel(ingestion)
        _panels[ingestion] = weakref.ref(panel)
    return panel


def skip_next_display(ingestion: Ingestion) -> None:
    """The magic already displayed `ingestion`: do not show it again as the cell's result."""
    _skip_display[ingestion] = _execution_count()


def display_ingestion(ingestion: Ingestion) -> None:
    """How IPython displays an `Ingestion`: the live panel (with a static HTML fallback in its bundle)."""
    count = _skip_display.pop(ingestion, None)
    if count is not None and count == _execution_count():
        return
    panel_for(ingestion).show()


def ingestion_html(ingestion: Ingestion) -> str:
    """The static HTML of an ingestion (with its panel's charts when a panel has loaded them)."""
    panel = _lookup(ingestion)
    return views.ingestion_html(ingestion, charts=panel.charts_html if panel is not None else None)


# ------------------------------------------------------------------------ helpers


def _others_read_behind(merged: IngestionPanel) -> None:
    """A merge moved a base ref: every other open panel of this process re-reads how far (on a thread of
    its own: queries), so "main moved" shows before anyone clicks Merge."""
    for ingestion in list(_panels.keys()):
        panel = _lookup(ingestion)
        if panel is None or panel is merged or panel.comm is None or panel.phase not in views.OPEN_PHASES:
            continue
        start_background(lambda p=panel: views.safe_read(p.read_behind, None), name="wap-panel-behind")


def _unless_disabled(action: Callable[[], object]) -> Callable[[Any], None]:
    """A click handler that ignores clicks on a disabled button (a stale front end may still send one)."""

    def on_click(button: Any) -> None:
        if not button.disabled:
            action()

    return on_click


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return None if shell is None else shell.execution_count
    except Exception:  # noqa: BLE001
        return None
