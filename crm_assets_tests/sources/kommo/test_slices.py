"""Kommo's long lists read as time slices side by side (`core.sync.slices`): the rows
of a sequential read, on both warehouses, within a few requests more, and a failed
request retried alone."""

from __future__ import annotations

import threading
import time
from collections import Counter

from crm_assets_tests.sources.kommo.conftest import SMALL, UNLIMITED
from crm_assets_tests.sources.kommo.helpers import assert_table_is
from crm_assets_tests.sources.kommo.test_sync import FAST, FULL

LONG = {**SMALL, "leads": 1500, "contacts": 1000}
STREAMS = ["leads", "contacts"]
# One stream at a time, its one page-work thread reading ahead: nothing to cut slices with.
SEQUENTIAL = dict(max_concurrent_streams=1, prefetch_pages=1, **FAST)
SLICED = dict(max_concurrent_streams=2, prefetch_pages=3, **FAST)


def sliced(requests) -> list:
    """Requests of a list narrowed to a slice of its own (`filter[updated_at][from]`)."""
    return [r for r in requests if "filter[updated_at][from]" in r.args]


def list_requests(requests) -> Counter:
    return Counter(r.path for r in requests)


def assert_every_row(emulator, warehouse) -> None:
    for entity in STREAMS:
        live, deleted = emulator.records(entity), emulator.deleted_ids(entity)
        assert_table_is(warehouse, f"kommo_{entity}", live + [{"id": i} for i in deleted])


def test_a_sliced_full_read_writes_the_rows_of_a_sequential_one(make_kommo, warehouse):
    kommo = make_kommo(per_second=UNLIMITED, sizes=LONG, latency=0.005)
    emulator = kommo.emulator
    assert kommo.run(warehouse, tags=FULL, streams=STREAMS, **SEQUENTIAL).success
    assert_every_row(emulator, warehouse)
    assert not sliced(emulator.requests)
    alone = list_requests(emulator.requests)

    emulator.reset_log()
    again = kommo.run(warehouse, tags=FULL, streams=STREAMS, **SLICED)
    assert again.success
    assert sliced(emulator.requests), "no slice was cut"
    assert_every_row(emulator, warehouse)
    for event in again.get_asset_materialization_events():
        metadata = event.materialization.metadata
        assert metadata["rows_inserted"].value == metadata["rows_updated"].value == 0
    for path, count in list_requests(emulator.requests).items():
        assert count <= alone[path] + 4, path


def test_a_failed_request_in_a_slice_is_retried_alone(make_kommo, warehouse):
    kommo = make_kommo(per_second=UNLIMITED, sizes=LONG, latency=0.005)
    emulator = kommo.emulator
    path = "/api/v4/leads"
    failed = threading.Event()

    def fail_once_slices_are_cut() -> None:
        deadline = time.monotonic() + 30
        while not sliced(emulator.requests) and time.monotonic() < deadline:
            time.sleep(0.001)
        emulator.inject(500, path_prefix=path)
        failed.set()

    watcher = threading.Thread(target=fail_once_slices_are_cut)
    watcher.start()
    result = kommo.run(warehouse, tags=FULL, streams=["leads"], **SLICED)
    watcher.join()
    assert result.success and failed.is_set()
    live, deleted = emulator.records("leads"), emulator.deleted_ids("leads")
    assert_table_is(warehouse, "kommo_leads", live + [{"id": i} for i in deleted])
    leads = [r for r in emulator.requests if r.path == path]
    assert Counter(r.status for r in leads)[500] == 1
    asked = Counter(tuple(sorted((k, tuple(v)) for k, v in r.args.items())) for r in leads)
    # The one request answered 500 was sent again; every other page once.
    assert sorted(asked.values(), reverse=True)[:2] == [2, 1]
