"""The round-trip budget of an ingestion, as scenarios run through `counting.CountingClient`.

Shared by the budget tests on the embedded lakehouse (tests/integration) and on the SDK-shaped fake
(tests/unit): the same engine path, the same ceilings. A scenario returns (client calls, commits added to
`main`) for the step it measures; the setup it needs (a table already on main) is not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from counting import CountingClient

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion


@dataclass(frozen=True)
class Limits:
    append_calls: int  # one-table gated append with checks, merged
    append_commits: int  # commits it adds to main's history: import, records, merge
    create_calls: int
    extra_table_calls: int  # each extra table of a multi-table append
    resume_calls: int  # a resumed ingestion; no commit
    merge_calls: int  # merging a resumed one
    rebase_extra_calls: int  # rebase + merge, beyond an append's calls


#: The budget a lean ingestion must meet (the figures Bauplan's cloud makes affordable).
TARGET = Limits(append_calls=12, append_commits=3, create_calls=12, extra_table_calls=4, resume_calls=8,
                merge_calls=6, rebase_extra_calls=2)
#: What the engine achieves now, guarded against regressions until it meets TARGET. Before the table facts
#: were kept and the records moved above the merged commit: append 34 calls / 8 commits, create 23 / 9, each
#: extra table +19, resume 10, merge 5, rebase and merge 32 / 8 (SDK fake and embedded lakehouse alike).
#: Creating a table lists its namespace once (get_tables: +1 call) to refuse a name that differs from an
#: existing table's only by letter case. Then 18 / 16 / +10 / rebase 20, until: the checks' extra reads
#: (schema_compatible's per-column counts, between's range of the batch) rode on the shared scan (6 -> 2
#: queries per appended table), the tables are read once at from_ref's head before any branch and the
#: branch is made from from_ref itself (its hash says whether from_ref moved: no get_branch, no second
#: get_table), and a client's user is asked once per client, not per ingestion; the tables' scans on one
#: ref became one query (+5 -> +3 per extra table); one listing at from_ref's head answers every table's
#: existence and columns and the letter-case check (create 15 -> 14, +3 -> +2 per extra table). Records moved
#: off main (no record below the data: this machine's registry holds the spec until the import is done;
#: each later record is one commit above the data): append 12 -> 10 calls and 4 -> 2 commits (import,
#: merge), create 14 -> 12, resume 10 -> 2 (a fresh record is all it reads, with from_ref's recent
#: history), a resumed branch's merge 4 -> 3, rebase and merge 15 -> 12.
NOW = Limits(append_calls=10, append_commits=2, create_calls=12, extra_table_calls=2, resume_calls=2,
             merge_calls=3, rebase_extra_calls=2)

ROWS = pa.table({"id": list(range(1000)), "status": ["new", "paid"] * 500,
                 "amount": [float(i % 100) for i in range(1000)]})
MORE = pa.table({"id": list(range(1000, 2000)), "status": ["new", "paid"] * 500,
                 "amount": [float(i % 100) for i in range(1000)]})
BAD = pa.table({"id": [1, 1, None], "status": ["new", "lost", "paid"], "amount": [5.0, -1.0, 2.0]})


def three_checks() -> list[C.Check]:
    return [C.not_null("id"), C.accepted_values("status", ["new", "paid"]), C.between("amount", 0, 100)]


@dataclass
class Cost:
    calls: int
    commits: int
    by_method: dict[str, int]

    def __str__(self) -> str:
        return f"{self.calls} calls, {self.commits} commits on main ({dict(sorted(self.by_method.items()))})"


@dataclass
class Lake:
    """What a scenario runs on: the counting client, `uri(name, table)` (stores a source, returns its URI)
    and `commits()` (how many commits `main`'s history holds, merged branches' commits included)."""

    client: CountingClient
    uri: Callable[[str, pa.Table], str]
    commits: Callable[[], int]


def measure(lake: Lake, step: Callable[[], object]) -> Cost:
    before = lake.commits()
    lake.client.reset()
    step()
    return Cost(lake.client.total, lake.commits() - before, dict(lake.client.calls))


def seed(lake: Lake, table: str = "orders") -> None:
    Ingestion(table, lake.uri(f"seed_{table}", ROWS), client=lake.client, checks=[], on_success="merge").run()


def gated_append(lake: Lake) -> Cost:
    seed(lake)
    source = lake.uri("more", MORE)
    return measure(lake, lambda: Ingestion("orders", source, client=lake.client, checks=three_checks(),
                                             on_success="merge").run())


def gated_create(lake: Lake) -> Cost:
    source = lake.uri("fresh", ROWS)
    return measure(lake, lambda: Ingestion("orders", source, client=lake.client, checks=three_checks(),
                                             on_success="merge").run())


def multi_table_append(lake: Lake, tables: int) -> Cost:
    names = [f"t{tables}_{i}" for i in range(tables)]
    for name in names:
        seed(lake, name)
    sources = {name: lake.uri(f"more_{name}", MORE) for name in names}
    return measure(lake, lambda: Ingestion(sources, client=lake.client,
                                             checks={n: three_checks() for n in names},
                                             on_success="merge").run())


def resume_and_merge(lake: Lake) -> tuple[Cost, Cost]:
    """A passed append left for review, resumed in a new session (verdict restored), then merged."""
    seed(lake)
    branch = Ingestion("orders", lake.uri("more", MORE), client=lake.client, checks=three_checks()).run().branch
    holder: list[Ingestion] = []
    resumed = measure(lake, lambda: holder.append(Ingestion.resume(branch, client=lake.client)))
    assert holder[0].phase == "passed", holder[0].phase
    merged = measure(lake, lambda: holder[0].merge())
    return resumed, merged


def resume_failed(lake: Lake) -> Cost:
    """A failed batch resumed: its verdict comes back failed, and merging stays refused."""
    seed(lake)
    branch = Ingestion("orders", lake.uri("bad", BAD), client=lake.client, checks=three_checks()).run().branch
    holder: list[Ingestion] = []
    cost = measure(lake, lambda: holder.append(Ingestion.resume(branch, client=lake.client)))
    assert holder[0].phase == "failed", holder[0].phase
    return cost


def rebase_after_race(lake: Lake) -> Cost:
    """Ours is validated; another batch is published into the same table; ours rebases (re-import,
    re-validate) and merges."""
    seed(lake)
    ours = Ingestion("orders", lake.uri("ours", MORE), client=lake.client, checks=three_checks()).run()
    Ingestion("orders", lake.uri("theirs", MORE), client=lake.client, checks=[], on_success="merge").run()

    def rebase_and_merge() -> None:
        ours.rebase()
        assert ours.phase == "passed", ours.phase
        ours.merge()

    return measure(lake, rebase_and_merge)


# ---------------------------------------------------------------------------------- the budget, asserted
def _report(name: str, cost: object) -> None:
    print(f"round trips, {name}: {cost}")  # shown with -s / on failure: the figures for BENCHMARKS and PRs


def append_within_budget(lake: Lake, limits: Limits) -> None:
    cost = gated_append(lake)
    _report("gated append", cost)
    assert cost.calls <= limits.append_calls and cost.commits <= limits.append_commits, cost


def append_commits_within_budget(lake: Lake, limits: Limits) -> None:
    """The commits alone: main's history gains the import and the merge, at most one record besides."""
    cost = gated_append(lake)
    _report("gated append, commits", cost)
    assert cost.commits <= limits.append_commits, cost


