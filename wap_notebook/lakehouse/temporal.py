"""Dates, times and timestamps written as text (CSV and JSON Lines): one inference and one parser for both.

pyarrow's CSV and JSON readers infer text dates differently (JSON turns "2024-01-01" into a timestamp and
rejects "+02:00" offsets; CSV drops nanoseconds and turns a column mixing zoned and naive values into a
string), so temporal-looking columns are read as strings and typed here:

- every value `YYYY-MM-DD` -> `date32`; every value `HH:MM[:SS[.f]]` -> `time64[us]`;
- every value an ISO-8601 date-time (`T` or a space, optional seconds and fraction) -> `timestamp[us]`
  when no value carries a zone, `timestamp[us, UTC]` when every value carries `Z` or an offset (the
  instants are kept: "09:00+02:00" is 07:00 UTC); a column mixing both is an error naming two values.

Iceberg timestamps hold microseconds: a value with non-zero digits beyond the sixth is refused, with the
number of such values (silently truncating would change the data).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TemporalError", "infer", "is_temporal", "parse"]

_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
_DATE_RE = f"^{_DATE}$"
_TIME_RE = f"^{_TIME}$"
_DATETIME_RE = f"^{_DATE}(?:[T ]{_TIME}{_ZONE}?)?$"  # a bare date is a naive midnight
_ZONED_RE = f"^{_DATE}[T ]{_TIME}{_ZONE}$"
_SUB_MICROS = r"\.\d{6}\d*[1-9]"  # a non-zero digit after the sixth fractional digit

UTC = pa.timestamp("us", tz="UTC")
NAIVE = pa.timestamp("us")
DATE = pa.date32()
TIME = pa.time64("us")


class TemporalError(ValueError):
    """A text column that cannot become a date/time/timestamp without changing or guessing its values."""


def is_temporal(t: pa.DataType) -> bool:
    return bool(pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t))


def _all(values: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def infer(column: str, values: pa.Array) -> pa.DataType | None:
    """The temporal type of a sample of text `values` (nulls already removed), or None if not temporal."""
    if len(values) == 0:
        return None
    if _all(values, _DATE_RE):
        return DATE
    if _all(values, _TIME_RE):
        return TIME
    if not _all(values, _DATETIME_RE):
        return None
    zoned = pc.match_substring_regex(values, _ZONED_RE)
    count = pc.sum(zoned).as_py() or 0
    if count == len(values):
        return UTC
    if count:
        raise _mixed(column, values, zoned)
    return NAIVE


def _mixed(column: str, values: pa.Array, zoned: pa.Array) -> TemporalError:
    with_zone = values.filter(zoned)[0].as_py()
    without = values.filter(pc.invert(zoned))[0].as_py()
    return TemporalError(
        f"column {column!r} mixes timestamps with a UTC offset ({with_zone!r}) and without one ({without!r}); "
        "the instant of a value without an offset is unknown: write every value with an offset (or none)")


def parse(column: str, values: pa.Array, target: pa.DataType) -> pa.Array:
    """Text `values` as `target` (a date, time or timestamp type of `infer`), exactly or not at all."""
    if pa.types.is_time(target):
        # Arrow does not cast text to times: parse them as date-times on the epoch day, keep the time part.
        on_epoch = pc.binary_join_element_wise(pa.scalar("1970-01-01T"), values, "")
        instants = _parse_timestamps(column, on_epoch, NAIVE)
        return instants.cast(pa.int64()).cast(pa.time64("us"))
    return _parse_timestamps(column, values, target)


def _parse_timestamps(column: str, values: pa.Array, target: pa.DataType) -> pa.Array:
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    present = values.filter(pc.is_valid(values))
    if pa.types.is_timestamp(target):
        zoned = pc.match_substring_regex(present, _ZONED_RE)
        count = pc.sum(zoned).as_py() or 0
        if target.tz is not None and count < len(present) or target.tz is None and count:
            if count and count < len(present):
                raise _mixed(column, present, zoned)
            has = "has" if target.tz is None else "has no"
            raise TemporalError(f"column {column!r} holds {target} but {present[0].as_py()!r} {has} UTC offset")
        lossy = pc.match_substring_regex(present, _SUB_MICROS)
        lost = pc.sum(lossy).as_py() or 0
        if lost:
            example = present.filter(lossy)[0].as_py()
            raise TemporalError(
                f"column {column!r}: {lost} value(s) have digits below the microsecond (e.g. {example!r}), "
                "which Iceberg timestamps cannot hold; round them to microseconds before importing")
        try:  # more than six fractional digits, all zero: exact once parsed at nanosecond precision
            return values.cast(pa.timestamp("ns", tz=target.tz)).cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    bad = _first_unparsable(present, target)
    raise TemporalError(f"column {column!r}: {bad!r} is not a valid {target} value")


def _first_unparsable(values: pa.Array, target: pa.DataType) -> object:
    """The first value that does not cast (a bisection keeps this to a few vectorized casts)."""
    while len(values) > 1:
        half = values.slice(0, len(values) // 2)
        try:
            half.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = half
            continue
        values = values.slice(len(values) // 2)
    return values[0].as_py() if len(values) else None
