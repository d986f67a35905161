"""Checks: SQL rendering safety, the one-scan planner, and every check type passing and failing on the
embedded lakehouse (LocalClient + moto S3), with observed values and failing-row samples."""


from __future__ import annotations

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion

GOOD = pa.table({
    "id": pa.array(range(1, 201), pa.int64()),
    "status": ["new", "paid", "shipped", "paid"] * 50,
    "email": [f"user{i}@example.com" for i in range(1, 201)],
    "amount": [float(i % 100) for i in range(200)],
    'we"ird; col': list(range(200)),
})


BAD = pa.table({
    "id": pa.array([1, 2, 2, 3, None, 5], pa.int64()),
    "status": ["new", "paid", "lost", "paid", "new", "stolen"],
    "email": ["user1@example.com", "nope", "user3@example.com", None, "user5@example.com", "x@y"],
    "amount": [1.0, -5.0, 3.0, 250.0, 2.0, 3.0],
    'we"ird; col': [1, 2, 3, 4, 5, None],
})


def every_check(existing_ref: str = "main"):
    return [
        C.row_count(min=1, max=1000),
        C.not_null("id", 'we"ird; col'),
        C.unique("id"),
        C.unique("id", "status", name="unique_id_status"),
        C.accepted_values("status", ["new", "paid", "shipped"]),
        C.between("amount", 0, 100),
        C.matches("email", r"^[a-z0-9]+@example\.com$"),
        C.schema_compatible(),
        C.no_duplicates_with(existing_ref, key=["id"]),
        C.sql("negative_amount", "SELECT * FROM {table} WHERE amount < 0;"),
        C.custom("no_stolen", lambda t: ("stolen" not in t.column("status").to_pylist(),
                                         t.filter(pa.compute.equal(t.column("status"), "stolen")))),
        C.not_null("email", severity="warn"),
    ]


def test_every_check_passes_on_good_data(lakehouse, put_table):
    uri = put_table("good/orders.parquet", GOOD)
    ing = Ingestion("orders", uri, client=lakehouse, checks=every_check()).run()
    report = ing.report
    assert ing.phase == "passed", report.to_string()
    assert ing.passed is True
    assert set(report["status"]) == {"passed"}
    assert list(report.columns) == ["table", "check", "columns", "severity", "status", "observed", "expected",
                                    "failing_rows", "message"]
    row = report.set_index("check").loc["row_count"]
    assert row["observed"] == 200
    assert report.set_index("check").loc["schema_compatible", "observed"] == "new table"
    assert ing.failures("not_null(id, we\"ird; col)").empty


def test_every_check_fails_with_observed_values_and_samples(lakehouse, put_table):
    # main already holds ids 1..200, so every BAD id collides with main
    lakehouse_seed = put_table("seed/orders.parquet", GOOD)
    Ingestion("orders", lakehouse_seed, client=lakehouse, on_success="merge").run()
    uri = put_table("bad/orders.parquet", BAD)
    ing = Ingestion("orders", uri, client=lakehouse, checks=every_check()).run()
    assert ing.phase == "failed"
    assert ing.passed is False
    report = ing.report.set_index("check")
    expect = {
        'not_null(id, we"ird; col)': 2,
        # append mode: duplicates the batch introduced in the published table (within it or with main's rows)
        "unique(id)": 5,
        "unique_id_status": 2,
        "accepted_values(status)": 2,
        "between(amount)": 2,
        "matches(email)": 2,
        "no_duplicates_with(main: id)": 5,
        "negative_amount": 1,
    }
    for name, observed in expect.items():
        assert report.loc[name, "observed"] == observed, (name, report.loc[name].to_dict())
    assert report.loc["row_count", "observed"] == 6 and report.loc["row_count", "status"] == "passed"
    assert report.loc["no_stolen", "status"] == "failed"
    assert report.loc["not_null(email)", "status"] == "warned"
    assert report.loc["schema_compatible", "status"] == "passed"
    assert "message" in report.columns and "2 rows with nulls" in report.loc['not_null(id, we"ird; col)', "message"]
    assert "'lost'" in report.loc["accepted_values(status)", "message"]

    # failing-row samples are the new rows only (main's 200 good rows never show up)
    assert sorted(ing.failures("accepted_values")["status"]) == ["lost", "stolen"]
    assert sorted(ing.failures("between")["amount"]) == [-5.0, 250.0]
    assert sorted(ing.failures("matches")["email"]) == ["nope", "x@y"]
    assert len(ing.failures("unique(id)")) == 9  # the 5 new rows and the 4 rows of main they duplicate
    assert int(ing.failures("unique(id)")["on_main"].sum()) == 4
    assert set(ing.failures("no_duplicates_with")["id"]) == {1, 2, 3, 5}
    assert list(ing.failures("negative_amount")["amount"]) == [-5.0]
    assert list(ing.failures("no_stolen")["status"]) == ["stolen"]
    assert len(ing.failures('not_null(id, we"ird; col)')) == 2
    assert ing.failures("row_count").empty
    assert len(ing.failures(0, n=1)) == 0
    assert len(ing.failures("orders.between(amount)", n=1)) == 1
    with pytest.raises(ValueError, match="several"):
        ing.failures("unique")
    with pytest.raises(ValueError, match="No check"):
        ing.failures("nope")


