"""Return types of the embedded lakehouse, attribute-compatible with `bauplan.schema` / `bauplan.state`.

Bauplan's classes are compiled and cannot be instantiated from Python, so these mirror their attribute
names (`name`, `hash`, `type`, `fqn`, `fields`, `records`, `error`, `job_status`, ...) as plain frozen
dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Ref:
    name: str
    hash: str
    type: str = "DETACHED"  # "BRANCH" | "TAG" | "DETACHED", as `bauplan.schema.RefType`

    def __str__(self) -> str:
        return f"{self.name}@{self.hash}" if self.name else f"@{self.hash}"


@dataclass(frozen=True)
class Branch(Ref):
    type: str = "BRANCH"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Tag(Ref):
    type: str = "TAG"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class DetachedRef(Ref):
    type: str = "DETACHED"


@dataclass(frozen=True)
class Actor:
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Commit:
    ref: Ref
    message: str | None
    body: str | None
    author: Actor | None
    authored_date: datetime
    committed_date: datetime
    parent_hashes: list[str]
    properties: dict[str, str]
    parent_ref: Ref | None = None

    @property
    def hash(self) -> str:
        return self.ref.hash

    @property
    def subject(self) -> str | None:
        return self.message.splitlines()[0] if self.message else None

    @property
    def authors(self) -> list[Actor]:
        return [self.author] if self.author else []

    @property
    def committer(self) -> Actor | None:
        return self.author

    @property
    def signed_off_by(self) -> list[Actor]:
        return []


@dataclass(frozen=True)
class Namespace:
    name: str


@dataclass(frozen=True)
class TableField:
    id: int
    name: str
    required: bool
    type: str
    doc: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    namespace: str
    kind: str = "TABLE"
    metadata_location: str | None = None
    current_snapshot_id: int | None = None
    current_schema_id: int | None = None
    fields: list[TableField] = field(default_factory=list)
    records: int | None = None
    size: int | None = None
    snapshots: int | None = None
    last_updated_at: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    partitions: list[Any] = field(default_factory=list)
    id: str | None = None
    comment: str | None = None
    is_managed: bool = True
    is_external: bool = False

    @property
    def fqn(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True)
class UserInfo:
    username: str
    id: str = "local"
    first_name: str = ""
    last_name: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass(frozen=True)
class OrganizationInfo:
    id: str = "local"
    name: str = "embedded lakehouse"
    slug: str = "local"
    default_parameter_secret_key: str | None = None
    default_parameter_secret_public_key: str | None = None


@dataclass(frozen=True)
class InfoState:
    user: UserInfo
    organization: OrganizationInfo = field(default_factory=OrganizationInfo)
    client_version: str = ""
    runners: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class TableDataImportContext:
    branch_name: str
    namespace: str
    table_name: str
    search_string: str
    continue_on_error: bool
    import_duplicate_files: bool
    best_effort: bool
    preview: str = "off"
    transformation_query: str | None = None


@dataclass(frozen=True)
class TableDataImportState:
    """What `import_data` returns. A failed import sets `error` and `job_status="FAILED"`; it does not raise."""

    job_id: str
    job_status: str
    error: str | None
    ctx: TableDataImportContext
    # Extras of the embedded lakehouse (Bauplan reports these through job logs instead).
    files_imported: list[str] = field(default_factory=list)
    files_failed: dict[str, str] = field(default_factory=dict)
    rows_imported: int = 0
    commit_hash: str | None = None


@dataclass(frozen=True)
class TableCreatePlanContext:
    branch_name: str
    namespace: str
    table_name: str
    search_string: str
    table_partitioned_by: str | None = None
    table_replace: bool = False


@dataclass(frozen=True)
class TableCreatePlanState:
    """What `plan_table_creation` returns: `plan` is a YAML document; conflicts must be resolved in it."""

    job_id: str
    job_status: str
    error: str | None
    ctx: TableCreatePlanContext
    plan: str | None
    can_auto_apply: bool
    files_to_be_imported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableCreatePlanApplyState:
    job_id: str
    job_status: str
    error: str | None
