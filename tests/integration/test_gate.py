"""The gate holds in real notebook life: resume in a new process, remembered checks, forced merges, failed
imports, listing and pruning, races and rebase, unknown columns, killed kernels; on the embedded lakehouse
and a real moto S3, the resume case in a new Python process. The magic's scenarios
(typos, undefined names, unreachable Bauplan, duplicate-file advice) are in test_magic.py / test_cli.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import pyarrow as pa
import pytest
from bauplan import exceptions as bx

from wap_notebook import LocalClient
from wap_notebook import checks as C
from wap_notebook.engine.conflicts import IngestionConflict
from wap_notebook.errors import WapError
from wap_notebook.ingestion import Ingestion, list_ingestions, prune_ingestions
from wap_notebook.notebook.panel.widget import ingestion_html
from wap_notebook.notebook.summary import text_summary


def penguins(start: int, n: int, mass: int = 4000) -> pa.Table:
    return pa.table({"penguin_id": pa.array(range(start, start + n), pa.int64()),
                     "species": ["Adelie", "Gentoo"] * (n // 2) + ["Adelie"] * (n % 2),
                     "body_mass_g": pa.array([mass + i for i in range(n)], pa.int64())})


CHECKS = [C.not_null("penguin_id"), C.unique("penguin_id"), C.between("body_mass_g", 2000, 7000)]


@pytest.fixture
def lake(tmp_path):
    return LocalClient(tmp_path / "lakehouse", username="tester")


@pytest.fixture
def seeded(lake, put_table):
    Ingestion("penguins", put_table("p/seed.parquet", penguins(1, 50)), client=lake, checks=CHECKS,
              on_success="merge").run()
    return lake


def bad_batch(put_table, key="p/bad.parquet"):
    table = penguins(100, 20)
    masses = table.column("body_mass_g").to_pylist()
    masses[3] = 99999  # the planted bad row
    return put_table(key, table.set_column(2, "body_mass_g", pa.array(masses, pa.int64())))


def main_count(lake) -> int:
    return lake.query("SELECT COUNT(*) FROM bauplan.penguins", ref="main").column(0)[0].as_py()


def other_branches(lake) -> list[str]:
    return [b.name for b in lake.get_branches() if b.name != "main"]


# ------------------------------------------------------------------ 1. resume keeps checks and verdict
RESUME = """
import json, sys
from wap_notebook import LocalClient
from wap_notebook.ingestion import Ingestion
lake = LocalClient(sys.argv[1], username="tester")
ing = Ingestion.resume(sys.argv[2], client=lake)
out = {"phase": str(ing.phase), "checks": [c.name for t in ing.spec.checks.values() for c in t],
       "statuses": dict(zip(ing.report["check"], ing.report["status"])),
       "failing": ing.failures("between(body_mass_g)")["body_mass_g"].tolist()}
ing.validate()
out["revalidated"] = str(ing.phase)
try:
    ing.merge()
    out["merge"] = "merged"
