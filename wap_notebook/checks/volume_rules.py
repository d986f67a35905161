"""row_count_vs_history: the batch's size against the last merged ingestions of the table.

Robust statistics: the median of the last `window` batches and their median absolute deviation (MAD);
the batch passes within median ± max(tolerance × median, 3 × 1.4826 × MAD), so one odd batch in the
history does not move the band. With fewer than `min_history` merged batches there is nothing to compare
with: it passes and says so.
"""

from __future__ import annotations

import statistics
from typing import Any

from wap_notebook.checks.model import Outcome, QueryCheck, TableScope, as_int
from wap_notebook.errors import InvalidSpec

_MAD_SCALE = 1.4826  # MAD of a normal distribution -> its standard deviation


class RowCountVsHistory(QueryCheck):
    kind = "row_count_vs_history"

    def __init__(self, window: int = 10, tolerance: float = 0.5, min_history: int = 3, **kw: Any) -> None:
        super().__init__((), **kw)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise InvalidSpec(f"row_count_vs_history: window must be a positive integer; got {window!r}")
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
            raise InvalidSpec(f"row_count_vs_history: tolerance must be a non-negative fraction; got {tolerance!r}")
        if isinstance(min_history, bool) or not isinstance(min_history, int) or min_history < 1:
            raise InvalidSpec(f"row_count_vs_history: min_history must be a positive integer; got {min_history!r}")
        self.window, self.spread, self.min_history = window, tolerance, min_history  # `tolerance` is mostly=

    def expected(self) -> str:
        return f"rows added within {self.spread:.0%} of the median of the last {self.window} merges"

    def params(self) -> dict[str, Any]:
        return {"window": self.window, "tolerance": self.spread, "min_history": self.min_history}

    def band(self, history: list[int]) -> tuple[float, float, float]:
        median = statistics.median(history)
        mad = statistics.median(abs(x - median) for x in history)
        spread = max(self.spread * median, 3 * _MAD_SCALE * mad)
        return median, max(0.0, median - spread), median + spread

    def run(self, scope: TableScope) -> Outcome:
        added = as_int(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.branch).column(0)[0].as_py())
        if scope.incremental and scope.base_ref:
            added -= as_int(scope.query(f"SELECT COUNT(*) FROM {scope.fqn}", scope.base_ref).column(0)[0].as_py())
        history = list(scope.history() if scope.history is not None else [])[: self.window]
        if len(history) < self.min_history:
            return Outcome(True, added, None,
                           f"{added} rows added; {len(history)} merged ingestion(s) of {scope.table} in the history, "
                           f"{self.min_history} needed to compare: passes until then")
        median, lo, hi = self.band(history)
        ok = lo <= added <= hi
        return Outcome(ok, added, None,
                       f"{added} rows added; the last {len(history)} merges added a median of {median:g} "
                       f"(band {lo:.0f}..{hi:.0f})")
