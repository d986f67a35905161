"""The newer checks' arguments: each is refused up front with a clear error, and each round-trips through
its YAML item (what a persisted spec and a table's remembered checks store)."""

from __future__ import annotations

import random
from bisect import bisect_right

import pytest

from wap_notebook import checks as C
from wap_notebook.checks.drift_rules import KS_POINTS, Sample, ks_distance, psi
from wap_notebook.checks.yaml_form import parse_check_item, parse_checks
from wap_notebook.errors import InvalidSpec

YAML = """
- references: {column: carrier, table: airlines, to_column: carrier, mostly: 0.999}
- fresh: {column: time_hour, within: 2d}
- column_stat: {column: distance, stat: mean, min: 500, max: 1500}
- expression: {name: arrives after departing, predicate: "arr_time >= dep_time OR arr_time IS NULL"}
- length: {column: tailnum, min: 5, max: 6}
  max_failing: 3
- drift: {column: dep_time, max_null_rate_change: 0.05}
  severity: warn
- drift: {column: dep_delay, method: ks, threshold: 0.08}
- row_count_vs_history: {window: 5, tolerance: 0.3}
"""


def test_yaml_builds_every_new_check_and_round_trips():
    checks = parse_checks(YAML)
    assert [c.kind for c in checks] == ["references", "fresh", "column_stat", "expression", "length", "drift",
                                        "drift", "row_count_vs_history"]
    assert (checks[6].method, checks[6].threshold) == ("ks", 0.08)
    assert checks[3].columns == ("arr_time", "dep_time")  # the predicate's columns, checked like any other
    for check in checks:
        again = parse_check_item(check.to_config())
        assert again.to_config() == check.to_config() and again.name == check.name


@pytest.mark.parametrize("make, needle", [
    (lambda: C.expression("x", "a IN (SELECT 1)"), "subquery"),
    (lambda: C.expression("x", "a > 1; DROP TABLE t"), "one boolean expression"),
    (lambda: C.expression("x", "read_parquet('f') IS NULL"), "not allowed"),
    (lambda: C.expression("x", "1 = 1"), "names no column"),
    (lambda: C.expression("x", "t.a > 1"), "plain column names"),
    (lambda: C.length("s", min=3, max=2), "min <= max"),
    (lambda: C.length("s"), "min, max or both"),
    (lambda: C.fresh("t", within="soon"), "duration"),
    (lambda: C.fresh("t", now="yesterday"), "now must be"),
    (lambda: C.column_stat("x", "mode", min=1), "stat must be one of"),
    (lambda: C.column_stat("x", "mean"), "min, max or both"),
    (lambda: C.references("x", "bad-table"), "Invalid references: table name"),
    (lambda: C.drift("x", bins=1), "bins"),
    (lambda: C.drift("x", method="chi2"), "method must be one of"),
    (lambda: C.drift("x", method="ks", max_psi=0.1), "apply to method='psi'"),
    (lambda: C.drift("x", method="ks", threshold=1.5), "between 0 and 1"),
    (lambda: C.drift("x", max_psi=0.1, threshold=0.2), "not both"),
    (lambda: C.row_count_vs_history(window=0), "window"),
    (lambda: C.Fresh("t", mostly=0.9), "row-level"),
])
def test_bad_arguments_are_refused(make, needle):
    with pytest.raises(InvalidSpec, match=needle):
        make()


def test_psi_reads_as_expected():
    assert psi([100] * 10, [100] * 10) == 0
    assert psi([100] * 10, [10] * 9 + [910]) > 1  # everything moved into one bucket


def _sample(values: list[float]) -> Sample:
    """What Drift reads from DuckDB: the values at every step-th rank, the first and the last included."""
    ordered = sorted(values)
    step = max(1, -(-(len(ordered) - 1) // KS_POINTS))
    ranks = [r for r in range(len(ordered)) if r % step == 0 or r == len(ordered) - 1]
    return Sample([ordered[r] for r in ranks], ranks, len(ordered))


def _exact_ks(a: list[float], b: list[float]) -> float:
    sa, sb = sorted(a), sorted(b)
    return max(abs(bisect_right(sa, x) / len(sa) - bisect_right(sb, x) / len(sb)) for x in set(a) | set(b))


@pytest.mark.parametrize("shift", [0.0, 0.3, 2.0])
def test_ks_distance_from_quantiles_is_within_its_bound(shift):
    rng = random.Random(7)
    old = [rng.gauss(0, 1) for _ in range(20_000)]
    new = [rng.gauss(shift, 1) for _ in range(5_000)]
    exact = _exact_ks(old, new)
    distance, bound = ks_distance(_sample(old), _sample(new))
    assert abs(distance - exact) <= bound
    # Append mode: the new rows are the branch (old + new) minus the base (old).
    distance, bound = ks_distance(_sample(old), _sample(old + new), _sample(old))
    assert abs(distance - exact) <= bound and bound < 0.011


def test_ks_distance_of_integer_values_with_ties():
    old = [i % 60 for i in range(6000)]
    new = [(i % 60) + 15 for i in range(3000)]
    distance, bound = ks_distance(_sample(old), _sample(new))
    assert abs(distance - _exact_ks(old, new)) <= bound
    assert ks_distance(Sample([], [], 0), _sample(new)) is None
