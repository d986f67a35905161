"""The job ledger: every create, plan, apply, import, external-table and query call is a job, as on Bauplan.

Jobs live in the catalog's SQLite file (tables `jobs` and `job_logs`), next to the commit graph, so
every kernel sharing a lakehouse folder sees the same jobs, and a job and the commit it made are written
by the same database. A job row holds what Bauplan's `Job` / `JobContext` expose (kind, status, user,
timestamps, error, the ref it ran on, the commit it produced, its SQL) plus one JSON column, `details`:
the **local-only information** of the job (rows and files imported, failed files, the commit hash of an
import, and an `extra` map other lakehouse components may fill, such as check partials computed during
an import). Bauplan's state objects have no such attributes, so they are read from here, with
`LocalClient.job_details(job_id)`, and nowhere else.

A job that was RUNNING in a process that has since died (a killed kernel) is reported as failed, so a
detached job never looks alive forever.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bauplan import exceptions as bx
from bauplan.schema import JobKind, JobLogLevel, JobLogStream, JobState

from wap_notebook.lakehouse.catalog import process_alive
from wap_notebook.lakehouse.objects import Job, JobContext, JobLogEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,      -- a bauplan.schema.JobKind member name, e.g. TABLE_IMPORT
    status      TEXT NOT NULL,      -- a bauplan.schema.JobState member name, e.g. RUNNING
    user        TEXT NOT NULL,
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL,
    error       TEXT,
    ref         TEXT,               -- the ref the job read or wrote
    tx_ref      TEXT,               -- the branch the job wrote (Bauplan's transaction branch), if any
    sql_query   TEXT,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    cancel      INTEGER NOT NULL DEFAULT 0,  -- 1 once cancel_job was called on a running job
    details     TEXT NOT NULL DEFAULT '{}'   -- local-only information, JSON (see JobDetails)
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_at);
CREATE TABLE IF NOT EXISTS job_logs (
    job_id      TEXT NOT NULL REFERENCES jobs(id),
    seq         INTEGER NOT NULL,
    at          REAL NOT NULL,
    level       TEXT NOT NULL,      -- a JobLogLevel member name
    stream      TEXT NOT NULL,      -- a JobLogStream member name
    message     TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""

FINISHED = frozenset({"COMPLETE", "FAIL", "ABORT"})
# What state objects report in `job_status` (Bauplan's examples compare it with "SUCCESS").
# Bauplan's strings (src/grpc.rs `JobError::status_str`): a cancelled job is "CANCELLED".
STATE_STATUS = {"COMPLETE": "SUCCESS", "FAIL": "FAILED", "ABORT": "CANCELLED", "RUNNING": "RUNNING",
                "NOT_STARTED": "NOT_STARTED"}


class JobCancelled(Exception):
    """Raised inside a job's own work when `cancel_job` was called: the job stops and records ABORT."""


@dataclass(frozen=True)
class JobDetails:
    """Local-only information about one job: what Bauplan reports through logs, not state attributes.

    `extra` is a free JSON map for other lakehouse components (e.g. check partials computed while
    importing); keys are namespaced by their writer, e.g. `{"checks": {...}}`.
    """

    job_id: str
    kind: str
    rows_imported: int | None = None
    files_imported: list[str] = field(default_factory=list)
    files_failed: dict[str, str] = field(default_factory=dict)
    commit_hash: str | None = None  # None when the import had nothing new (every file already imported)
    files_skipped: list[str] = field(default_factory=list)  # already imported, so not imported again
    extra: dict[str, Any] = field(default_factory=dict)
    logs: list[JobLogEvent] = field(default_factory=list)  # the job's own lines (`get_job_logs` has user logs only)


_DETAIL_KEYS = ("rows_imported", "files_imported", "files_failed", "commit_hash", "files_skipped")


def _now() -> float:
    """Now, in whole microseconds: what a `datetime` keeps, so filters on job times round-trip exactly."""
    return round(time.time() * 1_000_000) / 1_000_000


def _when(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=timezone.utc) if value is not None else None


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise ValueError(f"Expected a datetime, got {value!r}")
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def _member(enum: Any, value: Any, what: str) -> str:
    """The member name of a JobKind/JobState given as a member, its name or its display string."""
    names = [n for n in dir(enum) if n.isupper()]
    for name in names:
        member = getattr(enum, name)
        matches = value in (name, str(member)) if isinstance(value, str) else value == member
        if matches:
            return name
    raise ValueError(f"Unknown job {what} {value!r}: expected one of {', '.join(names)} (bauplan.{enum.__name__})")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def job_id_of(job: Any) -> str:
    value = job if isinstance(job, str) else getattr(job, "id", None)
    if not isinstance(value, str):
        raise TypeError(f"Expected a job id or a Job, got {job!r}")
    if not value:
        raise job_not_found(value)  # a string: the SDK sends it, and no job has an empty id
    return value


