"""Finding and reading the source files of an import: S3 objects or local files in Parquet, CSV or JSON Lines.

`resolve` turns a search URI (with `*`, `**`, `?`, `[...]` globs) into a sorted list of `SourceFile`s,
`read_schema` reads a file's schema cheaply (Parquet footer, first CSV/JSON block), `unify_schemas`
merges the schemas of all matched files, and `iter_batches` streams a file's rows as Arrow record batches
that conform to a target schema. Every failure is one of the `SourceError` classes of `errors.py`, with the
offending URI (never credentials) in the message. Types are normalized to what PyIceberg can store.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.fs as pafs
import pyarrow.json as pjson
import pyarrow.parquet as pq

from wap_notebook.core.uris import redact_uri
from wap_notebook.lakehouse import temporal
from wap_notebook.lakehouse.errors import (
    SchemaConflictError,
    SourceAccessError,
    SourceError,
    SourceFormatError,
    SourceNotFoundError,
)

__all__ = [
    "SourceFile",
    "iter_batches",
    "normalize_schema",
    "normalize_type",
    "read_schema",
    "resolve",
    "unify_schemas",
]

# Suffix -> (format, compression). Longest suffixes first so ".csv.gz" wins over ".gz".
_SUFFIXES: tuple[tuple[str, str, str | None], ...] = (
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
_FORMAT_NAMES = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSON Lines"}

# CSV is read in newline-aligned byte ranges parsed by the multithreaded `read_csv`: pyarrow's streaming
# `open_csv` measured 2.2x slower than `read_csv` on 2 cores, ranged `read_csv` 1.05x. Memory stays bounded
# by a couple of ranges. Module-level so tests can shrink them.
MAX_ROW_BYTES = 16 << 20  # the longest CSV row by default (see max_csv_row_bytes)
_HEADER_PROBE_BYTES = 64 << 10
_SCHEMA_BLOCK_BYTES = 1 << 20  # read_schema infers CSV/JSON types from this much of the file
_JSON_BLOCK_BYTES = 4 << 20
_JSON_READ_BYTES = 32 << 20  # raw read size under the JSON reader (one S3 GET each)
_STREAM_BUFFER_BYTES = 4 << 20  # buffer raw reads so gzip over S3 is not a GET per 64 KiB

# A top-level field inferred as `null` (e.g. an all-empty CSV column) is normalized to string, but must stay
# compatible with any type in `unify_schemas`; this field-metadata key remembers where it came from.
_INFERRED_NULL = b"wap_notebook.inferred_null"

# Zone names that mean UTC itself (PyIceberg's aliases plus common spellings).
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "+00:00", "Z", "utc", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Zulu"})

_GLOB_CHARS = frozenset("*?[")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_CSV_COLUMN_RE = re.compile(r"In CSV column #(\d+): ")

# Substrings of pyarrow/AWS SDK messages that mean the storage refused us (vs. the object being absent).
_ACCESS_MARKERS = (
    "ACCESS_DENIED", "AccessDenied", "INVALID_ACCESS_KEY_ID", "InvalidAccessKeyId", "SIGNATURE_DOES_NOT_MATCH",
    "SignatureDoesNotMatch", "EXPIRED_TOKEN", "ExpiredToken", "INVALID_CLIENT_TOKEN_ID", "UNRECOGNIZED_CLIENT",
    "Forbidden", "HTTP response code: 403", "MISSING_AUTHENTICATION_TOKEN", "No credentials",
)
_NOT_FOUND_MARKERS = ("NO_SUCH_BUCKET", "NoSuchBucket", "NO_SUCH_KEY", "NoSuchKey", "RESOURCE_NOT_FOUND")
# An OSError carrying one of these came from the storage layer, not from decoding the bytes.
_STORAGE_MARKERS = ("AWS Error", "When reading", "When getting", "When listing", "curl", "Connection", "HTTP")

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


# --------------------------------------------------------------------------------------------------------
# Messages


def _scrub(text: str) -> str:
    """Remove credential values from a message (pyarrow/AWS messages should not carry them; be sure)."""
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        value = os.environ.get(var)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def _describe(exc: BaseException) -> str:
    return _scrub(str(exc).strip()) or type(exc).__name__


def _storage_error(exc: BaseException, uri: str, doing: str) -> SourceError:
    """Map an I/O failure of the storage layer to the right SourceError class."""
    text = _describe(exc)
    if isinstance(exc, PermissionError) or any(m in text for m in _ACCESS_MARKERS):
        return SourceAccessError(f"Access denied while {doing} {uri}: {text}", uri=uri)
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)) or any(m in text for m in _NOT_FOUND_MARKERS):
        return SourceNotFoundError(f"Not found while {doing} {uri}: {text}", uri=uri)
    return SourceError(f"I/O error while {doing} {uri}: {text}", uri=uri)


def _format_error(file: SourceFile, problem: str) -> SourceFormatError:
    kind = _FORMAT_NAMES.get(file.format, file.format)
    return SourceFormatError(f"Cannot read {kind} file {file.uri}: {_scrub(problem)}", uri=file.uri)


@contextmanager
def _reading(file: SourceFile, columns: Sequence[str] = ()) -> Iterator[None]:
    """Translate pyarrow exceptions raised while reading `file` into SourceErrors naming it."""
    try:
        yield
    except SourceError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowCapacityError,
            EOFError, UnicodeDecodeError) as exc:
        raise _format_error(file, _with_csv_column(_describe(exc), columns)) from exc
    except OSError as exc:
        text = str(exc)
        if isinstance(exc, (PermissionError, FileNotFoundError)) or any(m in text for m in _STORAGE_MARKERS):
            raise _storage_error(exc, file.uri, "reading") from exc
        # Anything else at this level is a decoding failure: truncated gzip, bad zlib header, ...
        raise _format_error(file, _describe(exc)) from exc


def _with_csv_column(text: str, columns: Sequence[str]) -> str:
    """pyarrow names CSV columns by position ("In CSV column #2: ..."); add the header name."""
    match = _CSV_COLUMN_RE.search(text)
    if not match or not columns:
        return text
    index = int(match.group(1))
    if index >= len(columns):
        return text
    wide = _CSV_WIDE_RE.search(text)
    if wide and not -(2**63) <= int(wide.group(1)) < 2**63:  # a later block than types were inferred from
        return f"column {columns[index]!r}: {_wide_integer_problem(wide.group(1))}"
    return text.replace(match.group(0), f"column {columns[index]!r} (CSV column #{index}): ", 1)


_CSV_WIDE_RE = re.compile(r"conversion error to int64: invalid value '\s*([+-]?\d{19,})\s*'")
_JSON_WIDE_RE = re.compile(r"Failed to convert JSON to int64, couldn't parse:\s*(-?\d{19,})")


def _wide_integer_problem(value: str) -> str:
    return (f"{value.lstrip('+')} is an integer beyond the 64-bit range Iceberg stores, in an integer column "
            "(typed from the file's first rows): write such values as text (quoted)")


def _wide_json_integer(file: SourceFile, exc: BaseException) -> SourceFormatError | None:
    """pyarrow's JSON reader names neither the column nor the reason when an integer column meets a value
    beyond int64 after the first block: find the key holding that literal (error path only) and say so."""
    match = _JSON_WIDE_RE.search(str(exc))
    if match is None or -(2**63) <= int(match.group(1)) < 2**63:
        return None
    literal = match.group(1).encode()
    pattern = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*' + re.escape(literal) + rb"(?![\d.eE])")
    where = "a column"
    with _reading(file), _open_stream(file) as stream:
        tail = b""
        while chunk := stream.read(_JSON_READ_BYTES):
            found = pattern.search(tail + chunk)
            if found:
                key = json.loads(b'"' + found.group(1) + b'"')
                where = f"column {key!r}"
                break
            tail = (tail + chunk)[-4096:]
    return _format_error(file, f"{where}: {_wide_integer_problem(match.group(1))}")


# --------------------------------------------------------------------------------------------------------
# Filesystems

_S3_CACHE: dict[tuple[str | None, ...], pafs.S3FileSystem] = {}
_S3_LOCK = threading.Lock()
_LOCAL = pafs.LocalFileSystem()


def _s3_filesystem() -> pafs.S3FileSystem:
    """An S3 filesystem from the standard AWS environment, cached per endpoint/region/credentials."""
    env = os.environ
    endpoint = None
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    # Always pass a region: left to itself pyarrow may resolve it over the network.
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    key_id, secret, token = (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"),
                             env.get("AWS_SESSION_TOKEN"))
    # The secret is part of the key (hashed) so rotated session credentials get a fresh filesystem.
    digest = hashlib.sha256(f"{secret}\0{token}".encode()).hexdigest()[:16] if key_id and secret else None
    cache_key = (endpoint, region, key_id, env.get("AWS_PROFILE"), digest)
    with _S3_LOCK:
        cached = _S3_CACHE.get(cache_key)
        if cached is not None:
            return cached
        kwargs: dict[str, object] = {"region": region}
        if endpoint:
            parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            kwargs["endpoint_override"] = (parts.netloc + parts.path).rstrip("/")
            kwargs["scheme"] = parts.scheme or "https"
        if key_id and secret:
            kwargs.update(access_key=key_id, secret_key=secret, session_token=token or None)
        # Otherwise pyarrow's default chain applies (config files, AWS_PROFILE, ...).
        filesystem = pafs.S3FileSystem(**kwargs)
        _S3_CACHE[cache_key] = filesystem
        return filesystem


# --------------------------------------------------------------------------------------------------------
# resolve


@dataclass(frozen=True)
class _Target:
    filesystem: pafs.FileSystem
    pattern: str  # filesystem path, possibly with glob characters
    uri_prefix: str  # "s3://" or "" (local paths are their own URI)
    bucket: str | None


def _has_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def _parse_search_uri(search_uri: str) -> _Target:
    shown = redact_uri(search_uri) if isinstance(search_uri, str) else repr(search_uri)
    if not isinstance(search_uri, str) or not search_uri.strip():
        raise ValueError(f"Invalid source URI {shown!r}: expected s3://bucket/key, a local path or file://")
    match = _SCHEME_RE.match(search_uri)
    scheme = match.group(1).lower() if match else None
    if scheme in ("s3", "s3a"):
        rest = search_uri[match.end():]
        bucket, _, key = rest.partition("/")
        if not bucket or "@" in bucket or _has_glob(bucket) or ":" in bucket:
            raise ValueError(f"Invalid source URI {shown!r}: expected s3://bucket/key")
        # One spelling per object: "." and ".." segments and empty ones ("//") would name another object (or
        # another bucket) to some tools and the same one to others, and defeat duplicate-file detection.
        segments = key.split("/")
        odd = [seg for i, seg in enumerate(segments) if seg in (".", "..") or (seg == "" and i < len(segments) - 1)]
        if odd:
            raise ValueError(f"Invalid source URI {shown!r}: S3 keys with '.', '..' or empty ('//') path segments "
                             "are refused; write the key as stored, e.g. s3://bucket/folder/file.parquet")
        return _Target(_s3_filesystem(), f"{bucket}/{key}" if key else bucket, "s3://", bucket)
    if scheme == "file":
        parts = urlsplit(search_uri)
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError(f"Invalid source URI {shown!r}: expected file:///absolute/path")
        return _Target(_LOCAL, _local_path(unquote(parts.path)), "", None)
    if scheme is not None:
        raise ValueError(f"Unsupported source URI {shown!r}: only s3:// URIs, local paths and file:// are supported")
    return _Target(_LOCAL, _local_path(search_uri), "", None)


def _local_path(path: str) -> str:
    # abspath also collapses "..", which keeps the glob prefix and the listed paths comparable.
    absolute = os.path.abspath(os.path.expanduser(path))
    return absolute + "/" if path.endswith("/") and absolute != "/" else absolute


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob to a regex: `*` and `?` stay inside one path segment, `**` crosses segments."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if i < n and pattern[i] == "/":
                out.append("(?:.*/)?")  # "a/**/b" also matches "a/b"
                i += 1
            else:
                out.append(".*")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern.startswith("[!", i) or pattern.startswith("[^", i) else i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _detect_format(path: str) -> tuple[str, str | None] | None:
    lowered = path.lower()
    for suffix, fmt, compression in _SUFFIXES:
        if lowered.endswith(suffix):
            return fmt, compression
    return None


def _source_file(target: _Target, info: pafs.FileInfo) -> SourceFile:
    uri = target.uri_prefix + info.path
    detected = _detect_format(info.path)
    if detected is None:
        supported = ", ".join(sorted({s for s, _, _ in _SUFFIXES}))
        raise SourceFormatError(f"Unsupported file type for {uri}: expected one of {supported}", uri=uri)
    return SourceFile(uri=uri, path=info.path, size=info.size or 0, format=detected[0],
                      compression=detected[1], filesystem=target.filesystem)


def _list(target: _Target, base: str, recursive: bool, search_uri: str) -> list[pafs.FileInfo]:
    """List files under `base`; a missing prefix lists nothing, a missing bucket is an error."""
    selector = pafs.FileSelector(base, recursive=recursive, allow_not_found=False)
    try:
        infos = target.filesystem.get_file_info(selector)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        error = _storage_error(exc, search_uri, "listing")
        if isinstance(error, SourceNotFoundError):
            raise SourceNotFoundError(f"Bucket {target.bucket!r} of {search_uri} does not exist",
                                      uri=search_uri) from exc
        raise error from exc
    return [info for info in infos if info.type == pafs.FileType.File]


def _not_found(target: _Target, search_uri: str, what: str) -> SourceNotFoundError:
    if target.bucket is not None:
        try:
            bucket_info = target.filesystem.get_file_info(target.bucket)
        except OSError:
            bucket_info = None
        if bucket_info is not None and bucket_info.type == pafs.FileType.NotFound:
            return SourceNotFoundError(f"Bucket {target.bucket!r} of {search_uri} does not exist", uri=search_uri)
    return SourceNotFoundError(f"{what} {search_uri}", uri=search_uri)


def resolve(search_uri: str) -> list[SourceFile]:
    """The files a search URI names, sorted by URI. See the module docstring for the accepted forms."""
    target = _parse_search_uri(search_uri)
    shown = redact_uri(search_uri)
    if _has_glob(target.pattern):
        files = _resolve_glob(target, shown)
        if not files:
            raise _not_found(target, shown, "No file matches")
        return files
    try:
        info = target.filesystem.get_file_info(target.pattern.rstrip("/") or "/")
    except OSError as exc:
        raise _storage_error(exc, shown, "looking up") from exc
    if info.type == pafs.FileType.File:
        return [_source_file(target, info)]
    if info.type == pafs.FileType.Directory:
        files = _resolve_directory(target, info.path, shown)
        if not files:
            raise _not_found(target, shown, "No file found under")
        return files
    raise _not_found(target, shown, "No such file or object:")


def _resolve_glob(target: _Target, search_uri: str) -> list[SourceFile]:
    pattern = target.pattern
    first_glob = min(pattern.index(ch) for ch in _GLOB_CHARS if ch in pattern)
    base = pattern[:pattern.rfind("/", 0, first_glob) + 1]
    rest = pattern[len(base):]
    # Only walk the tree when the pattern can cross a "/": listing a large bucket recursively is costly.
    recursive = "/" in rest or "**" in rest
    regex = _glob_to_regex(pattern)
    infos = _list(target, base.rstrip("/") or "/", recursive, search_uri)
    return sorted((_source_file(target, i) for i in infos if regex.fullmatch(i.path)), key=lambda f: f.uri)


def _resolve_directory(target: _Target, path: str, search_uri: str) -> list[SourceFile]:
    # A directory means "all of its data files"; skip the hidden/marker files writers leave behind
    # (_SUCCESS, .crc, _delta_log) the way Spark and pyarrow datasets do.
    infos = _list(target, path, True, search_uri)
    relative = len(path.rstrip("/")) + 1
    kept = [i for i in infos if not any(part[:1] in "._" for part in i.path[relative:].split("/"))]
    return sorted((_source_file(target, i) for i in kept), key=lambda f: f.uri)


# --------------------------------------------------------------------------------------------------------
# Types


def normalize_type(t: pa.DataType) -> pa.DataType:
    """The PyIceberg-storable type for `t` (see module docs): us timestamps in UTC, 32/64-bit ints, ..."""
    if pa.types.is_dictionary(t):
        return normalize_type(t.value_type)
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if t in (pa.int8(), pa.int16(), pa.uint8(), pa.uint16()):
        return pa.int32()
    if t in (pa.uint32(), pa.uint64()):
        return pa.int64()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_time(t):
        return pa.time64("us")
    if pa.types.is_timestamp(t):
        # Iceberg's timestamptz holds UTC instants only. Relabeling another zone as UTC would keep the
        # instants but silently drop the zone the data was recorded in: refuse, and say how to fix it.
        if t.tz and t.tz not in _UTC_NAMES:
            raise TypeError(f"{t} carries the time zone {t.tz!r}, which an Iceberg timestamptz cannot keep (it "
                            "stores UTC instants only): convert the column to UTC first (pandas: "
                            "s.dt.tz_convert('UTC')), and keep the zone in a column of its own if it matters")
        return pa.timestamp("us", tz="UTC" if t.tz else None)
    if pa.types.is_decimal(t):
        if t.precision > 38:
            raise TypeError(f"{t} has more than 38 digits of precision, which Iceberg cannot store")
        return pa.decimal128(t.precision, t.scale)
    if _is_list(t):
        return pa.list_(pa.field("item", normalize_type(t.value_type), t.value_field.nullable))
    if pa.types.is_struct(t):
        return pa.struct([_normalize_child(t.field(i)) for i in range(t.num_fields)])
    if pa.types.is_map(t):
        return pa.map_(normalize_type(t.key_type), _normalize_child(t.item_field))
    if pa.types.is_duration(t) or pa.types.is_interval(t) or pa.types.is_union(t):
        raise TypeError(f"{t} has no Iceberg equivalent")
    if isinstance(t, pa.ExtensionType) and t != pa.uuid():
        return normalize_type(t.storage_type)
    return t


def _is_list(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t))


def _normalize_child(f: pa.Field) -> pa.Field:
    return pa.field(f.name, normalize_type(f.type), f.nullable)


def _normalize_field(f: pa.Field) -> pa.Field:
    t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
    # Keep the marker when re-normalizing an already normalized schema (unify_schemas does that).
    metadata = {_INFERRED_NULL: b"true"} if pa.types.is_null(t) or _was_null(f) else None
    return pa.field(f.name, normalize_type(f.type), f.nullable, metadata=metadata)


def normalize_schema(s: pa.Schema) -> pa.Schema:
    """`s` with every type normalized and file-specific metadata (pandas, field ids) dropped."""
    return pa.schema([_normalize_field(f) for f in s])


def _was_null(f: pa.Field) -> bool:
    return bool(f.metadata) and f.metadata.get(_INFERRED_NULL) == b"true"


def _check_names(file: SourceFile, names: Sequence[str]) -> None:
    """Refuse column names a table cannot hold: empty, duplicated, or equal once case is ignored (SQL engines
    and many Iceberg readers resolve names case-insensitively, so `Name` and `name` would be ambiguous)."""
    for index, name in enumerate(names):
        if not name.strip():
            raise _format_error(file, f"column #{index + 1} has an empty name {name!r}: name every column")
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.casefold(), name)
        if other == name and names.count(name) > 1:
            raise _format_error(file, f"duplicate column name {name!r}")
        if other != name:
            raise _format_error(file, f"columns {other!r} and {name!r} differ only by letter case, which "
                                      "queries cannot tell apart: rename one of them")


def _file_schema(file: SourceFile, raw: pa.Schema) -> pa.Schema:
    """Normalize a file's raw schema, turning unsupported types and unusable names into format errors."""
    _check_names(file, raw.names)
    fields = []
    for f in raw:
        try:
            fields.append(_normalize_field(f))
        except TypeError as exc:
            raise _format_error(file, f"column {f.name!r}: {exc}") from exc
    return pa.schema(fields)


