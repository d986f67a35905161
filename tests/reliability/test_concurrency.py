"""Concurrency suite: several processes ingest and merge into one lakehouse at once; readers watch `main`.

Writers share one lakehouse folder and the loopback S3 server. Slow variants (make test-slow) use fresh
interpreters (`worker.py` subprocesses, like two notebook kernels): 8 writers + 2 readers, 10 append races
(half through `Ingestion`, half through bare `LocalClient.merge_branch`). Fast variants (make test) fork
their processes from a pre-warmed forkserver to save interpreter start-up: 3 writers + 1 reader, 2 races.
"""

from __future__ import annotations

import pytest

from wap_notebook import LocalClient
from wap_notebook.ingestion import Ingestion

from .helpers import USER, ForkedWorker, Worker, count, missing_reachable_files, rows, seed_main, upload

PAIR_SQL = 'SELECT (SELECT COUNT(*) FROM "bauplan"."pair_a") AS a, (SELECT COUNT(*) FROM "bauplan"."pair_b") AS b'


def _first_parent_chain(client: LocalClient, ref: str = "main") -> list[str]:
    commits = {c.ref.hash: c for c in client.get_commits(ref)}
    chain, current = [], client.get_branch(ref).hash
    while current:
        chain.append(current)
        parents = commits[current].parent_hashes
        assert all(p in commits for p in parents), "a parent commit is missing from the history"
        current = parents[0] if parents else None
    return chain


def _parallel_writers(tmp_path, s3_server, writers: int, readers: int, worker=Worker) -> None:
    bucket = f"conc-{writers}w"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "pair_a", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    seed_main(client, "pair_b", upload(s3_server, bucket, "seed/b.parquet", rows(0, 100)), branch=f"{USER}.seed2")
    start_hash = client.get_branch("main").hash
    # writer 0 appends to pair_a and pair_b in one atomic ingestion; writers 1.. each create table t<i>
    specs = [{"pair_a": upload(s3_server, bucket, "w0/a.parquet", rows(1000, 50)),
              "pair_b": upload(s3_server, bucket, "w0/b.parquet", rows(1000, 50))}]
    expected = {"pair_a": 150, "pair_b": 150}
    for i in range(1, writers):
        specs.append({f"t{i}": upload(s3_server, bucket, f"w{i}/t.parquet", rows(i * 10_000, 20 * i))})
        expected[f"t{i}"] = 20 * i
    stop = tmp_path / "stop"
    watchers = [worker({"op": "reader", "path": str(path), "pair_sql": PAIR_SQL, "stop_file": str(stop)})
                for _ in range(readers)]
    for w in watchers:
        w.wait_for("ready")
    procs = [worker({"op": "ingest", "path": str(path), "tables": spec}) for spec in specs]
    results = [p.result() for p in procs]
    stop.touch()
    observed = [w.result() for w in watchers]

    for spec, result in zip(specs, results, strict=True):
        assert result["ok"] and result["phase"] == "merged", (spec, result)
    client = LocalClient(path, username=USER)
    assert {t.name for t in client.get_tables("main")} == set(expected)
    for table, n in expected.items():
        assert count(client, table, "main") == n, table
    # history: one consistent chain, every writer's merge commit on main's first-parent line, none lost
    chain = _first_parent_chain(client)
    merges = [r["merge_commit"] for r in results]
    assert set(merges) <= set(chain)
    assert chain.index(start_hash) == writers, "main moved by exactly one commit per writer"
    assert len(list(client.get_commits("main", filter_by_message="^Publish "))) == writers
    assert not missing_reachable_files(client)
    assert not [b.name for b in client.get_branches(user=USER)], "merged branches are deleted"
    # readers only ever saw committed states: both pair tables moved together, new tables appeared whole
    total = 0
    for reader in observed:
        assert reader["ok"] and not reader["errors"], reader.get("errors") or reader
        for seen in reader["observations"]:
            total += 1
            assert (seen["pair"]["a"], seen["pair"]["b"]) in {(100, 100), (150, 150)}, seen
            for table, n in seen["tables"].items():
                assert n == expected[table], (table, n)
    assert total > 0
    print(f"\n[reliability] concurrent_writers={writers} readers={readers} reader_queries={total} "
          f"commits_on_main={len(chain)}")


