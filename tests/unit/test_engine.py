"""The engine's parts on their own: phase table, spec, errors, check registry, client protocol, layering."""


from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from unittest import mock

import bauplan
import pytest

from wap_notebook import checks as C
from wap_notebook.checks.model import Aggregate, AggregateCheck, QueryCheck
from wap_notebook.checks.registry import check_factory, check_names, register_check
from wap_notebook.checks.yaml_form import parse_checks
from wap_notebook.engine.client import CLIENT_METHODS, LakehouseClient
from wap_notebook.engine.phases import TRANSITIONS, Action, ActionFacts, Phase, allowed_actions
from wap_notebook.engine.spec import IngestionSpec
from wap_notebook.errors import ActionNotAllowed, InvalidSpec, MergeRefused, WapError

PACKAGE = Path(__file__).resolve().parents[2] / "wap_notebook"


def facts(imported: bool = True, branch_created: bool = True, passed: bool | None = None) -> ActionFacts:
    return ActionFacts(imported=imported, branch_created=branch_created, passed=passed)


@pytest.mark.parametrize(("phase", "given", "expected"), [
    (Phase.NEW, facts(False, False), {"import", "discard"}),
    (Phase.IMPORTING, facts(False), set()),
    (Phase.IMPORTED, facts(), {"validate", "discard", "refresh", "rebase"}),
    (Phase.VALIDATING, facts(), set()),
    (Phase.PASSED, facts(passed=True), {"merge", "validate", "discard", "refresh", "rebase"}),
    (Phase.FAILED, facts(passed=False), {"validate", "force_merge", "discard", "refresh", "rebase"}),
    # the import itself failed: re-running it (rebase) is allowed, merging is not
    (Phase.FAILED, facts(imported=False, passed=False), {"discard", "refresh", "rebase"}),
    (Phase.ERROR, facts(False, False), {"import", "discard", "refresh"}),
    (Phase.ERROR, facts(passed=True), {"validate", "merge", "discard", "refresh", "rebase"}),
    (Phase.ERROR, facts(passed=False), {"validate", "force_merge", "discard", "refresh", "rebase"}),
    (Phase.ERROR, facts(imported=False), {"discard", "refresh", "rebase"}),
    (Phase.MERGED, facts(passed=True), set()),
    (Phase.DISCARDED, facts(), set()),
])
def test_transition_table(phase, given, expected):
    assert allowed_actions(phase, given) == expected


def test_every_phase_has_a_row_and_members_are_strings():
    assert set(TRANSITIONS) == set(Phase)
    assert Phase.PASSED == "passed" and {"passed": 1}[Phase.PASSED] == 1 and f"{Phase.PASSED}" == "passed"
    assert "merge" in allowed_actions(Phase.PASSED, facts(passed=True)) and Action.MERGE == "merge"
    assert json.dumps(Phase.NEW) == '"new"' and repr(Phase.NEW) == "'new'" and f"{Phase.NEW!r}" == "'new'"


def test_errors_keep_the_builtin_bases_callers_catch():
    assert issubclass(InvalidSpec, ValueError) and issubclass(InvalidSpec, WapError)
    assert issubclass(MergeRefused, ActionNotAllowed) and issubclass(ActionNotAllowed, RuntimeError)
    with pytest.raises(InvalidSpec, match="on_success"):
        IngestionSpec.build("orders", "s3://b/o.parquet", on_success="publish")


def custom_fn(rows):
    return rows.num_rows > 0


def test_spec_is_frozen_and_round_trips_through_json():
    checks = [C.row_count(min=2, max=9), C.not_null("id", "amount", severity="warn"), C.unique("id"),
              C.unique("id", "amount"), C.accepted_values("status", ["a", "b"]), C.between("amount", 0, 5),
              C.matches("code", "^[A-Z]+$", name="code_format"), C.schema_compatible(),
              C.no_duplicates_with("main", ["id"]), C.sql("late", "SELECT * FROM {table} WHERE amount < 0"),
              C.custom("fresh", custom_fn, severity="warn")]
    spec = IngestionSpec.build({"orders": "s3://b/o/*.parquet", "lines": "s3://b/l.csv"}, None,
                               checks={"orders": checks}, on_failure="keep", mode="append")
    assert spec.on_failure == "inspect" and spec.tables == ["orders", "lines"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.mode = "create"  # type: ignore[misc]
    data = json.loads(json.dumps(spec.to_dict()))
    again = IngestionSpec.from_dict(data, {"custom_fn": custom_fn})
    assert again.to_dict() == data
    assert [type(c) for c in again.checks["orders"]] == [type(c) for c in checks]
    assert [c.name for c in again.checks["orders"]] == [c.name for c in checks]
    assert again.checks["lines"] == ()


def test_spec_refuses_credentials_and_unknown_versions():
    with pytest.raises(InvalidSpec, match="embeds credentials"):
        IngestionSpec.build("orders", "s3://key:secret@bucket/o.parquet")
    with pytest.raises(InvalidSpec, match="version"):
        IngestionSpec.from_dict({"version": 99})


def test_registry_is_the_yaml_vocabulary():
    assert check_names()[:10] == ("row_count", "not_null", "unique", "accepted_values", "between", "matches",
                                  "schema_compatible", "no_duplicates_with", "sql", "custom")
    with pytest.raises(ValueError, match="known checks: row_count, not_null"):
        parse_checks("- nonsense: x")


def test_the_magic_help_and_the_readme_name_every_built_in_check():
    from wap_notebook.notebook.magic import WapMagics

    builtins = [n for n in check_names() if check_factory(n).__module__ == "wap_notebook.checks.builtins"]
    readme = (PACKAGE.parent / "README.md").read_text()
    assert len(builtins) == 17
    assert [n for n in builtins if n not in (WapMagics.wap_ingest.__doc__ or "")] == []
    assert [n for n in builtins if n not in readme] == []


def test_a_registered_factory_is_usable_from_yaml():
    @register_check("positive_test_only")
    def positive(column: str, *, severity: str = "error", name: str | None = None) -> C.Check:
        return C.between(column, 0, None, severity=severity, name=name or f"positive({column})")

    (check,) = parse_checks("- positive_test_only: amount")
    assert check.name == "positive(amount)" and check_factory("positive_test_only") is positive


def test_check_kinds_and_aggregate_terms():
    assert isinstance(C.unique("a"), AggregateCheck) and isinstance(C.unique("a", "b"), QueryCheck)
    assert isinstance(C.sql("q", "SELECT 1"), QueryCheck) and isinstance(C.between("a", 0, 1), AggregateCheck)
    terms = {t.key: t for t in C.between("a", 0, 1).aggregates()}
    assert terms["lo"].sql() == 'MIN("a")' and terms["lo"].mergeable
    assert not Aggregate("d", "count_distinct", '"a"').mergeable


def test_both_clients_satisfy_the_protocol(lakehouse):
    assert isinstance(lakehouse, LakehouseClient)
    assert isinstance(mock.create_autospec(bauplan.Client, instance=True), LakehouseClient)
    assert all(callable(getattr(bauplan.Client, name, None)) for name in CLIENT_METHODS)


def test_partials_lookup_dispatches_on_the_registered_reader():
    from wap_notebook.core import partials_contract
    from wap_notebook.lakehouse import LocalClient, partials

    assert partials_contract.lookup(object(), "t", "ns", "main", None) is None  # Bauplan's cloud: SQL path
    assert partials_contract._readers[LocalClient] is partials.read
