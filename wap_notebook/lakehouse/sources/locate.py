"""From a search URI to source files: URI parsing (one canonical spelling per S3 object), globs and directory
listings (S3 through `object_store`'s filesystem for the AWS environment)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pyarrow.fs as pafs

from wap_notebook.core.uris import redact_uri
from wap_notebook.lakehouse.errors import (
    SourceFormatError,
    SourceNotFoundError,
)
from wap_notebook.lakehouse.object_store import s3_filesystem
from wap_notebook.lakehouse.sources.files import SUFFIXES, SourceFile, detect_format
from wap_notebook.lakehouse.sources.messages import storage_error

_GLOB_CHARS = frozenset("*?[")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


_LOCAL = pafs.LocalFileSystem()


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
    if match is not None and scheme in ("s3", "s3a"):
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
        return _Target(s3_filesystem(), f"{bucket}/{key}" if key else bucket, "s3://", bucket)
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


def _source_file(target: _Target, info: pafs.FileInfo) -> SourceFile:
    uri = target.uri_prefix + info.path
    detected = detect_format(info.path)
    if detected is None:
        supported = ", ".join(sorted({s for s, _, _ in SUFFIXES}))
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
        error = storage_error(exc, search_uri, "listing")
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
        raise storage_error(exc, shown, "looking up") from exc
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
