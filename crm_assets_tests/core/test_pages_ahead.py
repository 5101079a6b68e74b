"""Pages asked for ahead of the one awaited, on the run's workers: the same pages, in
order, nothing dropped, and no more on their way than the run allows."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from crm_assets.core.http import ApiError
from crm_assets.core.sync.pagination import numbered_pages, offset_pages, pages_at
from crm_assets.core.sync.workers import Concurrency, Workers

ITEMS = [{"id": n} for n in range(1, 1235)]


@contextmanager
def run_asking(ahead: int, streams: int = 1) -> Iterator[Workers]:
    """Inside a run whose lists ask for `ahead` pages beside the one awaited."""
    with Workers(Concurrency(streams, prefetch=ahead + 1)) as workers, workers.as_current():
        yield workers


class OffsetVendor:
    """Offset pages of ITEMS that trim some pages yet announce the full step."""

    def __init__(self, step: int, trimmed: set[int]):
        self.step, self.trimmed = step, trimmed
        self.asked: Counter[int] = Counter()
        self.lock = threading.Lock()

    def page(self, start: int) -> tuple[list[dict], int | None]:
        with self.lock:
            self.asked[start] += 1
        items = ITEMS[start : start + self.step]
        if start in self.trimmed:
            items = items[: self.step // 2]
        following = start + self.step
        return items, following if following < len(ITEMS) else None


@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_offset_pages_ahead_yield_every_item_once_in_order(ahead):
    vendor = OffsetVendor(step=100, trimmed={300, 650})
    with run_asking(ahead):
        pages = list(offset_pages(vendor.page, what="test", step=100))
    # A trimmed page is followed by the rest of its step: nothing is skipped.
    assert [item for page in pages for item in page] == ITEMS
    assert all(count == 1 for count in vendor.asked.values())
    read = [start for start in vendor.asked if start < len(ITEMS)]
    past_the_end = len(vendor.asked) - len(read)
    assert past_the_end <= ahead


def test_offset_pages_ahead_read_on_from_the_offset_the_vendor_announces():
    vendor = OffsetVendor(step=100, trimmed={300})
    with run_asking(2):
        starts = [page[0]["id"] - 1 for page in offset_pages(vendor.page, what="test", step=100)]
    # Page 300 held 50 items: the next page starts at 350, not at the 400 asked ahead.
    assert starts[:5] == [0, 100, 200, 300, 350]
    assert vendor.asked[350] == 1


class NumberedVendor:
    def __init__(self, pages: int, size: int = 10, repeat_from: int | None = None):
        self.pages, self.size, self.repeat_from = pages, size, repeat_from
        self.asked: Counter[int] = Counter()
        self.lock = threading.Lock()

    def page(self, number: int) -> list[dict]:
        with self.lock:
            self.asked[number] += 1
        if self.repeat_from and number >= self.repeat_from:
            number = self.repeat_from
        if number > self.pages:
            return []
        first = (number - 1) * self.size
        return [{"id": first + n} for n in range(1, self.size + 1)]


@pytest.mark.parametrize("ahead", [0, 2])
def test_numbered_pages_ahead_end_on_the_empty_page(ahead):
    vendor = NumberedVendor(pages=7)
    with run_asking(ahead):
        pages = list(numbered_pages(vendor.page, what="test"))
    assert [page[0]["id"] for page in pages] == [1 + 10 * n for n in range(7)]
    assert set(range(1, 9)) <= set(vendor.asked) <= set(range(1, 9 + ahead))
    assert all(count == 1 for count in vendor.asked.values())


def test_numbered_pages_ahead_still_stop_on_a_repeated_page():
    vendor = NumberedVendor(pages=50, repeat_from=3)
    with run_asking(3), pytest.raises(ApiError, match="page 4 repeats page 3"):
        list(numbered_pages(vendor.page, what="test"))


def test_an_error_past_the_end_of_the_list_is_not_the_lists_error():
    def page(number: int) -> list[dict]:
        if number > 3:
            raise ApiError("past the end")
        return [{"id": number}] if number < 3 else []

    with run_asking(2):
        assert len(list(numbered_pages(page, what="test"))) == 2


class KeyedVendor:
    """Pages by key, each answered after a short wait, counting the requests in flight.

    With `meet`, the first requests wait (up to a second) until that many are in
    flight, so that a busy machine's slow threads cannot hide what the client asks for
    side by side; a client that never sends that many fails the count, a second late.
    """

    def __init__(self, fail: int | None = None, meet: int = 1):
        self.fail = fail
        self.meet = meet
        self.asked: Counter[int] = Counter()
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Condition()

    def page(self, key: int) -> list[int]:
        with self.lock:
            self.asked[key] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most_in_flight >= self.meet, timeout=1.0)
        try:
            time.sleep(0.01)
            if key == self.fail:
                raise ApiError(f"page {key} failed")
            return [key]
        finally:
            with self.lock:
                self.in_flight -= 1


# (prefetch_pages, requests side by side): known keys are asked for ahead by default,
# since none is past the last; prefetch_pages 0 asks one at a time.
@pytest.mark.parametrize(("prefetch", "side_by_side"), [(0, 1), (1, 2), (2, 2), (4, 4)])
def test_pages_at_known_keys_are_read_once_in_order_and_none_past_the_last(prefetch, side_by_side):
    vendor = KeyedVendor(meet=side_by_side)
    keys = [10, 3, 7, 50, 21, 8, 9]
    with Workers(Concurrency(1, prefetch=prefetch)) as workers, workers.as_current():
        pages = list(pages_at(vendor.page, keys))
    assert pages == [(key, [key]) for key in keys]
    assert vendor.asked == Counter(keys)
    assert vendor.most_in_flight == side_by_side


def test_pages_at_raise_a_failed_page_at_its_turn_after_the_pages_before_it():
    vendor = KeyedVendor(fail=4)
    read = []
    with run_asking(3), pytest.raises(ApiError, match="page 4 failed"):
        for key, _ in pages_at(vendor.page, range(1, 10)):
            read.append(key)
    assert read == [1, 2, 3]
    assert set(vendor.asked) <= set(range(1, 8))  # nothing asked for once page 4 failed


def test_pages_at_left_early_ask_for_nothing_more():
    vendor = KeyedVendor()
    with run_asking(2):
        pages = pages_at(vendor.page, range(1, 100))
        assert [next(pages)[0] for _ in range(3)] == [1, 2, 3]
        pages.close()
    asked = sum(vendor.asked.values())
    assert asked <= 5
    time.sleep(0.05)
    assert sum(vendor.asked.values()) == asked


def test_pages_ahead_without_a_free_thread_are_asked_for_at_their_turn():
    # Two lists read by one task share the run's page threads (one stream's worth, 4):
    # what finds no thread is asked for by the task at its turn, and both lists still
    # read every page once, in order.
    vendor = KeyedVendor()
    with run_asking(3):
        lists = [pages_at(vendor.page, range(1, 30)), pages_at(vendor.page, range(101, 130))]
        read: list[list[int]] = [[], []]
        for _ in range(29):
            for index, pages in enumerate(lists):
                read[index].append(next(pages)[0])
    assert read == [list(range(1, 30)), list(range(101, 130))]
    assert vendor.asked == Counter([*range(1, 30), *range(101, 130)])
    # The task's own request and the 4 page threads': never more, however many are asked.
    assert 2 < vendor.most_in_flight <= 1 + 4


def test_outside_a_run_pages_are_asked_for_one_at_a_time():
    vendor = KeyedVendor()
    assert [key for key, _ in pages_at(vendor.page, range(1, 8))] == list(range(1, 8))
    assert vendor.most_in_flight == 1
