# Ported from BauplanLabs/bauplan python/tests/test_exceptions.py (commit 5a2c1a0); every test keeps its name.
# Unchanged except client construction: `bauplan.Client()` -> `e2e_client()` (1 place(s)), a
# LocalClient on the seeded sandbox (tests/conformance/bauplan_e2e/local.py, conftest.py).
# ruff: noqa
"""Tests for exception types, hierarchy, and typed context fields."""

import uuid
import pytest
import bauplan
from tests.conformance.bauplan_e2e.local import e2e_client
from bauplan import exceptions


@pytest.fixture
def client() -> bauplan.Client:
    return e2e_client()


@pytest.fixture
def username(client: bauplan.Client):
    user = client.info().user
    assert user is not None
    return user.username


@pytest.fixture
def temp_branch(client: bauplan.Client, username: str):
    branch_name = f"{username}.test_{uuid.uuid4().hex[:8]}"
    client.create_branch(branch=branch_name, from_ref="main")
    yield branch_name
    client.delete_branch(branch_name, if_exists=True)


class TestExceptionHierarchy:
    def test_table_not_found_is_resource_not_found(self):
        assert issubclass(
            exceptions.TableNotFoundError, exceptions.ResourceNotFoundError
        )

    def test_table_not_found_is_not_found(self):
        assert issubclass(exceptions.TableNotFoundError, exceptions.NotFoundError)

    def test_table_not_found_is_http_error(self):
        assert issubclass(exceptions.TableNotFoundError, exceptions.BauplanHTTPError)

    def test_unauthorized_is_http_error(self):
        assert issubclass(exceptions.UnauthorizedError, exceptions.BauplanHTTPError)

    def test_http_error_is_bauplan_error(self):
        assert issubclass(exceptions.BauplanHTTPError, exceptions.BauplanError)

    def test_namespace_not_found_is_resource_not_found(self):
        assert issubclass(
            exceptions.NamespaceNotFoundError, exceptions.ResourceNotFoundError
        )

    def test_branch_exists_is_update_conflict(self):
        assert issubclass(exceptions.BranchExistsError, exceptions.UpdateConflictError)

    def test_branch_exists_is_conflict(self):
        assert issubclass(exceptions.BranchExistsError, exceptions.ConflictError)

    def test_tag_exists_is_update_conflict(self):
        assert issubclass(exceptions.TagExistsError, exceptions.UpdateConflictError)

    def test_namespace_exists_is_update_conflict(self):
        assert issubclass(
            exceptions.NamespaceExistsError, exceptions.UpdateConflictError
        )

    def test_table_exists_is_update_conflict(self):
        assert issubclass(exceptions.TableExistsError, exceptions.UpdateConflictError)

    def test_plan_status_error_is_plan_error(self):
        assert issubclass(
            exceptions.TableCreatePlanStatusError, exceptions.TableCreatePlanError
        )

    def test_plan_error_is_bauplan_error(self):
        assert issubclass(exceptions.TableCreatePlanError, exceptions.BauplanError)

    def test_plan_apply_status_error_is_bauplan_error(self):
        assert issubclass(
            exceptions.TableCreatePlanApplyStatusError, exceptions.BauplanError
        )


class TestTableNotFoundContext:
    def test_get_nonexistent_table(self, client: bauplan.Client):
        with pytest.raises(exceptions.TableNotFoundError) as exc_info:
            client.get_table("nonexistent_table_xyz", "main")

        e = exc_info.value
        assert isinstance(e.kind, exceptions.ApiErrorKind.TableNotFound)
        assert "nonexistent_table_xyz" in e.kind.table_name
        assert e.kind.catalog_ref is not None
        assert e.kind.catalog_ref.type == bauplan.RefType.BRANCH

    def test_delete_nonexistent_table_raises(
        self, client: bauplan.Client, temp_branch: str
    ):
        with pytest.raises(exceptions.TableNotFoundError) as exc_info:
            client.delete_table("nonexistent_table_xyz", temp_branch)

        e = exc_info.value
        assert isinstance(e.kind, exceptions.ApiErrorKind.TableNotFound)
        assert "nonexistent_table_xyz" in e.kind.table_name

    def test_delete_table_if_exists(self, client: bauplan.Client, temp_branch: str):
        ref = client.delete_table("nonexistent_table_xyz", temp_branch, if_exists=True)
        assert ref.type == bauplan.RefType.BRANCH

    def test_has_table_false(self, client: bauplan.Client):
        assert client.has_table("nonexistent_table_xyz", "main") is False


class TestBranchExistsContext:
    def test_create_duplicate_branch(self, client: bauplan.Client, temp_branch: str):
        with pytest.raises(exceptions.BranchExistsError) as exc_info:
            client.create_branch(branch=temp_branch, from_ref="main")

        e = exc_info.value
        assert isinstance(e.kind, exceptions.ApiErrorKind.BranchExists)
        assert e.kind.catalog_ref is not None
        assert e.kind.catalog_ref.type == bauplan.RefType.BRANCH

    def test_create_branch_if_not_exists(
        self, client: bauplan.Client, temp_branch: str
    ):
        branch = client.create_branch(
            branch=temp_branch, from_ref="main", if_not_exists=True
        )
        assert branch.name == temp_branch
        assert branch.type == bauplan.RefType.BRANCH


class TestNamespaceNotFoundContext:
    def test_get_table_bad_namespace(self, client: bauplan.Client):
        with pytest.raises(exceptions.NamespaceNotFoundError) as exc_info:
            client.get_table("titanic", "main", namespace="nonexistent_ns_xyz")

        e = exc_info.value
        assert isinstance(e.kind, exceptions.ApiErrorKind.NamespaceNotFound)
        assert e.kind.namespace_name == "nonexistent_ns_xyz"
        assert e.kind.catalog_ref is not None


class TestExceptionInstantiation:
    def test_bauplan_error_instantiation(self):
        e = exceptions.BauplanError("test error")
        assert isinstance(e, exceptions.BauplanError)

    def test_query_error_instantiation(self):
        e = exceptions.BauplanQueryError("test error")
        assert isinstance(e, exceptions.BauplanQueryError)
        assert isinstance(e, exceptions.BauplanJobError)
        assert isinstance(e, exceptions.BauplanError)

    def test_job_error_instantiation(self):
        e = exceptions.BauplanJobError("test error")
        assert isinstance(e, exceptions.BauplanJobError)
        assert isinstance(e, exceptions.BauplanError)


class TestUnauthorized:
    def test_invalid_api_key(self):
        client = bauplan.Client(api_key="invalid")
        with pytest.raises(exceptions.UnauthorizedError) as exc_info:
            client.get_branch("main")

        e = exc_info.value
        assert e.code == 401
        assert e.type == "UNAUTHORIZED"
        assert isinstance(e.kind, exceptions.ApiErrorKind.Unauthorized)


class TestHttpErrorProperties:
    def test_table_not_found_has_code(self, client: bauplan.Client):
        with pytest.raises(exceptions.TableNotFoundError) as exc_info:
            client.get_table("nonexistent_table_xyz", "main")

        e = exc_info.value
        assert e.code == 404
        assert e.type == "TABLE_NOT_FOUND"
        assert "nonexistent_table_xyz" in e.message
