"""The event stream of an ingestion: its history, and subscribers called on every event."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from wap_notebook.core.progress import ImportProgress
from wap_notebook.engine.phases import Phase
from wap_notebook.errors import InvalidSpec

logger = logging.getLogger("wap_notebook.ingestion")

EventKind = Literal["phase", "progress", "log", "error"]


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class IngestionEvent:
    """One entry of `Ingestion.history`, also sent to subscribers."""

    at: datetime
    kind: EventKind
    phase: Phase
    message: str
    progress: ImportProgress | None = None


Subscriber = Callable[[IngestionEvent], None]


class EventStream:
    """History plus subscribers. Progress events are streamed, not kept (see `last_progress`)."""

    def __init__(self, lock: threading.RLock, first: IngestionEvent) -> None:
        self._lock = lock
        self._history: list[IngestionEvent] = [first]
        self._subscribers: list[Subscriber] = []
        self.last_progress: ImportProgress | None = None

    @property
    def history(self) -> list[IngestionEvent]:
        with self._lock:
            return list(self._history)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event)` on every event (possibly from a worker thread). Returns unsubscribe."""
        if not callable(callback):
            raise InvalidSpec("callback must be callable")
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, kind: EventKind, phase: Phase, message: str, progress: ImportProgress | None = None) -> None:
        event = IngestionEvent(now(), kind, phase, message, progress)
        with self._lock:
            if kind == "progress":
                self.last_progress = progress
            else:
                self._history.append(event)
            subscribers = list(self._subscribers)
        if kind == "error":
            logger.info("ingestion: %s", message)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not break the ingestion
                logger.exception("ingestion event subscriber failed")
