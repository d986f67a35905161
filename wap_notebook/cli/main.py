"""Command line: the same gate as `%wap_ingest`, for cron jobs and orchestrators.

    python -m wap_notebook ingest TABLE SOURCE [--checks checks.yaml] [--on-success merge] [...]

It takes the magic's options (same names, choices and defaults; never abbreviated) and the checks as
the same YAML a `%%wap_ingest` cell body holds (`--checks FILE`, `-` for stdin), so a notebook's ingestion
runs unchanged unattended. It prints the text summary the magic prints with `--no-panel`.

Exit status: 0 when the gate passed (merged, or kept for inspection with `--on-success inspect`);
1 when it did not (import failed or an error-severity check failed; the branch is kept or deleted as
`--on-failure` says); 2 for bad usage (options, YAML) with nothing created; 3 when the lakehouse could
not be used or an operation failed (unreachable backend, merge conflict).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wap_notebook.core.arguments import BACKEND_OPTION, INGEST_OPTIONS, add_options, ingestion_kwargs, strict
from wap_notebook.errors import InvalidSpec

EXIT_PASSED, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_OPERATION = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = strict(argparse.ArgumentParser(prog="python -m wap_notebook",
                                            description="Write-Audit-Publish ingestion into a Bauplan lakehouse"))
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = strict(sub.add_parser(
        "ingest", help="import files into a table through an import branch, check, publish",
        description="Import SOURCE into TABLE on a fresh branch, run the checks, then publish or keep it."))
    add_options(ingest, (*INGEST_OPTIONS, BACKEND_OPTION))
    ingest.add_argument("--checks", metavar="FILE", default=None,
                        help="YAML list of checks, as in a %%%%wap_ingest cell body ('-' reads stdin)")
    return parser


def _read_checks(path: str | None) -> list[Any] | None:
    """None without --checks: the table's remembered checks apply (see `Ingestion`)."""
    from wap_notebook.checks.yaml_form import parse_checks

    if path is None:
        return None
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidSpec(f"--checks: cannot read {path}: {exc.strerror or exc}") from None
    return parse_checks(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit with status 2, as argparse does
    from wap_notebook.backend import connect
    from wap_notebook.errors import BackendUnavailable
    from wap_notebook.ingestion import Ingestion
    from wap_notebook.notebook.summary import text_summary

    try:
        checks = _read_checks(args.checks)
        client = connect(args.backend or "auto")
        ingestion = Ingestion(args.table, args.source, checks=checks, client=client, **ingestion_kwargs(args))
    except BackendUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OPERATION
    except ValueError as exc:  # bad options or checks: found before any branch exists
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        ingestion.run()
    except Exception as exc:  # noqa: BLE001 - the CLI reports in one line and exits non-zero
        print(text_summary(ingestion))
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_GATE_FAILED if ingestion.passed is False else EXIT_OPERATION
    print(text_summary(ingestion))
    return EXIT_PASSED if ingestion.passed else EXIT_GATE_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
