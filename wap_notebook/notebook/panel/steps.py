"""Verdicts and steps: the pill (PASSED, FAILED, ...), a phase in words, and the Import -> Validate -> Publish strip.

Pure functions of a phase, the phases seen and the report's verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wap_notebook.engine.phases import Phase

STEPS = ("Import", "Validate", "Publish")

# Step states -> symbol (colour comes from the CSS class)
_STEP_SYMBOL = {"pending": "○", "running": "◐", "done": "●", "waiting": "◔", "failed": "✕", "error": "!",
                "skipped": "–"}
_PHASE_LABEL: dict[str, str] = {
    Phase.NEW: "not started",
    Phase.IMPORTING: "importing",
    Phase.IMPORTED: "imported, not validated",
    Phase.VALIDATING: "validating",
    Phase.PASSED: "checks passed: ready to merge",
    Phase.FAILED: "checks failed",
    Phase.MERGED: "merged into {ref}",
    Phase.DISCARDED: "discarded: branch deleted",
    Phase.ERROR: "error",
}


@dataclass(frozen=True)
class Verdict:
    label: str
    css: str  # wap-ok | wap-fail | wap-caution | wap-busy | wap-idle


_VERDICT: dict[str, Verdict] = {
    Phase.PASSED: Verdict("PASSED", "wap-ok"),
    Phase.FAILED: Verdict("FAILED", "wap-fail"),
    Phase.ERROR: Verdict("ERROR", "wap-fail"),
    Phase.DISCARDED: Verdict("DISCARDED", "wap-idle"),
    Phase.IMPORTING: Verdict("IMPORTING", "wap-busy"),
    Phase.VALIDATING: Verdict("VALIDATING", "wap-busy"),
    Phase.IMPORTED: Verdict("IMPORTED", "wap-busy"),
    Phase.MERGED: Verdict("MERGED", "wap-ok"),
}


def verdict(phase: str, *, forced: bool = False) -> Verdict:
    if phase == Phase.MERGED and forced:
        return Verdict("MERGED WITH OVERRIDE", "wap-caution")
    return _VERDICT.get(phase, Verdict("NOT STARTED", "wap-idle"))


def phase_label(phase: str, from_ref: str = "main") -> str:
    return _PHASE_LABEL.get(phase, phase).format(ref=from_ref)


def step_states(phase: str, seen: Iterable[str] = (), *, validated: str | None = None) -> dict[str, str]:
    """The state of Import / Validate / Publish for an ingestion in `phase` that went through `seen`.

    `validated` ("passed" / "failed", from the report) stands in for the history a resumed ingestion does
    not have: a report means the import finished and the checks ran."""
    seen = set(seen)
    if validated == "passed":
        seen |= {Phase.IMPORTED, Phase.PASSED}
    elif validated == "failed":
        seen |= {Phase.IMPORTED, Phase.FAILED}
    pending = dict.fromkeys(STEPS, "pending")
    if phase == Phase.IMPORTING:
        return {**pending, "Import": "running"}
    if phase == Phase.IMPORTED:
        return {**pending, "Import": "done"}
    if phase == Phase.VALIDATING:
        return {**pending, "Import": "done", "Validate": "running"}
    if phase == Phase.PASSED:
        return {"Import": "done", "Validate": "done", "Publish": "waiting"}
    if phase == Phase.FAILED:
        if seen & {Phase.IMPORTED, Phase.VALIDATING}:
            return {"Import": "done", "Validate": "failed", "Publish": "waiting"}
        return {"Import": "failed", "Validate": "skipped", "Publish": "waiting"}
    if phase == Phase.MERGED:
        return {"Import": "done", "Validate": "done", "Publish": "done"}
    if phase == Phase.DISCARDED:
        validated = "done" if Phase.PASSED in seen else ("failed" if Phase.FAILED in seen else "skipped")
        reached = seen & {Phase.IMPORTED, Phase.VALIDATING, Phase.PASSED} or validated == "failed"
        imported = "done" if reached else "skipped"
        return {"Import": imported, "Validate": validated, "Publish": "skipped"}
    if phase == Phase.ERROR:
        if seen & {Phase.PASSED, Phase.FAILED}:
            failed = "failed" if Phase.FAILED in seen and Phase.PASSED not in seen else "done"
            return {"Import": "done", "Validate": failed, "Publish": "error"}
        if seen & {Phase.IMPORTED, Phase.VALIDATING}:
            return {"Import": "done", "Validate": "error", "Publish": "pending"}
        return {"Import": "error", "Validate": "pending", "Publish": "pending"}
    return pending


def phase_strip_html(phase: str, seen: Iterable[str] = (), *, validated: str | None = None) -> str:
    states = step_states(phase, seen, validated=validated)
    parts = [f'<span class="wap-step wap-step-{states[s]}" data-step="{s.lower()}" title="{states[s]}">'
             f"{_STEP_SYMBOL[states[s]]} {s}</span>" for s in STEPS]
    return f'<span class="wap-strip" style="font-size:11px">{" → ".join(parts)}</span>'
