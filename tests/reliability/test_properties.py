"""Property-based, stateful test of the embedded lakehouse against an in-memory model.

Hypothesis drives random sequences of: create / delete branch, create table + import, append, delete
table, merge into main, tag, and time-travel reads of any past commit. The model keeps the commit graph
(parents, generation) and each commit's tables as (version token, sorted row ids), and predicts every
outcome, including which merges conflict (a table changed on both sides since the merge base) and which
are no-ops (source already in main's history). Merges only go into `main` and branches are written only
by imports, so the merge base is always unique and the model can predict it exactly.

Invariants: every ref's head is the commit the model expects (nothing moved that should not have:
isolation, deleted branches leave other refs intact); every new commit's content equals the model's
(atomic merges: all changed tables or none); any past commit still reads as it did (time travel).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from wap_notebook import LocalClient

BRANCHES = ("tester.a", "tester.b", "tester.c")
TAGS = ("v1", "v2")
TABLES = ("t1", "t2")
STATS = {"examples": 0, "steps": 0, "merges": 0, "conflicts": 0, "noop_merges": 0, "time_travel_reads": 0}


@dataclass(frozen=True)
class ModelCommit:
    parents: tuple[str, ...]
    generation: int
    ancestors: frozenset[str]  # includes itself
    tables: dict  # table -> (version token, tuple of sorted ids)


class LakehouseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="wap-props-"))
        self.client = LocalClient(self.tmp / "lh", username="tester")
        root = self.client.get_branch("main").hash
        self.commits: dict[str, ModelCommit] = {root: ModelCommit((), 1, frozenset({root}), {})}
        self.refs: dict[str, tuple[str, str]] = {"main": ("branch", root)}
        self.verified: set[str] = {root}
        self.next_id = 0
        self.next_token = 0
        self.files = 0
        STATS["examples"] += 1

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---------------------------------------------------------------- model helpers
    def _token(self) -> int:
        self.next_token += 1
        return self.next_token

    def _record(self, ref: str, parents: tuple[str, ...], tables: dict) -> str:
        """The SUT's new head of `ref` must be a new commit with the expected parents; remember its content."""
        new_hash = self.client.get_branch(ref).hash
        assert new_hash not in self.commits, "a write must create a new commit"
        self.commits[new_hash] = ModelCommit(
            parents, 1 + max(self.commits[p].generation for p in parents),
            frozenset({new_hash}).union(*(self.commits[p].ancestors for p in parents)), tables)
        self.refs[ref] = ("branch", new_hash)
        self._verify(new_hash)
        return new_hash

    def _verify(self, commit_hash: str) -> None:
        expected = self.commits[commit_hash].tables
        ref = f"@{commit_hash}"
        assert {t.name for t in self.client.get_tables(ref)} == set(expected), commit_hash
        if expected:
            sql = " UNION ALL ".join(f"SELECT '{t}' AS t, id FROM \"bauplan\".\"{t}\"" for t in sorted(expected))
            got = self.client.query(sql, ref=ref).to_pydict()
            actual = {t: [] for t in expected}
            for t, i in zip(got["t"], got["id"], strict=True):
                actual[t].append(i)
            assert {t: tuple(sorted(v)) for t, v in actual.items()} == {t: v[1] for t, v in expected.items()}
        self.verified.add(commit_hash)

    def _head(self, ref: str) -> str:
        return self.refs[ref][1]

    def _write_batch(self, n: int) -> tuple[str, tuple[int, ...]]:
        ids = tuple(range(self.next_id, self.next_id + n))
        self.next_id += n
        self.files += 1
        path = self.tmp / "src" / f"b{self.files}.parquet"
        path.parent.mkdir(exist_ok=True)
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), path)
        return str(path), ids

    # ---------------------------------------------------------------- rules
    @initialize(first=st.sampled_from(TABLES), n=st.integers(1, 4))
    def start(self, first: str, n: int) -> None:
        """Start where conflicts are possible: a table on main, two branches forked from it."""
        self.create_branch("tester.a", "main")
        self.import_rows("tester.a", first, n)
        self.merge_into_main("tester.a")
        self.create_branch("tester.b", "main")

    @rule(name=st.sampled_from(BRANCHES), source=st.sampled_from(("main", *BRANCHES, *TAGS)))
    def create_branch(self, name: str, source: str) -> None:
        if name in self.refs:  # checked before the source, which may be missing too
            with pytest.raises(bx.BranchExistsError):
                self.client.create_branch(name, source)
        elif source not in self.refs:
            with pytest.raises(bx.RefNotFoundError):
                self.client.create_branch(name, source)
        else:
            self.client.create_branch(name, source)
            self.refs[name] = ("branch", self._head(source))

    @rule(name=st.sampled_from(BRANCHES))
    def delete_branch(self, name: str) -> None:
        if name not in self.refs:
            with pytest.raises(bx.BranchNotFoundError):
                self.client.delete_branch(name)
        else:
            assert self.client.delete_branch(name) is True
            del self.refs[name]

    @rule(branch=st.sampled_from(BRANCHES), table=st.sampled_from(TABLES), n=st.integers(1, 4))
    def import_rows(self, branch: str, table: str, n: int) -> None:
        if branch not in self.refs:
            with pytest.raises(bx.BranchNotFoundError):
                self.client.import_data(table, "/nonexistent/x.parquet", branch=branch)
            return
        uri, ids = self._write_batch(n)
        tables = dict(self.commits[self._head(branch)].tables)
        if table not in tables:  # create (schema from the file), then import: two commits
            self.client.create_table(table, uri, branch=branch)
            tables[table] = (self._token(), ())
            self._record(branch, (self._head(branch),), dict(tables))
        state = self.client.import_data(table, uri, branch=branch)
        assert state.error is None, state.error
        tables[table] = (self._token(), tuple(sorted(tables[table][1] + ids)))
        self._record(branch, (self._head(branch),), tables)

    @rule(branch=st.sampled_from(BRANCHES), table=st.sampled_from(TABLES))
    def delete_table(self, branch: str, table: str) -> None:
        if branch not in self.refs:
            return
        tables = dict(self.commits[self._head(branch)].tables)
        if table not in tables:
            with pytest.raises(bx.TableNotFoundError):
                self.client.delete_table(table, branch)
            return
        self.client.delete_table(table, branch)
        del tables[table]
        self._record(branch, (self._head(branch),), tables)

    @rule(source=st.sampled_from(BRANCHES))
    def merge_into_main(self, source: str) -> None:
        if source not in self.refs:
            with pytest.raises(bx.RefNotFoundError):
                self.client.merge_branch(source, "main")
            return
        src, head = self._head(source), self._head("main")
        STATS["merges"] += 1
        if src in self.commits[head].ancestors:
            STATS["noop_merges"] += 1
            assert self.client.merge_branch(source, "main").hash == head
            return
        common = self.commits[src].ancestors & self.commits[head].ancestors
        top = max(self.commits[c].generation for c in common)
        bases = [c for c in common if self.commits[c].generation == top]
        assert len(bases) == 1, "model invariant: merges into main only, so the merge base is unique"
        base, theirs, ours = (self.commits[h].tables for h in (bases[0], src, head))
        keys = set(base) | set(theirs) | set(ours)

        def token(state, key):
            return state[key][0] if key in state else None

        changed_src = {k for k in keys if token(theirs, k) != token(base, k)}
        changed_dst = {k for k in keys if token(ours, k) != token(base, k)}
        conflicts = {k for k in changed_src & changed_dst if token(theirs, k) != token(ours, k)}
        if conflicts:
            STATS["conflicts"] += 1
            with pytest.raises(bx.MergeConflictError) as info:
                self.client.merge_branch(source, "main")
            assert all(f"bauplan.{k}" in str(info.value) for k in conflicts)
            assert self.client.get_branch("main").hash == head  # nothing merged
            return
        merged = dict(ours)
        for k in changed_src:
            if k in theirs:
                merged[k] = theirs[k]
            else:
                merged.pop(k, None)
        self.client.merge_branch(source, "main")
        self._record("main", (head, src), merged)

    @rule(table=st.sampled_from(TABLES), first=st.sampled_from(BRANCHES), second=st.sampled_from(BRANCHES))
    def race(self, table: str, first: str, second: str) -> None:
        """Two branches change the same table, then both merge: the second must conflict (if both changed)."""
        for branch in (first, second):
            if branch in self.refs:
                self.import_rows(branch, table, 1)
        for branch in (first, second):
            self.merge_into_main(branch)

    @rule(name=st.sampled_from(TAGS), source=st.sampled_from(("main", *BRANCHES)))
    def create_tag(self, name: str, source: str) -> None:
        if source not in self.refs:
            return
        if name in self.refs:
            with pytest.raises(bx.TagExistsError):
                self.client.create_tag(name, source)
            return
        self.client.create_tag(name, source)
        self.refs[name] = ("tag", self._head(source))

    @rule(data=st.data())
    def time_travel(self, data) -> None:
        """Any commit ever made still reads exactly as it did, whatever was deleted or merged since."""
        commit_hash = data.draw(st.sampled_from(sorted(self.commits)))
        self._verify(commit_hash)
        STATS["time_travel_reads"] += 1

    # ---------------------------------------------------------------- invariants
    @invariant()
    def refs_point_where_the_model_says(self) -> None:
        STATS["steps"] += 1
        branches = {b.name: b.hash for b in self.client.get_branches()}
        tags = {t.name: t.hash for t in self.client.get_tags()}
        assert branches == {n: h for n, (k, h) in self.refs.items() if k == "branch"}
        assert tags == {n: h for n, (k, h) in self.refs.items() if k == "tag"}
        assert all(h in self.verified for _, h in self.refs.values())


def _run(max_examples: int, steps: int) -> None:
    for key in STATS:
        STATS[key] = 0
    LakehouseMachine.TestCase.settings = settings(
        max_examples=max_examples, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    LakehouseMachine.TestCase("runTest").runTest()
    print(f"\n[reliability] property: {STATS}")


def test_lakehouse_matches_model():
    _run(max_examples=15, steps=12)


@pytest.mark.slow
def test_lakehouse_matches_model_full():
    _run(max_examples=300, steps=30)
