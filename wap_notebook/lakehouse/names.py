"""Validation of every name the lakehouse accepts, and parsing of refs (`name`, `name@hash`, `@hash`)."""

from __future__ import annotations

from dataclasses import dataclass

from wap_notebook.naming import COMMIT_HASH, validate_identifier, validate_ref_name

__all__ = ["RefSpec", "parse_ref", "split_table_name", "validate_identifier", "validate_ref_name"]


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


def parse_ref(ref: object, what: str = "ref") -> RefSpec:
    """Accept a string or any object with `name`/`hash` attributes (our refs, Bauplan's refs)."""
    if not isinstance(ref, str):
        name = getattr(ref, "name", None)
        if not isinstance(name, str):
            raise ValueError(f"Invalid ref {ref!r}: expected a branch/tag name or a Ref")
        ref_type = str(getattr(ref, "type", "")).upper()
        if "DETACHED" in ref_type:
            return parse_ref(f"{name}@{ref.hash}", what)  # type: ignore[attr-defined]
        ref = name
    text = ref.strip()
    if "@" in text:
        name, _, commit = text.partition("@")
        if not COMMIT_HASH.fullmatch(commit):
            raise ValueError(f"Invalid ref {text!r}: expected '<name>@<hex commit hash>' or '@<hash>'")
        return RefSpec(validate_ref_name(name, what) if name else None, commit.lower())
    return RefSpec(validate_ref_name(text, what), None)


def split_table_name(table: object, namespace: object | None, default_namespace: str) -> tuple[str, str]:
    """Resolve `(namespace, table)` from `table` ("t" or "ns.t", or a Table object) and `namespace`."""
    ns_value = getattr(namespace, "name", namespace)
    if not isinstance(table, str):
        table_ns = getattr(table, "namespace", None)
        table = getattr(table, "name", table)
        ns_value = ns_value or table_ns
    if not isinstance(table, str):
        raise ValueError(f"Invalid table {table!r}: expected a name")
    if "." in table and table.count(".") == 1 and not ns_value:
        ns_value, table = table.split(".")
    validate_identifier(table, "table")
    return validate_identifier(ns_value or default_namespace, "namespace"), table
