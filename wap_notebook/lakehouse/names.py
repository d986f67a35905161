"""Validation of every name the lakehouse accepts, and parsing of refs (`name`, `name@hash`, `@hash`).

A ref may be a string or any object with `name`/`hash` attributes (our `Branch`/`Tag`/`Ref`, a
`Commit.ref`, or Bauplan's own objects). As on Bauplan, an object that carries a hash addresses that
commit: `query(ref=commit.ref)` reads the data as of that commit, not the branch head. Malformed refs
raise `bauplan.exceptions.InvalidRefError`, the class Bauplan's catalog answers with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bauplan import exceptions as bx

from wap_notebook.core import naming
from wap_notebook.core.naming import COMMIT_HASH
from wap_notebook.lakehouse.errors import bad_request

__all__ = ["RefSpec", "invalid_ref", "parse_ref", "ref_name", "split_table_name", "validate_identifier",
           "validate_ref_name"]


@dataclass(frozen=True)
class RefSpec:
    """A parsed ref: `name` alone (moving head), `name@hash` or `@hash` (a fixed commit)."""

    name: str | None
    hash: str | None

    @property
    def is_fixed(self) -> bool:
        return self.hash is not None

    def __str__(self) -> str:
        if self.hash is None:
            return self.name or ""
        return f"{self.name or ''}@{self.hash}"


def invalid_ref(ref: object, why: str) -> bx.InvalidRefError:
    return bx.InvalidRefError(400, "INVALID_REF", f"Invalid ref {ref!r}: {why}")


def _checked_name(name: str, what: str) -> str:
    try:
        return validate_ref_name(name, what)
    except ValueError as exc:
        raise bx.InvalidRefError(400, "INVALID_REF", str(exc)) from None


def parse_ref(ref: object, what: str = "ref") -> RefSpec:
    """Parse a ref string or object; an object carrying a hash resolves to that commit."""
    if not isinstance(ref, str):
        name = getattr(ref, "name", None)
        commit = getattr(ref, "hash", None)
        if not isinstance(name, str) and not isinstance(commit, str):
            raise invalid_ref(ref, "expected a branch/tag name, 'name@hash', or a Ref object")
        if isinstance(commit, str) and commit:
            if not COMMIT_HASH.fullmatch(commit):
                raise invalid_ref(ref, "its hash is not a hex commit hash")
            return RefSpec(_checked_name(name, what) if name else None, commit.lower())
        ref = name or ""
    text = ref.strip()
    if "@" in text:
        name, _, commit = text.partition("@")
        if not COMMIT_HASH.fullmatch(commit):
            raise invalid_ref(text, "expected '<name>@<hex commit hash>' or '@<hash>'")
        return RefSpec(_checked_name(name, what) if name else None, commit.lower())
    if not text:
        raise invalid_ref(ref, "empty ref")
    return RefSpec(_checked_name(text, what), None)


def ref_name(ref: object, what: str = "branch") -> str:
    """The name of a branch or tag argument (a string or an object's `name`), for writes and renames.

    Writes go to a branch's head, so a hash carried by a `Branch` object is not a pin here.
    """
    name = ref if isinstance(ref, str) else getattr(ref, "name", None)
    if not isinstance(name, str):
        raise invalid_ref(ref, f"expected a {what} name or a {what.capitalize()} object")
    if "@" in name:
        raise bx.NotAWriteBranchRefError(400, "NOT_A_WRITE_BRANCH_REF",
                                         f"Ref {name!r} is not a {what}: a ref with a commit hash is read-only")
    return _checked_name(name.strip(), what)


def split_table_name(table: object, namespace: object | None, default_namespace: str) -> tuple[str, str]:
    """Resolve `(namespace, table)` from `table` ("t" or "ns.t", or a Table object) and `namespace`."""
    ns_value = getattr(namespace, "name", namespace)
    if not isinstance(table, str):
        table_ns = getattr(table, "namespace", None)
        table = getattr(table, "name", table)
        ns_value = ns_value or table_ns
    if not isinstance(table, str):
        raise ValueError(f"Invalid table {table!r}: expected a name")
    if table.count(".") == 1:
        # 'ns.t' names its namespace; with namespace= too, the two must agree (Bauplan accepts the pair).
        prefix, table = table.split(".")
        if ns_value and ns_value != prefix:
            raise bad_request(f"Table '{prefix}.{table}' is in namespace {prefix!r}, not {ns_value!r}")
        ns_value = prefix
    validate_identifier(table, "table")
    return validate_identifier(ns_value or default_namespace, "namespace"), table


# Bauplan's catalog takes '-' in table and namespace names too (its CLI's own test creates namespace
# 'e2e-create-table' and table 'my-table-name'); every SQL path here quotes names, so they are safe.
_CATALOG_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")


def validate_identifier(value: object, what: str = "table") -> str:
    """A table or namespace name (Bauplan's catalog rule: letters, digits, '_' and '-', not starting with a
    digit or '-'). The SDK passes any string on and the catalog refuses a bad one with a 400:
    `errors.InvalidArgumentError`, a `BadRequestError` that is also a `ValueError`. (The product's own names,
    checked by `core.naming`, stay letters, digits and '_'.)"""
    if not isinstance(value, str) or not _CATALOG_IDENTIFIER.fullmatch(value):
        raise bad_request(f"Invalid {what} name {value!r}: use letters, digits, '_' and '-', starting with a "
                          "letter or an underscore (at most 128 characters)")
    return value


def validate_ref_name(value: object, what: str = "branch") -> str:
    """A branch or tag name such as 'main' or 'alice.my_branch'; a `ValueError`, as `bauplan.Client` raises."""
    return naming.validate_ref_name(value, what, ValueError)