def create_within_budget(lake: Lake, limits: Limits) -> None:
    cost = gated_create(lake)
    _report("gated create", cost)
    assert cost.calls <= limits.create_calls and cost.commits <= limits.append_commits + 1, cost


def extra_tables_within_budget(lake: Lake, limits: Limits) -> None:
    one, three = multi_table_append(lake, 1), multi_table_append(lake, 3)
    _report("1 table / 3 tables", f"{one} / {three}")
    assert three.calls - one.calls <= 2 * limits.extra_table_calls, (one, three)
    assert three.commits <= one.commits + 2, (one, three)  # one import commit per extra table


def resume_within_budget(lake: Lake, limits: Limits) -> None:
    resumed, merged = resume_and_merge(lake)
    _report("resume / merge", f"{resumed} / {merged}")
    assert resumed.calls <= limits.resume_calls and resumed.commits == 0, resumed
    assert merged.calls <= limits.merge_calls, merged


def resume_failed_within_budget(lake: Lake, limits: Limits) -> None:
    cost = resume_failed(lake)
    _report("resume failed", cost)
    assert cost.calls <= limits.resume_calls and cost.commits == 0, cost


def rebase_within_budget(lake: Lake, limits: Limits) -> None:
    cost = rebase_after_race(lake)
    _report("rebase + merge", cost)
    assert cost.calls <= limits.append_calls + limits.rebase_extra_calls, cost
    assert cost.commits <= limits.append_commits, cost


SCENARIOS: dict[str, Callable[[Lake, Limits], None]] = {
    "append": append_within_budget, "append_commits": append_commits_within_budget,
    "create": create_within_budget, "extra_tables": extra_tables_within_budget,
    "resume": resume_within_budget, "resume_failed": resume_failed_within_budget, "rebase": rebase_within_budget,
}
#: Scenarios that do not meet TARGET yet (their test is a strict xfail: meeting it fails, so move it out).
NOT_YET: set[str] = set()  # every scenario meets it now
