"""Client construction for Bauplan's own end-to-end tests, ported unchanged but for this.

Bauplan's tests run against its public sandbox (`bauplan.titanic` on main, the taxi tables, the
`bpln-e2e-test-tables` bucket). Here they run against one seeded embedded lakehouse per session (see
conftest.py), with `main` writable as on Bauplan's cloud (`protect_main=False`), and S3 served by moto.
"""

from __future__ import annotations

from pathlib import Path

from wap_notebook import LocalClient

USERNAME = "e2e_user"
LAKE: list[Path] = []  # set once per session by conftest's seeding fixture


def e2e_client() -> LocalClient:
    return LocalClient(LAKE[0], username=USERNAME, protect_main=False)
