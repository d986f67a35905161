"""Text in the panel's HTML: numbers one way everywhere, sentences without doubled stops, short hashes and
branch names with the full value on hover."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from wap_notebook.notebook.panel.tables import esc


def short(value: Any, keep: int = 8) -> str:
    """A hash cut to `keep` characters, the full value on hover."""
    text = "" if value is None else str(value)
    if len(text) <= keep:
        return f"<code>{esc(text)}</code>"
    return f'<code title="{esc(text)}">{esc(text[:keep])}</code>'


def short_branch(branch: str) -> str:
    """`user.import_orders_20261125T211737_2340a4` -> `import_orders…2340a4`, the full name on hover."""
    if not branch:
        return '<span class="wap-dim">no branch yet</span>'
    name = branch.split(".", 1)[-1]
    head, _, suffix = name.rpartition("_")
    stem = head.rsplit("_", 1)[0] if head.count("_") >= 2 else head
    text = f"{stem}…{suffix}" if stem and suffix and len(name) > 24 else name
    return f'<code title="{esc(branch)}">{esc(text)}</code>'



def cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(cell, value))
    if value is None:
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return number(value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def number(value: Any) -> str:
    """Counts and numbers one way everywhere: thousands separated, integral floats without decimals."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    as_float = float(value)
    if not np.isfinite(as_float):
        return str(as_float)
    if as_float.is_integer() and abs(as_float) < 1e15:
        return f"{int(as_float):,}"
    return f"{as_float:,.6g}" if abs(as_float) < 1e6 else f"{as_float:,.2f}"


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def sentence(text: str) -> str:
    """A message as one readable sentence: no doubled full stop where two parts were joined."""
    return _DOUBLE_STOP.sub(".", text.strip())


