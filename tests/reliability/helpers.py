"""Shared helpers of the reliability suites: subprocess workers, snapshots of refs, file reachability."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wap_notebook import LocalClient
from wap_notebook.lakehouse import tables as lh_tables

WORKER = str(Path(__file__).with_name("worker.py"))
USER = "tester"


def rows(start: int, n: int) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "amount": pa.array([i * 0.5 for i in ids], pa.float64()),
        "status": pa.array(["placed" if i % 3 else "shipped" for i in ids]),
    })


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def upload(s3_server, bucket: str, key: str, table: pa.Table) -> str:
    return s3_server.upload_bytes(bucket, key, parquet_bytes(table))


def seed_main(client: LocalClient, table: str, uri: str, branch: str = f"{USER}.seed") -> None:
    """Create `table` on main from `uri` the Bauplan way: branch, create, import, merge, delete."""
    client.create_branch(branch, "main")
    client.create_table(table, uri, branch=branch)
    state = client.import_data(table, uri, branch=branch)
    assert state.error is None, state.error
    client.merge_branch(branch, "main")
    client.delete_branch(branch)


@dataclass
class RefSnapshot:
    """A ref's commit hash and the full, ordered content of every table on it."""

    hash: str
    tables: dict[str, pa.Table]

    def same_content(self, other: RefSnapshot) -> bool:
        return self.tables.keys() == other.tables.keys() and all(
            self.tables[k].equals(other.tables[k]) for k in self.tables)


def snapshot(client: LocalClient, ref: str = "main") -> RefSnapshot:
    """Hash and content of `ref`, read straight from the table versions' Parquet files (fast, no SQL)."""
    if "@" in ref:
        head, fixed = ref.split("@")[1], ref
    else:
        head = client.get_branch(ref).hash
        fixed = f"{ref}@{head}"
    contents = {}
    for table in client.get_tables(fixed):
        files = lh_tables.table_files(table.metadata_location)
        data = pq.read_table(list(files.data_files), schema=files.schema) if files.data_files \
            else files.schema.empty_table()
        contents[f"{table.namespace}.{table.name}"] = data.sort_by([(n, "ascending") for n in data.column_names])
    return RefSnapshot(head, contents)


def count(client: LocalClient, table: str, ref: str) -> int:
    return client.query(f'SELECT COUNT(*) AS n FROM "bauplan"."{table}"', ref=ref).column(0)[0].as_py()


_FILES_OF: dict[str, frozenset[str]] = {}  # metadata files are immutable: cache what each one reaches


def reachable_files(client: LocalClient) -> set[str]:
    """Every warehouse file some commit reachable from a branch or tag needs (same walk as `gc`)."""
    found: set[str] = set()
    catalog = client._catalog  # noqa: SLF001 - the test audits the catalog itself
    locations = {loc for h in catalog.all_reachable_commits() for loc in catalog.commit(h).state.tables.values()}
    for location in locations:
        if location not in _FILES_OF:
            _FILES_OF[location] = frozenset(lh_tables.reachable_files(location))
        found |= _FILES_OF[location]
    return found


def missing_reachable_files(client: LocalClient) -> list[str]:
    return sorted(path for path in reachable_files(client) if not os.path.exists(path))


def warehouse_files(client: LocalClient) -> set[str]:
    return {str(p) for p in Path(client.warehouse).rglob("*") if p.is_file()}


def age_warehouse(client: LocalClient, seconds: float = 3600) -> None:
    """Make every warehouse file look old, so `gc` (which spares files younger than its grace period) considers it."""
    old = time.time() - seconds
    for path in warehouse_files(client):
        os.utime(path, (old, old))


class Worker:
    """One `worker.py` subprocess. Read its lines, kill it with SIGKILL, collect its JSON result."""

    def __init__(self, spec: dict, env: dict[str, str] | None = None) -> None:
        self.spec = spec
        self._stderr = tempfile.TemporaryFile(mode="w+")  # a file, so a chatty stderr can never block the child
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, json.dumps(spec)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, env={**os.environ, **(env or {})})
        self.killed = False

    def wait_for(self, marker: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"worker exited before {marker!r}: {self._err()}")
            if line.strip() == marker:
                return
        raise AssertionError(f"worker did not print {marker!r} within {timeout}s")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def kill(self) -> bool:
        """SIGKILL; True if the process was still running (a real kill), False if it had already ended."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.killed = True
        self.proc.wait(timeout=30)
        self._close()
        return alive

    def result(self, timeout: float = 300) -> dict:
        # Read through the same buffered file object as `wait_for` (communicate() would bypass its buffer).
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(timeout=timeout)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"worker gave no result (rc={self.proc.returncode}): {self._err()}")
        self._close()
        return json.loads(lines[-1])

    def _err(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-3000:]

    def _close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self._stderr):
            try:
                stream.close()
            except OSError:
                pass


_FORKSERVER = None


def _forkserver_context():
    """A forkserver that has imported the product once: each worker then starts in milliseconds instead of
    the ~1.5 s a fresh interpreter needs, so a fast suite can afford several kills. Children are plain
    forked processes running the unmodified product code; `kill()` sends them SIGKILL."""
    global _FORKSERVER
    if _FORKSERVER is None:
        import multiprocessing

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["wap_notebook.lakehouse.client", "wap_notebook.ingestion",
                                        "reliability.worker"])
        _FORKSERVER = context
    return _FORKSERVER


class ForkedWorker:
    """Like `Worker`, but a child of a pre-warmed forkserver, talking over a pipe."""

    def __init__(self, spec: dict) -> None:
        from .worker import run_in_child

        context = _forkserver_context()
        # this machine's registry of ingestions is per test: the child notes its branches where the test looks
        spec = {**spec, "env": {"WAP_INGESTIONS_FILE": os.environ["WAP_INGESTIONS_FILE"]}}
        self.spec = spec
        self._conn, child = context.Pipe()
        self.proc = context.Process(target=run_in_child, args=(spec, child), daemon=True)
        self.proc.start()
        child.close()
        self.killed = False
        self._result = None

    def _recv(self, timeout: float):
        if not self._conn.poll(timeout):
            raise AssertionError(f"worker {self.spec['op']} sent nothing within {timeout}s")
        return self._conn.recv()

    def wait_for(self, marker: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._recv(max(0.0, deadline - time.monotonic()))
            except EOFError:
                raise AssertionError(f"worker exited before {marker!r}") from None
            if message == marker:
                return
            if isinstance(message, dict):
                self._result = message
                raise AssertionError(f"worker finished before {marker!r}: {message}")

    def send(self, line: str) -> None:
        self._conn.send(line)

    @property
    def running(self) -> bool:
        return self.proc.is_alive()

    def kill(self) -> bool:
        alive = self.proc.is_alive()
        if alive:
            try:  # the forkserver, not us, reaps its children: the pid may vanish right after is_alive()
                os.kill(self.proc.pid, signal.SIGKILL)
                self.killed = True
            except ProcessLookupError:
                alive = False
        self.proc.join(30)
        self._conn.close()
        return alive

    def result(self, timeout: float = 300) -> dict:
        if self._result is None:
            self._result = self._recv(timeout)
            while not isinstance(self._result, dict):
                self._result = self._recv(timeout)
        self.proc.join(30)
        return self._result
