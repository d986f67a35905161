"""Time `LocalClient.gc()` on a lakehouse with a realistic history and count the work it does.

    .venv/bin/python -m benchmarks.gc_history [N]   # N ingestions (default 50), each merged into main

Each ingestion runs `Ingestion(..., on_success="merge", checks=[]).run()` (so its record commits land in the
history) on one of 3 tables, and every 5th is tagged (more refs). Prints the commits, refs, the
table metadata files gc loaded, the manifests it read and its wall time (best of 3, dry run).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def main(n: int) -> None:
    from pyiceberg.manifest import ManifestFile

    from wap_notebook import Ingestion, LocalClient
    from wap_notebook.demo.s3 import start_s3_server
    from wap_notebook.lakehouse import tables

    server = start_s3_server()
    os.environ.update(server.env)
    server.create_bucket("gc-history")
    with tempfile.TemporaryDirectory() as tmp:
        client = LocalClient(Path(tmp) / "lh", username="bench")
        for i in range(n):
            buffer = io.BytesIO()
            pq.write_table(pa.table({"id": pa.array(range(i * 10, i * 10 + 10), pa.int64())}), buffer)
            uri = server.upload_bytes("gc-history", f"t/{i}.parquet", buffer.getvalue())
            ing = Ingestion(f"t{i % 3}", uri, client=client, on_success="merge", checks=[]).run()
            assert ing.error is None, ing.error
            if i % 5 == 0:
                client.create_tag(f"v{i}", "main")
        con = client._catalog._connection()
        commits = con.execute("SELECT COUNT(*) FROM commits").fetchone()[0]
        refs = con.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
        loads, reads = [0], [0]
        real_load, real_fetch = tables.load_table_at, ManifestFile.fetch_manifest_entry

        def load(*a, **k):
            loads[0] += 1
            return real_load(*a, **k)

        def fetch(self, *a, **k):
            reads[0] += 1
            return real_fetch(self, *a, **k)

        with mock.patch.object(tables, "load_table_at", load), \
                mock.patch.object(ManifestFile, "fetch_manifest_entry", fetch):
            client.gc(dry_run=True)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            client.gc(dry_run=True)
            times.append(time.perf_counter() - start)
        print(f"[gc] {n} ingestions: {commits} commits, {refs} refs; gc loaded {loads[0]} metadata files, "
              f"read {reads[0]} manifests; best of 3: {min(times):.2f} s")
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
