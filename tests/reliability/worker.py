"""Subprocess worker for the crash and concurrency suites: `python worker.py '<json spec>'`.

It prints ``ready`` once its client is open (so the parent can time a SIGKILL from there), then runs one
operation through the real product code and prints one JSON line with the outcome. No hooks are
injected into the product: the parent kills this process with SIGKILL wherever it likes.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def _stdout(value) -> None:
    sys.stdout.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
    sys.stdout.flush()


_out = _stdout  # replaced by a pipe sender in forked workers (see `run_in_child`)


def _stdin_line() -> str:
    return sys.stdin.readline()


_wait_line = _stdin_line


def _client(spec):
    from wap_notebook import LocalClient

    return LocalClient(spec["path"], username=spec.get("username", "tester"))


def op_import(spec) -> dict:
    client = _client(spec)
    _out("ready")
    state = client.import_data(spec["table"], spec["uri"], branch=spec["branch"])
    return {"error": state.error, "status": state.job_status}


def op_merge(spec) -> dict:
    client = _client(spec)
    _out("ready")
    branch = client.merge_branch(spec["source"], spec["into"], commit_message=spec.get("message"))
    return {"hash": branch.hash}


def op_ingest(spec) -> dict:
    """An `Ingestion`; with `wait_go`, it validates, prints ``validated`` and merges only on a stdin line."""
    from bauplan import exceptions as bx

    from wap_notebook import checks
    from wap_notebook.ingestion import Ingestion

    client = _client(spec)
    _out("ready")
    wait_go = spec.get("wait_go", False)
    ing = Ingestion(spec["tables"], None, client=client, mode=spec.get("mode", "auto"),
                    checks=[checks.not_null("id")], on_success="inspect" if wait_go else "merge")
    ing.run()
    result = {"branch": ing.branch, "phase": ing.phase, "error": ing.error, "rows_added": ing.rows_added}
    if wait_go and ing.phase == "passed":
        _out("validated")
        _wait_line()
        try:
            result["merge_commit"] = ing.merge()
        except bx.MergeConflictError as exc:
            result.update(conflict=type(exc).__name__, message=str(exc))
        result["phase"] = ing.phase
    elif ing.phase == "merged":
        result["merge_commit"] = ing.merge_commit
    return result


def op_reader(spec) -> dict:
    """Query `main` until `stop_file` exists; every answer must be a committed state (checked by the parent)."""
    from bauplan import exceptions as bx

    client = _client(spec)
    _out("ready")
    observations = []
    errors = []
    deadline = time.monotonic() + spec.get("max_seconds", 300)
    while not os.path.exists(spec["stop_file"]) and time.monotonic() < deadline:
        try:
            pair = client.query(spec["pair_sql"], ref="main").to_pylist()[0]
            single = {}
            for table in client.get_tables("main"):
                if table.name.startswith("t"):
                    try:
                        n = client.query(f'SELECT COUNT(*) AS n FROM "bauplan"."{table.name}"', ref="main")
                        single[table.name] = n.column(0)[0].as_py()
                    except bx.BauplanQueryError as exc:  # the table went away meanwhile: not expected
                        errors.append(str(exc))
            observations.append({"pair": pair, "tables": single})
            time.sleep(spec.get("pause", 0.01))  # leave the CPU to the writers on small machines
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"observations": observations, "errors": errors}


OPS = {"import": op_import, "merge": op_merge, "ingest": op_ingest, "reader": op_reader}


def run_in_child(spec: dict, conn) -> None:
    """`multiprocessing` target: the same operations, reporting over a pipe instead of stdout."""
    global _out, _wait_line
    _out = conn.send
    _wait_line = conn.recv
    os.environ.update(spec.get("env") or {})  # the forkserver's environment is the one it started with
    try:
        conn.send({"ok": True, **OPS[spec["op"]](spec)})
    except Exception as exc:  # noqa: BLE001
        conn.send({"ok": False, "exception": type(exc).__name__, "message": str(exc),
                   "trace": traceback.format_exc()})


def main() -> None:
    spec = json.loads(sys.argv[1])
    try:
        result = OPS[spec["op"]](spec)
        _out({"ok": True, **result})
    except Exception as exc:  # noqa: BLE001
        _out({"ok": False, "exception": type(exc).__name__, "message": str(exc), "trace": traceback.format_exc()})
        sys.exit(1)


if __name__ == "__main__":
    main()
