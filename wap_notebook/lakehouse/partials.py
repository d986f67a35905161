"""Check partial aggregates computed while an import has the record batches in memory.

A local-only channel, invisible to `bauplan.Client`'s API (whose signatures `LocalClient` keeps); the types,
the request context and `lookup` are the backend-neutral contract in `wap_notebook.core.partials_contract`, this
module computes and reads (`read`, registered as `LocalClient`'s reader):

- the caller states what it wants before calling `import_data`, in a context::

      with partials_contract.requested({"ns.table": PartialRequest(measures)}):
          client.import_data("table", uri, branch=..., namespace="ns")

- the import computes the measures on each record batch it writes (on a worker thread, so the
  kernels overlap the Parquet encoding), keeps a file's partials only when that file is written
  whole, merges the kept files' partials, and stores them **in the Iceberg snapshot the import
  commits** (snapshot summary property `wap.partials`). A failed import commits no snapshot, so it
  leaves no partials; with `continue_on_error` the failed files' partials are dropped with them;
- `read(client, table, namespace, ref, since_ref)` (what `partials_contract.lookup` calls for a
  `LocalClient`) returns the partials of exactly the rows a ref's table version added since
  `since_ref` (or since the table was created), by walking the table's
  snapshot ancestry: every snapshot in between must be an import that carries partials whose row
  count matches the snapshot's `added-records`, or the answer is None and the caller queries.

Partials are values, not a cache keyed by table name: they belong to the snapshot that added the rows,
so a branch re-imported onto a new base, a replaced table or a table changed by other means simply
has no (or other) partials on the path, and validation falls back to SQL.

What is exact, and how it matches DuckDB (the SQL path): null counts are Arrow null counts (NaN is
not NULL); `out_of_range` counts every NaN (as `between` does); min/max report
NaN as DuckDB does; regexes run on RE2 in both; distinct keys use an exact hash set (integers,
timestamps) or DuckDB's own COUNT(DISTINCT) over the collected keys (other types), which spills to
disk past a memory budget. Anything that cannot be computed exactly is left out (None), never guessed.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wap_notebook.core.partials_contract import Measure, NewRowPartials, PartialRequest, request_for

logger = logging.getLogger(__name__)

PROPERTY = "wap.partials"  # snapshot summary key
FORMAT_VERSION = 1
# Distinct keys held in memory before spilling to disk (an int64 hash table costs ~24 bytes a key).
KEYSET_MEMORY_KEYS = 4_000_000
_MAX_PENDING = 4  # batches queued for the worker: bounds memory when the checks are slower than writing


# ------------------------------------------------------------------------------------------ computing
def supported(measure: Measure, schema: pa.Schema) -> bool:
    """Whether `measure` can be computed exactly, with DuckDB's semantics, on columns of `schema`."""
    if any(c not in schema.names for c in measure.columns):
        return False
    if measure.kind in ("nulls", "any_null"):
        return True
    typ = schema.field(measure.columns[0]).type
    numeric = pa.types.is_integer(typ) or pa.types.is_floating(typ)
    text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    if measure.kind == "not_matching":
        return text
    if measure.kind == "distinct":
        return True
    if measure.kind == "minmax":
        return numeric or text
    values = measure.arg if measure.kind == "not_in" else [v for v in (measure.arg or []) if v is not None]
    if not isinstance(values, (list, tuple)) or (measure.kind == "not_in" and not values):
        return False
    if text:
        return all(isinstance(v, str) for v in values)
    if pa.types.is_integer(typ) and measure.kind == "not_in":
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if numeric:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)
    return False


