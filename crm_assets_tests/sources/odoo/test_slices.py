"""Odoo windowed reads as `write_date` slices side by side (`core.sync.slices`), against
the emulator on loopback: the rows of a sequential read on both warehouses, records on
a slice's edge read once, empty slices, a record edited across an edge during the
read, and a failed request retried alone.

A slice is told by its first request: a `search_read` with no keyset (`"|"`) part,
whose `write_date >=` bound is where the slice starts.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from crm_assets.core import schema
from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.slices import MOST_SLICES
from crm_assets.core.sync.workers import Concurrency, Workers
from crm_assets.sources.odoo.client import ORDER, pages, transport_for
from crm_assets.sources.odoo.emulator.data import FMT
from crm_assets.sources.odoo.fields import discover
from crm_assets_tests.sources.odoo.conftest import ANCHOR, SMALL, VERSIONS
from crm_assets_tests.sources.odoo.test_sync import (
    MODELS,
    expected_rows,
    metadata,
    stored_rows,
)

LONG = {**SMALL, "account.payment": 600, "mut.insurance.quotation": 300}
STREAMS = ["payment", "insurance_quotation"]
PAYMENT = "account.payment"
DAY = str(ANCHOR)
T0 = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, tzinfo=UTC)
# One stream at a time, its one page-work thread reading ahead: nothing to cut slices with.
SEQUENTIAL = dict(max_concurrent_streams=1, prefetch_pages=1)
# Two lanes for two streams, each with three threads for page work.
SLICED = dict(max_concurrent_streams=2, prefetch_pages=3)


def slice_starts(calls, model: str) -> list[str]:
    """Where each slice of `model`'s reads starts, in the order they were asked."""
    return [
        c.arguments["domain"][0][2]
        for c in calls
        if c.model == model and c.method == "search_read" and c.arguments["order"] == ORDER
        and "|" not in c.arguments["domain"]
    ]  # fmt: skip


def edges(calls, model: str) -> list[str]:
    """The edges of the slices cut off (their starts, past the window's)."""
    return sorted(set(slice_starts(calls, model)))[1:]


def reads(calls, model: str) -> int:
    return sum(1 for c in calls if c.model == model and c.method == "search_read")


def in_day(emulator, model: str) -> dict[int, dict]:
    return {i: row for i, row in expected_rows(emulator, model).items()
            if row["write_date"].date() == ANCHOR}  # fmt: skip


def assert_day_is_written(warehouse, emulator, stream: str) -> None:
    """The stream's table holds the anchor day's records exactly, as they are now."""
    expected, stored = in_day(emulator, MODELS[stream]), stored_rows(warehouse, f"odoo_{stream}")
    assert set(stored) == set(expected), stream
    for record_id, row in expected.items():
        got = dict(stored[record_id])
        assert got.pop("_deleted") is False
        assert got == {k: schema.comparable(v) for k, v in row.items()}, (stream, record_id)


def read(running, window: Window, threads: int):
    """The pages `client.pages` yields for the payments in `window` with `threads`
    threads free for page work (0: one cursor), and the model calls they cost."""
    with (
        running.resource().client() as client,
        Workers(Concurrency(streams=1, prefetch=threads)) as workers,
        workers.as_current(),
    ):
        transport_for(client)  # JSON-RPC logs in first
        fields = discover(client, PAYMENT).fields
        running.emulator.reset_log()
        got = list(pages(client, PAYMENT, fields, window))
    return [r["id"] for page in got for r in page], running.emulator.calls


def spread(emulator, second_of) -> dict[int, str]:
    """Give the payments, newest id first, the `write_date` T0 + `second_of(n)` seconds
    (ids run against time, so a second's records straddle the keyset's pages)."""
    ids = sorted((r["id"] for r in emulator.records(PAYMENT)), reverse=True)
    for n, record_id in enumerate(ids):
        emulator.touch(PAYMENT, record_id, T0 + timedelta(seconds=second_of(n)))
    return {r["id"]: r["write_date"] for r in emulator.records(PAYMENT)}


