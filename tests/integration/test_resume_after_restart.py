"""`Ingestion.resume(branch)` after a kernel restart, each kernel a Python process of its own.

The first process sets its lakehouse as the tutorials do (`WAP_LAKEHOUSE_PATH` in `os.environ`), which the
next process no longer has: resume without a client must find that lakehouse through this machine's
registry of ingestions, restore the verdict (a failed batch stays failed, its merge refused), and never
create an empty lakehouse at the default location; when it cannot find it, it says where it looked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from shared_data import main_count, orders

from wap_notebook import LocalClient
from wap_notebook.errors import BranchNotFound, LakehouseNotFound
from wap_notebook.ingestion import Ingestion, list_ingestions

BEFORE_RESTART = """
import json, os, sys
os.environ["WAP_LAKEHOUSE_PATH"] = sys.argv[1]  # set in the notebook, as the tutorials do
from wap_notebook import Ingestion, checks
Ingestion("orders", sys.argv[2], checks=[], on_success="merge").run()
bad = Ingestion("orders", sys.argv[3], checks=[checks.between("amount", 0, 10)]).run()
print(json.dumps({"branch": bad.branch, "phase": str(bad.phase), "resume": bad.resume_code}))
"""

AFTER_RESTART = """
import json, sys
from wap_notebook import Ingestion
from wap_notebook.errors import MergeRefused
ing = Ingestion.resume(sys.argv[1])
try:
    ing.merge()
    refused = False
except MergeRefused:
    refused = True
print(json.dumps({"phase": str(ing.phase), "backend": ing.backend, "refused": refused}))
"""


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A new kernel's environment: no WAP_LAKEHOUSE_PATH, the default lakehouse under a private data folder."""
    monkeypatch.delenv("WAP_LAKEHOUSE_PATH", raising=False)
    monkeypatch.setenv("WAP_BACKEND", "local")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return os.environ.copy()


def _default_lakehouse(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "wap-notebook" / "lakehouse"


def _run(script: str, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_resume_without_a_client_finds_the_lakehouse_the_notebook_set(tmp_path, put_table, kernel_env):
    lake = tmp_path / "set_in_the_notebook"
    seed = put_table("r/seed.parquet", orders(0, 20))
    bad = put_table("r/bad.parquet", orders(100, 5))  # amounts 150..156: outside [0, 10]
    first = _run(BEFORE_RESTART, str(lake), seed, bad, env=kernel_env)
    assert first["phase"] == "failed"
    # the panel's resume line names that lakehouse: it is not the one a new kernel opens by default
    assert first["resume"] == (f"from wap_notebook import Ingestion, LocalClient; ingestion = Ingestion.resume("
                               f"{first['branch']!r}, client=LocalClient({str(lake.resolve())!r}))")
    after = _run(AFTER_RESTART, first["branch"], env=kernel_env)  # a new kernel: nothing set
    assert after == {"phase": "failed", "backend": f"embedded lakehouse at {lake.resolve()}", "refused": True}
    assert not _default_lakehouse(tmp_path).exists()  # no empty lakehouse was made as a side effect
    assert main_count(lake) == 20  # the gate held: the failed batch was not published
    # the resume line itself works in a kernel that has neither the path nor this machine's registry
    env = {**kernel_env, "WAP_INGESTIONS_FILE": str(tmp_path / "elsewhere.json")}
    pasted = _run(f"import json\n{first['resume']}\nprint(json.dumps({{'phase': str(ingestion.phase)}}))", env=env)
    assert pasted == {"phase": "failed"}


def test_resume_and_list_never_create_a_lakehouse_and_say_where_they_looked(tmp_path, kernel_env,
                                                                              ingestion_registry):
    default = _default_lakehouse(tmp_path)
    with pytest.raises(LakehouseNotFound) as missing:
        Ingestion.resume("tester.import_orders_20260101T000000_abcdef")
    message = str(missing.value)
    assert str(default) in message and str(ingestion_registry) in message and "LocalClient(" in message
    with pytest.raises(LakehouseNotFound, match="no embedded lakehouse at"):
        list_ingestions()
    assert not default.exists()


def test_a_branch_missing_from_the_lakehouse_found_names_that_lakehouse(tmp_path, kernel_env, put_table):
    lake = LocalClient(tmp_path / "lh", username="tester")
    ing = Ingestion("orders", put_table("r/o.parquet", orders(0, 5)), client=lake, checks=[]).run()
    lake.delete_branch(ing.branch)  # deleted elsewhere; this machine's registry still names the lakehouse
    with pytest.raises(BranchNotFound) as gone:
        Ingestion.resume(ing.branch)
    assert f"embedded lakehouse at {lake.path}" in str(gone.value) and "ingestions.json" in str(gone.value)
    assert not _default_lakehouse(tmp_path).exists()


def test_the_command_line_finds_a_branch_lakehouse_and_never_creates_one(tmp_path, kernel_env, put_table, capsys):
    from wap_notebook.cli.main import EXIT_OPERATION, EXIT_PASSED
    from wap_notebook.cli.main import main as cli_main
    from wap_notebook.notebook.summary import text_summary

    lake = LocalClient(tmp_path / "set_in_the_notebook", username="tester")
    ing = Ingestion("orders", put_table("r/c.parquet", orders(0, 5)), client=lake, checks=[]).run()
    text = text_summary(ing)  # what --no-panel prints: the lakehouse, and the line that resumes it
    assert f"lakehouse: embedded lakehouse at {lake.path}" in text
    assert f"resume in a new kernel: {ing.resume_code}" in text and "LocalClient(" in ing.resume_code
    assert cli_main(["show", ing.branch]) == EXIT_PASSED  # no WAP_LAKEHOUSE_PATH: this machine's registry
    assert f"lakehouse: embedded lakehouse at {lake.path}" in capsys.readouterr().out
    assert cli_main(["list"]) == EXIT_OPERATION  # the default lakehouse does not exist: said, not created
    assert f"no embedded lakehouse at {_default_lakehouse(tmp_path)}" in capsys.readouterr().err
    assert not _default_lakehouse(tmp_path).exists()
