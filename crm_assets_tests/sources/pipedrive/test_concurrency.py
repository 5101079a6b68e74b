"""Pipedrive's streams synced side by side: the same tables, one budget, failures apart."""

from __future__ import annotations

import pytest

from crm_assets_tests.sources.pipedrive.test_sync import (
    FAST,
    FULL,
    assert_table_is,
    by_stream,
    failure_text,
)

STREAMS = ["deals", "persons", "organizations", "activities", "notes", "products"]


DEALS = {"/v1/dealFields", "/api/v2/deals", "/api/v2/deals/archived"}


def others_between_deals(requests) -> int:
    """Requests of other streams served between the deals stream's first and last (five)."""
    paths = [r.path for r in requests]
    spots = [i for i, p in enumerate(paths) if p in DEALS]
    return sum(1 for p in paths[spots[0] : spots[-1]] if p not in DEALS)


def test_concurrent_streams_write_every_record_once(make_pipedrive, warehouse):
    # Slow enough answers that the other streams' requests fall between the deals
    # stream's five, however busy the machine.
    pipedrive = make_pipedrive(latency=0.05)
    emulator = pipedrive.emulator
    settings = dict(max_concurrent_streams=4, prefetch_pages=2, **FAST)
    first = pipedrive.run(warehouse, tags=FULL, streams=STREAMS, **settings)
    assert sorted(by_stream(first)) == sorted(STREAMS)
    assert others_between_deals(emulator.requests) > 0
    for entity in ("deals", "persons", "organizations", "activities"):
        assert_table_is(warehouse, f"pipedrive_{entity}", emulator.records(entity))
    # The requests of each stream are counted apart, and add up to what was served.
    served = len(emulator.requests)
    assert sum(m["requests"].value for m in by_stream(first).values()) == served
    assert all(m["bytes_received"].value > 1000 for m in by_stream(first).values())

    again = pipedrive.run(warehouse, tags=FULL, streams=STREAMS, **settings)
    for name, metadata in by_stream(again).items():
        assert (metadata["rows_inserted"].value, metadata["rows_updated"].value) == (0, 0), name


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_stream_failing_for_good_leaves_the_concurrent_others_written(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(latency=0.01)
    pipedrive.emulator.inject(503, times=50, path_prefix="/api/v2/organizations")
    result = pipedrive.run(
        warehouse, tags=FULL, streams=STREAMS, raise_on_error=False, max_attempts=2,
        max_concurrent_streams=4, **FAST,
    )  # fmt: skip
    assert not result.success
    text = failure_text(result)
    assert sorted(by_stream(result)) == sorted(set(STREAMS) - {"organizations"}), text
    assert f"1 of {len(STREAMS)} streams failed (organizations)" in text
    assert_table_is(warehouse, "pipedrive_deals", pipedrive.emulator.records("deals"))
