"""Both tutorials execute headless with nbclient; assertions on their outputs and on the lakehouse they left."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from wap_notebook import LocalClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def execute(name: str, lake_path: Path, monkeypatch) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit without outputs"
    # The kernel inherits this environment: the tutorial's lakehouse goes where the test can read it.
    monkeypatch.setenv("WAP_TUTORIAL_LAKEHOUSE", str(lake_path))
    for key in ("AWS_ENDPOINT_URL", "WAP_LAKEHOUSE_PATH"):
        monkeypatch.delenv(key, raising=False)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def text_of(cell) -> str:
    """Everything a cell showed, as text: stdout, text/plain, text/html, and errors. Stream outputs are joined
    as written: one print can arrive as several stream outputs when the kernel flushes between its pieces
    (under load), and their text carries its own newlines."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            if parts and parts[-1][0] == "stream":
                parts[-1] = ("stream", parts[-1][1] + output.text)
            else:
                parts.append(("stream", output.text))
        elif output.output_type in ("execute_result", "display_data"):
            for mime in ("text/plain", "text/html"):
                if mime in output.data:
                    parts.append((mime, output.data[mime]))
        elif output.output_type == "error":
            parts.append(("error", "\n".join(output.traceback)))
    return "\n".join(text for _, text in parts)


def cell_with(nb, snippet: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and snippet in c.source]
    assert len(matches) == 1, snippet
    return matches[0]


def widget_values(nb) -> str:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return json.dumps(state.get("state", {}))


def test_tutorial_01_quality_gated_ingestion(tmp_path, monkeypatch):
    lake_path = tmp_path / "lake01"
    nb = execute("01_quality_gated_ingestion.ipynb", lake_path, monkeypatch)
    everything = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in everything

    # Each panel has a saved view beside it (static HTML, and text), brought up to date as the ingestion
    # moves on: the first one was merged from code two cells later, the bad one discarded.
    first_text = text_of(cell_with(nb, "--as orders\n"))
    assert "orders: merged into main" in first_text and 'class="wap-saved"' in first_text
    assert "Merged into main: commit" in first_text and "unique(order_id)" in first_text
    bad_text = text_of(cell_with(nb, "--as bad\n"))
    assert "discarded" in bad_text.split("\n", 2)[1] and "between(amount)" in bad_text
    assert "merged as commit" in text_of(cell_with(nb, "commit = orders.merge()"))
    counts = [text_of(c) for c in nb.cells if c.cell_type == "code" and "orders_on_main" in c.source]
    assert "300" in counts[0] and "300" in counts[1] and "420" in counts[2]

    bad_report = text_of(cell_with(nb, "bad.report["))
    assert "failed - passed: False" in bad_report
    assert "-12.5" in text_of(cell_with(nb, 'bad.failures("between(amount)")'))
    assert "lost" in text_of(cell_with(nb, 'bad.failures("accepted_values(status)")'))
    assert "discarded - branch exists: False" in text_of(cell_with(nb, "bad.discard()"))
    assert "merged {'orders': 120}" in text_of(cell_with(nb, "print(appended.phase"))
    assert "customers: checks passed" in text_of(cell_with(nb, "--as customers"))

    # widget state was saved: the panels rendered their report and the merge status
    values = widget_values(nb)
    assert "wap-report" in values and "Merged into main: commit" in values

    # the lakehouse the notebook left behind: orders published, customers waiting for the Merge click
    lake = LocalClient(lake_path)
    assert lake.query("SELECT COUNT(*) AS n FROM bauplan.orders", ref="main").column("n")[0].as_py() == 420
    assert not lake.has_table("customers", "main", namespace="bauplan")
    open_branches = [b.name for b in lake.get_branches() if "import_customers" in b.name]
    assert len(open_branches) == 1


def test_tutorial_02_python_api(tmp_path, monkeypatch):
    nb = execute("02_python_api.ipynb", tmp_path / "unused", monkeypatch)
    everything = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in everything
    assert "imported" in text_of(cell_with(nb, "orders.import_data()"))
    assert "merged" in text_of(cell_with(nb, "commit = orders.merge()"))
    assert "- branch left: False" in text_of(cell_with(nb, "bad.run()"))
    assert "passed ['orders', 'customers']" in text_of(cell_with(nb, "multi.run()"))
    assert "import_orders_customers" in text_of(cell_with(nb, "list_ingestions(client=lake)"))
    resumed = text_of(cell_with(nb, "resumed.validate()"))
    assert resumed.startswith("passed") and "'orders'" in resumed and "'customers'" in resumed
    final = text_of(cell_with(nb, "commit = resumed.merge()"))
    assert "420" in final and "50" in final
    audit = text_of(cell_with(nb, "latest.properties"))
    assert "Publish" in audit and "orders" in audit and "customers" in audit


