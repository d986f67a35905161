"""What to do when things go wrong, as `Ingestion` methods: resume in a new process, rebase on a moved
`from_ref`, and what the verdict rests on (`checks_note`). A mixin so the facade stays one screenful."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from wap_notebook.engine import gate
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.phases import Action
from wap_notebook.engine.resume import plan as resume_plan
from wap_notebook.engine.spec import ChecksArg, IngestionSpec

if TYPE_CHECKING:
    from wap_notebook.engine.guard import Guard
    from wap_notebook.engine.state import Context, IngestionState
    from wap_notebook.engine.steps import Steps

Self = TypeVar("Self", bound="Recovery")


class Recovery:
    _ctx: Context
    _guard: Guard
    _steps: Steps
    _assemble: Callable[[LakehouseClient, IngestionSpec, IngestionState | None], None]  # the facade's

    @classmethod
    def resume(cls: type[Self], branch: str, *, client: LakehouseClient | None = None,
               checks: ChecksArg | None = None, namespace: str = "bauplan", from_ref: str = "main",
               user_ns: Mapping[str, Any] | None = None) -> Self:
        """Rebuild an ingestion from an import branch in a new process: spec, checks and verdict come back
        from its record (`checks=` replaces the checks; `user_ns` finds custom check functions by name).
        See `wap_notebook.engine.resume` for branches without a record or with an unfinished import."""
        if client is None:
            from wap_notebook.backend import connect

            client = connect()
        resumed = resume_plan(client, branch, checks=checks, namespace=namespace, from_ref=from_ref,
                              user_ns=user_ns)
        self = cls.__new__(cls)
        self._assemble(client, resumed.spec, resumed.state)
        state = resumed.state
        if state.imported and not state.results:
            for table in resumed.spec.tables:
                self._steps.rows.count_rows(table)
        self._ctx.set_phase(state.phase, resumed.message)
        return self

    def rebase(self: Self) -> Self:
        """Re-create the branch from the new head of `from_ref`, re-import the same sources and re-validate
        (the spec and checks are kept), e.g. after `main moved N commits` and a conflict. Returns self."""
        with self._guard.action("rebase", Action.REBASE):
            try:
                self._steps.rebase()
            except Exception as exc:
                self._guard.failed("rebase", exc)
                raise
        return self

    def from_ref_moved(self) -> int:
        """How many commits `from_ref` gained since this import branched (0 before the import)."""
        return gate.from_ref_moved(self._ctx)

    @property
    def checks_note(self) -> str | None:
        """"only built-in checks ran ..." when no user check applies (shown with every verdict), else None."""
        return gate.checks_note(self._ctx.spec)

    @property
    def behind(self) -> int | None:
        """Commits `from_ref` gained since this import branched (None before there is a branch)."""
        if not self._ctx.state.branch_created or not self._ctx.state.base_hash:
            return None
        return self.from_ref_moved()
