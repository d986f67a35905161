"""Table creation, plans and partitioning as Bauplan documents them.

Sources: `Client.create_table`, `plan_table_creation`, `apply_table_creation_plan` docstrings in
`bauplan/__init__.pyi` 0.3.5; `bauplan/state.pyi` (TableCreatePlanState); docs pages "Partitioning"
(docs.bauplanlabs.com/guides/partitioning) and "Create table schema conflicts"
(docs.bauplanlabs.com/common-scenarios/schema-conflicts).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest
import yaml
from bauplan import exceptions as bx

from wap_notebook.lakehouse import errors

BRANCH = "tester.tables"


def _events(n: int = 48) -> pa.Table:
    start = datetime(2026, 11, 25)
    return pa.table({"ts": pa.array([start + timedelta(hours=i) for i in range(n)], pa.timestamp("us")),
                     "PULocationID": [i % 3 for i in range(n)], "name": [f"n{i}" for i in range(n)]})


def test_partitioned_by_makes_a_real_iceberg_spec(client, write):
    # Docs example: partitioned_by="hour(tpep_pickup_datetime), PULocationID".
    uri = write("events.parquet", _events())
    client.create_branch(BRANCH, "main")
    table = client.create_table("events", uri, branch=BRANCH, partitioned_by="day(ts), PULocationID")
    assert [(p.name, p.transform) for p in table.partitions] == [("ts_day", "day"), ("PULocationID", "identity")]
    state = client.import_data("events", uri, branch=BRANCH)
    assert state.error is None
    assert client.query("SELECT COUNT(*) AS n FROM events", ref=BRANCH).to_pylist() == [{"n": 48}]
    # Rows are split by partition: 2 days x 3 locations -> 6 data files, each holding one partition.
    from wap_notebook.lakehouse import tables

    files = tables.table_files(client.get_table("events", BRANCH).metadata_location).data_files
    assert len(files) == 6


@pytest.mark.parametrize("spec", ["bucket(8, PULocationID)", "truncate(2, name)", "year(ts)", "month(ts)",
                                  "hour(ts)"])
def test_every_documented_transform(client, write, spec):
    uri = write("events.parquet", _events(4))
    client.create_branch(BRANCH, "main")
    table = client.create_table("events", uri, branch=BRANCH, partitioned_by=spec)
    assert len(table.partitions) == 1 and table.partitions[0].transform.split("[")[0] in spec
    assert client.import_data("events", uri, branch=BRANCH).error is None


@pytest.mark.parametrize("spec", ["nonsense(col)", "day(missing)", "day(name)", "bucket(PULocationID)", "a b"])
def test_malformed_partitioning_is_refused_and_creates_nothing(client, write, spec):
    uri = write("events.parquet", _events(4))
    client.create_branch(BRANCH, "main")
    with pytest.raises(bx.TableCreatePlanError):
        client.create_table("events", uri, branch=BRANCH, partitioned_by=spec)
    assert not client.has_table("events", BRANCH)


def test_conflict_free_plan_is_applied_explicitly_and_has_bauplans_shape(client, write):
    # The docstring says a conflict-free plan "is automatically applied", but the SDK's code does not apply
    # it (src/python/table.rs: create_table is plan + an explicit apply) and its e2e test plans then applies
    # (python/tests/test_import.py, test_plan_and_apply). The code and its test win.
    uri = write("events.parquet", _events(4))
    client.create_branch(BRANCH, "main")
    state = client.plan_table_creation("events", uri, branch=BRANCH)
    assert state.error is None and state.can_auto_apply and state.files_to_be_imported == [uri]
    assert not client.has_table("events", BRANCH)
    assert client.apply_table_creation_plan(plan=state).job_status == "SUCCESS"
    assert client.has_table("events", BRANCH)
    plan = yaml.safe_load(state.plan)
    assert plan["plan_state"]["table_identifier"] == ["bauplan", "events"]
    assert {c["column_name"] for c in plan["schema_info"]["detected_schemas"]} == {"ts", "PULocationID", "name"}
    assert plan["schema_info"]["conflicts"] == [] and plan["schema_info"]["partitions"] == []


def test_edited_plan_adds_partitioning(client, write):
    # plan_table_creation docstring: edit plan['schema_info']['partitions'], then apply the YAML.
    a = write("mixed/a.parquet", pa.table({"datetime_column": [datetime(2026, 1, 1)], "v": [1]}))
    write("mixed/b.parquet", pa.table({"datetime_column": [datetime(2025, 1, 1)], "v": ["x"]}))
    uri = a.rsplit("/", 1)[0] + "/*.parquet"
    client.create_branch(BRANCH, "main")
    state = client.plan_table_creation("t", uri, branch=BRANCH)
    assert not state.can_auto_apply and not client.has_table("t", BRANCH)
    assert state.job_status == "SUCCESS" and state.error == "table plan created but has conflicts"  # table.rs
    plan = yaml.safe_load(state.plan)
    assert [c["column_with_conflict"] for c in plan["schema_info"]["conflicts"]] == ["v"]
    with pytest.raises(errors.TablePlanApplyError, match="unresolved") as caught:
        client.apply_table_creation_plan(state)  # unresolved: InvalidPlanError (see errors.TablePlanApplyError)
    assert isinstance(caught.value, bx.InvalidPlanError) and caught.value.state.job_status == "FAILED"
    for column in plan["schema_info"]["detected_schemas"]:
        if column["column_name"] == "v":
            column["dst_datatype"] = [{"datatype": "string"}]
    plan["schema_info"]["partitions"] = [{"from_column_name": "datetime_column", "transform": {"name": "year"}}]
    applied = client.apply_table_creation_plan(yaml.dump(plan))
    assert applied.error is None and applied.job_status == "SUCCESS"
    table = client.get_table("t", BRANCH)
    assert [(f.name, f.type) for f in table.fields][1] == ("v", "string")
    assert [p.transform for p in table.partitions] == ["year"]


def test_external_table_from_parquet_is_read_only(client, write):
    # create_external_table_from_parquet docstring: returns ExternalTableCreateState; the table is external.
    uri = write("ext/a.parquet", pa.table({"id": [1, 2]}))
    client.create_branch(BRANCH, "main")
    state = client.create_external_table_from_parquet("ext", [uri], branch=BRANCH)
    assert state.error is None and state.ctx.table_name == "ext"
    table = client.get_table("ext", BRANCH)
    assert table.is_external() and not table.is_managed()
    assert client.query("SELECT SUM(id) AS s FROM ext", ref=BRANCH).to_pylist() == [{"s": 3}]
    # python/tests/test_import.py, test_create_external_table_from_parquet: a BauplanJobError saying so.
    with pytest.raises(bx.BauplanJobError, match="Cannot import files to read-only table"):
        client.import_data("ext", uri, branch=BRANCH)


def test_external_table_from_metadata(client, write, tmp_path):
    # create_external_table_from_metadata docstring: InvalidDataError for a metadata file inside the warehouse.
    from wap_notebook import LocalClient

    other = LocalClient(tmp_path / "other", username="tester")
    uri = write("m/a.parquet", pa.table({"id": [5, 6, 7]}))
    other.create_branch("tester.o", "main")
    other.create_table("src", uri, branch="tester.o")
    other.import_data("src", uri, branch="tester.o")
    location = other.get_table("src", "tester.o").metadata_location
    client.create_branch(BRANCH, "main")
    table = client.create_external_table_from_metadata("ext", location, namespace="bauplan", branch=BRANCH)
    assert table.is_external() and table.records == 3
    assert client.query("SELECT COUNT(*) AS n FROM ext", ref=BRANCH).to_pylist() == [{"n": 3}]
    with pytest.raises(bx.UpdateConflictError):
        client.create_external_table_from_metadata("ext", location, namespace="bauplan", branch=BRANCH)
    inside = client.get_table("ext", BRANCH).metadata_location
    with pytest.raises(bx.NamespaceNotFoundError):
        client.create_external_table_from_metadata("x", inside, namespace="nope", branch=BRANCH)


def test_hyphenated_namespace_and_table_names_work_end_to_end(client, write):
    # Bauplan's catalog takes '-' in these names: its CLI test (tests/cli/import.rs) creates namespace
    # 'e2e-create-table' and table 'my-table-name' and queries it as "my-table-name".
    uri = write("dash.parquet", pa.table({"id": [1, 2, 3], "kind": ["a", "b", "a"]}))
    client.create_branch(BRANCH, "main")
    client.create_namespace("e2e-ns", BRANCH)
    assert client.create_table("my-table", uri, namespace="e2e-ns", branch=BRANCH).name == "my-table"
    assert client.import_data("my-table", uri, namespace="e2e-ns", branch=BRANCH).error is None
    assert client.query('SELECT COUNT(*) AS n FROM "e2e-ns"."my-table"', ref=BRANCH).to_pylist() == [{"n": 3}]
    assert client.query('SELECT COUNT(*) AS n FROM "my-table"', ref=BRANCH, namespace="e2e-ns").to_pylist() == [
        {"n": 3}]
    assert client.scan("my-table", ref=BRANCH, namespace="e2e-ns", filters="kind = 'a'").num_rows == 2
    assert [t.name for t in client.get_tables(BRANCH, filter_by_namespace="e2e-ns")] == ["my-table"]
    client.delete_table("my-table", BRANCH, namespace="e2e-ns")
    assert not client.has_table("my-table", BRANCH, namespace="e2e-ns")
    # still refused: a leading '-', quotes, separators, spaces
    for bad in ("-lead", "a'b", "a;b", "a b", "9lives"):
        with pytest.raises(ValueError, match="Invalid table name"):
            client.create_table(bad, uri, branch=BRANCH)
