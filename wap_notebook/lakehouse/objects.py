"""Return types of the embedded lakehouse, with exactly the public attributes of `bauplan.schema` /
`bauplan.state` / `bauplan` classes (a test compares the attribute sets with the SDK's own classes).

Bauplan's classes are compiled and cannot be instantiated from Python, so these mirror them as plain
frozen dataclasses. Enumerations are the SDK's own members (`bauplan.schema.RefType.BRANCH`,
`TableKind.Table`, `JobKind.TABLE_IMPORT`, `JobState.COMPLETE`, ...), so comparisons behave as on the
cloud: `ref.type == RefType.BRANCH` is True and `ref.type == "BRANCH"` is False.

Nothing here carries local-only information: rows imported, files imported, commit hashes of jobs and
the like live in the job ledger, read with `LocalClient.job_details(job_id)` (see `jobs.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from bauplan.schema import JobKind, JobLogLevel, JobLogStream, JobState, RefType, TableKind


class Ref:
    """A branch, tag or commit: `name`, `hash`, `type` (a `RefType` member)."""

    __slots__ = ("_hash", "_name")
    _type = RefType.DETACHED

    def __init__(self, name: str, hash: str) -> None:  # noqa: A002 - the SDK's attribute name
        self._name = name
        self._hash = hash

    @property
    def name(self) -> str:
        return self._name

    @property
    def hash(self) -> str:
        return self._hash

    @property
    def type(self) -> Any:
        return self._type

    def __str__(self) -> str:
        return f"{self._name}@{self._hash}" if self._name else f"@{self._hash}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, hash={self._hash!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Ref) and type(other) is type(self) and other._name == self._name
                and other._hash == self._hash)

    def __hash__(self) -> int:  # RefType members are unhashable: hash the class name instead
        return hash((type(self).__name__, self._name, self._hash))


class Branch(Ref):
    """`str()` is 'name@hash', as the SDK's (src/python/refs.rs `Display`): use `.name` for the name."""

    __slots__ = ()
    _type = RefType.BRANCH


class Tag(Ref):
    """`str()` is 'name@hash', as the SDK's: use `.name` for the name."""

    __slots__ = ()
    _type = RefType.TAG


class DetachedRef(Ref):
    __slots__ = ()
    _type = RefType.DETACHED


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
    parent_merge_ref: Branch | None = None  # the merged branch, for merge commits

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
class PartitionField:
    name: str
    transform: str  # "identity", "year", "month", "day", "hour", "bucket[16]", "truncate[4]"


@dataclass(frozen=True, eq=False)
class Table:
    name: str
    namespace: str
    kind: Any = field(default_factory=lambda: TableKind.Table)  # members are unhashable
    metadata_location: str | None = None
    current_snapshot_id: int | None = None
    current_schema_id: int | None = None
    fields: list[TableField] = field(default_factory=list)
    records: int | None = None
    size: int | None = None
    snapshots: int | None = None
    last_updated_at: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    partitions: list[PartitionField] = field(default_factory=list)
    id: UUID | None = None

    @property
    def fqn(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def comment(self) -> str | None:
        return self.properties.get("comment")

    def is_managed(self) -> bool:
        return bool(self.kind == TableKind.Table)

    def is_external(self) -> bool:
        return bool(self.kind == TableKind.ExternalTable)


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
    """What `import_data` returns. A failed import sets `error` and `job_status="FAILED"`; it does not raise.

    With `detach=True` the state is returned at once with `job_status="RUNNING"`; like any state it is a
    snapshot: follow the job with `get_job(state.job_id)`.
    """

    job_id: str | None
    job_status: str | None
    error: str | None
    ctx: TableDataImportContext


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
    """What `plan_table_creation` returns: `plan` is Bauplan's YAML plan (`plan_state`, `schema_info`)."""

    job_id: str | None
    job_status: str | None
    error: str | None
    ctx: TableCreatePlanContext
    plan: str | None
    can_auto_apply: bool
    files_to_be_imported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableCreatePlanApplyState:
    job_id: str | None
    job_status: str | None
    error: str | None


@dataclass(frozen=True)
class ExternalTableCreateContext:
    branch_name: str
    namespace: str
    table_name: str


@dataclass(frozen=True)
class ExternalTableCreateState:
    job_id: str | None
    job_status: str | None
    error: str | None
    ctx: ExternalTableCreateContext


@dataclass(frozen=True)
class JobLogEvent:
    level: Any  # JobLogLevel member
    message: str
    stream: Any = field(default_factory=lambda: JobLogStream.STDOUT)


@dataclass(frozen=True, eq=False)
class Job:
    id: str
    kind: Any  # JobKind member
    user: str
    status: Any  # JobState member
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error_message: str | None
    runner: str = "local"

    @property
    def human_readable_status(self) -> str:
        return str(self.status).lower()


@dataclass(frozen=True, eq=False)
class JobContext:
    id: str
    ref: str | None
    tx_ref: str | None
    sql_query: str | None
    error_message: str | None
    logs: list[JobLogEvent] = field(default_factory=list)
    project_id: str | None = None
    project_name: str | None = None
    snapshot_dict: dict[str, str] = field(default_factory=dict)
    dag_nodes: list[Any] = field(default_factory=list)
    dag_edges: list[Any] = field(default_factory=list)


__all__ = [
    "Actor", "Branch", "Commit", "DetachedRef", "ExternalTableCreateContext", "ExternalTableCreateState",
    "InfoState", "Job", "JobContext", "JobKind", "JobLogEvent", "JobLogLevel", "JobLogStream", "JobState",
    "Namespace", "OrganizationInfo", "PartitionField", "Ref", "RefType", "Table", "TableCreatePlanApplyState",
    "TableCreatePlanContext", "TableCreatePlanState", "TableDataImportContext", "TableDataImportState",
    "TableField", "TableKind", "UserInfo",
]
