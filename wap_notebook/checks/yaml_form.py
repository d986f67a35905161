"""Turn the YAML body of a `%%wap_ingest` cell into check objects.

One list item per check, named as the factories in `wap_notebook.checks`::

    - not_null: [order_id, customer_id]          # a list: positional arguments
    - unique: order_id                           # a scalar: one positional argument
    - between: {column: amount, min: 0}          # a mapping: keyword arguments
    - schema_compatible                          # no arguments
    - sql: {name: late, query: "SELECT * FROM {table} WHERE shipped_at < ordered_at"}
      severity: warn                             # optional, beside the check name
    - matches: {column: tailnum, regex: "^N", mostly: 0.99}   # tolerance: 99% of new rows must pass
    - not_null: [a, b]
      max_failing: "1%"                          # or beside the check name (a count, or a percentage)

Every problem (bad YAML, an unknown check, a missing or unexpected argument, a bad value) is a
`InvalidSpec` (a `ValueError`) that names the item's position and text, raised before anything touches a lakehouse.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from wap_notebook.checks.model import Check

from wap_notebook.checks.registry import check_factory, check_names
from wap_notebook.core.options import SEVERITIES
from wap_notebook.errors import InvalidSpec

# Other spellings users write in YAML for the factories' keyword names.
_KEYWORD_ALIASES = {"col": "column", "pattern": "regex"}
# Options a list item may give beside its check name, like `severity`: the tolerance of a row-level check.
_BESIDE_NAME = ("mostly", "max_failing")


def parse_checks(text: str | None, user_ns: Mapping[str, Any] | None = None, *,
                 origin: str = "the cell body") -> list[Check]:
    """Parse a YAML list of checks; `user_ns` resolves the `fn` of `custom` checks given by name.

    `origin` names where the text came from in messages ("the cell body", or the `--checks` file's path),
    so a line number points into what the user wrote."""
    if text is None or not text.strip():
        return []
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            lines = text.splitlines()
            source = lines[mark.line].strip() if mark.line < len(lines) else ""
            where = f" at line {mark.line + 1} of {origin}, column {mark.column + 1}"
            where += f" ({source!r})" if source else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and opened is not None and mark is not None and opened.line != mark.line:
            problem += f" ({context} at line {opened.line + 1}, column {opened.column + 1})"
        raise InvalidSpec(f"checks: invalid YAML{where}: {problem}") from None
    if document is None:
        return []
    if not isinstance(document, list):
        raise InvalidSpec(
            f"checks: {origin} must be a YAML list with one item per check, e.g. '- unique: order_id'; "
            f"got a {type(document).__name__}"
        )
    return [parse_check_item(item, user_ns, index=index) for index, item in enumerate(document, start=1)]


def _describe(item: Any) -> str:
    text = str(yaml.safe_dump(item, default_flow_style=True, width=10_000, sort_keys=False)).strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    return text if len(text) <= 120 else text[:117] + "..."


def parse_check_item(item: Any, user_ns: Mapping[str, Any] | None = None, *, index: int = 1) -> Check:
    """One item of the list (as YAML loads it, or as `Check.to_config()` writes it) -> a check."""
    user_ns = user_ns or {}

    def fail(message: str) -> InvalidSpec:
        return InvalidSpec(f"checks: item {index} ({_describe(item)}): {message}")

    severity = None
    beside: dict[str, Any] = {}
    if isinstance(item, str):
        name, args = item, None
    elif isinstance(item, Mapping):
        rest = dict(item)
        if "severity" in rest:
            severity = rest.pop("severity")
        beside = {key: rest.pop(key) for key in _BESIDE_NAME if key in rest}
        if len(rest) != 1:
            raise fail(
                "each item needs exactly one check name (plus an optional 'severity', 'mostly' or 'max_failing'); "
                f"found {', '.join(map(str, rest)) or 'none'}"
            )
        ((name, args),) = rest.items()
    else:
        raise fail("expected '- check_name: arguments'")
    factory = check_factory(name) if isinstance(name, str) else None
    if factory is None:
        raise fail(f"unknown check {name!r}; known checks: {', '.join(check_names())}")
    if severity is not None and severity not in SEVERITIES:
        raise fail(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")

    positional: list[Any]
    keywords: dict[str, Any]
    if args is None:
        positional, keywords = [], {}
    elif isinstance(args, list):
        positional, keywords = list(args), {}
    elif isinstance(args, Mapping):
        positional, keywords = [], {str(key): value for key, value in args.items()}
    else:
        positional, keywords = [args], {}
    if severity is not None:
        if "severity" in keywords and keywords["severity"] != severity:
            raise fail("severity given twice with different values")
        keywords["severity"] = severity
    for key, value in beside.items():
        if key in keywords and keywords[key] != value:
            raise fail(f"{key} given twice with different values")
        keywords[key] = value

    try:
        positional, keywords = _apply_aliases(factory, positional, keywords)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if name == "custom":
        keywords, positional = _resolve_custom(positional, keywords, user_ns, fail)
    try:
        inspect.signature(factory).bind(*positional, **keywords)
    except TypeError as exc:
        raise fail(f"{exc}; expected {name}{_signature_text(factory)}") from None
    except ValueError:  # builtins without a signature: let the call decide
        pass
    try:
        check = factory(*positional, **keywords)
    except (TypeError, ValueError) as exc:
        raise fail(str(exc)) from None
    from wap_notebook.checks.model import Check  # noqa: F811 - at run time only here: keeps %load_ext light

    if not isinstance(check, Check):
        raise fail(f"the factory registered as {name!r} returned {check!r}, not a check")
    return check


def _signature_text(factory: Callable[..., Any]) -> str:
    try:
        return str(inspect.signature(factory))
    except (TypeError, ValueError):  # pragma: no cover
        return "(...)"


def _apply_aliases(
    factory: Callable[..., Any], positional: list[Any], keywords: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Accept `col:` for a parameter named `column` (and similar), never overriding an explicit one,
    and spread a list given for a `*cols` parameter (`not_null: {columns: [a, b], severity: warn}`)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return positional, keywords
    var_positional = next((p.name for p in params.values() if p.kind is p.VAR_POSITIONAL), None)
    renamed: dict[str, Any] = {}
    for key, value in keywords.items():
        target = _KEYWORD_ALIASES.get(key)
        if key not in params and target and target in params and target not in keywords:
            key = target
        spreads = key == var_positional or (key not in params and key in ("col", "column", "columns", "cols"))
        if var_positional and spreads:
            if positional:
                raise InvalidSpec(f"give the columns either as a list or as {key!r}, not both")
            positional = list(value) if isinstance(value, list) else [value]
            continue
        renamed[key] = value
    return positional, renamed


def _resolve_custom(
    positional: list[Any], keywords: dict[str, Any], user_ns: Mapping[str, Any], fail: Callable[[str], ValueError]
) -> tuple[dict[str, Any], list[Any]]:
    """`custom: {name: fresh, fn: my_function}` looks `my_function` up in the notebook's namespace."""

    def resolve(value: Any) -> Any:
        if callable(value):
            return value
        if isinstance(value, str):
            if value in user_ns and callable(user_ns[value]):
                return user_ns[value]
            raise fail(f"custom check function {value!r} is not a callable defined in the notebook")
        raise fail("custom check needs 'fn': the name of a function defined in the notebook")

    if "fn" in keywords:
        keywords = {**keywords, "fn": resolve(keywords["fn"])}
    elif len(positional) >= 2:
        positional = [positional[0], resolve(positional[1]), *positional[2:]]
    return keywords, positional
