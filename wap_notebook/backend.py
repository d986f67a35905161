"""Backend selection: the real Bauplan cloud when credentials are configured, the embedded lakehouse otherwise."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

Backend = Literal["auto", "local", "bauplan"]
BACKENDS = ("auto", "local", "bauplan")


def bauplan_credentials_configured() -> bool:
    """True when `bauplan.Client()` would find an API key (env var, profile or config file)."""
    if os.environ.get("BAUPLAN_API_KEY") or os.environ.get("BAUPLAN_PROFILE"):
        return True
    config = Path(os.environ.get("BAUPLAN_CONFIG_PATH", Path.home() / ".bauplan" / "config.yaml"))
    return config.is_file()


def resolve_backend(backend: str = "auto") -> Literal["local", "bauplan"]:
    """Which backend `connect(backend)` would use; `WAP_BACKEND` overrides "auto"."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if backend == "auto":
        override = os.environ.get("WAP_BACKEND", "").strip().lower()
        if override:
            if override not in ("local", "bauplan"):
                raise ValueError(f"WAP_BACKEND must be 'local' or 'bauplan'; got {override!r}")
            return override  # type: ignore[return-value]
        return "bauplan" if bauplan_credentials_configured() else "local"
    return backend  # type: ignore[return-value]


def connect(backend: Backend = "auto", **kwargs: Any) -> Any:
    """Return a Bauplan-compatible client.

    `backend="bauplan"` builds `bauplan.Client(**kwargs)` (profile, api_key, ...); `"local"` builds the
    embedded `LocalClient(**kwargs)` (path, username). `"auto"` picks Bauplan when credentials are
    configured and the embedded lakehouse otherwise, and logs which one it picked.
    """
    chosen = resolve_backend(backend)
    if chosen == "bauplan":
        import bauplan

        client = bauplan.Client(**kwargs)
        logger.info("wap-notebook: using the Bauplan cloud backend")
        return client
    from wap_notebook.lakehouse import LocalClient

    client = LocalClient(**kwargs)
    logger.info("wap-notebook: using the embedded lakehouse at %s", client.path)
    return client


def describe_backend(client: Any) -> str:
    """A one-line, secret-free description of a client for headers and logs."""
    path = getattr(client, "path", None)
    if path is not None:
        return f"embedded lakehouse at {path}"
    return "Bauplan cloud"
