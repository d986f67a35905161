"""The gate's guarantees in real notebook life, as the steps call them.

- checks name columns the table has (refused before any branch, with "did you mean");
- with no checks given, the table's remembered checks apply, and "only built-in checks ran" is said
  wherever the outcome is shown (event, report note, text summary, audit record);
- an import that fails before any table holds rows on the branch deletes the branch (nothing to inspect);
- advice in a lakehouse message is followable from every entry point;
- before a merge, how far `from_ref` moved is said, and a conflict is a readable `IngestionConflict`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from typing import Any

from wap_notebook.checks.yaml_form import parse_check_item
from wap_notebook.core import schema_contract
from wap_notebook.engine import persist, preflight
from wap_notebook.engine.conflicts import commits_since, moved_text
from wap_notebook.engine.conflicts import conflict as conflict_error
from wap_notebook.engine.refs import changed_tables
from wap_notebook.engine.spec import IngestionSpec
from wap_notebook.engine.state import Context
from wap_notebook.errors import IngestionConflict, InvalidSpec, MergeRefused

BUILT_IN_ONLY = "only built-in checks ran"


# ---------------------------------------------------------------------------------- before the branch
def check_columns_on_from_ref(ctx: Context) -> None:
    """Before any branch: `sql` queries parse; a table name is not an existing one in another letter case;
    check columns exist with a type the check can use, all problems at once, against the table on
    `from_ref` or, for a new table (or `replace`), against the columns its files would create."""
    spec, client = ctx.spec, ctx.client
    sql = preflight.sql_problems([check for checks in spec.checks.values() for check in checks])
    if sql:
        raise InvalidSpec(f"checks: {'; '.join(sql)} {preflight.NOTHING_DONE}")
    # Read at from_ref's head (the branch's base unless from_ref moves meanwhile), with one listing: whether
    # each table exists and its columns, and whether a new one is an existing one in another letter case.
    at = ctx.pinned_from_ref()
    names = ctx.facts.survey(at)
    for table in spec.tables:
        exists = ctx.facts.exists(table, at)
        if not exists:
            preflight.case_clash(table, spec.namespace, spec.from_ref, names)
        checks = spec.checks.get(table, ())
        if not checks:
            continue
        if exists and spec.mode not in ("create", "replace"):
            columns, where = _table_columns(ctx, table, at), f"its columns on {spec.from_ref}"
        else:
            found = schema_contract.source_columns(client, spec.sources[table])
            if found is None:  # the backend cannot say before the import: checked against the table after it
                continue
            columns, where = found, "the columns its files would create"
        preflight.refuse_columns(f"{spec.namespace}.{table}", where, preflight.column_problems(checks, columns))


def _table_columns(ctx: Context, table: str, ref: str) -> list[tuple[str, str]]:
    described = ctx.facts.describe(table, ref)
    return [(str(f.name), str(getattr(f, "type", ""))) for f in getattr(described, "fields", None) or []]


def check_columns(ctx: Context, base_ref: str, modes: dict[str, str]) -> None:
    """Refuse checks on columns a table that already exists on `from_ref` lacks (append mode), or of a type
    they cannot check, all at once."""
    spec = ctx.spec
    for table, mode in modes.items():
        checks = spec.checks.get(table, ())
        if mode != "append" or not checks:
            continue
        problems = preflight.column_problems(checks, _table_columns(ctx, table, base_ref))
        preflight.refuse_columns(f"{spec.namespace}.{table}", f"its columns on {spec.from_ref}", problems)


def with_remembered_checks(ctx: Context, spec: IngestionSpec, checks_given: bool) -> IngestionSpec:
    """Resolve "no checks given": the last merged ingestion's checks for each existing table, or none.

    Called by the facade right after connecting, so a wrong column is found before any branch too."""
    if checks_given:
        if any(spec.checks.values()):
            return spec
        return replace(spec, checks_source="opted_out")
    if spec.mode in ("create", "replace"):
        return replace(spec, checks_source="none")
    found: dict[str, tuple[Any, ...]] = {}
    notes = []
    at = ctx.pinned_from_ref()
    ctx.facts.survey(at)  # the tables' facts at from_ref's head, in one call
    for table in spec.tables:
        if not ctx.facts.exists(table, at):
            continue
        remembered = preflight.remembered_checks(ctx.client, spec.from_ref, spec.namespace, table)
        if remembered is None or not remembered.items:
            continue
        try:
            found[table] = tuple(parse_check_item(item, None, index=i) for i, item in enumerate(remembered.items, 1))
        except ValueError as exc:  # e.g. a custom check whose function lives in another notebook
            ctx.emit("error", f"Cannot reuse the checks last merged into {spec.namespace}.{table}: {exc}")
            continue
        notes.append(f"{len(found[table])} for {spec.namespace}.{table} (merge {str(remembered.commit)[:12]} by "
                     f"{remembered.author})")
    if not found:
        return replace(spec, checks_source="none")
    checks = {t: found.get(t, ()) for t in spec.tables}
    ctx.emit("log", "No checks given: reusing the checks of the last ingestion merged into each table: "
             + "; ".join(notes) + ". Pass checks=[] to run only the built-in checks.")
    return replace(spec, checks=checks, checks_source="remembered")


# ---------------------------------------------------------------------------------- what ran
def checks_note(spec: IngestionSpec) -> str | None:
    """Said wherever the verdict is shown when no user check applied."""
    if any(spec.checks.values()):
        return None
    why = "checks=[] was given" if spec.checks_source == "opted_out" else "no checks were given"
    return f"{BUILT_IN_ONLY} (row count, schema compatibility): {why}"


def warn_unchecked_merge(spec: IngestionSpec) -> None:
    if spec.on_success == "merge" and spec.checks_source == "none":  # checks=[] is a deliberate opt-out
        warnings.warn("on_success='merge' with no checks: only the built-in checks will run (row count, schema "
                      "compatibility), so only an empty or incompatible batch can fail the gate. Give checks, or "
                      "checks=[] to say this is intended.", UserWarning, stacklevel=3)


def audit_properties(ctx: Context) -> dict[str, str]:
    """Extra merge-commit properties: the spec (so the table remembers its checks) and the checks note."""
    return {preflight.SPEC_PROPERTY: json.dumps(ctx.spec.to_dict(), sort_keys=True, default=str),
            "wap.checks_note": checks_note(ctx.spec) or ""}


# ---------------------------------------------------------------------------------- import failures
def followable_advice(reason: str) -> str:
    if "import_duplicate_files" in reason:
        return reason + (" (Ingestion(..., import_duplicate_files=True); --import-duplicate-files in %wap_ingest "
                         "and the CLI)")
    return reason


def after_failed_import(ctx: Context, *, data_on_branch: bool) -> None:
    """No table holds rows on the branch: nothing to inspect, so the branch goes (and `on_failure` only
    governs branches with data)."""
    state = ctx.state
    if data_on_branch or not state.branch_created:
        persist.save(ctx)
        return
    try:
        ctx.client.delete_branch(state.branch, if_exists=True)
    except Exception as exc:  # noqa: BLE001 - the failure itself is what matters; say the branch stayed
        ctx.emit("error", f"Could not delete branch {state.branch} after the failed import: {exc}")
        return
    persist.unregister(state.branch)
    with ctx.lock:
        state.branch_created = False
        state.error = f"{state.error}. Branch {state.branch} was deleted: the import failed before any data."
    ctx.emit("log", f"Deleted branch {state.branch}: the import failed before any table held rows")


# ---------------------------------------------------------------------------------- races
def from_ref_moved(ctx: Context) -> int:
    """How many commits `from_ref` has on top of the commit this import branched from."""
    return commits_since(ctx.client, ctx.spec.from_ref, ctx.state.base_hash)


def tables_moved(ctx: Context) -> list[str]:
    """This ingestion's tables that changed on `from_ref` since the fork (a rebase is worth it only for them)."""
    if not ctx.state.base_hash:
        return []
    ours = set(ctx.spec.sources)
    changed = changed_tables(ctx.client, ctx.spec.from_ref, f"{ctx.spec.from_ref}@{ctx.state.base_hash}",
                             ctx.spec.namespace)
    return [name for name in changed if name in ours]


def before_merge(ctx: Context, *, force: bool, head: str | None = None) -> None:
    """`head`: `from_ref`'s head as just read; when it is still the fork commit, nothing moved and the
    history need not be read (one round trip less on Bauplan's cloud)."""
    if ctx.state.checks_unknown and not force:
        raise MergeRefused(f"Cannot merge {ctx.state.branch}: {ctx.state.checks_unknown}. Give the checks that "
                           "should gate it (Ingestion.resume(branch, checks=[...]); checks=[] accepts only the "
                           "built-in ones), or merge(force=True, reason='...') to publish anyway")
    moved = 0 if head is not None and head == ctx.state.base_hash else from_ref_moved(ctx)
    if moved:
        ctx.emit("log", moved_text(ctx.spec.from_ref, moved))


def conflict(ctx: Context, tables: list[str], head: str | None) -> IngestionConflict:
    if head is None:
        head = str(ctx.client.get_branch(ctx.spec.from_ref).hash)
    return conflict_error(tables=tables, from_ref=ctx.spec.from_ref, base=ctx.state.base_hash, head=head,
                          moved=from_ref_moved(ctx), branch=ctx.state.branch)
