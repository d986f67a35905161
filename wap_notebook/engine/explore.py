"""Exploring a batch: a per-column profile of the new rows beside `from_ref`, and checks suggested from
`from_ref`'s data, the table's history and the new rows.

Cost. The new side is one bounded read of the new rows (`scope.new_rows`, at most `SAMPLE_ROWS`; the profile
says when it is a sample), summarised in an in-process DuckDB. The base side is one aggregate query on the
lakehouse (COUNT / COUNT DISTINCT / MIN / MAX / AVG / lengths per column) plus one DISTINCT read per
low-cardinality column, so a large `main` is never pulled into Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from wap_notebook.checks.model import Check, TableScope
from wap_notebook.checks.yaml_form import parse_checks
from wap_notebook.core.arrow_sql import local_sql
from wap_notebook.core.sql import quote_ident

SAMPLE_ROWS = 50_000
LOW_CARDINALITY = 20  # at most this many values on from_ref: a category (accepted_values, values not on main)
TOP_VALUES = 3
CODE_PATTERN = "^[A-Z0-9]+$"  # strings made of capitals and digits only read as codes (matches suggestion)
RANGE_MARGIN = 0.1  # suggested ranges widen from_ref's by this share of its span on each side
STALE_DAYS = 7  # newest value on from_ref older than this: historical data, no freshness suggestion

PROFILE_COLUMNS = ["column", "type", "new_rows", "new_null_pct", "main_null_pct", "new_distinct", "main_distinct",
                   "new_min", "new_max", "main_min", "main_max", "new_mean", "main_mean", "top_values",
                   "not_on_main", "sampled"]


def _kind(type_name: str) -> str:
    lowered = type_name.lower()
    if any(lowered.startswith(p) for p in ("int", "long", "float", "double", "decimal", "bigint", "smallint",
                                           "tinyint", "hugeint")):
        return "numeric"
    if lowered.startswith(("timestamp", "date", "time")):
        return "temporal"
    if lowered.startswith(("string", "varchar", "large_string", "utf8")):
        return "text"
    return "other"


def _stats_query(source: str, columns: list[tuple[str, str]]) -> str:
    exprs = ['COUNT(*) AS "__rows"']
    for i, (name, kind) in enumerate(columns):
        col = quote_ident(name)
        exprs += [f'COUNT({col}) AS "nn{i}"', f'COUNT(DISTINCT {col}) AS "d{i}"']
        if kind in ("numeric", "temporal", "text"):
            exprs += [f'MIN({col}) AS "lo{i}"', f'MAX({col}) AS "hi{i}"']
        if kind == "numeric":
            exprs.append(f'AVG(CAST({col} AS DOUBLE)) AS "mean{i}"')
        if kind == "text":
            exprs += [f'MIN(length({col})) AS "ll{i}"', f'MAX(length({col})) AS "lh{i}"',
                      f"BOOL_AND(regexp_full_match({col}, '{CODE_PATTERN}')) AS \"code{i}\""]
    return f"SELECT {', '.join(exprs)} FROM {source}"


def _per_column(row: dict[str, Any], columns: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    rows = int(row["__rows"] or 0)
    out = {}
    for i, (name, kind) in enumerate(columns):
        nonnull = int(row[f"nn{i}"] or 0)
        out[name] = {"kind": kind, "rows": rows, "nulls": rows - nonnull, "distinct": int(row[f"d{i}"] or 0),
                     "lo": row.get(f"lo{i}"), "hi": row.get(f"hi{i}"), "mean": row.get(f"mean{i}"),
                     "len_lo": row.get(f"ll{i}"), "len_hi": row.get(f"lh{i}"), "code": row.get(f"code{i}")}
    return out


@dataclass
class Exploration:
    """What the profile and the suggestions are computed from."""

    table: str
    columns: list[tuple[str, str, str]]  # name, type, kind
    new: dict[str, dict[str, Any]]
    base: dict[str, dict[str, Any]] | None  # None: the table is new
    new_rows: pa.Table
    sampled: bool
    base_values: dict[str, set[Any]] = field(default_factory=dict)  # low-cardinality columns' values on base


def explore(scope: TableScope) -> Exploration:
    fields = scope.fields(scope.branch) or []
    columns = [(name, str(typ), _kind(str(typ))) for name, typ, _ in fields]
    plain = [(name, kind) for name, _, kind in columns]
    rows, exact = scope.new_rows(None, SAMPLE_ROWS)
    sampled = not exact or rows.num_rows >= SAMPLE_ROWS
    new = _per_column(local_sql({"t": rows}, _stats_query("t", plain)).to_pylist()[0], plain)
    base = None
    values: dict[str, set[Any]] = {}
    if scope.base_exists and scope.base_ref is not None:
        base_fields = {name for name, _, _ in scope.fields(scope.base_ref) or []}
        on_base = [(n, k) for n, k in plain if n in base_fields]
        base = _per_column(scope.query(_stats_query(scope.fqn, on_base), scope.base_ref).to_pylist()[0], on_base)
        for name, stats in base.items():
            if stats["kind"] == "text" and 0 < stats["distinct"] <= LOW_CARDINALITY:
                col = quote_ident(name)
                found = scope.query(f"SELECT DISTINCT {col} AS v FROM {scope.fqn} WHERE {col} IS NOT NULL",
                                    scope.base_ref)
                values[name] = set(found.column("v").to_pylist())
    return Exploration(scope.table, columns, new, base, rows, sampled, values)


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 2)


def profile_frame(found: Exploration) -> pd.DataFrame:
    """One row per column of the new rows beside from_ref (main at the fork point)."""
    out = []
    for name, type_name, kind in found.columns:
        new = found.new[name]
        base = (found.base or {}).get(name)
        top: list[str] = []
        if kind in ("text", "other") and found.new_rows.num_rows:
            col = quote_ident(name)
            counted = local_sql({"t": found.new_rows}, f"SELECT CAST({col} AS VARCHAR) AS v, COUNT(*) AS n FROM t "
                                f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT {TOP_VALUES}")
            top = [f"{r['v']} ({r['n']})" for r in counted.to_pylist()]
        not_on_main: list[Any] = []
        if name in found.base_values:
            seen = set(found.new_rows.column(name).to_pylist())
            not_on_main = sorted(v for v in seen - found.base_values[name] if v is not None)
        out.append({
            "column": name, "type": type_name, "new_rows": new["rows"], "new_null_pct": _pct(new["nulls"], new["rows"]),
            "main_null_pct": None if base is None else _pct(base["nulls"], base["rows"]),
            "new_distinct": new["distinct"], "main_distinct": None if base is None else base["distinct"],
            "new_min": new["lo"], "new_max": new["hi"], "main_min": None if base is None else base["lo"],
            "main_max": None if base is None else base["hi"], "new_mean": new["mean"],
            "main_mean": None if base is None else base["mean"], "top_values": top, "not_on_main": not_on_main,
            "sampled": found.sampled,
        })
    return pd.DataFrame(out, columns=PROFILE_COLUMNS)


@dataclass
class Suggestions:
    """Checks proposed for a table: `yaml` to paste into a `%%wap_ingest` cell, `checks` the objects."""

    table: str
    yaml: str
    checks: list[Check]
    notes: list[str]

    def __repr__(self) -> str:
        notes = "".join(f"# {n}\n" for n in self.notes)
        return f"{notes}{self.yaml}"

    def _repr_markdown_(self) -> str:
        notes = "".join(f"- {n}\n" for n in self.notes)
        return f"{notes}\n```yaml\n{self.yaml}```\n"


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return None


def _plain(value: Any) -> Any:
    """A YAML-safe scalar (numbers as int or float, the rest as text)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    try:
        number = float(value)
        return int(number) if number.is_integer() else number
    except (TypeError, ValueError):
        return str(value)


