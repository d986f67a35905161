"""A whole session that ends while background work runs: an ingestion merged into main, queries, the panel's
data load and a background ingestion (the magic's), then a normal exit. Run by test_clean_exit.py."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wap_notebook import Ingestion, checks
from wap_notebook.lakehouse import LocalClient
from wap_notebook.notebook.magic import run_ingestion
from wap_notebook.notebook.panel.widget import panel_for


def main(root: Path) -> None:
    ids = list(range(20_000))
    pq.write_table(pa.table({"id": ids, "amount": [i * 0.5 for i in ids]}), root / "a.parquet")
    pq.write_table(pa.table({"id": [i + 20_000 for i in ids], "amount": [1.0] * len(ids)}), root / "b.parquet")
    client = LocalClient(root / "lh", username="tester")
    ingestion = Ingestion("orders", str(root / "a.parquet"), client=client, on_success="merge",
                          checks=[checks.unique("id"), checks.not_null("id")]).run()
    assert ingestion.phase == "merged", ingestion.phase
    assert client.query("SELECT count(*) AS n FROM orders", ref="main").column("n")[0].as_py() == len(ids)
    panel = panel_for(ingestion)
    panel.schedule_data_load(update_displays=True)  # the loader thread that used to outlive the interpreter
    run_ingestion(Ingestion("orders", str(root / "b.parquet"), client=client, checks=[checks.unique("id")]),
                  panel=False, background=True)
    print("session done", flush=True)


if __name__ == "__main__":
    main(Path(tempfile.mkdtemp(prefix="wap-exit-", dir=sys.argv[1] if len(sys.argv) > 1 else None)))
