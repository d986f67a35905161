"""What the panel shows, read once from an ingestion: `Facts`, read defensively (`safe_read`).

A view (panel, saved HTML, text summary) must render whatever state the ingestion is in, including a
half-failed one, so every read goes through `safe_read`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from wap_notebook.core.uris import redact_uri
from wap_notebook.engine.phases import Phase

if TYPE_CHECKING:
    from wap_notebook.ingestion import Ingestion

# phases in which the import branch is there to inspect, merge, discard or resume
OPEN_PHASES = frozenset({Phase.IMPORTED, Phase.VALIDATING, Phase.PASSED, Phase.FAILED, Phase.ERROR})


@dataclass(frozen=True)
class Facts:
    """What the summary line says, read once from the ingestion (and the panel's own knowledge)."""

    phase: str
    tables: list[str]
    rows_added: dict[str, int]
    branch: str
    from_ref: str
    base_hash: str | None
    merge_commit: str | None
    forced: bool
    force_reason: str | None
    behind: int | None  # commits `from_ref` moved since the fork, when known
    report: pd.DataFrame | None
    seen: list[str]
    checks_note: str | None = None  # "only built-in checks ran ..." when no user check applies
    moved_tables: tuple[str, ...] = ()  # this ingestion's tables that changed on `from_ref` since the fork
    branch_exists: bool = True  # False once a failed import deleted its branch (or before it is made)
    resume_code: str = ""  # the line that resumes the branch in a new kernel, naming its lakehouse

    @property
    def resume_line(self) -> str:
        return self.resume_code or f"from wap_notebook import Ingestion; ingestion = Ingestion.resume({self.branch!r})"

    @property
    def validated(self) -> str | None:
        """"passed" / "failed" when the report holds a validation's verdicts, else None."""
        return report_verdict(self.report)


def report_verdict(report: pd.DataFrame | None) -> str | None:
    if report is None or len(report) == 0 or "status" not in report.columns:
        return None
    return "failed" if report["status"].isin(["failed", "error"]).any() else "passed"


def read_facts(ingestion: Ingestion, *, behind: int | None = None, moved_tables: Sequence[str] = ()) -> Facts:
    base_ref = safe_read(lambda: ingestion.base_ref, None) or ""
    return Facts(
        phase=safe_read(lambda: ingestion.phase, Phase.NEW),
        tables=safe_read(lambda: list(ingestion.tables), []) or [],
        rows_added=safe_read(lambda: dict(ingestion.rows_added), {}) or {},
        branch=safe_read(lambda: ingestion.branch, "") or "",
        from_ref=safe_read(lambda: ingestion.from_ref, "main") or "main",
        base_hash=base_ref.split("@", 1)[1] if "@" in base_ref else None,
        merge_commit=safe_read(lambda: ingestion.merge_commit, None),
        forced=bool(safe_read(lambda: ingestion.forced, False)),
        force_reason=safe_read(lambda: ingestion.force_reason, None),
        behind=behind,
        report=safe_read(lambda: ingestion.report, None),
        seen=seen_phases(ingestion),
        checks_note=safe_read(lambda: ingestion.checks_note, None),
        moved_tables=tuple(moved_tables),
        branch_exists=bool(safe_read(lambda: ingestion.state.branch_created, True)),
        resume_code=safe_read(lambda: ingestion.resume_code, "") or "",
    )



def seen_phases(ingestion: Ingestion) -> list[str]:
    history = safe_read(lambda: list(ingestion.history), []) or []
    return [event.phase for event in history if getattr(event, "kind", None) == "phase"]


def history_lines(ingestion: Ingestion) -> list[str]:
    history = safe_read(lambda: list(ingestion.history), []) or []
    return [f"{event.at:%H:%M:%S} {event.message}" for event in history if getattr(event, "message", "")]



def safe_read(getter: Any, default: Any) -> Any:
    """`getter()`, or `default` if it raises: a view (panel, HTML, text summary) must render whatever state
    the ingestion is in, including a half-failed one."""
    try:
        return getter()
    except Exception:  # noqa: BLE001 - see the docstring
        return default


def redacted_sources(ingestion: Ingestion) -> Mapping[str, str]:
    return {t: redact_uri(u) for t, u in (safe_read(lambda: dict(ingestion.sources), {}) or {}).items()}

