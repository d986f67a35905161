"""The registry of check factories by name: the YAML parser, the magic's help and persisted specs read it.

`wap_notebook.checks` registers the built-in checks with `@register_check("not_null")`; a project can
register its own factory the same way and then use it by name in a `%%wap_ingest` cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wap_notebook.errors import InvalidSpec

Factory = TypeVar("Factory", bound=Callable[..., Any])

_FACTORIES: dict[str, Callable[..., Any]] = {}


def register_check(name: str) -> Callable[[Factory], Factory]:
    """Decorator: make `factory` available by `name` (a check's `kind`)."""

    def decorate(factory: Factory) -> Factory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise InvalidSpec(f"a check named {name!r} is already registered")
        _FACTORIES[name] = factory
        return factory

    return decorate


def _load_builtins() -> None:
    import wap_notebook.checks.builtins  # noqa: F401 - registers the built-in checks


def check_names() -> tuple[str, ...]:
    """Every registered check name, built-ins first, in registration order."""
    _load_builtins()
    return tuple(_FACTORIES)


def check_factory(name: str) -> Callable[..., Any] | None:
    """The factory registered under `name`, or None."""
    _load_builtins()
    return _FACTORIES.get(name)
