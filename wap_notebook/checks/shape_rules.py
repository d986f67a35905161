"""Row-level rules on one or more columns' values, answered by the table's shared scan: length (of strings;
on the embedded lakehouse from the import's partials) and expression (a user's SQL boolean over the row,
validated up front)."""

from __future__ import annotations

from typing import Any

from wap_notebook.checks.model import Aggregate, AggregateCheck, Outcome, Values
from wap_notebook.checks.predicates import validate_predicate
from wap_notebook.core.partials_contract import Measure
from wap_notebook.core.sql import quote_ident
from wap_notebook.errors import InvalidSpec


class Length(AggregateCheck):
    """Non-NULL strings whose length (in characters) is within [min, max]."""

    kind = "length"
    row_level = True

    def __init__(self, column: str, min: int | None = None, max: int | None = None, **kw: Any) -> None:  # noqa: A002
        super().__init__((column,), **kw)
        for bound in (min, max):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 0):
                raise InvalidSpec(f"length: min and max must be non-negative integers; got {bound!r}")
        if min is None and max is None:
            raise InvalidSpec("length needs min, max or both")
        if min is not None and max is not None and max < min:
            raise InvalidSpec(f"length: need min <= max; got min={min}, max={max}")
        self.min, self.max = min, max

    def expected(self) -> str:
        if self.min is None:
            return f"length <= {self.max}"
        if self.max is None:
            return f"length >= {self.min}"
        return f"length between {self.min} and {self.max}"

    def params(self) -> dict[str, Any]:
        return {"column": self.columns[0], "min": self.min, "max": self.max}

    def predicate(self) -> str:
        col = quote_ident(self.columns[0])
        conds = []
        if self.min is not None:
            conds.append(f"length({col}) < {self.min}")
        if self.max is not None:
            conds.append(f"length({col}) > {self.max}")
        return f"{col} IS NOT NULL AND ({' OR '.join(conds)})"

    def aggregates(self) -> list[Aggregate]:
        col = quote_ident(self.columns[0])
        return [Aggregate("bad", "count_if", self.predicate()), Aggregate("lo", "min", f"length({col})"),
                Aggregate("hi", "max", f"length({col})")]

    def partial_measures(self) -> list[Measure]:
        return [Measure("length_out_of_range", self.columns, [self.min, self.max]),
                Measure("length_minmax", self.columns)]

    def partial_values(self, got: list[Any], *, incremental: bool, base_bounds: dict[str, Any]
                       ) -> dict[str, Any] | None:
        if None in got:
            return None
        return {"bad": got[0], "lo": got[1][0], "hi": got[1][1]}

    def cell_predicate(self, column: str) -> str | None:
        return self.predicate() if column == self.columns[0] else None

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        lengths = f"; lengths [{values.after.get('lo')}, {values.after.get('hi')}]{values.whole_table_note}"
        return Outcome(bad == 0, bad, bad, f"{bad} rows with a length outside the bounds{lengths}", self.predicate())


class Expression(AggregateCheck):
    """Rows where the user's SQL boolean is false fail (NULL is not false: use COALESCE to fail it)."""

    kind = "expression"
    row_level = True

    def __init__(self, name: str, predicate: str, **kw: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidSpec("expression check needs a name")
        rendered, columns = validate_predicate(predicate, f"expression {name!r}")
        super().__init__(columns, name=name, **kw)
        self.text = predicate
        self._sql = rendered

    @property
    def name(self) -> str:
        return str(self._name)

    def expected(self) -> str:
        return f"true: {self.text}"

    def params(self) -> dict[str, Any]:
        return {"name": self.name, "predicate": self.text}

    def predicate(self) -> str:
        return f"NOT COALESCE(({self._sql}), TRUE)"

    def aggregates(self) -> list[Aggregate]:
        return [Aggregate("bad", "count_if", self.predicate())]

    def cell_predicate(self, column: str) -> str | None:
        return self.predicate() if column in self.columns else None

    def evaluate(self, values: Values) -> Outcome:
        bad = values.new("bad")
        return Outcome(bad == 0, bad, bad, f"{bad} rows where the expression is false", self.predicate())