# --------------------------------------------------------------------------------------------------------
# read_schema


def _check_not_empty(file: SourceFile) -> None:
    if file.size == 0:
        raise _format_error(file, "the file is empty (0 bytes)")


def _open_stream(file: SourceFile, buffer_size: int = _STREAM_BUFFER_BYTES) -> pa.NativeFile:
    return file.filesystem.open_input_stream(file.path, compression=file.compression, buffer_size=buffer_size)


# What pyarrow's CSV reader reads as null; a temporal CSV column is read as text, so these become nulls here.
_CSV_NULLS = pa.array(pcsv.ConvertOptions().null_values, pa.string())


def _csv_nulls_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_in(values, _CSV_NULLS), pa.scalar(None, values.type), values)


def _with_temporal_types(file: SourceFile, schema: pa.Schema, sample: pa.RecordBatch) -> pa.Schema:
    """Type the text columns of a first block (`sample`, temporal columns read as text) with `temporal.infer`,
    so CSV and JSON Lines give the same types for the same text."""
    fields = []
    for column_field in schema:
        inferred = column_field.type
        # By name: a JSON reader given explicit columns puts them first.
        if pa.types.is_string(sample.schema.field(column_field.name).type):
            values = sample.column(column_field.name)
            if file.format == "csv":
                values = _csv_nulls_to_null(values)
            try:
                found = temporal.infer(column_field.name, values.drop_null())
            except temporal.TemporalError as exc:
                raise _format_error(file, str(exc)) from exc
            if found is not None:
                inferred = found
            elif temporal.is_temporal(column_field.type):
                inferred = pa.string()  # pyarrow saw a date-time our stricter rules do not accept
        fields.append(column_field.with_type(inferred))
    return pa.schema(fields)


