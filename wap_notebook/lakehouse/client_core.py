"""Shared state and helpers of `LocalClient`'s mixins: ref resolution, writable branches, commits, table keys
and descriptions, and the job-related helpers every concern uses (moved verbatim from `client.py`)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bauplan import exceptions as bx
from bauplan.schema import TableKind

from wap_notebook.lakehouse import errors, external, tables
from wap_notebook.lakehouse.catalog import DEFAULT_NAMESPACE, MAIN, Catalog, CommitRecord, Resolved
from wap_notebook.lakehouse.jobs import JobLedger
from wap_notebook.lakehouse.limits import QueryLimits
from wap_notebook.lakehouse.names import parse_ref, ref_name, split_table_name
from wap_notebook.lakehouse.objects import PartitionField, Table, TableField
from wap_notebook.lakehouse.sources import CsvEmptyStrings

logger = logging.getLogger("wap_notebook.lakehouse.client")

JOB_ID_PROPERTY = "bpln_job_id"  # as on Bauplan: the commit names the job that made it


def _refuse_args(args: Any) -> None:
    """`args` are backend flags of Bauplan's cloud (the argument layer checked they are a dict of strings).
    They change nothing locally; say so in the log rather than drop them silently or refuse the call."""
    if args:
        logger.info("args=%r: backend flags of Bauplan's cloud, without effect in the embedded lakehouse", args)


def _describe_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, bx.BauplanError) else f"{type(exc).__name__}: {text}"


class ClientCore:
    """What every concern of `LocalClient` shares: its folder, user, catalog and job ledger, and the helpers
    that resolve refs and tables and commit to branches. `LocalClient.__init__` sets the attributes."""

    path: Path
    username: str
    email: str
    warehouse: Path
    query_limits: QueryLimits
    protect_main: bool
    csv_empty_strings: CsvEmptyStrings
    _catalog: Catalog
    _jobs: JobLedger

    # ------------------------------------------------------------------ refs
    def _resolve(self, ref: Any) -> Resolved:
        return self._catalog.resolve(parse_ref(ref))

    def _writable_branch(self, branch: Any) -> str:
        name = ref_name(branch, "branch")
        record = self._catalog.ref(name)
        if record is None:
            raise errors.branch_not_found(name)
        if record.kind != "branch":
            raise errors.not_a_write_branch(record.name, "it is a tag")
        if record.name == MAIN and self.protect_main:
            raise errors.forbidden(bx.ForbiddenError, "FORBIDDEN", "Branch 'main' is protected: write on a branch "
                                   "and merge it into main (LocalClient(protect_main=False) allows direct writes)")
        return record.name

    def _commit(self, branch: str, change: Any, **kwargs: Any) -> CommitRecord:
        return self._catalog.commit_to_branch(branch, change, author=self.username, author_email=self.email, **kwargs)

    # ------------------------------------------------------------------ tables: reading
    def _table_key(self, table: Any, namespace: Any) -> tuple[str, str, str]:
        ns, name = split_table_name(table, namespace, DEFAULT_NAMESPACE)
        return ns, name, f"{ns}.{name}"

    def _describe(self, namespace: str, name: str, location: str) -> Table:
        iceberg, schema = tables.describe(location)
        snapshot = iceberg.current_snapshot()
        summary = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        fields = [TableField(id=f.field_id, name=f.name, required=f.required, type=str(f.field_type), doc=f.doc)
                  for f in schema.fields]
        partitions = [PartitionField(name=f.name, transform=str(f.transform)) for f in iceberg.spec().fields]
        return Table(
            name=name,
            namespace=namespace,
            kind=TableKind.ExternalTable if self._is_external(iceberg, location) else TableKind.Table,
            metadata_location=location,
            current_snapshot_id=snapshot.snapshot_id if snapshot else None,
            current_schema_id=schema.schema_id,
            fields=fields,
            records=int(summary.get("total-records", 0)),
            size=int(summary.get("total-files-size", 0)),
            snapshots=len(iceberg.metadata.snapshots),
            last_updated_at=datetime.fromtimestamp(iceberg.metadata.last_updated_ms / 1000, tz=timezone.utc),
            properties={k: v for k, v in iceberg.properties.items()
                        if not k.startswith("schema.name-mapping") and k != tables.EXTERNAL_PROPERTY},
            partitions=partitions,
            id=uuid.UUID(str(iceberg.metadata.table_uuid)),
        )

    def _is_external(self, iceberg: Any, location: str) -> bool:
        """External tables are registered metadata outside the warehouse, or files registered in place."""
        return (not external.is_inside_warehouse(location, self.warehouse)
                or iceberg.properties.get(tables.EXTERNAL_PROPERTY) == "true")
