"""Tolerances on row-level checks: how many of the new rows may fail before the check fails.

`mostly=0.99` (the fraction of new rows that must pass, as in Great Expectations) or `max_failing=N` /
`max_failing="1%"` (as Soda's `invalid_percent`). The verdict is exact arithmetic on the failing count
and the rows the ingestion added (`Fraction`, no float rounding at the boundary); the failing rows stay
listed whatever the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from wap_notebook.errors import InvalidSpec


def _fraction(value: Any, what: str) -> Fraction:
    try:
        number = Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidSpec(f"{what}: expected a number; got {value!r}") from exc
    return number


@dataclass(frozen=True)
class Tolerance:
    """At most `max_rows` failing rows, or at most the fraction `max_share` of the new rows."""

    spelled: dict[str, Any]  # as the user wrote it: {"mostly": 0.99} or {"max_failing": "1%"}
    max_rows: int | None = None
    max_share: Fraction | None = None

    @classmethod
    def parse(cls, kind: str, mostly: Any = None, max_failing: Any = None) -> Tolerance | None:
        if mostly is None and max_failing is None:
            return None
        if mostly is not None and max_failing is not None:
            raise InvalidSpec(f"{kind}: give mostly= or max_failing=, not both")
        if mostly is not None:
            if isinstance(mostly, bool) or not isinstance(mostly, (int, float, str)):
                raise InvalidSpec(f"{kind}: mostly must be a fraction between 0 and 1; got {mostly!r}")
            share = _fraction(mostly, f"{kind}: mostly")
            if not 0 <= share <= 1:
                raise InvalidSpec(f"{kind}: mostly must be between 0 and 1; got {mostly!r}")
            return cls({"mostly": mostly}, max_share=1 - share)
        if isinstance(max_failing, bool):
            raise InvalidSpec(f"{kind}: max_failing must be a row count or a percentage like '1%'; "
                              f"got {max_failing!r}")
        if isinstance(max_failing, int):
            if max_failing < 0:
                raise InvalidSpec(f"{kind}: max_failing must be >= 0; got {max_failing}")
            return cls({"max_failing": max_failing}, max_rows=max_failing)
        if isinstance(max_failing, str) and max_failing.strip().endswith("%"):
            share = _fraction(max_failing.strip()[:-1].strip(), f"{kind}: max_failing")
            if not 0 <= share <= 100:
                raise InvalidSpec(f"{kind}: max_failing must be between 0% and 100%; got {max_failing!r}")
            return cls({"max_failing": max_failing}, max_share=share / 100)
        raise InvalidSpec(f"{kind}: max_failing must be a row count or a percentage like '1%'; got {max_failing!r}")

    def allows(self, failing: int, rows: int) -> bool:
        if self.max_rows is not None:
            return failing <= self.max_rows
        assert self.max_share is not None
        return failing <= 0 if rows <= 0 else Fraction(failing, rows) <= self.max_share

    def expected(self) -> str:
        if self.max_rows is not None:
            return f"at most {self.max_rows} failing rows"
        assert self.max_share is not None
        return f">= {_percent(1 - self.max_share)} of new rows pass"

    def verdict(self, failing: int, rows: int) -> tuple[bool, str]:
        """The verdict and a sentence with the observed fraction and the threshold."""
        ok = self.allows(failing, rows)
        passing = Fraction(1) if rows <= 0 else Fraction(rows - failing, rows)
        word = "within tolerance" if ok else "over tolerance"
        return ok, (f"{_percent(passing)} of {rows} new rows pass ({failing} failing; "
                    f"needs {self.expected()}): {word}")


def _percent(share: Fraction) -> str:
    value = float(share) * 100
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
