"""`ImportsMixin`: `import_data` (the concurrent file writer) and the job ledger methods of `LocalClient`."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import closing
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from bauplan import exceptions as bx

from wap_notebook.core.progress import ImportProgress, report
from wap_notebook.lakehouse import errors, partials, sources, tables
from wap_notebook.lakehouse import jobs as ledger
from wap_notebook.lakehouse.catalog import MAIN, CatalogState, CommitRecord
from wap_notebook.lakehouse.client_core import JOB_ID_PROPERTY, ClientCore, _describe_error, _refuse_args
from wap_notebook.lakehouse.jobs import JobDetails
from wap_notebook.lakehouse.objects import Job, JobContext, JobLogEvent, TableDataImportContext, TableDataImportState
from wap_notebook.lakehouse.partitioned_writes import PartitionedFileWriter

# Named after the module these methods were moved from, so log configuration keeps applying to them.
logger = logging.getLogger("wap_notebook.lakehouse.client")


class ImportsMixin(ClientCore):
    """`import_data` and its import job, and the job ledger (`job_details`, `get_job*`, `cancel_job`)."""

    # ------------------------------------------------------------------ local-only information
    def job_details(self, job_id: str) -> JobDetails:
        """Local-only facts about a job (rows/files imported, failed files, commit made, `extra`).

        This is the one place for what Bauplan's state objects do not carry: code that must also run on
        Bauplan's cloud should not depend on it.
        """
        return self._jobs.details(ledger.job_id_of(job_id))

    def import_data(self, /, table: Any, search_uri: Any, *, branch: Any = None, namespace: Any = None,
                    continue_on_error: Any = False, import_duplicate_files: Any = False, best_effort: Any = False,
                    preview: Any = None, args: Any = None, priority: Any = None, client_timeout: Any = None,
                    detach: Any = False) -> TableDataImportState:
        _refuse_args(args)
        if preview not in (None, "off", "false"):
            # Bauplan's preview modes sample the import on its cloud; here the whole import runs. The mode is
            # kept in the state's context, as on Bauplan, and said in the log rather than dropped silently.
            logger.info("preview=%r: the embedded lakehouse imports every row (no preview mode)", preview)
        ns, name, key = self._table_key(table, namespace)
        target = self._writable_branch(branch or MAIN)
        base_location = self._resolve(target).commit.state.tables.get(key)
        if base_location is None:
            raise errors.table_not_found(key, target)
        if self._describe(ns, name, base_location).is_external():
            # Bauplan's job fails with this message (python/tests/test_import.py,
            # test_create_external_table_from_parquet).
            raise bx.BauplanJobError(f"Cannot import files to read-only table {key!r} (an external table)")
        ctx = TableDataImportContext(branch_name=target, namespace=ns, table_name=name, search_string=search_uri,
                                     continue_on_error=continue_on_error, import_duplicate_files=import_duplicate_files,
                                     best_effort=best_effort, preview=str(preview or "off"))
        job_id = self._jobs.start("TABLE_IMPORT", self.username, ref=target,
                                  status="NOT_STARTED" if detach else "RUNNING",
                                  message=f"import {search_uri} into {key} on {target}")
        if detach:
            # A non-daemon thread: like a cloud job, it completes even if the caller stops waiting.
            threading.Thread(target=self._import_job, args=(job_id, ctx, key, base_location, search_uri),
                             name=f"wap-import-{job_id[:8]}").start()
            # As the SDK: a detached job's state has no status yet (read it with get_job).
            return TableDataImportState(job_id=job_id, job_status=None, error=None, ctx=ctx)
        self._import_job(job_id, ctx, key, base_location, search_uri)
        status, error = self._jobs.status(job_id)
        return TableDataImportState(job_id=job_id, job_status=status, error=error, ctx=ctx)

    def _import_job(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                    search_uri: str) -> None:
        """Run one import job to its end; its outcome goes to the ledger (a failed import does not raise)."""
        self._jobs.mark_running(job_id)
        try:
            details = self._run_import(job_id, ctx, key, base_location, search_uri)
        except ledger.JobCancelled as exc:
            self._jobs.finish(job_id, error=str(exc), aborted=True)
        except Exception as exc:  # noqa: BLE001 - a failed job is reported in the state, as Bauplan does
            logger.info("import into %s failed: %s", key, exc)
            self._jobs.finish(job_id, error=_describe_error(exc))
        else:
            self._jobs.finish(job_id, tx_ref=ctx.branch_name, details=details)

    def _run_import(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                    search_uri: str) -> dict[str, Any]:
        files = sources.resolve(search_uri)
        skipped: list[str] = []
        if not ctx.import_duplicate_files:
            # As Bauplan ("already imported files will not be re-added"; its CLI import test imports the same
            # files twice): files the table already has are skipped, and an import of nothing new succeeds
            # without a commit. The skipped files are in the log and in job_details.
            already = tables.imported_source_files(base_location)
            skipped = [f.uri for f in files if f.uri in already]
            files = [f for f in files if f.uri not in already]
            for uri in skipped:
                self._jobs.log(job_id, f"file {uri} skipped: already imported into {key}")
            if not files:
                return {"rows_imported": 0, "files_imported": [], "files_failed": {}, "files_skipped": skipped,
                        "commit_hash": None}
        target_schema = tables.arrow_schema(base_location)
        table_location = tables.load_table_at(base_location).location()
        with self._catalog.pending_write(table_location):
            if tables.is_partitioned(base_location):
                details = self._write_partitioned(job_id, ctx, key, base_location, search_uri, files, target_schema)
            else:
                details = self._write_and_commit(job_id, ctx, key, base_location, search_uri, files, target_schema,
                                                 table_location)
        return {**details, "files_skipped": skipped}

    def _write_partitioned(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                           search_uri: str, files: list[sources.SourceFile],
                           target_schema: pa.Schema) -> dict[str, Any]:
        """Import into a partitioned table, streamed a bounded chunk at a time (`partitioned_writes`), all the
        import's data files in one snapshot. Check partials are not computed here: validation of partitioned
        tables runs in SQL, with the same verdicts."""
        imported: list[str] = []
        failed: dict[str, str] = {}
        rows = 0
        writer = PartitionedFileWriter(base_location, target_schema)
        try:
            for index, source in enumerate(files):
                self._jobs.check_cancel(job_id)
                try:
                    source_rows = writer.write_source(sources.iter_batches(
                        source, target_schema, best_effort=ctx.best_effort, csv_empty_strings=self.csv_empty_strings))
                except Exception as exc:
                    if not ctx.continue_on_error:
                        raise
                    failed[source.uri] = _describe_error(exc)
                    self._jobs.log(job_id, f"file {source.uri} failed: {failed[source.uri]}", "WARN", "STDERR")
                    continue
                rows += source_rows
                imported.append(source.uri)
                self._jobs.log(job_id, f"imported {source.uri}: {source_rows} rows")
                report(ImportProgress(key, index + 1, len(files), rows, 0, source.uri))
            if not imported:
                raise errors.SourceError(f"No file could be imported into {key}: {failed}", uri=search_uri)
            self._jobs.check_cancel(job_id)
            new_location = tables.commit_files(base_location, tuple(key.split(".")),  # type: ignore[arg-type]
                                               writer.data_files, imported)
            commit = self._commit_import(ctx, key, base_location, new_location, search_uri, imported, job_id)
        except BaseException:
            writer.discard()
            raise
        return {"rows_imported": rows, "files_imported": imported, "files_failed": failed,
                "commit_hash": commit.hash}

    def _commit_import(self, ctx: TableDataImportContext, key: str, base_location: str, new_location: str,
                       search_uri: str, imported: list[str], job_id: str) -> CommitRecord:
        def change(head: CommitRecord, _con: Any) -> CatalogState:
            if head.state.tables.get(key) != base_location:
                raise bx.BranchHeadChangedError(
                    409, "BRANCH_HEAD_CHANGED",
                    f"Table {key!r} changed on {ctx.branch_name!r} during the import; retry it")
            return dc_replace(head.state, tables={**head.state.tables, key: new_location})

        files_word = "file" if len(imported) == 1 else "files"
        return self._commit(ctx.branch_name, change,
                            message=f"Import {len(imported)} {files_word} from {search_uri} into {key}",
                            properties={JOB_ID_PROPERTY: job_id})

    def _write_and_commit(self, job_id: str, ctx: TableDataImportContext, key: str, base_location: str,
                          search_uri: str, files: list[sources.SourceFile], target_schema: pa.Schema,
                          table_location: str) -> dict[str, Any]:
        written: list[str] = []
        imported: list[str] = []
        failed: dict[str, str] = {}
        rows = 0
        bytes_done = 0
        # Check partials, when the caller asked for them (see partials_contract.requested): computed on a worker
        # thread from the batches being written, stored in this import's snapshot.
        checks = partials.start(key, target_schema, job_id)
        bytes_total = sum(f.size for f in files)
        report(ImportProgress(key, 0, len(files), 0, 0, bytes_total=bytes_total))

        def progress(rows_in_flight: int, current: str) -> None:
            report(ImportProgress(key, len(imported) + len(failed), len(files), rows + rows_in_flight, bytes_done,
                                  current, bytes_total))

        try:
            # Closed before the cleanup below, so files still in flight are waited for and listed in `written`.
            with closing(_write_files(files, table_location, target_schema, (ctx.best_effort, self.csv_empty_strings),
                                      checks, written,
                                      progress)) as results:
                for index, source, result in results:
                    self._jobs.check_cancel(job_id)
                    if result.error is not None:
                        if checks is not None and result.partials is not None:
                            checks.drop(result.partials)
                        if not ctx.continue_on_error:
                            raise result.error
                        failed[source.uri] = _describe_error(result.error)
                        self._jobs.log(job_id, f"file {source.uri} failed: {failed[source.uri]}", "WARN", "STDERR")
                        continue
                    if checks is not None and result.partials is not None:
                        checks.keep(result.partials)
                    rows += result.rows
                    bytes_done += source.size
                    imported.append(source.uri)
                    self._jobs.log(job_id, f"imported {source.uri}: {result.rows} rows")
                    report(ImportProgress(key, index + 1, len(files), rows, bytes_done, source.uri, bytes_total))
            if not imported:
                raise errors.SourceError(f"No file could be imported into {key}: {failed}", uri=search_uri)
            self._jobs.check_cancel(job_id)
            identifier = tuple(key.split("."))
            extra = checks.snapshot_properties(rows) if checks is not None else {}
            new_location = tables.commit_files(base_location, identifier, written, imported,  # type: ignore[arg-type]
                                               extra_properties=extra)
            commit = self._commit_import(ctx, key, base_location, new_location, search_uri, imported, job_id)
        except BaseException:
            for path in written:
                Path(path).unlink(missing_ok=True)
            raise
        finally:
            if checks is not None:
                checks.close()
        # With continue_on_error a partial import is a success; the files that failed are in the job details.
        return {"rows_imported": rows, "files_imported": imported, "files_failed": failed,
                "commit_hash": commit.hash}

    # ------------------------------------------------------------------ jobs
    def get_job(self, job_id: Any, /) -> Job:
        return self._jobs.get(ledger.job_id_of(job_id))

    def get_jobs(self, /, *, filter_by_current_user: Any = True, filter_by_ids: Any = None, filter_by_users: Any = None,
                 filter_by_kinds: Any = None, filter_by_statuses: Any = None, filter_by_created_after: Any = None,
                 filter_by_created_before: Any = None, limit: Any = None) -> Iterator[Job]:
        # As the SDK (src/python/job.rs): named users win over filter_by_current_user.
        users = ledger.normalize_users(filter_by_users)
        return self._jobs.list(users=users or ([self.username] if filter_by_current_user else None),
                               ids=ledger.normalize_ids(filter_by_ids), kinds=ledger.normalize_kinds(filter_by_kinds),
                               statuses=ledger.normalize_statuses(filter_by_statuses),
                               after=ledger.as_epoch(filter_by_created_after),
                               before=ledger.as_epoch(filter_by_created_before), limit=limit)

    def get_job_logs(self, /, job: Any) -> list[JobLogEvent]:
        return self._jobs.user_logs(ledger.job_id_of(job))

    def get_job_context(self, /, job: Any, *, include_logs: Any = False, include_snapshot: Any = False) -> JobContext:
        # Jobs here run no user code, so there is no code snapshot: `snapshot_dict` is empty either way.
        return self._jobs.context(ledger.job_id_of(job), include_logs=include_logs)

    def get_job_contexts(self, /, jobs: Any, *, include_logs: Any = False,
                         include_snapshot: Any = False) -> list[JobContext]:
        return [self.get_job_context(job, include_logs=include_logs, include_snapshot=include_snapshot)
                for job in ledger.normalize_ids(jobs)]

    def cancel_job(self, job_id: Any, /) -> None:
        self._jobs.cancel(ledger.job_id_of(job_id))


# Source files read and written at once. Parquet encoding runs on the calling thread and reading a file
# waits on the network: two files in flight keep both cores busy without holding more than two row groups.
_FILE_WORKERS = 2
_Reading = tuple[bool, sources.CsvEmptyStrings]  # (best_effort, csv_empty_strings): how a source file is read


@dataclass
class _FileResult:
    paths: list[str]
    rows: int
    error: Exception | None
    partials: partials.FilePartials | None


class _RowCounter:
    def __init__(self) -> None:
        self.rows = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.rows += n


def _write_file(source: sources.SourceFile, table_location: str, schema: pa.Schema, reading: _Reading,
                checks: partials.ImportPartials | None, counter: _RowCounter) -> _FileResult:
    """One source file into data files of its own; on failure nothing of it stays on disk."""
    writer = tables.DataFileWriter(table_location, schema)
    file_partials = checks.start_file() if checks is not None else None
    try:
        best_effort, csv_empty_strings = reading
        for batch in sources.iter_batches(source, schema, best_effort=best_effort,
                                          csv_empty_strings=csv_empty_strings):
            writer.write(batch)
            if checks is not None and file_partials is not None:
                checks.add(file_partials, batch)
            counter.add(batch.num_rows)
        return _FileResult(writer.close(), writer.rows, None, file_partials)
    except Exception as exc:  # noqa: BLE001 - handed to the import loop, which decides (continue_on_error)
        writer.abort()
        return _FileResult([], 0, exc, file_partials)


def _write_files(files: list[sources.SourceFile], table_location: str, schema: pa.Schema, reading: _Reading,
                 checks: partials.ImportPartials | None, written: list[str],
                 progress: Callable[[int, str], None]
                 ) -> Generator[tuple[int, sources.SourceFile, _FileResult], None, None]:
    """Write `files` on `_FILE_WORKERS` threads; yield their results in file order.

    Successful files' data paths are appended to `written` as soon as they are known, including those
    still in flight when the caller stops early (an error), so the caller can delete every one of them.
    """
    counter = _RowCounter()
    pending: deque[tuple[int, sources.SourceFile, Future[_FileResult]]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, min(_FILE_WORKERS, len(files))),
                            thread_name_prefix="wap-import") as pool:
        queue = iter(enumerate(files))

        def submit() -> None:
            for index, source in queue:
                pending.append((index, source, pool.submit(_write_file, source, table_location, schema,
                                                           reading, checks, counter)))
                return

        for _ in range(_FILE_WORKERS):
            submit()
        try:
            while pending:
                index, source, future = pending[0]
                while True:
                    try:
                        result = future.result(timeout=0.25)
                        break
                    except FutureTimeout:
                        progress(counter.rows, source.uri)  # reported from the caller's thread
                pending.popleft()
                counter.add(-result.rows)
                written.extend(result.paths)
                submit()
                yield index, source, result
        finally:
            for _, _, future in pending:  # the caller stopped early: wait for files in flight, to delete them
                if not future.cancel():
                    written.extend(future.result().paths)
