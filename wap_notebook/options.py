"""The option values users pick from, in one home: the engine, the magic, the CLI and the YAML parser
read them here. Dependency-free so `%load_ext` stays cheap."""

from __future__ import annotations

from collections.abc import Sequence

from wap_notebook.errors import InvalidSpec

ON_SUCCESS = ("inspect", "merge")
ON_FAILURE = ("inspect", "keep", "delete")  # "keep" is an alias of "inspect" (the reference script's word)
MODES = ("auto", "create", "append", "replace")
SEVERITIES = ("error", "warn")
ON_CONFLICT = ("fail", "rebase")  # rebase: re-import on the new head of from_ref, a bounded number of times
CHECKS_SOURCES = ("given", "remembered", "none", "opted_out")


def choice(value: object, allowed: Sequence[str], what: str) -> str:
    """`value` if it is one of `allowed`, else an `InvalidSpec` (a ValueError) naming the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidSpec(f"{what} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value