def test_tutorial_03_when_things_go_wrong(tmp_path, monkeypatch):
    lake_path = tmp_path / "lake03"
    nb = execute("03_when_things_go_wrong.ipynb", lake_path, monkeypatch)
    everything = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in everything
    assert "remembered - failed" in text_of(cell_with(nb, "bad = Ingestion("))
    resumed = text_of(cell_with(nb, "restored = Ingestion.resume("))
    assert resumed.startswith("failed ['not_null(order_id, customer_id)'") and "refused: Cannot merge" in resumed
    assert "main moved 1 commit since ours branched" in text_of(cell_with(nb, "theirs = Ingestion("))
    conflict = text_of(cell_with(nb, "except MergeConflictError"))
    assert "bauplan.orders changed on main" in conflict and "rebase()" in conflict
    assert "orders on main: 450" in text_of(cell_with(nb, "ours.rebase()"))
    forced = text_of(cell_with(nb, "late.merge(force=True"))
    assert "WARNING: Merged with override: finance confirmed the refunds" in forced
    pruned = text_of(cell_with(nb, "removed = open_branches.prune("))
    assert "would delete" in pruned and "2 deleted; open now: 0" in pruned
    # Each ingestion shows its panel, and the saved view below it holds the panel's last state.
    panels = {"bad = Ingestion(": "orders: checks failed\n", "restored = Ingestion.resume(": "orders: checks failed; "
              "branch discarded\n", "theirs = Ingestion(": "orders: merged into main\n",
              "late.merge(force=True": "orders: merged into main with failed checks overridden\n"}
    for snippet, heading in panels.items():
        outputs = cell_with(nb, snippet).outputs
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), snippet
        saved = [o.data for o in outputs if "wap-saved" in o.get("data", {}).get("text/html", "")]
        assert len(saved) == 1 and saved[0]["text/plain"].startswith(heading), (snippet, saved)
    assert "wap-report" in widget_values(nb)
    lake = LocalClient(lake_path)
    assert [b.name for b in lake.get_branches()] == ["main"]
    latest = next(iter(lake.get_commits("main", limit=1)))
    assert latest.properties["wap.forced"] == "true"


@pytest.mark.parametrize("name", ["01_quality_gated_ingestion.ipynb", "02_python_api.ipynb",
                                  "03_when_things_go_wrong.ipynb"])
def test_tutorials_are_committed_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in nb.metadata


def test_demo_terminal_flow(tmp_path, capsys):
    from wap_notebook.demo.__main__ import main

    assert main(["--build-dir", str(tmp_path), "--skip-notebook"]) == 0
    out = capsys.readouterr().out
    assert "phase: importing" in out and "phase: merged" in out
    assert "Validation report (FAILED)" in out and "between(amount)" in out
    assert "orders on main: 300 rows (unchanged)" in out and "orders on main: 420 rows" in out


def test_tutorial_04_exploring_a_new_dataset(tmp_path, monkeypatch):
    nb = execute("04_exploring_a_new_dataset.ipynb", tmp_path / "lake04", monkeypatch)
    everything = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in everything
    assert "not_on_main" in text_of(cell_with(nb, "feb.profile()"))
    assert "accepted_values" in text_of(cell_with(nb, "print(suggested.yaml)"))
    assert "passed - passed: True" in text_of(cell_with(nb, "feb.validate(checks=suggested.checks)"))
    assert "re-validating it" in text_of(cell_with(nb, "mostly: 0.99"))
    report = text_of(cell_with(nb, 'print(march.report'))
    assert "within tolerance" in report and "BAD-TAIL" in report
    april = text_of(cell_with(nb, "bad_april = Ingestion("))
    assert "'ZZ'" in april and "null rate" in april and "-> 40" in april
    history = text_of(cell_with(nb, "wap_notebook.history("))
    assert history.count("passed") >= 3
    assert "failed" in text_of(cell_with(nb, "tiny = Ingestion("))
