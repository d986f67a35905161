"""Crash suite: SIGKILL a real import / merge / ingestion subprocess at random points, then audit the lakehouse.

No hook is injected into the product. A `worker.py` subprocess runs the operation and the test kills it
with SIGKILL either after a random delay or at a point detected by watching the files the product writes
(the N-th new file in the table's folder for an import, the first change of the SQLite WAL for a merge).
After each kill: the lakehouse opens, `main` has exactly its previous content and hash (or, for a merge,
is fully merged: never half), the branch is consistent and usable, and no file reachable from any ref is
missing. At the end `gc()` removes the debris of the kills and nothing reachable.

Fast variants run a few kills in `make test`; `make test-slow` runs 50 import kills, 50 merge kills and
15 ingestion kills.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from wap_notebook import LocalClient
from wap_notebook.ingestion import Ingestion

from .helpers import (
    USER,
    ForkedWorker,
    age_warehouse,
    count,
    missing_reachable_files,
    reachable_files,
    rows,
    seed_main,
    snapshot,
    upload,
    warehouse_files,
)

FILES_PER_IMPORT = 6
ROWS_PER_FILE = 400
STATS: dict[str, dict[str, int]] = {}  # figures for RELIABILITY.md, printed at the end of each test


def _record(name: str, **figures: int) -> None:
    STATS[name] = figures
    print(f"\n[reliability] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def _table_dir(client: LocalClient, table: str, ref: str) -> Path:
    location = client.get_table(table, ref).metadata_location.removeprefix("file://")
    return Path(location).parent.parent


def _entries(folder: Path) -> int:
    total = 0
    for sub in ("data", "metadata"):
        try:
            total += sum(1 for _ in os.scandir(folder / sub))
        except FileNotFoundError:
            pass
    return total


def _wait_until(worker: ForkedWorker, predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while worker.running and time.monotonic() < deadline and not predicate():
        time.sleep(0.0005)


def _assert_consistent(client: LocalClient) -> None:
    missing = missing_reachable_files(client)
    assert not missing, f"files reachable from a ref are missing: {missing[:5]}"


def _gc_removes_debris_only(client: LocalClient) -> int:
    """Age every file, run gc: exactly the unreachable files go, every ref and its history still reads."""
    histories = {}  # every commit reachable from a ref, once
    for ref in [b.name for b in client.get_branches()] + [t.name for t in client.get_tags()]:
        for commit in client.get_commits(ref):
            if commit.ref.hash not in histories:
                histories[commit.ref.hash] = snapshot(client, f"@{commit.ref.hash}")
    reachable = reachable_files(client)
    age_warehouse(client)
    before = warehouse_files(client)
    assert set(client.gc(dry_run=True)) == before - reachable
    assert warehouse_files(client) == before, "dry_run must not delete"
    removed = set(client.gc())
    assert removed == before - reachable, "gc must remove exactly the files no ref reaches"
    assert warehouse_files(client) == reachable
    reopened = LocalClient(client.path, username=USER)
    for commit_hash, snap in histories.items():  # time travel to every commit of every ref reads the same
        assert snapshot(reopened, f"@{commit_hash}").same_content(snap), commit_hash
    for table in reopened.get_tables("main"):  # and through SQL
        reopened.query(f'SELECT COUNT(*) FROM "{table.namespace}"."{table.name}"', ref="main")
    return len(removed)


# ------------------------------------------------------------------------------------------ imports


def _import_crashes(tmp_path, s3_server, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    bucket = f"crash-import-{seed}"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "orders", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    folder = _table_dir(client, "orders", "main")
    survived = completed = committed_before_kill = merged = 0
    duration = None
    iteration = 0
    while survived < kills:
        iteration += 1
        prefix = f"it{iteration}"
        for j in range(FILES_PER_IMPORT):
            upload(s3_server, bucket, f"{prefix}/part-{j}.parquet",
                   rows(iteration * 100_000 + j * ROWS_PER_FILE, ROWS_PER_FILE))
        branch = f"{USER}.crash{iteration}"
        client.create_branch(branch, "main")
        before = snapshot(client, "main")
        base = count(client, "orders", "main")
        worker = ForkedWorker({"op": "import", "path": str(path), "table": "orders", "branch": branch,
                         "uri": f"s3://{bucket}/{prefix}/*.parquet"})
        worker.wait_for("ready")
        started = time.monotonic()
        if duration is None:  # first run: no kill, measures how long an import takes
            result = worker.result()
            assert result["ok"] and result["error"] is None, result
            duration = time.monotonic() - started
            was_killed = False
        elif rng.random() < 0.5:
            time.sleep(rng.uniform(0, duration * 1.2))
            was_killed = worker.kill()
        else:
            start_entries = _entries(folder)
            target = rng.randint(1, FILES_PER_IMPORT + 3)  # data files, then manifest(s) and metadata
            _wait_until(worker, lambda s=start_entries, t=target: _entries(folder) >= s + t)
            was_killed = worker.kill()

        reopened = LocalClient(path, username=USER)  # the lakehouse opens after the kill
        after = snapshot(reopened, "main")
        assert after.hash == before.hash and after.same_content(before), "main changed under a killed import"
        on_branch = count(reopened, "orders", branch)
        added = FILES_PER_IMPORT * ROWS_PER_FILE
        assert on_branch in (base, base + added), f"half an import is visible on the branch: {on_branch}"
        _assert_consistent(reopened)
        if was_killed:
            survived += 1
            committed_before_kill += on_branch == base + added
        else:
            completed += 1
        # The branch is usable: finish the import if it did not commit, then merge or discard it.
        if on_branch == base and iteration % 2 == 0:
            state = reopened.import_data("orders", f"s3://{bucket}/{prefix}/*.parquet", branch=branch)
            assert state.error is None, state.error
            on_branch = base + added
        if on_branch == base + added and iteration % 2 == 0:
            reopened.merge_branch(branch, "main")
            merged += 1
            assert count(reopened, "orders", "main") == base + added
        else:
            assert reopened.delete_branch(branch)
        dup = reopened.query("SELECT COUNT(*) - COUNT(DISTINCT id) AS d FROM orders", ref="main")
        assert dup.column(0)[0].as_py() == 0
    removed = _gc_removes_debris_only(LocalClient(path, username=USER))
    _record(f"import_crash_{kills}", kills_survived=survived, runs_completed=completed,
            killed_after_commit=committed_before_kill, merged=merged, gc_removed=removed)


def test_killed_imports_never_touch_main(tmp_path, s3_server):
    _import_crashes(tmp_path, s3_server, kills=3, seed=1)


@pytest.mark.slow
def test_killed_imports_never_touch_main_full(tmp_path, s3_server):
    _import_crashes(tmp_path, s3_server, kills=50, seed=2)


# ------------------------------------------------------------------------------------------ merges


def _merge_crashes(tmp_path, s3_server, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    bucket = f"crash-merge-{seed}"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "orders", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    wal = Path(f"{path}/catalog.sqlite-wal")
    survived = completed = landed = 0
    iteration = 0
    while survived < kills:
        iteration += 1
        # A branch changing two tables: the merge must publish both or neither.
        branch = f"{USER}.m{iteration}"
        client.create_branch(branch, "main")
        uri = upload(s3_server, bucket, f"m{iteration}/a.parquet", rows(iteration * 1000, 50))
        state = client.import_data("orders", uri, branch=branch)
        assert state.error is None, state.error
        extra = f"extra{iteration}"
        client.create_table(extra, uri, branch=branch)
        assert client.import_data(extra, uri, branch=branch).error is None
        before = snapshot(client, "main")
        branch_before = snapshot(client, branch)
        base = count(client, "orders", "main")

        worker = ForkedWorker({"op": "merge", "path": str(path), "source": branch, "into": "main",
                         "message": f"merge {iteration}"})
        worker.wait_for("ready")
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0, 0.03))
        else:
            stat = wal.stat() if wal.exists() else None
            mark = (stat.st_size, stat.st_mtime_ns) if stat else None

            def changed(m=mark):
                try:
                    s = wal.stat()
                except FileNotFoundError:
                    return False
                return (s.st_size, s.st_mtime_ns) != m

            _wait_until(worker, changed)
        was_killed = worker.kill()

        reopened = LocalClient(path, username=USER)
        after = snapshot(reopened, "main")
        has_extra = reopened.has_table(extra, "main")
        main_rows = count(reopened, "orders", "main")
        if after.hash == before.hash:
            assert after.same_content(before) and not has_extra and main_rows == base
            # the branch is intact and the merge can be redone
            assert snapshot(reopened, branch).same_content(branch_before)
            reopened.merge_branch(branch, "main", commit_message=f"merge {iteration} (retry)")
        else:
            landed += 1
            assert has_extra and main_rows == base + 50, "a merge was half applied"
            commit = next(iter(reopened.get_commits("main", limit=1)))
            assert commit.message == f"merge {iteration}" and len(commit.parent_hashes) == 2
        assert count(reopened, "orders", "main") == base + 50 and count(reopened, extra, "main") == 50
        if kills <= 5 or iteration % 5 == 0:  # the full reachability audit grows with history: sample it
            _assert_consistent(reopened)
        if was_killed:
            survived += 1
        else:
            completed += 1
        if iteration % 5:  # keep every 5th merged branch: gc must not touch what they reach
            reopened.delete_branch(branch)
    removed = _gc_removes_debris_only(LocalClient(path, username=USER))
    _record(f"merge_crash_{kills}", kills_survived=survived, runs_completed=completed,
            killed_after_commit=landed, gc_removed=removed)


def test_killed_merges_are_all_or_nothing(tmp_path, s3_server):
    _merge_crashes(tmp_path, s3_server, kills=3, seed=3)


@pytest.mark.slow
def test_killed_merges_are_all_or_nothing_full(tmp_path, s3_server):
    _merge_crashes(tmp_path, s3_server, kills=50, seed=4)


# ------------------------------------------------------------------------------------------ ingestions


def _ingestion_crashes(tmp_path, s3_server, kills: int, seed: int) -> None:
    """Kill a whole `Ingestion(..., on_success="merge").run()` anywhere; resume what it left behind."""
    rng = random.Random(seed)
    bucket = f"crash-ingest-{seed}"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "orders", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    survived = completed = resumed = 0
    duration = None
    iteration = 0
    while survived < kills:
        iteration += 1
        uri = upload(s3_server, bucket, f"i{iteration}/a.parquet", rows(iteration * 1000, 30))
        before = snapshot(client, "main")
        base = count(client, "orders", "main")
        worker = ForkedWorker({"op": "ingest", "path": str(path), "tables": {"orders": uri}})
        worker.wait_for("ready")
        started = time.monotonic()
        if duration is None:
            result = worker.result()
            assert result["ok"] and result["phase"] == "merged", result
            duration = time.monotonic() - started
            was_killed = False
        else:
            time.sleep(rng.uniform(0, duration * 1.1))
            was_killed = worker.kill()
        reopened = LocalClient(path, username=USER)
        after = snapshot(reopened, "main")
        main_rows = count(reopened, "orders", "main")
        if after.hash == before.hash:
            assert after.same_content(before)
        else:
            assert main_rows == base + 30, "main holds part of an ingestion"
        leftovers = [b.name for b in reopened.get_branches(user=USER) if ".import_" in b.name]
        assert len(leftovers) <= 1
        for name in leftovers:  # the branch is consistent: resume it, validate, merge (or it has nothing)
            on_branch = count(reopened, "orders", name)
            assert on_branch in (base, base + 30)
            ing = Ingestion.resume(name, client=reopened)
            if ing.phase == "error":  # the import never finished, or it was merged already: discard it
                assert "did not finish" in ing.error or "merged already" in ing.error, ing.error
                ing.discard()
                continue
            ing.validate()
            assert ing.phase == "passed", ing.report.to_string()
            ing.merge()
            resumed += 1
        if count(reopened, "orders", "main") == base:  # killed before anything landed: run it again
            Ingestion({"orders": uri}, None, client=reopened, on_success="merge").run()
        assert count(reopened, "orders", "main") == base + 30
        dup = reopened.query("SELECT COUNT(*) - COUNT(DISTINCT id) AS d FROM orders", ref="main")
        assert dup.column(0)[0].as_py() == 0
        _assert_consistent(reopened)
        survived += was_killed
        completed += not was_killed
    removed = _gc_removes_debris_only(LocalClient(path, username=USER))
    _record(f"ingestion_crash_{kills}", kills_survived=survived, runs_completed=completed, resumed=resumed,
            gc_removed=removed)


def test_killed_ingestions_leave_main_whole_and_branches_resumable(tmp_path, s3_server):
    _ingestion_crashes(tmp_path, s3_server, kills=2, seed=5)


@pytest.mark.slow
def test_killed_ingestions_leave_main_whole_and_branches_resumable_full(tmp_path, s3_server):
    _ingestion_crashes(tmp_path, s3_server, kills=15, seed=6)


# ------------------------------------------------------------------------------------------ gc vs writers


def test_gc_never_deletes_the_files_of_an_import_in_flight(tmp_path, s3_server):
    """Regression: gc used to spare unreferenced files only by age. An import slower than gc's grace is
    simulated by ageing the files it has written so far (os.utime);
    gc() then runs in a loop while the import is in flight. The import must still succeed with all its files."""
    bucket = "gc-race"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "orders", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    for j in range(6):
        upload(s3_server, bucket, f"big/part-{j}.parquet", rows(10_000 + j * 1000, 500))
    client.create_branch(f"{USER}.big", "main")
    data = _table_dir(client, "orders", "main") / "data"
    before = sum(1 for _ in os.scandir(data))
    worker = ForkedWorker({"op": "import", "path": str(path), "table": "orders", "branch": f"{USER}.big",
                           "uri": f"s3://{bucket}/big/*.parquet"})
    worker.wait_for("ready")
    _wait_until(worker, lambda: sum(1 for _ in os.scandir(data)) > before)
    while worker.running:
        age_warehouse(client)
        client.gc()
        time.sleep(0.005)
    result = worker.result()
    assert result["ok"] and result["error"] is None, result
    reopened = LocalClient(path, username=USER)
    assert count(reopened, "orders", f"{USER}.big") == 100 + 3_000
    _assert_consistent(reopened)
