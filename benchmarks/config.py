"""Sizes and repetition counts of each benchmark variant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    chunk_rows: int  # rows per generated source file
    sizes: tuple[int, int, int]  # N1, N2, N3 ("1M, 4M, 16M" in the full variant)
    text_sizes: tuple[int, ...]  # N for the CSV / JSON Lines imports (row 2)
    reps: int  # repetitions of each timed figure
    reps_large: int  # repetitions at N3 (the largest N)
    branch_tables: int  # row 5: tables in the "large" lakehouse
    branch_table_rows: int  # row 5: rows per table of the "large" lakehouse
    branch_reps: int  # row 5 / row 6: repetitions of create_branch / merge_branch (cheap operations)
    pandera_sizes: tuple[int, ...]  # row 4: N where pandas + pandera is measured
    rss_sizes: tuple[int, int]  # row 7: the two N compared for flat memory
    rss_reps: int
    e2e_size: int  # unused since row 8 runs at every N (kept so old results files still describe their run)
    small_reps: int = 20  # row 11: repetitions of the small-batch ingestion (each well under a second)

    @property
    def merge_table_rows(self) -> int:
        """Row 6: rows per table of the 20 "large" changed tables (20 tables hold N3 rows together)."""
        return self.sizes[-1] // 20

    @property
    def labels(self) -> dict[int, str]:
        return {n: human(n) for n in self.sizes}


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}K"
    return str(n)


FULL = Variant(
    name="full", chunk_rows=250_000, sizes=(1_000_000, 4_000_000, 16_000_000), text_sizes=(1_000_000, 4_000_000),
    reps=5, reps_large=3, branch_tables=100, branch_table_rows=1_000_000, branch_reps=30,
    pandera_sizes=(1_000_000, 4_000_000), rss_sizes=(4_000_000, 16_000_000), rss_reps=1, e2e_size=4_000_000,
)
QUICK = Variant(
    name="quick", chunk_rows=100_000, sizes=(200_000, 400_000, 800_000), text_sizes=(200_000,),
    reps=3, reps_large=3, branch_tables=100, branch_table_rows=10_000, branch_reps=20,
    pandera_sizes=(200_000,), rss_sizes=(400_000, 800_000), rss_reps=1, e2e_size=400_000,
)
# Even smaller, for the smoke test: exercises every row in a few seconds, figures meaningless.
SMOKE = Variant(
    name="smoke", chunk_rows=10_000, sizes=(10_000, 20_000, 40_000), text_sizes=(10_000,),
    reps=1, reps_large=1, branch_tables=20, branch_table_rows=1_000, branch_reps=5,
    pandera_sizes=(10_000,), rss_sizes=(20_000, 40_000), rss_reps=1, e2e_size=20_000, small_reps=2,
)
VARIANTS = {v.name: v for v in (FULL, QUICK, SMOKE)}
