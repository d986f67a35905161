"""The Profile tab's HTML from plain values: the profile frame, suggested checks and the history."""

from __future__ import annotations

import html
import re

import pandas as pd

from wap_notebook.engine.explore import PROFILE_COLUMNS, Suggestions
from wap_notebook.notebook.panel.profile_html import history_html, profile_html, suggestions_html


def profile_frame() -> pd.DataFrame:
    rows = [
        {"column": "amount", "type": "double", "new_rows": 41, "new_null_pct": 0.0, "main_null_pct": 0.0,
         "new_distinct": 39, "main_distinct": 300, "new_min": -12.5, "new_max": 99999.0, "main_min": 7.7,
         "main_max": 504.5, "new_mean": 1.0, "main_mean": 2.0, "top_values": [], "not_on_main": [], "sampled": True},
        {"column": "status", "type": "string", "new_rows": 41, "new_null_pct": 4.88, "main_null_pct": None,
         "new_distinct": 5, "main_distinct": None, "new_min": "delivered", "new_max": "shipped", "main_min": None,
         "main_max": None, "new_mean": None, "main_mean": None, "top_values": ["placed (13)", "<b> (2)"],
         "not_on_main": ["lost"], "sampled": True},
    ]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def test_profile_reads_like_the_rest_of_the_panel():
    shown = profile_html(profile_frame())
    assert "-12.5 … 99,999" in shown and "1e+05" not in shown  # numbers one way everywhere
    assert "0% (main 0%)" in shown and "39 (main 300)" in shown  # main's figure beside the new rows'
    assert ">4.88%<" in shown and "nan" not in shown  # no main figure (a new column): nothing in brackets
    assert "placed (13), &lt;b&gt; (2)" in shown  # values escaped
    assert ">lost<" in shown and ">–<" in shown  # nothing to list is a dash, not a null
    assert "New rows: 41 (a sample)" in shown


def test_suggestions_are_text_to_copy():
    found = Suggestions("orders", "- not_null: [order_id]\n- accepted_values: {column: s, values: ['<x>']}\n", [],
                        ["suggested from main"])
    shown = suggestions_html(found)
    blocks = [html.unescape(b) for b in re.findall(r'<pre class="wap-code" data-lang="\w+">(.*?)</pre>', shown, re.S)]
    assert blocks == [found.yaml, f'ingestion.validate(checks="""\n{found.yaml}""")']
    assert "not applied" in shown and "<li>suggested from main</li>" in shown
    assert "no checks to suggest" in suggestions_html(Suggestions("orders", "", [], ["new table"]))


def test_history_says_how_to_read_all_of_it():
    empty = history_html(pd.DataFrame(columns=["when"]), "orders", namespace="bauplan", ref="main")
    assert "no audited merge" in empty and html.escape("wap_notebook.history('orders')") in empty
    other = history_html(None, "orders", namespace="sales", ref="main")
    assert "unavailable" in other and html.escape("wap_notebook.history('orders', namespace='sales')") in other
    merges = pd.DataFrame([{"when": pd.Timestamp("2026-12-03 09:28:54.154", tz="UTC"), "who": "ana", "rows_added": 300,
                            "verdict": "forced", "reason": "known rows", "merge_commit": "a" * 64}])
    shown = history_html(merges, "orders", namespace="bauplan", ref="main")
    assert ">2026-12-03 09:28:54 UTC<" in shown and f">{'a' * 12}<" in shown and ">known rows<" in shown
