"""How an `Ingestion` shows in IPython: the live panel, with a static HTML form for widget-less viewers.

The engine knows nothing of this: `wap_notebook/__init__.py` (and `%load_ext wap_notebook`) register
these formatters *by type name*, so neither the engine nor the panel is imported until an ingestion is
actually displayed.
"""

from __future__ import annotations

from typing import Any

_MODULE, _TYPE = "wap_notebook.ingestion", "Ingestion"


def ingestion_html(ingestion: Any) -> str:
    from wap_notebook.panel_views import ingestion_html as render

    return render(ingestion)


def show_ingestion(ingestion: Any) -> bool:
    from wap_notebook.panel import display_ingestion

    display_ingestion(ingestion)
    return True


def register(display_formatter: Any) -> None:
    """Register the HTML and display hooks for `Ingestion` on an IPython `DisplayFormatter`."""
    display_formatter.formatters["text/html"].for_type_by_name(_MODULE, _TYPE, ingestion_html)
    display_formatter.ipython_display_formatter.for_type_by_name(_MODULE, _TYPE, show_ingestion)


def register_with_running_shell() -> None:
    """Register on the current IPython shell, if there is one (never imports IPython itself)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        register(shell.display_formatter)
