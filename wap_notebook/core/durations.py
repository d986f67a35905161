"""Ages and durations in words: how old an open import branch is, and what `older_than="7d"` means."""

from __future__ import annotations

from datetime import timedelta

from wap_notebook.errors import InvalidSpec


def humanize_age(age: timedelta | None) -> str:
    """`3 days`, `2 h 5 min`, `7 min`, `just now` (never `0 days 00:07:07.283019`)."""
    if age is None:
        return "unknown"
    seconds = int(age.total_seconds())
    if seconds < 60:
        return "just now" if seconds >= 0 else "in the future"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days >= 2:
        return f"{days} days"
    if days == 1:
        return f"1 day {hours - 24} h" if hours > 24 else "1 day"
    if hours:
        rest = minutes - hours * 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def parse_duration(value: timedelta | str | int | float) -> timedelta:
    """`timedelta`, seconds, or text such as `7d`, `12h`, `30min`, `2 days`."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        import re

        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*",
                             value.lower())
        if match:
            number, unit = float(match.group(1)), match.group(2)
            scale = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit[0] if unit != "min" else "m"]
            return timedelta(seconds=number * scale)
    raise InvalidSpec(f"older_than must be a timedelta, seconds, or text like '7d' / '12h' / '30min'; got {value!r}")