def test_parallel_writers_all_land_and_readers_see_committed_states(tmp_path, s3_server):
    _parallel_writers(tmp_path, s3_server, writers=3, readers=1, worker=ForkedWorker)


@pytest.mark.slow
def test_parallel_writers_all_land_and_readers_see_committed_states_full(tmp_path, s3_server):
    _parallel_writers(tmp_path, s3_server, writers=8, readers=2)


# ------------------------------------------------------------------------------------------ same table


def _append_race(tmp_path, s3_server, rounds: int, worker=Worker) -> None:
    bucket = f"race-{rounds}"
    s3_server.create_bucket(bucket)
    path = tmp_path / "lh"
    client = LocalClient(path, username=USER)
    seed_main(client, "orders", upload(s3_server, bucket, "seed/a.parquet", rows(0, 100)))
    paths = {"ingestion": 0, "merge_branch": 0}
    for r in range(rounds):
        base = count(client, "orders", "main")
        uris = [upload(s3_server, bucket, f"r{r}/w{k}.parquet", rows(10_000 + r * 100_000 + k * 1000, 10 + k))
                for k in (0, 1)]
        via_client = r % 2 == 1  # odd rounds race bare LocalClient merges, bypassing Ingestion's pre-check
        if via_client:
            branches = []
            for k, uri in enumerate(uris):
                branch = f"{USER}.race{r}_{k}"
                client.create_branch(branch, "main")
                assert client.import_data("orders", uri, branch=branch).error is None
                branches.append(branch)
            workers = [worker({"op": "merge", "path": str(path), "source": b, "into": "main"}) for b in branches]
            for w in workers:
                w.wait_for("ready")
            results = [w.result() for w in workers]
            won = [k for k, res in enumerate(results) if res["ok"]]
            lost = [k for k, res in enumerate(results) if not res["ok"]]
            assert len(won) == 1 and len(lost) == 1, results
            loser = results[lost[0]]
            assert loser["exception"] == "MergeConflictError" and "nothing was merged" in loser["message"], loser
            loser_branch = branches[lost[0]]
            paths["merge_branch"] += 1
        else:
            workers = [worker({"op": "ingest", "path": str(path), "tables": {"orders": uri}, "wait_go": True})
                       for uri in uris]
            for w in workers:
                w.wait_for("validated")
            for w in workers:  # both validated against the same main: release them together
                w.send("go")
            results = [w.result() for w in workers]
            assert all(res["ok"] for res in results), results
            won = [k for k, res in enumerate(results) if res.get("merge_commit")]
            lost = [k for k, res in enumerate(results) if res.get("conflict")]
            assert len(won) == 1 and len(lost) == 1, results
            loser = results[lost[0]]
            # the readable project conflict (a MergeConflictError: the worker caught it as one)
            assert loser["conflict"] == "IngestionConflict" and loser["phase"] == "passed", loser
            assert "orders" in loser["message"]
            loser_branch = loser["branch"]
            paths["ingestion"] += 1
        winner_rows, loser_rows = 10 + won[0], 10 + lost[0]
        client = LocalClient(path, username=USER)
        assert count(client, "orders", "main") == base + winner_rows
        # the loser's branch is intact: its own rows on top of the old main
        assert client.has_branch(loser_branch)
        assert count(client, "orders", loser_branch) == base + loser_rows
        # retrying from fresh main succeeds, with no duplicate rows
        retry = Ingestion({"orders": uris[lost[0]]}, None, client=client, on_success="merge").run()
        assert retry.phase == "merged", retry.report.to_string()
        client.delete_branch(loser_branch)
        assert count(client, "orders", "main") == base + winner_rows + loser_rows
        dup = client.query("SELECT COUNT(*) - COUNT(DISTINCT id) AS d FROM orders", ref="main")
        assert dup.column(0)[0].as_py() == 0
    assert not missing_reachable_files(client)
    print(f"\n[reliability] append_races={rounds} one_winner_each=True conflicts_by_path={paths}")


def test_two_appenders_exactly_one_wins_and_retry_succeeds(tmp_path, s3_server):
    _append_race(tmp_path, s3_server, rounds=2, worker=ForkedWorker)


@pytest.mark.slow
def test_two_appenders_exactly_one_wins_and_retry_succeeds_full(tmp_path, s3_server):
    _append_race(tmp_path, s3_server, rounds=10)
