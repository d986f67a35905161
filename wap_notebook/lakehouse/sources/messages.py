"""Errors that name the file (and the CSV column), map storage failures to the right class, and never carry
credentials."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyarrow as pa

from wap_notebook.lakehouse.errors import (
    SourceAccessError,
    SourceError,
    SourceFormatError,
    SourceNotFoundError,
)

if TYPE_CHECKING:  # files.py raises format errors: import the class for types only
    from wap_notebook.lakehouse.sources.files import SourceFile

_FORMAT_NAMES = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSON Lines"}
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


def _scrub(text: str) -> str:
    """Remove credential values from a message (pyarrow/AWS messages should not carry them; be sure)."""
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        value = os.environ.get(var)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def describe(exc: BaseException) -> str:
    return _scrub(str(exc).strip()) or type(exc).__name__


def storage_error(exc: BaseException, uri: str, doing: str) -> SourceError:
    """Map an I/O failure of the storage layer to the right SourceError class."""
    text = describe(exc)
    if isinstance(exc, PermissionError) or any(m in text for m in _ACCESS_MARKERS):
        return SourceAccessError(f"Access denied while {doing} {uri}: {text}", uri=uri)
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)) or any(m in text for m in _NOT_FOUND_MARKERS):
        return SourceNotFoundError(f"Not found while {doing} {uri}: {text}", uri=uri)
    return SourceError(f"I/O error while {doing} {uri}: {text}", uri=uri)


def format_error(file: SourceFile, problem: str) -> SourceFormatError:
    kind = _FORMAT_NAMES.get(file.format, file.format)
    return SourceFormatError(f"Cannot read {kind} file {file.uri}: {_scrub(problem)}", uri=file.uri)


@contextmanager
def reading(file: SourceFile, columns: Sequence[str] = ()) -> Iterator[None]:
    """Translate pyarrow exceptions raised while reading `file` into SourceErrors naming it."""
    try:
        yield
    except SourceError:
        raise
    except UnicodeDecodeError as exc:  # pyarrow decodes CSV header names in Python
        raise not_utf8(file, "the header") from exc
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowCapacityError,
            EOFError) as exc:
        raise format_error(file, _with_csv_column(describe(exc), columns)) from exc
    except OSError as exc:
        text = str(exc)
        if isinstance(exc, (PermissionError, FileNotFoundError)) or any(m in text for m in _STORAGE_MARKERS):
            raise storage_error(exc, file.uri, "reading") from exc
        # Anything else at this level is a decoding failure: truncated gzip, bad zlib header, ...
        raise format_error(file, describe(exc)) from exc


def not_utf8(file: SourceFile, where: str) -> SourceFormatError:
    return format_error(file, f"{where} is not UTF-8 text (the file looks Latin-1 or Windows-1252 encoded): "
                              "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`")


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
        return f"column {columns[index]!r}: {wide_integer_problem(wide.group(1))}"
    return text.replace(match.group(0), f"column {columns[index]!r} (CSV column #{index}): ", 1)


_CSV_WIDE_RE = re.compile(r"conversion error to int64: invalid value '\s*([+-]?\d{19,})\s*'")


def wide_integer_problem(value: str) -> str:
    return (f"{value.lstrip('+')} is an integer beyond the 64-bit range Iceberg stores, in an integer column "
            "(typed from the file's first rows): write such values as text (quoted)")
