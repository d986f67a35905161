"""The measures behind BENCHMARKS.md's rows. Each returns `Row`s: ours vs a baseline measured in the same run.

Repetitions of ours and of the baseline are interleaved (ours first on even repetitions, baseline first on
odd ones) so that load from other processes on the machine hits both sides alike.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.fs as pafs
import pyarrow.json as pjson
import pyarrow.parquet as pq

from benchmarks.config import Variant, human
from benchmarks.data import AMOUNT_RANGE, BUCKET, CODE_REGEX, STATUSES, Dataset
from benchmarks.load import RowLoads
from benchmarks.stats import Row, Sample, timed

NAMESPACE = "bauplan"
TABLE = "events"
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    variant: Variant
    dataset: Dataset
    work: Path  # scratch folder for lakehouses and baseline outputs; deleted by the run
    endpoint: str
    log: Callable[[str], None] = print
    rows: list[Row] = field(default_factory=list)
    # (format, N) -> (client, branch holding the last repetition's import), reused by rows 3, 4 and 6
    kept: dict[tuple[str, int], tuple[Any, str]] = field(default_factory=dict)
    imports: dict[tuple[str, int], tuple[Sample, Sample]] = field(default_factory=dict)
    validations: dict[int, Sample] = field(default_factory=dict)
    loads: RowLoads = field(default_factory=RowLoads)

    def add(self, row: Row, same_figures_as: tuple[Row, ...] = ()) -> None:
        """Keep a measured row, stamped with the load of the stretch that measured it."""
        self.loads.stamp(row, same_figures_as)
        self.rows.append(row)

    def row(self, number: int, n: str) -> tuple[Row, ...]:
        """The rows already measured under `number` at size `n` (whose figures a later row reuses)."""
        return tuple(r for r in self.rows if r.row == number and r.n == n)

    def s3(self) -> pafs.S3FileSystem:
        host = self.endpoint.split("://", 1)[1]
        return pafs.S3FileSystem(endpoint_override=host, scheme="http", region="us-east-1",
                                 access_key="testing", secret_key="testing", session_token="testing")

    def reps(self, n: int) -> int:
        return self.variant.reps_large if n >= self.variant.sizes[-1] else self.variant.reps

    def scratch(self, label: str) -> Path:
        path = self.work / f"{label}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def client(self, label: str):
        from wap_notebook.lakehouse.client import LocalClient

        return LocalClient(self.scratch(label), username="bench")


def interleaved(reps: int, ours: Callable[[int], float], baseline: Callable[[int], float]) -> tuple[Sample, Sample]:
    a, b = Sample(), Sample()
    for rep in range(reps):
        if rep % 2 == 0:
            a.add(ours(rep))
            b.add(baseline(rep))
        else:
            b.add(baseline(rep))
            a.add(ours(rep))
    return a, b


def ratio_row(row: int, measure: str, n: str, ours: Sample, base: Sample, baseline_name: str, target: str,
              limit: float, note: str = "", **extra: Any) -> Row:
    ratio = ours.median / base.median
    return Row(row, measure, n, ours, base, baseline_name, target, ratio, ours.min / base.min, ratio <= limit,
               note, extra)


def make_checks() -> list[Any]:
    from wap_notebook import checks as ck

    return [
        ck.not_null("id"), ck.not_null("status"), ck.unique("id"), ck.between("amount", *AMOUNT_RANGE),
        ck.accepted_values("status", STATUSES), ck.matches("code", CODE_REGEX), ck.row_count(min=1),
        ck.schema_compatible(),
    ]


def warm_up(ctx: Context) -> None:
    """One small untimed import, validation and merge: lazy imports and first-use caches are not billed."""
    from wap_notebook.ingestion import Ingestion

    client = ctx.client("warmup")
    uri = str(ctx.dataset.small_file(1_000))
    ing = Ingestion(TABLE, uri, checks=make_checks(), on_success="merge", client=client).run()
    if ing.phase != "merged":
        raise RuntimeError(f"warm-up ingestion ended in {ing.phase}: {ing.error}")


# ------------------------------------------------------------------------------------------ rows 1, 2, 9
def _baseline_import(ctx: Context, fmt: str, n: int, schema: pa.Schema | None) -> Callable[[int], float]:
    s3 = ctx.s3()
    paths = [f"{BUCKET}/{key}" for key in ctx.dataset.keys_for(fmt, n)]

    def run(rep: int) -> float:
        out = ctx.scratch(f"base-{fmt}-{human(n)}")

        def go() -> int:
            rows = 0
            for index, path in enumerate(paths):
                if fmt == "parquet":
                    with s3.open_input_file(path) as handle:
                        table = pq.read_table(handle)
                elif fmt == "csv":
                    types = {f.name: f.type for f in schema} if schema is not None else None
                    with s3.open_input_stream(path) as stream:
                        table = pcsv.read_csv(stream, convert_options=pcsv.ConvertOptions(column_types=types))
                else:
                    parse = pjson.ParseOptions(explicit_schema=schema) if schema is not None else None
                    with s3.open_input_stream(path) as stream:
                        table = pjson.read_json(stream, parse_options=parse)
                pq.write_table(table, out / f"part-{index}.parquet")
                rows += table.num_rows
                del table
            return rows

        seconds, rows = timed(go)
        shutil.rmtree(out)
        if rows != n:
            raise RuntimeError(f"baseline read {rows} rows of {fmt}, expected {n}")
        return seconds

    return run


def measure_import(ctx: Context, fmt: str, n: int) -> tuple[Sample, Sample]:
    client = ctx.client(f"import-{fmt}-{human(n)}")
    uri = ctx.dataset.glob(fmt, n)
    last_branch: list[str] = []
    schema: list[pa.Schema] = []

    def ours(rep: int) -> float:
        branch = f"bench.import_{fmt}_{rep}"
        client.create_branch(branch, "main")
        client.create_table(TABLE, uri, branch=branch, namespace=NAMESPACE)
        seconds, state = timed(lambda: client.import_data(TABLE, uri, branch=branch, namespace=NAMESPACE))
        rows = client.job_details(state.job_id).rows_imported
        if state.job_status != "SUCCESS" or rows != n:
            raise RuntimeError(f"import of {uri} failed: {state.job_status} {state.error} rows={rows}")
        if last_branch:  # keep only the last repetition's branch (its files stay until the scratch is deleted)
            client.delete_branch(last_branch.pop())
        last_branch.append(branch)
        if not schema:
            from wap_notebook.lakehouse import tables

            schema.append(tables.arrow_schema(client.get_table(TABLE, branch, namespace=NAMESPACE).metadata_location))
        return seconds

    baseline = None

    def base(rep: int) -> float:
        nonlocal baseline
        if baseline is None:
            baseline = _baseline_import(ctx, fmt, n, schema[0] if schema else None)
        return baseline(rep)

    # Ours goes first on repetition 0, so the baseline reads text with the schema the table got.
    a, b = interleaved(ctx.reps(n), ours, base)
    ctx.kept[(fmt, n)] = (client, last_branch[0])
    ctx.imports[(fmt, n)] = (a, b)
    return a, b


def import_speed_and_scaling(ctx: Context) -> None:
    v = ctx.variant
    for n in v.sizes:
        ctx.log(f"  row 1: parquet import of {human(n)} rows")
        a, b = measure_import(ctx, "parquet", n)
        ctx.add(ratio_row(1, "import parquet S3 -> branch", human(n), a, b,
                                  "pyarrow read S3 + write parquet", "<= 1.3x", 1.3))
    for fmt in ("csv", "jsonl"):
        for n in v.text_sizes:
            ctx.log(f"  row 2: {fmt} import of {human(n)} rows")
            a, b = measure_import(ctx, fmt, n)
            ctx.add(ratio_row(2, f"import {fmt} S3 -> branch", human(n), a, b,
                                      f"pyarrow {fmt} read + write parquet", "<= 1.3x", 1.3))
    base_n = v.sizes[0]
    base_sample = Sample([t / base_n for t in ctx.imports[("parquet", base_n)][0].values], unit="s/row")
    for n in v.sizes:
        per_row = Sample([t / n for t in ctx.imports[("parquet", n)][0].values], unit="s/row")
        ctx.add(ratio_row(9, "import time per row (parquet)", human(n), per_row, base_sample,
                          f"per row at {human(base_n)}", "<= 1.2x", 1.2),
                same_figures_as=ctx.row(1, human(n)) + ctx.row(1, human(base_n)))


# ------------------------------------------------------------------------------------------ rows 3, 4
def duckdb_checks_query(files: list[str]) -> str:
    paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    accepted = ", ".join(f"'{s}'" for s in STATUSES)
    lo, hi = AMOUNT_RANGE
    return f"""
        SELECT COUNT(*) AS n_rows,
               COUNT(*) - COUNT(id) AS id_nulls,
               COUNT(*) - COUNT(status) AS status_nulls,
               COUNT(id) - COUNT(DISTINCT id) AS id_duplicates,
               COUNT(*) FILTER (WHERE amount < {lo} OR amount > {hi}) AS amount_out_of_range,
               MIN(amount) AS amount_min, MAX(amount) AS amount_max,
               COUNT(*) FILTER (WHERE status NOT IN ({accepted})) AS status_not_accepted,
               COUNT(*) FILTER (WHERE NOT regexp_matches(code, '{CODE_REGEX}')) AS code_not_matching
        FROM read_parquet([{paths}])"""


def _duckdb_baseline(files: list[str], n: int) -> Callable[[int], float]:
    import duckdb

    query = duckdb_checks_query(files)
    expected_schema = pq.read_schema(files[0])

    def run(rep: int) -> float:
        def go() -> tuple[Any, ...]:
            schema = pq.read_schema(files[0])  # the schema comparison of schema_compatible
            con = duckdb.connect(":memory:", config={"threads": 2, "autoinstall_known_extensions": False,
                                                     "autoload_known_extensions": False})
            try:
                row = con.execute(query).fetchone()
            finally:
                con.close()
            return row, schema.equals(expected_schema)

        seconds, (row, same) = timed(go)
        if row[0] != n or any(row[i] for i in (1, 2, 3, 4, 7, 8)) or not same:
            raise RuntimeError(f"DuckDB baseline found problems in clean data: {row}")
        return seconds

    return run


def _table_files(client: Any, branch: str) -> list[str]:
    from wap_notebook.lakehouse import tables

    location = client.get_table(TABLE, branch, namespace=NAMESPACE).metadata_location
    return list(tables.table_files(location).data_files)


def validation_vs_pandera(ctx: Context) -> None:
    from wap_notebook.ingestion import Ingestion

    v = ctx.variant
    for n in v.sizes:
        ctx.log(f"  row 3: 8 checks over {human(n)} new rows")
        client, branch = ctx.kept[("parquet", n)]
        ing = Ingestion.resume(branch, client=client, checks=make_checks(), namespace=NAMESPACE)

        def ours(rep: int, ing: Any = ing) -> float:
            seconds, _ = timed(ing.validate)
            if not ing.passed or len(ing.report) != 8:
                raise RuntimeError(f"validation of clean data did not pass 8 checks:\n{ing.report}")
            return seconds

        files = _table_files(client, branch)
        a, b = interleaved(ctx.reps(n), ours, _duckdb_baseline(files, n))
        ctx.validations[n] = a
        ctx.add(ratio_row(3, "validate 8 checks (Ingestion.validate)", human(n), a, b,
                                  "1 hand-written DuckDB query", "<= 1.2x", 1.2))
    for n in v.pandera_sizes:
        ctx.log(f"  row 4: pandas + pandera over {human(n)} rows")
        client, branch = ctx.kept[("parquet", n)]
        frame = pq.read_table(_table_files(client, branch)).to_pandas()
        schema = pandera_schema()
        a = ctx.validations[n]
        # pandas 3 stores strings in Arrow (its default since 3.0); pandas 2, still what many users run, in
        # Python objects: both are measured, the first is the installed default.
        for label, data in (("pandas defaults", frame),
                            ("object-dtype strings (pandas 2)", frame.astype({"status": object, "code": object}))):
            b = Sample()
            for _ in range(ctx.reps(n)):
                seconds, _ = timed(lambda data=data, schema=schema: schema.validate(data, lazy=True))
                b.add(seconds)
            ratio = a.median / b.median
            ctx.add(Row(4, "validate 8 checks vs pandas+pandera", human(n), a, b,
                        f"pandera in memory, {label}", "<= 0.2x (>= 5x faster)", ratio, a.min / b.min,
                        ratio <= 0.2,
                        f"we are {1 / ratio:.1f}x faster" if ratio < 1 else f"we are {ratio:.1f}x slower"),
                    same_figures_as=ctx.row(3, human(n)))
            del data
        del frame


def pandera_schema() -> Any:
    import pandera.pandas as pa_

    return pa_.DataFrameSchema(
        {
            "id": pa_.Column("int64", nullable=False, unique=True),
            "amount": pa_.Column("float64", pa_.Check.in_range(*AMOUNT_RANGE), nullable=True),
            "quantity": pa_.Column("int64", nullable=True),
            "status": pa_.Column(None, pa_.Check.isin(STATUSES), nullable=False),
            "code": pa_.Column(None, pa_.Check.str_matches(CODE_REGEX), nullable=True),
            "created_at": pa_.Column("datetime64[us]", nullable=True),
            "flag": pa_.Column("bool", nullable=True),
            "score": pa_.Column("float64", nullable=True),
        },
        checks=[pa_.Check(lambda df: len(df) >= 1, name="row_count")],
        strict=False,
        coerce=False,
    )


# ------------------------------------------------------------------------------------------ row 5
def _build_tables(client: Any, count: int, source_for: Callable[[int], str], prefix: str = "t") -> str:
    """A branch with `count` new tables, each imported from `source_for(i)`; returns the branch name."""
    branch = f"bench.build_{uuid.uuid4().hex[:8]}"
    client.create_branch(branch, "main")
    for i in range(count):
        name = f"{prefix}{i:03d}"
        uri = source_for(i)
        client.create_table(name, uri, branch=branch, namespace=NAMESPACE)
        state = client.import_data(name, uri, branch=branch, namespace=NAMESPACE)
        if state.job_status != "SUCCESS":
            raise RuntimeError(f"building {name} from {uri} failed: {state.error}")
    return branch


def branch_creation(ctx: Context) -> None:
    v = ctx.variant
    small = ctx.client("branch-small")
    small_src = str(ctx.dataset.small_file(1_000))
    small.merge_branch(_build_tables(small, 1, lambda i: small_src), "main")
    ctx.log(f"  row 5: building {v.branch_tables} tables of {human(v.branch_table_rows)} rows")
    large = ctx.client("branch-large")
    large_src = str(ctx.dataset.small_file(v.branch_table_rows))
    large.merge_branch(_build_tables(large, v.branch_tables, lambda i: large_src), "main")
    records = sum(t.records for t in (large.get_table(f"t{i:03d}", "main", namespace=NAMESPACE)
                                      for i in range(v.branch_tables)))
    if records != v.branch_tables * v.branch_table_rows:
        raise RuntimeError(f"row 5 lakehouse holds {records} rows")

    def create(client: Any) -> Callable[[int], float]:
        def run(rep: int) -> float:
            name = f"bench.b{rep}_{uuid.uuid4().hex[:6]}"
            seconds, _ = timed(lambda: client.create_branch(name, "main"))
            client.delete_branch(name)
            return seconds

        return run

    for client in (small, large):  # untimed first use (SQLite page cache, prepared statements)
        create(client)(0)
    a, b = interleaved(v.branch_reps, create(large), create(small))
    row = ratio_row(5, "create_branch", f"{v.branch_tables} x {human(v.branch_table_rows)}", a, b,
                    "1 table x 1K rows", "<= 1.5x and < 5 ms", 1.5,
                    note="" if v.name == "full" else f"{v.name} variant: tables of {human(v.branch_table_rows)} "
                                                     "rows, not 1M")
    row.met = row.met and a.median < 0.005
    ctx.add(row)


# ------------------------------------------------------------------------------------------ row 6
def _merge_sample(client: Any, source: str, reps: int) -> Callable[[int], float]:
    def run(rep: int) -> float:
        target = f"bench.t{rep}_{uuid.uuid4().hex[:6]}"
        client.create_branch(target, "main")
        seconds, result = timed(lambda: client.merge_branch(source, target))
        if client.get_branch(target).hash != result.hash:
            raise RuntimeError("merge did not move the target branch")
        client.delete_branch(target)
        return seconds

    return run


def merges(ctx: Context) -> None:
    v = ctx.variant
    n3 = v.sizes[-1]
    ctx.log(f"  row 6: merges of 1 / 20 tables, 1K / {human(n3)} rows")
    client = ctx.client("merge")
    small_src = str(ctx.dataset.small_file(1_000))
    s1_small = _build_tables(client, 1, lambda i: small_src)
    s20_small = _build_tables(client, 20, lambda i: small_src)
    big_src = str(ctx.dataset.small_file(v.merge_table_rows))
    s20_big = _build_tables(client, 20, lambda i: big_src)
    big_client, s1_big = ctx.kept[("parquet", n3)]  # row 1's branch: 1 table of N3 rows imported from S3
    for c, s in ((client, s1_small), (big_client, s1_big)):
        _merge_sample(c, s, 1)(0)  # untimed first use
    reps = v.branch_reps
    one_small, one_big = interleaved(reps, _merge_sample(client, s1_small, reps), _merge_sample(big_client, s1_big,
                                                                                                 reps))
    twenty_small, twenty_big = interleaved(reps, _merge_sample(client, s20_small, reps),
                                           _merge_sample(client, s20_big, reps))
    first = ratio_row(6, "merge_branch 1 table", human(n3), one_big, one_small, "1 table x 1K rows",
                      "<= 1.5x (flat in rows)", 1.5, note="row 1's branch")
    ctx.add(first)  # the three rows come from one stretch of measuring: they share its load readings
    row = ratio_row(6, "merge_branch 20 tables", "20 x 1K", twenty_small, one_small, "1 table x 1K rows",
                    "< 20 ms", float("inf"), note="ratio: cost of 19 more tables")
    row.met = twenty_small.median < 0.020
    ctx.add(row, same_figures_as=(first,))
    row = ratio_row(6, "merge_branch 20 tables", f"20 x {human(v.merge_table_rows)} ({human(20 * v.merge_table_rows)})",
                    twenty_big,
                    twenty_small, "20 tables x 1K rows", "<= 1.5x and < 20 ms", 1.5)
    row.met = row.met and twenty_big.median < 0.020
    ctx.add(row, same_figures_as=(first,))


# ------------------------------------------------------------------------------------------ row 7
def _rss_once(ctx: Context, n: int) -> dict[str, Any]:
    workdir = ctx.scratch(f"rss-{human(n)}")
    args = json.dumps({"uri": ctx.dataset.glob("parquet", n), "rows": n, "workdir": str(workdir)})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.rss_child", args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=3600)
    shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"RSS child failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def import_peak_memory(ctx: Context) -> None:
    v = ctx.variant
    results: dict[int, tuple[Sample, Sample, str]] = {}
    for n in v.rss_sizes:
        ctx.log(f"  row 7: peak RSS while importing {human(n)} rows (fresh subprocess)")
        growth, before = Sample(unit="B"), Sample(unit="B")
        how = ""
        for _ in range(v.rss_reps):
            out = _rss_once(ctx, n)
            growth.add(out["growth"])
            before.add(out["rss_before"])
            how = out["how"]
        results[n] = (growth, before, how)
    first = v.rss_sizes[0]
    limit = 512 * 2**20
    for n in v.rss_sizes:
        growth, before, how = results[n]
        flat = growth.median / results[first][0].median
        met = growth.median < limit and flat <= 1.25
        note = f"{how}; ratio = growth vs {human(first)}"
        if v.name != "full":
            note += f"; {v.name} variant: {human(n)} rows, not 16M"
        ctx.add(Row(7, "peak RSS growth during import", human(n), growth, before, "RSS before the import",
                    "< 512 MiB, flat (<= 1.25x)", flat, None, met, note))


# ------------------------------------------------------------------------------------------ row 8
def _ingest(ctx: Context, client: Any, table: str, uri: str, n: int) -> Callable[[], Any]:
    """The whole quality-gated ingestion: branch + create table + import + 8 checks + merge into main."""
    from wap_notebook.ingestion import Ingestion

    def run() -> Any:
        ing = Ingestion(table, uri, checks=make_checks(), on_success="merge", client=client, namespace=NAMESPACE).run()
        if ing.phase != "merged" or ing.rows_added.get(table) != n:
            raise RuntimeError(f"ingestion of {uri} ended in {ing.phase}: {ing.error} ({ing.rows_added})")
        return ing

    return run


def _bare_import(client: Any, uri: str, n: int, label: str) -> Callable[[int], float]:
    """Row 1's figure: `import_data` alone onto a branch with the table created beforehand (untimed)."""
    def run(rep: int) -> float:
        branch = f"bench.{label}_{rep}_{uuid.uuid4().hex[:6]}"
        client.create_branch(branch, "main")
        client.create_table(TABLE, uri, branch=branch, namespace=NAMESPACE)
        seconds, state = timed(lambda: client.import_data(TABLE, uri, branch=branch, namespace=NAMESPACE))
        if state.job_status != "SUCCESS" or client.job_details(state.job_id).rows_imported != n:
            raise RuntimeError(f"import of {uri} failed: {state.error}")
        client.delete_branch(branch)
        return seconds

    return run


