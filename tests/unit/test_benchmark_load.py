"""The benchmarks' load marking: rows measured on a loaded machine are marked not comparable everywhere a
figure is shown (printed table, results JSON, BENCHMARKS.md block) and measured once more when the machine
has become quiet. Load readings are injected; nothing here is timed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import load, measures, report, run  # noqa: E402
from benchmarks.config import VARIANTS  # noqa: E402
from benchmarks.stats import Row, Sample  # noqa: E402


def _row(number: int = 8, n: str = "1M", unit: str = "s") -> Row:
    return Row(number, "end to end", n, Sample([1.0, 1.2], unit), Sample([1.0, 1.1], unit), "import alone",
               "<= 1.15x", 1.09, 1.0, True)


class Readings:
    """A fake 1-minute load average and clock: each read returns the next load, each tick one second."""

    def __init__(self, *loads: float) -> None:
        self.loads, self.t = list(loads), 0.0

    def read(self) -> float:
        return self.loads.pop(0)

    def now(self) -> float:
        self.t += 1.0
        return self.t


def test_a_row_carries_the_load_before_and_after_it_and_the_highest_sample_in_between() -> None:
    clock = Readings(0.5, 0.9, 1.2)
    sampler = load.LoadSampler(read=clock.read, now=clock.now)
    loads = load.RowLoads(sampler, read=clock.read, now=clock.now)  # t=1: 0.5 before the first row
    sampler.timed_samples += [(0.5, 9.0), (1.5, 4.4), (1.8, 2.0), (9.0, 7.0)]  # only 1.5 and 1.8 are inside
    first = _row()
    loads.stamp(first)  # t=2: 0.9 after
    assert (first.load_before, first.load_after, first.load_peak) == (0.5, 0.9, 4.4)
    second = _row(9)
    loads.stamp(second, same_figures_as=(first,))  # t=3: 1.2 after, nothing sampled; reuses the first's figures
    assert (second.load_before, second.load_after, second.load_peak) == (0.9, 1.2, 4.4)


def test_rows_above_one_and_a_half_per_core_are_not_comparable() -> None:
    quiet, edge, busy, memory = _row(1), _row(2), _row(3), _row(7, unit="B")
    quiet.load_peak, edge.load_peak, busy.load_peak, memory.load_peak = 1.0, 3.0, 3.1, 9.0
    assert load.mark([quiet, edge, busy, memory], nproc=2) == [busy]
    assert quiet.comparable and edge.comparable and memory.comparable and not busy.comparable  # RSS: no time
    assert load.mark([busy], nproc=4) == [] and busy.comparable  # 3.1 on 4 cores is quiet


def test_the_printed_table_the_json_and_the_markdown_block_say_not_comparable(tmp_path: Path) -> None:
    quiet, busy = _row(1), _row(8)
    quiet.load_before = quiet.load_after = quiet.load_peak = 0.7
    busy.load_before, busy.load_after, busy.load_peak = 2.0, 5.5, 6.1
    rows = [quiet, busy]
    load.mark(rows, nproc=2)
    printed = report.text_table(rows, 2).splitlines()
    assert "NOT COMPARABLE: load 6.1 on 2 cores (limit 3.0)" in printed[3]
    assert "COMPARABLE" not in printed[2]
    assert "1 not comparable" in report.summary(rows) and "rows 8" in report.summary(rows)
    info = {"date": "d", "command": "c", "elapsed_s": 1.0, "versions": {}, "loaded": True,
            "machine": {"nproc": 2, "cpu": "x", "memory_bytes": None, "platform": "p", "python": "3"},
            "load": {"start": (0.7, 0, 0), "end": (5.5, 0, 0), "samples": [6.1]}}
    document = report.results_document("quick", rows, info)
    report.write_json(tmp_path / "quick.json", document)
    saved = json.loads((tmp_path / "quick.json").read_text())
    assert [(r["comparable"], r["load_before"], r["load_after"], r["load_peak"]) for r in saved["rows"]] == [
        (True, 0.7, 0.7, 0.7), (False, 2.0, 5.5, 6.1)]
    assert saved["not_comparable"] == 1 and saved["load_limit"] == 3.0
    markdown = tmp_path / "BENCHMARKS.md"
    report.update_markdown("quick", rows, info, path=markdown)
    lines = [line for line in markdown.read_text().splitlines() if line.startswith("| 8 ")]
    assert len(lines) == 1 and "NOT COMPARABLE: load 6.1" in lines[0]
    assert "1 not comparable" in markdown.read_text()


def test_a_loaded_row_measured_again_is_replaced_and_says_what_the_first_read() -> None:
    first_8, first_10 = _row(8), _row(10)
    first_8.load_peak, first_10.load_peak = 5.0, 1.0
    again_quiet, again_busy = _row(8), _row(8, n="4M")
    again_quiet.load_peak, again_busy.load_peak = 1.1, 4.2
    rows = load.replace_rerun([first_8, first_10], {8}, [again_quiet, again_busy], nproc=2)
    assert rows == [again_quiet, again_busy, first_10]
    assert again_quiet.comparable and again_quiet.rerun == "rerun: first measurement at load 5.0"
    assert not again_busy.comparable and again_busy.rerun.startswith("rerun once, loaded again")
    assert "rerun: first measurement at load 5.0" in report.text_table(rows, 2)


def test_loaded_rows_are_not_rerun_while_the_machine_is_still_busy(monkeypatch, tmp_path: Path) -> None:
    ctx = measures.Context(VARIANTS["smoke"], None, tmp_path, "", log=lambda _: None,  # type: ignore[arg-type]
                           loads=load.RowLoads(read=lambda: 0.0))
    busy = _row(8)
    busy.load_peak = 5.0
    ctx.rows.append(busy)
    measured: list[str] = []
    monkeypatch.setattr(run, "MEASURES", ((frozenset({8}), lambda c: measured.append("8")),))
    monkeypatch.setattr(load, "one_minute_load", lambda: 4.0)
    run.rerun_loaded(ctx, {8}, nproc=2)
    assert measured == [] and ctx.rows == [busy]
    assert not busy.comparable and busy.rerun == "not rerun: load still 4.0 at the end of the run"
    assert "not rerun: load still 4.0" in report.text_table(ctx.rows, 2)


@pytest.mark.parametrize("now", [0.8, 2.9])
def test_loaded_rows_are_measured_once_more_when_the_machine_became_quiet(monkeypatch, tmp_path: Path,
                                                                          now: float) -> None:
    ctx = measures.Context(VARIANTS["smoke"], None, tmp_path, "", log=lambda _: None,  # type: ignore[arg-type]
                           loads=load.RowLoads(read=lambda: now))
    busy, other = _row(8), _row(11)
    busy.load_peak, other.load_peak = 5.0, 0.5
    ctx.rows += [busy, other]
    calls: list[int] = []

    def again(c: measures.Context) -> None:
        calls.append(8)
        c.add(_row(8))

    monkeypatch.setattr(run, "MEASURES", ((frozenset({8}), again), (frozenset({11}), lambda c: calls.append(11))))
    monkeypatch.setattr(load, "one_minute_load", lambda: now)
    run.rerun_loaded(ctx, {8, 11}, nproc=2)
    assert calls == [8]  # only the loaded measure, once
    assert [r.row for r in ctx.rows] == [8, 11] and ctx.rows[0] is not busy and ctx.rows[1] is other
    assert ctx.rows[0].comparable and ctx.rows[0].rerun == "rerun: first measurement at load 5.0"