def _range(lo: Any, hi: Any) -> tuple[Any, Any]:
    lo, hi = _plain(lo), _plain(hi)
    margin = (hi - lo) * RANGE_MARGIN
    if isinstance(lo, int) and isinstance(hi, int):
        step = max(1, math.ceil(margin))
        return lo - step if lo < 0 or lo - step >= 0 else 0, hi + step
    low = lo - margin if lo < 0 or lo - margin >= 0 else 0.0
    return float(f"{low:.6g}"), float(f"{hi + margin:.6g}")


def suggest(found: Exploration, history: list[int]) -> Suggestions:
    """Checks that pass on from_ref's rows by construction (the new rows' own when the table is new)."""
    reference = found.base if found.base is not None else found.new
    whose = "main" if found.base is not None else "the new rows"
    items: list[dict[str, Any]] = []
    notes = [f"suggested from {whose}" + (" (new table: no main to learn from)" if found.base is None else "")]
    if history:
        items.append({"row_count_vs_history": {"window": 10, "tolerance": 0.5}})
    for name, _, kind in found.columns:
        stats = reference.get(name)
        if stats is None or stats["rows"] == 0:
            continue
        if stats["nulls"] == 0:
            items.append({"not_null": [name]})
        nonnull = stats["rows"] - stats["nulls"]
        if kind in ("numeric", "text") and stats["distinct"] == nonnull and nonnull > 1 and (
                kind == "text" or isinstance(_plain(stats["lo"]), int)):
            items.append({"unique": name})
        if kind == "numeric" and stats["lo"] is not None and not any(
                isinstance(v, float) and math.isnan(v) for v in (stats["lo"], stats["hi"])):
            lo, hi = _range(stats["lo"], stats["hi"])
            items.append({"between": {"column": name, "min": lo, "max": hi}})
        elif kind == "text" and 0 < stats["distinct"] <= LOW_CARDINALITY:
            values = sorted(found.base_values.get(name) or _values(found.new_rows, name))
            items.append({"accepted_values": {"column": name, "values": values}})
        elif kind == "text" and stats["code"] and stats["len_lo"] is not None:
            items.append({"matches": {"column": name,
                                      "regex": f"^[A-Z0-9]{{{stats['len_lo']},{stats['len_hi']}}}$"}})
        elif kind == "temporal" and stats["hi"] is not None:
            newest = _as_utc(stats["hi"])
            if newest is not None and (datetime.now(timezone.utc) - newest).days <= STALE_DAYS:
                items.append({"fresh": {"column": name, "within": "2d"}})
            elif newest is not None:
                notes.append(f"{name}: newest value on {whose} is {newest:%Y-%m-%d}, too old for a freshness check")
    text = yaml.safe_dump(items, sort_keys=False, default_flow_style=None, width=120) if items else ""
    return Suggestions(found.table, text, parse_checks(text), notes)


def _values(rows: pa.Table, name: str) -> set[Any]:
    return {v for v in rows.column(name).to_pylist() if v is not None}