def once_sliced(emulator, model: str, then) -> threading.Thread:
    """A thread that runs `then()` once a slice of `model` was cut off."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while not edges(emulator.calls, model) and time.monotonic() < deadline:
            time.sleep(0.001)
        then()

    watcher = threading.Thread(target=watch)
    watcher.start()
    return watcher


def test_a_sliced_windowed_read_writes_the_rows_of_a_sequential_one(make_odoo, two_warehouses):
    odoo = make_odoo(version=19, sizes=LONG, latency=0.005)
    emulator = odoo.emulator
    alone, together = two_warehouses
    first = odoo.run(alone, partition=DAY, streams=STREAMS, **SEQUENTIAL)
    sequential = emulator.calls
    emulator.reset_log()
    again = odoo.run(together, partition=DAY, streams=STREAMS, **SLICED)
    sliced = emulator.calls
    assert any(edges(sliced, MODELS[s]) for s in STREAMS), "no slice was cut"
    for stream in STREAMS:
        model, table = MODELS[stream], f"odoo_{stream}"
        assert not edges(sequential, model)
        day = in_day(emulator, model)
        assert len(day) > 10 * 7, "long enough to cut"
        assert_day_is_written(alone, emulator, stream)
        assert stored_rows(together, table) == stored_rows(alone, table)
        # Each record handed over once, in either read.
        for result in (first, again):
            assert metadata(result, stream)["records_read"] == len(day)
        assert reads(sliced, model) <= reads(sequential, model) + MOST_SLICES


@pytest.mark.parametrize("version", VERSIONS)
def test_records_on_a_slice_edge_are_read_once(make_odoo, version):
    odoo = make_odoo(version=version, sizes=LONG, latency=0.005)
    # Three records on every second: wherever an edge falls, records are on it.
    written = spread(odoo.emulator, lambda n: n // 3)
    window = Window(T0, T0 + timedelta(seconds=200))
    alone, _ = read(odoo, window, threads=0)
    together, calls = read(odoo, window, threads=3)
    cut = edges(calls, PAYMENT)
    assert cut, "no slice was cut"
    on_edges = [i for i, at in written.items() if at in cut]
    assert len(on_edges) == 3 * len(cut)
    handed = Counter(together)
    assert sorted(handed) == sorted(alone) == sorted(written)
    assert set(handed.values()) == {1}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_window_of_one_page_costs_one_request_with_threads_free(make_odoo, version):
    odoo = make_odoo(version=version, sizes=LONG, latency=0.005)
    written = spread(odoo.emulator, lambda n: n // 3)
    window = Window(T0 + timedelta(seconds=10), T0 + timedelta(seconds=12))
    got, calls = read(odoo, window, threads=3)
    assert sorted(got) == sorted(
        i for i, at in written.items() if at[11:] in ("00:00:10", "00:00:11")
    )
    assert len(calls) == 1 and calls[0].method == "search_read"


def test_empty_slices_cost_a_request_each_and_lose_nothing(make_odoo):
    odoo = make_odoo(version=19, sizes=LONG, latency=0.005)
    # Half the payments in the window's first 100 seconds, half about 14 hours later:
    # slices cut in between find nothing.
    written = spread(odoo.emulator, lambda n: n // 3 if n < 300 else 50_000 + n // 3)
    window = Window(T0, T0 + timedelta(seconds=50_200))
    alone, sequential = read(odoo, window, threads=0)
    together, calls = read(odoo, window, threads=3)
    bounds = [*edges(calls, PAYMENT), (T0 + timedelta(seconds=50_200)).strftime(FMT)]
    held = [sum(1 for at in written.values() if lower <= at < upper)
            for lower, upper in zip(bounds, bounds[1:], strict=False)]  # fmt: skip
    assert 0 in held, f"no empty slice among {list(zip(bounds, held, strict=False))}"
    assert Counter(together) == Counter(alone) == Counter(written.keys())
    assert reads(calls, PAYMENT) <= reads(sequential, PAYMENT) + MOST_SLICES


def test_a_record_edited_across_an_edge_during_the_read_is_written_and_read_next_run(
    make_odoo, warehouse
):
    odoo = make_odoo(version=19, sizes=LONG, latency=0.005)
    emulator = odoo.emulator
    day = [r for r in emulator.records(PAYMENT) if r["write_date"].startswith(DAY)]
    oldest = min(day, key=lambda r: (r["write_date"], r["id"]))
    edited = T0 + timedelta(hours=23, minutes=59, seconds=59)

    def edit() -> None:
        # Read in the first slice already; its new write_date is in the last one.
        emulator.touch(PAYMENT, oldest["id"], edited, memo="edited during the read")

    watcher = once_sliced(emulator, PAYMENT, edit)
    first = odoo.run(warehouse, partition=DAY, streams=["payment"], **SLICED)
    watcher.join()
    assert first.success and edges(emulator.calls, PAYMENT)
    moved = {r["id"]: r for r in emulator.records(PAYMENT)}[oldest["id"]]
    assert moved["write_date"] == edited.strftime(FMT)
    row = {r["id"]: r for r in warehouse.rows("odoo_payment")}[oldest["id"]]
    # The version read first or the edited one, whichever the run wrote last.
    assert row["memo"] in {oldest["memo"] or None, "edited during the read"}
    assert odoo.run(warehouse, partition=DAY, streams=["payment"], **SLICED).success
    assert_day_is_written(warehouse, emulator, "payment")


def test_a_failed_request_in_a_slice_is_retried_alone(make_odoo, warehouse):
    odoo = make_odoo(version=19, sizes=LONG, latency=0.005)
    emulator = odoo.emulator
    path = f"/json/2/{PAYMENT}/search_read"
    watcher = once_sliced(emulator, PAYMENT, lambda: emulator.inject(500, path_prefix=path))
    result = odoo.run(warehouse, partition=DAY, streams=["payment"], **SLICED)
    watcher.join()
    assert result.success
    assert Counter(r.status for r in emulator.requests if r.path == path)[500] == 1
    # The request answered 500 was sent again and served; every request served once.
    served = Counter(repr(sorted(c.arguments.items())) for c in emulator.calls
                     if c.model == PAYMENT and c.method == "search_read")  # fmt: skip
    assert set(served.values()) == {1}
    assert metadata(result, "payment")["records_read"] == len(in_day(emulator, PAYMENT))
    assert_day_is_written(warehouse, emulator, "payment")