def _first_block(file: SourceFile, types: dict[str, pa.DataType] | None = None,
                 ) -> tuple[pa.Schema, pa.RecordBatch | None]:
    """The inferred schema and first batch of a CSV/JSON file, with the given column types imposed. The block
    grows (up to the row size limit) when its first row does not fit in it."""
    types = types or {}
    limit = max_csv_row_bytes()
    size = min(_SCHEMA_BLOCK_BYTES, limit)
    while True:
        try:
            return _read_first_block(file, types, size)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) and "block size" not in str(exc):
                raise
            if size >= limit:
                raise _row_too_long(file, 0, limit) from None
            size = min(size * 4, limit)


def _read_first_block(file: SourceFile, types: dict[str, pa.DataType], size: int
                      ) -> tuple[pa.Schema, pa.RecordBatch | None]:
    with _open_stream(file, size) as stream:
        if file.format == "csv":
            convert = pcsv.ConvertOptions(column_types=types)
            reader = pcsv.open_csv(stream, read_options=pcsv.ReadOptions(block_size=size),
                                   parse_options=pcsv.ParseOptions(newlines_in_values=True), convert_options=convert)
        else:
            explicit = pa.schema(list(types.items())) if types else None
            reader = pjson.open_json(stream, read_options=pjson.ReadOptions(block_size=size),
                                     parse_options=pjson.ParseOptions(explicit_schema=explicit))
        try:
            return reader.schema, reader.read_next_batch()
        except StopIteration:
            return reader.schema, None


