"""The panel's charts: Vega-Lite specs rendered to inline SVG by `vl-convert`, offline.

Why this pair. Vega-Lite specs are plain data (testable, no plotting state), and `vl-convert-python`,
from the Vega project, renders them to SVG in-process: no browser, no CDN, no network, one wheel with
no Python dependencies, imported in milliseconds (its JavaScript engine starts on the first render,
~0.4 s, which the panel pays on its loader thread). The same SVG goes into the live widget (an
`ipywidgets.HTML`) and into the static HTML export, so both show the same picture, and inline SVG
text drawn in `currentColor` follows the notebook theme (light or dark) without a second palette.

Colours are mid-tone (Vega's own Tableau scheme) so they read on light and dark backgrounds.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from wap_notebook.engine.profiles import ColumnProfile

logger = logging.getLogger(__name__)

NEW = "#4c78a8"
FAILING = "#e45756"
WARNED = "#f58518"
BASE = "#9d9d9d"
_STATUS_COLOUR = {"failed": FAILING, "error": FAILING, "warned": WARNED, "passed": BASE}

_CONFIG: dict[str, Any] = {
    "background": None,
    "font": "sans-serif",
    "view": {"stroke": None},
    "axis": {"labelColor": "currentColor", "titleColor": "currentColor", "domainColor": "currentColor",
             "tickColor": "currentColor", "gridColor": "#8884", "labelFontSize": 10, "titleFontSize": 10,
             "titleFontWeight": "normal"},
    "legend": {"labelColor": "currentColor", "titleColor": "currentColor", "labelFontSize": 10,
               "orient": "top", "direction": "horizontal", "symbolSize": 60, "title": None,
               "symbolOpacity": 1},
    "title": {"color": "currentColor", "subtitleColor": "currentColor", "fontSize": 11, "subtitleFontSize": 10,
              "anchor": "start", "fontWeight": "bold"},
}


def failing_rows_spec(report: pd.DataFrame) -> dict[str, Any] | None:
    """Bars of failing rows per check (passed checks show as an empty grey bar at 0)."""
    if report is None or len(report) == 0 or "failing_rows" not in report.columns:
        return None
    multi = "table" in report.columns and report["table"].nunique() > 1
    values: list[dict[str, Any]] = []
    for row in report.itertuples(index=False):
        record = row._asdict()
        count = record.get("failing_rows")
        label = f"{record['table']}.{record['check']}" if multi else str(record.get("check"))
        values.append({"check": label, "rows": 0 if count is None or pd.isna(count) else int(count),
                       "status": str(record.get("status"))})
    if not any(v["rows"] for v in values):
        return None  # nothing failed: an all-empty bar chart says less than the checks table already does
    order = list(_STATUS_COLOUR)
    statuses = sorted({str(v["status"]) for v in values}, key=lambda s: order.index(s) if s in order else len(order))
    return {
        "title": {"text": "Failing rows per check"},
        "data": {"values": values},
        "width": 300, "height": {"step": 16},
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "y": {"field": "check", "type": "nominal", "sort": None, "title": None,
                  "axis": {"labelLimit": 220}},
            "x": {"field": "rows", "type": "quantitative", "title": "failing rows",
                  "axis": {"tickMinStep": 1, "format": "~s"}},
            "color": {"field": "status", "type": "nominal",
                      "scale": {"domain": statuses, "range": [_STATUS_COLOUR.get(s, BASE) for s in statuses]}},
        },
        "config": _CONFIG,
    }


def number_format(largest: float) -> str:
    """Axis labels in full below a million ("1,500", never "1.5k" beside "> 1,500" or a "0k" tick)."""
    return ",~r" if abs(largest) < 1e6 else "~s"


def nice_ticks(first: float, last: float, count: int = 5) -> list[float]:
    """Round tick values (multiples of 1, 2 or 5 times a power of ten) between `first` and `last`."""
    span = last - first
    if span <= 0:
        return [first]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(first / step) * step
    return [start + i * step for i in range(int((last - start) // step) + 1)]


def column_spec(profile: ColumnProfile, base_label: str = "main", *, exact_failing: int | None = None
                ) -> dict[str, Any] | None:
    """New rows against the base ref for one column; failing values in red and labelled with their count
    (a few failing rows among thousands are a bar too thin to see), a between range as rules.
    `exact_failing` is what the checks counted over every new row (the chart may be drawn from a sample)."""
    if not profile.bars or profile.is_key:
        return None
    new_total = sum(b.new for b in profile.bars) or 1
    base_total = sum(b.base for b in profile.bars) or 1
    has_base = profile.base_rows > 0
    new_label = "new rows (sample)" if profile.sampled else "new rows"
    series = ([base_label] if has_base else []) + [new_label, "failing"]
    colours = ([BASE] if has_base else []) + [NEW, FAILING]
    subtitle = _subtitle(profile, base_label, exact_failing)
    title = {"text": f"{profile.column}  ·  {', '.join(profile.checks)}", "subtitle": subtitle}
    if profile.kind == "categorical":
        values: list[dict[str, Any]] = []
        for bar in profile.bars:
            if has_base:
                values.append({"value": bar.label, "series": base_label, "share": 100 * bar.base / base_total})
            ok = bar.new - bar.new_failing
            values.append({"value": bar.label, "series": new_label, "share": 100 * ok / new_total})
            if bar.new_failing:
                values.append({"value": bar.label, "series": "failing", "share": 100 * bar.new_failing / new_total})
        bars_layer: dict[str, Any] = {
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "value", "type": "nominal", "sort": None, "title": None,
                      "axis": {"labelLimit": 120}},
                "yOffset": {"field": "group", "type": "nominal"},
                "x": {"field": "share", "type": "quantitative", "title": "% of rows", "stack": True},
                "color": {"field": "series", "type": "nominal",
                          "scale": {"domain": series, "range": colours}},
            },
            "transform": [{"calculate": f"datum.series == '{_js(base_label)}' ? 'a' : 'b'", "as": "group"}],
        }
        flagged = [b for b in profile.bars if b.new_failing]
        labelled: list[dict[str, Any]] = [bars_layer]
        if flagged:  # a failing value among thousands is a bar too thin to see: its count, in red, beside it
            labelled.append({
                "data": {"values": [{"value": b.label, "label": f"{b.new_failing:,} failing",
                                     "at": 100 * b.new / new_total} for b in flagged]},
                "mark": {"type": "text", "color": FAILING, "align": "left", "dx": 3, "fontSize": 9,
                         "fontWeight": "bold"},
                "encoding": {"y": {"field": "value", "type": "nominal", "sort": None, "title": None},
                             "x": {"field": "at", "type": "quantitative"}, "text": {"field": "label"}},
            })
        return {"title": title, "data": {"values": values}, "width": 240, "height": {"step": 11},
                "layer": labelled, "config": _CONFIG}
    temporal = profile.kind == "temporal"
    values = []
    for bar in profile.bars:
        start, end = bar.start, bar.end
        if has_base:
            values.append({"start": start, "end": end, "series": base_label, "share": 100 * bar.base / base_total})
        values.append({"start": start, "end": end, "series": new_label,
                       "share": 100 * (bar.new - bar.new_failing) / new_total})
        if bar.new_failing:
            values.append({"start": start, "end": end, "series": "failing",
                           "share": 100 * bar.new_failing / new_total})
    x_type = "temporal" if temporal else "quantitative"
    largest = max((abs(v) for b in profile.bars for v in (b.start, b.end) if v is not None), default=0.0)
    x_axis: dict[str, Any] = {"format": "%Y-%m-%d"} if temporal else {"format": number_format(largest)}
    spans = [(b.start, b.end) for b in profile.bars if b.edge is None and b.start is not None and b.end is not None]
    edges = [b for b in profile.bars if b.edge is not None]
    if edges and spans:  # ticks only under the bins: the edge bars' positions are not values
        x_axis["values"] = nice_ticks(spans[0][0], spans[-1][1])
    encoding: dict[str, Any] = {
        "x": {"field": "start", "type": x_type, "bin": {"binned": True}, "title": None,
              "axis": {**x_axis, "labelOverlap": True}},
        "x2": {"field": "end"},
        "y": {"field": "share", "type": "quantitative", "title": "% of rows", "stack": True},
        "color": {"field": "series", "type": "nominal", "scale": {"domain": series, "range": colours}},
    }
    new_layer = {"mark": {"type": "bar", "binSpacing": 0},
                 "transform": [{"filter": f"datum.series != '{_js(base_label)}'"}], "encoding": encoding}
    layers: list[dict[str, Any]] = []
    if has_base:
        layers.append({"mark": {"type": "bar", "opacity": 0.45, "binSpacing": 0},
                       "transform": [{"filter": f"datum.series == '{_js(base_label)}'"}],
                       "encoding": {**encoding, "y": {**encoding["y"], "stack": None}}})
    layers.append(new_layer)
    # a range far wider than the data would squash the bars: draw the bounds that fall inside the data
    lo, hi = profile.bars[0].start, profile.bars[-1].end
    rules = [v for v in (profile.bounds or ()) if v is not None and lo is not None and hi is not None
             and lo <= v <= hi]
    if rules:
        layers.append({"data": {"values": [{"at": v} for v in rules]},
                       "mark": {"type": "rule", "color": FAILING, "strokeDash": [4, 3]},
                       "encoding": {"x": {"field": "at", "type": "quantitative"}}})
    if edges:  # what the bars beside the bins hold, written on them
        tops = [max(100 * b.new / new_total, 100 * b.base / base_total if has_base else 0) for b in edges]
        layers.append({"data": {"values": [{"at": ((b.start or 0) + (b.end or 0)) / 2, "label": b.label, "top": top}
                                           for b, top in zip(edges, tops, strict=True)]},
                       "mark": {"type": "text", "color": FAILING, "dy": -3, "baseline": "bottom", "fontSize": 10,
                                "fontWeight": "bold"},
                       "encoding": {"x": {"field": "at", "type": "quantitative"},
                                    "y": {"field": "top", "type": "quantitative"}, "text": {"field": "label"}}})
    flagged = [b for b in profile.bars if b.new_failing and b.edge is None]
    if flagged:  # every bin holding failing rows gets its count in red above it, however thin its bar
        layers.append({"data": {"values": [{"at": ((b.start or 0) + (b.end or 0)) / 2, "label": f"{b.new_failing:,}",
                                            "top": 100 * b.new / new_total} for b in flagged]},
                       "mark": {"type": "text", "color": FAILING, "dy": -3, "baseline": "bottom", "fontSize": 9,
                                "fontWeight": "bold"},
                       "encoding": {"x": {"field": "at", "type": "quantitative"},
                                    "y": {"field": "top", "type": "quantitative"}, "text": {"field": "label"}}})
    return {"title": title, "data": {"values": values}, "width": 240, "height": 90, "layer": layers,
            "config": _CONFIG}


def _subtitle(profile: ColumnProfile, base_label: str, exact_failing: int | None = None) -> str:
    parts = [f"{profile.new_rows:,} new{' (drawn from a sample)' if profile.sampled else ''}"]
    if profile.base_rows:
        parts.append(f"{profile.base_rows:,} on {base_label}")
    failing = profile.failing if exact_failing is None else exact_failing
    if failing:
        parts.append(f"{failing:,} failing")
    if profile.bounds:
        lo, hi = profile.bounds
        parts.append(f"allowed {'' if lo is None else f'{lo:,}'}…{'' if hi is None else f'{hi:,}'}")
    if profile.new_nulls:
        parts.append(f"{profile.new_nulls:,} null{' (failing)' if profile.new_nulls_failing else ''}")
    return " · ".join(parts)


def _js(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def render_svg(spec: dict[str, Any]) -> str:
    """The spec as an SVG string (raises when vl-convert is missing or the spec is invalid)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def charts_html(specs: Sequence[dict[str, Any] | None], *, empty: str = "no charts") -> str:
    """Specs side by side (wrapping), each as inline SVG; a chart that cannot render says why."""
    cells = []
    for spec in specs:
        if spec is None:
            continue
        try:
            svg = render_svg(spec)
        except Exception as exc:  # noqa: BLE001 - a chart is advisory: say so, never break the panel
            logger.debug("chart failed", exc_info=True)
            svg = f"<i>chart unavailable: {html.escape(type(exc).__name__)}: {html.escape(str(exc))}</i>"
        cells.append(f'<div class="wap-chart" style="flex:0 0 auto">{svg}</div>')
    if not cells:
        return f"<i>{html.escape(empty)}</i>"
    return ('<div class="wap-charts" style="display:flex;flex-wrap:wrap;gap:8px 20px;align-items:flex-start;'
            f'color:var(--jp-ui-font-color1,inherit)">{"".join(cells)}</div>')
