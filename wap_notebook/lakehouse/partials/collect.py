"""Partials of one import: per-file accumulators fed on a worker thread, kept only for files written
whole, stored in the snapshot the import commits."""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa

from wap_notebook.core.partials_contract import Measure, PartialRequest, request_for
from wap_notebook.lakehouse.partials.keys import KeySet
from wap_notebook.lakehouse.partials.measure import measure_batch, merge_values, supported

logger = logging.getLogger(__name__)

PROPERTY = "wap.partials"  # snapshot summary key
FORMAT_VERSION = 1
_MAX_PENDING = 4  # batches queued for the worker: bounds memory when the checks are slower than writing


class FilePartials:
    """Measures over the batches of one source file; merged into the import's only if the file succeeds.

    Distinct keys go straight into the import-wide key set (a hash table cannot forget keys), so a file
    that fails after some of its keys went in taints the distinct measures: they are then not stored.
    """

    def __init__(self, measures: list[Measure], keysets: dict[str, KeySet]) -> None:
        self.measures = measures
        self.rows = 0
        self.values: dict[str, Any] = {}
        self.fed_keys = False
        self.pending: list[Future[None]] = []  # this file's batches queued on the worker
        self._keysets = keysets

    def update(self, batch: pa.RecordBatch) -> None:
        for m in self.measures:
            if m.kind == "distinct":
                self.fed_keys = True
                self._keysets[m.key].add(batch.column(m.columns[0]))
                continue
            value = measure_batch(m, batch)
            self.values[m.key] = value if m.key not in self.values else merge_values(m, self.values[m.key], value)
        self.rows += batch.num_rows


class ImportPartials:
    """The partials of one import: per-file accumulators on a worker thread, merged when files succeed."""

    def __init__(self, request: PartialRequest, schema: pa.Schema, job_id: str) -> None:
        self.job_id = job_id
        self.measures = [m for m in request.measures if supported(m, schema)]
        self.keysets = {m.key: KeySet(schema.field(m.columns[0]).type) for m in self.measures
                        if m.kind == "distinct"}
        self.rows = 0
        self.values: dict[str, Any] = {}
        self.failed = False
        self.tainted_keys = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wap-partials")

    def start_file(self) -> FilePartials:
        return FilePartials(self.measures, self.keysets)

    def add(self, file: FilePartials, batch: pa.RecordBatch) -> None:
        """Queue `batch` for the worker; wait when it lags too far behind (bounded memory).

        Several files may be written at once (one thread each): each only touches its own queue, and
        the single worker thread is the only one that touches the key sets.
        """
        if self.failed:
            return
        if len(file.pending) >= _MAX_PENDING:
            oldest = file.pending.pop(0)
            if oldest.exception() is not None:  # waits for it; a worker error drops the partials
                logger.info("partials dropped: %s", oldest.exception())
                self.failed = True
                return
        file.pending.append(self._pool.submit(file.update, batch))

    def _drain(self, file: FilePartials) -> None:
        for future in file.pending:
            if future.exception() is not None:
                logger.info("partials dropped: %s", future.exception())
                self.failed = True
        file.pending = []

    def keep(self, file: FilePartials) -> None:
        """The file was written whole: its partials count. Called in file order, on one thread."""
        self._drain(file)
        if self.failed:
            return
        for m in self.measures:
            if m.kind != "distinct" and m.key in file.values:
                v = file.values[m.key]
                self.values[m.key] = v if m.key not in self.values else merge_values(m, self.values[m.key], v)
        self.rows += file.rows

    def drop(self, file: FilePartials) -> None:
        """The file failed: its rows are not committed, so neither are its partials."""
        self._drain(file)
        if file.fed_keys:
            self.tainted_keys = True

    def snapshot_properties(self, rows_committed: int) -> dict[str, str]:
        """What goes into the import's snapshot summary; empty when anything went wrong."""
        if self.failed or self.rows != rows_committed:
            return {}
        try:
            values = dict(self.values)
            if not self.tainted_keys:
                for key, keyset in self.keysets.items():
                    values[key] = [keyset.nonnull, keyset.distinct()]
            for m in self.measures:  # a measure over no batch at all (files of 0 rows): the empty value
                if m.kind in ("minmax", "length_minmax"):
                    values.setdefault(m.key, [None, None, 0, 0])
                elif m.kind == "moments":
                    values.setdefault(m.key, [0, 0, 0.0])
                elif m.kind != "distinct":
                    values.setdefault(m.key, 0)
                elif not self.tainted_keys:
                    values.setdefault(m.key, [0, 0])
        except Exception as exc:  # noqa: BLE001
            logger.info("partials dropped: %s", exc)
            return {}
        document = {"v": FORMAT_VERSION, "rows": self.rows, "job": self.job_id, "m": values}
        return {PROPERTY: json.dumps(document, default=str)}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for keyset in self.keysets.values():
            keyset.close()


def start(table_key: str, schema: pa.Schema, job_id: str) -> ImportPartials | None:
    """The import's partials if its caller asked for any (see `requested`), else None."""
    request = request_for(table_key)
    if request is None or not request.measures:
        return None
    return ImportPartials(request, schema, job_id)
