"""Check partials computed during the import agree with the SQL the checks would otherwise run.

Every measure is compared with DuckDB (the SQL path of `LocalClient.query`) on the same rows, with
nulls, NaN, duplicates across files and batches, and with the failure modes that must leave no
partials behind: a failed import, a failed file under continue_on_error, a base that is not an ancestor.
"""


from __future__ import annotations

import pyarrow as pa
import pytest
from shared_data import same_measure

from wap_notebook.core import partials_contract
from wap_notebook.core.partials_contract import Measure, PartialRequest

NS = "bauplan"


def _table(start: int, n: int, *, dup_every: int = 0) -> pa.Table:
    ids = [start + i if not dup_every or i % dup_every else start for i in range(n)]
    return pa.table({
        "id": pa.array([None if i % 97 == 5 else v for i, v in enumerate(ids)], pa.int64()),
        "amount": pa.array([float("nan") if i % 50 == 3 else (None if i % 41 == 0 else i * 1.5 - 10)
                            for i in range(n)], pa.float64()),
        "status": pa.array([["placed", "shipped", "lost", None][i % 4] for i in range(n)], pa.string()),
        # letters of two bytes and a letter with a combining accent: lengths count characters (code points)
        "code": pa.array([f"AB-{i:04d}" if i % 13 else f"áb-{i}\nX" if i % 2 else f"e\u0301-{i}" for i in range(n)],
                         pa.string()),
        "score": pa.array([None if i % 7 == 0 else float(i % 11) for i in range(n)], pa.float64()),
    })


MEASURES = (
    Measure("nulls", ("id",)),
    Measure("nulls", ("amount",)),
    Measure("any_null", ("id", "status")),
    Measure("not_in", ("status",), ["placed", "shipped"]),
    Measure("out_of_range", ("amount",), [0, 100]),
    Measure("out_of_range", ("amount",), [None, 50.5]),
    Measure("out_of_range", ("amount",), [0, None]),
    Measure("minmax", ("amount",)),
    Measure("minmax", ("status",)),
    Measure("not_matching", ("code",), "^[A-Z]{2}-[0-9]{4}$"),
    Measure("not_matching", ("code",), "X$"),
    Measure("distinct", ("id",)),
    Measure("distinct", ("status",)),
    Measure("distinct", ("amount",)),
    Measure("length_out_of_range", ("code",), [7, 7]),
    Measure("length_out_of_range", ("code",), [None, 5]),
    Measure("length_minmax", ("code",)),
    Measure("moments", ("id",)),
    Measure("moments", ("score",)),
    Measure("moments", ("amount",)),
)


SQL = {
    0: "SUM(CASE WHEN id IS NULL THEN 1 ELSE 0 END)",
    1: "SUM(CASE WHEN amount IS NULL THEN 1 ELSE 0 END)",
    2: "SUM(CASE WHEN id IS NULL OR status IS NULL THEN 1 ELSE 0 END)",
    3: "SUM(CASE WHEN status IS NOT NULL AND status NOT IN ('placed', 'shipped') THEN 1 ELSE 0 END)",
    4: "SUM(CASE WHEN amount < 0 OR amount > 100 OR isnan(amount) THEN 1 ELSE 0 END)",
    5: "SUM(CASE WHEN amount > 50.5 OR isnan(amount) THEN 1 ELSE 0 END)",
    6: "SUM(CASE WHEN amount < 0 OR isnan(amount) THEN 1 ELSE 0 END)",
    7: "[MIN(amount), MAX(amount)]",
    8: "[MIN(status), MAX(status)]",
    9: "SUM(CASE WHEN code IS NOT NULL AND NOT regexp_matches(code, '^[A-Z]{2}-[0-9]{4}$') THEN 1 ELSE 0 END)",
    10: "SUM(CASE WHEN code IS NOT NULL AND NOT regexp_matches(code, 'X$') THEN 1 ELSE 0 END)",
    11: "[COUNT(id), COUNT(DISTINCT id)]",
    12: "[COUNT(status), COUNT(DISTINCT status)]",
    13: "[COUNT(amount), COUNT(DISTINCT amount)]",
    14: "SUM(CASE WHEN code IS NOT NULL AND (length(code) < 7 OR length(code) > 7) THEN 1 ELSE 0 END)",
    15: "SUM(CASE WHEN code IS NOT NULL AND length(code) > 5 THEN 1 ELSE 0 END)",
    16: "[MIN(length(code)), MAX(length(code))]",
    17: "[COUNT(id), SUM(id), SUM(CAST(id AS DOUBLE) * CAST(id AS DOUBLE))]",
    18: "[COUNT(score), SUM(score), SUM(score * score)]",
    19: "[COUNT(amount), SUM(amount), SUM(amount * amount)]",
}


def _sql_values(client, ref: str) -> dict[int, object]:
    exprs = ", ".join(f"{expr} AS m{i}" for i, expr in SQL.items())
    row = client.query(f"SELECT COUNT(*) AS n, {exprs} FROM {NS}.events", ref=ref).to_pylist()[0]
    return {i: row[f"m{i}"] for i in SQL} | {"rows": row["n"]}


