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

from wap_notebook.lakehouse.partials.collect import FORMAT_VERSION, PROPERTY, FilePartials, ImportPartials, start
from wap_notebook.lakehouse.partials.keys import KEYSET_MEMORY_KEYS, KeySet
from wap_notebook.lakehouse.partials.measure import supported
from wap_notebook.lakehouse.partials.read import read

__all__ = ["FORMAT_VERSION", "KEYSET_MEMORY_KEYS", "PROPERTY", "FilePartials", "ImportPartials", "KeySet", "read",
           "start", "supported"]
