"""`scan(filters=...)` judged by the real client's own filter parser (offline, see conftest's `real_client`).

Bauplan's SDK parses a filter before any network I/O (`src/python/query.rs`, `parse_expr`: polyglot-sql parses
`SELECT <filter>` and keeps the first expression) and raises `ValueError("Invalid SQL filter")` when that fails;
`LocalClient` parses with DuckDB and refuses anything but one predicate over the table's columns. Generated
filters (a seeded generator: comparisons, IN lists, BETWEEN, IS [NOT] NULL, LIKE, NOT, functions and casts,
nested with AND / OR and parentheses) are given to both:

- well-formed predicates: both accept the same ones (the real client then fails on its closed port);
- typos of them (a token dropped, the text cut short): whatever the real client refuses as an invalid filter,
  `LocalClient` refuses the same way (347 of 497 typos). The reverse does not hold and cannot (76 of 497):
  polyglot-sql reads `b N` as `b AS N` and `a, b` as two expressions and keeps the first, so the cloud runs a
  shorter filter than the one written, where `LocalClient` says "Invalid SQL filter" (README, Backends).
"""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bauplan import exceptions as bx

from wap_notebook import LocalClient

COLUMNS = ["a", "b", '"a"', "lower(b)", "abs(a)", "CAST(a AS DOUBLE)"]
LITERALS = ["1", "'x'", "2.5", "-3"]


def _atom(rng: random.Random) -> str:
    column = rng.choice(COLUMNS)
    return rng.choice([
        lambda: f"{column} {rng.choice(['=', '<', '>', '<=', '>=', '<>', '!='])} {rng.choice(LITERALS)}",
        lambda: f"{column} IN ({', '.join(rng.choice(LITERALS) for _ in range(rng.randint(1, 3)))})",
        lambda: f"{column} BETWEEN 1 AND 3",
        lambda: f"{column} IS {rng.choice(['NULL', 'NOT NULL'])}",
        lambda: f"{column} LIKE '%x%'",
        lambda: f"NOT ({column} = 1)",
        lambda: f"{column} NOT IN (1, 2)",
    ])()


def _predicate(rng: random.Random, depth: int = 0) -> str:
    if depth < 2 and rng.random() < 0.5:
        if rng.random() < 0.7:
            return f"{_predicate(rng, depth + 1)} {rng.choice(['AND', 'OR'])} {_predicate(rng, depth + 1)}"
        return f"({_predicate(rng, depth + 1)})"
    return _atom(rng)


def _typo(rng: random.Random, text: str) -> str:
    tokens = text.split(" ")
    if len(tokens) > 1 and rng.random() < 0.5:
        tokens.pop(rng.randrange(len(tokens)))
        return " ".join(tokens)
    return text[:rng.randrange(1, len(text))]


def _outcome(client: Any, filters: str) -> str:
    """"invalid" (refused by the filter parser), "refused" (any other error) or "rows"."""
    try:
        client.scan("t", ref="main", filters=filters)
    except ValueError as exc:
        return "invalid" if "Invalid SQL filter" in str(exc) else "refused"
    except (bx.BauplanError, TypeError):
        return "refused"
    return "rows"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> LocalClient:
    root = tmp_path_factory.mktemp("filters")
    source = root / "a.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3], "b": ["x", "y", None]}), source)
    client = LocalClient(root / "lake", username="tester", protect_main=False)
    client.create_table("t", str(source), branch="main")
    client.import_data("t", str(source), branch="main")
    return client


def test_well_formed_predicates_are_accepted_by_both(real_client: Any, local: LocalClient) -> None:
    rng = random.Random(19)
    filters = {_predicate(rng) for _ in range(300)}
    refused_by_real = sorted(f for f in filters if _outcome(real_client, f) == "invalid")
    refused_by_local = sorted(f for f in filters if _outcome(local, f) == "invalid")
    assert (refused_by_real, refused_by_local) == ([], [])


def test_whatever_the_real_parser_refuses_local_refuses_too(real_client: Any, local: LocalClient) -> None:
    rng = random.Random(20)
    typos = {_typo(rng, _predicate(rng)) for _ in range(600)}
    refused_by_real = [f for f in sorted(typos) if _outcome(real_client, f) == "invalid"]
    assert len(refused_by_real) > 100, "the generator must produce filters the real parser refuses"
    # The same refusal, not merely some error: ValueError("Invalid SQL filter") before anything runs.
    answered_otherwise = {f: _outcome(local, f) for f in refused_by_real if _outcome(local, f) != "invalid"}
    assert answered_otherwise == {}
