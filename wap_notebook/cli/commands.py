"""What each `python -m wap_notebook` subcommand does, and the one place errors become exit statuses."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from wap_notebook.engine.client import LakehouseClient
    from wap_notebook.ingestion import Ingestion

EXIT_PASSED, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_OPERATION = 0, 1, 2, 3
PROGRAM = "python -m wap_notebook"

Command = Callable[[argparse.Namespace], int]


def reporting(command: Callable[[argparse.Namespace, LakehouseClient], int]) -> Command:
    """Connect, run the command, and turn what it raises into one `error:` line and an exit status."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from wap_notebook.errors import ActionNotAllowed, BackendUnavailable, MergeRefused

        try:
            return command(args, _open(args))
        except BackendUnavailable as exc:
            return _error(exc, EXIT_OPERATION)
        except (MergeRefused, ActionNotAllowed) as exc:  # the gate held
            return _error(exc, EXIT_GATE_FAILED)
        except ValueError as exc:  # bad options, checks or names: found before anything changed
            return _error(exc, EXIT_USAGE)
        except Exception as exc:  # noqa: BLE001 - the CLI reports in one line and exits non-zero
            return _error(f"{type(exc).__name__}: {exc}", EXIT_OPERATION)

    return run


def _open(args: argparse.Namespace) -> LakehouseClient:
    """The lakehouse a command reads, never created by it: for a branch without --backend, the one this
    machine's registry of ingestions names for it (else the configured one)."""
    from wap_notebook.backend import connect, connect_for_branch

    branch = getattr(args, "branch", None)
    if branch and args.backend is None:
        return connect_for_branch(branch)[0]
    return connect(args.backend or "auto", create=False)


