"""Machine description, the printed table, results JSON and the generated part of BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import load as machine_load
from benchmarks.stats import Row, fmt_value

PACKAGES = ("wap-notebook", "pyarrow", "duckdb", "pyiceberg", "pandas", "pandera", "numpy", "moto", "bauplan")
MARKDOWN = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = ("#", "measure", "N", "ours median (min)", "baseline median (min)", "baseline", "ratio (min)", "target",
          "met?")


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = match.group(1).strip() if match else platform.processor() or "unknown"
    except OSError:
        pass
    mem = None
    try:
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = int(match.group(1)) * 1024 if match else None
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "memory_bytes": mem, "cpu": cpu, "platform": platform.platform(),
            "python": platform.python_version()}


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _met(row: Row, nproc: int) -> str:
    said = ("yes" if row.met else "NO") + (f" - {row.note}" if row.note else "")
    load = machine_load.verdict(row, nproc)
    return f"{said} - {load}" if load else said


def _cells(row: Row, nproc: int) -> list[str]:
    ratio = "-" if row.ratio == float("inf") else f"{row.ratio:.2f}x"
    if row.ratio_min is not None and row.ratio != float("inf"):
        ratio += f" ({row.ratio_min:.2f}x)"
    return [
        str(row.row), row.measure, row.n,
        f"{fmt_value(row.ours, 'median')} ({fmt_value(row.ours, 'min')})",
        f"{fmt_value(row.baseline, 'median')} ({fmt_value(row.baseline, 'min')})",
        row.baseline_name, ratio, row.target, _met(row, nproc),
    ]


def text_table(rows: list[Row], nproc: int) -> str:
    cells = [list(HEADER)] + [_cells(r, nproc) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row], nproc: int) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row, nproc)) + " |")
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    """'N of M rows meet their target', and how many of the M were measured on a loaded machine."""
    said = f"{sum(r.met for r in rows)} of {len(rows)} rows meet their target"
    loaded = [r for r in rows if not r.comparable]
    if loaded:
        said += (f" ({len(loaded)} not comparable, taken above {machine_load.PER_CORE_LIMIT} load per core: "
                 f"rows {', '.join(sorted({str(r.row) for r in loaded}, key=int))})")
    return said


def results_document(variant: str, rows: list[Row], info: dict[str, Any]) -> dict[str, Any]:
    return {**info, "variant": variant, "rows": [r.as_dict() for r in rows],
            "met": sum(r.met for r in rows), "total": len(rows),
            "not_comparable": sum(not r.comparable for r in rows),
            "load_limit": machine_load.threshold(info["machine"]["nproc"])}


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def _generated_section(variant: str, rows: list[Row], info: dict[str, Any]) -> str:
    m = info["machine"]
    mem = f"{m['memory_bytes'] / 2**30:.1f} GiB" if m.get("memory_bytes") else "unknown"
    vers = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    load = info["load"]
    loaded = (f"**yes** (a reading above {machine_load.threshold(m['nproc']):.1f} on {m['nproc']} cores: other "
              f"processes were running): load average {load['start'][0]:.1f} at start, {load['end'][0]:.1f} at end"
              ) if info["loaded"] else (
              f"no (load average {load['start'][0]:.1f} at start, {load['end'][0]:.1f} at end)")
    samples = sorted(load.get("samples") or [])
    if samples:
        loaded += (f"; during the run (every 10 s): min {samples[0]:.1f}, median {samples[len(samples) // 2]:.1f}, "
                   f"max {samples[-1]:.1f}")
    return "\n".join([
        f"### `{variant}` variant",
        "",
        f"- date: {info['date']}",
        f"- command: `{info['command']}` ({info['elapsed_s']:.0f} s)",
        f"- machine: {m['nproc']} cores ({m['cpu']}), {mem} RAM, {m['platform']}, Python {m['python']}",
        f"- versions: {vers}",
        f"- machine loaded by other work during the run: {loaded}",
        f"- targets: {summary(rows)}",
        "",
        markdown_table(rows, m["nproc"]),
        "",
        "Ratios are ours / baseline on medians (on minimums in parentheses); each figure's repetitions are in "
        f"`benchmarks/results/{variant}.json`.",
    ])


def update_markdown(variant: str, rows: list[Row], info: dict[str, Any], path: Path = MARKDOWN) -> None:
    """Replace this variant's generated block in BENCHMARKS.md, keeping every hand-written section."""
    start, end = f"<!-- results:{variant}:start -->", f"<!-- results:{variant}:end -->"
    block = f"{start}\n{_generated_section(variant, rows, info)}\n{end}"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = (text.rstrip() + "\n\n" if text else "# Benchmarks\n\n") + block + "\n"
    path.write_text(text)


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
