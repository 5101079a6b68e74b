"""One stream synced on its own, as a run syncs each of its streams, for core tests whose
streams read no API."""

from __future__ import annotations

import logging
from typing import Any

from crm_assets.core.http import ApiClient, ClientConfig
from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.sync.stream import SyncResult, sync_stream
from crm_assets.core.sync.target import Destination
from crm_assets.core.warehouse import Warehouse

FULL = Window(None, None)
LOG = logging.getLogger("crm_assets_tests.sync")


def sync_alone(
    warehouse: Warehouse,
    stream: StreamSpec,
    window: Window = FULL,
    *,
    prefix: str = "",
    log: Any = LOG,
) -> SyncResult:
    """Sync `stream` for `window` into `warehouse` (tables named with `prefix`) through a
    real client that sends nothing: the stream's fetch makes up its pages."""
    config = ClientConfig(source="test", base_url="http://127.0.0.1:9/")
    with ApiClient(config) as client:
        return sync_stream(client, stream, window, Destination(warehouse, prefix), log=log)
