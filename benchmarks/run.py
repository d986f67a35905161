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
import threading
import time
from pathlib import Path

from benchmarks import measures, report
from benchmarks.config import VARIANTS
from benchmarks.data import DATA_ROOT, prepare, upload

RESULTS = Path(__file__).resolve().parent / "results"
ALL_ROWS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
NEEDS_IMPORT = {3, 4, 6, 9}  # rows built on row 1's imports


class LoadSampler(threading.Thread):
    """The 1-minute load average every 10 s of the run: the machine is shared, so say how busy it was."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(10):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> None:
        self._done.set()


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
    sampler = LoadSampler()
    sampler.start()
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
            ctx = measures.Context(variant, dataset, work, server.endpoint_url, log=log)
            measures.warm_up(ctx)
            if 1 in only:
                measures.import_speed_and_scaling(ctx)
            if only & {3, 4}:
                measures.validation_vs_pandera(ctx)
            if 5 in only:
                measures.branch_creation(ctx)
            if 6 in only:
                measures.merges(ctx)
            if 7 in only:
                measures.import_peak_memory(ctx)
            if 8 in only:
                measures.end_to_end_vs_bare_import(ctx)
            if 10 in only:
                measures.ingestion_vs_pandas_route(ctx)
            if 11 in only:
                measures.small_batch_latency(ctx)
            if 12 in only:
                measures.jsonl_from_s3_vs_local(ctx)
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
    # Our own run keeps about one core busy; more than that on average means other work was running.
    info["loaded"] = max([load_start[0], load_end[0], *sampler.samples]) > 1.5
    print()
    print(report.text_table(rows))
    print()
    met = sum(r.met for r in rows)
    print(f"{met} of {len(rows)} rows meet their target; {elapsed:.0f} s; load average "
          f"{load_start[0]:.1f} -> {load_end[0]:.1f} on {info['machine']['nproc']} cores")
    document = report.results_document(variant.name, rows, info)
    if args.results_dir is not None or variant.name != "smoke":
        report.write_json((args.results_dir or RESULTS) / f"{variant.name}.json", document)
    if not args.no_markdown and variant.name != "smoke" and only == set(ALL_ROWS):
        report.update_markdown(variant.name, rows, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
