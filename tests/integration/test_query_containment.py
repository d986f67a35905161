"""A query at a ref reads that ref's tables and no other file: generated query shapes against a lakehouse
whose unmerged branch, an outside folder and `<cwd>/.tmp/` hold marked data; memory and time limits."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wap_notebook import checks as C
from wap_notebook.ingestion import Ingestion
from wap_notebook.lakehouse import LocalClient, QueryLimits
from wap_notebook.lakehouse import tables as lh_tables
from wap_notebook.lakehouse.query import sealed_connection

SECRET = 987_654_321  # every forbidden file holds this id and the text below; main never does
SECRET_TEXT = "SECRET-OUTSIDE-REF"
BRANCH = "tester.unmerged"


def _rows(ids: list[int], status: str) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.int64()), "status": pa.array([status] * len(ids))})


class Lake:
    """main: `orders` (ids 1-3). The unmerged branch: `hidden` (only there) and an append to `orders`, both
    marked. Outside the warehouse: marked parquet, CSV and text files, and one in `<cwd>/.tmp/`."""

    def __init__(self, root: Path) -> None:
        self.client = LocalClient(root / "lh", username="tester")
        src = root / "src"
        src.mkdir()
        pq.write_table(_rows([1, 2, 3], "placed"), src / "main.parquet")
        pq.write_table(_rows([SECRET], SECRET_TEXT), src / "secret.parquet")
        self.client.create_branch("tester.seed", "main")
        self.client.create_table("orders", str(src / "main.parquet"), branch="tester.seed")
        assert self.client.import_data("orders", str(src / "main.parquet"), branch="tester.seed").error is None
        self.client.merge_branch("tester.seed", "main")
        self.client.create_branch(BRANCH, "main")
        self.client.create_table("hidden", str(src / "secret.parquet"), branch=BRANCH)
        assert self.client.import_data("hidden", str(src / "secret.parquet"), branch=BRANCH).error is None
        assert self.client.import_data("orders", str(src / "secret.parquet"), branch=BRANCH).error is None
        main_files = set(self._files("main", "orders"))
        self.main_file = sorted(main_files)[0]
        branch_files = [f for f in self._files(BRANCH, "orders") if f not in main_files]
        outside = root / "outside"
        outside.mkdir()
        pq.write_table(_rows([SECRET], SECRET_TEXT), outside / "data.parquet")
        pcsv.write_csv(_rows([SECRET], SECRET_TEXT), outside / "data.csv")
        (outside / "notes.txt").write_text(f"{SECRET} {SECRET_TEXT}\n")
        self.cwd_tmp = Path.cwd() / ".tmp"
        self.cwd_tmp_created = not self.cwd_tmp.exists()
        self.cwd_tmp.mkdir(exist_ok=True)
        self.cwd_file = self.cwd_tmp / f"wap-containment-{os.getpid()}.csv"
        pcsv.write_csv(_rows([SECRET], SECRET_TEXT), self.cwd_file)
        self.forbidden = [*self._files(BRANCH, "hidden"), *branch_files, str(outside / "data.parquet"),
                          str(outside / "data.csv"), str(outside / "notes.txt"), str(self.cwd_file)]
        self.folders = [str(self.client.warehouse), str(outside), str(self.cwd_tmp)]
        self.outside = outside

    def _files(self, ref: str, table: str) -> list[str]:
        location = self.client.get_table(table, ref=ref).metadata_location
        return list(lh_tables.table_files(location).data_files)

    def close(self) -> None:
        self.cwd_file.unlink(missing_ok=True)
        if self.cwd_tmp_created:
            try:
                self.cwd_tmp.rmdir()
            except OSError:
                pass


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    built = Lake(tmp_path_factory.mktemp("containment"))
    yield built
    built.close()


def assert_contained(lake: Lake, sql: str) -> None:
    """The query either fails as a query error or returns nothing that came from a forbidden file."""
    try:
        result = lake.client.query(sql, ref="main")
    except bx.BauplanQueryError:
        return
    text = repr(result.to_pylist())
    assert str(SECRET) not in text and SECRET_TEXT not in text, f"read a forbidden file: {sql}\n{text[:500]}"


FINDING = ('(WITH "{p}" AS (SELECT * FROM orders) SELECT * FROM "{p}") '
           "UNION ALL (SELECT * FROM '{p}')")


def test_a_cte_named_like_a_path_does_not_open_that_path(lake):
    branch_file = lake.forbidden[0]
    with pytest.raises(bx.BauplanQueryError, match="Permission|not exist|disabled"):
        lake.client.query(FINDING.format(p=branch_file), ref="main")
    # the branch that holds the file reads it as its table, by name
    assert lake.client.query("SELECT id FROM hidden", ref=BRANCH).column("id").to_pylist() == [SECRET]


def test_an_sql_check_cannot_read_another_branch(lake, tmp_path):
    branch_file = lake.forbidden[0]
    peek = FINDING.format(p=branch_file).replace("FROM orders", "FROM {table}")
    source = tmp_path / "batch.parquet"
    pq.write_table(_rows([10, 11], "placed"), source)
    ing = Ingestion("orders", str(source), client=lake.client, checks=[C.sql("peek", peek)]).run()
    row = ing.report.set_index("check").loc["peek"]
    assert row["status"] == "error" and "Permission" in row["message"], row.to_dict()
    ing.discard()


def test_an_external_table_cannot_name_another_branchs_data_files(lake, tmp_path):
    """Registering an external table is the one way a table names files it did not write: one that named an
    unmerged branch's data file (directly, through a link, or in an Iceberg table's manifest) would let a query
    on main read it. All three are refused at registration, and main holds no such table."""
    from pyiceberg.catalog.sql import SqlCatalog

    branch_file = lake.forbidden[0]
    link = tmp_path / "innocent.parquet"
    link.symlink_to(branch_file)
    lake.client.create_branch("tester.ext", "main", if_not_exists=True)
    for pattern in (branch_file, str(link)):
        state = lake.client.create_external_table_from_parquet("peek", [pattern], branch="tester.ext")
        assert state.job_status == "FAILED" and "inside the lakehouse's warehouse" in state.error
    catalog = SqlCatalog("outside", uri="sqlite:///:memory:", warehouse=f"file://{tmp_path / 'iceberg'}")
    catalog.create_namespace("x")
    table = catalog.create_table("x.peek", schema=pq.read_schema(branch_file))
    table.add_files([branch_file])
    metadata = catalog.load_table("x.peek").metadata_location
    with pytest.raises(bx.InvalidDataError, match="inside the lakehouse's warehouse"):
        lake.client.create_external_table_from_metadata("peek", metadata, namespace="bauplan", branch="tester.ext")
    assert not lake.client.has_table("peek", ref="tester.ext")
    lake.client.merge_branch("tester.ext", "main")
    assert_contained(lake, "SELECT * FROM peek")


def test_cwd_tmp_and_outside_files_are_not_readable(lake):
    for path in (lake.cwd_file, lake.outside / "data.csv", lake.outside / "notes.txt"):
        for sql in (f"SELECT * FROM '{path}'", f"SELECT * FROM read_text('{path}')", FINDING.format(p=path)):
            with pytest.raises(bx.BauplanQueryError):
                lake.client.query(sql, ref="main")


def test_the_ref_own_tables_still_read(lake):
    assert lake.client.query("SELECT count(*) AS n FROM orders", ref="main").column("n")[0].as_py() == 3
    assert lake.client.query("SELECT count(*) AS n FROM orders", ref=BRANCH).column("n")[0].as_py() == 4
    with pytest.raises(bx.BauplanQueryError, match="does not exist"):
        lake.client.query("SELECT * FROM hidden", ref="main")
    # a CTE named like a table of the ref, used as that table in another scope, reads the table
    shadow = "(WITH orders AS (SELECT 0::BIGINT AS id, 'x' AS status) SELECT * FROM orders) UNION ALL " \
             "(SELECT * FROM orders)"
    assert sorted(lake.client.query(shadow, ref="main").column("id").to_pylist()) == [0, 1, 2, 3]


# ------------------------------------------------------------------------ generated query shapes

def _spellings(path: str, lake: Lake) -> st.SearchStrategy[str]:
    parent = os.path.dirname(lake.main_file)  # an allowed file's folder: the closest a spelling can start
    return st.sampled_from([
        path, f"file://{path}", path.replace("/", "//", 1), path.replace("/", "/./", 2),
        f"{parent}/../{os.path.relpath(path, os.path.dirname(parent))}",
        f"{lake.main_file}/../{os.path.relpath(path, parent)}",
        os.path.dirname(path) + "/*", os.path.dirname(path) + "/**", os.path.dirname(os.path.dirname(path)) + "/**/*",
    ])


SOURCES = [
    "'{p}'", '"{p}"', "read_parquet('{p}')", "read_parquet(['{m}', '{p}'])", "parquet_scan('{p}')",
    "read_csv('{p}')", "read_csv_auto('{p}')", "read_text('{p}')", "read_blob('{p}')", "glob('{p}')",
    "read_json_auto('{p}')", "parquet_metadata('{p}')", "sniff_csv('{p}')", "query_table('{p}')",
]
SHAPES = [
    "SELECT * FROM {s}",
    "SELECT * FROM (SELECT * FROM {s}) AS q",
    "WITH c AS (SELECT * FROM {s}) SELECT * FROM c",
    "WITH c AS MATERIALIZED (SELECT * FROM {s}) SELECT * FROM c",
    'WITH "{p}" AS (SELECT * FROM orders) SELECT * FROM "{p}" UNION ALL SELECT * FROM {s}',
    '(WITH "{p}" AS (SELECT * FROM orders) SELECT * FROM "{p}") UNION ALL (SELECT * FROM {s})',
    'SELECT * FROM (WITH "{p}" AS (SELECT 1) SELECT * FROM "{p}") a, (SELECT * FROM {s}) b',
    "SELECT * FROM orders WHERE id IN (SELECT id FROM {s})",
    "SELECT (SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), ',') FROM {s}) AS v",
    "SELECT * FROM orders UNION ALL BY NAME SELECT * FROM {s}",
    "SELECT * FROM orders, LATERAL (SELECT * FROM {s}) l",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2) SELECT * FROM r, {s}",
    "SELECT * FROM orders o JOIN {s} x ON true",
    'WITH a AS (WITH "{p}" AS (SELECT 1 AS id) SELECT * FROM "{p}") SELECT * FROM a, (SELECT * FROM {s}) b',
    "SELECT COUNT(*) AS n FROM (SELECT * FROM {s}) AS q",  # the shape every `sql` check runs
]
STATEMENTS = [
    "ATTACH '{p}' AS x", "ATTACH '{p}' AS x (READ_ONLY); SELECT * FROM x.main.t", "COPY (SELECT 1) TO '{w}'",
    "COPY orders FROM '{p}'", "INSTALL '{p}'", "LOAD '{p}'", "SET allowed_paths=['{p}']",
    "SET enable_external_access=true", "RESET enable_external_access", "SET allowed_directories=['/']",
    "IMPORT DATABASE '{d}'", "EXPORT DATABASE '{w}'", "CALL glob('{p}')", "PRAGMA show_tables",
    "CREATE VIEW v AS SELECT * FROM '{p}'", "SELECT 1; SELECT * FROM '{p}'", "SET lock_configuration=false",
    "SET GLOBAL enable_external_access=true", "SET allowed_configs=['enable_external_access']",
    "RESET allowed_paths; SELECT * FROM '{p}'", "SET temp_directory='{d}'", "SET secret_directory='{d}'",
    "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'x')", "ATTACH ':memory:' AS m; COPY m.t FROM '{p}'",
]


@st.composite
def hostile_queries(draw, lake: Lake) -> str:
    target = draw(st.sampled_from(lake.forbidden))
    path = draw(_spellings(target, lake))
    written = os.path.join(draw(st.sampled_from(lake.folders)), "written-by-query.csv")
    if draw(st.integers(0, 4)) == 0:
        template = draw(st.sampled_from(STATEMENTS))
    else:
        source = draw(st.sampled_from(SOURCES)).replace("{m}", lake.main_file)
        template = draw(st.sampled_from(SHAPES)).replace("{s}", source)
    return template.replace("{p}", path).replace("{w}", written).replace("{d}", os.path.dirname(path))


def assert_sealed(lake: Lake, sql: str) -> None:
    """The same SQL run straight on the sealed connection (past the parse and keyword refusals of
    `LocalClient.query`): it fails or returns nothing forbidden, and the seal still holds afterwards."""
    exposed = {("bauplan", "orders"): lh_tables.table_files(lake.client.get_table("orders", ref="main")
                                                               .metadata_location)}
    with sealed_connection(exposed, "bauplan", QueryLimits(memory_mb=1024, threads=1, timeout_s=30)) as con:
        try:
            cursor = con.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
        except duckdb.Error:
            rows = []
        text = repr(rows)
        assert str(SECRET) not in text and SECRET_TEXT not in text, f"sealed connection read: {sql}\n{text[:500]}"
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_text('{lake.forbidden[-1]}')").fetchall()
        assert con.execute("SELECT count(*) FROM orders").fetchone() == (3,)


def _check_hostile(lake: Lake, data: st.DataObject) -> None:
    sql = data.draw(hostile_queries(lake))
    assert_contained(lake, sql)
    assert_sealed(lake, sql)
    for folder in lake.folders:
        assert not os.path.exists(os.path.join(folder, "written-by-query.csv")), sql


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_queries_read_only_their_ref(lake, data):
    _check_hostile(lake, data)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_queries_read_only_their_ref_many(lake, data):
    _check_hostile(lake, data)


# ------------------------------------------------------------------------ memory and time

def test_a_query_over_its_memory_limit_fails_as_a_query_error(lake):
    small = LocalClient(lake.client.path, username="tester", query_limits=QueryLimits(memory_mb=256))
    with pytest.raises(bx.BauplanQueryError, match="memory than its limit of 256 MiB"):
        small.query("SELECT length(repeat('x', 2000000000))", ref="main")
    assert small.query("SELECT count(*) AS n FROM orders", ref="main").column("n")[0].as_py() == 3


def test_a_query_over_its_time_limit_is_interrupted(lake):
    quick = LocalClient(lake.client.path, username="tester", query_limits=QueryLimits(timeout_s=0.5))
    with pytest.raises(bx.BauplanQueryError, match="time limit of 0.5 s"):
        quick.query("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b", ref="main")


def test_limits_are_validated_and_read_from_the_environment():
    limits = QueryLimits.from_env({"WAP_QUERY_MEMORY_MB": "512", "WAP_QUERY_THREADS": "1",
                                   "WAP_QUERY_TIMEOUT_S": "2.5"})
    assert (limits.memory_mb, limits.threads, limits.timeout_s) == (512, 1, 2.5)
    assert QueryLimits.from_env({}).timeout_s == 600
    for env in ({"WAP_QUERY_MEMORY_MB": "lots"}, {"WAP_QUERY_THREADS": "0"}, {"WAP_QUERY_TIMEOUT_S": "-1"},
                {"WAP_QUERY_MEMORY_MB": "1.5"}):
        with pytest.raises(ValueError, match=next(iter(env))):
            QueryLimits.from_env(env)
    with pytest.raises(ValueError, match="threads"):
        QueryLimits(threads=True)
    with pytest.raises(TypeError, match="QueryLimits"):
        LocalClient(Path("/tmp/unused-lakehouse-limits"), query_limits={"memory_mb": 1})  # type: ignore[arg-type]
