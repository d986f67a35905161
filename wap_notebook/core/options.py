"""The option values users pick from, in one home: the engine, the magic, the CLI and the YAML parser
read them here. Dependency-free so `%load_ext` stays cheap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from wap_notebook.errors import InvalidSpec

# The types say the choices to a type checker (`mode="apend"` is flagged); the tuples say them at run time.
OnSuccess = Literal["inspect", "merge"]
OnFailure = Literal["inspect", "keep", "delete"]  # "keep" is an alias of "inspect" (the reference script's word)
Mode = Literal["auto", "create", "append", "replace"]
Severity = Literal["error", "warn"]
OnConflict = Literal["fail", "rebase"]  # rebase: re-import on the new head of from_ref, a bounded number of times
ChecksSource = Literal["given", "remembered", "none", "opted_out"]
Backend = Literal["auto", "local", "bauplan"]

ON_SUCCESS: tuple[str, ...] = get_args(OnSuccess)
ON_FAILURE: tuple[str, ...] = get_args(OnFailure)
MODES: tuple[str, ...] = get_args(Mode)
SEVERITIES: tuple[str, ...] = get_args(Severity)
ON_CONFLICT: tuple[str, ...] = get_args(OnConflict)
CHECKS_SOURCES: tuple[str, ...] = get_args(ChecksSource)
BACKENDS: tuple[str, ...] = get_args(Backend)


def choice(value: object, allowed: Sequence[str], what: str) -> str:
    """`value` if it is one of `allowed`, else an `InvalidSpec` (a ValueError) naming the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidSpec(f"{what} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value
