"""The ipywidgets panel of an `Ingestion`: watch the import, read the report, then Merge or Discard.

Threads. The panel never blocks the kernel for a button: Merge, Discard, Re-validate and Run each run
on a worker thread (one at a time; `busy` is True meanwhile and every button is disabled), and their
outcome or error lands in the status line. The ingestion's events (`subscribe`) may arrive on any
thread; the handler only sets widget traits (progress bar, phase strip, buttons, status, report),
which ipywidgets sends to the front end from whichever thread sets them. The slower views (sample,
schema, diff: queries on the branch) are loaded after an operation has finished, never from inside an
event callback, so the panel never re-enters the engine while it is working. No `with output:` blocks
are used anywhere, because ipykernel 7 does not route output from other threads into them.

`wait()` joins the worker, for scripts and tests. The `%wap_ingest` magic runs the ingestion itself
synchronously (the cell ends when the data is imported and validated, with the panel updating live
meanwhile) unless `--background` is given; see `wap_notebook.magic`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import traitlets

from wap_notebook import panel_views as views

__all__ = ["IngestionPanel", "display_ingestion", "ingestion_html"]

ingestion_html = views.ingestion_html

_DATA_PHASES = ("imported", "passed", "failed", "merged")
_BUSY_TEXT = {
    "merge": "Merging…",
    "discard": "Discarding (deleting the branch)…",
    "validate": "Re-running the checks…",
    "run": "Importing and validating…",
}


class IngestionPanel(widgets.VBox):
    """A live view of one ingestion with its Merge / Discard / Re-validate buttons."""

    _unsubscribe: Callable[[], None] | None = None

    busy = traitlets.Bool(False, help="an action is running on the worker thread")
    phase = traitlets.Unicode("new", help="the ingestion's phase, as last seen")
    pending = traitlets.Unicode("", help="the action waiting for Confirm / Cancel: '', 'merge' or 'discard'")

    def __init__(self, ingestion: Any, *, threaded: bool = True, sample_rows: int = 10, **kwargs: Any):
        self.ingestion = ingestion
        self.threaded = threaded
        self.sample_rows = sample_rows
        self._lock = threading.RLock()
        self._worker: threading.Thread | None = None
        self._loader: threading.Thread | None = None
        self._log: list[str] = []
        self._failures_cache: dict[tuple[str, str], str] = {}
        self._data_loaded_for: str | None = None
        self._displays: list[Any] = []  # DisplayHandles of the outputs showing this panel

        self.title = widgets.HTML("<b>wap-notebook ingestion</b>")
        self.header = widgets.HTML()
        self.strip = widgets.HTML()
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Files", bar_style="info")
        self.progress_label = widgets.Label()
        self.progress_box = widgets.HBox([self.progress, self.progress_label])
        self.progress_box.layout.display = "none"
        self.report = widgets.HTML()
        self.failure_select = widgets.Dropdown(description="Failing rows", options=[], layout={"width": "max-content"})
        self.failure_select.style.description_width = "initial"
        self.failure_rows = widgets.HTML()
        self.failures_box = widgets.VBox([self.failure_select, self.failure_rows])
        self.failures_box.layout.display = "none"
        self.sample_view = widgets.HTML("<i>not loaded yet</i>")
        self.schema_view = widgets.HTML("<i>not loaded yet</i>")
        self.diff_view = widgets.HTML("<i>not loaded yet</i>")
        self.tabs = widgets.Tab(children=[self.sample_view, self.schema_view, self.diff_view])
        for index, name in enumerate(("Sample", "Schema", "Diff")):
            self.tabs.set_title(index, name)

        self.run_button = widgets.Button(description="Run", icon="play", tooltip="Import and validate")
        self.merge_button = widgets.Button(description="Merge", icon="code-fork", button_style="success",
                                           tooltip="Publish the branch into its base ref")
        self.discard_button = widgets.Button(description="Discard", icon="trash", button_style="danger",
                                             tooltip="Delete the import branch")
        self.revalidate_button = widgets.Button(description="Re-validate", icon="refresh",
                                                tooltip="Run the checks again on the branch")
        self.override = widgets.Checkbox(value=False, description="Override failed checks", indent=False)
        self.reason = widgets.Text(placeholder="Reason for merging anyway (recorded in the commit)",
                                   layout={"width": "28em"})
        self.override_box = widgets.HBox([self.override, self.reason])
        self.override_box.layout.display = "none"
        self.confirm_text = widgets.HTML()
        self.confirm_button = widgets.Button(description="Confirm", button_style="warning")
        self.cancel_button = widgets.Button(description="Cancel")
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm_button, self.cancel_button])
        self.confirm_box.layout.display = "none"
        self.buttons = widgets.HBox([self.run_button, self.merge_button, self.discard_button, self.revalidate_button])
        self.status = widgets.HTML()
        self.log_view = widgets.HTML()

        super().__init__(
            children=[
                self.title, self.header, self.strip, self.progress_box, self.report, self.failures_box,
                self.tabs, self.buttons, self.override_box, self.confirm_box, self.status, self.log_view,
            ],
            **kwargs,
        )
        self.add_class("wap-panel")

        # Handlers re-check `disabled`: a stale front end (or a test) may still send a click.
        self.run_button.on_click(lambda b: b.disabled or self._start("run", self._do_run))
        self.merge_button.on_click(lambda b: b.disabled or self.request("merge"))
        self.discard_button.on_click(lambda b: b.disabled or self.request("discard"))
        self.revalidate_button.on_click(lambda b: b.disabled or self._start("validate", self._do_validate))
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.override.observe(lambda _c: self._update_controls(), names="value")
        self.reason.observe(lambda _c: self._update_controls(), names="value")
        self.failure_select.observe(self._on_failure_selected, names="value")
        self.observe(lambda _c: self._update_controls(), names=["busy", "pending"])
        self.observe(self._on_phase, names="phase")

        self._unsubscribe: Callable[[], None] | None = ingestion.subscribe(self._on_event)
        self.refresh(load_data=True)

    # ---------------------------------------------------------------- rendering

    def refresh(self, *, load_data: bool = False) -> None:
        """Re-render from the ingestion's state; `load_data` also reloads sample / schema / diff."""
        with self._lock:
            self.header.value = views.header_html(self.ingestion)
            phase = views._safe(lambda: self.ingestion.phase, "new")
            if self.phase != phase:
                self.phase = phase  # triggers _on_phase
            else:
                self._render_phase()
            self._render_report()
            result = views.result_text(self.ingestion)
            if result and not self.busy and not self.status.value:
                self._set_status(*result)
        if load_data:
            self.load_data()
        self._update_controls()

    def _render_phase(self) -> None:
        self.strip.value = views.phase_strip_html(
            self.phase, views.seen_phases(self.ingestion), views._safe(lambda: self.ingestion.from_ref, "main")
        )

    def _render_report(self) -> None:
        report = views._safe(lambda: self.ingestion.report, None)
        self.report.value = views.report_html(report)
        choices = views.failed_checks(report)
        options = [(label, (table, check)) for label, table, check in choices]
        if [o[1] for o in options] != [o[1] for o in self.failure_select.options]:
            self._failures_cache.clear()
            self.failure_select.options = options
            self.failure_select.value = options[0][1] if options else None
        self.failures_box.layout.display = "" if options else "none"

    def load_data(self) -> None:
        """Sample, schema and diff of the branch (queries; called after an operation, not during)."""
        phase = views._safe(lambda: self.ingestion.phase, "new")
        if phase == "merged" and self._data_loaded_for is not None:
            return  # what the branch added is still what was shown; keep it
        if phase not in _DATA_PHASES:
            if self._data_loaded_for is None:
                note = "<i>available once the data is imported</i>" if phase in ("new", "importing") else (
                    "<i>the import branch no longer exists</i>" if phase in ("merged", "discarded") else "<i>–</i>")
                for view in (self.sample_view, self.schema_view, self.diff_view):
                    view.value = note
            return
        tables = views._safe(lambda: list(self.ingestion.tables), [])
        parts = []
        for table in tables:
            frame, error = _attempt(lambda t=table: self.ingestion.sample(n=self.sample_rows, table=t))
            body = views.frame_html(frame, empty="no new rows") if error is None else _unavailable(error)
            parts.append(f"<h4 style='margin:6px 0'>{views.esc(table)}</h4>{body}" if len(tables) > 1 else body)
        self.sample_view.value = "".join(parts) or "<i>no tables</i>"
        schemas, error = _attempt(self.ingestion.schemas)
        self.schema_view.value = views.schemas_html(schemas) if error is None else _unavailable(error)
        diff, error = _attempt(self.ingestion.diff)
        self.diff_view.value = views.frame_html(diff) if error is None else _unavailable(error)
        self._data_loaded_for = phase
        self._on_failure_selected(None)

    def _on_failure_selected(self, _change: Any) -> None:
        key = self.failure_select.value
        if not key:
            self.failure_rows.value = ""
            return
        if key not in self._failures_cache:
            table, check = key
            frame, error = _attempt(lambda: self._failures(table, check))
            self._failures_cache[key] = (
                views.frame_html(frame, empty="no failing rows to show") if error is None else _unavailable(error)
            )
        self.failure_rows.value = self._failures_cache[key]

    def _failures(self, table: str, check: str) -> Any:
        tables = views._safe(lambda: list(self.ingestion.tables), [])
        return self.ingestion.failures(f"{table}.{check}" if len(tables) > 1 else check)

    def _on_phase(self, _change: Any) -> None:
        self._render_phase()
        self._update_controls()

    def _update_controls(self) -> None:
        allowed = views._safe(self.ingestion.allowed_actions, set()) or set()
        idle = not self.busy and not self.pending
        can_force = "force_merge" in allowed and "merge" not in allowed
        forced_ready = can_force and self.override.value and bool(self.reason.value.strip())
        self.run_button.layout.display = "" if "import" in allowed else "none"
        self.run_button.disabled = not idle or "import" not in allowed
        self.merge_button.disabled = not idle or not ("merge" in allowed or forced_ready)
        self.merge_button.description = "Merge anyway" if can_force else "Merge"
        self.discard_button.disabled = not idle or "discard" not in allowed
        self.revalidate_button.disabled = not idle or "validate" not in allowed
        self.override_box.layout.display = "" if can_force else "none"
        self.override.disabled = self.reason.disabled = not idle
        self.confirm_box.layout.display = "" if self.pending else "none"
        self.confirm_button.disabled = self.cancel_button.disabled = self.busy

    def _set_status(self, kind: str, message: str) -> None:
        self.status.value = views.status_html(kind, message)

    # ---------------------------------------------------------------- events from the ingestion

    def _on_event(self, event: Any) -> None:
        """Runs on whatever thread the ingestion works on: set traits only, never call back into it."""
        try:
            kind = getattr(event, "kind", "")
            if kind == "progress" and event.progress is not None:
                self._show_progress(event.progress)
            elif kind == "phase":
                self.phase = event.phase
                if event.phase in ("passed", "failed", "merged", "discarded", "error"):
                    self._render_report()
                    result = views.result_text(self.ingestion)
                    if result:
                        self._set_status(*result)
                    if not self.busy:
                        self.update_displays()
                if event.phase in _DATA_PHASES and not self.busy:
                    self._schedule_data_load()  # driven from code, not from this panel
                elif not self.busy:
                    self._set_status("busy", f"{views.phase_label(event.phase)}…")
            elif kind == "error":
                self._set_status("error", event.message)
            if getattr(event, "message", "") and kind in ("log", "phase", "error"):
                self._log = [*self._log[-4:], f"{event.at:%H:%M:%S} {event.message}"]
                self.log_view.value = (
                    '<div style="color:#57606a;font-size:11px;white-space:pre-wrap">'
                    + views.esc("\n".join(self._log)) + "</div>"
                )
        except Exception:  # noqa: BLE001 - a broken view must never break the ingestion
            pass

    def _show_progress(self, progress: Any) -> None:
        self.progress_box.layout.display = ""
        total = max(int(progress.files_total or 0), 1)
        self.progress.max = total
        self.progress.value = min(int(progress.files_done or 0), total)
        self.progress.bar_style = "success" if progress.files_done >= progress.files_total else "info"
        current = f" · {progress.current_file}" if progress.current_file else ""
        self.progress_label.value = (
            f"{progress.table}: {progress.files_done}/{progress.files_total} files, "
            f"{progress.rows_done:,} rows{current}"
        )

    # ---------------------------------------------------------------- actions

    def request(self, action: str) -> None:
        """Merge / Discard: ask for confirmation first."""
        if self.busy or action not in ("merge", "discard"):
            return
        branch = views.esc(views._safe(lambda: self.ingestion.branch, "?"))
        into = views.esc(views._safe(lambda: self.ingestion.from_ref, "main"))
        if action == "merge":
            question = f"Merge <code>{branch}</code> into <code>{into}</code>?"
            if self.merge_button.description != "Merge":
                question += f" <b>Failed checks will be overridden</b> (reason: {views.esc(self.reason.value)})."
        else:
            question = f"Delete branch <code>{branch}</code> and its imported data?"
        self.confirm_text.value = question
        self.pending = action

    def confirm(self) -> None:
        action, self.pending = self.pending, ""
        if action == "merge":
            forced = self.merge_button.description != "Merge"
            reason = self.reason.value.strip() or None
            self._start("merge", lambda: self._do_merge(forced, reason))
        elif action == "discard":
            self._start("discard", self._do_discard)

    def cancel(self) -> None:
        if self.pending:
            self.pending = ""
            self._set_status("info", "Cancelled.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running action; True when the panel is idle."""
        for thread in (self._worker, self._loader):
            if thread is not None:
                thread.join(timeout)
        return not self.busy

    def run(self, *, background: bool = False) -> None:
        """Import and validate through the panel: buttons disabled meanwhile, outcome in the status line.
        In the calling thread by default (the magic), on the worker thread with `background=True`."""
        self._start("run", self._do_run, threaded=background)

    def _schedule_data_load(self) -> None:
        """After an operation driven from code, load the data views once the ingestion is idle."""
        with self._lock:
            if self._loader is not None and self._loader.is_alive():
                return

            def load_when_idle() -> None:
                deadline = time.monotonic() + 600
                while views._safe(lambda: self.ingestion.busy, None) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if not self.busy:
                    self.load_data()

            self._loader = threading.Thread(target=load_when_idle, name="wap-panel-load", daemon=True)
            self._loader.start()

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
        self._worker = threading.Thread(target=self._work, args=(action, work), name=f"wap-panel-{action}",
                                        daemon=True)
        self._worker.start()
        return True

    def _work(self, action: str, work: Callable[[], tuple[str, str] | None]) -> None:
        started = time.monotonic()
        outcome: tuple[str, str] | None
        try:
            outcome = work()
        except Exception as exc:  # noqa: BLE001 - shown in the panel, never as a traceback
            outcome = ("error", f"{action.capitalize()} failed: {type(exc).__name__}: {exc}")
        try:
            self.refresh(load_data=action in ("run", "validate"))
        finally:
            if outcome is None:
                outcome = views.result_text(self.ingestion) or ("ok", "Done.")
            kind, message = outcome
            if kind == "ok":
                message += f" ({time.monotonic() - started:.2f} s)"
            self._set_status(kind, message)
            self.busy = False
            self.update_displays()

    def _do_merge(self, forced: bool, reason: str | None) -> tuple[str, str]:
        commit = self.ingestion.merge(force=forced, reason=reason) if forced else self.ingestion.merge()
        into = views._safe(lambda: self.ingestion.from_ref, "main")
        return "ok", f"Merged into {into}: commit {commit}"

    def _do_discard(self) -> tuple[str, str]:
        branch = views._safe(lambda: self.ingestion.branch, "")
        self.ingestion.discard()
        return "ok", f"Discarded: branch {branch} deleted"

    def _do_validate(self) -> None:
        self.ingestion.validate()
        return None

    def _do_run(self) -> None:
        self.ingestion.run()
        return None

    # ---------------------------------------------------------------- display

    def show(self) -> None:
        """Display the panel in the current cell, remembering the output so its static HTML (what
        nbconvert and other widget-less viewers show) can be brought up to date later."""
        from IPython.display import display

        handle = display(self, display_id=True)
        if handle is not None:
            self._displays.append(handle)

    def update_displays(self) -> None:
        """Re-send this panel's bundle to the outputs showing it: the live view is unchanged (same model),
        the static text/html fallback saved in the notebook catches up with the ingestion."""
        for handle in list(self._displays):
            try:
                handle.update(self)
            except Exception:  # noqa: BLE001 - advisory
                pass

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if _panels.get(id(self.__dict__.get("ingestion"))) is self:
            del _panels[id(self.ingestion)]
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            data, metadata = bundle
        else:
            data, metadata = bundle, {}
        if data is None:
            return bundle
        data = {**data, "text/html": views.ingestion_html(self.ingestion), "text/plain": repr(self)}
        return (data, metadata) if isinstance(bundle, tuple) else data

    def __repr__(self) -> str:
        tables = ", ".join(views._safe(lambda: list(self.ingestion.tables), []))
        branch = views._safe(lambda: self.ingestion.branch, None)
        return f"IngestionPanel({tables}: {self.phase}, branch {branch})"


# ------------------------------------------------------------------------ module helpers

_panels: dict[int, IngestionPanel] = {}
_skip_display: dict[int, int] = {}


def panel_for(ingestion: Any) -> IngestionPanel:
    """The panel of `ingestion`, made once: every display shows the same live widget."""
    panel = _panels.get(id(ingestion))
    if panel is None or panel.ingestion is not ingestion:
        panel = IngestionPanel(ingestion)
        _panels[id(ingestion)] = panel
    return panel


def skip_next_display(ingestion: Any) -> None:
    """The magic already displayed `ingestion`: do not show it again as the cell's result."""
    _skip_display[id(ingestion)] = _execution_count()


def display_ingestion(ingestion: Any) -> None:
    """`Ingestion._ipython_display_`: the live panel (with a static HTML fallback in its bundle)."""
    count = _skip_display.pop(id(ingestion), None)
    if count is not None and count == _execution_count():
        return
    panel_for(ingestion).show()


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return None if shell is None else shell.execution_count
    except Exception:  # noqa: BLE001
        return None


def _attempt(getter: Callable[[], Any]) -> tuple[Any, Exception | None]:
    try:
        return getter(), None
    except Exception as exc:  # noqa: BLE001
        return None, exc


def _unavailable(error: Exception) -> str:
    return f"<i>unavailable: {views.esc(type(error).__name__)}: {views.esc(error)}</i>"
