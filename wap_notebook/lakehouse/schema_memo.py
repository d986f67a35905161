"""A source's inferred schema, handed from the engine's column check to the `create_table` that follows.

Before any branch, the engine asks the embedded lakehouse which columns a new table's files would create
(`schema_contract`); a moment later `create_table` infers the same schema from the same footers (and first
text blocks) again. Reading them costs a request per file to the object store, once per file in the
preflight and once more in the creation: on a 1K-row batch from S3 that second read was about a fifth of the
whole ingestion. So the preflight's answer is kept for the next creation from the same URI, for a short
while, and only if the URI still matches the same files with the same sizes (listed again, which is cheap);
otherwise, or once taken, the files are read again. The import itself always reads the files and conforms
them to the table's schema, so a file rewritten meanwhile cannot slip in unnoticed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pyarrow as pa

from wap_notebook.lakehouse.sources.files import SourceFile

MAX_AGE_S = 30.0  # preflight -> create_table within one `Ingestion(...).run()` is far shorter
_Key = tuple[tuple[str, int], ...]

_kept: dict[str, tuple[_Key, float, pa.Schema]] = {}
_lock = threading.Lock()
clock: Callable[[], float] = time.monotonic


def _key(files: Sequence[SourceFile]) -> _Key:
    return tuple((f.uri, f.size) for f in files)


def remember(search_uri: str, files: Sequence[SourceFile], schema: pa.Schema) -> None:
    with _lock:
        _kept[search_uri] = (_key(files), clock(), schema)


def take(search_uri: str, files: Sequence[SourceFile]) -> pa.Schema | None:
    """The schema remembered for `search_uri` if it was inferred from these very files (same URIs and sizes)
    less than MAX_AGE_S ago; used once."""
    with _lock:
        found = _kept.pop(search_uri, None)
    if found is None:
        return None
    key, at, schema = found
    return schema if key == _key(files) and clock() - at < MAX_AGE_S else None
