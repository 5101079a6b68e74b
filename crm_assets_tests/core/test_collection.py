"""The cyclic garbage collector's pace while streams sync (core.sync.garbage_collection)."""

from __future__ import annotations

import gc
import logging
import threading
from types import SimpleNamespace

import pytest

from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.sync.garbage_collection import SYNC_THRESHOLD
from crm_assets.core.sync.scheduling import run_concurrently
from crm_assets.core.sync.stream import sync_stream


@pytest.fixture(autouse=True)
def default_pace():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def observing(name: str, seen: list, started: threading.Barrier | None = None) -> StreamSpec:
    def fetch(client, window):
        if started is not None:
            started.wait(timeout=10)  # every stream is syncing at once
        for page in range(3):
            seen.append(gc.get_threshold())
            yield [{"id": page * 10 + i, "name": f"{name} {i}"} for i in range(10)]

    return StreamSpec(name=name, fetch=fetch, description=name)


def sync(warehouse, stream: StreamSpec) -> None:
    client = SimpleNamespace(stats=SimpleNamespace(requests=0))
    log = logging.getLogger("crm_assets_tests.collection")
    sync_stream(client, warehouse, stream, Window(None, None), prefix="", log=log)


def test_a_sync_collects_less_often_and_puts_the_pace_back(warehouse):
    seen: list = []
    sync(warehouse, observing("deals", seen))
    assert seen == [(SYNC_THRESHOLD, 10, 10)] * 3
    assert gc.get_threshold() == (700, 10, 10)
    assert warehouse.row_count("deals") == 30


def test_concurrent_syncs_share_the_pace_and_the_last_one_restores_it(warehouse):
    started = threading.Barrier(3)
    seen: list = []
    streams = [observing(name, seen, started) for name in ("deals", "persons", "notes")]

    def sync_one(stream, stopping):
        sync(warehouse, stream)

    outcomes = list(run_concurrently(streams, sync_one, workers=3))
    assert [o.error for o in outcomes] == [None] * 3
    assert seen == [(SYNC_THRESHOLD, 10, 10)] * 9
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_that_turned_collection_off_is_left_alone(warehouse):
    gc.set_threshold(0)
    seen: list = []
    sync(warehouse, observing("deals", seen))
    assert seen == [(0, 10, 10)] * 3
    assert gc.get_threshold() == (0, 10, 10)
