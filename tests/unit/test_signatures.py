"""The embedded lakehouse mirrors `bauplan.Client` exactly: every public method of the SDK (enumerated
from the installed SDK, not from our code, so a method added to the SDK fails here until it is mirrored)
exists with the same signature, and every object it returns has exactly the public attributes of the
SDK's own class."""

from __future__ import annotations

import inspect

import bauplan
import bauplan.schema as bs
import bauplan.state as bst
import pyarrow as pa
import pytest

from wap_notebook import LocalClient
from wap_notebook.lakehouse import objects

SDK_METHODS = sorted(n for n in dir(bauplan.Client) if not n.startswith("_") and callable(getattr(bauplan.Client, n)))
LOCAL_ONLY = {"gc", "job_details"}  # documented in the README's "Backends" section


def _shape(function) -> list[tuple[str, str, object]]:
    """Names, kinds and defaults; annotations are documentation, not part of the calling contract."""
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_sdk_has_the_44_methods_this_mirror_was_written_for():
    assert len(SDK_METHODS) == 44, "bauplan.Client changed: mirror the new methods in LocalClient"


@pytest.mark.parametrize("name", SDK_METHODS)
def test_signature_matches_bauplan_client(name):
    assert hasattr(LocalClient, name), f"LocalClient lacks bauplan.Client.{name}"
    assert _shape(getattr(LocalClient, name)) == _shape(getattr(bauplan.Client, name))


def test_local_only_methods_are_few_and_known():
    ours = {n for n in dir(LocalClient) if not n.startswith("_") and callable(getattr(LocalClient, n))}
    assert ours - set(SDK_METHODS) == LOCAL_ONLY


def public(cls_or_obj) -> set[str]:
    return {n for n in dir(cls_or_obj) if not n.startswith("_")}


# (our class, the SDK class whose public attributes it must have, exactly)
PAIRS = [
    (objects.Ref, bs.Ref), (objects.Branch, bs.Branch), (objects.Tag, bs.Tag), (objects.DetachedRef, bs.DetachedRef),
    (objects.Commit, bs.Commit), (objects.Actor, bs.Actor), (objects.Table, bs.Table),
    (objects.TableField, bs.TableField), (objects.PartitionField, bs.PartitionField),
    (objects.Namespace, bs.Namespace), (objects.Job, bs.Job), (objects.JobContext, bs.JobContext),
    (objects.JobLogEvent, bs.JobLogEvent), (objects.TableDataImportState, bst.TableDataImportState),
    (objects.TableDataImportContext, bst.TableDataImportContext),
    (objects.TableCreatePlanState, bst.TableCreatePlanState),
    (objects.TableCreatePlanContext, bst.TableCreatePlanContext),
    (objects.TableCreatePlanApplyState, bst.TableCreatePlanApplyState),
    (objects.ExternalTableCreateState, bst.ExternalTableCreateState),
    (objects.ExternalTableCreateContext, bst.ExternalTableCreateContext),
    (objects.InfoState, bauplan.InfoState), (objects.UserInfo, bauplan.UserInfo),
    (objects.OrganizationInfo, bauplan.OrganizationInfo),
]


@pytest.mark.parametrize(("ours", "sdk"), PAIRS, ids=[p[1].__name__ for p in PAIRS])
def test_returned_classes_have_exactly_the_sdk_attributes(ours, sdk):
    fields = set(getattr(ours, "__dataclass_fields__", {}))  # instance attributes of dataclasses
    assert public(ours) | fields == public(sdk)


@pytest.fixture
def imported(tmp_path):
    """A real run on the embedded lakehouse: a branch, a table created and imported on it, its commit and job."""
    import pyarrow.parquet as pq

    client = LocalClient(tmp_path / "lake", username="tester")
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [1, 2]}), data)
    branch = client.create_branch("tester.sig", "main")
    table = client.create_table("t", str(data), branch=branch)
    state = client.import_data("t", str(data), branch=branch)
    commit = next(client.get_commits(branch))
    job = client.get_job(state.job_id)
    return client, data, branch, table, state, commit, job


def test_returned_objects_have_exactly_the_sdk_attributes(imported):
    """Objects as the client returns them, from a real run (not only their classes)."""
    client, data, branch, table, state, commit, job = imported
    plan = client.plan_table_creation("u", str(data), branch=branch)
    checks = [(branch, bs.Branch), (table, bs.Table), (table.fields[0], bs.TableField),
              (state, bst.TableDataImportState),
              (state.ctx, bst.TableDataImportContext), (plan, bst.TableCreatePlanState), (commit, bs.Commit),
              (commit.author, bs.Actor), (commit.ref, bs.Ref), (job, bs.Job), (client.info(), bauplan.InfoState),
              (client.get_job_context(job, include_logs=True), bs.JobContext),
              (client.job_details(job.id).logs[0], bs.JobLogEvent),
              (client.get_tag(client.create_tag("v1", branch)), bs.Tag)]
    for obj, sdk in checks:
        assert public(obj) == public(sdk), type(obj).__name__


def test_returned_values_have_the_sdk_types(imported):
    """Same attribute names are not enough: enums are the SDK's own members, ids UUIDs, dates datetimes."""
    from datetime import datetime
    from uuid import UUID

    client, _data, branch, table, _state, commit, job = imported
    assert branch.type == bs.RefType.BRANCH and commit.ref.type == bs.RefType.BRANCH
    assert table.kind == bs.TableKind.Table and isinstance(table.id, UUID)
    assert isinstance(table.last_updated_at, datetime) and isinstance(table.fields[0].type, str)
    assert job.kind == bs.JobKind.TABLE_IMPORT and job.status == bs.JobState.COMPLETE
    assert isinstance(commit.authored_date, datetime) and isinstance(commit.author, objects.Actor)
    assert isinstance(client.job_details(job.id).logs[0].level, type(bs.JobLogLevel.INFO))

