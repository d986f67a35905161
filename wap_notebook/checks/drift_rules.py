"""drift: the new rows of one column against `from_ref` (the snapshot the branch was made from).

Three readings, each with a default a user can read in the report:
- the null rate ("null rate 2.1% -> 38.7%"), failing beyond `max_null_rate_change` (absolute, 0.1 = 10 points);
- new categories of a low-cardinality column (at most `max_categories` distinct values on from_ref): values
  never seen there, failing beyond `max_new_categories`;
- for numbers, a distribution shift: by default (`method="psi"`) the population stability index over
  deciles of from_ref's values, failing beyond `max_psi` (0.1 is a moderate shift, 0.25 a large one); with
  `method="ks"` the Kolmogorov-Smirnov distance (the largest gap between the two cumulative distributions,
  0 to 1), failing beyond `threshold` (default 0.1).

Every count is additive, so in append mode the new rows' counts are the branch's minus the base's: no row
is read into Python, only per-bucket and per-category counts. The KS distance is read from about 1,000
evenly ranked values of each side, sorted in DuckDB (`ks_distance`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from wap_notebook.checks.model import Outcome, QueryCheck, TableScope, as_int
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.sql import literal_list, quote_ident, sql_literal
from wap_notebook.errors import InvalidSpec

_NUMERIC = ("int", "long", "float", "double", "decimal", "tinyint", "smallint", "bigint", "hugeint", "real")
_PSI_FLOOR = 1e-4  # proportions below this count as this (an empty bucket would make the index infinite)
SHOWN_CATEGORIES = 5
METHODS = ("psi", "ks")
DEFAULT_MAX_PSI = 0.25
DEFAULT_BINS = 10
DEFAULT_KS_THRESHOLD = 0.1
# Ranked values read per side for the KS distance: each empirical distribution is then known to within about
# 1/KS_POINTS (see Sample).
KS_POINTS = 1000


def _is_numeric(type_name: str) -> bool:
    lowered = type_name.lower()
    return any(lowered.startswith(prefix) for prefix in _NUMERIC)


def psi(expected: list[int], actual: list[int]) -> float:
    """Population stability index of `actual` bucket counts against `expected` ones."""
    e_total, a_total = sum(expected), sum(actual)
    if e_total == 0 or a_total == 0:
        return 0.0
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        pe, pa_ = max(e / e_total, _PSI_FLOOR), max(a / a_total, _PSI_FLOOR)
        total += (pa_ - pe) * math.log(pa_ / pe)
    return total


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


class Drift(QueryCheck):
    kind = "drift"

    def __init__(self, column: str, max_null_rate_change: float = 0.1, max_new_categories: int = 0,
                 max_categories: int = 50, max_psi: float | None = None, bins: int | None = None,
                 method: str = "psi", threshold: float | None = None, **kw: Any) -> None:
        super().__init__((column,), **kw)
        if method not in METHODS:
            raise InvalidSpec(f"drift: method must be one of {', '.join(METHODS)}; got {method!r}")
        if method == "ks" and (max_psi is not None or bins is not None):
            raise InvalidSpec("drift: max_psi and bins apply to method='psi'; with method='ks' give threshold=")
        if method == "psi" and threshold is not None and max_psi is not None:
            raise InvalidSpec("drift: give threshold= or max_psi=, not both (they are the same limit for 'psi')")
        limit = threshold if threshold is not None else max_psi
        if limit is None:
            limit = DEFAULT_KS_THRESHOLD if method == "ks" else DEFAULT_MAX_PSI
        bins = DEFAULT_BINS if bins is None else bins
        for label, value in (("max_null_rate_change", max_null_rate_change),
                             ("threshold" if threshold is not None else "max_psi", limit)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidSpec(f"drift: {label} must be a non-negative number; got {value!r}")
        if method == "ks" and limit > 1:
            raise InvalidSpec(f"drift: a KS distance is between 0 and 1, so threshold must be too; got {limit!r}")
        for label, value in (("max_new_categories", max_new_categories), ("max_categories", max_categories),
                             ("bins", bins)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidSpec(f"drift: {label} must be a non-negative integer; got {value!r}")
        if bins < 2:
            raise InvalidSpec(f"drift: bins must be at least 2; got {bins}")
        self.max_null_rate_change, self.max_new_categories = max_null_rate_change, max_new_categories
        self.max_categories, self.bins, self.method = max_categories, bins, method
        self.max_psi = limit if method == "psi" else DEFAULT_MAX_PSI
        self.threshold = limit

    def expected(self) -> str:
        shift = f"PSI <= {self.max_psi}" if self.method == "psi" else f"KS distance <= {self.threshold}"
        return (f"null rate change <= {_pct(self.max_null_rate_change)} pts, <= {self.max_new_categories} new "
                f"categories, {shift}")

    def params(self) -> dict[str, Any]:
        common = {"column": self.columns[0], "max_null_rate_change": self.max_null_rate_change,
                  "max_new_categories": self.max_new_categories, "max_categories": self.max_categories}
        if self.method == "ks":
            return {**common, "method": "ks", "threshold": self.threshold}
        return {**common, "max_psi": self.max_psi, "bins": self.bins}

    def _new_counts(self, scope: TableScope, query: str, keys: list[str]) -> list[dict[str, Any]]:
        """Rows of a GROUP BY count query over the new rows: branch minus base in append mode."""
        after = scope.query(query, scope.branch)
        if not (scope.incremental and scope.base_ref):
            return [dict(r) for r in after.to_pylist()]
        before = scope.query(query, scope.base_ref)
        on = " AND ".join(f"a.{k} IS NOT DISTINCT FROM b.{k}" for k in keys) or "TRUE"
        select = ", ".join(f"a.{k}" for k in keys)
        rows = local_sql({"a": after, "b": before},
                         f"SELECT {select + ', ' if select else ''}a.n - COALESCE(b.n, 0) AS n "
                         f"FROM a LEFT JOIN b ON {on}")
        return [dict(r) for r in rows.to_pylist()]

    def run(self, scope: TableScope) -> Outcome:
        if not scope.base_exists or scope.base_ref is None:
            return Outcome(True, None, None, "the table is new: nothing to compare with")
        col = quote_ident(self.columns[0])
        base = scope.base_ref
        problems: list[str] = []
        parts: list[str] = []
        observed: dict[str, Any] = {}
        predicate: str | None = None

        # Null rate.
        counts = f"SELECT COUNT(*) AS n, COUNT({col}) AS nn FROM {scope.fqn}"
        old = scope.query(counts, base).to_pylist()[0]
        after = scope.query(counts, scope.branch).to_pylist()[0]
        new_n = as_int(after["n"]) - (as_int(old["n"]) if scope.incremental else 0)
        new_nn = as_int(after["nn"]) - (as_int(old["nn"]) if scope.incremental else 0)
        if new_n <= 0:
            return Outcome(True, None, None, "no new rows")
        old_rate = 0.0 if not as_int(old["n"]) else 1 - as_int(old["nn"]) / as_int(old["n"])
        new_rate = 1 - new_nn / new_n
        observed["null_rate"] = [round(old_rate, 6), round(new_rate, 6)]
        parts.append(f"null rate {_pct(old_rate)} -> {_pct(new_rate)}")
        if abs(new_rate - old_rate) > self.max_null_rate_change:
            problems.append(f"null rate {_pct(old_rate)} -> {_pct(new_rate)} "
                            f"(allowed change {_pct(self.max_null_rate_change)} pts)")
            predicate = f"{col} IS NULL"

        fields = {name: str(typ) for name, typ, _ in scope.fields(base) or []}
        type_name = fields.get(self.columns[0], "")
        if _is_numeric(type_name) and self.method == "ks":
            found = self._ks(scope, col)
            if found is not None:
                distance, bound = found
                observed["ks"] = round(distance, 4)
                parts.append(f"KS distance {distance:.3f}")
                if distance > self.threshold:
                    problems.append(f"distribution shift: KS distance {distance:.3f} (allowed {self.threshold}; "
                                    f"read from quantiles, within {bound:.3f})")
        elif _is_numeric(type_name):
            index = self._psi(scope, col)
            if index is not None:
                observed["psi"] = round(index, 4)
                parts.append(f"PSI {index:.3f}")
                if index > self.max_psi:
                    problems.append(f"distribution shift: PSI {index:.3f} (allowed {self.max_psi})")
        elif "string" in type_name.lower() or "bool" in type_name.lower() or "varchar" in type_name.lower():
            distinct = as_int(scope.query(f"SELECT COUNT(DISTINCT {col}) FROM {scope.fqn}", base).column(0)[0].as_py())
            if distinct > self.max_categories:
                parts.append(f"{distinct} values on {self._ref_name(base)}: too many to judge new categories")
            else:
                new_values = self._new_categories(scope, col)
                observed["new_categories"] = [str(v) for v, _ in new_values[:SHOWN_CATEGORIES]]
                shown = ", ".join(f"{v!r} ({n} rows)" for v, n in new_values[:SHOWN_CATEGORIES])
                parts.append(f"{len(new_values)} new categories" + (f": {shown}" if shown else ""))
                if len(new_values) > self.max_new_categories:
                    problems.append(f"{len(new_values)} values never seen on {self._ref_name(base)}: {shown}"
                                    f"{', ...' if len(new_values) > SHOWN_CATEGORIES else ''}")
                    predicate = f"{col} IN {literal_list([v for v, _ in new_values])}"
        if problems:
            return Outcome(False, observed, None, "drift: " + "; ".join(problems), predicate)
        return Outcome(True, observed, None, "; ".join(parts))

    @staticmethod
    def _ref_name(base: str) -> str:
        return base.split("@", 1)[0]

    def _new_categories(self, scope: TableScope, col: str) -> list[tuple[Any, int]]:
        assert scope.base_ref is not None
        seen = scope.query(f"SELECT DISTINCT {col} AS v FROM {scope.fqn} WHERE {col} IS NOT NULL", scope.base_ref)
        query = f"SELECT {col} AS v, COUNT(*) AS n FROM {scope.fqn} WHERE {col} IS NOT NULL GROUP BY {col}"
        new = self._new_counts(scope, query, ["v"])
        known = set(seen.column("v").to_pylist())
        found = sorted(((r["v"], as_int(r["n"])) for r in new if as_int(r["n"]) > 0 and r["v"] not in known),
                       key=lambda item: -item[1])
        return found

    def _psi(self, scope: TableScope, col: str) -> float | None:
        assert scope.base_ref is not None
        quantiles = ", ".join(str(i / self.bins) for i in range(1, self.bins))
        edges_row = scope.query(f"SELECT quantile_disc({col}, [{quantiles}]) AS q FROM {scope.fqn} "
                                f"WHERE {col} IS NOT NULL AND NOT isnan(CAST({col} AS DOUBLE))", scope.base_ref)
        edges = edges_row.column(0)[0].as_py() if edges_row.num_rows else None
        if not edges:
            return None
        edges = sorted(set(edges))
        case = "CASE " + " ".join(f"WHEN {col} <= {sql_literal(e)} THEN {i}" for i, e in enumerate(edges))
        case += f" ELSE {len(edges)} END"
        query = (f"SELECT {case} AS b, COUNT(*) AS n FROM {scope.fqn} WHERE {col} IS NOT NULL "
                 f"AND NOT isnan(CAST({col} AS DOUBLE)) GROUP BY 1")
        old = {as_int(r["b"]): as_int(r["n"]) for r in scope.query(query, scope.base_ref).to_pylist()}
        new = {as_int(r["b"]): as_int(r["n"]) for r in self._new_counts(scope, query, ["b"])}
        buckets = range(len(edges) + 1)
        return psi([old.get(b, 0) for b in buckets], [new.get(b, 0) for b in buckets])

    def _quantiles(self, scope: TableScope, col: str, ref: str) -> Sample:
        """About `KS_POINTS` evenly ranked values of the column's numbers on `ref` (NULL and NaN left out): one
        sort in DuckDB (a window), the smallest and the largest included; only those rows reach Python."""
        numbers = f"{col} IS NOT NULL AND NOT isnan(CAST({col} AS DOUBLE))"
        ranked = (f"SELECT {col} AS v, row_number() OVER (ORDER BY {col}) - 1 AS r, COUNT(*) OVER () AS n "
                  f"FROM {scope.fqn} WHERE {numbers}")
        step = f"greatest(1, CAST(ceil((n - 1) / {KS_POINTS}) AS BIGINT))"
        rows = scope.query(f"SELECT v, r, n FROM ({ranked}) AS s WHERE r % {step} = 0 OR r = n - 1 ORDER BY r",
                           ref).to_pylist()
        return Sample([row["v"] for row in rows], [as_int(row["r"]) for row in rows],
                      as_int(rows[0]["n"]) if rows else 0)

    def _ks(self, scope: TableScope, col: str) -> tuple[float, float] | None:
        """The KS distance of the new rows against the base and its error bound; None without numbers."""
        assert scope.base_ref is not None
        base = self._quantiles(scope, col, scope.base_ref)
        branch = self._quantiles(scope, col, scope.branch)
        if scope.incremental:  # new rows = branch - base, as a mixture of the two distributions
            return ks_distance(base, branch, base)
        return ks_distance(base, branch)


@dataclass(frozen=True)
class Sample:
    """Values of a column at known ranks (0-based, ascending, the first and last rank included) of its `n`
    sorted numbers: F(x) is known to within the widest gap between two ranks (`error`)."""

    values: list[Any]
    ranks: list[int]
    n: int

    def cdf(self, x: Any) -> float:
        """F(x) from below: (r + 1) / n for the last sampled value v_r <= x. The truth lies in
        [(r + 1) / n, r_next / n], since every value at rank r_next or beyond is > x."""
        index = bisect_right(self.values, x) - 1
        return 0.0 if index < 0 else (self.ranks[index] + 1) / self.n

    @property
    def error(self) -> float:
        gaps = [b - a - 1 for a, b in zip(self.ranks, self.ranks[1:], strict=False)]
        return max(gaps, default=0) / self.n if self.n else 0.0


def ks_distance(old: Sample, new: Sample, minus: Sample | None = None) -> tuple[float, float] | None:
    """Two-sample Kolmogorov-Smirnov distance max |F_old(x) - F_new(x)| from ranked samples of each side, with
    a bound on its error; `minus` (append mode) is subtracted from `new` as a multiset: F of the new rows is
    (n_new F_new - n_minus F_minus) / (n_new - n_minus).

    The estimates are step functions that change only at sampled values, so their largest gap is at one of
    them; each F is within its sample's `error` of the truth, hence the bound
    old.error + (n_new new.error + n_minus minus.error) / n_added. None when either side has no number.
    """
    n_minus = minus.n if minus is not None else 0
    added = new.n - n_minus
    if old.n == 0 or added <= 0:
        return None
    points = sorted(set(old.values) | set(new.values))

    def added_cdf(x: Any) -> float:
        value = new.cdf(x) * new.n - (minus.cdf(x) * n_minus if minus is not None else 0.0)
        return min(1.0, max(0.0, value / added))

    distance = max(abs(old.cdf(x) - added_cdf(x)) for x in points)
    spread = new.n * new.error + (n_minus * minus.error if minus is not None else 0.0)
    return distance, old.error + spread / added
