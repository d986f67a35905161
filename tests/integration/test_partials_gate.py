"""The gate answers the same from import partials as from SQL: same verdicts, observed values, failing rows.

Each scenario runs twice on fresh lakehouses: once as shipped (aggregates computed during the import)
and once with the partials request emptied (every check runs as SQL, as on Bauplan's cloud).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.checks import partials as check_partials
from wap_notebook.checks.registry import check_names
from wap_notebook.checks.stat_rules import STATS
from wap_notebook.core import partials_contract
from wap_notebook.core.partials_contract import PartialRequest
from wap_notebook.ingestion import Ingestion

COMPARED = ["table", "check", "columns", "severity", "status", "observed", "expected", "failing_rows"]


def _batch(start: int, n: int, *, dup: int | None = None, bad_every: int = 0) -> pa.Table:
    ids = [dup if dup is not None and i % 5 == 0 else start + i for i in range(n)]
    return pa.table({
        "id": pa.array([None if bad_every and i % bad_every == 1 else v for i, v in enumerate(ids)], pa.int64()),
        "amount": pa.array([float("nan") if bad_every and i % bad_every == 2 else
                            (None if i % 9 == 0 else float(i % 120)) for i in range(n)], pa.float64()),
        "status": pa.array([("placed", "shipped", "lost" if bad_every else "placed", None)[i % 4] for i in range(n)]),
        "code": pa.array([f"AB-{i:04d}" if not bad_every or i % bad_every else "bad" for i in range(n)]),
        "at": pa.array([datetime(2025, 12, 30) + timedelta(minutes=start + i) for i in range(n)], pa.timestamp("us")),
    })


def _checks() -> list[C.Check]:
    return [C.not_null("id"), C.not_null("id", "status"), C.unique("id"), C.between("amount", 0, 100),
            C.accepted_values("status", ["placed", "shipped"]), C.matches("code", r"^[A-Z]{2}-\d{4}$"),
            C.row_count(min=1), C.sql("big", "SELECT * FROM {table} WHERE amount > 110", severity="warn"),
            # tolerances decide on the same counts whichever way they were computed
            C.matches("code", r"^[A-Z]{2}-\d{4}$", mostly=0.9, name="code mostly"),
            C.not_null("id", "status", max_failing="30%", name="filled mostly"),
            C.between("amount", 0, 100, max_failing=3, name="amount max 3")]


def _new_checks() -> list[C.Check]:
    """The checks that ride on the import's partials where they can, and the ones that run SQL."""
    return _checks() + [
            C.length("code", min=7, max=7), C.expression("small ids", "id < 1200 OR id IS NULL", mostly=0.5),
            C.fresh("at", within="1d", now="2026-01-02"), C.column_stat("amount", "mean", min=0, max=80),
            C.column_stat("amount", "null_fraction", max=0.2), C.column_stat("id", "distinct_count", min=100),
            C.references("status", "orders"), C.drift("status", severity="warn"), C.drift("amount", severity="warn"),
            C.drift("amount", method="ks", severity="warn", name="amount ks"), C.row_count_vs_history(),
            # every statistic, on an integer and a float column (NaN in the bad batches), and lengths
            *[C.column_stat(column, stat, min=-1e9, max=bound)
              for column, bound in (("id", 1e9), ("amount", 60)) for stat in STATS],
            C.length("status", max=6), C.length("code", min=3, mostly=0.5, name="code length mostly"),
            # the query checks, so that every registered check is compared
            C.unique("id", "status"), C.no_duplicates_with("main", key=["id"]), C.schema_compatible(),
            C.custom("under 1000 rows", _under_1000_rows)]


def _under_1000_rows(rows: pa.Table) -> bool:
    return rows.num_rows < 1000


def test_the_comparison_covers_every_registered_check():
    assert {check.kind for check in _new_checks()} == set(check_names())


# Checks the import's partials answer on their own (no term of them reaches the shared scan).
ANSWERED_BY_PARTIALS = [C.length("code", min=7, max=7), C.column_stat("amount", "mean", min=0, max=80),
                        C.column_stat("id", "stddev", max=1000), C.column_stat("id", "sum", min=0),
                        C.column_stat("amount", "null_fraction", max=0.2), C.column_stat("id", "max", max=10**6),
                        C.fresh("at", within="1d", now="2025-12-31")]


