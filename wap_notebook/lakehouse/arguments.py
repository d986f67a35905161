"""The argument layer of `LocalClient`: one validator per parameter type, as the SDK's conversion layer.

`bauplan.Client` converts every Python argument to a Rust type before any request (`src/python/*.rs`:
`RefArg`, `JobArg`, `JobKindListArg`, `Option<u32>`, `HashMap<String, String>`, ...). What it refuses there
is observable offline, and `LocalClient` must refuse the same calls with the same exception classes:

- a wrong type is a `TypeError` (a float where an integer is expected, `1` where a bool is, a string
  where a list is, a naive datetime where an aware one is);
- a negative value for an unsigned integer is an `OverflowError`;
- `priority` outside 1-10, `cache` other than 'on'/'off', an unknown job kind or status, an empty
  `columns` list, a filter that is not SQL and a `file_format` other than 'json'/'jsonl' are `ValueError`s.

Everything else (an empty name, a malformed ref, an unknown job id) passes the SDK and is answered by the
catalog; `LocalClient` answers it with Bauplan's API error classes. `checked` applies the validators by
parameter name, with optionality taken from the method's own signature (a parameter whose default is None
accepts None), so every method of the client goes through the same layer.

The tests in tests/conformance/test_argument_oracle.py compare this layer with the real SDK, offline.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Validator = Callable[[str, Any], Any]

# What the SDK's JobKind / JobState parsers accept (src/grpc/job.rs `FromStr`): case-insensitive, with
# '_' and '-' alike, PascalCase joined, mapped to the member names of bauplan.schema.JobKind / JobState.
_KIND_ALIASES = {
    "unknown": "UNSPECIFIED", "unspecified": "UNSPECIFIED",
    "run": "RUN", "codesnapshotrun": "RUN", "code-snapshot-run": "RUN",
    "query": "QUERY",
    "import-plan-create": "IMPORT_PLAN_CREATE", "importplancreate": "IMPORT_PLAN_CREATE",
    "import-plan-apply": "IMPORT_PLAN_APPLY", "importplanapply": "IMPORT_PLAN_APPLY",
    "table-plan-create": "TABLE_PLAN_CREATE", "tableplancreate": "TABLE_PLAN_CREATE",
    "table-plan-create-apply": "TABLE_PLAN_CREATE_APPLY", "tableplancreateapply": "TABLE_PLAN_CREATE_APPLY",
    "table-import": "TABLE_IMPORT", "tableimport": "TABLE_IMPORT", "table-data-import": "TABLE_IMPORT",
    "external-table-create": "EXTERNAL_TABLE_CREATE", "externaltablecreate": "EXTERNAL_TABLE_CREATE",
}
_STATE_ALIASES = {
    "unspecified": "UNSPECIFIED", "not-started": "NOT_STARTED", "not started": "NOT_STARTED",
    "running": "RUNNING", "complete": "COMPLETE", "abort": "ABORT", "fail": "FAIL", "other": "OTHER",
}


def _type_error(name: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"argument '{name}': expected {expected}, got {type(value).__name__} {value!r}")


# ---------------------------------------------------------------------------------------------- scalars
def text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "str", value)
    return value


def path(name: str, value: Any) -> Any:
    if not isinstance(value, (str, os.PathLike)):
        raise _type_error(name, "str or os.PathLike", value)
    return value


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _type_error(name, "bool", value)
    return value


def _integer(name: str, value: Any) -> int:
    if not isinstance(value, int):  # bool is an int, as for the SDK
        raise _type_error(name, "int", value)
    return value


def unsigned(name: str, value: Any) -> int:
    """An `Option<u32>`/`u64` of the SDK: negative values overflow."""
    number = _integer(name, value)
    if number < 0:
        raise OverflowError(f"argument '{name}': can't convert negative int {number} to unsigned")
    return number


def signed(name: str, value: Any) -> int:
    return _integer(name, value)


def _priority_range(name: str, number: int) -> int:
    if not 1 <= number <= 10:
        raise ValueError(f"{name} must be between 1 and 10, got {number}")
    return number


def priority_unsigned(name: str, value: Any) -> int:
    """Query calls take priority as an unsigned int, then check its range."""
    return _priority_range(name, unsigned(name, value))


def priority_signed(name: str, value: Any) -> int:
    """Job calls (tables, imports) check the range of a signed int."""
    return _priority_range(name, signed(name, value))


def cache(name: str, value: Any) -> str:
    mode = text(name, value)
    if mode not in ("on", "off"):
        raise ValueError(f"{name} must be 'on' or 'off', got {value!r}")
    return mode


def file_format(name: str, value: Any) -> str:
    chosen = text(name, value)
    if chosen not in ("json", "jsonl"):
        raise ValueError(f"{name} must be 'json' or 'jsonl', got {value!r}")
    return chosen


def string_map(name: str, value: Any) -> dict[str, str]:
    """`args`, `commit_properties`, `filter_by_properties`: a dict of str to str."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in value.items()):
        raise _type_error(name, "dict[str, str]", value)
    return dict(value)


