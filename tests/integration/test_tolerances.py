"""Tolerances on row-level checks: `mostly=` / `max_failing=` decide over the new rows, the report says the
observed fraction, the threshold and the verdict, and the failing rows stay listed."""

from __future__ import annotations

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.checks.yaml_form import parse_check_item, parse_checks
from wap_notebook.errors import InvalidSpec
from wap_notebook.ingestion import Ingestion


def _flights(n: int, bad: int, start: int = 0) -> pa.Table:
    """`bad` tail numbers that do not look like N-numbers among `n` rows."""
    return pa.table({
        "id": pa.array(range(start, start + n), pa.int64()),
        "tailnum": pa.array([f"N{i % 900 + 100}AA" if i >= bad else f"X-{i}" for i in range(n)]),
    })


REGEX = r"^N[0-9A-Z]{1,5}$"


def _run(lakehouse, put_table, key: str, table: pa.Table, checks: list[C.Check], **kw) -> Ingestion:
    return Ingestion("flights", put_table(key, table), client=lakehouse, checks=checks, **kw).run()


def _row(ing: Ingestion, name: str) -> dict:
    report = ing.report
    return report[report["check"] == name].to_dict("records")[0]


def test_mostly_passes_where_the_strict_check_fails_and_lists_the_failing_rows(lakehouse, put_table):
    ing = _run(lakehouse, put_table, "m.parquet", _flights(1000, 2), [
        C.matches("tailnum", REGEX, name="strict"),
        C.matches("tailnum", REGEX, mostly=0.99, name="mostly"),
        C.matches("tailnum", REGEX, max_failing=1, name="max1"),
        C.matches("tailnum", REGEX, max_failing="1%", name="pct"),
    ])
    assert _row(ing, "strict")["status"] == "failed"
    mostly = _row(ing, "mostly")
    assert mostly["status"] == "passed" and mostly["failing_rows"] == 2
    assert "99.8% of 1000 new rows pass" in mostly["message"] and ">= 99% of new rows pass" in mostly["expected"]
    assert "within tolerance" in mostly["message"]
    assert _row(ing, "max1")["status"] == "failed" and "over tolerance" in _row(ing, "max1")["message"]
    assert _row(ing, "pct")["status"] == "passed"
    assert sorted(ing.failures("mostly")["tailnum"]) == ["X-0", "X-1"]
    assert ing.passed is False  # the strict check still blocks


def test_tolerance_boundary_is_exact_and_blocks_the_merge_when_over(lakehouse, put_table):
    # 10 bad of 1000 = exactly 1%: mostly 0.99 passes; 11 bad fails and the gate refuses to merge.
    ok = _run(lakehouse, put_table, "a.parquet", _flights(1000, 10), [C.matches("tailnum", REGEX, mostly=0.99)])
    assert ok.passed is True
    over = _run(lakehouse, put_table, "b.parquet", _flights(1000, 11, start=5000),
                [C.matches("tailnum", REGEX, mostly=0.99)], on_success="merge")
    assert over.passed is False and over.phase != "merged"


def test_tolerance_applies_to_append_batches_only(lakehouse, put_table):
    seed = _run(lakehouse, put_table, "seed.parquet", _flights(1000, 50), [], on_success="merge")
    assert seed.phase == "merged"
    # 50 bad rows on main do not count: the batch of 200 has 1 bad row (0.5%).
    ing = _run(lakehouse, put_table, "new.parquet", _flights(200, 1, start=1000),
               [C.matches("tailnum", REGEX, max_failing="1%", name="tail"), C.not_null("tailnum", mostly=1)])
    assert ing.passed is True, ing.report
    assert "of 200 new rows pass" in _row(ing, "tail")["message"]


def test_yaml_forms_and_round_trip():
    inline, beside = parse_checks(
        "- matches: {column: tailnum, regex: '^N', mostly: 0.99}\n"
        "- not_null: [a, b]\n  max_failing: '2%'\n  severity: warn\n")
    assert inline.tolerance is not None and inline.to_config()["matches"]["mostly"] == 0.99
    assert beside.severity == "warn" and beside.to_config()["not_null"]["max_failing"] == "2%"
    for check in (inline, beside):
        again = parse_check_item(check.to_config())
        assert again.to_config() == check.to_config()


@pytest.mark.parametrize("kwargs, needle", [
    ({"mostly": 1.5}, "between 0 and 1"), ({"mostly": "x"}, "expected a number"),
    ({"max_failing": -1}, ">= 0"), ({"max_failing": "lots"}, "percentage"), ({"max_failing": True}, "percentage"),
    ({"mostly": 0.9, "max_failing": 3}, "not both"),
])
def test_bad_tolerances_are_refused(kwargs, needle):
    with pytest.raises(InvalidSpec, match=needle):
        C.not_null("a", **kwargs)


def test_tolerance_on_a_table_level_check_is_refused():
    with pytest.raises(InvalidSpec, match="unexpected keyword argument 'mostly'"):
        parse_checks("- row_count: {min: 1, mostly: 0.9}")
    with pytest.raises(InvalidSpec, match="row-level"):
        C.SchemaCompatible(mostly=0.9)