def _count_true(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def _nan_count(column: pa.Array) -> int:
    return _count_true(pc.is_nan(column)) if pa.types.is_floating(column.type) else 0


class _DenseKeys:
    """Integer keys in a narrow range (ids, sequence numbers) as one flag per value of the range.

    Marking a key is a scatter into a byte array and the distinct count is the number of flags set:
    several times cheaper than hashing, and exact. `add` refuses keys that would make the range wider
    than `max_span` or much wider than the keys seen (sparse keys belong in a hash table).
    """

    def __init__(self, max_span: int) -> None:
        self.max_span = max_span
        self.lo = 0
        self.flags: Any = None
        self.seen = 0

    def add(self, values: Any) -> bool:
        import numpy as np

        if len(values) == 0:
            return True
        self.seen += len(values)
        low, high = int(values.min()), int(values.max())
        if self.flags is None:
            lo, hi = low, high + 1
        else:
            lo, hi = min(self.lo, low), max(self.lo + len(self.flags), high + 1)
        span = hi - lo
        if span > self.max_span or span > 16 * self.seen + (1 << 20):
            return False
        if self.flags is None or lo < self.lo or hi > self.lo + len(self.flags):
            grown = np.zeros(span + span // 4, dtype=np.bool_)  # slack: ranges usually grow in one direction
            if self.flags is not None:
                grown[self.lo - lo:self.lo - lo + len(self.flags)] = self.flags
            self.lo, self.flags = lo, grown
        self.flags[values - self.lo] = True
        return True

    def keys(self) -> Any:
        import numpy as np

        if self.flags is None:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.flags).astype(np.int64) + self.lo

    def count(self) -> int:
        import numpy as np

        return 0 if self.flags is None else int(np.count_nonzero(self.flags))


class KeySet:
    """Exact count of distinct non-NULL keys fed in batches.

    Integers and timestamps in a narrow range are flagged in a byte array (`_DenseKeys`); wider ones go
    into a hash table as they arrive (pandas' int64 table; its insert loop releases the GIL); past
    `memory_keys` distinct keys, or for other types, keys are collected in memory or a temporary Parquet
    file and counted once with DuckDB's COUNT(DISTINCT), which spills its own hash table to disk under a
    memory limit. All are exact.
    """

    def __init__(self, typ: pa.DataType, memory_keys: int = KEYSET_MEMORY_KEYS) -> None:
        self.nonnull = 0
        self._memory_keys = memory_keys
        self._table: Any = None
        self._uniques: list[Any] = []  # the table's keys, kept to hand over when spilling
        self._collected: list[pa.Array] = []
        self._collected_rows = 0
        self._spill_dir: str | None = None
        self._spill: pq.ParquetWriter | None = None
        self._int_like = pa.types.is_integer(typ) or pa.types.is_timestamp(typ) or pa.types.is_date(typ)
        self._dense = _DenseKeys(max_span=16 * memory_keys) if self._int_like else None
        if self._int_like:
            try:
                from pandas._libs import hashtable

                self._table = hashtable.Int64HashTable(1024)
            except (ImportError, AttributeError):  # a pandas without it: the DuckDB path is exact too
                self._table = None

    def add(self, column: pa.Array) -> None:
        keys = column.drop_null() if column.null_count else column
        self.nonnull += len(keys)
        if self._int_like:
            keys = _as_int64(keys)
        if self._dense is not None:
            values = keys.to_numpy(zero_copy_only=False)
            if self._dense.add(values):
                return
            present, self._dense = self._dense.keys(), None  # too wide or sparse: hash from now on
            self._add_int64(pa.array(present))
        if self._int_like:
            self._add_int64(keys)
        else:
            self._collect(keys)

    def _add_int64(self, keys: pa.Array) -> None:
        if self._table is not None:
            self._uniques.append(self._table.unique(keys.to_numpy(zero_copy_only=False)))
            if len(self._table) > self._memory_keys:
                self._table = None  # hand what it holds to the collector; every later key follows
                for chunk in self._uniques:
                    self._collect(pa.array(chunk))
                self._uniques = []
            return
        self._collect(keys)

    def _collect(self, keys: pa.Array) -> None:
        if self._spill is None and self._collected_rows + len(keys) > self._memory_keys:
            self._spill_dir = tempfile.mkdtemp(prefix="wap-keys-")
            self._spill = pq.ParquetWriter(f"{self._spill_dir}/keys.parquet", pa.schema([("k", keys.type)]))
            for chunk in self._collected:
                self._spill.write_table(pa.table({"k": chunk}))
            self._collected = []
        if self._spill is not None:
            self._spill.write_table(pa.table({"k": keys}))
        else:
            self._collected.append(keys)
            self._collected_rows += len(keys)

    def distinct(self) -> int:
        if self._dense is not None:
            return self._dense.count()
        if self._table is not None:
            return len(self._table)
        import duckdb

        con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": False})
        try:
            if self._spill is not None:
                self._spill.close()
                con.execute(f"SET temp_directory='{self._spill_dir}'")
                con.execute("SET memory_limit='256MB'")
                source = f"read_parquet('{self._spill_dir}/keys.parquet')"
            else:
                keys = pa.table({"k": pa.chunked_array(self._collected, type=self._collected[0].type)}) \
                    if self._collected else pa.table({"k": pa.array([], pa.int64())})
                con.register("collected_keys", keys)
                source = "collected_keys"
            return int(con.execute(f"SELECT COUNT(DISTINCT k) FROM {source}").fetchone()[0])
        finally:
            con.close()
            self.close()

    def close(self) -> None:
        if self._spill is not None:
            try:
                self._spill.close()
            except Exception:  # noqa: BLE001 - already closed by distinct()
                pass
            self._spill = None
        if self._spill_dir is not None:
            shutil.rmtree(self._spill_dir, ignore_errors=True)
            self._spill_dir = None
        self._collected, self._uniques, self._table, self._dense = [], [], None, None


def _as_int64(keys: pa.Array) -> pa.Array:
    """Integer-like keys as int64 with the same equality (timestamps and dates by their raw value)."""
    if pa.types.is_timestamp(keys.type):
        return keys.view(pa.int64())
    if pa.types.is_date32(keys.type):
        return keys.view(pa.int32()).cast(pa.int64())
    if pa.types.is_date64(keys.type):
        return keys.view(pa.int64())
    return keys if pa.types.is_int64(keys.type) else keys.cast(pa.int64())


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
            value = _measure(m, batch)
            self.values[m.key] = value if m.key not in self.values else _merge(m, self.values[m.key], value)
        self.rows += batch.num_rows


def _measure(m: Measure, batch: pa.RecordBatch) -> Any:
    cols = [batch.column(c) for c in m.columns]
    col = cols[0]
    if m.kind == "nulls":
        return col.null_count
    if m.kind == "any_null":
        mask = pc.is_null(cols[0])
        for other in cols[1:]:
            mask = pc.or_(mask, pc.is_null(other))
        return _count_true(mask)
    if m.kind == "not_in":
        value_set = pa.array(m.arg, type=col.type) if not pa.types.is_floating(col.type) else pa.array(
            [float(v) for v in m.arg], type=col.type)
        # is_in gives False for a NULL input: count the non-NULL values that are in the list instead.
        return len(col) - col.null_count - _count_true(pc.is_in(col, value_set=value_set, skip_nulls=True))
    if m.kind == "out_of_range":
        lo, hi = m.arg
        mask = None
        if lo is not None:
            mask = pc.less(col, pa.scalar(lo))
        if hi is not None:
            above = pc.greater(col, pa.scalar(hi))
            mask = above if mask is None else pc.or_(mask, above)
        # NaN is in no range: `between` fails it explicitly (`OR isnan(x)`); IEEE comparisons say False.
        return _count_true(mask) + _nan_count(col)
    if m.kind == "minmax":
        found = pc.min_max(col).as_py()
        lo, hi = (v if _present(v) else None for v in (found["min"], found["max"]))
        # NaN is counted apart; minmax_as_duckdb puts it back where DuckDB would (it sorts NaN last).
        return [lo, hi, _nan_count(col), len(col) - col.null_count]
    if m.kind == "not_matching":
        return _count_true(pc.invert(pc.match_substring_regex(col, m.arg)))
    raise ValueError(m.kind)


def _present(value: Any) -> bool:
    """A bound that takes part in min/max: not NULL and not NaN (NaN is counted apart, see minmax_as_duckdb);
    comparing with NaN would make Python's min/max depend on the order of the files."""
    return value is not None and value == value


def _merge_minmax(a: list[Any], b: list[Any]) -> list[Any]:
    lo = [v for v in (a[0], b[0]) if _present(v)]
    hi = [v for v in (a[1], b[1]) if _present(v)]
    return [min(lo) if lo else None, max(hi) if hi else None, a[2] + b[2], a[3] + b[3]]


def _merge(m: Measure, a: Any, b: Any) -> Any:
    return _merge_minmax(a, b) if m.kind == "minmax" else a + b


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
                self.values[m.key] = v if m.key not in self.values else _merge(m, self.values[m.key], v)
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
                if m.kind == "minmax":
                    values.setdefault(m.key, [None, None, 0, 0])
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


# ------------------------------------------------------------------------------------------ reading
def read(client: Any, table: str, namespace: str, ref: str, since_ref: str | None,
         wanted: tuple[Measure, ...] = ()) -> NewRowPartials | None:
    """Partials of the rows `table` gained on `ref` since `since_ref` (None: since it was created).

    A snapshot on the path that carries no partials (imported without a request) is described from its
    Iceberg column statistics instead, for the `wanted` measures those answer exactly (metadata first:
    null counts; bounds of integer columns). None when no snapshot on the path carries anything: the caller
    then uses SQL. `LocalClient`'s reader for `partials_contract.lookup` (registered in lakehouse/client.py).
    """
    try:
        from wap_notebook.lakehouse import tables

        key = f"{namespace}.{table}"
        location = client._resolve(ref).commit.state.tables.get(key)
        if location is None:
            return None
        base_location = client._resolve(since_ref).commit.state.tables.get(key) if since_ref else None
        return _walk(tables.load_table_at(location), tables.load_table_at(base_location) if base_location else None,
                     wanted)
    except Exception:  # noqa: BLE001 - any doubt means "no partials": the SQL path is always right
        logger.debug("partials lookup failed for %s", table, exc_info=True)
        return None


def _walk(after: Any, before: Any | None, wanted: tuple[Measure, ...] = ()) -> NewRowPartials | None:
    stop: int | None = None
    if before is not None:
        if before.metadata.table_uuid != after.metadata.table_uuid:
            return None  # a different table (replaced): "new rows since" is not an ancestry question
        base_snapshot = before.current_snapshot()
        stop = base_snapshot.snapshot_id if base_snapshot is not None else None
    rows_before = 0
    if before is not None and before.current_snapshot() is not None:
        summary = before.current_snapshot().summary
        rows_before = int(summary.additional_properties.get("total-records", 0)) if summary is not None else 0
    by_id = {s.snapshot_id: s for s in after.metadata.snapshots}
    snapshot = after.current_snapshot()
    documents: list[dict[str, Any]] = []
    while snapshot is not None and snapshot.snapshot_id != stop:
        summary = snapshot.summary
        props = summary.additional_properties if summary is not None else {}
        added = int(props.get("added-records", 0))
        if summary is None or str(summary.operation.value) != "append":
            return None
        raw = props.get(PROPERTY)
        document = json.loads(raw) if raw is not None else _from_statistics(after, snapshot, wanted, added)
        if document is None:
            return None
        if document.get("v") != FORMAT_VERSION or int(document["rows"]) != added:
            return None
        documents.append(document)
        parent = snapshot.parent_snapshot_id
        snapshot = by_id.get(parent) if parent is not None else None
        if snapshot is None and parent is not None:
            return None  # history expired: cannot prove the path
    if stop is not None and snapshot is None:
        return None  # the base snapshot is not an ancestor (rebased or rewritten): not this path
    if not documents or not any(d["m"] for d in documents):
        return None  # nothing known beyond row counts: ask SQL
    found = _combine(documents)
    found.rows_before = rows_before
    if before is not None:
        for m in wanted:
            if m.kind == "distinct" and m.columns[0] not in found.base_bounds:
                bounds = _integer_bounds(before, m.columns[0])
                if bounds is not False:
                    found.base_bounds[m.columns[0]] = bounds  # type: ignore[assignment]
    return found


def _from_statistics(table: Any, snapshot: Any, wanted: tuple[Measure, ...], added: int) -> dict[str, Any] | None:
    """A partials document for a snapshot's added data files, from the column statistics in its manifests.

    Only what the statistics state exactly: per-column null counts, and min/max of integer columns
    (whose bounds are never truncated and have no NaN). A file without a statistic makes the measure
    unknown; nothing else is derived.
    """
    from pyiceberg.conversions import from_bytes
    from pyiceberg.manifest import ManifestEntryStatus
    from pyiceberg.types import IntegerType, LongType

    useful = [m for m in wanted if m.kind in ("nulls", "minmax", "out_of_range")]
    if not useful:
        return {"v": FORMAT_VERSION, "rows": added, "m": {}}
    schema = table.schema()
    files = [entry.data_file for manifest in snapshot.manifests(table.io)
             for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True)
             if entry.status == ManifestEntryStatus.ADDED and entry.snapshot_id == snapshot.snapshot_id]
    if sum(f.record_count for f in files) != added:
        return None
    values: dict[str, Any] = {}
    for m in useful:
        try:
            field = schema.find_field(m.columns[0])
        except ValueError:
            continue
        nulls = [(f.null_value_counts or {}).get(field.field_id) for f in files]
        if any(n is None for n in nulls):
            continue
        if m.kind == "nulls":
            values[m.key] = sum(nulls)
            continue
        if not isinstance(field.field_type, (IntegerType, LongType)):
            continue
        bounds = []
        for f, n in zip(files, nulls, strict=True):
            lower, upper = (f.lower_bounds or {}).get(field.field_id), (f.upper_bounds or {}).get(field.field_id)
            if n < f.record_count and (lower is None or upper is None):
                break
            if n < f.record_count:
                bounds.append((from_bytes(field.field_type, lower), from_bytes(field.field_type, upper)))
        else:
            lo = min((b[0] for b in bounds), default=None)
            hi = max((b[1] for b in bounds), default=None)
            if m.kind == "minmax":
                values[m.key] = [lo, hi, 0, added - sum(nulls)]
            elif lo is None or ((m.arg[0] is None or lo >= m.arg[0]) and (m.arg[1] is None or hi <= m.arg[1])):
                values[m.key] = 0  # every value lies within the range: nothing out of it, without a scan
    return {"v": FORMAT_VERSION, "rows": added, "m": values}