class JobLedger:
    """Jobs of one lakehouse, stored through the catalog's SQLite connections."""

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog
        self._catalog.connection().executescript(SCHEMA)
        self._host = socket.gethostname()

    # -- writing -------------------------------------------------------------------------------------
    def start(self, kind: str, user: str, *, ref: str | None, sql: str | None = None,
              status: str = "RUNNING", message: str | None = None) -> str:
        job_id = str(uuid.uuid4())
        now = _now()
        with self._catalog.write() as con:
            con.execute(
                "INSERT INTO jobs(id, kind, status, user, created_at, started_at, ref, sql_query, host, pid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, kind, status, user, now, now if status == "RUNNING" else None, ref, sql, self._host,
                 os.getpid()))
            self._append_log(con, job_id, message or f"{JobKind.__name__}.{kind} job started by {user}")
        return job_id

    def mark_running(self, job_id: str) -> None:
        with self._catalog.write() as con:
            con.execute("UPDATE jobs SET status = 'RUNNING', started_at = ?, pid = ? WHERE id = ? AND status ="
                        " 'NOT_STARTED'", (_now(), os.getpid(), job_id))

    def log(self, job_id: str, message: str, level: str = "INFO", stream: str = "STDOUT") -> None:
        with self._catalog.write() as con:
            self._append_log(con, job_id, message, level, stream)

    @staticmethod
    def _append_log(con: sqlite3.Connection, job_id: str, message: str, level: str = "INFO",
                    stream: str = "STDOUT") -> None:
        seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM job_logs WHERE job_id = ?", (job_id,)).fetchone()[0]
        con.execute("INSERT INTO job_logs(job_id, seq, at, level, stream, message) VALUES (?, ?, ?, ?, ?, ?)",
                    (job_id, seq, _now(), level, stream, message))

    def finish(self, job_id: str, *, error: str | None = None, aborted: bool = False, tx_ref: str | None = None,
               details: dict[str, Any] | None = None) -> None:
        status = "ABORT" if aborted else "FAIL" if error else "COMPLETE"
        with self._catalog.write() as con:
            self._merge_details(con, job_id, details or {})
            con.execute("UPDATE jobs SET status = ?, finished_at = ?, error = ?, tx_ref = COALESCE(?, tx_ref)"
                        " WHERE id = ?", (status, _now(), error, tx_ref, job_id))
            self._append_log(con, job_id, f"job {status.lower()}" + (f": {error}" if error else ""),
                             "ERROR" if error else "INFO", "STDERR" if error else "STDOUT")

    def record(self, job_id: str, **details: Any) -> None:
        """Add local-only details to a job (typed keys of JobDetails, anything else goes into `extra`)."""
        with self._catalog.write() as con:
            self._merge_details(con, job_id, details)

    @staticmethod
    def _merge_details(con: sqlite3.Connection, job_id: str, details: dict[str, Any]) -> None:
        if not details:
            return
        row = con.execute("SELECT details FROM jobs WHERE id = ?", (job_id,)).fetchone()
        current = json.loads(row[0]) if row else {}
        for key, value in details.items():
            if key in _DETAIL_KEYS:
                current[key] = value
            else:
                current.setdefault("extra", {})[key] = value
        con.execute("UPDATE jobs SET details = ? WHERE id = ?", (json.dumps(current, default=str), job_id))

    def record_finished(self, kind: str, user: str, *, ref: str | None, sql: str | None, started: float,
                        error: str | None) -> str:
        """One insert for a short job that is already over (queries): no extra round trip on the hot path."""
        job_id = str(uuid.uuid4())
        status = "FAIL" if error else "COMPLETE"
        started = round(started * 1_000_000) / 1_000_000
        with self._catalog.write() as con:
            con.execute(
                "INSERT INTO jobs(id, kind, status, user, created_at, started_at, finished_at, error, ref,"
                " sql_query, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, kind, status, user, started, started, _now(), error, ref, sql, self._host,
                 os.getpid()))
            self._append_log(con, job_id, f"query on {ref}: {status.lower()}" + (f": {error}" if error else ""),
                             "ERROR" if error else "INFO", "STDERR" if error else "STDOUT")
        return job_id

    def cancel(self, job_id: str) -> None:
        with self._catalog.write() as con:
            row = con.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise job_not_found(job_id)
            if row[0] == "NOT_STARTED":
                con.execute("UPDATE jobs SET status = 'ABORT', finished_at = ?, cancel = 1 WHERE id = ?",
                            (_now(), job_id))
            elif row[0] == "RUNNING":
                # The job's own thread polls this flag between units of work and stops with ABORT.
                con.execute("UPDATE jobs SET cancel = 1 WHERE id = ?", (job_id,))
            self._append_log(con, job_id, "cancel requested" if row[0] not in FINISHED
                             else f"cancel requested after the job ended ({row[0].lower()}): nothing to do", "WARN")

    def check_cancel(self, job_id: str) -> None:
        row = self._catalog.connection().execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row and row[0]:
            raise JobCancelled(f"Job {job_id} was cancelled")

    # -- reading -------------------------------------------------------------------------------------
    _COLUMNS = "id, kind, status, user, created_at, started_at, finished_at, error, ref, tx_ref, sql_query, host, pid"

    def _row(self, job_id: str) -> tuple[Any, ...]:
        row = self._catalog.connection().execute(f"SELECT {self._COLUMNS} FROM jobs WHERE id = ?",
                                                 (job_id,)).fetchone()
        if row is None:
            raise job_not_found(job_id)
        return self._live(row)

    def _live(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """A RUNNING job whose process on this host is gone is reported as failed."""
        status, host, pid = row[2], row[11], row[12]
        if status in ("RUNNING", "NOT_STARTED") and host == self._host and not process_alive(pid):
            return (*row[:2], "FAIL", *row[3:6], row[6] or row[5], "the process running the job exited",
                    *row[8:])
        return row

    @staticmethod
    def _job(row: tuple[Any, ...]) -> Job:
        return Job(id=row[0], kind=getattr(JobKind, row[1]), user=row[3], status=getattr(JobState, row[2]),
                   created_at=_when(row[4]), started_at=_when(row[5]), finished_at=_when(row[6]),
                   error_message=row[7], runner=f"local:{row[11]}")

    def get(self, job_id: str) -> Job:
        return self._job(self._row(job_id))

    def status(self, job_id: str) -> tuple[str | None, str | None]:
        """(`job_status`, `error`) as a state object reports them."""
        row = self._row(job_id)
        return STATE_STATUS.get(row[2], row[2]), row[7]

    def list(self, *, users: list[str] | None, ids: list[str] | None, kinds: list[str] | None,
             statuses: list[str] | None, after: float | None, before: float | None,
             limit: int | None) -> Iterator[Job]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (("user", users), ("id", ids), ("kind", kinds)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        # Compared in whole microseconds: a Job's `created_at` is a datetime, which keeps no finer digits.
        if after is not None:
            clauses.append("CAST(ROUND(created_at * 1000000) AS INTEGER) > ?")
            params.append(round(after * 1_000_000))
        if before is not None:
            clauses.append("CAST(ROUND(created_at * 1000000) AS INTEGER) < ?")
            params.append(round(before * 1_000_000))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._catalog.connection().execute(
            f"SELECT {self._COLUMNS} FROM jobs{where} ORDER BY created_at DESC", params).fetchall()
        count = 0
        for row in rows:
            if limit is not None and count >= limit:  # limit=0 lists nothing, as the SDK's paginator
                return
            row = self._live(row)
            if statuses and row[2] not in statuses:  # filtered after `_live`, which may turn RUNNING into FAIL
                continue
            yield self._job(row)
            count += 1

    def logs(self, job_id: str) -> builtins.list[JobLogEvent]:  # `list` here is the method above
        self._row(job_id)
        rows = self._catalog.connection().execute(
            "SELECT level, stream, message FROM job_logs WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall()
        return [JobLogEvent(level=getattr(JobLogLevel, level), message=message, stream=getattr(JobLogStream, stream))
                for level, stream, message in rows]

    def user_logs(self, job_id: str) -> builtins.list[JobLogEvent]:
        """What `get_job_logs` and a context's `logs` hold: the logs of the job's user code. Bauplan keeps only
        those (`RuntimeUserLog` events, src/python/job.rs); jobs here run no user code, so there are none. The
        job's own lines (files imported, skipped, failed) are `JobDetails.logs`."""
        self._row(job_id)  # an unknown job is still an error
        return []

    def context(self, job_id: str, *, include_logs: bool) -> JobContext:
        row = self._row(job_id)
        return JobContext(id=row[0], ref=row[8], tx_ref=row[9], sql_query=row[10], error_message=row[7],
                          logs=self.user_logs(job_id) if include_logs else [])

    def details(self, job_id: str) -> JobDetails:
        row = self._catalog.connection().execute("SELECT kind, details FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise job_not_found(job_id)
        data = json.loads(row[1])
        return JobDetails(job_id=job_id, kind=row[0], rows_imported=data.get("rows_imported"),
                          files_imported=list(data.get("files_imported") or []),
                          files_failed=dict(data.get("files_failed") or {}), commit_hash=data.get("commit_hash"),
                          files_skipped=list(data.get("files_skipped") or []), extra=dict(data.get("extra") or {}),
                          logs=self.logs(job_id))


def job_not_found(job_id: str) -> bx.ResourceNotFoundError:
    return bx.ResourceNotFoundError(404, "JOB_NOT_FOUND", f"Job not found: {job_id!r}")


def normalize_kinds(value: Any) -> list[str]:
    return [_member(JobKind, v, "kind") for v in _as_list(value)]


def normalize_statuses(value: Any) -> list[str]:
    return [_member(JobState, v, "status") for v in _as_list(value)]


def normalize_ids(value: Any) -> list[str]:
    return [job_id_of(v) for v in _as_list(value)]


def normalize_users(value: Any) -> list[str]:
    users = _as_list(value)
    for user in users:
        if not isinstance(user, str) or not user:
            raise ValueError(f"Invalid user filter {user!r}: expected a user name")
    return users


def as_epoch(value: Any) -> float | None:
    return _epoch(value)
