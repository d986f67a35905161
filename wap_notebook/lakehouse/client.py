"""`LocalClient`: the embedded, Bauplan-compatible lakehouse.

Every public method of `bauplan.Client` exists with the same name, parameters, keyword-only markers
and defaults (a test enumerates the SDK's methods), returns objects with exactly the SDK classes' public
attributes and raises `bauplan.exceptions` classes. Parameters about the cloud's scheduling and
transport (`args`, `priority`, `client_timeout`, `cache`) have no local meaning: `args` must be empty or
None (anything else is refused), the others are accepted as they do not change results.

Local-only information (rows and files an import took, the commit it made, ...) is never an attribute
of a returned object: it is in the job ledger, read with `LocalClient.job_details(job_id)`.
"""

from __future__ import annotations

import getpass
import os
import re
import time
from pathlib import Path
from typing import Any

from wap_notebook.core import partials_contract, schema_contract
from wap_notebook.lakehouse import arguments, object_store, partials, schema_memo, sources, tables
from wap_notebook.lakehouse.catalog import Catalog
from wap_notebook.lakehouse.client_imports import ImportsMixin
from wap_notebook.lakehouse.client_queries import QueriesMixin
from wap_notebook.lakehouse.client_refs import RefsMixin
from wap_notebook.lakehouse.client_tables import TablesMixin
from wap_notebook.lakehouse.jobs import JobLedger
from wap_notebook.lakehouse.limits import QueryLimits
from wap_notebook.lakehouse.names import validate_ref_name
from wap_notebook.lakehouse.objects import InfoState, UserInfo

CATALOG_FILE = "catalog.sqlite"


def default_lakehouse_path() -> Path:
    configured = os.environ.get("WAP_LAKEHOUSE_PATH")
    if configured:
        return Path(configured).expanduser()
    return builtin_lakehouse_path()


