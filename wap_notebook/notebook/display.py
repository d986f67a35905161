"""How IPython shows an `Ingestion`: as its live panel, with a static HTML fallback.

Registered from here, by class name and with lazy imports, so the engine imports nothing from the UI
and `import wap_notebook` stays cheap: the panel (ipywidgets, pandas, charts) loads on first display.
"""

from __future__ import annotations

import sys
from typing import Any

ENGINE_CLASS = ("wap_notebook.ingestion", "Ingestion")


def register(shell: Any) -> None:
    """Teach an IPython shell to display `Ingestion` objects as the panel."""
    formatters = shell.display_formatter
    formatters.ipython_display_formatter.for_type_by_name(*ENGINE_CLASS, _show)
    formatters.formatters["text/html"].for_type_by_name(*ENGINE_CLASS, _html)


def register_in_running_shell() -> None:
    """`register` the IPython shell this process runs in, if any (a no-op in scripts)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "display_formatter"):
        register(shell)


def _show(ingestion: Any) -> bool:
    from wap_notebook.notebook.panel.widget import display_ingestion

    display_ingestion(ingestion)
    return True


def _html(ingestion: Any) -> str:
    from wap_notebook.notebook.panel.widget import ingestion_html

    return ingestion_html(ingestion)
