"""Every method the embedded lakehouse implements must have exactly `bauplan.Client`'s signature."""

from __future__ import annotations

import inspect

import bauplan
import pytest

from wap_notebook import LocalClient

REQUIRED = [
    "info", "create_branch", "has_branch", "get_branch", "get_branches", "delete_branch", "create_namespace",
    "has_namespace", "get_namespaces", "create_table", "plan_table_creation", "import_data", "has_table",
    "get_table", "get_tables", "delete_table", "query", "merge_branch", "get_commits", "create_tag", "has_tag",
    "delete_tag",
]
IMPLEMENTED = sorted(
    name for name in dir(LocalClient)
    if not name.startswith("_") and callable(getattr(LocalClient, name)) and hasattr(bauplan.Client, name)
)


def _shape(function) -> list[tuple[str, str, object]]:
    """Names, kinds and defaults; annotations are documentation, not part of the calling contract."""
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_every_required_method_is_implemented():
    assert set(REQUIRED) <= set(IMPLEMENTED)


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_signature_matches_bauplan_client(name):
    assert _shape(getattr(LocalClient, name)) == _shape(getattr(bauplan.Client, name))


def test_local_only_methods_are_not_mistaken_for_bauplan_ones():
    extras = {n for n in dir(LocalClient) if not n.startswith("_") and callable(getattr(LocalClient, n))}
    assert extras - set(IMPLEMENTED) <= {"gc"}
