"""Run the benchmark suite: `python -m benchmarks.run --quick|--full`.

Generates (once) the deterministic data under benchmarks/data/<variant>/, starts a moto S3 server on
127.0.0.1, uploads the data, measures rows 1-12 against their same-run baselines, prints the table and
writes benchmarks/results/<variant>.json and the variant's block of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import load, measures, report
from benchmarks.config import VARIANTS
from benchmarks.data import DATA_ROOT, prepare, upload

RESULTS = Path(__file__).resolve().parent / "results"
ALL_ROWS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
NEEDS_IMPORT = {3, 4, 6, 9}  # rows built on row 1's imports
#: Each measure and the rows it produces (rows 2 and 9 come with row 1's imports, row 4 with row 3).
MEASURES: tuple[tuple[frozenset[int], Callable[[measures.Context], None]], ...] = (
    (frozenset({1, 2, 9}), measures.import_speed_and_scaling),
    (frozenset({3, 4}), measures.validation_vs_pandera),
    (frozenset({5}), measures.branch_creation),
    (frozenset({6}), measures.merges),
    (frozenset({7}), measures.import_peak_memory),
    (frozenset({8}), measures.end_to_end_vs_bare_import),
    (frozenset({10}), measures.ingestion_vs_pandas_route),
    (frozenset({11}), measures.small_batch_latency),
    (frozenset({12}), measures.jsonl_from_s3_vs_local),
)


def measure_all(ctx: measures.Context, only: set[int]) -> None:
    for rows, measure in MEASURES:
        if rows & only:
            ctx.loads.begin()
            measure(ctx)


def rerun_loaded(ctx: measures.Context, only: set[int], nproc: int) -> None:
    """Measure once more every selected measure that produced a row taken on a loaded machine, if the machine
    is quiet now; otherwise say so on those rows."""
    loaded = {r.row for r in load.mark(ctx.rows, nproc) if r.row in only}
    if not loaded:
        return
    now = load.one_minute_load()
    if not load.quiet(now, nproc):
        print(f"rows {sorted(loaded)} were measured above the load limit; load still {now:.1f}: not rerun")
        load.not_rerun(ctx.rows, now, nproc)
        return
    for rows, measure in MEASURES:
        if not rows & loaded:
            continue
        print(f"  again (measured above the load limit, now {load.one_minute_load():.1f}): rows {sorted(rows)}")
        first, ctx.rows = ctx.rows, []
        ctx.loads.begin()
        measure(ctx)
        ctx.rows = load.replace_rerun(first, set(rows), ctx.rows, nproc)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--full", dest="variant", action="store_const", const="full",
                       help="N = 1M / 4M / 16M, 5 repetitions (3 at 16M)")
    group.add_argument("--quick", dest="variant", action="store_const", const="quick",
                       help="N = 200K / 400K / 800K, 3 repetitions; under 2 minutes")
    group.add_argument("--smoke", dest="variant", action="store_const", const="smoke",
                       help="tiny sizes for the smoke test: every row runs, figures are meaningless")
    parser.add_argument("--data-dir", type=Path, help="where generated data is cached (default benchmarks/data/)")
    parser.add_argument("--results-dir", type=Path, default=None, help="where <variant>.json goes")
    parser.add_argument("--no-markdown", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--only", default="", help="comma-separated rows to run (row 1 runs if others need it)")
    args = parser.parse_args(argv)
    args.variant = args.variant or "quick"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    variant = VARIANTS[args.variant]
    only = {int(x) for x in args.only.split(",") if x.strip()} or set(ALL_ROWS)
    if only & NEEDS_IMPORT:
        only.add(1)
    started = time.perf_counter()
    load_start = os.getloadavg()
    sampler = load.LoadSampler()
    sampler.start()
    nproc = report.machine()["nproc"]
    log = print
    log(f"wap-notebook benchmarks, {variant.name} variant (N = {', '.join(map(str, variant.sizes))})")
    data_root = (args.data_dir or DATA_ROOT) / variant.name
    dataset = prepare(variant, data_root, log=log)

    from wap_notebook.demo.s3 import s3_environment, start_s3_server

    work = Path(tempfile.mkdtemp(prefix="work-", dir=data_root))
    # moto answers every GET, ranged or not, by reading the whole object; keep objects in memory (not in
    # spooled temp files) so that artifact costs a memory copy, not a disk read.
    saved = os.environ.get("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE")
    os.environ["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = str(1 << 30)
    try:
        server = start_s3_server()
    finally:
        if saved is None:
            os.environ.pop("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE")
        else:
            os.environ["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = saved
    try:
        with s3_environment(server):
            upload(dataset, server, log=log)
            ctx = measures.Context(variant, dataset, work, server.endpoint_url, log=log,
                                   loads=load.RowLoads(sampler))
            measures.warm_up(ctx)
            measure_all(ctx, only)
            rerun_loaded(ctx, only, nproc)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    rows = sorted((r for r in ctx.rows if r.row in only), key=lambda r: r.row)
    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()
    sampler.stop()
    info = {
        "date": report.stamp(),
        "command": "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "elapsed_s": elapsed,
        "machine": report.machine(),
        "versions": report.versions(),
        "load": {"start": load_start, "end": load_end, "samples": sampler.samples},
    }
    info["loaded"] = not load.quiet(max([load_start[0], load_end[0], *sampler.samples]), nproc)
    load.mark(rows, nproc)
    print()
    print(report.text_table(rows, nproc))
    print()
    print(f"{report.summary(rows)}; {elapsed:.0f} s; load average "
          f"{load_start[0]:.1f} -> {load_end[0]:.1f} on {nproc} cores")
    document = report.results_document(variant.name, rows, info)
    if args.results_dir is not None or variant.name != "smoke":
        report.write_json((args.results_dir or RESULTS) / f"{variant.name}.json", document)
    if not args.no_markdown and variant.name != "smoke" and only == set(ALL_ROWS):
        report.update_markdown(variant.name, rows, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