except Exception as exc:
    out["merge"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def test_resume_in_a_new_process_restores_checks_and_verdict(seeded, put_table, tmp_path):
    bad = Ingestion("penguins", bad_batch(put_table), client=seeded, checks=CHECKS).run()
    assert bad.phase == "failed"
    done = subprocess.run([sys.executable, "-c", RESUME, str(tmp_path / "lakehouse"), bad.branch],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["phase"] == "failed"  # the verdict came back, not "imported, no checks run yet"
    assert out["checks"] == ["not_null(penguin_id)", "unique(penguin_id)", "between(body_mass_g)"]
    assert out["statuses"]["between(body_mass_g)"] == "failed"
    assert out["failing"] == [99999]  # the failing rows of the restored report, before any re-validation
    assert out["revalidated"] == "failed"  # re-validate runs the user's checks, not only the built-ins
    assert out["merge"].startswith("MergeRefused")
    assert main_count(seeded) == 50


def test_a_branch_without_record_refuses_to_merge_until_checks_are_given(seeded, put_table):
    # a branch made by hand (or by an older version): nobody knows which checks should gate it
    seeded.create_branch("tester.import_penguins_20260101T000000_abcdef", "main")
    seeded.import_data("penguins", bad_batch(put_table), branch="tester.import_penguins_20260101T000000_abcdef")
    resumed = Ingestion.resume("tester.import_penguins_20260101T000000_abcdef", client=seeded)
    resumed.validate()
    assert resumed.phase == "passed", resumed.report.to_string()  # the built-ins pass...
    with pytest.raises(RuntimeError, match="checks that should gate it are unknown"):
        resumed.merge()  # ...but that is not enough to publish
    gated = Ingestion.resume("tester.import_penguins_20260101T000000_abcdef", client=seeded, checks=CHECKS)
    gated.validate()
    assert gated.phase == "failed"
    assert main_count(seeded) == 50


# ------------------------------------------------------------------ 2. no checks: remembered, or loud
def test_the_table_remembers_its_checks_and_no_checks_is_loud(seeded, put_table):
    bad = Ingestion("penguins", bad_batch(put_table), client=seeded, on_success="merge").run()
    assert bad.spec.checks_source == "remembered"
    assert any("reusing the checks of the last ingestion merged" in e.message for e in bad.history)
    assert bad.phase == "failed" and main_count(seeded) == 50  # the 99999 row did not reach main

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unchecked = Ingestion("penguins", bad_batch(put_table, "p/bad2.parquet"), client=seeded, checks=[],
                              on_success="merge")
    assert not caught  # checks=[] says it is intended: no warning
    with pytest.warns(UserWarning, match="only the built-in checks will run"):
        Ingestion("fresh_table", bad_batch(put_table, "p/bad3.parquet"), client=seeded, on_success="merge")
    unchecked.run()
    assert unchecked.phase == "merged"  # an explicit opt-out is honoured...
    assert "only built-in checks ran" in unchecked.checks_note  # ...and said everywhere
    assert "NOTE: only built-in checks ran" in text_summary(unchecked)
    assert "only built-in checks ran" in ingestion_html(unchecked)  # the panel's static HTML / _repr_html_
    assert any("only built-in checks ran" in e.message for e in unchecked.history if e.kind == "phase")
    commit = next(iter(seeded.get_commits("main", limit=1)))
    assert "only built-in checks ran" in commit.properties["wap.checks_note"]


# ------------------------------------------------------------------ 4. a forced merge looks forced
def test_forced_merge_is_visible(seeded, put_table):
    bad = Ingestion("penguins", bad_batch(put_table), client=seeded, checks=CHECKS).run()
    bad.merge(force=True, reason="sensor recalibrated, value confirmed")
    assert bad.forced is True and bad.force_reason == "sensor recalibrated, value confirmed"
    summary = text_summary(bad)
    assert "Merged with override: sensor recalibrated, value confirmed" in summary
    html = ingestion_html(bad)
    assert "checks overridden: sensor recalibrated, value confirmed" in html and "wap-warn" in html
    commit = next(iter(seeded.get_commits("main", limit=1)))
    assert commit.properties["wap.forced"] == "true"


# ------------------------------------------------------------------ 5. failed before data: nothing left
@pytest.mark.parametrize("case", ["missing bucket", "empty glob", "already imported"])
def test_failed_import_before_data_deletes_the_branch(seeded, put_table, case):
    if case == "missing bucket":
        uri = "s3://no-such-bucket-wap/p/*.parquet"
    elif case == "empty glob":
        uri = put_table("p/seed.parquet", penguins(1, 50)).rsplit("/", 2)[0] + "/nothing/*.parquet"
    else:
        uri = put_table("p/seed.parquet", penguins(1, 50))  # the seed's own file, imported again
    ing = Ingestion("penguins", uri, client=seeded, checks=CHECKS).run()
    assert ing.phase == "failed" and "was deleted: the import failed before any data" in ing.error
    assert other_branches(seeded) == []
    assert len(list_ingestions(seeded)) == 0


def test_list_ingestions_rows_and_prune(seeded, put_table):
    good = Ingestion("penguins", put_table("p/good.parquet", penguins(200, 10)), client=seeded, checks=CHECKS).run()
    bad = Ingestion("penguins", bad_batch(put_table), client=seeded, checks=CHECKS).run()
    listed = list_ingestions(seeded).set_index("branch")
    assert list(listed.columns) == ["tables", "phase", "verdict", "rows_added", "created_by", "created", "age",
                                    "head"]
    assert listed.loc[good.branch, "verdict"] == "passed" and listed.loc[bad.branch, "verdict"] == "failed"
    assert listed.loc[bad.branch, "tables"] == "bauplan.penguins" and listed.loc[bad.branch, "rows_added"] == 20
    assert listed.loc[good.branch, "created_by"] == "tester"
    assert set(listed["age"]) <= {"just now", "1 min"}  # words, not "0 days 00:00:03.2"
    assert prune_ingestions("1h", client=seeded).empty  # nothing that old
    dry = list_ingestions(seeded).prune(older_than=0)
    assert set(dry["branch"]) == {good.branch, bad.branch} and set(dry["action"]) == {"would delete"}
    assert len(other_branches(seeded)) == 2  # a dry run deletes nothing
    done = list_ingestions(seeded).prune(older_than=0, dry_run=False)
    assert set(done["action"]) == {"deleted"} and other_branches(seeded) == []


# ------------------------------------------------------------------ 6. races
def test_race_is_readable_and_rebase_publishes_once(seeded, put_table):
    ours = Ingestion("penguins", put_table("p/ours.parquet", penguins(300, 10)), client=seeded, checks=CHECKS).run()
    theirs = Ingestion("penguins", put_table("p/theirs.parquet", penguins(400, 5)), client=seeded, checks=CHECKS,
                       on_success="merge").run()
    assert theirs.phase == "merged"
    assert ours.behind == 1
    with pytest.raises(IngestionConflict) as raised:
        ours.merge()
    error = raised.value
    assert isinstance(error, bx.MergeConflictError) and isinstance(error, WapError)
    text = str(error)
    assert "bauplan.penguins changed on main" in text and "main moved 1 commit" in text
    assert theirs.merge_commit[:12] in text and "rebase()" in text
    assert ours.phase == "passed" and seeded.has_branch(ours.branch)
    ours.rebase()
    assert ours.phase == "passed" and ours.behind == 0 and ours.rows_added == {"penguins": 10}
    ours.merge()
    assert main_count(seeded) == 65  # 50 + 5 + 10: each batch exactly once


def test_on_conflict_rebase_is_automatic_and_keeps_the_gate(seeded, put_table):
    # the race: another ingestion lands between this one's validation and its merge
    b = Ingestion("penguins", put_table("p/b.parquet", penguins(600, 10)), client=seeded, checks=CHECKS,
                  on_conflict="rebase").run()
    Ingestion("penguins", put_table("p/c.parquet", penguins(700, 10)), client=seeded, checks=CHECKS,
              on_success="merge").run()
    commit = b.merge()
    assert b.phase == "merged" and commit == seeded.get_branch("main").hash
    assert any("rebasing (attempt 1 of 3)" in e.message for e in b.history)
    assert main_count(seeded) == 50 + 10 + 10
    # a rebase re-validates: a batch whose ids were published meanwhile fails the gate, nothing is merged
    late = Ingestion("penguins", put_table("p/d.parquet", penguins(800, 10)), client=seeded, checks=CHECKS,
                     on_success="merge", on_conflict="rebase")
    late.import_data()
    late.validate()
    Ingestion("penguins", put_table("p/e.parquet", penguins(805, 3)), client=seeded, checks=CHECKS,
              on_success="merge").run()
    with pytest.raises(RuntimeError, match="after rebasing on the new head of main, validation failed"):
        late.merge()
    assert late.phase == "failed" and main_count(seeded) == 50 + 10 + 10 + 3


# ------------------------------------------------------------------ 7. wrong column names, up front
def test_unknown_column_is_refused_before_any_branch(seeded, put_table):
    with pytest.raises(ValueError, match="did you mean 'penguin_id'") as raised:
        Ingestion("penguins", put_table("p/x.parquet", penguins(800, 5)), client=seeded,
                  checks=[C.not_null("penguin_idd")])
    assert "no branch was created" in str(raised.value)
    assert other_branches(seeded) == []


# ------------------------------------------------------------------ 8. observed values over new rows
def test_between_observes_the_batch_not_the_table(seeded, put_table):
    forced = Ingestion("penguins", bad_batch(put_table), client=seeded, checks=CHECKS).run()
    forced.merge(force=True, reason="kept on purpose")  # main now holds a 99999
    batch = penguins(900, 10, mass=4666)  # max 4675
    ing = Ingestion("penguins", put_table("p/batch.parquet", batch), client=seeded,
                    checks=[C.between("body_mass_g", 2000, 7000)]).run()
    row = ing.report.set_index("check").loc["between(body_mass_g)"]
    assert row["status"] == "passed"
    assert "observed range [4666, 4675] (over the new rows)" in row["message"]


# ------------------------------------------------------------------ 9. leftovers can be resumed
KILLED = """
import os, sys
from wap_notebook import LocalClient
from wap_notebook.ingestion import Ingestion
lake = LocalClient(sys.argv[1], username="tester")
ing = Ingestion("penguins", sys.argv[2], client=lake)
ing.subscribe(lambda e: os._exit(9) if e.kind == "progress" else None)  # the kernel dies mid-import
ing.run()
"""


def test_a_branch_left_by_a_killed_kernel_can_be_rerun_or_discarded(seeded, put_table, tmp_path):
    uri = put_table("p/killed.parquet", penguins(1000, 10))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED), str(tmp_path / "lakehouse"), uri],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 9, done.stderr
    listed = list_ingestions(seeded)
    assert len(listed) == 1 and listed.iloc[0]["phase"] == "importing or interrupted"
    branch = listed.iloc[0]["branch"]
    resumed = Ingestion.resume(branch, client=seeded)  # was: "has no table changes ... vs main"
    assert resumed.phase == "error" and "did not finish" in resumed.error
    assert resumed.sources == {"penguins": uri} and [c.name for c in resumed.spec.checks["penguins"]] == [
        "not_null(penguin_id)", "unique(penguin_id)", "between(body_mass_g)"]  # remembered at creation
    resumed.rebase()  # re-run it
    assert resumed.phase == "passed" and resumed.rows_added == {"penguins": 10}
    resumed.merge()
    assert main_count(seeded) == 60 and other_branches(seeded) == []
    # a bare branch with no record and no data can still be discarded through the API
    seeded.create_branch("tester.import_penguins_20260101T000000_abcdef", "main")
    bare = Ingestion.resume("tester.import_penguins_20260101T000000_abcdef", client=seeded)
    assert bare.phase == "error"
    bare.discard()
    assert other_branches(seeded) == []


def test_a_branch_merged_but_not_deleted_resumes_as_nothing_to_do(seeded, put_table):
    ing = Ingestion("penguins", put_table("p/m.parquet", penguins(2000, 10)), client=seeded, checks=CHECKS).run()
    seeded.merge_branch(ing.branch, "main")  # as if the kernel died between the merge and the branch deletion
    resumed = Ingestion.resume(ing.branch, client=seeded)
    assert resumed.phase == "error" and "merged already" in resumed.error
    assert "merge" not in resumed.allowed_actions()  # no second publish of the same batch
    resumed.discard()
    assert main_count(seeded) == 60 and other_branches(seeded) == []
