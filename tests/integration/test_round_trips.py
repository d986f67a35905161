"""The round-trip budget on the embedded lakehouse, counted through a proxy that hides what it is (the
engine then takes the path it takes with `bauplan.Client`). See tests/budget_scenarios.py."""

from __future__ import annotations

import budget_scenarios as budget
import pytest
from counting import CountingClient, local_commit_count

from wap_notebook.core import partials_contract


@pytest.fixture
def lake(lakehouse, put_table) -> budget.Lake:
    client = CountingClient(lakehouse)
    assert partials_contract.lookup(client, "t", "bauplan", "main", None) is None  # the neutral path
    assert getattr(client, "path", None) is None
    return budget.Lake(client, lambda name, table: put_table(f"budget/{name}.parquet", table),
                       lambda: local_commit_count(lakehouse))


@pytest.mark.parametrize("scenario", budget.SCENARIOS)
def test_no_more_round_trips_than_now(lake, scenario):
    budget.SCENARIOS[scenario](lake, budget.NOW)


@pytest.mark.parametrize("scenario", [pytest.param(name, marks=pytest.mark.xfail(
    strict=True, reason="the engine does not meet the round-trip budget yet")) if name in budget.NOT_YET else name
    for name in budget.SCENARIOS])
def test_round_trip_budget(lake, scenario):
    budget.SCENARIOS[scenario](lake, budget.TARGET)
