"""Type-checked by `make test` (mypy), never run: both clients satisfy the engine's `LakehouseClient`."""

from __future__ import annotations

import bauplan

from wap_notebook.engine.client import LakehouseClient
from wap_notebook.lakehouse import LocalClient


def cloud(client: bauplan.Client) -> LakehouseClient:
    return client


def embedded(client: LocalClient) -> LakehouseClient:
    return client
