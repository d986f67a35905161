"""wap-notebook: Write-Audit-Publish ingestion into a Bauplan lakehouse, from Jupyter or plain Python."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from wap_notebook.core.version import __version__ as __version__

# Public names resolve lazily so `import wap_notebook` (e.g. by `%load_ext`) stays fast and a missing
# optional piece never breaks the others.
_EXPORTS = {
    "LocalClient": "wap_notebook.lakehouse",
    "connect": "wap_notebook.backend",
    "Ingestion": "wap_notebook.ingestion",
    "list_ingestions": "wap_notebook.ingestion",
    "prune_ingestions": "wap_notebook.ingestion",
    "history": "wap_notebook.ingestion",
    "quality_gated_update": "wap_notebook.reference",
    "checks": "wap_notebook.checks",
    "IngestionPanel": "wap_notebook.notebook.panel",
}

__all__ = [*_EXPORTS, "load_ipython_extension", "unload_ipython_extension"]

if TYPE_CHECKING:  # pragma: no cover - static names for type checkers and IDEs
    from wap_notebook.backend import connect  # noqa: F401
    from wap_notebook.ingestion import Ingestion, history, list_ingestions, prune_ingestions  # noqa: F401
    from wap_notebook.lakehouse import LocalClient  # noqa: F401
    from wap_notebook.notebook.panel import IngestionPanel  # noqa: F401
    from wap_notebook.reference import quality_gated_update  # noqa: F401


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'wap_notebook' has no attribute {name!r}")
    module = import_module(module_name)
    return module if name == "checks" else getattr(module, name)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext wap_notebook`: the `%%wap_ingest` / `%%wap_sql` magics, and ingestions shown as panels.
    Raises nothing of its own."""
    from wap_notebook.notebook.display import register
    from wap_notebook.notebook.magic import load_ipython_extension as _load  # noqa: F401

    register(ipython)  # also when wap_notebook was imported before this shell existed
    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext wap_notebook`: the magics go. Raises nothing of its own."""
    from wap_notebook.notebook.magic import unload_ipython_extension as _unload  # noqa: F401

    _unload(ipython)


def _display_ingestions_as_panels() -> None:
    from wap_notebook.notebook.display import register_in_running_shell

    register_in_running_shell()


_display_ingestions_as_panels()
