"""One source file and its bytes: format by suffix, opening it (decompressed) as a stream, and reading it ahead
of the parser in bounded chunks."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pyarrow as pa
import pyarrow.fs as pafs

from wap_notebook.lakehouse.sources.bounds import FREE_EXPANSION_BYTES, max_expansion, too_expanded
from wap_notebook.lakehouse.sources.messages import format_error

# Suffix -> (format, compression). Longest suffixes first so ".csv.gz" wins over ".gz".
SUFFIXES: tuple[tuple[str, str, str | None], ...] = (
    (".jsonl.gz", "jsonl", "gzip"),
    (".ndjson.gz", "jsonl", "gzip"),
    (".json.gz", "jsonl", "gzip"),
    (".csv.gz", "csv", "gzip"),
    (".parquet", "parquet", None),
    (".parq", "parquet", None),
    (".pq", "parquet", None),
    (".csv", "csv", None),
    (".jsonl", "jsonl", None),
    (".ndjson", "jsonl", None),
    (".json", "jsonl", None),
)


STREAM_BUFFER_BYTES = 4 << 20  # buffer raw reads so gzip over S3 is not a GET per 64 KiB
T = TypeVar("T")


@dataclass(frozen=True)
class SourceFile:
    """One file to import. `path` is what `filesystem` understands; `uri` is what users see."""

    uri: str
    path: str
    size: int
    format: str
    compression: str | None
    filesystem: pafs.FileSystem = field(compare=False, repr=False)


def detect_format(path: str) -> tuple[str, str | None] | None:
    lowered = path.lower()
    for suffix, fmt, compression in SUFFIXES:
        if lowered.endswith(suffix):
            return fmt, compression
    return None


def check_not_empty(file: SourceFile) -> None:
    if file.size == 0:
        raise format_error(file, "the file is empty (0 bytes)")


def open_stream(file: SourceFile, buffer_size: int = STREAM_BUFFER_BYTES) -> Any:
    """The file's (decompressed) bytes as a readable stream; a compressed one may expand only so far."""
    stream = file.filesystem.open_input_stream(file.path, compression=file.compression, buffer_size=buffer_size)
    return stream if file.compression is None else _Bounded(file, stream)


class _Bounded(io.RawIOBase):
    """A decompressing stream that stops with a clear error once the output outgrows `max_expansion()` times
    the compressed size (after the first FREE_EXPANSION_BYTES). Readers take it like any file object."""

    def __init__(self, file: SourceFile, stream: pa.NativeFile) -> None:
        self._file, self._stream, self._produced = file, stream, 0
        self._ratio = max_expansion()
        self._allowed = max(FREE_EXPANSION_BYTES, file.size * self._ratio)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        view[:len(data)] = data
        self._produced += len(data)
        if self._produced > self._allowed:
            raise too_expanded(self._file, self._produced, self._ratio)
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


_READ_AHEAD = 1  # raw reads in flight besides the chunk being parsed (more measured no faster on 2 cores)
_FIRST_READ_BYTES = 4 << 20


@contextmanager
def raw_chunks(file: SourceFile, size: int) -> Iterator[Iterator[bytes]]:
    """The (decompressed) bytes of `file` in chunks of `size`, read ahead of the consumer in threads."""
    if file.compression is not None:  # a decompressing stream is sequential: one read ahead
        with open_stream(file, size) as stream:
            prefetched = _prefetched(iter(lambda: stream.read(size), b""))
            try:
                yield prefetched
            finally:
                prefetched.close()  # joins the read-ahead thread before the stream closes
        return
    with file.filesystem.open_input_file(file.path) as handle, \
            ThreadPoolExecutor(max_workers=_READ_AHEAD, thread_name_prefix="wap-source-read") as pool:
        total = handle.size()
        pending: deque[Future[bytes]] = deque()

        def chunks() -> Iterator[bytes]:
            # A small first read so parsing starts early, then `size`; `_READ_AHEAD` reads stay in flight
            # while the consumer works on the chunk it was given.
            offset = 0
            while offset < total:
                length = min(_FIRST_READ_BYTES if offset == 0 else size, total - offset)
                pending.append(pool.submit(handle.read_at, length, offset))
                offset += length
                if len(pending) > _READ_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

        try:
            yield chunks()
        finally:
            for future in pending:
                future.cancel()


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (for readers that want a file object)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Fill the whole request (short reads only at the end): the JSON reader takes each read as a block.
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target):
            if not self._current:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._current = memoryview(chunk)
            size = min(len(target) - filled, len(self._current))
            target[filled:filled + size] = self._current[:size]
            self._current = self._current[size:]
            filled += size
        return filled


_END = object()


def _prefetched(items: Iterator[T]) -> Generator[T, None, None]:
    """Fetch the next item in a background thread while the caller works on the current one (I/O and
    decompression release the GIL, so reading overlaps parsing)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wap-source-read") as pool:
        pending = pool.submit(next, items, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, items, _END)
            yield cast(T, item)
