"""Read ahead: a stream's next pages are fetched while the last one is written.

A stream's pages come from a generator that waits on the network; writing a page
waits on the database. `read_ahead` runs the generator as page work of the run's
workers (`workers.Workers.offer`), at most `Concurrency.prefetch` pages ahead of the
writer, so the two waits overlap while memory stays bounded (the pages waiting, the
one being fetched and the one being written). With a prefetch of 0, or no thread
free, the writer fetches each page itself.

Either way the pages stop at a page boundary once the run stops: the workers'
checkpoint runs before each page is handed over, and before the end is.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crm_assets.core.sync.workers import Workers

T = TypeVar("T")

_END = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@contextmanager
def read_ahead(pages: Iterator[T], workers: Workers) -> Iterator[Pages[T]]:
    """Yield the `pages`, in order, fetched ahead of the caller by `workers`.

    An exception raised while fetching is raised at the page where it happened, after
    every page fetched before it. Leaving the block (normally, or because writing
    failed) stops the fetching, closes `pages` and waits for the page work, so no
    request is sent for the stream afterwards.
    """
    depth = workers.concurrency.prefetch
    waiting = _Waiting(depth) if depth > 0 else None
    fetching = workers.offer(_fetch, pages, waiting) if waiting is not None else None
    if fetching is None or waiting is None:
        try:
            yield Pages(lambda: next(pages), workers)
        finally:
            _close(pages)
        return
    try:
        yield Pages(waiting.take, workers)
    finally:
        waiting.close()
        wait([fetching])


class Pages(Generic[T]):
    """A stream's pages, in order; `waiting` is the seconds spent waiting for them."""

    def __init__(self, take: Callable[[], Any], workers: Workers):
        self._take, self._workers = take, workers
        self._done = False
        self.waiting = 0.0

    def __iter__(self) -> Pages[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        started = time.monotonic()
        try:
            page = self._take()
        except StopIteration:
            page = _END
        finally:
            self.waiting += time.monotonic() - started
        if isinstance(page, _Failed):
            self._done = True
            raise page.error
        self._workers.checkpoint()
        if page is _END:
            self._done = True
            raise StopIteration
        return page


def _fetch(pages: Iterator[Any], waiting: _Waiting) -> None:
    try:
        for page in pages:
            if not waiting.put(page):
                return
        waiting.put(_END)
    except BaseException as exc:  # handed to the writer, which raises it
        waiting.put(_Failed(exc))
    finally:
        _close(pages)


def _close(pages: Iterator[Any]) -> None:
    close = getattr(pages, "close", None)
    if close is not None:
        close()


class _Waiting:
    """Pages fetched and not yet taken by the writer: at most `depth` of them."""

    def __init__(self, depth: int):
        self._depth = depth
        self._pages: deque[Any] = deque()
        self._closed = False
        self._changed = threading.Condition()

    def put(self, page: Any) -> bool:
        """Add `page` once there is room; False when the writer has left."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or len(self._pages) < self._depth)
            if self._closed:
                return False
            self._pages.append(page)
            self._changed.notify_all()
            return True

    def take(self) -> Any:
        """The next page, once fetched (the end and a failure come as pages too)."""
        with self._changed:
            self._changed.wait_for(lambda: self._pages)
            page = self._pages.popleft()
            self._changed.notify_all()
            return page

    def close(self) -> None:
        """The writer has left: drop what waits, and take no more."""
        with self._changed:
            self._closed = True
            self._pages.clear()
            self._changed.notify_all()
