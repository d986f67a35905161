"""`get_commits(filter=...)`: the CEL subset Bauplan's catalog (Nessie) documents for commit logs.

Supported, over the variable `commit`:
- fields `commit.hash`, `commit.message`, `commit.author`, `commit.committer` (names), `commit.authorEmail`,
  `commit.authorTime`, `commit.commitTime` (timestamps), `commit.properties` (a map: `commit.properties['k']`),
  `commit.parentHashes` (a list);
- literals: strings, integers, floats, `true`, `false`, `null`, lists `[...]`, `timestamp('2026-11-25T10:00:00Z')`;
- operators `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `&&`, `||`, `!`, parentheses;
- methods `.startsWith(s)`, `.endsWith(s)`, `.contains(s)`, `.matches(regex)`, `size(x)`, `has(map[key])` is
  written `'key' in commit.properties`.

Anything else is refused with a `ValueError` naming what is not supported: a filter is never ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>\d+\.\d+|\d+)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>&&|\|\||==|!=|<=|>=|[<>!().,\[\]])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)

_FIELDS = ("hash", "message", "author", "committer", "authorEmail", "authorTime", "commitTime", "properties",
           "parentHashes")
_SUPPORTED = ("fields commit." + "/".join(_FIELDS) + "; operators == != < <= > >= in && || !; methods "
              "startsWith endsWith contains matches; functions size() timestamp()")

Evaluator = Callable[[dict[str, Any]], Any]


def _unsupported(what: str) -> ValueError:
    return ValueError(f"Unsupported commit filter: {what}. Supported: {_SUPPORTED}")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _unsupported(f"unexpected character at {text[pos:pos + 10]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise _unsupported(f"timestamp() needs an RFC 3339 string, got {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise _unsupported(f"expected {value or 'more input'} at token {self.pos + 1}")
        self.pos += 1
        return token

    def parse(self) -> Evaluator:
        expr = self.or_()
        if self.peek() is not None:
            raise _unsupported(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return expr

    def or_(self) -> Evaluator:
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right, prev = self.and_(), left
            left = _either(prev, right)
        return left

    def and_(self) -> Evaluator:
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right, prev = self.unary(), left
            left = _both(prev, right)
        return left

    def unary(self) -> Evaluator:
        if self.peek() == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda c: not inner(c)
        return self.comparison()

    _COMPARE: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "in": lambda a, b: a in b,
    }

    def comparison(self) -> Evaluator:
        left = self.postfix()
        token = self.peek()
        if token and (token[1] in self._COMPARE):
            self.take()
            right, op = self.postfix(), self._COMPARE[token[1]]

            def compare(c: dict[str, Any]) -> bool:
                a, b = left(c), right(c)
                try:
                    return op(a, b)
                except TypeError:
                    raise _unsupported(f"cannot compare {a!r} {token[1]} {b!r}") from None

            return compare
        return left

    def postfix(self) -> Evaluator:
        expr = self.primary()
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == "[":
                key = self.or_()
                self.take("]")
                expr = _item(expr, key)
                continue
            name = self.take()[1]
            if self.peek() == ("op", "("):
                expr = self.method(expr, name)
            elif name in _FIELDS:
                expr = _field(expr, name)
            else:
                raise _unsupported(f"unknown field {name!r}")
        return expr

    def arguments(self) -> list[Evaluator]:
        self.take("(")
        args: list[Evaluator] = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return args

    def method(self, target: Evaluator, name: str) -> Evaluator:
        args = self.arguments()
        methods: dict[str, Callable[[str, str], bool]] = {
            "startsWith": str.startswith, "endsWith": str.endswith, "contains": lambda s, x: x in s,
            "matches": lambda s, x: re.search(x, s) is not None,
        }
        if name not in methods or len(args) != 1:
            raise _unsupported(f"method {name}() with {len(args)} argument(s)")
        fn, arg = methods[name], args[0]
        return lambda c: fn(str(target(c) or ""), str(arg(c)))

    def primary(self) -> Evaluator:
        kind, value = self.take()
        if kind == "num":
            number = float(value) if "." in value else int(value)
            return lambda c: number
        if kind == "str":
            text = bytes(value[1:-1], "utf-8").decode("unicode_escape")
            return lambda c: text
        if value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if value == "[":
            items: list[Evaluator] = []
            while self.peek() != ("op", "]"):
                items.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take("]")
            return lambda c: [item(c) for item in items]
        if kind == "name":
            constants = {"true": True, "false": False, "null": None}
            if value in constants:
                constant = constants[value]
                return lambda c: constant
            if value == "commit":
                return lambda c: c
            if value in ("timestamp", "size") and self.peek() == ("op", "("):
                args = self.arguments()
                if len(args) != 1:
                    raise _unsupported(f"{value}() takes one argument")
                arg = args[0]
                if value == "timestamp":
                    return lambda c: _timestamp(arg(c))
                return lambda c: len(arg(c))
        raise _unsupported(f"unexpected {value!r}")


def compile_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """Parse `text` once; the result evaluates one commit's fields (see `_FIELDS`) to a bool."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("filter must be a non-empty CEL expression, e.g. \"commit.author == 'alice'\"")
    evaluator = _Parser(text).parse()
    return lambda fields: bool(evaluator(fields))


# Combinators build the evaluator tree; each closes over its operands (a loop rebinds `left`/`expr`).
def _either(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda c: bool(a(c)) or bool(b(c))


def _both(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda c: bool(a(c)) and bool(b(c))


def _item(expr: Evaluator, key: Evaluator) -> Evaluator:
    return lambda c: (expr(c) or {}).get(key(c))


def _field(expr: Evaluator, name: str) -> Evaluator:
    return lambda c: expr(c)[name]
