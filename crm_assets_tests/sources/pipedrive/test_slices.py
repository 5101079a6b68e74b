"""Pipedrive's long v2 lists read as time slices side by side (`core.sync.slices`): the
same rows as a sequential read, on both warehouses, a failed request retried alone,
and a failed run made whole by the next."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from crm_assets_tests.sources.pipedrive.conftest import SMALL
from crm_assets_tests.sources.pipedrive.test_sync import (
    FAST,
    FULL,
    assert_table_is,
    failure_text,
)

LONG = {**SMALL, "deals": 3000, "activities": 2500}
STREAMS = ["deals", "activities"]
# One stream at a time, its one page-work thread reading ahead: nothing to cut slices with.
SEQUENTIAL = dict(max_concurrent_streams=1, prefetch_pages=1, **FAST)
# Two lanes for two streams, each with three threads for page work.
SLICED = dict(max_concurrent_streams=2, prefetch_pages=3, **FAST)
LISTS = ("/api/v2/deals", "/api/v2/activities")


def sliced(requests) -> list:
    """Requests of a v2 list narrowed to a slice of its own (`updated_since`)."""
    return [r for r in requests if r.path in LISTS and "updated_since" in r.args]


def list_requests(requests) -> Counter:
    return Counter(r.path for r in requests if r.path.startswith("/api/v2/"))


def assert_every_row(pipedrive, warehouse) -> None:
    for entity in STREAMS:
        assert_table_is(warehouse, f"pipedrive_{entity}", pipedrive.emulator.records(entity))


def test_a_sliced_full_read_writes_the_rows_of_a_sequential_one(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(sizes=LONG, latency=0.005)
    emulator = pipedrive.emulator
    assert pipedrive.run(warehouse, tags=FULL, streams=STREAMS, **SEQUENTIAL).success
    assert_every_row(pipedrive, warehouse)
    alone = list_requests(emulator.requests)
    assert not sliced(emulator.requests)

    emulator.reset_log()
    again = pipedrive.run(warehouse, tags=FULL, streams=STREAMS, **SLICED)
    assert again.success
    assert sliced(emulator.requests), "no slice was cut"
    assert_every_row(pipedrive, warehouse)
    # Nothing read twice: every row was already there, unchanged.
    for event in again.get_asset_materialization_events():
        metadata = event.materialization.metadata
        records = metadata["records_read"].value
        assert records == len(emulator.records(event.asset_key.path[-1]))
        assert metadata["rows_inserted"].value == metadata["rows_updated"].value == 0
    together = list_requests(emulator.requests)
    for path, count in together.items():
        assert count <= alone[path] + 4, path


def test_a_failed_request_in_a_slice_is_retried_alone(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(sizes=LONG, latency=0.005)
    emulator = pipedrive.emulator
    failed = threading.Event()

    def fail_once_slices_are_cut() -> None:
        deadline = time.monotonic() + 30
        while not sliced(emulator.requests) and time.monotonic() < deadline:
            time.sleep(0.001)
        emulator.inject(500, path_prefix="/api/v2/activities")
        failed.set()

    watcher = threading.Thread(target=fail_once_slices_are_cut)
    watcher.start()
    result = pipedrive.run(warehouse, tags=FULL, streams=["activities"], **SLICED)
    watcher.join()
    assert result.success and failed.is_set()
    assert_table_is(warehouse, "pipedrive_activities", emulator.records("activities"))
    asked = Counter(
        tuple(sorted((k, tuple(v)) for k, v in r.args.items()))
        for r in emulator.requests
        if r.path == "/api/v2/activities"
    )
    statuses = Counter(r.status for r in emulator.requests if r.path == "/api/v2/activities")
    assert statuses[500] == 1
    # The one request answered 500 was sent again; every other page once.
    assert sorted(asked.values(), reverse=True)[:2] == [2, 1]


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_run_failing_in_a_slice_is_made_whole_by_the_next(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(sizes=LONG, latency=0.005)
    emulator = pipedrive.emulator

    def fail_for_good_once_slices_are_cut() -> None:
        deadline = time.monotonic() + 30
        while not sliced(emulator.requests) and time.monotonic() < deadline:
            time.sleep(0.001)
        emulator.inject(503, times=40, path_prefix="/api/v2/deals")

    watcher = threading.Thread(target=fail_for_good_once_slices_are_cut)
    watcher.start()
    result = pipedrive.run(
        warehouse, tags=FULL, streams=["deals"], raise_on_error=False, max_attempts=2, **SLICED
    )
    watcher.join()
    assert not result.success, "the run should have failed"
    assert "503" in failure_text(result)
    emulator.clear_faults()
    assert pipedrive.run(warehouse, tags=FULL, streams=["deals"], **SLICED).success
    assert_table_is(warehouse, "pipedrive_deals", emulator.records("deals"))


# What is read does not depend on the warehouse; the first test writes to both.
@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_deal_edited_during_a_sliced_read_is_written_and_read_again_next_run(
    make_pipedrive, warehouse
):
    pipedrive = make_pipedrive(sizes=LONG, latency=0.005)
    emulator = pipedrive.emulator
    oldest = min(emulator.records("deals"), key=lambda d: (d["update_time"], d["id"]))["id"]

    def edit_once_slices_are_cut() -> None:
        deadline = time.monotonic() + 30
        while not sliced(emulator.requests) and time.monotonic() < deadline:
            time.sleep(0.001)
        # Read in the first slice already; its new update time is in the last one.
        emulator.touch("deals", oldest)

    watcher = threading.Thread(target=edit_once_slices_are_cut)
    watcher.start()
    first = pipedrive.run(warehouse, tags=FULL, streams=["deals"], **SLICED)
    watcher.join()
    assert first.success
    rows = {row["id"]: row for row in warehouse.rows("pipedrive_deals")}
    assert oldest in rows
    assert pipedrive.run(warehouse, tags=FULL, streams=["deals"], **SLICED).success
    assert_table_is(warehouse, "pipedrive_deals", emulator.records("deals"))