def end_to_end_vs_bare_import(ctx: Context) -> None:
    v = ctx.variant
    for n in v.sizes if v.name != "smoke" else v.sizes[:1]:  # the smoke test only checks that it runs
        ctx.log(f"  row 8: end to end (branch + import + validate + merge) of {human(n)} rows vs the bare import")
        client = ctx.client(f"e2e-{human(n)}")
        uri = ctx.dataset.glob("parquet", n)

        def ours(rep: int, client: Any = client, uri: str = uri, n: int = n) -> float:
            return timed(_ingest(ctx, client, f"e2e_{rep}", uri, n))[0]

        a, b = interleaved(ctx.reps(n), ours, _bare_import(client, uri, n, "bare"))
        ctx.add(ratio_row(8, "end to end: Ingestion.run(merge)", human(n), a, b,
                                  "import alone (row 1, same run)", "<= 1.15x", 1.15))


# ------------------------------------------------------------------------------------------ row 10
def _pandas_route(ctx: Context, n: int) -> Callable[[int], float]:
    """What users write by hand: pandas reads the S3 files, pandera validates, pandas writes Parquet."""
    import pandas as pd

    s3 = ctx.s3()
    paths = [f"{BUCKET}/{key}" for key in ctx.dataset.keys_for("parquet", n)]
    schema = pandera_schema()

    def run(rep: int) -> float:
        out = ctx.scratch(f"pandas-{human(n)}")

        def go() -> int:
            frame = pd.read_parquet(paths, filesystem=s3)
            schema.validate(frame, lazy=True)  # raises on a failed check: clean data must pass
            frame.to_parquet(out / "validated.parquet", index=False)
            return len(frame)

        seconds, rows = timed(go)
        shutil.rmtree(out)
        if rows != n:
            raise RuntimeError(f"pandas route read {rows} rows, expected {n}")
        return seconds

    return run


