"""Exact distinct counts of an import's keys: a flag array for narrow integer ranges, a hash set, or
DuckDB's COUNT(DISTINCT) over spilled keys past a memory budget."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# Distinct keys held in memory before spilling to disk (an int64 hash table costs ~24 bytes a key).
KEYSET_MEMORY_KEYS = 4_000_000


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
            row = con.execute(f"SELECT COUNT(DISTINCT k) FROM {source}").fetchone()
            return int(row[0]) if row else 0
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
