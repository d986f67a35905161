"""`%wap_ingest` / `%%wap_ingest`: a quality-gated ingestion in one notebook line.

    %load_ext wap_notebook
    %wap_ingest orders s3://bucket/orders/*.parquet --on-success merge

    %%wap_ingest orders {orders_uri} --as orders_ingestion
    - not_null: [order_id, customer_id]
    - unique: order_id
    - between: {column: amount, min: 0}

Everything is checked before any branch exists: the options (by the `Ingestion` constructor) and the
YAML checks of the cell body. A problem there is a short `UsageError`, not a traceback.

Execution model. By default the magic imports and validates synchronously: the cell finishes once the
ingestion reached passed / failed (and its `--on-success` / `--on-failure` policy was applied), so the
next cell, `nbclient` and scripts see a complete object. The panel is displayed first and updates live
while the cell runs (progress bar, phase strip). `--background` instead runs the work on the panel's
worker thread and returns at once, so the notebook stays usable during a long import. The panel's
buttons (Merge, Discard, Re-validate) always run on that worker thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.utils.text import DollarFormatter

from wap_notebook.checks.yaml_form import parse_checks
from wap_notebook.core.arguments import BACKEND_OPTION, INGEST_OPTIONS, Option, ingestion_kwargs, strict
from wap_notebook.core.background import start as start_background
from wap_notebook.notebook.summary import text_summary


def magic_options(options: tuple[Option, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a magic with `@argument(...)` for each option, in order (outermost is added first)."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = argument(*option.flags, **option.kwargs)(func)
        return func

    return decorate


@magics_class
class WapMagics(Magics):
    @no_var_expand  # expanded by `expand_variables`, which names what does not resolve
    @magic_arguments()
    @magic_options(INGEST_OPTIONS)
    @argument("--as", dest="name", default="ingestion", metavar="NAME",
              help="variable that receives the Ingestion object (default: ingestion)")
    @argument("--no-panel", dest="no_panel", action="store_true",
              help="print a text summary instead of showing the interactive panel")
    @argument("--reimport", action="store_true",
              help="import again even if this cell's branch is still open with the same sources (by default "
                   "a re-run re-validates that branch with the cell's current checks)")
    @argument("--background", action="store_true",
              help="return at once and import/validate on a worker thread; the panel shows progress")
    @magic_options((BACKEND_OPTION,))
    @line_cell_magic
    def wap_ingest(self, line: str, cell: str | None = None) -> Any:
        """Ingest SOURCE into TABLE on a fresh branch, check it, and show the Write-Audit-Publish panel.

        `{name}` (or `$name`) in the line expands from the notebook; a name that is not defined is an error.
        Options are never abbreviated. As a cell magic, the cell body lists the checks in YAML, one item per
        check, named as in `wap_notebook.checks` (row_count, not_null, unique, accepted_values, between,
        matches, schema_compatible, no_duplicates_with, sql, custom, references, fresh, column_stat, expression,
        length, drift, row_count_vs_history), with an optional `severity: warn` and, on row-level checks, a
        tolerance (`mostly: 0.99` or `max_failing: 5` / `"1%"`)::

            %%wap_ingest orders s3://bucket/orders/*.parquet
            - not_null: [order_id, customer_id]
            - unique: order_id
            - between: {column: amount, min: 0, max: 10000}
            - accepted_values: {column: status, values: [placed, shipped, delivered]}
            - sql: {name: ship_after_order, query: "SELECT * FROM {table} WHERE shipped_at < ordered_at"}
              severity: warn

        The Ingestion object is bound to NAME (default `ingestion`) and returned.
        """
        user_ns = self.shell.user_ns if self.shell is not None else {}
        line = expand_variables(line, user_ns)
        try:
            args = parse_argstring(self.wap_ingest, line)  # bad options raise UsageError
        except SystemExit:  # argparse exits on some errors; never kill the kernel's cell
            raise UsageError(f"%wap_ingest: could not parse arguments: {line!r}") from None
        if not args.name.isidentifier():
            raise UsageError(f"%wap_ingest: --as needs a Python identifier; got {args.name!r}")
        ingestion = build_ingestion(args, cell, user_ns)
        from wap_notebook.notebook.rerun import remember, revalidation_target

        previous = revalidation_target(user_ns.get(args.name), ingestion, reimport=args.reimport)
        if previous is not None:
            user_ns[args.name] = previous
            revalidate_in_panel(previous, ingestion, panel=not args.no_panel)
            ingestion = previous
        else:
            user_ns[args.name] = ingestion
            remember(ingestion)
            run_ingestion(ingestion, panel=not args.no_panel, background=args.background)
        if not args.no_panel:
            from wap_notebook.notebook.panel.widget import skip_next_display

            skip_next_display(ingestion)  # already shown: the returned value must not show it twice
        self.last_ingestion = ingestion
        return ingestion

    @magic_arguments()
    @argument("name", nargs="?", default=None,
              help="variable holding the ingestion (default: the last one %%%%wap_ingest ran)")
    @argument("--table", default=None, help="which of the ingestion's tables {table} names (default: the first)")
    @cell_magic
    def wap_sql(self, line: str, cell: str) -> Any:
        """Run the cell's SQL on an ingestion's branch and return a DataFrame; `{table}` names its table::

            %%wap_sql
            SELECT carrier, COUNT(*) AS n FROM {table} GROUP BY carrier ORDER BY n DESC
        """
        try:
            args = parse_argstring(self.wap_sql, line)
        except SystemExit:
            raise UsageError(f"%%wap_sql: could not parse arguments: {line!r}") from None
        user_ns = self.shell.user_ns if self.shell is not None else {}
        target = user_ns.get(args.name) if args.name else getattr(self, "last_ingestion", None)
        if target is None or not hasattr(target, "query"):
            which = f"{args.name!r} is not an ingestion" if args.name else "no %%wap_ingest ran in this session"
            raise UsageError(f"%%wap_sql: {which}; name one: %%wap_sql my_ingestion")
        try:
            return target.query(cell, table=args.table)
        except ValueError as exc:
            raise UsageError(f"%%wap_sql: {exc}") from None


strict(WapMagics.wap_ingest.parser)
strict(WapMagics.wap_sql.parser)


def expand_variables(line: str, namespace: Mapping[str, Any]) -> str:
    """IPython's `{expr}` / `$name` expansion, except that what does not resolve is a `UsageError` naming it.

    IPython leaves the whole line as it is when one field fails, so `{uri_typo}` would reach the importer
    as a literal source path. Expressions are evaluated in the notebook's namespace, as IPython does."""
    formatter = DollarFormatter()
    try:
        fields = [(name, spec) for _, name, spec, _ in formatter.parse(line) if name is not None]
    except ValueError as exc:  # e.g. a lone "{"
        raise UsageError(f"%wap_ingest: cannot expand {{...}} in the line ({exc}); write {{{{ and }}}} "
                         "for literal braces") from None
    for name, spec in fields:
        expression = f"{name}:{spec}" if spec else name
        try:
            eval(expression, {}, dict(namespace))  # noqa: S307 - the user's own notebook expression, as IPython does
        except NameError as exc:
            raise UsageError(f"%wap_ingest: {{{expression}}} does not resolve: {exc}; define it in the notebook "
                             "first (nothing was imported, no branch was created)") from None
        except Exception as exc:  # noqa: BLE001 - any failing expression is the user's to fix
            raise UsageError(f"%wap_ingest: {{{expression}}} does not resolve: {type(exc).__name__}: {exc} "
                             "(nothing was imported, no branch was created)") from None
    return formatter.vformat(line, args=[], kwargs=dict(namespace))