def _text_schema(file: SourceFile) -> pa.Schema:
    """A CSV/JSON file's schema: pyarrow's inference, with dates and times typed by `temporal`."""
    raw, sample = _first_block(file)
    _check_names(file, raw.names)  # before any lookup by name
    # Re-read pyarrow's dates and times as the text they are. Inside nested values they stay text:
    # pyarrow would make "2024-01-01" in a list a timestamp.
    nested = {f.name: _text_leaves(f.type) for f in raw if pa.types.is_nested(f.type)}
    nested = {name: t for name, t in nested.items() if t != raw.field(name).type}
    pinned = {f.name: pa.string() for f in raw if temporal.is_temporal(f.type)} | nested
    # Integers beyond int64 are inferred as double, which would drop digits: look at their text.
    floats = [f.name for f in raw if pa.types.is_floating(f.type)]
    if file.format == "csv":
        pinned |= {name: pa.string() for name in floats}
    elif floats:
        _refuse_wide_json_integers(file, floats)
    if pinned:
        raw = pa.schema([f.with_type(nested.get(f.name, f.type)) for f in raw])
        _, sample = _first_block(file, pinned)
    if sample is None:
        return raw
    for name in floats if file.format == "csv" else ():
        _refuse_wide_integers(file, name, sample.column(name))
    return _with_temporal_types(file, raw, sample)


