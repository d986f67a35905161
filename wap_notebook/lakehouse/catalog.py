"""The commit graph: catalog-wide branches and tags over commits, in one SQLite file.

A commit records the whole catalog state (namespaces, and each table's Iceberg metadata location)
plus its parents, author, message, body and properties. A branch or tag is a row pointing at a commit,
so creating one is a single insert, whatever the data size. Every write runs in one `BEGIN IMMEDIATE`
transaction that re-reads the branch head and updates it with a compare-and-swap, so two kernels (or
processes) writing at once serialise and nothing is silently lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bauplan import exceptions as bx

from wap_notebook.lakehouse import errors
from wap_notebook.lakehouse.names import RefSpec

MAIN = "main"
DEFAULT_NAMESPACE = "bauplan"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commits (
    hash        TEXT PRIMARY KEY,
    parents     TEXT NOT NULL,      -- JSON list of parent hashes, first parent first
    generation  INTEGER NOT NULL,   -- 1 + max(parent generation): bounds merge-base walks
    author      TEXT NOT NULL,
    message     TEXT,
    body        TEXT,
    properties  TEXT NOT NULL,      -- JSON object of str -> str
    created_at  REAL NOT NULL,
    state       TEXT NOT NULL       -- JSON: {"namespaces": [...], "tables": {"ns.table": metadata_location}}
);
CREATE TABLE IF NOT EXISTS pending_writes (  -- files being written, not yet committed: gc must spare them
    job_id      TEXT PRIMARY KEY,
    location    TEXT NOT NULL,      -- the table folder the job writes data and metadata files into
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refs (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('branch', 'tag')),
    hash        TEXT NOT NULL REFERENCES commits(hash),
    created_at  REAL NOT NULL,
    creator     TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class CatalogState:
    """Immutable content of one commit."""

    namespaces: frozenset[str] = frozenset()
    tables: dict[str, str] = field(default_factory=dict)  # "ns.table" -> Iceberg metadata location

    def to_json(self) -> str:
        return json.dumps({"namespaces": sorted(self.namespaces), "tables": dict(sorted(self.tables.items()))})

    @classmethod
    def from_json(cls, text: str) -> CatalogState:
        data = json.loads(text)
        return cls(frozenset(data["namespaces"]), dict(data["tables"]))


@dataclass(frozen=True)
class CommitRecord:
    hash: str
    parents: list[str]
    generation: int
    author: str
    message: str | None
    body: str | None
    properties: dict[str, str]
    created_at: float
    state: CatalogState
    author_email: str | None = None
    merge_ref: str | None = None  # for a merge commit: the name of the branch merged in


@dataclass(frozen=True)
class RefRecord:
    name: str
    kind: str
    hash: str
    created_at: float
    creator: str


@dataclass(frozen=True)
class Resolved:
    """A ref resolved to a commit: `name`/`kind` are None for a bare `@hash`."""

    name: str | None
    kind: str | None
    commit: CommitRecord
    fixed: bool  # True for `name@hash` / `@hash`: read-only time travel


# What a change callback returns: a new state, a merge's state plus extra parents, or None for "no commit".
ChangeOutcome = CatalogState | tuple[CatalogState, tuple[str, ...]] | None


class Catalog:
    """Thread-safe access to the commit graph stored at `path` (a SQLite file)."""

    def __init__(self, path: Path, *, creator: str) -> None:
        self.path = path
        self._local = threading.local()
        self._init_schema(creator)

    # -- connections ---------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "pid", None) != os.getpid():
            # One connection per thread and process: sqlite3 connections must not cross threads or forks.
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives the process being killed and the database is never corrupted;
            # only an OS crash or power loss may roll back the last commits, which FULL could not prevent
            # either, since the Iceberg files a commit points at are not fsynced. FULL fsyncs on every
            # commit: 60-80 % of a small ingestion's time on a busy disk (BENCHMARKS.md, row 11).
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA busy_timeout=60000")
            con.execute("PRAGMA foreign_keys=ON")
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One exclusive write transaction; rolled back entirely on any exception."""
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for readers that share the catalog file (the job ledger)."""
        return self._connection()

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One exclusive write transaction (see `_write`), for writers that share the catalog file."""
        return self._write()

    def _init_schema(self, creator: str) -> None:
        con = self._connection()
        con.executescript(_SCHEMA)
        columns = {row[1] for row in con.execute("PRAGMA table_info(commits)")}
        for column in ("author_email", "merge_ref"):  # lakehouses made before commits recorded these
            if column not in columns:
                con.execute(f"ALTER TABLE commits ADD COLUMN {column} TEXT")
        with self._write() as con:
            if con.execute("SELECT 1 FROM refs WHERE name = ?", (MAIN,)).fetchone() is None:
                root = self._insert_commit(
                    con,
                    parents=[],
                    author=creator,
                    message="Initialize lakehouse",
                    body=None,
                    properties={},
                    state=CatalogState(frozenset({DEFAULT_NAMESPACE}), {}),
                )
                con.execute(
                    "INSERT INTO refs(name, kind, hash, created_at, creator) VALUES (?, 'branch', ?, ?, ?)",
                    (MAIN, root, time.time(), creator),
                )

    # -- reading -------------------------------------------------------------------------------------
    def commit(self, commit_hash: str, con: sqlite3.Connection | None = None) -> CommitRecord:
        con = con or self._connection()
        row = con.execute(f"SELECT {_COMMIT_COLUMNS} FROM commits WHERE hash = ?", (commit_hash,)).fetchone()
        if row is None and len(commit_hash) < 64:
            rows = con.execute(
                f"SELECT {_COMMIT_COLUMNS} FROM commits WHERE hash >= ? AND hash < ? LIMIT 2",
                (commit_hash, commit_hash + "g"),
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            raise errors.ref_not_found(f"@{commit_hash}")
        return _commit_from_row(row)

    def ref(self, name: str, con: sqlite3.Connection | None = None) -> RefRecord | None:
        con = con or self._connection()
        row = con.execute("SELECT name, kind, hash, created_at, creator FROM refs WHERE name = ?", (name,)).fetchone()
        return RefRecord(*row) if row else None

    def refs(self, kind: str) -> list[RefRecord]:
        rows = self._connection().execute(
            "SELECT name, kind, hash, created_at, creator FROM refs WHERE kind = ? ORDER BY name", (kind,)
        ).fetchall()
        return [RefRecord(*row) for row in rows]

    def resolve(self, spec: RefSpec, con: sqlite3.Connection | None = None) -> Resolved:
        con = con or self._connection()
        if spec.name is None:
            return Resolved(None, None, self.commit(spec.hash or "", con), fixed=True)
        record = self.ref(spec.name, con)
        if record is None:
            raise errors.ref_not_found(str(spec))
        if spec.hash is None:
            return Resolved(record.name, record.kind, self.commit(record.hash, con), fixed=False)
        commit = self.commit(spec.hash, con)
        if not self.is_ancestor(commit.hash, record.hash, con):
            raise errors.ref_not_found(f"{spec.name}@{spec.hash} (commit is not in the history of {spec.name!r})")
        return Resolved(record.name, record.kind, commit, fixed=True)

    def history(self, head: str) -> Iterator[CommitRecord]:
        """Commits reachable from `head`, newest first (by generation, then time)."""
        con = self._connection()
        seen: set[str] = set()
        frontier = [self.commit(head, con)]
        while frontier:
            frontier.sort(key=lambda c: (c.generation, c.created_at), reverse=True)
            current = frontier.pop(0)
            if current.hash in seen:
                continue
            seen.add(current.hash)
            yield current
            frontier.extend(self.commit(parent, con) for parent in current.parents if parent not in seen)

    def ancestors(self, head: str, con: sqlite3.Connection | None = None, *, min_generation: int = 0) -> set[str]:
        return self._reachable_from([head], con or self._connection(), min_generation)

    @staticmethod
    def _reachable_from(heads: list[str], con: sqlite3.Connection, min_generation: int = 0) -> set[str]:
        """The commits reachable from any of `heads` (themselves included), each read once; parents of commits
        at or below `min_generation` are not followed."""
        seen: set[str] = set()
        stack = list(heads)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            row = con.execute("SELECT parents, generation FROM commits WHERE hash = ?", (current,)).fetchone()
            if row and row[1] > min_generation:
                stack.extend(json.loads(row[0]))
        return seen

    def is_ancestor(self, candidate: str, head: str, con: sqlite3.Connection | None = None) -> bool:
        con = con or self._connection()
        gen = con.execute("SELECT generation FROM commits WHERE hash = ?", (candidate,)).fetchone()
        return gen is not None and candidate in self.ancestors(head, con, min_generation=gen[0])

    def merge_base(self, a: str, b: str, con: sqlite3.Connection) -> str | None:
        """The best common ancestor: the common ancestor with the highest generation."""
        common = self.ancestors(a, con) & self.ancestors(b, con)
        if not common:
            return None
        return max(common, key=lambda h: self.commit(h, con).generation)

    def all_reachable_commits(self, con: sqlite3.Connection | None = None) -> set[str]:
        con = con or self._connection()
        # One walk over the union of every ref's history: each commit is read once, not once per ref.
        return self._reachable_from([head for (head,) in con.execute("SELECT hash FROM refs").fetchall()], con)

    # -- files in flight ------------------------------------------------------------------------------
    @contextmanager
    def pending_write(self, location: str) -> Iterator[None]:
        """Mark `location` as being written until the block ends, so `gc` leaves its new files alone."""
        job_id = uuid.uuid4().hex
        with self._write() as con:
            con.execute(
                "INSERT INTO pending_writes(job_id, location, host, pid, started_at) VALUES (?, ?, ?, ?, ?)",
                (job_id, location, socket.gethostname(), os.getpid(), time.time()),
            )
        try:
            yield
        finally:
            with self._write() as con:
                con.execute("DELETE FROM pending_writes WHERE job_id = ?", (job_id,))

    def live_write_locations(self, con: sqlite3.Connection) -> set[str]:
        """Locations with a write in flight; entries of writers that died (killed kernels) are dropped."""
        live: set[str] = set()
        host = socket.gethostname()
        for job_id, location, job_host, pid in con.execute(
            "SELECT job_id, location, host, pid FROM pending_writes"
        ).fetchall():
            if job_host == host and not process_alive(pid):
                con.execute("DELETE FROM pending_writes WHERE job_id = ?", (job_id,))
            else:
                live.add(location)
        return live

    @contextmanager
    def exclusive(self) -> Iterator[sqlite3.Connection]:
        """Hold the write lock: no commit, branch or pending write can start until the block ends."""
        with self._write() as con:
            yield con

    # -- writing -------------------------------------------------------------------------------------
    def _insert_commit(
        self,
        con: sqlite3.Connection,
        *,
        parents: list[str],
        author: str,
        message: str | None,
        body: str | None,
        properties: dict[str, str],
        state: CatalogState,
        author_email: str | None = None,
        merge_ref: str | None = None,
    ) -> str:
        created_at = time.time()
        state_json = state.to_json()
        digest = hashlib.sha256(
            json.dumps([parents, author, message, body, properties, created_at, state_json, uuid.uuid4().hex]).encode()
        ).hexdigest()
        generation = 1 + max(
            (con.execute("SELECT generation FROM commits WHERE hash = ?", (p,)).fetchone()[0] for p in parents),
            default=0,
        )
        con.execute(
            "INSERT INTO commits(hash, parents, generation, author, message, body, properties, created_at, state,"
            " author_email, merge_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (digest, json.dumps(parents), generation, author, message, body, json.dumps(properties), created_at,
             state_json, author_email, merge_ref),
        )
        return digest

    def create_ref(self, name: str, kind: str, from_spec: RefSpec, creator: str, *, if_not_exists: bool) -> RefRecord:
        with self._write() as con:
            existing = self.ref(name, con)
            if existing is not None:
                if if_not_exists and existing.kind == kind:
                    return existing
                if existing.kind == "branch":
                    raise bx.BranchExistsError(409, "BRANCH_EXISTS", f"Branch {name!r} already exists")
                raise bx.TagExistsError(409, "TAG_EXISTS", f"Tag {name!r} already exists")
            source = self.resolve(from_spec, con)
            created_at = time.time()
            con.execute(
                "INSERT INTO refs(name, kind, hash, created_at, creator) VALUES (?, ?, ?, ?, ?)",
                (name, kind, source.commit.hash, created_at, creator),
            )
            return RefRecord(name, kind, source.commit.hash, created_at, creator)

    def rename_ref(self, old: str, new: str, kind: str) -> RefRecord:
        """Give a branch or tag a new name, pointing at the same commit (one transaction)."""
        with self._write() as con:
            record = self.ref(old, con)
            if record is None or record.kind != kind:
                if kind == "branch":
                    raise errors.branch_not_found(old)
                raise errors.tag_not_found(old)
            existing = self.ref(new, con)
            if existing is not None:
                if existing.kind == "branch":
                    raise bx.BranchExistsError(409, "BRANCH_EXISTS", f"Branch {new!r} already exists")
                raise bx.TagExistsError(409, "TAG_EXISTS", f"Tag {new!r} already exists")
            con.execute("UPDATE refs SET name = ? WHERE name = ?", (new, old))
            return RefRecord(new, kind, record.hash, record.created_at, record.creator)

    def delete_ref(self, name: str, kind: str) -> bool:
        with self._write() as con:
            cursor = con.execute("DELETE FROM refs WHERE name = ? AND kind = ?", (name, kind))
            return cursor.rowcount > 0

    def commit_to_branch(
        self,
        branch: str,
        change: Callable[[CommitRecord, sqlite3.Connection], ChangeOutcome],
        *,
        author: str,
        message: str,
        body: str | None = None,
        properties: dict[str, str] | None = None,
        expected_head: str | None = None,
        author_email: str | None = None,
        merge_ref: str | None = None,
    ) -> CommitRecord:
        """Apply `change` to the branch head and move the branch to the new commit, atomically.

        `change` runs inside the write transaction, on the head as it is now, and may raise to abort. It
        returns the new state, or `(state, extra_parents)` for a merge, or None for "nothing to commit"
        (the head is returned unchanged). With `expected_head`, a head that moved since the caller read it
        raises `BranchHeadChangedError`.
        """
        with self._write() as con:
            record = self.ref(branch, con)
            if record is None:
                raise errors.branch_not_found(branch)
            if record.kind != "branch":
                raise errors.not_a_write_branch(branch, "it is a tag")
            if expected_head is not None and record.hash != expected_head:
                raise bx.BranchHeadChangedError(
                    409,
                    "BRANCH_HEAD_CHANGED",
                    f"Branch {branch!r} moved from {expected_head[:12]} to {record.hash[:12]} while writing",
                )
            head = self.commit(record.hash, con)
            outcome = change(head, con)
            if outcome is None:
                return head
            new_state, extra_parents = outcome if isinstance(outcome, tuple) else (outcome, ())
            new_hash = self._insert_commit(
                con,
                parents=[head.hash, *extra_parents],
                author=author,
                message=message,
                body=body,
                properties=dict(properties or {}),
                state=new_state,
                author_email=author_email,
                merge_ref=merge_ref if extra_parents else None,
            )
            cursor = con.execute(
                "UPDATE refs SET hash = ? WHERE name = ? AND hash = ?", (new_hash, branch, head.hash)
            )
            if cursor.rowcount != 1:  # impossible under BEGIN IMMEDIATE; kept as the CAS guarantee
                raise bx.BranchHeadChangedError(409, "BRANCH_HEAD_CHANGED", f"Branch {branch!r} moved while writing")
            return self.commit(new_hash, con)


def process_alive(pid: int) -> bool:
    """Whether a process of this host is still running (a dead writer's entries are stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_COMMIT_COLUMNS = (
    "hash, parents, generation, author, message, body, properties, created_at, state, author_email,"
    " merge_ref"
)


def _commit_from_row(row: tuple[Any, ...]) -> CommitRecord:
    digest, parents, generation, author, message, body, properties, created_at, state, author_email, merge_ref = row
    return CommitRecord(
        hash=digest,
        parents=json.loads(parents),
        generation=generation,
        author=author,
        message=message,
        body=body,
        properties=json.loads(properties),
        created_at=created_at,
        state=CatalogState.from_json(state),
        author_email=author_email,
        merge_ref=merge_ref,
    )
