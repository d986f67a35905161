"""`get_commits(filter=...)` evaluates CEL with a CEL engine: the language's own semantics, not a subset."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wap_notebook.lakehouse.commit_filter import compile_filter

COMMIT = {"hash": "0123456789abcdef", "message": "Import orders into bauplan.orders", "author": "alice",
          "committer": "alice", "authorEmail": "alice@example.com",
          "authorTime": datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc),
          "commitTime": datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc),
          "properties": {"bpln_job_id": "j-1", "wap.verdict": "passed"}, "parentHashes": ["aaaa", "bbbb"]}


@pytest.mark.parametrize(("expression", "expected"), [
    ("commit.author == 'alice'", True),
    ("commit.author != 'alice'", False),
    ("commit.message.startsWith('Import') && commit.message.endsWith('orders')", True),
    ("commit.message.contains('bauplan.')", True),
    ("commit.message.matches('^Import [a-z]+ into')", True),
    ("'bpln_job_id' in commit.properties", True),
    ("'missing' in commit.properties", False),
    ("has(commit.properties.bpln_job_id)", True),
    ("commit.properties['wap.verdict'] == 'passed'", True),
    ("size(commit.parentHashes) == 2 && 'bbbb' in commit.parentHashes", True),
    ("commit.parentHashes.exists(h, h.startsWith('aa'))", True),
    ("commit.parentHashes.all(h, size(h) == 4)", True),
    ("commit.commitTime > timestamp('2026-11-25T09:59:59Z')", True),
    ("commit.commitTime - duration('1h') > timestamp('2026-11-25T09:30:00Z')", False),
    ("commit.authorTime.getFullYear() == 2026", True),
    ("commit.author in ['bob', 'alice'] || commit.message == ''", True),
    ("!(commit.author == 'alice')", False),
    # CEL's error absorption: `||` with a true side is true even if the other side fails (no such key).
    ("commit.author == 'alice' || commit.properties['missing'] == 'x'", True),
    ("'missing' in commit.properties && commit.properties['missing'] == 'x'", False),
])
def test_cel_semantics(expression, expected):
    assert compile_filter(expression)(COMMIT) is expected


@pytest.mark.parametrize(("expression", "message"), [
    ("commit.author ==", "Invalid commit filter"),
    ("commit.author = 'alice'", "Invalid commit filter"),
    ("", "non-empty CEL expression"),
])
def test_malformed_filters_are_refused_when_compiled(expression, message):
    with pytest.raises(ValueError, match=message):
        compile_filter(expression)


@pytest.mark.parametrize(("expression", "message"), [
    ("commit.nonexistent == 1", "nonexistent"),
    ("commit.properties['missing'] == 'x'", "missing"),
    ("commit.author", "must be a boolean expression"),
    ("commit.author > 3", "failed on commit 0123456789ab"),
])
def test_filters_that_fail_on_a_commit_are_refused_not_ignored(expression, message):
    matches = compile_filter(expression)
    with pytest.raises(ValueError, match=message):
        matches(COMMIT)