def _integer_bounds(table: Any, column: str) -> tuple[int, int] | None | bool:
    """(min, max) of an integer column over every live data file of the table version, from the manifests;
    None when no file holds a value; False when the statistics cannot prove the bounds."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.types import IntegerType, LongType

    snapshot = table.current_snapshot()
    if snapshot is None:
        return None
    try:
        field = table.schema().find_field(column)
    except ValueError:
        return False
    if not isinstance(field.field_type, (IntegerType, LongType)):
        return False
    lows: list[int] = []
    highs: list[int] = []
    for manifest in snapshot.manifests(table.io):
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            f = entry.data_file
            nulls = (f.null_value_counts or {}).get(field.field_id)
            if nulls is not None and nulls == f.record_count:
                continue  # no value of the column in this file
            lower, upper = (f.lower_bounds or {}).get(field.field_id), (f.upper_bounds or {}).get(field.field_id)
            if lower is None or upper is None:
                return False
            lows.append(from_bytes(field.field_type, lower))
            highs.append(from_bytes(field.field_type, upper))
    return (min(lows), max(highs)) if lows else None


def _combine(documents: list[dict[str, Any]]) -> NewRowPartials:
    result = NewRowPartials(rows=sum(int(d["rows"]) for d in documents), snapshots=len(documents))
    keys = set.intersection(*(set(d["m"]) for d in documents)) if documents else set()
    for key in keys:
        values = [d["m"][key] for d in documents]
        first = values[0]
        if isinstance(first, int):
            result.values[key] = sum(values)
        elif isinstance(first, list) and len(first) == 4:
            merged = first
            for v in values[1:]:
                merged = _merge_minmax(merged, v)
            result.values[key] = merged
        elif isinstance(first, list) and len(first) == 2:
            # Distinct counts of two imports cannot be added (their keys may overlap): only one import may
            # carry keys for the value to stand.
            carrying = [v for v in values if v[0]]
            if len(carrying) <= 1:
                result.values[key] = carrying[0] if carrying else [0, 0]
    return result
