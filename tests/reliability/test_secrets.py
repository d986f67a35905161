"""Secrets never leak: plant fake AWS keys, a session token and a Bauplan API key in the environment, run
ingestions that succeed, fail validation, fail to import and are refused by the storage, then scan every
place a user or a log reader could see: reprs, exception messages, logs, history events, the report and
diff DataFrames, audit records, commit messages / bodies / properties of every commit, the static panel
HTML and the live panel's widgets, `list_ingestions()`, and the raw bytes of the catalog and warehouse.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

from wap_notebook import LocalClient
from wap_notebook import checks as C
from wap_notebook.backend import describe_backend
from wap_notebook.ingestion import Ingestion, list_ingestions

from .helpers import USER, rows, upload

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAPLANTEDKEY7Q2Z9X",
    "AWS_SECRET_ACCESS_KEY": "plAnt3dS3cr3t/Key+wJalrXUtnFEMI9K7MDENG",
    "AWS_SESSION_TOKEN": "plantedSessionTokenIQoJb3JpZ2luX2VjE",
    "BAUPLAN_API_KEY": "bpln_planted_api_key_5f0e3c9a1d",
}
URI_SECRET = "uriPl4ntedPassw0rd"


def _texts_of_widget(widget, seen=None) -> list[str]:
    seen = seen if seen is not None else set()
    if id(widget) in seen:
        return []
    seen.add(id(widget))
    out = []
    for attr in ("value", "description", "placeholder", "options", "tooltip"):
        value = getattr(widget, attr, None)
        if value is not None:
            out.append(repr(value))
    for child in getattr(widget, "children", ()) or ():
        out.extend(_texts_of_widget(child, seen))
    return out


def _surfaces(ing: Ingestion) -> list[str]:
    from wap_notebook.notebook.panel.widget import IngestionPanel, ingestion_html

    out = [repr(ing), str(ing.error), ing.report.to_string(), ingestion_html(ing),
           repr(ing.sources), repr(ing.files_imported)]
    out += [f"{e.kind} {e.phase} {e.message} {e.progress!r}" for e in ing.history]
    try:
        out.append(repr(ing.audit_record(force=True, reason="planted test")))
        out.append(ing.diff().to_string())
    except Exception as exc:  # noqa: BLE001 - no data on the branch: the exception text is a surface too
        out.append(f"{type(exc).__name__}: {exc}")
    panel = IngestionPanel(ing, threaded=False)
    out.append(repr(panel))
    out += _texts_of_widget(panel)
    return out


def _leaks(texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for text in texts:
        for name, secret in {**SECRETS, "uri password": URI_SECRET}.items():
            if secret in text:
                found.append((name, text[max(0, text.index(secret) - 120): text.index(secret) + 60]))
    return found


@pytest.fixture
def planted(monkeypatch, s3_server, tmp_path, caplog):
    for key, value in SECRETS.items():  # moto accepts any key pair: imports still work
        monkeypatch.setenv(key, value)
    caplog.set_level(logging.DEBUG)
    bucket = f"secrets-{uuid.uuid4().hex[:8]}"
    s3_server.create_bucket(bucket)
    client = LocalClient(tmp_path / "lh", username=USER)
    return client, bucket


def test_planted_secrets_appear_nowhere(planted, s3_server, caplog):
    client, bucket = planted
    texts: list[str] = [repr(client), describe_backend(client)]
    first = upload(s3_server, bucket, "o/a.parquet", rows(0, 50))
    # 1. a clean create + merge
    ok = Ingestion("orders", first, client=client, checks=[C.not_null("id"), C.unique("id")], on_success="merge")
    ok.run()
    assert ok.phase == "merged"
    texts += _surfaces(ok)
    # 2. an append that fails a check, then is force-merged with a reason
    second = upload(s3_server, bucket, "o/b.parquet", rows(1000, 20))
    bad = Ingestion("orders", second, client=client, checks=[C.between("amount", max=1.0)])
    bad.run()
    assert bad.phase == "failed"
    texts += _surfaces(bad)
    texts.append(repr(bad.failures("between(amount)")))
    bad.merge(force=True, reason="known outliers")
    texts += _surfaces(bad)
    # 3. an import that fails (missing file), and operations that raise
    missing = Ingestion("orders", f"s3://{bucket}/o/missing.parquet", client=client)
    missing.run()
    assert missing.phase == "failed"
    texts += _surfaces(missing)
    for action in (lambda: missing.merge(), lambda: client.create_table("x", f"s3://{bucket}/none/*.csv",
                                                                       branch="tester.nope")):
        with pytest.raises(Exception) as info:  # noqa: B017 - any error: its text is what is scanned
            action()
        texts += [str(info.value), repr(info.value)]
    # 4. storage that refuses the (planted) keys: a second moto server enforcing IAM
    from wap_notebook.demo.s3 import start_s3_server

    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    try:
        locked = start_s3_server()
    finally:
        del os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]
    try:
        saved = os.environ["AWS_ENDPOINT_URL"]
        os.environ["AWS_ENDPOINT_URL"] = locked.endpoint_url
        refused = Ingestion("orders", "s3://locked/p/*.parquet", client=client)
        refused.run()
        assert refused.phase == "failed" and "Access denied" in refused.error, refused.error
        texts += _surfaces(refused)
    finally:
        os.environ["AWS_ENDPOINT_URL"] = saved
        locked.stop()
    texts.append(list_ingestions(client).to_string())
    # commits of every ref (message, body, properties), and the raw files on disk
    for ref in [b.name for b in client.get_branches()] + [t.name for t in client.get_tags()]:
        for commit in client.get_commits(ref):
            texts.append(f"{commit.message} {commit.body} {commit.properties} {commit.author!r}")
    for path in Path(client.path).rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("latin-1"))
    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    assert not _leaks(texts), _leaks(texts)[:3]


def test_credentials_inside_a_source_uri_are_refused_and_never_echoed(planted, caplog):
    # Regression: such a URI used to travel into ingestion.error, the history, the log and the panel.
    client, bucket = planted
    with pytest.raises(ValueError, match="embeds credentials") as caught:
        Ingestion("orders", f"s3://AKIAPLANTED:{URI_SECRET}@{bucket}/o/a.parquet", client=client)
    assert not _leaks([str(caught.value), caplog.text])
    assert not any("import_orders" in b.name for b in client.get_branches())
