"""`make demo`: the tutorial flow end to end in the terminal, then the tutorial notebook as HTML.

    python -m wap_notebook.demo [--build-dir build] [--skip-notebook]

1. a fresh embedded lakehouse in `<build>/demo-lakehouse` and a local S3 server with sample data;
2. a clean batch of orders is imported, validated and merged; a bad batch is caught, its failing rows
   shown, and discarded; a new batch is appended and merged (phases and reports printed);
3. `notebooks/01_quality_gated_ingestion.ipynb` is executed with nbclient and written to
   `<build>/01_quality_gated_ingestion.html` (and the executed `.ipynb` beside it);
4. the server is stopped. Exit code 0, or 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wap_notebook.errors import DemoFailed

if TYPE_CHECKING:
    from wap_notebook.engine.events import IngestionEvent
    from wap_notebook.ingestion import Ingestion
    from wap_notebook.lakehouse import LocalClient

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "notebooks" / "01_quality_gated_ingestion.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wap_notebook.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build"), help="where outputs go (default: build/)")
    parser.add_argument("--skip-notebook", action="store_true", help="only the terminal flow")
    args = parser.parse_args(argv)
    build = Path(args.build_dir).resolve()
    build.mkdir(parents=True, exist_ok=True)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    started = time.monotonic()
    try:
        run_flow(build)
        if not args.skip_notebook:
            html = render_tutorial(build)
            print(f"\nTutorial executed and written to {html}")
    except Exception as exc:  # noqa: BLE001 - one clear line for the terminal
        print(f"\nDEMO FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"\nDemo finished in {time.monotonic() - started:.1f} s.")
    return 0


def run_flow(build: Path) -> None:
    from wap_notebook import checks
    from wap_notebook.demo import local_s3
    from wap_notebook.ingestion import Ingestion
    from wap_notebook.lakehouse import LocalClient

    lake_path = build / "demo-lakehouse"
    shutil.rmtree(lake_path, ignore_errors=True)
    order_checks = [
        checks.not_null("order_id", "customer_id"),
        checks.unique("order_id"),
        checks.between("amount", min=0, max=10_000),
        checks.accepted_values("status", ["placed", "shipped", "delivered"]),
        checks.no_duplicates_with("main", key=["order_id"]),
    ]
    pd.set_option("display.width", 160)
    pd.set_option("display.max_colwidth", 48)
    with local_s3() as s3:
        lake = LocalClient(lake_path)
        heading(f"Embedded lakehouse at {lake.path}; S3 on {s3.endpoint_url}")

        heading("1. A clean batch of orders: write on a branch, audit, publish")
        orders = Ingestion("orders", s3.uris["orders"], checks=order_checks, client=lake)
        follow(orders)
        orders.run()
        show_report(orders)
        print(f"Merged: commit {orders.merge()}")
        print(f"orders on main: {count(lake, 'orders')} rows")
        if orders.phase != "merged":
            raise DemoFailed(f"the clean batch ended in phase {orders.phase!r}: {orders.error}")

        heading("2. A bad batch: caught on its branch, main untouched")
        bad = Ingestion("orders", s3.uris["orders_bad"], checks=order_checks, client=lake)
        follow(bad)
        bad.run()
        show_report(bad)
        if bad.phase != "failed":
            raise DemoFailed(f"the bad batch should fail its checks, but ended in phase {bad.phase!r}")
        print("\nFailing rows of between(amount):")
        print(bad.failures("between(amount)").to_string(index=False))
        print(f"orders on main: {count(lake, 'orders')} rows (unchanged)")
        bad.discard()
        print(f"Discarded: branch {bad.branch} deleted")

        heading("3. Append a new batch, merged automatically when it passes")
        more = Ingestion("orders", s3.uris["orders_append"], checks=order_checks, on_success="merge", client=lake)
        follow(more)
        more.run()
        show_report(more)
        if more.phase != "merged":
            raise DemoFailed(f"the append ended in phase {more.phase!r}: {more.error}")
        print(f"Merged: commit {more.merge_commit}; orders on main: {count(lake, 'orders')} rows")


def render_tutorial(build: Path) -> Path:
    """Execute the tutorial with nbclient (its own lakehouse and S3) and write it as HTML."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    heading(f"4. Executing {TUTORIAL.relative_to(ROOT)}")
    nb = nbformat.read(TUTORIAL, as_version=4)
    tutorial_lake = build / "tutorial-lakehouse"
    shutil.rmtree(tutorial_lake, ignore_errors=True)
    env_before = os.environ.get("WAP_TUTORIAL_LAKEHOUSE")
    os.environ["WAP_TUTORIAL_LAKEHOUSE"] = str(tutorial_lake)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(TUTORIAL.parent)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("WAP_TUTORIAL_LAKEHOUSE", None)
        else:
            os.environ["WAP_TUTORIAL_LAKEHOUSE"] = env_before
    executed = build / TUTORIAL.name
    nbformat.write(nb, executed)
    # Prefer each output's static HTML over the widget view: the page then reads offline, without the
    # widget JavaScript from a CDN (the widget state is still embedded for viewers that load it).
    config = Config({"NbConvertBase": {"display_data_priority": [
        "text/html", "application/vnd.jupyter.widget-view+json", "application/javascript", "text/markdown",
        "image/svg+xml", "image/png", "image/jpeg", "text/plain"]}})
    body, _ = HTMLExporter(config=config).from_notebook_node(nb)
    html = build / TUTORIAL.with_suffix(".html").name
    html.write_text(body, encoding="utf-8")
    return html


def follow(ingestion: Ingestion) -> None:
    """Print the phases as they happen (and import progress, once per file)."""

    files_shown: dict[str, int] = {}

    def on_event(event: IngestionEvent) -> None:
        if event.kind == "phase":
            print(f"  [{event.at:%H:%M:%S}] phase: {event.phase}")
        elif event.kind == "progress" and event.progress is not None:
            p = event.progress
            if p.files_done > files_shown.get(p.table, 0):
                files_shown[p.table] = p.files_done
                print(f"  [{event.at:%H:%M:%S}] import {p.table}: {p.files_done}/{p.files_total} files, "
                      f"{p.rows_done} rows")
        elif event.kind == "error":
            print(f"  [{event.at:%H:%M:%S}] error: {event.message}")

    ingestion.subscribe(on_event)
    print(f"Branch {ingestion.branch} from {ingestion.from_ref}; sources: {ingestion.sources}")


def show_report(ingestion: Ingestion) -> None:
    from wap_notebook.notebook.summary import report_text

    verdict = {True: "PASSED", False: "FAILED", None: "NOT VALIDATED"}[ingestion.passed]
    print(f"\nValidation report ({verdict}):")
    print(report_text(ingestion.report))  # the command line's table: with messages, "-" for what is missing


def count(lake: LocalClient, table: str) -> int:
    return int(lake.query(f"SELECT COUNT(*) AS n FROM bauplan.{table}", ref="main").column("n")[0].as_py())


def heading(text: str) -> None:
    print(f"\n=== {text}")


if __name__ == "__main__":
    sys.exit(main())
