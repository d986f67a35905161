"""HTML tables of rows, schemas and diffs for the panel and its static export.

Rows read as they are stored: integers without a decimal point (nullable dtypes), floats with the same
number of decimals down a column, timestamps as `YYYY-MM-DD HH:MM:SS`, nulls as a dim `null`, empty strings as
`""`; numbers right-aligned, text left-aligned. Cells that fail a check are highlighted. Colours come from
JupyterLab's CSS variables (with fallbacks for other front ends) so both themes read.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from wap_notebook.engine.profiles import Field, TableProfile

MAX_COLUMNS = 30
FAIL_CELL = "wap-bad"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists: not a scalar null
        return False


def _float_digits(series: pd.Series) -> int:
    """Decimals to show for a float column: enough for its values, at least 1 (it is a float), at most 6."""
    digits = 1
    for value in series.dropna().head(200):
        text = f"{float(value):.6f}".rstrip("0")
        digits = max(digits, len(text.split(".")[1]) if "." in text else 0)
    return digits


def cell_html(value: Any, fmt: Any = str) -> str:
    """One cell: null as a dim `null`, an empty (or blank) string quoted, so the two never look alike (a CSV's
    quoted empty cell is `""`, a missing value is null, and checks treat them differently)."""
    if is_null(value):
        return '<span class="wap-null">null</span>'
    if isinstance(value, str) and not value.strip():
        return f'<span class="wap-empty" title="empty string">"{esc(value)}"</span>'
    return esc(fmt(value))


def column_formatter(series: pd.Series) -> tuple[Any, bool]:
    """(value -> text, right-aligned) for one column."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return (lambda v: "true" if v else "false"), False
    if pd.api.types.is_integer_dtype(dtype):
        return (lambda v: str(int(v))), True
    if pd.api.types.is_float_dtype(dtype):
        digits = _float_digits(series)
        return (lambda v: f"{float(v):.{digits}f}"), True
    if pd.api.types.is_datetime64_any_dtype(dtype):
        def stamp(v: Any) -> str:
            ts = pd.Timestamp(v)
            midnight = (ts.hour, ts.minute, ts.second, ts.microsecond) == (0, 0, 0, 0) and ts.tzinfo is None
            text = str(ts.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S"))
            return text + (f".{ts.microsecond:06d}".rstrip("0") if ts.microsecond else "") + (
                "Z" if ts.tzinfo is not None and ts.utcoffset() == pd.Timedelta(0) else "")
        return stamp, False
    if isinstance(dtype, pd.ArrowDtype) and pd.api.types.is_numeric_dtype(dtype):
        return (lambda v: str(v)), True
    return (lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)), False