_INTEGER_TEXT = r"^\s*[+-]?\d{19,}\s*$"  # 19+ digits: the only integers that may not fit int64


def _refuse_wide_integers(file: SourceFile, name: str, text: pa.Array) -> None:
    """Refuse a column holding an integer beyond int64 (Iceberg's widest): as a double it loses digits."""
    candidates = text.filter(pc.fill_null(pc.match_substring_regex(text, _INTEGER_TEXT), False))
    wide = [v for v in candidates.to_pylist() if not -(2**63) <= int(v) < 2**63]
    if wide:
        raise _format_error(file, f"column {name!r}: {wide[0].strip()} is an integer beyond the 64-bit range "
                                  "Iceberg stores, and as a floating-point number it would lose digits: write "
                                  "such values as text (quoted)")


def _refuse_wide_json_integers(file: SourceFile, names: Sequence[str]) -> None:
    """The same for JSON Lines, whose reader gives no number text: look for the literals in the first block."""
    with _open_stream(file, _SCHEMA_BLOCK_BYTES) as stream:
        block = stream.read(_SCHEMA_BLOCK_BYTES)
    for name in names:
        key = re.escape(json.dumps(name).encode())
        literals = re.findall(key + rb"\s*:\s*(-?\d{19,})(?![\d.eE])", block)
        if literals:
            _refuse_wide_integers(file, name, pa.array([v.decode() for v in literals]))


