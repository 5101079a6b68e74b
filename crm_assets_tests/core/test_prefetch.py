"""Reading pages ahead on the run's workers: order, errors, bounded depth, a clean stop,
and pages that stop at a page boundary when the run stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from crm_assets.core.sync.prefetch import read_ahead
from crm_assets.core.sync.workers import Concurrency, Stopped, Workers


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


@contextmanager
def ahead(source, depth: int, **options) -> Iterator:
    with (
        Workers(Concurrency(1, depth), **options) as workers,
        read_ahead(iter(source), workers) as pages,
    ):
        yield pages


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_pages_arrive_in_order_and_all_of_them(depth):
    source = Source(5)
    with ahead(source, depth) as pages:
        assert [page[0] for page in pages] == [0, 1, 2, 3, 4]
    fetched_elsewhere = source.thread_names != {threading.current_thread().name}
    assert fetched_elsewhere == (depth > 0)
    assert source.closed.is_set()


def test_an_error_comes_after_every_page_before_it():
    source = Source(5, fail_at=3)
    seen = []
    with pytest.raises(ValueError, match="page 3 is broken"), ahead(source, 2) as pages:
        for page in pages:
            seen.append(page[0])
    assert seen == [0, 1, 2]


def test_the_reader_stays_at_most_depth_pages_ahead():
    source = Source(50)
    with ahead(source, 2) as pages:
        first = next(pages)
        time.sleep(0.3)  # ample time for a reader that would not stop
        # Two waiting, one fetched and waiting for room, one handed out.
        assert first == [0] and source.produced <= 4


def test_leaving_early_stops_the_reader_and_closes_the_pages():
    source = Source(1000)
    with ahead(source, 1) as pages:
        next(pages)
    assert source.closed.is_set()  # closed in the reader's thread before leaving returned
    produced = source.produced
    time.sleep(0.2)
    assert source.produced == produced < 10


def test_the_wait_for_pages_is_counted():
    def slow():
        for number in range(3):
            time.sleep(0.05)
            yield [number]

    with ahead(slow(), 1) as pages:
        started = time.monotonic()
        list(pages)
        elapsed = time.monotonic() - started
    # The reader did nothing but wait, however the machine's load delayed either side.
    assert 0.9 * elapsed <= pages.waiting <= elapsed


@pytest.mark.parametrize("depth", [0, 2])
def test_pages_stop_at_a_page_boundary_once_a_check_fails(depth):
    source = Source(100)
    stop = threading.Event()

    def still_running() -> None:
        if stop.is_set():
            raise Stopped("the step is ending")

    seen = []
    with pytest.raises(Stopped), ahead(source, depth, checks=[still_running]) as pages:
        for page in pages:
            seen.append(page[0])
            if len(seen) == 3:
                stop.set()
    assert seen == [0, 1, 2]
    assert source.closed.is_set() and source.produced < 10
