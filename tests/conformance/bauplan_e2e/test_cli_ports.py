"""Bauplan's CLI e2e tests for branches, tables, imports and jobs (BauplanLabs/bauplan `tests/cli/*.rs`),
expressed with the Python client: each test is named after the Rust test it ports (`<file>_<test>`), makes the
same calls (the CLI command's client method) and checks the same outcome. Output formatting (`-O json`,
stderr messages) is the CLI's own and is not ported."""

from __future__ import annotations

import time

import pytest
from bauplan import exceptions as bx

from tests.conformance.bauplan_e2e.local import USERNAME, e2e_client

SEARCH_URI = "s3://bpln-e2e-test-tables/test_tables/two_columns_two_dates/*"


@pytest.fixture
def client():
    return e2e_client()


@pytest.fixture
def test_branch(client):
    """tests/cli.rs `test_branch`: '<user>.<suffix>.<timestamp>' from main, deleted afterwards."""
    names = []

    def make(suffix: str) -> str:
        name = f"{USERNAME}.{suffix}.{time.time_ns()}"
        client.delete_branch(name, if_exists=True)
        client.create_branch(name, "main")
        names.append(name)
        return name

    yield make
    for name in names:
        client.delete_branch(name, if_exists=True)


# ---------------------------------------------------------------------------------------------- branch.rs
def test_branch_ls(client):
    assert "main" in [b.name for b in client.get_branches(limit=10)]


def test_branch_get_main(client):
    assert client.get_branch("main").name == "main"


def test_branch_create_and_delete(client, test_branch):
    branch = test_branch("cli_create_delete")
    assert branch in [b.name for b in client.get_branches(name=branch)]
    assert client.delete_branch(branch) is True
    assert branch not in [b.name for b in client.get_branches(name=branch)]


def test_branch_create_if_not_exists(client, test_branch):
    branch = test_branch("cli_create_idempotent")
    assert client.create_branch(branch, "main", if_not_exists=True).name == branch
    with pytest.raises(bx.BranchExistsError):
        client.create_branch(branch, "main")


def test_branch_delete_if_exists(client):
    branch = f"{USERNAME}.cli_delete_idempotent"
    client.delete_branch(branch, if_exists=True)
    assert client.delete_branch(branch, if_exists=True) is False
    with pytest.raises(bx.BranchNotFoundError):
        client.delete_branch(branch)


def test_branch_rename(client, test_branch):
    branch = test_branch("cli_rename_old")
    new_name = f"{USERNAME}.cli_rename_new"
    client.delete_branch(new_name, if_exists=True)
    try:
        assert client.rename_branch(branch, new_name).name == new_name
        names = [b.name for b in client.get_branches(name=new_name)]
        assert new_name in names and not any("cli_rename_old" in n for n in names)
    finally:
        client.delete_branch(new_name, if_exists=True)


# ---------------------------------------------------------------------------------------------- import.rs
def test_import_import_create_table_and_query(client, test_branch):
    branch = test_branch("e2e_create_table")
    namespace, table = "e2e-create-table", "my-table-name"
    client.create_namespace(namespace, branch)
    client.create_table(table, SEARCH_URI, namespace=namespace, branch=branch)
    assert client.import_data(table, SEARCH_URI, namespace=namespace, branch=branch).error is None
    assert client.query(f'SELECT COUNT(*) FROM "{table}"', ref=branch, namespace=namespace, cache="off").num_rows


def test_import_import_manually(client, test_branch, tmp_path):
    branch = test_branch("e2e_import_manual")
    plan = client.plan_table_creation("table_with_partitions", SEARCH_URI, branch=branch)
    saved = tmp_path / "planabcd.yaml"  # --save-plan, then create-plan-apply --plan
    saved.write_text(plan.plan)
    assert client.apply_table_creation_plan(saved.read_text()).job_status == "SUCCESS"
    assert client.import_data("table_with_partitions", SEARCH_URI, branch=branch).error is None
    assert client.import_data("table_with_partitions", SEARCH_URI, branch=branch,
                              import_duplicate_files=True).error is None
    assert client.import_data("table_with_partitions", SEARCH_URI, branch=branch).error is None  # skipped
    result = client.query("SELECT COUNT(*) FROM table_with_partitions", ref=branch, cache="off")
    assert "400" in str(result.column(0)[0].as_py())


# ---------------------------------------------------------------------------------------------- table.rs
def test_table_namespace(client):
    assert "bauplan" in [n.name for n in client.get_namespaces("main")]


def test_table_get_json_output(client):
    table = client.get_table("bauplan.taxi_fhvhv", "main")
    assert (table.name, table.namespace) == ("taxi_fhvhv", "bauplan")


def test_table_main_taxi_fhvhv(client):
    client.get_table("bauplan.taxi_fhvhv", "main")


CUSTOMER_METADATA_URI = ("s3://bauplan-openlake-db87a23/iceberg/tpch_1/customer_e53c682c-36c4-4e3d-9ded-1214d0ee157f/"
                         "metadata/00000-b6f502e1-5140-499e-bf83-22f943067e36.metadata.json")


def test_table_register_table_metadata(client, test_branch):
    branch = test_branch("externalclimetadata")
    client.create_external_table_from_metadata("external_table_metadata", CUSTOMER_METADATA_URI,
                                               branch=branch, namespace="bauplan")
    result = client.query("SELECT COUNT(*) FROM external_table_metadata", ref=branch)
    assert result.column(0).to_pylist() == [150000]


def test_table_register_table_parquet(client, test_branch):
    branch = test_branch("externalcliparquet")
    state = client.create_external_table_from_parquet(
        "external_table_parquet", ["s3://bauplan-openlake-db87a23/stage/taxi_fhvhv/*2023*"], branch=branch)
    assert state.error is None
    result = client.query("SELECT COUNT(*) FROM external_table_parquet", ref=branch)
    assert result.column(0).to_pylist() == [134344870]


def test_table_delete_table(client, test_branch):
    branch = test_branch("cli_delete_table")
    client.create_external_table_from_metadata("delete_me", CUSTOMER_METADATA_URI, branch=branch,
                                               namespace="bauplan")
    assert "delete_me" in [t.name for t in client.get_tables(branch)]
    client.delete_table("bauplan.delete_me", branch)
    assert "delete_me" not in [t.name for t in client.get_tables(branch)]


def test_table_delete_table_if_exists(client, test_branch):
    branch = test_branch("cli_delete_table_exists")
    assert client.delete_table("bauplan.nonexistent_xyz", branch, if_exists=True).name == branch
    with pytest.raises(bx.TableNotFoundError):
        client.delete_table("bauplan.nonexistent_xyz", branch)


# ---------------------------------------------------------------------------------------------- job.rs
def test_job_ls(client):
    list(client.get_jobs())


def test_job_filter_by_kind_pascal_case(client):
    list(client.get_jobs(filter_by_kinds="Query"))


def test_job_filter_by_status_screaming_case(client):
    list(client.get_jobs(filter_by_statuses="COMPLETE"))