def aware_datetime(name: str, value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise _type_error(name, "a timezone-aware datetime", value)
    return value


def datetime_or_text(name: str, value: Any) -> datetime | str:
    """Commit date filters: a datetime (naive is read as UTC) or an ISO 8601 string."""
    if not isinstance(value, (datetime, str)):
        raise _type_error(name, "datetime or str", value)
    return value


def sql_filter(name: str, value: Any) -> str:
    """A scan filter: the SDK parses it as SQL before sending it; unparsable text is a `ValueError`."""
    from wap_notebook.lakehouse.scan import parse_filter

    predicate = text(name, value)
    parse_filter(predicate)  # parsed only, never run: scan re-renders the validated expression tree
    return predicate


# ---------------------------------------------------------------------------------------------- objects
def ref(name: str, value: Any) -> Any:
    """A ref, branch or tag: a string, or an object with a string `name` (a Ref, Branch or Tag)."""
    if isinstance(value, str) or (not isinstance(value, (list, tuple, dict, bytes))
                                  and isinstance(getattr(value, "name", None), str)):
        return value
    raise _type_error(name, "str or a Ref (Branch, Tag, DetachedRef)", value)


def named(name: str, value: Any) -> Any:
    """A table or namespace: a string or an object with a string `name` (a Table, a Namespace)."""
    if isinstance(value, str) or isinstance(getattr(value, "name", None), str):
        return value
    raise _type_error(name, "str or an object with a name", value)


def job(name: str, value: Any) -> Any:
    if isinstance(value, str) or isinstance(getattr(value, "id", None), str):
        return value
    raise _type_error(name, "str or Job", value)


def jobs(name: str, value: Any) -> list[Any]:
    """One job id, or a list of ids or of Jobs."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) or isinstance(getattr(v, "id", None), str)
                                                for v in value):
        return list(value)
    raise _type_error(name, "str, list[str] or list[Job]", value)


def strings(name: str, value: Any) -> list[str]:
    """A list of strings; a single string is a `TypeError` (it is not a list of search patterns)."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _type_error(name, "list[str]", value)


def str_or_strings(name: str, value: Any) -> list[str]:
    return [value] if isinstance(value, str) else strings(name, value)


def columns(name: str, value: Any) -> list[str]:
    listed = strings(name, value)
    if not listed:
        raise ValueError(f"Empty column list: {name} must name at least one column (or be None for all)")
    return listed


def _members(name: str, value: Any, enum_name: str, aliases: dict[str, str]) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    names = []
    for item in items:
        if type(item).__name__ == enum_name:  # a bauplan.schema member: find its name among the members
            names.append(next(n for n in dir(type(item)) if n.isupper() and getattr(type(item), n) == item))
            continue
        if not isinstance(item, str):
            raise _type_error(name, f"str, {enum_name} or a list of either", value)
        key = item.lower().replace("_", "-")
        if key not in aliases:
            raise ValueError(f"invalid job {'kind' if enum_name == 'JobKind' else 'state'}: {item}")
        names.append(aliases[key])
    return names


def job_kinds(name: str, value: Any) -> list[str]:
    return _members(name, value, "JobKind", _KIND_ALIASES)


def job_states(name: str, value: Any) -> list[str]:
    return _members(name, value, "JobState", _STATE_ALIASES)


def plan(name: str, value: Any) -> Any:
    """A table creation plan: a plan state or its YAML text (a dict is a `TypeError`, as on the SDK)."""
    if isinstance(value, str) or isinstance(getattr(value, "plan", None), str):
        return value
    raise _type_error(name, "TableCreatePlanState or str", value)


# ---------------------------------------------------------------------------------------------- layer
_TEXT = ("search_uri", "metadata_json_uri", "query", "commit_message", "commit_body", "filter_by_message",
         "filter_by_author_username", "filter_by_author_name", "filter_by_author_email", "filter_by_parent_hash",
         "filter_by_name", "filter_by_namespace", "name", "user", "partitioned_by", "preview", "filter")
_FLAGS = ("if_not_exists", "if_exists", "overwrite", "continue_on_error", "import_duplicate_files", "best_effort",
          "detach", "include_logs", "include_snapshot", "filter_by_current_user", "replace", "transaction",
          "strict", "dry_run")
BY_PARAMETER: dict[str, Validator] = {
    **{p: text for p in _TEXT}, **{p: flag for p in _FLAGS},
    "ref": ref, "from_ref": ref, "source_ref": ref, "branch": ref, "into_branch": ref, "new_branch": ref,
    "tag": ref, "new_tag": ref, "table": named, "namespace": named,
    "priority": priority_signed, "client_timeout": signed, "cache": cache, "limit": unsigned,
    "max_rows": unsigned, "args": string_map, "commit_properties": string_map, "filter_by_properties": string_map,
    "filter_by_authored_date": datetime_or_text, "filter_by_authored_date_start_at": datetime_or_text,
    "filter_by_authored_date_end_at": datetime_or_text, "filter_by_created_after": aware_datetime,
    "filter_by_created_before": aware_datetime, "job_id": job, "job": job, "jobs": jobs,
    "filter_by_ids": jobs, "filter_by_users": str_or_strings, "filter_by_kinds": job_kinds,
    "filter_by_statuses": job_states, "search_patterns": strings, "columns": columns, "filters": sql_filter,
    "file_format": file_format, "path": path, "plan": plan, "project_dir": path,
}
# Query calls convert client_timeout and priority as unsigned ints (a negative one overflows).
_QUERY_CALLS = {"info", "query", "query_to_generator", "query_to_parquet_file", "query_to_csv_file",
                "query_to_json_file", "scan"}
_QUERY_OVERRIDES: dict[str, Validator] = {"client_timeout": unsigned, "priority": priority_unsigned}


def checked(method: F) -> F:
    """Validate (and convert) every argument of a client method with its parameter's validator."""
    signature = inspect.signature(method)
    overrides = _QUERY_OVERRIDES if method.__name__ in _QUERY_CALLS else {}
    validators = {p: overrides.get(p) or BY_PARAMETER[p] for p in signature.parameters if p != "self"}

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for param, value in bound.arguments.items():
            validator = validators.get(param)
            if validator is None:
                continue
            if value is None and signature.parameters[param].default is None:
                continue  # an optional argument left unset
            bound.arguments[param] = validator(param, value)
        return method(*bound.args, **bound.kwargs)

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def check_all(cls: type, names: list[str]) -> None:
    """Wrap the named public methods of `cls` (defined on it or on its mixins) with `checked`."""
    for name in names:
        setattr(cls, name, checked(getattr(cls, name)))
