"""Odoo full reads in id ranges requested ahead, against the emulator (19 and 17) on loopback.

Requests are compared by the model calls the emulator served (`OdooEmulator.calls`),
which are the same over JSON-2 and JSON-RPC.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import pytest

from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.workers import Concurrency, Workers
from crm_assets.sources.odoo.client import FILL, pages, transport_for
from crm_assets.sources.odoo.fields import discover
from crm_assets_tests.harness import failure_text
from crm_assets_tests.sources.odoo.conftest import ANCHOR, PAGE
from crm_assets_tests.sources.odoo.test_sync import (
    FULL,
    MODELS,
    assert_agreed_columns,
    expected_rows,
    stored_rows,
)

EVERYTHING = Window(None, None)
PAYMENT = "account.payment"
AHEAD = 3
# The range awaited, and AHEAD more requested beside it.
PREFETCH = AHEAD + 1


def read(running, model: str, ahead: int, window: Window = EVERYTHING, during=None):
    """The pages `client.pages` yields for `model` in a run that asks for `ahead` pages
    beside the one awaited, and the model calls they cost.

    `during(index)` runs after each page is received, before the next is asked for.
    """
    concurrency = Concurrency(streams=1, prefetch=ahead + 1)
    with (
        running.resource().client() as client,
        Workers(concurrency) as workers,
        workers.as_current(),
    ):
        transport_for(client)  # JSON-RPC logs in first
        fields = discover(client, model).fields
        running.emulator.reset_log()
        got = []
        for page in pages(client, model, fields, window):
            got.append(page)
            if during is not None:
                during(len(got))
    return got, [c for c in running.emulator.calls if c.model == model]


def ids_of(got: list[list[dict]]) -> list[int]:
    return [record["id"] for page in got for record in page]


def searches(calls, method: str = "search_read") -> list:
    return [c.arguments["domain"] for c in calls if c.method == method]


def test_a_full_sync_with_ranges_requested_ahead_writes_what_one_without_does(odoo, two_warehouses):
    ahead, plain = two_warehouses
    odoo.run(plain, tags=FULL)
    odoo.emulator.reset_log()
    odoo.run(ahead, tags=FULL, prefetch_pages=PREFETCH)
    assert any(d and d[0][:2] == ["id", ">="] for d in searches(odoo.emulator.calls))
    for stream, model in MODELS.items():
        table = f"odoo_{stream}"
        assert stored_rows(ahead, table) == stored_rows(plain, table), stream
        assert set(stored_rows(ahead, table)) == set(expected_rows(odoo.emulator, model))
    archived = [r["id"] for r in ahead.rows("odoo_insurance_quotation") if r["active"] is False]
    assert archived, "archived records are read too"
    assert_agreed_columns(ahead)


OPENING = [
    ("search_read", "id asc", "[]"),
    ("search", "id desc", "[]"),
    ("search_count", None, "[]"),
]


def opening(calls) -> list[tuple]:
    return sorted(
        ((c.method, c.arguments.get("order"), repr(c.arguments["domain"])) for c in calls[:3]),
        key=lambda call: [m for m, _, _ in OPENING].index(call[0]),
    )


def test_a_full_read_costs_the_opening_one_request_a_range_and_the_tail(odoo):
    records = sorted(r["id"] for r in odoo.emulator.records(PAYMENT))
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert ids_of(got) == records  # each once, in id order
    assert all(0 < len(page) <= PAGE for page in got)
    # The first page, the highest id and the count, asked for at once.
    assert opening(calls) == OPENING
    after, highest = records[PAGE - 1], records[-1]
    starts = range(after + 1, highest + 1, PAGE)
    ranges = [[["id", ">=", s], ["id", "<", min(s + PAGE, highest + 1)]] for s in starts]
    assert Counter(map(repr, searches(calls[3:-1]))) == Counter(map(repr, ranges))
    assert searches(calls[-1:]) == [[["id", ">", highest]]]
    assert len(calls) == 3 + len(ranges) + 1
    assert all(c.arguments["context"] == {"active_test": False} for c in calls)


def test_a_model_that_fits_in_the_first_page_is_read_in_one_round_trip(odoo):
    records = sorted(r["id"] for r in odoo.emulator.records(PAYMENT))
    for record_id in records[PAGE - 2 :]:
        odoo.emulator.delete(PAYMENT, record_id)
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert ids_of(got) == records[: PAGE - 2]
    # Nothing is sent after the first page but the probes sent beside it (if they had
    # not been cancelled before leaving).
    assert all(call in OPENING for call in opening(calls)) and len(calls) <= 3
    assert searches(calls) == [[]]


def test_sparse_ids_give_every_record_once_in_wider_ranges(odoo):
    emulator = odoo.emulator
    records = sorted(r["id"] for r in emulator.records(PAYMENT))
    for record_id in records:
        if record_id % 4:  # three ids in four hard-deleted
            emulator.delete(PAYMENT, record_id)
    left = sorted(r["id"] for r in emulator.records(PAYMENT))
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert ids_of(got) == left
    ranges = searches(calls)[1:-1]
    width = max(d[1][2] - d[0][2] for d in ranges if d[0][1] == ">=")
    assert width > PAGE
    # About FILL of a page a range, not one request per PAGE ids (most of them empty).
    assert len(ranges) <= math.ceil(len(left) / (PAGE * FILL)) + 1
    assert len(ranges) < (left[-1] - left[0]) / PAGE / 2


def test_a_range_holding_more_than_a_page_reads_on_after_its_last_id(odoo):
    emulator = odoo.emulator
    records = sorted(r["id"] for r in emulator.records(PAYMENT))
    # The first ids dense, the rest mostly gone: ranges sized for the average overflow.
    for record_id in records[20:]:
        if record_id % 10:
            emulator.delete(PAYMENT, record_id)
    left = sorted(r["id"] for r in emulator.records(PAYMENT))
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert ids_of(got) == left
    continued = [d for d in searches(calls)[1:-1] if d[0][1] == ">"]
    assert continued and all(len(d) == 2 and d[1][1] == "<" for d in continued)


def test_a_model_whose_ids_start_high_costs_no_range_below_them(odoo):
    emulator = odoo.emulator
    records = sorted(r["id"] for r in emulator.records(PAYMENT))
    for record_id in records[:50]:
        emulator.delete(PAYMENT, record_id)
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert ids_of(got) == records[50:]
    first = searches(calls)[0]
    assert first == []  # the first page starts at the lowest id, whatever it is
    ranges = searches(calls)[1:-1]
    assert min(d[0][2] for d in ranges) == records[50 + PAGE]
    assert len(ranges) == math.ceil(len(records[50 + PAGE :]) / PAGE)


def test_an_empty_model_costs_the_opening_and_no_range(odoo):
    for record in odoo.emulator.records(PAYMENT):
        odoo.emulator.delete(PAYMENT, record["id"])
    got, calls = read(odoo, PAYMENT, AHEAD)
    assert got == []
    assert all(call in OPENING for call in opening(calls)) and len(calls) <= 3
    assert searches(calls) == [[]]


def test_records_created_while_the_ranges_are_read_are_read_too(odoo):
    emulator = odoo.emulator
    before = sorted(r["id"] for r in emulator.records(PAYMENT))
    created = []

    def create(pages_received: int) -> None:
        # From the second page on, the opening has been answered: the highest id is known.
        if pages_received in (2, 5):
            moment = datetime(2026, 11, 20, 15, pages_received, tzinfo=UTC)
            created.append(emulator.create(PAYMENT, moment, name=f"PBR/NEW/{pages_received}"))

    got, calls = read(odoo, PAYMENT, AHEAD, during=create)
    assert created == [before[-1] + 1, before[-1] + 2]
    assert ids_of(got) == before + created
    assert searches(calls)[-1] == [["id", ">", before[-1]]]


def test_a_windowed_read_is_never_read_in_id_ranges(odoo):
    day = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    plain, plain_calls = read(odoo, PAYMENT, 0, day)
    ahead, ahead_calls = read(odoo, PAYMENT, AHEAD, day)
    assert sorted(ids_of(ahead)) == sorted(ids_of(plain)) and len(plain) > 2
    # By `write_date`, in slices when threads are free (test_slices.py), never by id.
    orders = {"write_date asc, id asc", "write_date desc, id desc"}
    for calls in (plain_calls, ahead_calls):
        assert {c.arguments["order"] for c in calls} <= orders
    # The default reads a full sync by `write_date` too.
    _, full_calls = read(odoo, PAYMENT, 0)
    assert {c.method for c in full_calls} == {"search_read"}
    assert {c.arguments["order"] for c in full_calls} <= orders


def test_a_windowed_run_asks_for_nothing_ahead(odoo, sqlite_warehouse):
    odoo.emulator.latency = 0.05
    odoo.run(sqlite_warehouse, partition=str(ANCHOR), streams=["payment"],
             prefetch_pages=PREFETCH)  # fmt: skip
    assert odoo.emulator.most_in_flight == 1


def test_ranges_requested_ahead_are_in_flight_together(odoo, sqlite_warehouse):
    emulator = odoo.emulator
    emulator.latency = 0.1
    # One stream, its one page-work thread reading ahead: no thread to read slices with.
    odoo.run(sqlite_warehouse, tags=FULL, streams=["payment"], max_concurrent_streams=1)
    assert emulator.most_in_flight == 1
    plain = emulator.count()
    emulator.reset_log()
    odoo.run(sqlite_warehouse, tags=FULL, streams=["payment"], prefetch_pages=PREFETCH)
    assert emulator.most_in_flight == AHEAD + 1
    # The rate budget still counts every request: a few more than the keyset's.
    assert plain < emulator.count() <= plain + 4


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"status": 500}, "still failing after 1 attempts"),
        ({"status": 200, "body": '{"records": []}', "content_type": "application/json"},
         "not a list"),
    ],
    ids=["500", "not-a-list"],
)  # fmt: skip
def test_a_range_failing_for_good_stops_the_stream_keeping_the_ranges_before_it(
    make_odoo, sqlite_warehouse, fault, says
):
    running = make_odoo(version=19)
    path = f"/json/2/{PAYMENT}/search_read"
    # The seventh search_read fails: it is sent once the first page and two ranges are read.
    running.emulator.stall(0, times=6, path_prefix=path)
    running.emulator.inject(times=1, path_prefix=path, **fault)
    failed = running.run(sqlite_warehouse, tags=FULL, streams=["payment"], max_attempts=1,
                         prefetch_pages=PREFETCH, raise_on_error=False)  # fmt: skip
    assert not failed.success
    assert says in failure_text(failed) and "account.payment" in failure_text(failed)
    records = sorted(r["id"] for r in running.emulator.records(PAYMENT))
    kept = sorted(r["id"] for r in sqlite_warehouse.rows("odoo_payment"))
    assert len(kept) >= 3 * PAGE
    assert kept == records[: len(kept)], "whole ranges, in order, before the failed one"

    again = running.run(sqlite_warehouse, tags=FULL, streams=["payment"],
                        prefetch_pages=PREFETCH)  # fmt: skip
    assert again.success
    assert sorted(r["id"] for r in sqlite_warehouse.rows("odoo_payment")) == records
