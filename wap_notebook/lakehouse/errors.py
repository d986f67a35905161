"""Errors of the embedded lakehouse.

Catalog failures raise Bauplan's own classes (`bauplan.exceptions.*`), built as `Cls(code, type,
message)` exactly as the SDK does. Two families Bauplan raises from compiled job states that Python
cannot construct, so we raise subclasses of their public bases instead:

- source problems (empty glob, missing bucket, unreadable or corrupt file) are `SourceError`, a
  `bauplan.exceptions.BauplanJobError`, as a failed Bauplan import/create job would be;
- files that disagree on a column's type are `SchemaConflictError`, a
  `bauplan.exceptions.TableCreatePlanError` (the base of Bauplan's final `TableCreatePlanStatusError`).

Catching the Bauplan base class therefore works the same on both backends.
"""

from __future__ import annotations

from typing import TypeVar, cast

from bauplan import exceptions as bx

E = TypeVar("E", bound=bx.BauplanHTTPError)


class SourceError(bx.BauplanJobError):
    """A source URI or file could not be listed, opened or parsed. `uri` names the culprit."""

    def __new__(cls, message: str, **_kwargs: object) -> SourceError:
        return cast(SourceError, super().__new__(cls, message))  # the SDK's stub types __new__ as its base

    def __init__(self, message: str, *, uri: str | None = None) -> None:
        super().__init__(message)
        self.uri = uri


class SourceNotFoundError(SourceError):
    """The URI matches no file: empty glob, missing bucket, missing object or local path."""


class SourceAccessError(SourceError):
    """The storage refused access: bad or missing credentials, no permission."""


class SourceFormatError(SourceError):
    """A file is unreadable as its format: corrupt, truncated, ragged CSV, broken JSON line, bad value,
    unsupported extension, or columns that do not fit the table."""


class SchemaConflictError(bx.TableCreatePlanError):
    """Files matched by one search URI disagree on a column's type."""

    def __new__(cls, message: str, **_kwargs: object) -> SchemaConflictError:
        return cast(SchemaConflictError, super().__new__(cls))

    def __init__(self, message: str, *, column: str | None = None, types: tuple[str, ...] = (),
                 files: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.args = (message,)
        self.message = message
        self.column = column
        self.types = types
        self.files = files

    def __str__(self) -> str:
        return self.message


def api_error(cls: type[E], code: int, error_type: str, message: str, *kind_fields: str) -> E:
    """`cls(code, type, message)` as the SDK builds it, with `.kind` set to its `ApiErrorKind` where Python can
    build one: kinds made of strings only (about 25 of the 34); those holding a catalog `Ref` cannot be built
    outside the SDK, and their `.kind` stays None."""
    sdk_class = next(c for c in cls.__mro__ if c.__module__ == "bauplan.exceptions")
    builder = getattr(bx.ApiErrorKind, sdk_class.__name__.removesuffix("Error"), None)
    kind = None
    if builder is not None:
        try:
            kind = builder(*kind_fields)
        except TypeError:  # a field must be an SDK Ref, or the fields were not given
            kind = None
    return cls(code, error_type, message, kind)


def branch_not_found(name: str) -> bx.BranchNotFoundError:
    return api_error(bx.BranchNotFoundError, 404, "BRANCH_NOT_FOUND", f"Branch not found: {name!r}", name)


def ref_not_found(ref: str) -> bx.RefNotFoundError:
    return api_error(bx.RefNotFoundError, 404, "REF_NOT_FOUND", f"Ref not found: {ref!r}", ref)


def tag_not_found(name: str) -> bx.TagNotFoundError:
    return api_error(bx.TagNotFoundError, 404, "TAG_NOT_FOUND", f"Tag not found: {name!r}", name)


def table_not_found(fqn: str, ref: str) -> bx.TableNotFoundError:
    return bx.TableNotFoundError(404, "TABLE_NOT_FOUND", f"Table {fqn!r} not found on ref {ref!r}")


def namespace_not_found(name: str, ref: str) -> bx.NamespaceNotFoundError:
    return bx.NamespaceNotFoundError(404, "NAMESPACE_NOT_FOUND", f"Namespace {name!r} not found on ref {ref!r}")


def not_a_write_branch(ref: str, why: str) -> bx.NotAWriteBranchRefError:
    return api_error(bx.NotAWriteBranchRefError, 400, "NOT_A_WRITE_BRANCH_REF", f"Ref {ref!r} cannot be written: {why}",
                     ref)


def not_a_branch(ref: str) -> bx.NotABranchRefError:
    return api_error(bx.NotABranchRefError, 400, "NOT_A_BRANCH_REF", f"Ref {ref!r} is a tag, not a branch", ref)


def not_a_tag(ref: str) -> bx.NotATagRefError:
    return api_error(bx.NotATagRefError, 400, "NOT_A_TAG_REF", f"Ref {ref!r} is a branch, not a tag", ref)


def forbidden(cls: type[E], error_type: str, message: str) -> E:
    return api_error(cls, 403, error_type, message)


class PartitionSpecError(bx.TableCreatePlanError):
    """A `partitioned_by` expression or plan `partitions` entry is malformed or does not fit the table.

    Bauplan reports this as a failed plan (`TableCreatePlanStatusError`, which Python cannot construct):
    this is its public base, `TableCreatePlanError`.
    """

    def __new__(cls, message: str) -> PartitionSpecError:
        return cast(PartitionSpecError, super().__new__(cls))

    def __init__(self, message: str) -> None:
        super().__init__()
        self.args = (message,)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TablePlanApplyError(bx.InvalidPlanError):
    """A table creation plan cannot be applied: unresolved conflicts, malformed YAML, bad partitions.

    Bauplan raises `TableCreatePlanApplyStatusError`, which is final and needs a compiled state to build;
    this is the closest public class, `InvalidPlanError` ("a table-create plan is invalid", a
    `BauplanError`), with the same `message` and `state` attributes.
    """

    def __init__(self, message: str, state: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.state = state



class InvalidArgumentError(bx.BadRequestError, ValueError):
    """A well-typed argument the catalog refuses: an empty or malformed name, an unparsable commit filter.

    The SDK passes such arguments on (they are the right Python type) and Bauplan's catalog answers with a
    400; this is that answer, `BadRequestError`, and also a `ValueError` for callers that catch that.
    """


def bad_request(message: str) -> InvalidArgumentError:
    return api_error(InvalidArgumentError, 400, "BAD_REQUEST", message)
