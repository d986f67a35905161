"""SQL over in-memory Arrow tables (check predicates reach it) reads those tables and no file."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from wap_notebook.core.arrow_sql import local_sql


def test_local_sql_reads_its_tables_only(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("id\n42\n")
    rows = {"rows_": pa.table({"x": [1, 2]})}
    assert local_sql(rows, "SELECT sum(x) AS s FROM rows_").column("s")[0].as_py() == 3
    for sql in (f"SELECT * FROM read_csv('{secret}')", f"SELECT * FROM '{secret}'",
                f"SELECT (SELECT count(*) FROM read_text('{secret}')) > 0 AS p FROM rows_",
                "SET enable_external_access=true", f"COPY rows_ TO '{tmp_path / 'out.csv'}'"):
        with pytest.raises(duckdb.Error):
            local_sql(rows, sql)
    assert not (tmp_path / "out.csv").exists()