def _partial_values(found: partials_contract.NewRowPartials) -> dict[int, object]:
    out: dict[int, object] = {}
    for i, m in enumerate(MEASURES):
        value = found.get(m)
        if value is not None and m.kind in ("minmax", "length_minmax"):
            value = list(partials_contract.minmax_as_duckdb(value))
        out[i] = value
    return out | {"rows": found.rows}




def _import(client, branch: str, uri: str, **kw):
    with partials_contract.requested({f"{NS}.events": PartialRequest(MEASURES)}):
        return client.import_data("events", uri, branch=branch, namespace=NS, **kw)


@pytest.fixture
def setup(lakehouse, put_table):
    def _go(tables: list[pa.Table], prefix: str = "a"):
        uris = [put_table(f"{prefix}/part-{i}.parquet", t) for i, t in enumerate(tables)]
        return uris[0].rsplit("/", 1)[0] + "/*.parquet"

    return _go


def test_partials_match_sql_on_a_new_table(lakehouse, setup):
    uri = setup([_table(0, 3000, dup_every=17), _table(2500, 2000)])  # duplicates inside and across files
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri, branch="tester.b", namespace=NS)
    state = _import(lakehouse, "tester.b", uri)
    assert state.error is None
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None)
    assert found is not None and found.rows == 5000
    expected, got = _sql_values(lakehouse, "tester.b"), _partial_values(found)
    for key in expected:
        assert same_measure(got[key], expected[key]), (key, got[key], expected[key])


def test_append_partials_cover_only_the_new_rows(lakehouse, setup):
    first = setup([_table(0, 1000)], "base")
    lakehouse.create_branch("tester.base", "main")
    lakehouse.create_table("events", first, branch="tester.base", namespace=NS)
    assert lakehouse.import_data("events", first, branch="tester.base", namespace=NS).error is None  # no partials
    lakehouse.merge_branch("tester.base", "main")
    base_ref = f"main@{lakehouse.get_branch('main').hash}"
    second = setup([_table(500, 1500)], "new")
    lakehouse.create_branch("tester.b", base_ref)
    assert _import(lakehouse, "tester.b", second).error is None
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", base_ref)
    assert found is not None and found.rows == 1500
    after, before = _sql_values(lakehouse, "tester.b"), _sql_values(lakehouse, base_ref)
    got = _partial_values(found)
    for i, m in enumerate(MEASURES):
        if m.kind in ("minmax", "distinct", "length_minmax"):
            continue  # not additive: compared on a new table above
        if m.kind == "moments":  # sums, element by element
            assert same_measure(got[i], [a - b for a, b in zip(after[i], before[i], strict=True)]), (m, got[i])
            continue
        assert got[i] == (after[i] or 0) - (before[i] or 0), (m, got[i])
    # The base rows carry no partials: over the whole table only the row count is known, no measure.
    whole = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None)
    assert whole is not None and whole.rows == 2500 and whole.values == {}


def test_two_imports_add_up_but_distinct_keys_do_not(lakehouse, setup):
    one, two = setup([_table(0, 800)], "one"), setup([_table(400, 800)], "two")
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", one, branch="tester.b", namespace=NS)
    assert _import(lakehouse, "tester.b", one).error is None
    assert _import(lakehouse, "tester.b", two).error is None
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None)
    assert found is not None and found.rows == 1600 and found.snapshots == 2
    got, expected = _partial_values(found), _sql_values(lakehouse, "tester.b")
    for i, m in enumerate(MEASURES):
        if m.kind == "distinct":
            assert got[i] is None  # overlapping keys of two imports: only SQL can count them
        else:
            assert same_measure(got[i], expected[i]), (m, got[i], expected[i])


def test_failed_import_leaves_no_partials(lakehouse, setup, put_table):
    good = setup([_table(0, 500)], "good")
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", good, branch="tester.b", namespace=NS)
    head = lakehouse.get_branch("tester.b").hash
    bad = put_table("bad/part-0.parquet", pa.table({"id": pa.array(["x"] * 10)}))  # cannot be cast
    mixed = bad.rsplit("/", 2)[0] + "/*/part-0.parquet"  # good/part-0 and bad/part-0
    state = _import(lakehouse, "tester.b", mixed)
    assert state.error is not None
    assert lakehouse.get_branch("tester.b").hash == head  # nothing committed ...
    assert partials_contract.lookup(lakehouse, "events", NS, "tester.b", None) is None  # ... so no partials either


