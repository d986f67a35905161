"""Phases of an ingestion and which actions each allows: one table, no if-chains elsewhere.

``new -> importing -> imported -> validating -> passed | failed -> merged | discarded``, plus ``error``
when an operation itself failed (network, conflict outside a merge, an option found wrong late).

`Phase` and `Action` members are strings (``Phase.PASSED == "passed"``, same hash), so code and
notebooks that compare with plain strings keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class _StrEnum(str, Enum):
    """A string-valued enum that prints, formats, hashes and even shows (repr) as its value, so a phase in
    a notebook or a message reads as it always did (3.10 has no StrEnum)."""

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return repr(self.value)

    __hash__ = str.__hash__


class Phase(_StrEnum):
    NEW = "new"
    IMPORTING = "importing"
    IMPORTED = "imported"
    VALIDATING = "validating"
    PASSED = "passed"
    FAILED = "failed"
    MERGED = "merged"
    DISCARDED = "discarded"
    ERROR = "error"


class Action(_StrEnum):
    IMPORT = "import"
    VALIDATE = "validate"
    MERGE = "merge"
    FORCE_MERGE = "force_merge"
    DISCARD = "discard"
    REFRESH = "refresh"
    REBASE = "rebase"  # re-create the branch from from_ref's new head and re-import the same sources


#: Phases after which nothing can happen any more.
FINAL_PHASES = frozenset({Phase.MERGED, Phase.DISCARDED})
#: Phases in which the branch holds imported data worth showing.
DATA_PHASES = frozenset({Phase.IMPORTED, Phase.PASSED, Phase.FAILED, Phase.MERGED})


@dataclass(frozen=True)
class ActionFacts:
    """What besides the phase decides the allowed actions."""

    imported: bool  # the import finished: the branch holds this ingestion's data
    branch_created: bool  # the import branch exists (created by this ingestion)
    passed: bool | None  # the last validation's verdict (None: not validated)


# A condition on `ActionFacts` under which an action is allowed; named so the table reads as prose.
_ALWAYS = "always"
_IF_IMPORTED = "if imported"
_IF_NO_BRANCH = "if no branch yet"
_IF_BRANCH = "if the branch exists"
_IF_PASSED = "if imported and passed"
_IF_NOT_PASSED = "if imported and not passed"

TRANSITIONS: dict[Phase, dict[Action, str]] = {
    Phase.NEW: {Action.IMPORT: _ALWAYS, Action.DISCARD: _ALWAYS},
    Phase.IMPORTING: {},
    Phase.IMPORTED: {Action.VALIDATE: _ALWAYS, Action.DISCARD: _ALWAYS, Action.REFRESH: _ALWAYS,
                     Action.REBASE: _ALWAYS},
    Phase.VALIDATING: {},
    Phase.PASSED: {Action.MERGE: _ALWAYS, Action.VALIDATE: _ALWAYS, Action.DISCARD: _ALWAYS,
                   Action.REFRESH: _ALWAYS, Action.REBASE: _ALWAYS},
    Phase.FAILED: {Action.DISCARD: _ALWAYS, Action.REFRESH: _ALWAYS, Action.VALIDATE: _IF_IMPORTED,
                   Action.FORCE_MERGE: _IF_IMPORTED, Action.REBASE: _ALWAYS},
    Phase.MERGED: {},
    Phase.DISCARDED: {},
    Phase.ERROR: {Action.DISCARD: _ALWAYS, Action.REFRESH: _ALWAYS, Action.IMPORT: _IF_NO_BRANCH,
                  Action.VALIDATE: _IF_IMPORTED, Action.MERGE: _IF_PASSED, Action.FORCE_MERGE: _IF_NOT_PASSED,
                  Action.REBASE: _IF_BRANCH},
}


def _holds(condition: str, facts: ActionFacts) -> bool:
    if condition == _ALWAYS:
        return True
    if condition == _IF_IMPORTED:
        return facts.imported
    if condition == _IF_NO_BRANCH:
        return not facts.branch_created
    if condition == _IF_BRANCH:
        return facts.branch_created
    if condition == _IF_PASSED:
        return facts.imported and bool(facts.passed)
    if condition == _IF_NOT_PASSED:
        return facts.imported and not facts.passed
    raise AssertionError(f"unknown condition {condition!r}")


def allowed_actions(phase: Phase, facts: ActionFacts) -> frozenset[Action]:
    """The actions legal in `phase` given `facts` (the caller adds "nothing while busy")."""
    return frozenset(action for action, condition in TRANSITIONS[Phase(phase)].items() if _holds(condition, facts))
