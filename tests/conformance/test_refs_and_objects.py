"""Refs, enums and returned objects as the SDK's stubs describe them.

Source: `bauplan/schema.pyi` and `bauplan/__init__.pyi` of bauplan 0.3.5 (the installed SDK), and the
facts collected from them in /work/shared/bauplan-semantics.md ("Facts from the SDK's stubs").
"""

from __future__ import annotations

from uuid import UUID

import pyarrow as pa
import pytest
from bauplan import exceptions as bx
from bauplan.schema import RefType, TableKind

BRANCH = "tester.refs"


@pytest.fixture
def loaded(client, write):
    uri = write("a.parquet", pa.table({"id": [1, 2, 3]}))
    client.create_branch(BRANCH, "main")
    client.create_table("t", uri, branch=BRANCH)
    client.import_data("t", uri, branch=BRANCH)
    return uri


def test_ref_types_are_the_sdk_members(client, loaded):
    # schema.pyi: `Ref.type -> RefType`; RefType members compare equal to members only.
    branch = client.get_branch(BRANCH)
    assert branch.type == RefType.BRANCH and branch.type != "BRANCH" and str(branch.type) == "BRANCH"
    tag = client.create_tag("v1", BRANCH)
    assert tag.type == RefType.TAG
    assert next(client.get_commits(f"@{branch.hash}", limit=1)).ref.type == RefType.DETACHED


def test_table_identity_and_kind(client, loaded):
    # schema.pyi: `Table.id -> UUID`, `Table.kind -> TableKind`, `is_managed()` / `is_external()` are methods.
    table = client.get_table("t", BRANCH)
    assert isinstance(table.id, UUID)
    assert table.kind == TableKind.Table and table.is_managed() and not table.is_external()
    assert table.fqn == "bauplan.t" and table.records == 3


def test_commit_attributes(client, loaded):
    # schema.pyi: Commit has `parent_merge_ref` (the merged branch) and no `hash` (it is `commit.ref.hash`);
    # Actor has `email`.
    client.merge_branch(BRANCH, "main")
    merge = next(client.get_commits("main", limit=1))
    assert not hasattr(merge, "hash")
    assert merge.parent_merge_ref is not None and merge.parent_merge_ref.name == BRANCH
    assert merge.parent_merge_ref.hash == client.get_branch(BRANCH).hash
    assert merge.author.email == "tester@localhost" and merge.committer.name == "tester"
    import_commit = next(client.get_commits(BRANCH, limit=1))
    assert import_commit.parent_merge_ref is None and import_commit.parent_ref.hash == import_commit.parent_hashes[0]


def test_refs_carrying_a_hash_resolve_to_it(client, loaded, write):
    # bauplan-semantics.md: "Any Ref object carrying a hash must resolve to the hash" (query, create_tag,
    # create_branch's from_ref, merge_branch's source_ref).
    before = client.get_branch(BRANCH)  # a Branch object carries the head's hash
    client.import_data("t", write("b.parquet", pa.table({"id": [4]})), branch=BRANCH)
    count = "SELECT COUNT(*) AS n FROM t"
    assert client.query(count, ref=BRANCH).to_pylist() == [{"n": 4}]
    assert client.query(count, ref=before).to_pylist() == [{"n": 3}]
    assert client.create_tag("old", before).hash == before.hash
    assert client.create_branch("tester.from_old", before).hash == before.hash


@pytest.mark.parametrize("ref", ["main@zzz", "@", "main@", "bad name", "a..b"])
def test_malformed_refs_raise_invalid_ref_error(client, ref):
    # __init__.pyi, create_branch / get_commits / merge_branch: "InvalidRefError: if the ref format is invalid".
    with pytest.raises(bx.InvalidRefError):
        client.get_commits(ref)
    # A query is a job: the SDK raises whatever the query service answers, a malformed ref included, as
    # BauplanQueryError with the service's message (BauplanLabs/bauplan src/python/query.rs, `query_err`).
    with pytest.raises(bx.BauplanQueryError) as raised:
        client.query("SELECT 1 AS x", ref=ref)
    assert not isinstance(raised.value, bx.BauplanHTTPError) and str(raised.value)


def test_rename_branch_and_tag(client, loaded):
    # __init__.pyi: rename_branch / rename_tag return the renamed object; BranchExistsError on a taken name.
    renamed = client.rename_branch(BRANCH, "tester.renamed")
    assert renamed.name == "tester.renamed" and not client.has_branch(BRANCH)
    client.create_branch("tester.other", "main")
    with pytest.raises(bx.BranchExistsError):
        client.rename_branch("tester.renamed", "tester.other")
    with pytest.raises(bx.RenameBranchForbiddenError):
        client.rename_branch("tester.renamed", "someone_else.x")
    client.create_tag("v1", "tester.renamed")
    assert client.rename_tag("v1", "v2").name == "v2" and not client.has_tag("v1")
    with pytest.raises(bx.TagNotFoundError):
        client.rename_tag("v1", "v3")


def test_get_commits_cel_filter(client, loaded):
    # __init__.pyi, get_commits: "filter: Optional, a CEL filter expression"; Nessie's commit variables.
    job_commits = list(client.get_commits(BRANCH, filter="'bpln_job_id' in commit.properties"))
    assert job_commits and all("bpln_job_id" in c.properties for c in job_commits)
    assert list(client.get_commits(BRANCH, filter="commit.author == 'nobody'")) == []
    # A field Nessie's commit has not is refused (a bad request, which is also a ValueError), never ignored.
    with pytest.raises(ValueError, match="nonexistent"):
        client.get_commits(BRANCH, filter="commit.nonexistent == 1")
    with pytest.raises(bx.BadRequestError, match="Invalid commit filter"):
        client.get_commits(BRANCH, filter="commit.author ==")


def test_run_is_refused_clearly(client):
    # The embedded lakehouse has no pipeline runtime: `run` must say so rather than pretend.
    with pytest.raises(NotImplementedError, match="Bauplan's cloud"):
        client.run("./my_project", ref="main")
