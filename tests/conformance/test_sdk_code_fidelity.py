"""Behaviours where Bauplan's SDK code and e2e tests say otherwise than its docstrings; each cites its source
in BauplanLabs/bauplan."""

from __future__ import annotations

import pyarrow as pa
import pytest
from bauplan import exceptions as bx

from tests.conformance.conftest import USER
from wap_notebook import LocalClient

BRANCH = f"{USER}.fidelity"


@pytest.fixture
def seeded(client, write):
    uri = write("a.parquet", pa.table({"id": [1, 2, 3]}))
    client.create_branch(BRANCH, "main")
    client.create_namespace("ns", BRANCH)
    client.create_table("t", uri, branch=BRANCH, namespace="ns")
    client.import_data("t", uri, branch=BRANCH, namespace="ns")
    client.create_tag("v1", BRANCH)
    return client, uri


def test_limit_zero_lists_nothing(seeded):
    # src/python/paginate.rs: the iterator stops once `off >= limit`, so limit=0 yields nothing.
    client, _ = seeded
    assert list(client.get_branches(limit=0)) == [] and list(client.get_tags(limit=0)) == []
    assert list(client.get_namespaces(BRANCH, limit=0)) == [] and list(client.get_tables(BRANCH, limit=0)) == []
    assert list(client.get_jobs(limit=0)) == [] and list(client.get_commits(BRANCH, limit=0)) == []
    assert len(list(client.get_branches(limit=1))) == 1


def test_refs_of_the_wrong_kind_and_their_error_kinds(seeded):
    client, _ = seeded
    with pytest.raises(bx.NotABranchRefError) as caught:
        client.get_branch("v1")
    assert isinstance(caught.value.kind, bx.ApiErrorKind.NotABranchRef)
    with pytest.raises(bx.NotATagRefError):
        client.get_tag(BRANCH)
    with pytest.raises(bx.BranchNotFoundError) as missing:
        client.get_branch(f"{USER}.nope")
    assert isinstance(missing.value.kind, bx.ApiErrorKind.BranchNotFound) and missing.value.code == 404


def test_missing_namespace_is_namespace_not_found(seeded):
    # python/tests/test_exceptions.py, test_get_table_bad_namespace.
    client, _ = seeded
    with pytest.raises(bx.NamespaceNotFoundError):
        client.get_table("t", BRANCH, namespace="nowhere")
    with pytest.raises(bx.NamespaceNotFoundError):
        client.has_table("t", BRANCH, namespace="nowhere")
    with pytest.raises(bx.NamespaceNotFoundError):
        list(client.get_tables(BRANCH, filter_by_namespace="nowhere"))
    assert client.has_table("t", BRANCH, namespace="ns") and not client.has_table("u", BRANCH, namespace="ns")


def test_reimported_files_are_skipped_not_failed(seeded):
    # Bauplan's CLI import test imports the same files twice; import_data's docstring: "already imported files
    # will not be re-added".
    client, uri = seeded
    head = client.get_branch(BRANCH).hash
    state = client.import_data("t", uri, branch=BRANCH, namespace="ns")
    assert state.job_status == "SUCCESS" and state.error is None
    assert client.get_branch(BRANCH).hash == head  # nothing new, no commit
    assert client.job_details(state.job_id).files_skipped == [uri]
    assert client.query("SELECT COUNT(*) AS n FROM ns.t", ref=BRANCH).to_pylist() == [{"n": 3}]


def test_main_protection_is_an_option(tmp_path, write):
    uri = write("m.parquet", pa.table({"id": [1]}))
    protected = LocalClient(tmp_path / "p", username=USER)
    with pytest.raises(bx.ForbiddenError, match="protect_main=False") as caught:
        protected.create_table("t", uri, branch="main")
    assert isinstance(caught.value.kind, bx.ApiErrorKind.Forbidden)
    open_main = LocalClient(tmp_path / "o", username=USER, protect_main=False)
    open_main.create_table("t", uri, branch="main")
    assert open_main.import_data("t", uri, branch="main").job_status == "SUCCESS"
    with pytest.raises(TypeError):
        LocalClient(tmp_path / "x", protect_main="no")  # type: ignore[arg-type]
