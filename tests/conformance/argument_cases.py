"""Generated arguments for every public method of `bauplan.Client`, and the outcome class of one call.

The real client is run offline (a profile pointing at a closed loopback port): whatever it raises other
than a transport error is its own client-side check. `LocalClient` gets the same calls against a small
lakehouse; its outcome counts as "passed the checks" when it returns or raises one of Bauplan's API
errors (what the cloud would answer once the request reached it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bauplan import exceptions as bx

HASH = "a" * 64
AWARE = datetime(2024, 1, 1, tzinfo=timezone.utc)
NAIVE = datetime(2024, 1, 1)
PASSED = "passed"

# Values per parameter type: the first is valid and is used when another parameter varies.
REF = ["main", f"main@{HASH}", "v1", "v1^1", f"@{HASH}", "main~1", "", None, 123, ["main"]]
BRANCH = ["tester.b", "main", f"main@{HASH}", "", None, 123, ["main"]]
NEW_BRANCH = ["tester.c", "", None, 123]
TAG = ["v1", "", None, 123, f"v1@{HASH}"]
NEW_TAG = ["v2", "", None, 123]
TABLE = ["t", "ns.t", "", None, 123, "a.b.c"]
NAMESPACE = ["ns", "", None, 123]
OPT_NAMESPACE = [None, "ns", "", 123]
PRIORITY = [None, 1, 10, 0, 11, -1, 5.0, "5"]
CACHE = [None, "on", "off", "maybe", True, 1]
TIMEOUT = [None, 3, 0, -1, 3.5, "3"]
COUNT = [None, 0, 5, -1, 5.5, "5", True]
ARGS = [None, {}, {"a": "b"}, {"a": 1}, "a=b", ["a"]]
PREVIEW = [None, "on", "off", "head", 1, True]
PROPERTIES = [None, {"k": "v"}, {"k": 1}, {1: "v"}, "k=v", []]
DATETIME = [None, AWARE, NAIVE, "2024-01-01T00:00:00Z", 1704067200]
TEXT = [None, "x", "", 123]
BOOL = [False, True, None, 1, "yes"]
JOB_ID = ["j1", "", None, 123]
JOB_IDS = [None, ["j1"], [], "j1", [1], ["j1", "j2"]]
JOBS = [["j1"], [], "j1", [1], None]
USERS = [None, ["tester"], [], "tester", [1]]
KINDS = [None, ["QUERY"], ["query"], ["table-import"], ["TableImport"], ["bogus"], "QUERY", "query", [1]]
STATUSES = [None, ["COMPLETE"], ["complete"], ["not-started"], ["bogus"], "FAIL", [1]]
SEARCH_URI = ["SRC", "", None, 123]
PATTERNS = [["SRC"], [], "SRC", [1], None]
QUERY = ["SELECT 1", "", None, 123]
PATH = ["OUT", None, 123]
FILE_FORMAT = ["json", "jsonl", "ndjson", "bogus", None, 1]
COLUMNS = [None, ["a"], [], "a", [1]]
FILTERS = [None, "a > 1", "a >", "a = 'x' OR", "1", 123]
PARTITIONED_BY = [None, "a", "day(a)", "", 123, ["a"]]
REPLACE = [None, True, False, 1, "yes"]
PLAN = ["PLAN", {"a": 1}, None, 123]
METADATA = ["META", "", None, 123]
FILTER = [None, "author == 'x'", "", 123]

BY_NAME: dict[str, list[Any]] = {
    "ref": REF, "from_ref": REF, "source_ref": REF,
    "branch": BRANCH, "into_branch": BRANCH, "new_branch": NEW_BRANCH,
    "tag": TAG, "new_tag": NEW_TAG,
    "table": TABLE, "namespace": NAMESPACE,
    "priority": PRIORITY, "cache": CACHE, "client_timeout": TIMEOUT,
    "limit": COUNT, "max_rows": COUNT,
    "args": ARGS, "preview": PREVIEW,
    "commit_properties": PROPERTIES, "filter_by_properties": PROPERTIES,
    "filter_by_authored_date": DATETIME, "filter_by_authored_date_start_at": DATETIME,
    "filter_by_authored_date_end_at": DATETIME, "filter_by_created_after": DATETIME,
    "filter_by_created_before": DATETIME,
    "job_id": JOB_ID, "job": JOB_ID, "jobs": JOBS, "filter_by_ids": JOB_IDS,
    "filter_by_users": USERS, "filter_by_kinds": KINDS, "filter_by_statuses": STATUSES,
    "search_uri": SEARCH_URI, "search_patterns": PATTERNS, "query": QUERY, "path": PATH,
    "file_format": FILE_FORMAT, "columns": COLUMNS, "filters": FILTERS, "partitioned_by": PARTITIONED_BY,
    "replace": REPLACE, "plan": PLAN, "metadata_json_uri": METADATA, "filter": FILTER,
}
TEXT_PARAMS = {"commit_message", "commit_body", "filter_by_message", "filter_by_author_username",
               "filter_by_author_name", "filter_by_author_email", "filter_by_parent_hash", "filter_by_name",
               "filter_by_namespace", "name", "user"}
BOOL_PARAMS = {"if_not_exists", "if_exists", "overwrite", "continue_on_error", "import_duplicate_files",
               "best_effort", "detach", "include_logs", "include_snapshot", "filter_by_current_user"}
# Pipelines (`run`) have no local runtime: LocalClient refuses them outright (README, Backends).
SKIPPED_METHODS = {"run"}


def values_for(method: str, param: str) -> list[Any]:
    if param == "namespace":
        required = method in {"create_namespace", "delete_namespace", "get_namespace", "has_namespace",
                              "create_external_table_from_metadata"}
        return NAMESPACE if required else OPT_NAMESPACE
    if param in BY_NAME:
        return BY_NAME[param]
    if param in TEXT_PARAMS:
        return TEXT
    if param in BOOL_PARAMS:
        return BOOL
    raise KeyError(f"no generated values for {method}({param}=...)")


@dataclass(frozen=True)
class Case:
    method: str
    param: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.method}({self.param}={self.value!r})"


def _params(method: Callable[..., Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(method).parameters.values() if p.name != "self"]


def cases(client_class: type) -> Iterator[Case]:
    for name in sorted(n for n in dir(client_class) if not n.startswith("_")):
        if name in SKIPPED_METHODS or not callable(getattr(client_class, name)):
            continue
        for param in _params(getattr(client_class, name)):
            for value in values_for(name, param.name):
                yield Case(name, param.name, value)


def call(client: Any, case: Case, substitute: Callable[[Any], Any], *, offline_sdk: bool = False) -> str:
    """Call `case.method` with baseline values and `case.param` set; return the outcome class."""
    method = getattr(client, case.method)
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for param in _params(method):
        if param.name == case.param:
            value = case.value
        elif param.default is inspect.Parameter.empty:
            value = values_for(case.method, param.name)[0]
        else:
            continue
        value = substitute(value)
        if param.kind is inspect.Parameter.POSITIONAL_ONLY or (
                param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and param.default is inspect.Parameter.empty):
            positional.append(value)
        else:
            keywords[param.name] = value
    try:
        result = method(*positional, **keywords)
        if inspect.isgenerator(result) or hasattr(result, "__next__"):
            for _ in result:
                break
    except bx.BauplanError as exc:
        # Offline, the real client's only Bauplan error after its checks is the failed connection.
        if offline_sdk and "transport error" not in str(exc) and "connect error" not in str(exc):
            return type(exc).__name__
        return PASSED
    except Exception as exc:  # noqa: BLE001 - the class is the outcome
        return type(exc).__name__
    return PASSED
