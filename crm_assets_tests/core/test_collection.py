"""The cyclic garbage collector's pace while streams sync (core.sync.garbage_collection)."""

from __future__ import annotations

import gc
import threading

import pytest

from crm_assets.core.spec.streams import StreamSpec
from crm_assets.core.sync.garbage_collection import SYNC_THRESHOLD
from crm_assets.core.sync.workers import Concurrency, Workers
from crm_assets_tests.core.syncing import sync_alone


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
    sync_alone(warehouse, stream)


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

    def sync_one(stream):
        sync(warehouse, stream)

    with Workers(Concurrency(streams=3)) as workers:
        outcomes = list(workers.streams(streams, sync_one))
    assert [o.error for o in outcomes] == [None] * 3
    assert seen == [(SYNC_THRESHOLD, 10, 10)] * 9
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_that_turned_collection_off_is_left_alone(warehouse):
    gc.set_threshold(0)
    seen: list = []
    sync(warehouse, observing("deals", seen))
    assert seen == [(0, 10, 10)] * 3
    assert gc.get_threshold() == (0, 10, 10)
