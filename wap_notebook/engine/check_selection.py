"""Which checks an ingestion runs, refused early when they cannot run, and said wherever the verdict shows.

- checks name columns the table has, of a type they can check (refused before any branch, all problems at
  once, with "did you mean"); `sql` queries parse; a table name is not an existing one in another case;
- with no checks given, the table's remembered checks apply (the last merged ingestion's, read back from
  the merge commit's properties that `audit_properties` writes);
- when no user check applied, "only built-in checks ran" is said with every verdict (event, report note,
  text summary, audit record).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from typing import Any

from wap_notebook.checks.yaml_form import parse_check_item
from wap_notebook.core import schema_contract
from wap_notebook.engine import preflight
from wap_notebook.engine.spec import IngestionSpec
from wap_notebook.engine.state import Context
from wap_notebook.errors import InvalidSpec

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