def test_continue_on_error_counts_only_the_committed_files(lakehouse, setup, put_table):
    setup([_table(0, 600)], "good")
    put_table("bad/part-0.parquet", pa.table({"id": pa.array(["x"] * 10)}))
    uri = "s3://" + setup([_table(0, 1)], "zzz").split("/")[2] + "/*/part-0.parquet"
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri.replace("*", "good"), branch="tester.b", namespace=NS)
    state = _import(lakehouse, "tester.b", uri, continue_on_error=True)
    assert state.error is None and lakehouse.job_details(state.job_id).files_failed
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None)
    assert found is not None
    expected, got = _sql_values(lakehouse, "tester.b"), _partial_values(found)
    for key in expected:
        if isinstance(key, int) and MEASURES[key].kind == "distinct" and got[key] is None:
            continue  # a failed file may have fed the key set before failing: then distinct is not stored
        assert same_measure(got[key], expected[key]), (key, got[key], expected[key])


def test_partials_belong_to_the_snapshot_not_the_table_name(lakehouse, setup):
    """Re-validating after a rebase: the branch's table must descend from the base asked about."""
    uri = setup([_table(0, 300)])
    lakehouse.create_branch("tester.x", "main")
    lakehouse.create_table("events", uri, branch="tester.x", namespace=NS)
    assert _import(lakehouse, "tester.x", uri).error is None
    lakehouse.merge_branch("tester.x", "main")
    moved = f"main@{lakehouse.get_branch('main').hash}"
    lakehouse.create_branch("tester.y", "main")
    lakehouse.create_table("events", uri, branch="tester.y", namespace=NS, replace=True)
    assert _import(lakehouse, "tester.y", uri).error is None
    # tester.y's table is a new table, not a descendant of main's: no "new rows since main" partials.
    assert partials_contract.lookup(lakehouse, "events", NS, "tester.y", moved) is None
    assert partials_contract.lookup(lakehouse, "events", NS, "tester.y", None).rows == 300


def test_no_request_means_no_partials_and_bauplan_clients_get_none(lakehouse, setup):
    uri = setup([_table(0, 100)])
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri, branch="tester.b", namespace=NS)
    assert lakehouse.import_data("events", uri, branch="tester.b", namespace=NS).error is None
    assert partials_contract.lookup(lakehouse, "events", NS, "tester.b", None) is None
    assert partials_contract.lookup(object(), "events", NS, "tester.b", None) is None


def test_metadata_first_null_counts_and_integer_bounds_without_partials(lakehouse, setup):
    """An import made without a request has no partials: its Iceberg column statistics answer what they
    state exactly (null counts, integer bounds), and nothing else."""
    uri = setup([_table(0, 700), _table(5000, 300)])
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri, branch="tester.b", namespace=NS)
    assert lakehouse.import_data("events", uri, branch="tester.b", namespace=NS).error is None
    wanted = (Measure("nulls", ("id",)), Measure("nulls", ("amount",)), Measure("minmax", ("id",)),
              Measure("out_of_range", ("id",), [0, 10_000]), Measure("out_of_range", ("id",), [0, 1000]),
              Measure("minmax", ("amount",)), Measure("not_in", ("status",), ["placed"]))
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None, wanted)
    assert found is not None and found.rows == 1000
    row = lakehouse.query(f"SELECT COUNT(*) - COUNT(id) AS a, COUNT(*) - COUNT(amount) AS b, MIN(id) AS lo, "
                          f"MAX(id) AS hi, COUNT(id) AS n FROM {NS}.events", ref="tester.b").to_pylist()[0]
    assert found.get(wanted[0]) == row["a"] and found.get(wanted[1]) == row["b"]
    assert found.get(wanted[2]) == [row["lo"], row["hi"], 0, row["n"]]
    assert found.get(wanted[3]) == 0  # every id lies in [0, 10000]: proven by the bounds
    assert found.get(wanted[4]) is None  # ids up to 5299 > 1000: only a scan can count them
    assert found.get(wanted[5]) is None and found.get(wanted[6]) is None  # float bounds, value lists: no


def test_minmax_with_a_file_of_only_nan_matches_duckdb(lakehouse, setup):
    only_nan = _table(0, 200).set_column(1, "amount", pa.array([float("nan")] * 200, pa.float64()))
    uri = setup([only_nan, _table(200, 300)])  # the NaN-only file first, then ordinary values
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri, branch="tester.b", namespace=NS)
    assert _import(lakehouse, "tester.b", uri).error is None
    found = partials_contract.lookup(lakehouse, "events", NS, "tester.b", None)
    expected = _sql_values(lakehouse, "tester.b")
    assert same_measure(_partial_values(found)[7], expected[7]), (found.get(MEASURES[7]), expected[7])


def test_a_failing_measure_drops_the_partials_never_the_import(lakehouse, setup):
    uri = setup([_table(0, 300)])
    lakehouse.create_branch("tester.b", "main")
    lakehouse.create_table("events", uri, branch="tester.b", namespace=NS)
    broken = PartialRequest((Measure("nulls", ("id",)), Measure("not_matching", ("code",), "(unclosed")))
    with partials_contract.requested({f"{NS}.events": broken}):
        state = lakehouse.import_data("events", uri, branch="tester.b", namespace=NS)
    assert state.error is None  # the rows are imported ...
    assert partials_contract.lookup(lakehouse, "events", NS, "tester.b", None) is None  # ... and nothing is claimed
