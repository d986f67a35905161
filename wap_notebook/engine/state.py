"""`IngestionState`: what happened so far (phase, branch, counts, verdict), and the `Context` the steps
share (client, spec, state, events, one lock)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from wap_notebook.checks.model import CheckResult
from wap_notebook.core.progress import ImportProgress
from wap_notebook.engine.client import LakehouseClient
from wap_notebook.engine.events import EventKind, EventStream
from wap_notebook.engine.facts import TableFacts
from wap_notebook.engine.phases import ActionFacts, Phase
from wap_notebook.engine.spec import IngestionSpec


@dataclass
class IngestionState:
    """Mutable; written by the steps under `Context.lock`, read by the facade's properties."""

    branch: str
    branch_given: bool  # named by the user: never re-drawn on a collision
    phase: Phase = Phase.NEW
    busy: str | None = None  # the action running now
    branch_created: bool = False
    base_hash: str | None = None  # head of from_ref when the branch was made
    modes: dict[str, str] = field(default_factory=dict)  # resolved per table: create / append / replace
    base_exists: dict[str, bool] = field(default_factory=dict)
    imported: bool = False  # the import finished: the branch holds this ingestion's data
    results: list[CheckResult] = field(default_factory=list)
    passed: bool | None = None  # the verdict of the last validation
    merge_commit: str | None = None
    forced: bool = False  # merged despite failed checks, with `force_reason`
    force_reason: str | None = None
    error: str | None = None
    rows_before: dict[str, int] = field(default_factory=dict)
    rows_after: dict[str, int] = field(default_factory=dict)
    rows_added: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)  # per table, as reported by the import
    # The branch commit holding this ingestion's data, below any record commits (`wap_notebook.engine.records`):
    # the merge publishes exactly this commit, so records never reach from_ref. None: merge the branch head.
    data_head: str | None = None
    # Why the checks that should gate this branch are unknown (resumed without a record), else None:
    # merging then needs checks given at resume, or a forced merge with a reason.
    checks_unknown: str | None = None
    # The record namespace the last save left on the branch, above `data_head` (`wap_notebook.engine.records`).
    record_marker: str | None = None
    # `record_marker` is known to be all there is: this process made the branch, or resumed it from a fresh
    # record. Otherwise (written to since, or a save that raised) record namespaces are looked up before the
    # branch head is merged or taken as the data, so none reaches from_ref.
    markers_known: bool = False

    def base_ref(self, from_ref: str) -> str | None:
        """`from_ref@<hash>`: the fixed commit the branch was made from (None before the import)."""
        return f"{from_ref}@{self.base_hash}" if self.base_hash else None

    def facts(self) -> ActionFacts:
        return ActionFacts(imported=self.imported, branch_created=self.branch_created, passed=self.passed)


@dataclass
class Context:
    """What every step works with."""

    client: LakehouseClient
    spec: IngestionSpec
    state: IngestionState
    events: EventStream
    user: str
    lock: threading.RLock
    facts: TableFacts = field(init=False)  # what the client said about tables, asked once
    # Set while `run()` goes on from step to step: the record is written once, when the branch is left open.
    defer_record: bool = False
    # The head of from_ref the checks were checked against before any branch (`pinned_from_ref`): the
    # tables read there are the branch's base as long as from_ref has not moved when the branch is made.
    from_head: str | None = None

    def __post_init__(self) -> None:
        self.facts = TableFacts(self.client, self.spec.namespace)

    def pinned_from_ref(self) -> str:
        """`from_ref@<head>`, the head read once: what is learned there holds for good (a fixed commit)."""
        if self.from_head is None:
            self.from_head = str(self.client.get_branch(self.spec.from_ref).hash)
        return f"{self.spec.from_ref}@{self.from_head}"

    @property
    def base_ref(self) -> str | None:
        return self.state.base_ref(self.spec.from_ref)

    @property
    def data_ref(self) -> str:
        """Where the ingested data lives: the branch, or after a merge the merge commit."""
        state = self.state
        if state.phase == Phase.MERGED and state.merge_commit:
            return f"{self.spec.from_ref}@{state.merge_commit}"
        return state.branch

    def emit(self, kind: EventKind, message: str, progress: ImportProgress | None = None) -> None:
        self.events.emit(kind, self.state.phase, message, progress)

    def set_phase(self, phase: Phase, message: str = "") -> None:
        with self.lock:
            self.state.phase = phase
        self.emit("phase", message or f"Phase: {phase}")
