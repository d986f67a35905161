"""The gatekeeper of an ingestion's actions: which are legal now, one at a time, and how a failed
operation is recorded (phase "error", or the phase kept when the verdict still stands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from wap_notebook.engine.phases import Action, Phase, allowed_actions
from wap_notebook.engine.state import Context
from wap_notebook.errors import ActionNotAllowed, IngestionBusy


class Guard:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def allowed(self) -> set[str]:
        """Actions legal now (see `wap_notebook.engine.phases.TRANSITIONS`); empty while an action runs."""
        with self._ctx.lock:
            state = self._ctx.state
            if state.busy:
                return set()
            return {action.value for action in allowed_actions(state.phase, state.facts())}

    @contextmanager
    def action(self, name: str, *keys: Action) -> Iterator[None]:
        """Run the block as action `name` if one of `keys` is allowed now; `busy` meanwhile."""
        state = self._ctx.state
        with self._ctx.lock:
            if state.busy:
                raise IngestionBusy(f"Cannot {name}: {state.busy!r} is still running on this ingestion")
            allowed = self.allowed()
            if not allowed.intersection(keys):
                shown = ", ".join(sorted(allowed)) or "nothing"
                raise ActionNotAllowed(f"Cannot {name} in phase {state.phase.value!r}; allowed now: {shown}")
            state.busy = name
        try:
            yield
        finally:
            with self._ctx.lock:
                state.busy = None

    def failed(self, what: str, exc: BaseException, *, keep_phase: bool = False) -> None:
        """Record that operation `what` raised `exc` (the caller re-raises)."""
        message = f"{what}: {exc}"
        with self._ctx.lock:
            self._ctx.state.error = message
        if not keep_phase:
            self._ctx.set_phase(Phase.ERROR, message)
        self._ctx.emit("error", message)
