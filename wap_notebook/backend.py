"""Backend selection: the real Bauplan cloud when credentials are configured, the embedded lakehouse otherwise."""

from __future__ import annotations

import logging
import os
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wap_notebook.core import whereabouts
from wap_notebook.core.options import BACKENDS, Backend
from wap_notebook.errors import BackendUnavailable, InvalidSpec, LakehouseNotFound

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


def connect(backend: Backend = "auto", *, create: bool = True, **kwargs: Any) -> LakehouseClient:
    """Return a Bauplan-compatible client (both kinds satisfy the engine's `LakehouseClient`).

    `backend="bauplan"` builds `bauplan.Client(**kwargs)` (profile, api_key, ...); `"local"` builds the
    embedded `LocalClient(**kwargs)` (path, username). `"auto"` picks Bauplan when credentials are
    configured and the embedded lakehouse otherwise, and logs which one it picked. `create=False` (what
    reading commands use: resume, list, show, history) opens only an embedded lakehouse that exists, and
    raises `LakehouseNotFound` naming the path otherwise: reading never leaves an empty lakehouse behind.

    Raises:
        InvalidSpec: an unknown `backend`.
        BackendUnavailable: Bauplan was asked for (or configured) and cannot be reached or built.
        LakehouseNotFound: `create=False` and the embedded lakehouse's folder does not exist.
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
    from wap_notebook.lakehouse.client import default_lakehouse_path

    if not create:
        path = Path(kwargs["path"]) if kwargs.get("path") is not None else default_lakehouse_path()
        if not _exists(path):
            raise missing_lakehouse(path)
    local = LocalClient(**kwargs)
    logger.info("wap-notebook: using the embedded lakehouse at %s", local.path)
    return local


POINT_AT_IT = ("name the lakehouse the ingestion used: Ingestion.resume(branch, client=LocalClient('<path>')) "
               "(from wap_notebook import LocalClient), or WAP_LAKEHOUSE_PATH=<path> for the magics and the "
               "command line")


def missing_lakehouse(path: Path, looked: str = "") -> LakehouseNotFound:
    source = "WAP_LAKEHOUSE_PATH" if os.environ.get("WAP_LAKEHOUSE_PATH") else "the default location"
    return LakehouseNotFound(f"no embedded lakehouse at {path} ({source}; nothing was created there)"
                             + (f"; {looked}" if looked else "") + f": {POINT_AT_IT}")


def connect_for_branch(branch: str) -> tuple[LakehouseClient, str]:
    """The lakehouse import branch `branch` lives in, when no client is given (`Ingestion.resume(branch)`
    after a kernel restart): the one this machine's registry of ingestions names for it, else the
    configured one, opened read-only. Returns the client and where it was found, for messages."""
    registry = whereabouts.registry_file()
    entry = whereabouts.lookup(branch)
    if entry is None:
        looked = f"{registry} has no entry for {branch}"
    elif entry.location.backend == "bauplan":
        return connect("bauplan"), f"{registry} names the Bauplan cloud for it"
    elif entry.location.path is not None and _exists(entry.location.path):
        return connect("local", path=entry.location.path), f"{registry} names {entry.location.path} for it"
    else:
        looked = f"{registry} names {entry.location.path} for {branch}, which holds no lakehouse any more"
    if resolve_backend() == "local":
        from wap_notebook.lakehouse.client import default_lakehouse_path

        if not _exists(default_lakehouse_path()):
            raise missing_lakehouse(default_lakehouse_path(), looked)
    return connect(create=False), f"{looked}, so the configured lakehouse was opened"


def _exists(path: str | Path) -> bool:
    from wap_notebook.lakehouse.client import lakehouse_at

    return lakehouse_at(path)


def resume_code(branch: str, client: Any) -> str:
    """One line that resumes `branch` in a new kernel. It names the embedded lakehouse unless it is the one
    `LocalClient()` opens with nothing set: a path set in the notebook is gone after a restart."""
    from wap_notebook.lakehouse.client import builtin_lakehouse_path

    path = getattr(client, "path", None)
    if path is None or Path(path) == builtin_lakehouse_path().resolve():
        return f"from wap_notebook import Ingestion; ingestion = Ingestion.resume({branch!r})"
    return (f"from wap_notebook import Ingestion, LocalClient; "
            f"ingestion = Ingestion.resume({branch!r}, client=LocalClient({str(path)!r}))")


def describe_backend(client: Any) -> str:
    """A one-line, secret-free description of a client for headers and logs."""
    path = getattr(client, "path", None)
    if path is not None:
        return f"embedded lakehouse at {path}"
    return "Bauplan cloud"