def ingestion_vs_pandas_route(ctx: Context) -> None:
    n = ctx.variant.sizes[1]
    ctx.log(f"  row 10: whole ingestion vs the pandas route (read_parquet -> pandera -> to_parquet), {human(n)} rows")
    client = ctx.client(f"vs-pandas-{human(n)}")
    uri = ctx.dataset.glob("parquet", n)

    def ours(rep: int) -> float:
        return timed(_ingest(ctx, client, f"vs_pandas_{rep}", uri, n))[0]

    a, b = interleaved(ctx.reps(n), ours, _pandas_route(ctx, n))
    ctx.add(ratio_row(10, "whole ingestion vs pandas route", human(n), a, b,
                              "pd.read_parquet (S3) + pandera + to_parquet", "<= 0.5x (>= 2x faster)", 0.5,
                              note=f"we are {b.median / a.median:.1f}x faster" if a.median < b.median
                              else f"we are {a.median / b.median:.1f}x slower"))


# ------------------------------------------------------------------------------------------ row 11
SMALL_ROWS = 1_000


def small_batch_latency(ctx: Context) -> None:
    ctx.log(f"  row 11: small batch: whole ingestion of a {human(SMALL_ROWS)}-row file vs pyarrow read + write")
    key = f"small/rows-{SMALL_ROWS}.parquet"
    s3 = ctx.s3()
    client = ctx.client("small-batch")
    uri = f"s3://{BUCKET}/{key}"
    _ingest(ctx, client, "small_warm", uri, SMALL_ROWS)()  # untimed first use of this lakehouse

    def ours(rep: int) -> float:
        return timed(_ingest(ctx, client, f"small_{rep}", uri, SMALL_ROWS))[0]

    def base(rep: int) -> float:
        out = ctx.scratch("small-base")

        def go() -> int:
            with s3.open_input_file(f"{BUCKET}/{key}") as handle:
                table = pq.read_table(handle)
            pq.write_table(table, out / "part-0.parquet")
            return table.num_rows

        seconds, rows = timed(go)
        shutil.rmtree(out)
        if rows != SMALL_ROWS:
            raise RuntimeError(f"small file holds {rows} rows")
        return seconds

    a, b = interleaved(ctx.variant.small_reps, ours, base)
    ctx.add(ratio_row(11, "small batch: whole ingestion", human(SMALL_ROWS), a, b,
                              "pyarrow read S3 + write parquet", "<= 3x", 3.0))


# ------------------------------------------------------------------------------------------ row 12
def jsonl_from_s3_vs_local(ctx: Context) -> None:
    n = ctx.variant.text_sizes[0]
    ctx.log(f"  row 12: JSON Lines import of {human(n)} rows from S3 vs from a local path")
    client = ctx.client(f"jsonl-s3-vs-local-{human(n)}")
    s3_uri = ctx.dataset.glob("jsonl", n)
    local_uri = str(ctx.dataset.root / s3_uri.split(f"s3://{BUCKET}/", 1)[1])
    a, b = interleaved(ctx.reps(n), _bare_import(client, s3_uri, n, "jsonl_s3"),
                       _bare_import(client, local_uri, n, "jsonl_local"))
    ctx.add(ratio_row(12, "import jsonl: S3 vs local path", human(n), a, b,
                              "the same import from local files", "<= 1.25x", 1.25))