def test_checks_on_missing_column_report_error(lakehouse, put_table):
    """A backend that cannot read a new table's schema before the import (Bauplan's cloud: no reader in
    `schema_contract`) reports the missing column as an error row; the embedded lakehouse refuses up front."""
    uri = put_table("x/orders.parquet", GOOD)
    checks = [C.not_null("missing_col"), C.not_null("id")]
    with pytest.raises(ValueError, match="missing_col"):
        Ingestion("orders", uri, client=lakehouse, checks=checks)

    class NoSchemaReader:
        def __getattr__(self, name):
            return getattr(lakehouse, name)

    ing = Ingestion("orders", uri, client=NoSchemaReader(), checks=checks).run()
    report = ing.report.set_index("check")
    assert report.loc["not_null(missing_col)", "status"] == "error"
    assert "missing_col" in report.loc["not_null(missing_col)", "message"]
    assert report.loc["not_null(id)", "status"] == "passed"
    assert ing.phase == "failed"


def test_one_aggregate_scan_per_table(lakehouse, put_table):
    uri = put_table("x/orders.parquet", GOOD)
    seen: list[str] = []
    original = lakehouse.query

    class Recording:
        def __getattr__(self, name):
            return getattr(lakehouse, name)

        def query(self, query, **kw):
            seen.append(query)
            return original(query, **kw)

    ing = Ingestion("orders", uri, client=Recording(), checks=[
        C.not_null("id"), C.unique("id"), C.accepted_values("status", ["new", "paid", "shipped"]),
        C.between("amount", 0, 100), C.matches("email", "@"), C.not_null("email"), C.between("id", 1, 500),
    ])
    ing.import_data()
    seen.clear()
    ing.validate()
    assert ing.phase == "passed"
    assert len(seen) == 1, seen  # 7 checks + row_count: one scan


def test_unique_in_create_mode_counts_duplicates_of_the_batch(lakehouse, put_table):
    uri = put_table("bad/orders.parquet", BAD)
    ing = Ingestion("orders", uri, client=lakehouse, checks=[C.unique("id"), C.unique("id", "status")]).run()
    report = ing.report.set_index("check")
    assert report.loc["unique(id)", "observed"] == 1
    assert report.loc["unique(id, status)", "observed"] == 0
    assert sorted(ing.failures("unique(id)")["status"]) == ["lost", "paid"]


def test_unique_says_what_it_counts_and_marks_the_rows_already_on_main(lakehouse, put_table):
    """Two keys repeated inside the batch and one repeated from main: 3 duplicate rows, and the 6 rows listed
    (the one already on main marked on_main) are what the message says they are."""
    def flights(ids: list[int]) -> pa.Table:
        return pa.table({"flight_id": pa.array(ids, pa.int64()), "carrier": ["AA"] * len(ids)})

    seed = Ingestion("flights", put_table("f/seed.parquet", flights(list(range(1, 101)))), client=lakehouse,
                     checks=[], on_success="merge").run()
    assert seed.phase == "merged"
    ing = Ingestion("flights", put_table("f/batch.parquet", flights([500, 500, 501, 501, 7, 502])),
                    client=lakehouse, checks=[C.unique("flight_id")]).run()
    row = ing.report.set_index("check").loc["unique(flight_id)"]
    assert row["failing_rows"] == 3
    assert "3 duplicate rows on key (flight_id): 3 keys repeated, 6 rows share them" in row["message"], row["message"]
    assert "on_main" in row["message"]
    failing = ing.failures("unique(flight_id)")
    assert list(failing["flight_id"]) == [7, 7, 500, 500, 501, 501]  # grouped by key, main's row first
    assert list(failing["on_main"]) == [True, False, False, False, False, False]
    few = ing.failures("unique(flight_id)", n=4)  # a short sample still shows whole pairs, never a lone row
    assert len(few) == 4 and set(few["flight_id"].value_counts()) == {2}
    # A composite key reads the same (its own GROUP BY instead of the shared scan).
    ing.validate(checks=[C.unique("flight_id", "carrier")])
    row = ing.report.set_index("check").loc["unique(flight_id, carrier)"]
    assert row["failing_rows"] == 3 and "3 keys repeated, 6 rows share them" in row["message"], row["message"]
    assert list(ing.failures("unique(flight_id, carrier)")["on_main"]) == [True] + [False] * 5
    ing.validate(checks=[C.unique("flight_id")])
    # The panel's failing-rows tab shows the mark first, in words.
    from wap_notebook.notebook.report import failing_section

    html = failing_section(ing, "flights", "unique(flight_id)", {})
    assert html.index(">on_main<") < html.index(">flight_id<") and html.count(">on main<") == 1
    assert html.count(">new<") == 5
