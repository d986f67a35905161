"""The real `bauplan.Client`, offline, is the oracle for argument checks.

Every public method of the SDK client (but `run`) is called on the real client, pointed at a closed
loopback port, and on `LocalClient`, with the same generated arguments (valid and invalid types,
ranges, empty values, None, objects and strings; see argument_cases.py). Both must end the same way:
both pass the client-side checks (the real client then fails with a transport error; `LocalClient`
returns or answers with a Bauplan API error) or both raise the same exception class.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import bauplan
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conformance.argument_cases import Case, call, cases
from wap_notebook import LocalClient

ALL_CASES = list(cases(bauplan.Client))
METHODS = sorted({case.method for case in ALL_CASES})
PLAN_YAML = "schema_info: {}\n"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalClient, Callable[[Any], Any]]:
    root = tmp_path_factory.mktemp("oracle")
    source = root / "src" / "a.parquet"
    source.parent.mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), source)
    client = LocalClient(root / "lake", username="tester")
    client.create_branch("tester.b", "main")
    client.create_namespace("ns", "tester.b")
    client.create_table("t", str(source), branch="tester.b", namespace="ns")
    client.import_data("t", str(source), branch="tester.b", namespace="ns")
    client.merge_branch("tester.b", "main")
    client.create_tag("v1", "main")
    placeholders = {"SRC": str(source), "OUT": str(Path(root) / "out.csv"),
                    "META": client.get_table("ns.t", "main").metadata_location, "PLAN": PLAN_YAML}

    def substitute(value: Any) -> Any:
        if isinstance(value, str):
            return placeholders.get(value, value)
        if isinstance(value, list):
            return [placeholders.get(v, v) if isinstance(v, str) else v for v in value]
        return value

    return client, substitute


def test_cases_cover_every_method_and_parameter() -> None:
    covered = {(c.method, c.param) for c in ALL_CASES}
    assert len(ALL_CASES) > 1000 and len(METHODS) == 43
    assert ("get_jobs", "filter_by_kinds") in covered and ("scan", "filters") in covered


@pytest.mark.parametrize("method", METHODS)
def test_same_outcome_class_as_the_real_client(method: str, real_client: Any,
                                               lake: tuple[LocalClient, Callable[[Any], Any]]) -> None:
    client, substitute = lake
    differences = []
    for case in (c for c in ALL_CASES if c.method == method):
        expected, got = call(real_client, case, substitute, offline_sdk=True), call(client, case, substitute)
        if expected != got:
            differences.append(f"{case.id}: real {expected}, local {got}")
    assert not differences, "\n".join(differences)


def test_transport_errors_are_what_passes(real_client: Any) -> None:
    """The oracle's premise: a well-formed call reaches the network (and fails there), a bad one does not."""
    assert call(real_client, Case("get_branch", "branch", "main"), lambda v: v, offline_sdk=True) == "passed"
    assert call(real_client, Case("get_branch", "branch", 123), lambda v: v, offline_sdk=True) == "TypeError"