def builtin_lakehouse_path() -> Path:
    """Where `LocalClient()` opens its lakehouse when nothing (no path, no `WAP_LAKEHOUSE_PATH`) says otherwise."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("wap-notebook")) / "lakehouse"


def lakehouse_at(path: str | os.PathLike[str]) -> bool:
    """Whether `path` holds an embedded lakehouse (its catalog), without creating anything there."""
    return (Path(path).expanduser() / CATALOG_FILE).is_file()


def default_username() -> str:
    try:
        raw = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        raw = "user"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw) or "user"


class LocalClient(RefsMixin, TablesMixin, ImportsMixin, QueriesMixin):
    """An embedded lakehouse in a folder: a SQLite commit graph and job ledger plus an Iceberg warehouse.

    The parameters of the methods `bauplan.Client` has are typed `Any` on purpose: like the SDK, each
    method takes what the caller gives and checks it at run time through one validator per parameter type
    (`arguments.py`), raising the SDK's `TypeError` / `ValueError` / `OverflowError` for what the SDK refuses;
    a static type narrower than that would describe a different API. Return types are exact.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, username: str | None = None,
                 email: str | None = None, query_limits: QueryLimits | None = None,
                 protect_main: bool = True, csv_empty_strings: sources.CsvEmptyStrings = "null") -> None:
        # Write-Audit-Publish: by default nothing is written to `main` but merges. Bauplan's cloud lets
        # writers write there; protect_main=False does too (Bauplan's own tour and tests need it).
        if not isinstance(protect_main, bool):
            raise TypeError(f"protect_main must be a bool, got {type(protect_main).__name__}")
        self.protect_main = protect_main
        # An unquoted empty CSV cell in a text column is null, as the same missing value in Parquet / JSON
        # Lines; "keep" reads it as the empty string (a quoted "" is the empty string either way).
        if csv_empty_strings not in sources.CSV_EMPTY_STRINGS:
            raise ValueError(f"csv_empty_strings must be one of {sources.CSV_EMPTY_STRINGS}, "
                             f"got {csv_empty_strings!r}")
        self.csv_empty_strings: sources.CsvEmptyStrings = csv_empty_strings
        # Memory, threads and time of every query (lakehouse/limits.py: defaults and WAP_QUERY_* variables).
        self.query_limits = query_limits if query_limits is not None else QueryLimits.from_env()
        if not isinstance(self.query_limits, QueryLimits):
            raise TypeError(f"query_limits must be a QueryLimits, got {type(query_limits).__name__}")
        self.path = Path(path).expanduser().resolve() if path is not None else default_lakehouse_path().resolve()
        self.username = validate_ref_name(username or default_username(), "user")
        # Commits record an author email as Bauplan's do; locally there is no account to take it from.
        self.email = email or os.environ.get("WAP_USER_EMAIL") or f"{self.username}@localhost"
        self.warehouse = self.path / "warehouse"
        self.warehouse.mkdir(parents=True, exist_ok=True)
        self._catalog = Catalog(self.path / CATALOG_FILE, creator=self.username)
        self._jobs = JobLedger(self._catalog)

    def __repr__(self) -> str:
        return f"LocalClient(path={str(self.path)!r}, username={self.username!r})"

    # ------------------------------------------------------------------ identity
    def info(self, /, *, client_timeout: Any = None) -> InfoState:
        from wap_notebook.core.version import __version__

        return InfoState(user=UserInfo(username=self.username), client_version=f"wap-notebook {__version__}")

    # ------------------------------------------------------------------ pipelines
    def run(self, /, project_dir: Any, *, ref: Any = None, namespace: Any = None, parameters: Any = None,
            cache: Any = True, transaction: Any = True, dry_run: Any = None, strict: Any = True, preview: Any = None,
            args: Any = None, priority: Any = None, client_timeout: Any = None, detach: Any = False) -> Any:
        raise NotImplementedError(
            "Bauplan pipelines (`run`) execute on Bauplan's cloud: the embedded lakehouse has no pipeline "
            "runtime. Locally, load data with create_table + import_data and transform it with query.")

    # ------------------------------------------------------------------ maintenance
    def gc(self, *, older_than: float = 600.0, dry_run: bool = False) -> list[str]:
        """Delete warehouse files that no commit reachable from any branch or tag needs.

        Returns the removed (or, with `dry_run`, removable) paths. Files of writes still in flight (an
        import or a table creation not yet committed, in any process) are never touched; files younger
        than `older_than` seconds are kept too, for writers this machine cannot see (a shared folder).
        The catalog's write lock is held throughout, so no commit can land between deciding and deleting.
        """
        cutoff = time.time() - older_than
        with self._catalog.exclusive() as con:
            # Most commits share table versions: load each distinct metadata file once, and each
            # manifest list / manifest once across all of them (they are immutable).
            locations: set[str] = set()
            for commit_hash in self._catalog.all_reachable_commits(con):
                locations.update(self._catalog.commit(commit_hash, con).state.tables.values())
            reachable: set[str] = set()
            seen: set[str] = set()
            # Metadata registered from S3 (external tables) names no warehouse file: it is not read at all.
            for location in sorted(filter(object_store.is_local_uri, locations)):
                reachable.update(tables.reachable_files(location, seen))
            in_flight = tuple(loc.removeprefix("file://").rstrip("/") + "/"
                              for loc in self._catalog.live_write_locations(con))
            removable = []
            for path in self.warehouse.rglob("*"):
                name = str(path)
                if (path.is_file() and name not in reachable and not name.startswith(in_flight)
                        and path.stat().st_mtime < cutoff):
                    removable.append(name)
            if not dry_run:
                for name in removable:
                    Path(name).unlink(missing_ok=True)
        return sorted(removable)


# Every method of `bauplan.Client` (but `run`, refused whole) takes its arguments through the SDK's
# conversion rules: one validator per parameter type (lakehouse/arguments.py).
LOCAL_ONLY_METHODS = frozenset({"gc", "job_details", "run"})
arguments.check_all(LocalClient, [n for n in dir(LocalClient)
                                  if not n.startswith("_") and n not in LOCAL_ONLY_METHODS])

# The engine asks for check partials through the backend-neutral contract; this client answers it.
partials_contract.register_reader(LocalClient, partials.read)


def _source_columns(client: LocalClient, search_uri: str) -> list[tuple[str, str]] | None:
    """The columns `create_table` would infer from `search_uri` (footers, first blocks), or None when the
    files cannot be read: the import reports that itself, in its own words."""
    try:
        files, schema = client._infer_schema(search_uri)
    except Exception:  # noqa: BLE001 - see the docstring: a source problem is the import's to report
        return None
    schema_memo.remember(search_uri, files, schema)  # for the create_table that follows: read once
    return [(field.name, str(field.type)) for field in schema]


# The engine asks for a new table's columns before any branch exists; this client answers from its files.
schema_contract.register_reader(LocalClient, _source_columns)
