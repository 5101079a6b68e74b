"""A list read as time slices side by side hands over what a sequential read does:
every record once, edges and empty stretches included, within a few requests more."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from crm_assets.core.http import ApiError
from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.slices import MOST_SLICES, TimeList, sliced_pages
from crm_assets.core.sync.workers import Concurrency, Workers

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVERYTHING = Window(None, None)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


class TimeVendor:
    """Records sorted by (update time, id), paged by a keyset cursor and filtered by
    `since <= t < until`, as Pipedrive's v2 lists are."""

    def __init__(self, times: list[int], page_size: int = 10):
        self.updated = {n + 1: at(t) for n, t in enumerate(times)}
        self.page_size = page_size
        self.asked: Counter[tuple] = Counter()
        self.lock = threading.Lock()
        self.fail_at: tuple | None = None
        self.after_page: list = []

    def page(self, window: Window, cursor) -> tuple[list[dict], tuple | None]:
        asked = (window.start, window.end, cursor)
        with self.lock:
            self.asked[asked] += 1
            if asked == self.fail_at:
                raise ApiError("HTTP 500 (the vendor failed this page)")
            rows = sorted((t, i) for i, t in self.updated.items() if _inside(t, window))
            if cursor is not None:
                rows = [row for row in rows if row >= cursor]
            page = rows[: self.page_size]
            following = rows[self.page_size] if len(rows) > self.page_size else None
            for change in self.after_page:
                change(self)
        return [{"id": i, "updated": t} for t, i in page], following

    def newest(self, window: Window) -> list[dict]:
        with self.lock:
            self.asked[("newest",)] += 1
            rows = sorted(((t, i) for i, t in self.updated.items() if _inside(t, window)))
        return [{"id": i, "updated": t} for t, i in reversed(rows[-self.page_size :])]

    def listing(self) -> TimeList:
        return TimeList(
            page=self.page, updated=lambda r: r["updated"], newest=self.newest,
            key=lambda r: r["id"], what="test list",
        )  # fmt: skip

    def requests(self) -> int:
        return sum(self.asked.values())


def _inside(moment: datetime, window: Window) -> bool:
    return (window.start is None or moment >= window.start) and (
        window.end is None or moment < window.end
    )


def read(vendor: TimeVendor, window: Window = EVERYTHING, *, threads: int = 3):
    """The pages handed over, read inside a run with `threads` threads free (0: none)."""
    with Workers(Concurrency(streams=1, prefetch=threads)) as workers, workers.as_current():
        return list(sliced_pages(vendor.listing(), window))


def cut(vendor: TimeVendor) -> list[tuple]:
    """The pages asked for of slices cut off (those asked with a start of their own)."""
    return [key for key in vendor.asked if len(key) == 3 and key[0] is not None]


def ids(pages) -> list[int]:
    return [record["id"] for page in pages for record in page]


# Times with many records on one second (straddling pages and edges), long empty
# stretches, and a dense recent end, as a CRM's update times are.
LAYOUTS = {
    "even": list(range(0, 3000, 10)),
    "skewed": [n * n // 40 for n in range(300)],
    "same seconds": [100 * (n // 25) for n in range(300)],
    "gaps": [*range(0, 50), *range(100_000, 100_100), *range(900_000, 900_150)],
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_slices_hand_over_every_record_once_as_a_sequential_read(layout):
    sequential, sliced = TimeVendor(LAYOUTS[layout]), TimeVendor(LAYOUTS[layout])
    alone = ids(read(sequential, threads=0))
    together = ids(read(sliced, threads=3))
    assert sorted(alone) == sorted(together) == sorted(sequential.updated)
    assert len(together) == len(set(together))
    # Slices were cut, and each cut costs about a page more, plus the newest time.
    assert cut(sliced)
    assert sliced.requests() <= sequential.requests() + MOST_SLICES


def test_a_window_is_read_within_its_edges_only():
    vendor = TimeVendor(list(range(0, 3000, 5)))
    window = Window(at(500), at(2500))
    got = ids(read(vendor, window))
    assert sorted(got) == [i for i, t in vendor.updated.items() if at(500) <= t < at(2500)]
    assert cut(vendor)


def test_a_window_ending_long_after_its_newest_record_is_cut_where_the_records_are():
    # As today's window, which ends tomorrow: halving the time left would cut slices
    # where nothing is yet, and leave the first slice every page to read.
    vendor = TimeVendor(LAYOUTS["even"])
    window = Window(at(0), at(86_400))
    assert sorted(ids(read(vendor, window))) == sorted(vendor.updated)
    edges = {key[0] for key in vendor.asked if len(key) == 3 and key[0] != at(0)}
    assert edges and max(edges) <= max(vendor.updated.values())


def test_a_list_of_one_page_costs_one_request():
    vendor = TimeVendor(list(range(8)))
    assert ids(read(vendor)) == list(range(1, 9))
    assert vendor.requests() == 1


def test_with_no_thread_free_the_list_is_one_cursor_and_costs_nothing_more():
    vendor = TimeVendor(LAYOUTS["even"])
    assert ids(read(vendor, threads=0)) == list(range(1, 301))
    assert vendor.requests() == 30


def test_a_record_updated_during_the_read_is_never_handed_over_older_after_newer():
    vendor = TimeVendor(LAYOUTS["even"])
    moved: list[int] = []

    def move_the_oldest_once_cut(vendor: TimeVendor) -> None:
        # Once a slice past the first is read, the oldest record is edited: it
        # leaves the first slice for the newest one.
        if not moved and cut(vendor):
            vendor.updated[1] = at(3000)
            moved.append(1)

    vendor.after_page.append(move_the_oldest_once_cut)
    pages = read(vendor)
    assert moved
    handed = [(r["id"], r["updated"]) for page in pages for r in page]
    assert sorted({i for i, _ in handed}) == list(range(1, 301))
    versions = [t for i, t in handed if i == 1]
    # Read once, or its old version then its new one: what is written last is newest.
    assert versions == sorted(versions) and len(versions) <= 2
    assert all(n == 1 for i, n in Counter(i for i, _ in handed).items() if i != 1)


def test_a_failing_slice_fails_the_read_and_stops_the_others():
    vendor = TimeVendor(LAYOUTS["even"])
    # The first page of the first slice cut, which is cut right after the list's first
    # page (threads are free from the start): the same in every read.
    probe = TimeVendor(LAYOUTS["even"])
    read(probe)
    vendor.fail_at = cut(probe)[0]
    with pytest.raises(ApiError, match="failed this page"):
        read(vendor)
    # Read again, as the next run does: every record, once.
    vendor.fail_at = None
    again = ids(read(vendor))
    assert sorted(again) == list(range(1, 301)) and len(again) == len(set(again))
