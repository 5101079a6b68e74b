"""Reading pages ahead in a thread: order, errors, bounded depth, and a clean stop."""

from __future__ import annotations

import threading
import time

import pytest

from crm_assets.core.sync.prefetch import read_ahead


class Source:
    """A page generator that records how far it got and whether it was closed."""

    def __init__(self, pages: int, fail_at: int | None = None):
        self.pages, self.fail_at = pages, fail_at
        self.produced = 0
        self.closed = threading.Event()
        self.thread_names: set[str] = set()

    def __iter__(self):
        try:
            for number in range(self.pages):
                self.thread_names.add(threading.current_thread().name)
                if number == self.fail_at:
                    raise ValueError(f"page {number} is broken")
                self.produced += 1
                yield [number]
        finally:
            self.closed.set()


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_pages_arrive_in_order_and_all_of_them(depth):
    source = Source(5)
    with read_ahead(iter(source), depth, name="t") as pages:
        assert [page[0] for page in pages] == [0, 1, 2, 3, 4]
    fetched_elsewhere = source.thread_names != {threading.current_thread().name}
    assert fetched_elsewhere == (depth > 0)


def test_an_error_comes_after_every_page_before_it():
    source = Source(5, fail_at=3)
    seen = []
    with (
        pytest.raises(ValueError, match="page 3 is broken"),
        read_ahead(iter(source), 2, name="t") as pages,
    ):
        for page in pages:
            seen.append(page[0])
    assert seen == [0, 1, 2]


def test_the_reader_stays_at_most_depth_pages_ahead():
    source = Source(50)
    with read_ahead(iter(source), 2, name="t") as pages:
        first = next(pages)
        time.sleep(0.3)  # ample time for a reader that would not stop
        # Two queued, one fetched and waiting for room, one handed out.
        assert first == [0] and source.produced <= 4


def test_leaving_early_stops_the_reader_and_closes_the_pages():
    source = Source(1000)
    with read_ahead(iter(source), 1, name="t") as pages:
        next(pages)
    assert source.closed.is_set()
    produced = source.produced
    time.sleep(0.2)
    assert source.produced == produced < 10
    assert not [t for t in threading.enumerate() if t.name == "read-ahead:t"]


def test_the_wait_for_pages_is_counted():
    def slow():
        for number in range(3):
            time.sleep(0.05)
            yield [number]

    with read_ahead(slow(), 1, name="t") as pages:
        list(pages)
    assert pages.waits.seconds >= 0.1