def _report(ing: Ingestion) -> list[dict]:
    return ing.report[COMPARED].to_dict("records")


def _scenario_create(client, put_table, tag: str, checks: list[C.Check] | None = None) -> Ingestion:
    first = put_table(f"{tag}/c/part-0.parquet", _batch(0, 400, dup=7, bad_every=13))
    put_table(f"{tag}/c/part-1.parquet", _batch(390, 300, bad_every=17))  # ids 390-399 repeat across files
    return Ingestion("orders", first.rsplit("/", 1)[0] + "/*.parquet", client=client, checks=checks or _checks()).run()


def _scenario_append(client, put_table, tag: str, checks: list[C.Check] | None = None) -> Ingestion:
    seed = Ingestion("orders", put_table(f"{tag}/seed.parquet", _batch(0, 200)), client=client,
                     checks=[C.unique("id")], on_success="merge").run()
    assert seed.phase == "merged", seed.report
    # New rows: nulls, NaN, bad values, ids 150-249 overlap the 200 rows already on main.
    return Ingestion("orders", put_table(f"{tag}/new.parquet", _batch(150, 300, bad_every=11)), client=client,
                     checks=checks or _checks()).run()


def _scenario_append_disjoint(client, put_table, tag: str, checks: list[C.Check] | None = None) -> Ingestion:
    seed = Ingestion("orders", put_table(f"{tag}/seed.parquet", _batch(0, 200)), client=client,
                     checks=[C.unique("id")], on_success="merge").run()
    assert seed.phase == "merged", seed.report
    # New ids 1000-1299 (above every existing id, so unique is answered from partials + bounds), with
    # duplicates inside the batch, nulls and bad values.
    return Ingestion("orders", put_table(f"{tag}/new.parquet", _batch(1000, 300, dup=1005, bad_every=11)),
                     client=client, checks=checks or _checks()).run()


@pytest.mark.parametrize("scenario", [_scenario_create, _scenario_append, _scenario_append_disjoint])
def test_partials_and_sql_give_the_same_report(tmp_path, put_table, scenario, monkeypatch):
    from wap_notebook import LocalClient

    reports = {}
    for mode in ("partials", "sql"):
        with monkeypatch.context() as patch:
            if mode == "sql":
                patch.setattr(check_partials, "request", lambda checks: PartialRequest(()))
            client = LocalClient(tmp_path / mode, username="tester")
            ing = scenario(client, put_table, f"{scenario.__name__}-{mode}", _new_checks())
            used = partials_contract.lookup(client, "orders", "bauplan", ing.branch,
                                   ing.base_ref if ing.mode == "append" else None)
            assert (used is not None) == (mode == "partials")
            reports[mode] = (_report(ing), ing.passed, ing.rows_added)
    for partial_row, sql_row in zip(reports["partials"][0], reports["sql"][0], strict=True):
        assert partial_row == sql_row
    assert reports["partials"] == reports["sql"]
    rows, passed, _ = reports["partials"]
    assert passed is False  # the batches are bad: the gate must hold whichever path answered
    failed = {r["check"] for r in rows if r["status"] == "failed"}
    assert {"not_null(id)", "unique(id)", "between(amount)", "accepted_values(status)", "matches(code)"} <= failed


@pytest.mark.parametrize("scenario, scans", [(_scenario_append_disjoint, 0), (_scenario_append, 2)])
def test_unique_in_append_mode_scans_only_when_new_keys_may_collide(tmp_path, put_table, monkeypatch, scenario,
                                                                    scans):
    """New ids above every existing id cannot collide with them: unique is answered from the partials and
    the base's manifest bounds. Overlapping ids need SQL (the branch and base scans)."""
    from wap_notebook import LocalClient

    client = LocalClient(tmp_path / "lh", username="tester")
    queries: list[str] = []
    original = client.query
    monkeypatch.setattr(client, "query", lambda query, **kw: queries.append(query) or original(query, **kw))
    ing = scenario(client, put_table, scenario.__name__)
    assert ing.report.set_index("check").loc["unique(id)", "status"] == "failed"  # duplicates in both batches
    assert len([q for q in queries if "COUNT(DISTINCT" in q]) == scans, queries


