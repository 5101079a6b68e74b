"""Read ahead: the next pages of a stream are fetched while the last one is written.

A stream's pages come from a generator that waits on the network; writing a page
waits on the database. `read_ahead` runs the generator in a thread of its own, at
most `depth` pages ahead of the consumer, so the two waits overlap while memory
stays bounded (the pages queued, the one being fetched and the one being written).
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_END = object()
# How often a producer blocked on a full queue checks whether the consumer has gone.
_POLL_SECONDS = 0.1


@dataclass
class Waits:
    """Seconds the consumer spent waiting for the next page (that is, for the API)."""

    seconds: float = 0.0


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@contextmanager
def read_ahead(pages: Iterator[T], depth: int, *, name: str) -> Iterator[Iterator[T]]:
    """Yield an iterator over `pages` that a background thread fills `depth` pages ahead.

    With `depth` 0 the pages are read in the caller's thread, one at a time, as
    before. An exception raised while fetching is raised by the iterator, at the
    page where it happened, after every page fetched before it. Leaving the block
    (normally, or because writing failed) stops the fetching thread, closes `pages`
    in it and waits for it, so no request is sent for the stream afterwards.
    The iterator's `waits` attribute counts the time spent waiting for pages.
    """
    if depth <= 0:
        yield _Timed(iter(pages))
        return
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    # In a copy of the consumer's context: what it set (whose requests are counted) holds.
    context = contextvars.copy_context()
    worker = threading.Thread(
        target=context.run, args=(_produce, pages, slots, stop), name=f"read-ahead:{name}",
        daemon=True,
    )  # fmt: skip
    worker.start()
    try:
        yield _Consumed(slots)
    finally:
        stop.set()
        _drain(slots)
        worker.join()


def _produce(pages: Iterator[Any], slots: queue.Queue, stop: threading.Event) -> None:
    try:
        for page in pages:
            if not _put(slots, page, stop):
                return
        _put(slots, _END, stop)
    except BaseException as exc:  # handed to the consumer, which raises it
        _put(slots, _Failed(exc), stop)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def _put(slots: queue.Queue, item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            slots.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _drain(slots: queue.Queue) -> None:
    while True:
        try:
            slots.get_nowait()
        except queue.Empty:
            return


class _Consumed:
    def __init__(self, slots: queue.Queue):
        self._slots = slots
        self._done = False
        self.waits = Waits()

    def __iter__(self) -> _Consumed:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        started = time.monotonic()
        item = self._take()
        self.waits.seconds += time.monotonic() - started
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, _Failed):
            self._done = True
            raise item.error
        return item

    def _take(self) -> Any:
        # In short slices: a run's cancellation is raised in this thread by Dagster, and
        # a lock wait without timeout would not see it until the next page arrived.
        while True:
            try:
                return self._slots.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue


class _Timed:
    def __init__(self, pages: Iterator[Any]):
        self._pages = pages
        self.waits = Waits()

    def __iter__(self) -> _Timed:
        return self

    def __next__(self) -> Any:
        started = time.monotonic()
        try:
            return next(self._pages)
        finally:
            self.waits.seconds += time.monotonic() - started
