"""Stand-ins for the SDK's compiled return types with exactly their public attributes.

`bauplan.schema` / `bauplan.state` classes cannot be instantiated from Python. Test doubles that return
`SimpleNamespace`s accept any attribute, so code reading a local-only attribute (`state.rows_imported`,
`commit.hash`) would pass them; `shaped(bauplan.state.TableDataImportState, error=None, ...)` instead
builds an object that has the SDK class's attributes and nothing else: reading another one raises
`AttributeError`, as on Bauplan's cloud.
"""

from __future__ import annotations

from typing import Any

_classes: dict[type, type] = {}


def public_attributes(sdk_class: type) -> frozenset[str]:
    return frozenset(n for n in dir(sdk_class) if not n.startswith("_"))


def shaped(sdk_class: type, **values: Any) -> Any:
    """An object with exactly `sdk_class`'s public attributes; those not given are None."""
    names = public_attributes(sdk_class)
    unknown = set(values) - names
    if unknown:
        raise AttributeError(f"{sdk_class.__name__} has no attribute(s) {sorted(unknown)}")
    cls = _classes.get(sdk_class)
    if cls is None:
        cls = type(f"Shaped{sdk_class.__name__}", (), {"__slots__": tuple(sorted(names)),
                                                       "__repr__": _repr})
        _classes[sdk_class] = cls
    obj = cls()
    for name in names:
        object.__setattr__(obj, name, values.get(name))
    return obj


def _repr(self: Any) -> str:
    fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if getattr(self, n) is not None)
    return f"{type(self).__name__}({fields})"
