"""`IngestionSpec`: what the user asked for, validated before anything touches a lakehouse.

Frozen, and serialisable to a JSON-able dict (checks in the YAML form of `%%wap_ingest` cells, through
the check registry) so it can be persisted beside the branch and read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from wap_notebook.checks.model import Check
from wap_notebook.core.naming import validate_identifier
from wap_notebook.core.options import CHECKS_SOURCES, MODES, ON_CONFLICT, ON_FAILURE, ON_SUCCESS, choice
from wap_notebook.core.sql import validate_ref
from wap_notebook.core.uris import has_embedded_credentials, redact_uri
from wap_notebook.errors import InvalidSpec

ChecksArg = Sequence[Check] | Mapping[str, Sequence[Check]]

SPEC_VERSION = 1


def identifier(value: object, what: str) -> str:
    """A table or namespace name (`wap_notebook.core.naming`'s rule, shared with the lakehouse), refused as
    `InvalidSpec` like every other problem of what the user asked."""
    try:
        return validate_identifier(value, what)
    except ValueError as exc:
        raise InvalidSpec(str(exc)) from None


def normalize_checks(checks: ChecksArg | Check, tables: Sequence[str]) -> dict[str, tuple[Check, ...]]:
    """Checks per table: a sequence applies to every table; a mapping is keyed by table name."""
    if isinstance(checks, Mapping):
        unknown = [t for t in checks if t not in tables]
        if unknown:
            raise InvalidSpec(f"checks given for unknown table(s) {unknown}; tables are {list(tables)}")
        per_table = {t: tuple(checks.get(t, ())) for t in tables}
    else:
        items = (checks,) if isinstance(checks, Check) else tuple(checks)
        per_table = {t: items for t in tables}
    for table, items in per_table.items():
        for item in items:
            if not isinstance(item, Check):
                raise InvalidSpec(
                    f"checks for {table!r} must be wap_notebook.checks objects (e.g. checks.not_null('id')); "
                    f"got {item!r}"
                )
    return per_table


def _validate_sources(table: str | Mapping[str, str], source: str | None) -> dict[str, str]:
    if isinstance(table, Mapping):
        if source is not None:
            raise InvalidSpec("Pass either table and source, or a {table: source} mapping with source=None")
        sources = dict(table)
        if not sources:
            raise InvalidSpec("The {table: source} mapping is empty")
    else:
        if not isinstance(source, str):
            raise InvalidSpec(f"A source URI is required for table {table!r} (e.g. 's3://bucket/path/*.parquet')")
        sources = {table: source}
    for name, uri in sources.items():
        identifier(name, "table")
        if not isinstance(uri, str) or not uri.strip() or "\x00" in uri:
            raise InvalidSpec(f"Invalid source URI for table {name!r}: {uri!r}")
        if has_embedded_credentials(uri):
            # Refused rather than redacted: the URI would otherwise travel into history, logs and the
            # merge commit's audit record.
            raise InvalidSpec(
                f"The source URI for table {name!r} embeds credentials ({redact_uri(uri)}): configure them "
                "with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead"
            )
    return sources


@dataclass(frozen=True)
class IngestionSpec:
    """Tables and their sources, checks per table, policies, and the refs to branch from and merge into."""

    sources: Mapping[str, str]
    namespace: str = "bauplan"
    checks: Mapping[str, tuple[Check, ...]] = field(default_factory=dict)
    on_success: str = "inspect"
    on_failure: str = "inspect"  # "keep" is normalised to "inspect"
    mode: str = "auto"
    from_ref: str = "main"
    branch: str | None = None  # the import branch the user named, or None for a generated name
    import_duplicate_files: bool = False  # re-import files the table already has (refused by default)
    on_conflict: str = "fail"  # "rebase": re-import on the new head when from_ref moved under the tables
    # Where the checks came from: "given", "remembered" (the last merged ingestion's, see preflight),
    # "none" (nothing given, nothing remembered) or "opted_out" (checks=[] given explicitly).
    checks_source: str = "given"

    @classmethod
    def build(cls, table: str | Mapping[str, str], source: str | None = None, *, namespace: str = "bauplan",
              checks: ChecksArg = (), on_success: str = "inspect", on_failure: str = "inspect",
              mode: str = "auto", from_ref: str = "main", branch: str | None = None,
              import_duplicate_files: bool = False, on_conflict: str = "fail",
              checks_source: str = "given") -> IngestionSpec:
        """Validate everything the user typed; raises `InvalidSpec` (a ValueError) on the first problem."""
        choice(on_success, ON_SUCCESS, "on_success")
        choice(on_failure, ON_FAILURE, "on_failure")
        choice(mode, MODES, "mode")
        choice(on_conflict, ON_CONFLICT, "on_conflict")
        choice(checks_source, CHECKS_SOURCES, "checks_source")
        sources = _validate_sources(table, source)
        identifier(namespace, "namespace")
        validate_ref(from_ref, "from_ref", allow_hash=False)
        if branch is not None:
            validate_ref(branch, "branch", allow_hash=False)
            if branch in (from_ref, "main"):
                raise InvalidSpec(f"branch must be a new import branch, not {branch!r}")
        return cls(
            sources=MappingProxyType(sources),
            namespace=namespace,
            checks=MappingProxyType(normalize_checks(checks, list(sources))),
            on_success=on_success,
            on_failure="inspect" if on_failure == "keep" else on_failure,
            mode=mode,
            from_ref=from_ref,
            branch=branch,
            import_duplicate_files=bool(import_duplicate_files),
            on_conflict=on_conflict,
            checks_source=checks_source,
        )

    @property
    def tables(self) -> list[str]:
        return list(self.sources)

    def with_checks(self, checks: ChecksArg | Check | str, user_ns: Mapping[str, Any] | None = None
                    ) -> IngestionSpec:
        """The same spec with other checks (objects, a per-table mapping, or the YAML text of a cell),
        validated before anything runs."""
        if isinstance(checks, str):
            from wap_notebook.checks.yaml_form import parse_checks

            checks = parse_checks(checks, user_ns)
        return replace(self, checks=MappingProxyType(normalize_checks(checks, self.tables)), checks_source="given")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; checks as the YAML items of a `%%wap_ingest` cell (custom checks by name)."""
        return {
            "version": SPEC_VERSION,
            "sources": dict(self.sources),
            "namespace": self.namespace,
            "checks": {table: [check.to_config() for check in items] for table, items in self.checks.items()},
            "on_success": self.on_success,
            "on_failure": self.on_failure,
            "mode": self.mode,
            "from_ref": self.from_ref,
            "branch": self.branch,
            "import_duplicate_files": self.import_duplicate_files,
            "on_conflict": self.on_conflict,
            "checks_source": self.checks_source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], user_ns: Mapping[str, Any] | None = None) -> IngestionSpec:
        """The inverse of `to_dict`; `user_ns` resolves the functions of custom checks by name."""
        from wap_notebook.checks.yaml_form import parse_check_item

        if data.get("version") != SPEC_VERSION:
            raise InvalidSpec(f"unsupported ingestion spec version {data.get('version')!r}")
        checks = {table: [parse_check_item(item, user_ns, index=index) for index, item in enumerate(items, 1)]
                  for table, items in dict(data.get("checks") or {}).items()}
        return cls.build(dict(data["sources"]), None, namespace=data["namespace"], checks=checks,
                         on_success=data["on_success"], on_failure=data["on_failure"], mode=data["mode"],
                         from_ref=data["from_ref"], branch=data.get("branch"),
                         import_duplicate_files=bool(data.get("import_duplicate_files", False)),
                         on_conflict=data.get("on_conflict", "fail"),
                         checks_source=data.get("checks_source", "given"))
