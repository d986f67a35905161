"""Command line: the same gate as `%wap_ingest`, for cron jobs and orchestrators, and the rest of the job.

    python -m wap_notebook ingest TABLE SOURCE [--checks checks.yaml] [--on-success merge] [--report FILE] [...]
    python -m wap_notebook list | show BRANCH [--report FILE] | merge BRANCH [--force --reason TEXT] | discard BRANCH
    python -m wap_notebook resume BRANCH | prune [--older-than 7d] [--yes] | history TABLE

`ingest` takes the magic's options (same names, choices and defaults; never abbreviated) and the checks as
the same YAML a `%%wap_ingest` cell body holds (`--checks FILE`, `-` for stdin), so a notebook's ingestion
runs unchanged unattended. It prints the text summary the magic prints with `--no-panel`. The other
commands finish what an ingestion kept for review, from any process (`Ingestion.resume` under the hood):
the gate holds here too, so `merge` of a branch whose checks failed needs `--force` and `--reason`, and
the reason is recorded in the merge commit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wap_notebook.cli import commands
from wap_notebook.cli.commands import EXIT_GATE_FAILED, EXIT_OPERATION, EXIT_PASSED, EXIT_USAGE
from wap_notebook.core.arguments import BACKEND_OPTION, INGEST_OPTIONS, add_options, strict

__all__ = ["EXIT_GATE_FAILED", "EXIT_OPERATION", "EXIT_PASSED", "EXIT_USAGE", "build_parser", "main"]

EXIT_CODES = f"""\
exit status:
  {EXIT_PASSED}  done: the gate passed (merged, or kept with --on-success inspect), or the command succeeded
  {EXIT_GATE_FAILED}  the gate did not pass: the import failed, an error-severity check failed, or a merge was
     refused (failed checks without --force --reason)
  {EXIT_USAGE}  bad usage (options, YAML checks, an unknown branch or table name); nothing was created
  {EXIT_OPERATION}  the lakehouse could not be used or an operation failed (unreachable backend, merge conflict)
"""


def _sub(sub: argparse._SubParsersAction, name: str, help_text: str, description: str,  # type: ignore[type-arg]
         ) -> argparse.ArgumentParser:
    parser = strict(sub.add_parser(name, help=help_text, description=description, epilog=EXIT_CODES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter))
    add_options(parser, (BACKEND_OPTION,))
    return parser


def _checks_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--checks", metavar="FILE", default=None,
                        help=f"YAML list of checks, as in a %%%%wap_ingest cell body ('-' reads stdin); {what}")


def _report_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", metavar="FILE", default=None,
                        help="also write the ingestion's self-contained HTML report (summary, checks, failing "
                             "rows, charts, schema, diff; readable offline) to FILE")


def build_parser() -> argparse.ArgumentParser:
    parser = strict(argparse.ArgumentParser(prog="python -m wap_notebook",
                                            description="Write-Audit-Publish ingestion into a Bauplan lakehouse",
                                            epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ingest = _sub(sub, "ingest", "import files into a table through an import branch, check, publish",
                  "Import SOURCE into TABLE on a fresh branch, run the checks, then publish or keep it.")
    add_options(ingest, INGEST_OPTIONS)
    _checks_option(ingest, "without it, the checks last merged into the table run")
    _report_option(ingest)
    _sub(sub, "list", "list your open import branches",
         "One line per open import branch: tables, phase, verdict, rows added, who, age.")
    show = _sub(sub, "show", "show an import branch's verdict, checks and failing values",
                "Show what an open import branch holds: the verdict, the checks report and failing values.")
    show.add_argument("branch", help="import branch (as `list` shows it)")
    _report_option(show)
    merge = _sub(sub, "merge", "publish an import branch into the ref it came from",
                 "Merge BRANCH into its ref. A branch whose checks failed (or were never run) is merged only "
                 "with --force and --reason, and the reason is recorded in the merge commit.")
    merge.add_argument("branch", help="import branch (as `list` shows it)")
    merge.add_argument("--force", action="store_true", help="publish although error-severity checks failed")
    merge.add_argument("--reason", metavar="TEXT", default=None, help="why (required with --force; recorded)")
    discard = _sub(sub, "discard", "delete an import branch", "Delete BRANCH and what it imported; main is untouched.")
    discard.add_argument("branch", help="import branch (as `list` shows it)")
    resume = _sub(sub, "resume", "continue an import branch: validate it if it has no verdict",
                  "Rebuild the ingestion of BRANCH from its record, validate it when it has no verdict yet "
                  "(or with --checks, against those checks), and print the outcome.")
    resume.add_argument("branch", help="import branch (as `list` shows it)")
    _checks_option(resume, "replaces the recorded checks and validates again")
    prune = _sub(sub, "prune", "delete stale import branches",
                 "List the open import branches older than --older-than; with --yes, delete them.")
    prune.add_argument("--older-than", dest="older_than", default="7d", metavar="AGE",
                       help="age such as 7d, 12h, 30m (default: 7d)")
    prune.add_argument("--yes", action="store_true", help="delete them (without it, only list what would go)")
    history = _sub(sub, "history", "what was published into a table, newest first",
                   "One line per audited merge into TABLE: commit, when, who, rows added, checks, forced reason.")
    history.add_argument("table", help="table name")
    history.add_argument("--namespace", default="bauplan", help="namespace of the table (default: bauplan)")
    history.add_argument("--from-ref", dest="from_ref", default="main", help="ref to read (default: main)")
    history.add_argument("--limit", type=int, default=50, help="most recent merges shown (default: 50)")
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """argparse, except that an unknown option is reported by the subcommand that was given it, so the
    "did you mean" names that subcommand's options. Usage errors exit with status 2, as argparse does."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subparsers.choices[args.command].error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    return commands.COMMANDS[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
