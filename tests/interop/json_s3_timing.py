"""JSON Lines import timing: the same file from the loopback S3 server and from a local path, same code.

Not a test (timings are never asserted): `.venv/bin/python -m tests.interop.json_s3_timing [MiB] [reps]`.
Runs alternate (local, S3, local, S3, ...) so machine load hits both alike; prints the best and median time
of each and the ratio of the best times (the issue's target: S3 within 1.5x of local).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _write_events(path: Path, mib: int) -> int:
    rng = random.Random(1)
    rows = 0
    with open(path, "w", encoding="utf-8") as handle:
        while handle.tell() < mib << 20:
            lines = []
            for _ in range(10_000):
                minute = rows % 60
                lines.append(json.dumps({
                    "id": rows, "user": f"user{rng.randrange(10_000)}", "amount": rng.random() * 100,
                    "status": rng.choice(["placed", "shipped", "delivered"]),
                    "at": f"2024-01-01T09:{minute:02d}:{minute:02d}+02:00", "n": rows % 7}))
                rows += 1
            handle.write("\n".join(lines) + "\n")
    return rows


def main(mib: int = 128, reps: int = 5) -> None:
    from wap_notebook import LocalClient
    from wap_notebook.demo.s3 import start_s3_server

    folder = Path(tempfile.mkdtemp(prefix="json-s3-timing-"))
    server = start_s3_server()
    try:
        os.environ.update(server.env)
        path = folder / "events.jsonl"
        rows = _write_events(path, mib)
        server.create_bucket("json-timing")
        uri = server.upload_bytes("json-timing", "events.jsonl", path.read_bytes())
        client = LocalClient(folder / "lakehouse", username="timing")
        client.create_branch("timing.x", "main")
        client.create_table("events", str(path), branch="timing.x")
        times: dict[str, list[float]] = {"local": [], "s3": []}
        for _ in range(reps):
            for name, source in (("local", str(path)), ("s3", uri)):
                start = time.perf_counter()
                state = client.import_data("events", source, branch="timing.x", import_duplicate_files=True)
                times[name].append(time.perf_counter() - start)
                if state.error:
                    raise SystemExit(state.error)
        best = {name: min(values) for name, values in times.items()}
        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"{path.stat().st_size / 2**20:.0f} MiB, {rows} rows, {reps} runs each: "
              f"local best {best['local']:.2f} s (median {median['local']:.2f}), "
              f"S3 best {best['s3']:.2f} s (median {median['s3']:.2f}), ratio {best['s3'] / best['local']:.2f}")
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
