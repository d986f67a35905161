"""Partitioning: Bauplan's `partitioned_by` expressions and plan `partitions` entries as Iceberg specs.

`partitioned_by` is a comma-separated list of terms, as in Bauplan's docs
(`"hour(tpep_pickup_datetime), PULocationID"`): a bare column (identity), `year(col)`, `month(col)`,
`day(col)`, `hour(col)`, `bucket(N, col)` or `truncate(N, col)`. In a plan's `schema_info.partitions`
each term is `{from_column_name: col, transform: {name: day}}`, with `num_buckets: N` for bucket and
`width: N` for truncate. Terms become a real Iceberg partition spec through PyIceberg, so files written
to the table are split by partition. Malformed terms, unknown columns and transforms that do not apply
to a column's type are refused with `PartitionSpecError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyiceberg.transforms import (
    BucketTransform,
    DayTransform,
    HourTransform,
    IdentityTransform,
    MonthTransform,
    Transform,
    TruncateTransform,
    YearTransform,
)

from wap_notebook.lakehouse.errors import PartitionSpecError

_TIME: dict[str, Callable[[], Transform[Any, Any]]] = {
    "year": YearTransform, "month": MonthTransform, "day": DayTransform, "hour": HourTransform}
_PARAM_KEY = {"bucket": "num_buckets", "truncate": "width"}
_COLUMN = r"[A-Za-z_][A-Za-z0-9_]*"
_TERM = re.compile(rf"(?:(?P<fn>[A-Za-z_]+)\s*\(\s*(?:(?P<n>\d+)\s*,\s*)?(?P<col>{_COLUMN})\s*\)|(?P<bare>{_COLUMN}))")
_HELP = ("use a column name, year(col), month(col), day(col), hour(col), bucket(N, col) or truncate(N, col), "
         "separated by commas")


@dataclass(frozen=True)
class PartitionTerm:
    column: str
    transform: str  # identity | year | month | day | hour | bucket | truncate
    param: int | None = None

    def iceberg(self) -> Transform[Any, Any]:
        if self.transform == "identity":
            return IdentityTransform()
        if self.transform in _TIME:
            return _TIME[self.transform]()
        if self.transform == "bucket":
            return BucketTransform(self.param or 0)
        return TruncateTransform(self.param or 0)

    def to_plan(self) -> dict[str, Any]:
        transform: dict[str, Any] = {"name": self.transform}
        if self.transform in _PARAM_KEY:
            transform[_PARAM_KEY[self.transform]] = self.param
        return {"from_column_name": self.column, "transform": transform}

    def __str__(self) -> str:
        if self.transform == "identity":
            return self.column
        if self.param is not None:
            return f"{self.transform}({self.param}, {self.column})"
        return f"{self.transform}({self.column})"


def _term(column: str, transform: str, param: int | None, source: object) -> PartitionTerm:
    if transform in _TIME or transform == "identity":
        if param is not None:
            raise PartitionSpecError(f"Partition term {source!r}: {transform}() takes only a column; {_HELP}")
    elif transform in _PARAM_KEY:
        if param is None or isinstance(param, bool) or not isinstance(param, int) or param <= 0:
            raise PartitionSpecError(f"Partition term {source!r}: {transform} needs a positive integer "
                                     f"({transform}(N, col)); {_HELP}")
    else:
        raise PartitionSpecError(f"Partition term {source!r}: unknown transform {transform!r}; {_HELP}")
    return PartitionTerm(column, transform, param)


def _check_unique(terms: list[PartitionTerm]) -> list[PartitionTerm]:
    seen = set()
    for term in terms:
        key = (term.column, term.transform)
        if key in seen:
            raise PartitionSpecError(f"Partition term {str(term)!r} appears twice")
        seen.add(key)
    return terms


def parse_partitioned_by(text: object) -> list[PartitionTerm]:
    """`"hour(ts), PULocationID"` -> terms; None or "" -> no partitioning."""
    if text is None:
        return []
    if not isinstance(text, str):
        raise PartitionSpecError(f"partitioned_by must be a string, got {text!r}; {_HELP}")
    if not text.strip():
        return []
    terms = []
    for part in _split_top_level(text):
        match = _TERM.fullmatch(part.strip())
        if match is None:
            raise PartitionSpecError(f"Malformed partition term {part.strip()!r}; {_HELP}")
        if match["bare"]:
            terms.append(PartitionTerm(match["bare"], "identity"))
        else:
            param = int(match["n"]) if match["n"] is not None else None
            terms.append(_term(match["col"], match["fn"].lower(), param, part.strip()))
    return _check_unique(terms)


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            raise PartitionSpecError(f"Unbalanced parentheses in partitioned_by {text!r}")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise PartitionSpecError(f"Unbalanced parentheses in partitioned_by {text!r}")
    parts.append(current)
    return parts


def terms_from_plan(entries: object) -> list[PartitionTerm]:
    """The `schema_info.partitions` list of a plan -> terms."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PartitionSpecError(f"schema_info.partitions must be a list, got {entries!r}")
    terms = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("from_column_name"), str):
            raise PartitionSpecError(f"Partition entry {entry!r} needs 'from_column_name' and 'transform'")
        transform = entry.get("transform") or {}
        if isinstance(transform, str):
            transform = {"name": transform}
        name = transform.get("name") if isinstance(transform, dict) else None
        if not isinstance(name, str):
            raise PartitionSpecError(f"Partition entry {entry!r}: 'transform' needs a 'name'")
        name = name.lower()
        param = transform.get(_PARAM_KEY.get(name, ""), None)
        terms.append(_term(entry["from_column_name"], name, param, entry))
    return _check_unique(terms)


def describe(terms: list[PartitionTerm]) -> str | None:
    return ", ".join(str(t) for t in terms) or None


def apply_to(table: Any, terms: list[PartitionTerm]) -> None:
    """Add the terms to an (empty) PyIceberg table's partition spec, checking columns and types."""
    if not terms:
        return
    schema = table.schema()
    for term in terms:
        field = schema.find_field(term.column, case_sensitive=True) if term.column in schema.column_names else None
        if field is None:
            raise PartitionSpecError(f"Partition column {term.column!r} is not in the table; its columns are: "
                                     f"{', '.join(schema.column_names)}")
        if not term.iceberg().can_transform(field.field_type):
            raise PartitionSpecError(f"Partition term {str(term)!r}: {term.transform} does not apply to column "
                                     f"{term.column!r} of type {field.field_type}")
    with table.update_spec() as update:
        for term in terms:
            update.add_field(term.column, term.iceberg())
