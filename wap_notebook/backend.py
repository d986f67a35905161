"""Backend selection: the real Bauplan cloud when credentials are configured, the embedded lakehouse otherwise."""

from __future__ import annotations

import logging
import os
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wap_notebook.core.options import BACKENDS, Backend
from wap_notebook.errors import BackendUnavailable, InvalidSpec

if TYPE_CHECKING:
    from wap_notebook.engine.client import LakehouseClient

logger = logging.getLogger(__name__)

WAY_OUT = ('use the embedded lakehouse instead: backend="local" (%wap_ingest ... --backend local, '
           "python -m wap_notebook ingest ... --backend local, or WAP_BACKEND=local)")


def _short_reason(exc: BaseException) -> str:
    """`dns error` out of the SDK's `code: '...', message: "dns error", source: tonic::transport::...`."""
    text = str(exc)
    match = re.search(r"message: \"([^\"]{1,200})\"", text) or re.search(r"message: '([^']{1,200})'", text)
    reason = match.group(1) if match else (text.splitlines()[0] if text else type(exc).__name__)
    return reason if len(reason) <= 160 else reason[:157] + "..."


def unavailable(backend: str, exc: BaseException) -> BackendUnavailable:
    return BackendUnavailable(f"cannot reach the {backend} backend ({_short_reason(exc)}); {WAY_OUT}")


# Who a client acts as does not change over its life (its API key or its lakehouse's user): asked once per
# client object, not once per ingestion (on Bauplan's cloud `info()` is a round trip).
_USERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def username(client: Any) -> str:
    """`client.info().user.username`, the first call a client's first ingestion makes: an unreachable Bauplan
    ends here as one `BackendUnavailable` line instead of a transport traceback."""
    try:
        return _USERS[client]
    except (KeyError, TypeError):  # not asked yet, or a client that cannot be weakly referenced
        pass
    try:
        name = str(client.info().user.username)
    except Exception as exc:
        if getattr(client, "path", None) is not None:  # the embedded lakehouse: a real bug, keep it whole
            raise
        from bauplan import exceptions as bx

        if isinstance(exc, (bx.BauplanError, OSError, TimeoutError)):
            raise unavailable("Bauplan", exc) from None
        raise
    try:
        _USERS[client] = name
    except TypeError:
        pass
    return name


def bauplan_credentials_configured() -> bool:
    """True when `bauplan.Client()` would find an API key (env var, profile or config file)."""
    if os.environ.get("BAUPLAN_API_KEY") or os.environ.get("BAUPLAN_PROFILE"):
        return True
    config = Path(os.environ.get("BAUPLAN_CONFIG_PATH", Path.home() / ".bauplan" / "config.yaml"))
    return config.is_file()


def resolve_backend(backend: str = "auto") -> Literal["local", "bauplan"]:
    """Which backend `connect(backend)` would use; `WAP_BACKEND` overrides "auto"."""
    if backend not in BACKENDS:
        raise InvalidSpec(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if backend == "auto":
        override = os.environ.get("WAP_BACKEND", "").strip().lower()
        if override:
            if override not in ("local", "bauplan"):
                raise InvalidSpec(f"WAP_BACKEND must be 'local' or 'bauplan'; got {override!r}")
            return override  # type: ignore[return-value]
        return "bauplan" if bauplan_credentials_configured() else "local"
    return backend  # type: ignore[return-value]


def connect(backend: Backend = "auto", **kwargs: Any) -> LakehouseClient:
    """Return a Bauplan-compatible client (both kinds satisfy the engine's `LakehouseClient`).

    `backend="bauplan"` builds `bauplan.Client(**kwargs)` (profile, api_key, ...); `"local"` builds the
    embedded `LocalClient(**kwargs)` (path, username). `"auto"` picks Bauplan when credentials are
    configured and the embedded lakehouse otherwise, and logs which one it picked.
    """
    chosen = resolve_backend(backend)
    if chosen == "bauplan":
        import bauplan

        try:
            client = bauplan.Client(**kwargs)
        except ValueError as exc:  # "No API key found": nothing configured, no network touched
            raise BackendUnavailable(f"cannot use the Bauplan backend ({exc}); set BAUPLAN_API_KEY or "
                                     f"BAUPLAN_PROFILE, or {WAY_OUT}") from None
        logger.info("wap-notebook: using the Bauplan cloud backend")
        return client
    from wap_notebook.lakehouse import LocalClient

    local = LocalClient(**kwargs)
    logger.info("wap-notebook: using the embedded lakehouse at %s", local.path)
    return local


def describe_backend(client: Any) -> str:
    """A one-line, secret-free description of a client for headers and logs."""
    path = getattr(client, "path", None)
    if path is not None:
        return f"embedded lakehouse at {path}"
    return "Bauplan cloud"
