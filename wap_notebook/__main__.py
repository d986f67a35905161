"""Command line: ``python -m wap_notebook ingest TABLE URI [--namespace NS] [--on-success] [--on-failure]``.

Runs the quality-gated update (`wap_notebook.quality_gated_update`) against the backend chosen by
`wap_notebook.connect()` (Bauplan when credentials are configured, the embedded lakehouse otherwise).
Exit code 0 on success, 1 on failure (including a branch kept for inspection after failed checks).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wap_notebook.options import ON_FAILURE, ON_SUCCESS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wap_notebook",
                                     description="Write-Audit-Publish ingestion into a Bauplan lakehouse")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="import files into a table through an import branch, check, publish")
    ingest.add_argument("table", help="table name (letters, digits, underscores)")
    ingest.add_argument("uri", help="source URI or glob, e.g. s3://bucket/path/*.parquet")
    ingest.add_argument("--namespace", default="bauplan")
    ingest.add_argument("--on-success", choices=ON_SUCCESS, default="inspect")
    ingest.add_argument("--on-failure", choices=ON_FAILURE, default="inspect")
    ingest.add_argument("--backend", choices=("auto", "local", "bauplan"), default="auto",
                        help="which lakehouse to use (default: Bauplan if credentials are configured)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from wap_notebook.backend import connect
    from wap_notebook.reference import quality_gated_update

    try:
        client = connect(args.backend)
        quality_gated_update(args.table, args.uri, namespace=args.namespace, on_success=args.on_success,
                             on_failure=args.on_failure, client=client)
    except Exception as exc:  # noqa: BLE001 - the CLI reports and exits non-zero
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