def build_ingestion(args: Any, cell: str | None, user_ns: dict[str, Any]) -> Any:
    """Parse the checks and construct the Ingestion: every user error surfaces here, before any branch."""
    try:
        checks = parse_checks(cell, user_ns)
    except ValueError as exc:
        raise UsageError(f"%%wap_ingest: {exc}") from None
    from wap_notebook.backend import connect
    from wap_notebook.errors import BackendUnavailable
    from wap_notebook.ingestion import Ingestion

    options: dict[str, Any] = ingestion_kwargs(args)
    if checks:
        options["checks"] = checks
    try:
        options["client"] = connect(args.backend or "auto")
        return Ingestion(args.table, args.source, **options)
    except BackendUnavailable as exc:
        raise UsageError(f"%wap_ingest: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"%wap_ingest: {exc}") from None


def run_ingestion(ingestion: Any, *, panel: bool, background: bool) -> None:
    """Show the panel (unless told not to) and run; errors end up in the panel or one printed line."""
    if panel:
        from wap_notebook.notebook.panel.widget import panel_for

        widget = panel_for(ingestion)
        widget.show()
        widget.run(background=background)
        return
    if background:
        start_background(_run_quietly, args=(ingestion,), name="wap-ingest")
        print(f"wap_ingest: running in the background on branch {ingestion.branch or '(pending)'}")
        return
    _run_quietly(ingestion)
    print(text_summary(ingestion))


def revalidate_in_panel(ingestion: Any, new: Any, *, panel: bool) -> None:
    """Re-validate the cell's open branch with `new`'s checks (see `wap_notebook.notebook.rerun`); show it."""
    from wap_notebook.notebook.rerun import revalidate

    try:
        revalidate(ingestion, new)
    except Exception as exc:  # noqa: BLE001 - shown like a run's errors
        print(f"wap_ingest: {type(exc).__name__}: {exc}", file=sys.stderr)
    if panel:
        from wap_notebook.notebook.panel.widget import panel_for

        panel_for(ingestion).show()
    else:
        print(text_summary(ingestion))


def _run_quietly(ingestion: Any) -> None:
    try:
        ingestion.run()
    except Exception as exc:  # noqa: BLE001
        print(f"wap_ingest: {type(exc).__name__}: {exc}", file=sys.stderr)


def load_ipython_extension(ipython: Any) -> None:
    from wap_notebook.notebook.rerun import note_cell

    ipython.register_magics(WapMagics)
    if note_cell not in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.register("pre_run_cell", note_cell)


def unload_ipython_extension(ipython: Any) -> None:
    registry = ipython.magics_manager.magics
    for kind in ("line", "cell"):
        if registry[kind].get("wap_ingest") is not None:
            owner = getattr(registry[kind]["wap_ingest"], "__self__", None)
            if isinstance(owner, WapMagics):
                del registry[kind]["wap_ingest"]
    ipython.magics_manager.registry.pop("WapMagics", None)
    from wap_notebook.notebook.rerun import note_cell

    if note_cell in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.unregister("pre_run_cell", note_cell)
