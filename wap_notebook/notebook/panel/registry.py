"""One live panel per ingestion object, and what the open panels of this process tell each other.

Keyed by the ingestion object itself (not its id(), which Python reuses): an entry goes away with its
ingestion. The value is a weak reference so the registry alone never keeps a closed panel alive.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from wap_notebook.core.background import start as start_background
from wap_notebook.engine.phases import Phase
from wap_notebook.notebook.panel.facts import OPEN_PHASES, safe_read

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion
    from wap_notebook.notebook.panel.widget import IngestionPanel

_panels: weakref.WeakKeyDictionary[Any, weakref.ref[IngestionPanel]] = weakref.WeakKeyDictionary()
_skip_display: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def lookup(ingestion: Ingestion) -> IngestionPanel | None:
    ref = _panels.get(ingestion)
    return None if ref is None else ref()


def register(panel: IngestionPanel) -> None:
    """`panel` is the one shown for its ingestion from now on; a merge it sees moves the others' base."""
    _panels[panel.ingestion] = weakref.ref(panel)
    panel.observe(_on_phase, names="phase")


def forget(panel: IngestionPanel) -> None:
    ingestion = panel.__dict__.get("ingestion")
    if ingestion is not None and lookup(ingestion) is panel:
        _panels.pop(ingestion, None)


def skip_next_display(ingestion: Ingestion) -> None:
    """The magic already displayed `ingestion`: do not show it again as the cell's result."""
    _skip_display[ingestion] = execution_count()


def skipped(ingestion: Ingestion) -> bool:
    """The magic displayed `ingestion` in this cell already (asked once: the mark is used up)."""
    count = _skip_display.pop(ingestion, None)
    return count is not None and count == execution_count()


def _on_phase(change: Any) -> None:
    """A merge moved a base ref: every other open panel of this process re-reads how far (on a thread of
    its own: queries), so "main moved" shows before anyone clicks Merge."""
    if change["new"] != Phase.MERGED:
        return
    merged = change["owner"]
    for ingestion in list(_panels.keys()):
        panel = lookup(ingestion)
        if panel is None or panel is merged or panel.comm is None or panel.phase not in OPEN_PHASES:
            continue
        start_background(lambda p=panel: safe_read(p.read_behind, None), name="wap-panel-behind")


def execution_count() -> int | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return None if shell is None else shell.execution_count
    except Exception:  # noqa: BLE001
        return None
