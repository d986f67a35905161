"""Naming rules shared by the engine and the embedded lakehouse (Bauplan's conventions).

Table and namespace names become SQL identifiers and path segments, so they stay boring. Branch and
tag names follow Bauplan's `<user>.<name>` convention: no `@` (ref syntax), no `/` or `..` (paths), no
whitespace or quotes. This module has no dependencies so both layers can import it cheaply.

The validators raise `error` (the engine's `InvalidSpec` by default); the embedded lakehouse passes
`ValueError`, the exact class `bauplan.Client` raises for a bad name.
"""

from __future__ import annotations

import re

from wap_notebook.errors import InvalidSpec

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
REF_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_][A-Za-z0-9_\-]*)*")
COMMIT_HASH = re.compile(r"[0-9a-fA-F]{6,64}")
MAX_REF_NAME = 200


def validate_identifier(value: object, what: str = "table", error: type[Exception] = InvalidSpec) -> str:
    """A table or namespace name: letters, digits and underscores, not starting with a digit."""
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise error(
            f"Invalid {what} name {value!r}: use letters, digits and underscores, starting with a letter "
            "or an underscore (at most 128 characters)"
        )
    return value


def validate_ref_name(value: object, what: str = "branch", error: type[Exception] = InvalidSpec) -> str:
    """A branch or tag name such as 'main' or 'alice.my_branch'."""
    if not isinstance(value, str) or len(value) > MAX_REF_NAME or not REF_NAME.fullmatch(value):
        raise error(
            f"Invalid {what} name {value!r}: use letters, digits, '_', '-' and '.'-separated parts "
            f"(e.g. 'main' or 'alice.my_branch'), at most {MAX_REF_NAME} characters"
        )
    return value