def _error(message: object, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def read_checks(path: str | None) -> list[Any] | None:
    """None without --checks: the table's remembered checks apply (see `Ingestion`)."""
    from wap_notebook.checks.yaml_form import parse_checks
    from wap_notebook.errors import InvalidSpec

    if path is None:
        return None
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidSpec(f"--checks: cannot read {path}: {exc.strerror or exc}") from None
    return parse_checks(text, origin="standard input" if path == "-" else path)


def summary(ingestion: Ingestion) -> str:
    from wap_notebook.notebook.summary import text_summary

    return text_summary(ingestion, commands=PROGRAM)


def verdict_status(ingestion: Ingestion) -> int:
    if ingestion.phase == "error":
        return EXIT_OPERATION
    return EXIT_PASSED if ingestion.passed or ingestion.phase == "merged" else EXIT_GATE_FAILED


def table_text(frame: pd.DataFrame) -> str:
    """A listing as plain text: "-" for what is missing, never pandas' `<NA>` or `None`."""
    shown = frame.astype(object)
    return str(shown.where(shown.notna(), "-").to_string(index=False))


def _resume(client: LakehouseClient, branch: str, checks: list[Any] | None = None) -> Ingestion:
    from wap_notebook.ingestion import Ingestion

    return Ingestion.resume(branch, client=client, checks=checks)


# ---------------------------------------------------------------------------------------------- commands
def ingest(args: argparse.Namespace) -> int:
    from wap_notebook.backend import connect
    from wap_notebook.core.arguments import ingestion_kwargs
    from wap_notebook.errors import BackendUnavailable
    from wap_notebook.ingestion import Ingestion

    try:
        report = report_target(args.report)
        checks = read_checks(args.checks)
        client = connect(args.backend or "auto")
        ingestion = Ingestion(args.table, args.source, checks=checks, client=client, **ingestion_kwargs(args))
    except BackendUnavailable as exc:
        return _error(exc, EXIT_OPERATION)
    except ValueError as exc:  # bad options or checks: found before any branch exists
        return _error(exc, EXIT_USAGE)
    try:
        ingestion.run()
    except Exception as exc:  # noqa: BLE001 - the CLI reports in one line and exits non-zero
        print(summary(ingestion))
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        write_report(ingestion, report)
        return EXIT_GATE_FAILED if ingestion.passed is False else EXIT_OPERATION
    print(summary(ingestion))
    write_report(ingestion, report)
    return verdict_status(ingestion)


def report_target(path: str | None) -> Path | None:
    """Where `--report` writes, refused before anything runs when its folder does not exist.

    Raises:
        InvalidSpec: the folder is missing, or the path is a folder.
    """
    from wap_notebook.errors import InvalidSpec

    if path is None:
        return None
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidSpec(f"--report {path}: is a folder; give a file name such as {target / 'report.html'}")
    if not target.parent.is_dir():
        raise InvalidSpec(f"--report {path}: the folder {target.parent} does not exist")
    return target


def write_report(ingestion: Ingestion, target: Path | None) -> None:
    """Write the HTML report when asked. A report that cannot be written is said on stderr and changes
    nothing else: the ingestion's outcome (merged, kept, discarded) and exit status stand."""
    if target is None:
        return
    try:
        written = ingestion.to_html(target)
    except Exception as exc:  # noqa: BLE001 - the ingestion is done; the report is an extra
        print(f"warning: the report could not be written to {target}: {type(exc).__name__}: {exc} "
              f"(the ingestion itself is unaffected)", file=sys.stderr)
        return
    print(f"report: {written}")


@reporting
def list_branches(args: argparse.Namespace, client: LakehouseClient) -> int:
    from wap_notebook.ingestion import list_ingestions

    listed = list_ingestions(client)
    if not len(listed):
        print("no open import branches")
        return EXIT_PASSED
    print(table_text(listed[["branch", "tables", "phase", "verdict", "rows_added", "created_by", "age"]]))
    return EXIT_PASSED


@reporting
def show(args: argparse.Namespace, client: LakehouseClient) -> int:
    report = report_target(args.report)
    ingestion = _resume(client, args.branch)
    print(summary(ingestion))
    write_report(ingestion, report)
    return EXIT_PASSED


@reporting
def merge(args: argparse.Namespace, client: LakehouseClient) -> int:
    from wap_notebook.errors import InvalidSpec

    if args.force and not (args.reason or "").strip():
        raise InvalidSpec("merge --force needs --reason TEXT: why failed checks are published (recorded in the "
                          "merge commit)")
    if args.reason is not None and not args.force:
        raise InvalidSpec("--reason is only used with --force (the reason for publishing failed checks)")
    ingestion = _resume(client, args.branch)
    if ingestion.state.imported and ingestion.passed is None:
        ingestion.validate()  # no verdict for the data on the branch: the gate needs one
    if ingestion.passed is not True and not args.force:
        print(summary(ingestion))
        return _error(f"not merged: the checks of {args.branch} did not pass. Publishing anyway needs "
                      f"{PROGRAM} merge {args.branch} --force --reason TEXT (recorded in the merge commit)",
                      EXIT_GATE_FAILED)
    force = bool(args.force) and ingestion.passed is not True
    if args.force and not force:
        print("note: the checks passed; --force and --reason were not needed and are not recorded")
    ingestion.merge(force=force, reason=args.reason if force else None)
    print(summary(ingestion))
    return EXIT_PASSED


@reporting
def discard(args: argparse.Namespace, client: LakehouseClient) -> int:
    ingestion = _resume(client, args.branch)
    ingestion.discard()
    print(summary(ingestion))
    return EXIT_PASSED


@reporting
def resume(args: argparse.Namespace, client: LakehouseClient) -> int:
    checks = read_checks(args.checks)
    ingestion = _resume(client, args.branch, checks)
    if ingestion.phase == "error" and not ingestion.state.imported:
        ingestion.rebase()  # the import never finished: import the same files again on a fresh branch
    elif ingestion.state.imported and (checks is not None or ingestion.passed is None):
        ingestion.validate()
    print(summary(ingestion))
    return verdict_status(ingestion)


@reporting
def prune(args: argparse.Namespace, client: LakehouseClient) -> int:
    from wap_notebook.ingestion import list_ingestions

    pruned = list_ingestions(client).prune(args.older_than, dry_run=not args.yes)
    if not len(pruned):
        print(f"no open import branches older than {args.older_than}")
        return EXIT_PASSED
    print(table_text(pruned))
    if not args.yes:
        print(f"nothing deleted: {PROGRAM} prune --older-than {args.older_than} --yes deletes these")
    return EXIT_PASSED


@reporting
def history(args: argparse.Namespace, client: LakehouseClient) -> int:
    from wap_notebook.ingestion import history as merged_ingestions

    merged = merged_ingestions(args.table, client, args.limit, namespace=args.namespace, ref=args.from_ref)
    if not len(merged):
        print(f"no audited merges into {args.namespace}.{args.table} on {args.from_ref}")
        return EXIT_PASSED
    print(table_text(merged))
    return EXIT_PASSED


COMMANDS: dict[str, Command] = {
    "ingest": ingest, "list": list_branches, "show": show, "merge": merge, "discard": discard,
    "resume": resume, "prune": prune, "history": history,
}
