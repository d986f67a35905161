"""The options of an ingestion, declared once for `%wap_ingest` and `python -m wap_notebook ingest`.

A notebook's ingestion must run unchanged from cron, so the magic and the command line take the same
options with the same names, choices and defaults. Both parsers refuse abbreviations (argparse would
otherwise take `--on-succes` for `--on-success`, and `--on` for whichever option it happens to match)
and unknown options: a typo in a gate's configuration is an error, never a guess.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, NoReturn

from wap_notebook.core.options import BACKENDS, MODES, ON_CONFLICT, ON_FAILURE, ON_SUCCESS
from wap_notebook.core.suggest import did_you_mean

_UNRECOGNIZED = "unrecognized arguments: "  # argparse's wording for unknown options


@dataclass(frozen=True)
class Option:
    """One `add_argument` call: flags and keyword arguments, as argparse takes them."""

    flags: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


def _option(*flags: str, **kwargs: Any) -> Option:
    return Option(flags, kwargs)


# What the Python API calls these options (`Ingestion(...)` keywords) is each option's `dest`.
INGEST_OPTIONS: tuple[Option, ...] = (
    _option("table", help="table to ingest into (in NAMESPACE)"),
    _option("source", help="source URI or glob, e.g. s3://bucket/orders/*.parquet"),
    _option("--namespace", default="bauplan", help="namespace of the table (default: bauplan)"),
    _option("--on-success", dest="on_success", default="inspect", choices=ON_SUCCESS,
            help="after passing checks: keep the branch to inspect, or merge it (default: inspect)"),
    _option("--on-failure", dest="on_failure", default="inspect", choices=ON_FAILURE,
            help="after failing checks: keep the branch to inspect, or delete it (default: inspect)"),
    _option("--mode", default="auto", choices=MODES,
            help="auto: append when the table exists on FROM_REF, create otherwise (default: auto)"),
    _option("--from-ref", dest="from_ref", default="main", help="ref to branch from and merge into (default: main)"),
    _option("--on-conflict", dest="on_conflict", default="fail", choices=ON_CONFLICT,
            help="when FROM_REF changed under the tables before the merge: fail (keep the branch), or rebase "
                 "(re-import the same files on the new head and re-validate, a few times at most)"),
    _option("--import-duplicate-files", dest="import_duplicate_files", action="store_true",
            help="import files even if they were already imported into the table (refused by default)"),
)

# The option each backend-related message recommends; tests check they exist in both parsers.
BACKEND_OPTION = _option("--backend", default=None, choices=BACKENDS,
                         help="auto: Bauplan when credentials are configured, else the embedded lakehouse "
                              "(default: auto, or WAP_BACKEND)")


def add_options(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> argparse.ArgumentParser:
    for option in options:
        parser.add_argument(*option.flags, **option.kwargs)
    return parser


def strict(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """No abbreviated long options, and "did you mean --on-success?" for a mistyped one.

    `MagicArgumentParser` takes no `allow_abbrev` argument, and argparse reads the attribute when parsing,
    so it is set on the built parser. Its `error` (a `UsageError` in the magic, exit status 2 on the command
    line) is wrapped so an unrecognized option names the closest one this parser has."""
    parser.allow_abbrev = False
    report = parser.error

    def error(message: str) -> NoReturn:
        report(message + option_hint(message, parser))
        raise AssertionError("unreachable: argparse's error() does not return")  # pragma: no cover

    parser.error = error  # type: ignore[method-assign]
    return parser


def option_hint(message: str, parser: argparse.ArgumentParser) -> str:
    """"; did you mean --on-success?" for each unrecognized `--option` in argparse's `message`, or ""."""
    if not message.startswith(_UNRECOGNIZED):
        return ""
    known = [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]
    hints = []
    for token in message[len(_UNRECOGNIZED):].split():
        if not token.startswith("--"):
            continue
        close = did_you_mean(token.split("=", 1)[0], known)
        if close:
            hints.append(f"{token.split('=', 1)[0]}: did you mean {close}?")
    return f" ({'; '.join(hints)})" if hints else ""


def ingestion_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The `Ingestion(...)` keywords a parsed command line asks for (all but table, source, checks)."""
    return {
        "namespace": args.namespace,
        "on_success": args.on_success,
        "on_failure": args.on_failure,
        "mode": args.mode,
        "from_ref": args.from_ref,
        "import_duplicate_files": bool(args.import_duplicate_files),
        "on_conflict": args.on_conflict,
    }
