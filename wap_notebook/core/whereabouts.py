"""Where each open ingestion's lakehouse is: a small JSON file on this machine, keyed by import branch.

A notebook that sets its lakehouse (`LocalClient(path=...)`, or `WAP_LAKEHOUSE_PATH` in `os.environ`) loses
that setting with its kernel. `Ingestion.resume(branch)` without a client reads this file to find the
lakehouse again instead of opening (and creating) the default one. The file also holds what the ingestion
asked (its spec) from the moment its branch exists: the branch itself gets its first record only once the
import finished (records go above the data so they never reach `main`), so a kernel that dies during the
import leaves its sources and checks here.

The file is `$WAP_INGESTIONS_FILE`, or `ingestions.json` in the user's data folder (beside the default
embedded lakehouse). It is a convenience, never the gate: a missing, unreadable or foreign entry reads as
no entry (resume then says where it looked), and entries go when their branch is merged or discarded.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "WAP_INGESTIONS_FILE"
MAX_ENTRIES = 500  # the oldest go first: branches abandoned without a discard must not grow it forever


@dataclass(frozen=True)
class Location:
    """A lakehouse: `backend` "local" (the embedded one, at `path`) or "bauplan" (the cloud; no path)."""

    backend: str
    path: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"backend": self.backend, "lakehouse": self.path}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location | None:
        backend = data.get("backend")
        path = data.get("lakehouse")
        if backend not in ("local", "bauplan") or (path is not None and not isinstance(path, str)):
            return None
        return cls(str(backend), path)


def location_of(client: Any) -> Location:
    """The embedded lakehouse has a `path`; `bauplan.Client` has none (the engine sees only the SDK's API)."""
    path = getattr(client, "path", None)
    return Location("local", str(path)) if path is not None else Location("bauplan")


@dataclass(frozen=True)
class Entry:
    branch: str
    location: Location
    spec: dict[str, Any]
    state: dict[str, Any]


def registry_file() -> Path:
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("wap-notebook")) / "ingestions.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: no entries (it is rewritten whole on the next save)
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Two kernels saving at once must not drop each other's entries: one writer at a time (POSIX lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the atomic replace below still keeps the file whole
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: dict[str, Any]) -> None:
    fd, temporary = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, sort_keys=True, indent=1, default=str)
        os.replace(temporary, path)  # readers see the old file or the new one, never half of one
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remember(branch: str, location: Location, spec: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    """Add or replace the entry of `branch`. Raises `OSError` when the file cannot be written."""
    path = registry_file()
    with _locked(path):
        data = _read(path)
        data.pop(branch, None)
        data[branch] = {**location.to_dict(), "spec": dict(spec), "state": dict(state)}
        while len(data) > MAX_ENTRIES:  # dicts keep insertion order: the first is the oldest entry
            data.pop(next(iter(data)))
        _write(path, data)


def forget(branch: str) -> None:
    path = registry_file()
    if not path.exists():
        return
    with _locked(path):
        data = _read(path)
        if data.pop(branch, None) is not None:
            _write(path, data)


def lookup(branch: str) -> Entry | None:
    raw = _read(registry_file()).get(branch)
    if not isinstance(raw, dict):
        return None
    location = Location.from_dict(raw)
    spec, state = raw.get("spec"), raw.get("state")
    if location is None or not isinstance(spec, dict) or not isinstance(state, dict):
        return None
    return Entry(branch, location, spec, state)
