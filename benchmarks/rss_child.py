"""Row 7, run in a fresh interpreter: peak RSS growth of one `import_data` call.

Usage: python -m benchmarks.rss_child '{"uri": ..., "rows": N, "workdir": ..., "partitioned_by": None}' (S3 settings
from the environment; `partitioned_by` as `create_table` takes it, optional).
Prints one JSON line: {"rss_before": bytes, "peak": bytes, "growth": bytes, "rows": N, "seconds": s, "how": ...}.
The peak is the larger of the kernel's high-water mark (VmHWM, reset just before the import through
/proc/self/clear_refs when allowed) and a 2 ms RSS sampler running during the import.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from pathlib import Path

import psutil


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    from wap_notebook.lakehouse.client import LocalClient

    client = LocalClient(Path(args["workdir"]), username="bench")
    branch = "bench.rss"
    client.create_branch(branch, "main")
    client.create_table("events", args["uri"], branch=branch, partitioned_by=args.get("partitioned_by"))
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    hwm_reset = _reset_hwm()
    peak_sampled = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_sampled
        while not stop.is_set():
            peak_sampled = max(peak_sampled, process.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    state = client.import_data("events", args["uri"], branch=branch)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    hwm_kib = _status_kib("VmHWM") if hwm_reset else None
    peak = max(peak_sampled, (hwm_kib or 0) * 1024)
    rows = client.job_details(state.job_id).rows_imported
    if state.job_status != "SUCCESS" or rows != args["rows"]:
        print(json.dumps({"error": f"import failed: {state.job_status} {state.error} rows={rows}"}))
        return 1
    print(json.dumps({"rss_before": before, "peak": peak, "growth": peak - before, "rows": rows,
                      "seconds": seconds, "how": "VmHWM reset + 2 ms sampler" if hwm_reset else "2 ms sampler"}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