def _text_leaves(t: pa.DataType) -> pa.DataType:
    """`t` with every date/time/timestamp inside it replaced by string."""
    if temporal.is_temporal(t):
        return pa.string()
    if _is_list(t):
        return pa.list_(t.value_field.with_type(_text_leaves(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([t.field(i).with_type(_text_leaves(t.field(i).type)) for i in range(t.num_fields)])
    return t


def read_schema(file: SourceFile) -> pa.Schema:
    """The normalized schema of `file`, reading as little as possible (Parquet footer, first CSV/JSON block)."""
    _check_not_empty(file)
    with _reading(file):
        if file.format == "parquet":
            with file.filesystem.open_input_file(file.path) as handle:
                raw = pq.ParquetFile(handle, coerce_int96_timestamp_unit="us").schema_arrow
        elif file.format in ("csv", "jsonl"):
            raw = _text_schema(file)
        else:
            raise _format_error(file, f"unknown format {file.format!r}")
    return _file_schema(file, raw)


# --------------------------------------------------------------------------------------------------------
# unify_schemas


@dataclass
class _Column:
    field: pa.Field
    uri: str
    files: int = 1
    nullable: bool = True


def _widen(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The common type of two different normalized types, or None if they conflict."""
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return pa.int64()
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if any(p(a) for p in numeric) and any(p(b) for p in numeric):
        return pa.float64()
    return None


def unify_schemas(schemas: Sequence[tuple[SourceFile, pa.Schema]]) -> pa.Schema:
    """One schema for all files: columns by name in first-seen order, numeric types widened."""
    columns: dict[str, _Column] = {}
    for file, schema in schemas:
        for f in normalize_schema(schema):
            column = columns.get(f.name)
            if column is None:
                columns[f.name] = _Column(f, file.uri, nullable=f.nullable)
                continue
            column.files += 1
            column.nullable = column.nullable or f.nullable
            if _was_null(f) or f.type == column.field.type:
                continue
            if _was_null(column.field):
                column.field, column.uri = f, file.uri
                continue
            widened = _widen(column.field.type, f.type)
            if widened is None:
                t1, t2 = str(column.field.type), str(f.type)
                raise SchemaConflictError(
                    f"Column {f.name!r} has type {t1} in {column.uri} but {t2} in {file.uri}; files of one "
                    "import must agree on column types (only int/float widening is automatic)",
                    column=f.name, types=(t1, t2), files=(column.uri, file.uri))
            column.field, column.uri = column.field.with_type(widened), file.uri
    total = len(schemas)
    return pa.schema([
        pa.field(name, c.field.type, c.nullable or c.files < total or _was_null(c.field))
        for name, c in columns.items()
    ])


# --------------------------------------------------------------------------------------------------------
# iter_batches: conforming batches to a schema


@dataclass(frozen=True)
class _Step:
    """How to produce one output column: take source column `index` (or nulls) and cast it if needed."""

    name: str
    index: int | None
    cast_to: pa.DataType | None
    safe: bool
    required: bool


_INT64_MAX = 2**63 - 1
_UNIT_NAMES = {"s": "second", "ms": "millisecond", "us": "microsecond", "ns": "nanosecond"}


def _loss(name: str, array: pa.Array, target: pa.DataType) -> str | None:
    """Why a safe cast of `array` to `target` failed, counting the values that would change, if we know."""
    source = array.type
    if (pa.types.is_timestamp(source) and pa.types.is_timestamp(target)
            or pa.types.is_time(source) and pa.types.is_time(target)):
        truncated = array.cast(target, safe=False).cast(source)
        lost = pc.sum(pc.not_equal(truncated, array)).as_py() or 0
        if lost:
            return (f"column {name!r}: {lost} value(s) have digits below the {_UNIT_NAMES[target.unit]}, which "
                    f"Iceberg cannot hold (e.g. {pc.min(array.filter(pc.not_equal(truncated, array)))}); "
                    "round them before importing")
    if pa.types.is_unsigned_integer(source) and pa.types.is_integer(target):
        limit = pa.scalar(_INT64_MAX if target == pa.int64() else 2**31 - 1, source)
        too_big = pc.sum(pc.greater(array, limit)).as_py() or 0
        if too_big:
            return (f"column {name!r}: {too_big} {source} value(s) are larger than the largest {target} Iceberg "
                    f"can store (e.g. {pc.max(array).as_py()}); store them as decimal or string")
    return None


def _widening(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether a typed file's `source` column may go into a `target` column: the same kind of value, never
    narrower in what it can say (int32 -> int64, float32 -> float64, int32 -> float64, string -> large string,
    timestamp unit or zone, date32 <-> date64, decimals, nested types field by field). A bool is not an
    integer, a timestamp is not text, text is not a number: those are refused, never cast silently. Values
    the cast would still change (an unsigned integer too large, nanoseconds) are refused by the cast itself."""
    t = pa.types
    if source == target or t.is_null(source):
        return True
    if t.is_dictionary(source):
        return _widening(source.value_type, target)
    if t.is_integer(source):
        return t.is_integer(target) or (t.is_floating(target) and source.bit_width <= 32 and target.bit_width == 64) \
            or (t.is_decimal(target) and source.bit_width <= 64)
    if t.is_floating(source):
        return t.is_floating(target) and target.bit_width >= source.bit_width
    if t.is_decimal(source):
        return t.is_decimal(target) and target.scale >= source.scale \
            and target.precision - target.scale >= source.precision - source.scale
    if t.is_string(source) or t.is_large_string(source):
        return t.is_string(target) or t.is_large_string(target)
    if t.is_binary(source) or t.is_large_binary(source) or t.is_fixed_size_binary(source):
        return t.is_binary(target) or t.is_large_binary(target)
    if t.is_timestamp(source):
        return t.is_timestamp(target)
    if t.is_date(source):
        return t.is_date(target)
    if t.is_time(source):
        return t.is_time(target)
    if t.is_boolean(source):
        return t.is_boolean(target)
    if t.is_nested(source):
        return t.is_nested(target) and type(source) is type(target)
    return False


def _example(array: pa.Array) -> str:
    values = array.drop_null()
    return repr(values[0].as_py()) if len(values) else "(only nulls)"


class _Conformer:
    """Turns a reader's batches into batches of exactly `schema` (the target or the normalized file schema)."""

    def __init__(self, file: SourceFile, source: pa.Schema, target: pa.Schema | None, best_effort: bool):
        self.file = file
        # Parquet types are checked column by column (CSV/JSON text types are always storable).
        self._check_types = target is not None and file.format == "parquet"
        if target is None:
            self.schema = _file_schema(file, source)
        else:
            self.schema = target
            extras = [name for name in source.names if target.get_field_index(name) < 0]
            if extras and not best_effort:
                raise _format_error(file, f"column(s) {', '.join(map(repr, extras))} are not in the table "
                                          f"schema {target.names}")
        self._source: pa.Schema | None = None
        self._steps: list[_Step] = []
        self._refused: list[tuple[str, pa.DataType, pa.DataType]] = []

    def _plan(self, source: pa.Schema) -> None:
        self._source, self._steps, self._refused = source, [], []
        for f in self.schema:
            index = source.get_field_index(f.name)
            if index < 0 and not f.nullable:
                raise _format_error(self.file, f"required column {f.name!r} is missing")
            source_type = source.field(index).type if index >= 0 else None
            if source_type is not None and self._check_types:
                try:  # a type Iceberg cannot hold (e.g. a zone name) is refused even when the table has the column
                    normalize_type(source_type)
                except TypeError as exc:
                    raise _format_error(self.file, f"column {f.name!r}: {exc}") from exc
            cast_to = f.type if source_type is not None and source_type != f.type else None
            if cast_to is not None and self._check_types and not _widening(source_type, f.type):
                self._refused.append((f.name, source_type, f.type))
            self._steps.append(_Step(f.name, index if index >= 0 else None, cast_to, True, not f.nullable))

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self._source is None or not batch.schema.equals(self._source):
            self._plan(batch.schema)
        if self._refused:
            name, source_type, target_type = self._refused[0]
            raise _format_error(self.file, f"column {name!r} holds {source_type} values (e.g. "
                                           f"{_example(batch.column(batch.schema.get_field_index(name)))}) and the "
                                           f"table's column is {target_type}: a {source_type} is not converted to "
                                           f"{target_type} silently; convert the column in the file, or import it "
                                           "into a new table")
        arrays = []
        for step in self._steps:
            arrays.append(self._column(batch, step))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _column(self, batch: pa.RecordBatch, step: _Step) -> pa.Array:
        field_type = self.schema.field(step.name).type
        if step.index is None:
            return pa.nulls(batch.num_rows, field_type)
        array = batch.column(step.index)
        if step.cast_to is not None and pa.types.is_string(array.type) and temporal.is_temporal(step.cast_to):
            if self.file.format == "csv":
                array = _csv_nulls_to_null(array)
            try:
                array = temporal.parse(step.name, array, step.cast_to)
            except temporal.TemporalError as exc:
                raise _format_error(self.file, str(exc)) from exc
        elif step.cast_to is not None:
            try:
                array = array.cast(step.cast_to, safe=step.safe)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                loss = _loss(step.name, array, step.cast_to)
                raise _format_error(self.file, loss or f"column {step.name!r}: cannot convert {array.type} to "
                                                       f"{step.cast_to}: {_describe(exc)}") from exc
        if step.required and array.null_count:
            raise _format_error(self.file, f"required column {step.name!r} has {array.null_count} null value(s)")
        return array


def _sliced(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Cap batch length at `rows` (zero-copy slices)."""
    for batch in batches:
        if batch.num_rows <= rows:
            yield batch
        else:
            for offset in range(0, batch.num_rows, rows):
                yield batch.slice(offset, rows)


def iter_batches(file: SourceFile, target: pa.Schema | None = None, *, best_effort: bool = False,
                 batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
    """Stream `file` as record batches of at most `batch_rows` rows, each with exactly `target`'s schema
    (or the file's normalized schema). Columns not in `target` are an error unless `best_effort`."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be positive, got {batch_rows}")
    _check_not_empty(file)
    readers: dict[str, Callable[..., Iterator[pa.RecordBatch]]] = {
        "parquet": _parquet_batches, "csv": _csv_batches, "jsonl": _json_batches,
    }
    reader = readers.get(file.format)
    if reader is None:
        raise _format_error(file, f"unknown format {file.format!r}")
    if target is None and file.format != "parquet":
        # CSV/JSON types are inferred; pin them to what read_schema reports (one more first-block read) so
        # untargeted batches always match read_schema and later blocks cannot drift.
        target = read_schema(file)
    return reader(file, target, best_effort, batch_rows)


def _parquet_batches(file: SourceFile, target: pa.Schema | None, best_effort: bool,
                     batch_rows: int) -> Iterator[pa.RecordBatch]:
    with _reading(file), file.filesystem.open_input_file(file.path) as handle:
        # pre_buffer coalesces a row group's column chunks into few large reads: essential on S3.
        parquet = pq.ParquetFile(handle, pre_buffer=True, coerce_int96_timestamp_unit="us")
        source = parquet.schema_arrow
        conform = _Conformer(file, source, target, best_effort)
        columns = None if target is None else [n for n in source.names if target.get_field_index(n) >= 0]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True):
            yield conform(batch)


def _json_batches(file: SourceFile, target: pa.Schema, best_effort: bool,
                  batch_rows: int) -> Iterator[pa.RecordBatch]:
    maps = [f.name for f in target if _holds_map(f.type)]
    if maps:  # the JSON parser cannot fill a map type; say so instead of its "changed from array to object"
        raise _format_error(file, f"column {maps[0]!r} is a map in the table, and JSON Lines objects can only "
                                  "be imported into struct columns (or import this data from Parquet)")
    # Declare the target columns so later blocks cannot drift from the first block's inference, and so
    # columns first seen after the first block are still accepted.
    explicit = pa.schema([pa.field(f.name, _json_reader_type(f.type)) for f in target])
    parse = pjson.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="ignore" if best_effort else "infer")
    read = pjson.ReadOptions(use_threads=True, block_size=_JSON_BLOCK_BYTES)
    # Large raw reads fetched ahead in a thread: on S3 every buffer refill is one GET, and with 4 MiB buffers
    # read in line the request overhead made imports from S3 ~4x slower than from a local path.
    with _reading(file), _raw_chunks(file, _JSON_READ_BYTES) as chunks:
        try:
            reader = pjson.open_json(_ChunkReader(chunks), read_options=read, parse_options=parse)
            conform = _Conformer(file, reader.schema, target, best_effort)
            yield from _sliced((conform(b) for b in reader), batch_rows)
        except pa.ArrowInvalid as exc:
            wide = _wide_json_integer(file, exc)
            if wide is None:
                raise
            raise wide from exc


_READ_AHEAD = 1  # raw reads in flight besides the chunk being parsed (more measured no faster on 2 cores)
_FIRST_READ_BYTES = 4 << 20


@contextmanager
def _raw_chunks(file: SourceFile, size: int) -> Iterator[Iterator[bytes]]:
    """The (decompressed) bytes of `file` in chunks of `size`, read ahead of the consumer in threads."""
    if file.compression is not None:  # a decompressing stream is sequential: one read ahead
        with _open_stream(file, size) as stream:
            chunks = _prefetched(iter(lambda: stream.read(size), b""))
            try:
                yield chunks
            finally:
                chunks.close()  # joins the read-ahead thread before the stream closes
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


class _ChunkReader(io.RawIOBase):
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


def _holds_map(t: pa.DataType) -> bool:
    if pa.types.is_map(t):
        return True
    if _is_list(t):
        return _holds_map(t.value_type)
    return pa.types.is_struct(t) and any(_holds_map(t.field(i).type) for i in range(t.num_fields))


def _json_reader_type(t: pa.DataType) -> pa.DataType:
    """What the JSON parser should produce for a target type; it only converts JSON scalars to these
    directly, anything else (dates, times, binary) is read as string and cast afterwards."""
    # Timestamps are read as strings and cast afterwards: the JSON parser rejects fractional seconds.
    if (pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t) or pa.types.is_nested(t) or pa.types.is_decimal(t)):
        return t
    return pa.string()


# --------------------------------------------------------------------------------------------------------
# CSV: pyarrow's streaming reader, which finds row boundaries itself (quotes, escaped quotes and newlines
# inside quoted values), one bounded block at a time. No byte range is ever cut by a guess.


def max_csv_row_bytes() -> int:
    """The longest CSV row (header included) a file may hold: the reader's block size, so memory stays bounded
    by a few blocks whatever the file. `WAP_MAX_ROW_BYTES` overrides the default (16 MiB)."""
    raw = os.environ.get("WAP_MAX_ROW_BYTES")
    try:
        value = int(raw) if raw else MAX_ROW_BYTES
    except ValueError:
        raise ValueError(f"WAP_MAX_ROW_BYTES must be a number of bytes; got {raw!r}") from None
    return max(value, 1 << 10)


def _row_too_long(file: SourceFile, rows_before: int, limit: int) -> SourceFormatError:
    return _format_error(file, f"a row after data row {rows_before} is longer than {limit:,} bytes (the limit on one "
                               "CSV row; set WAP_MAX_ROW_BYTES to raise it), or a quote is never closed")


def _csv_header(file: SourceFile, limit: int) -> tuple[list[str], bool]:
    """Column names from the header, parsed by pyarrow's streaming reader itself (same quoting rules, BOM
    handling), and whether the file holds rows after it. The first block grows until the header fits in it,
    up to `limit` bytes."""
    size = min(_HEADER_PROBE_BYTES, limit)
    while True:
        read = pcsv.ReadOptions(block_size=size)
        parse = pcsv.ParseOptions(newlines_in_values=True)
        convert = pcsv.ConvertOptions(strings_can_be_null=False)
        with _open_stream(file, min(size, _STREAM_BUFFER_BYTES)) as stream:
            try:
                reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
                first = next(iter(reader), None)
                return reader.schema.names, first is not None and first.num_rows > 0
            except pa.ArrowInvalid as exc:
                if "straddling" not in str(exc) and "block size" not in str(exc):
                    raise _format_error(file, _describe(exc)) from None
        if size >= limit:
            raise _row_too_long(file, 0, limit)
        size = min(size * 4, limit)


def _csv_batches(file: SourceFile, target: pa.Schema, best_effort: bool,
                 batch_rows: int) -> Iterator[pa.RecordBatch]:
    limit = max_csv_row_bytes()
    names, has_rows = _csv_header(file, limit)
    header = _file_schema(file, pa.schema([(n, pa.null()) for n in names]))  # rejects duplicate names
    conform = _Conformer(file, header, target, best_effort)  # fails on extra columns before parsing
    if not has_rows:
        return
    include = [n for n in names if target.get_field_index(n) >= 0] if best_effort else []
    # Every column's type is pinned up front so no block can infer something else. Dates, times and
    # timestamps are read as text and parsed by `temporal` (exact, same rules as JSON Lines).
    types = {f.name: pa.string() if temporal.is_temporal(f.type) else f.type for f in target if f.name in names}
    read = pcsv.ReadOptions(use_threads=True, block_size=limit)
    parse = pcsv.ParseOptions(newlines_in_values=True)
    convert = pcsv.ConvertOptions(column_types=types, include_columns=include)
    rows = 0
    with _reading(file, names), _open_stream(file) as stream:
        try:
            reader = pcsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
                yield from _sliced(iter([conform(batch)]), batch_rows)
        except pa.ArrowInvalid as exc:
            if "straddling" in str(exc) or "block size" in str(exc):
                raise _row_too_long(file, rows, limit) from None
            raise


_END = object()


def _prefetched(items: Iterator[T]) -> Iterator[T]:
    """Fetch the next item in a background thread while the caller works on the current one (I/O and
    decompression release the GIL, so reading overlaps parsing)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wap-source-read") as pool:
        pending = pool.submit(next, items, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, items, _END)
            yield item