def test_clean_batch_passes_from_partials_without_an_aggregate_scan(lakehouse, put_table, monkeypatch):
    uri = put_table("clean/part-0.parquet", _batch(0, 500))
    queries: list[str] = []
    original = lakehouse.query

    def counting(query, **kw):
        queries.append(query)
        return original(query, **kw)

    monkeypatch.setattr(lakehouse, "query", counting)
    checks = [C.not_null("id"), C.unique("id"), C.between("amount", 0, 200), C.matches("code", r"^[A-Z]{2}-\d{4}$"),
              C.accepted_values("status", ["placed", "shipped"])]
    ing = Ingestion("orders", uri, client=lakehouse, checks=checks).run()
    assert ing.passed is True, ing.report
    assert not [q for q in queries if "COUNT(DISTINCT" in q or "SUM(CASE" in q], queries


def _aggregate_scans(queries: list[str]) -> list[str]:
    return [q for q in queries if "COUNT(DISTINCT" in q or "SUM(" in q or "MIN(" in q or "MAX(" in q]


def test_length_and_column_stat_ride_on_the_partials_without_a_scan(lakehouse, put_table, monkeypatch):
    queries: list[str] = []
    original = lakehouse.query
    monkeypatch.setattr(lakehouse, "query", lambda query, **kw: queries.append(query) or original(query, **kw))
    ing = Ingestion("orders", put_table("p/part-0.parquet", _batch(0, 500)), client=lakehouse,
                    checks=ANSWERED_BY_PARTIALS).run()
    assert ing.passed is True, ing.report[["check", "status", "message"]].to_string()
    assert not _aggregate_scans(queries), queries


def test_checks_given_to_validate_use_the_measures_the_import_took(lakehouse, put_table, monkeypatch):
    """validate(checks=...) on the same branch: a check whose measure the import took reads it; a new null
    check reads the snapshot's column statistics; only a measure nobody took needs the scan."""
    ing = Ingestion("orders", put_table("v/part-0.parquet", _batch(0, 500)), client=lakehouse,
                    checks=ANSWERED_BY_PARTIALS).run()
    queries: list[str] = []
    original = lakehouse.query
    monkeypatch.setattr(lakehouse, "query", lambda query, **kw: queries.append(query) or original(query, **kw))
    ing.validate(checks=[C.column_stat("id", "max", max=10**6), C.length("code", min=7, max=7),
                         C.not_null("at"), C.column_stat("code", "null_fraction", max=0)])
    assert ing.passed is True, ing.report[["check", "status", "message"]].to_string()
    assert not _aggregate_scans(queries), queries
    ing.validate(checks=[C.column_stat("amount", "max", max=100), C.length("code", max=5)])  # measures not taken
    assert ing.passed is False and len(_aggregate_scans(queries)) == 1, queries


def test_revalidation_after_the_branch_changed_falls_back_to_sql(lakehouse, put_table):
    """Partials belong to the import's snapshot: rows added to the branch later (a rebase re-import, another
    writer) are not covered, so the planner must answer from SQL and see them."""
    clean = [C.not_null("id"), C.unique("id"), C.between("amount", 0, 200), C.matches("code", r"^[A-Z]{2}-\d{4}$")]
    ing = Ingestion("orders", put_table("r/part-0.parquet", _batch(0, 300)), client=lakehouse, checks=clean).run()
    assert ing.passed is True, ing.report
    bad = put_table("r2/part-0.parquet", _batch(0, 50, bad_every=7))  # duplicate ids, nulls, bad values
    state = lakehouse.import_data("orders", bad, branch=ing.branch, namespace="bauplan")  # no partials asked
    assert state.error is None
    wanted = check_partials.request(clean).measures
    found = partials_contract.lookup(lakehouse, "orders", "bauplan", ing.branch, None, wanted)
    by_kind = {m.kind: found.get(m) for m in wanted}
    # The second import has no partials: only what its column statistics state is known (null counts),
    # so distinct keys and regex counts are not, and those checks must be scanned.
    assert by_kind["distinct"] is None and by_kind["not_matching"] is None and by_kind["out_of_range"] is None
    assert by_kind["nulls"] == lakehouse.query('SELECT COUNT(*) - COUNT(id) FROM "bauplan"."orders"',
                                               ref=ing.branch).column(0)[0].as_py()
    ing.validate()
    assert ing.passed is False
    failed = {r["check"] for r in _report(ing) if r["status"] == "failed"}
    assert {"unique(id)", "not_null(id)", "matches(code)"} <= failed
    assert ing.rows_added == {"orders": 350}
