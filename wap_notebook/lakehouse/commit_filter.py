"""`get_commits(filter=...)`: a CEL expression over the variable `commit`, as Bauplan's catalog (Nessie) takes it.

The expression is compiled and evaluated by a CEL engine (the `cel` package: Python bindings of the Rust CEL
implementation), so the whole language applies (operators, macros such as `exists` / `all`, `has()`, string
functions, timestamps and durations) with CEL's own semantics, and a malformed expression is refused by CEL's
parser. The variable `commit` holds Nessie's commit fields:

- `commit.hash`, `commit.message`, `commit.author`, `commit.committer` (names), `commit.authorEmail`;
- `commit.authorTime`, `commit.commitTime` (timestamps: compare with `timestamp('2026-11-25T10:00:00Z')`);
- `commit.properties` (a map: `commit.properties['k']`, `'k' in commit.properties`), `commit.parentHashes`.

A filter that does not parse, names a field that does not exist, fails on a commit (e.g. `commit.properties['k']`
on a commit without `k`; guard with `'k' in commit.properties && ...`, as with Nessie) or is not a boolean is
refused with a `ValueError`: a filter is never ignored and never half-applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cel

FIELDS = ("hash", "message", "author", "committer", "authorEmail", "authorTime", "commitTime", "properties",
          "parentHashes")


def compile_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """Parse `text` once; the result evaluates one commit's fields (see `FIELDS`) to a bool.

    Raises:
        ValueError: `text` is empty or not a CEL expression (here), or, when the result is called, the
            expression fails on that commit or does not give a boolean.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("filter must be a non-empty CEL expression, e.g. \"commit.author == 'alice'\"")
    try:
        program = cel.compile(text)
    except ValueError as exc:
        raise ValueError(f"Invalid commit filter {text!r}: {_first_line(exc)}") from None

    def matches(fields: dict[str, Any]) -> bool:
        try:
            result = program.execute({"commit": fields})
        except Exception as exc:  # noqa: BLE001 - the engine raises KeyError, TypeError, ... for CEL errors
            detail = f"no field or key {exc}" if isinstance(exc, KeyError) else _first_line(exc)
            raise ValueError(f"Commit filter {text!r} failed on commit {fields['hash'][:12]}: {detail} "
                             f"(commit fields: {', '.join(FIELDS)})") from None
        if not isinstance(result, bool):
            raise ValueError(f"Commit filter {text!r} must be a boolean expression; it gives "
                             f"{type(result).__name__} {result!r}")
        return result

    return matches


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
