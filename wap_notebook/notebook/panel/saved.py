"""A panel's saved view: its last state as static HTML, in an output of its own right under the widget.

JupyterLab 4 and Notebook 7 render a widget output from the widget model only: in a reopened notebook (no
kernel, no model) they print "Error displaying widget: model not found" and never fall back to the
bundle's text/html. So the last state goes into an output of its own, which the live panel hides (its
CSS names the saved view's id) and which shows when the panel cannot render (its own CSS then hides that
error line). The saved view is updated as the ingestion moves on; nbconvert and GitHub show it once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wap_notebook.notebook.panel import views
from wap_notebook.notebook.panel.facts import safe_read

if TYPE_CHECKING:
    from wap_notebook.notebook.panel.widget import IngestionPanel


def key(panel: IngestionPanel) -> str:
    """The id of the panel's saved view: the live panel's CSS hides exactly that element."""
    return f"wap-saved-{panel.model_id}"


def bundle(panel: IngestionPanel) -> dict[str, str]:
    """The saved view as static HTML (verdict, checks, branch, resume line, charts) and as text."""
    from wap_notebook.notebook.summary import text_summary

    html = views.saved_view_html(key(panel), views.ingestion_html(
        panel.ingestion, charts=panel.tabs.charts_html, facts=panel.facts()))
    return {"text/html": html, "text/plain": safe_read(lambda: text_summary(panel.ingestion), repr(panel))}


def show(panel: IngestionPanel) -> None:
    """Display the panel, then its saved view, remembering the view's handle to update it later."""
    from IPython.display import display

    display(panel)  # type: ignore[no-untyped-call]
    handle = display(bundle(panel), raw=True, display_id=True)  # type: ignore[no-untyped-call]
    if handle is not None:
        panel.displays.append(handle)


def update(panel: IngestionPanel) -> None:
    """Bring the saved views beside the panel up to date (the live view follows its model on its own)."""
    if not panel.displays:
        return
    data = bundle(panel)
    for handle in list(panel.displays):
        try:
            handle.update(data, raw=True)
        except Exception:  # noqa: BLE001 - advisory
            pass