def frame_html(frame: Any, *, max_rows: int = 20, empty: str = "no rows",
               failing: Mapping[str, Sequence[bool]] | None = None, highlight_columns: Sequence[str] = ()) -> str:
    """Rows as a compact table; `failing` flags cells per column, `highlight_columns` marks whole columns."""
    if frame is None:
        return f"<i>{esc(empty)}</i>"
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    if len(frame.columns) == 0 or len(frame) == 0:
        return f"<i>{esc(empty)}</i>"
    shown = frame.head(max_rows)
    columns = list(shown.columns)[:MAX_COLUMNS]
    formats = {c: column_formatter(shown[c]) for c in columns}
    marked = set(highlight_columns)
    head = "".join(
        f'<th class="{"wap-num" if formats[c][1] else ""}{" wap-hot" if c in marked else ""}">{esc(c)}</th>'
        for c in columns)
    body = []
    for i, row in enumerate(shown[columns].itertuples(index=False, name=None)):
        cells = []
        for c, value in zip(columns, row, strict=True):
            fmt, right = formats[c]
            classes = ["wap-num"] if right else []
            flags = (failing or {}).get(c)
            if flags is not None and i < len(flags) and flags[i]:
                classes.append(FAIL_CELL)
            text = cell_html(value, fmt)
            cells.append(f'<td class="{" ".join(classes)}">{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    notes = []
    if len(frame) > max_rows:
        notes.append(f"{len(frame) - max_rows:,} more rows not shown")
    if len(frame.columns) > MAX_COLUMNS:
        notes.append(f"{len(frame.columns) - MAX_COLUMNS} more columns not shown")
    more = f'<div class="wap-dim">{esc("; ".join(notes))}</div>' if notes else ""
    return (f'<div class="wap-rows"><table class="wap-grid"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{more}</div>')


def schema_compare_html(profile: TableProfile, base_label: str = "main") -> str:
    """Columns on the branch beside the base ref: added, removed and retyped columns marked."""
    branch: dict[str, Field] = {f[0]: f for f in profile.schema}
    rows: list[tuple[str, Field | None, Field | None, str]]
    if profile.base_schema is None:
        rows = [(name, None, f, "new table") for name, f in branch.items()]
    else:
        base: dict[str, Field] = {f[0]: f for f in profile.base_schema}
        rows = []
        for name, f in base.items():
            other = branch.get(name)
            state = "removed" if other is None else ("retyped" if other[1] != f[1] else (
                "nullability" if other[2] != f[2] else ""))
            rows.append((name, f, other, state))
        rows += [(name, None, f, "added") for name, f in branch.items() if name not in base]
    if not rows:
        return "<i>no columns</i>"

    def typ(field: Field | None) -> str:
        if field is None:
            return '<span class="wap-dim">–</span>'
        return f"<code>{esc(field[1])}</code>{'' if not field[2] else ' <span class=wap-dim>required</span>'}"

    styles = {"added": "wap-added", "removed": "wap-removed", "retyped": "wap-changed",
              "nullability": "wap-changed", "new table": ""}
    body = "".join(
        f'<tr class="{styles.get(state, "")}"><td><code>{esc(name)}</code></td><td>{typ(before)}</td>'
        f'<td>{typ(after)}</td><td>{esc(state)}</td></tr>'
        for name, before, after, state in rows)
    changed = sum(1 for *_, state in rows if state and state != "new table")
    summary = ("new table" if profile.base_schema is None else
               f"{changed} column change{'' if changed == 1 else 's'}" if changed else f"same columns as {base_label}")
    return (f'<div class="wap-dim">{esc(profile.table)}: {esc(summary)}</div>'
            f'<table class="wap-grid"><thead><tr><th>column</th><th>{esc(base_label)}</th><th>branch</th>'
            f'<th></th></tr></thead><tbody>{body}</tbody></table>')


def diff_html(diff: pd.DataFrame | None, files: Mapping[str, Sequence[str]], sources: Mapping[str, str],
              snapshots: Mapping[str, Any], base_label: str = "main") -> str:
    """Per table: rows before / after / added, mode, the snapshot, files imported and the source."""
    if diff is None or len(diff) == 0:
        return "<i>no diff yet</i>"
    body = []
    for row in diff.to_dict("records"):
        table = str(row.get("table"))
        imported = list(files.get(table, []))
        names = ", ".join(f'<code title="{esc(f)}">{esc(str(f).rsplit("/", 1)[-1])}</code>' for f in imported[:3])
        more = f" +{len(imported) - 3} more" if len(imported) > 3 else ""
        snapshot = snapshots.get(table)
        body.append(
            f"<tr><td><b>{esc(table)}</b></td><td>{esc(row.get('mode'))}</td>"
            f"<td class=wap-num>{_count(row.get('rows_before'))}</td>"
            f"<td class=wap-num>{_count(row.get('rows_after'))}</td>"
            f"<td class='wap-num wap-added'>+{_count(row.get('rows_added'))}</td>"
            f"<td>{'<code>' + esc(snapshot) + '</code>' if snapshot is not None else '–'}</td>"
            f"<td>{len(imported)} file{'' if len(imported) == 1 else 's'}: {names}{more}</td>"
            f"<td class=wap-cut title=\"{esc(sources.get(table, ''))}\"><code>{esc(sources.get(table, ''))}</code></td>"
            "</tr>")
    return (f'<table class="wap-grid"><thead><tr><th>table</th><th>mode</th><th class=wap-num>rows on '
            f'{esc(base_label)}</th><th class=wap-num>rows after</th><th class=wap-num>added</th><th>snapshot</th>'
            f'<th>files imported</th><th>source</th></tr></thead><tbody>{"".join(body)}</tbody></table>')


def _count(value: Any) -> str:
    return "–" if is_null(value) else f"{int(value):,}"
