"""One list read as time slices at once: a long list costs round trips at the rate
budget's pace, not one page after another.

A cursor-paged list sorted by update time can only be read one page at a time, each
page waiting for the cursor of the one before. Where the API filters the list by
update time (`since <= t < until`), the rest of a slice can be cut off as a new
slice with a cursor of its own, read side by side as page work of the run's workers
(`workers.Workers.offer`), inside the source's one rate limiter.

The slices are cut as the list is read, from what its pages tell, and only when a
thread is free to read one (a list read alone, or the last streams of a run): a run
whose threads are all busy reads each list as one sequential cursor, and costs no
request more.

- The list is read from its first page on, as a sequential read is: a list of one
  page costs one request.
- While the list is read, whenever the workers have a thread free and fewer than
  `MOST_SLICES` slices were cut, the slice with the most pages left is cut in two
  where about half of them are left to read. It keeps the first half and stops at
  its new end; the second half is read with the list narrowed to it. The pages left
  are estimated from the density of update times in the slice's own pages and in
  the window's newest page (one request, sorted descending, asked for once the list
  looks longer than a page more), up to the newest record; the slice of the newest
  records still ends where the window does (or stays open, when the window is), so
  a record updated during the read is still read.
- Edges are whole seconds (the resolution of the vendors' filters), and slices are
  half open: a record on an edge belongs to the slice that starts there.

The cost over a sequential read is a partial last page per slice cut and the one
request for the newest page: at most `MOST_SLICES` more.

Where a slice stops is decided by the caller's thread, page by page, as it takes the
pages: a page a slice read past its new end loses the records past it, and the slice
reads no more. Memory stays bounded: at most `WAITING_PAGES` pages wait for the
caller, and each slice holds the one it is handing over.

A record updated while the list is read moves to a later slice (its new update time)
and may be read twice: in its old slice before the move, and in its new one after.
A record read from a later slice is the newer version, so a later read of it from an
earlier slice (pages arrive from the slices in no set order) is dropped, and the
newer version stays written. Either way the next run reads it, as it reads every
record updated in its window.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_assets.core.http import ApiError
from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.workers import Workers, current_workers

Record = dict[str, Any]
# (window, cursor or None for the window's first page) -> (records, next cursor or None)
GetPage = Callable[[Window, Any], tuple[list[Record], Any]]

MOST_SLICES = 4
# A slice is cut in two only when each half holds about this many pages or more.
PAGES_PER_SLICE = 2
WAITING_PAGES = 2
SECOND = timedelta(seconds=1)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TimeList:
    """A list filtered by update time, as the slices read it.

    `page(window, cursor)` is one page of the list narrowed to `window` (its first
    with `cursor` None), sorted ascending by update time; `updated(record)` is a
    record's update time (aware); `newest(window)` the window's newest page (sorted
    descending, a page's worth of records); `key(record)` identifies a record."""

    page: GetPage
    updated: Callable[[Record], datetime]
    newest: Callable[[Window], list[Record]]
    key: Callable[[Record], Hashable]
    what: str


def sliced_pages(source: TimeList, window: Window) -> Iterator[list[Record]]:
    """Yield every record of `source` in `window` (see the module for a record
    updated during the read), in pages, cutting slices to read side by side while
    the run's workers have threads free."""
    yield from _Reading(source, window, current_workers()).pages()


@dataclass(eq=False)
class _Slice:
    """The records of `asked` from `start` (inclusive) to `end` (exclusive)."""

    start: datetime
    end: datetime | None
    asked: Window
    # Read by the caller: how far the slice got, and how many records it read.
    reached: datetime | None = None
    first: datetime | None = None
    records: int = 0
    largest_page: int = 0
    # Whether the last page read names a next one (set by the thread reading it).
    more: bool = True
    done: bool = False
    # Set by the caller once the slice is to read no more.
    stop: threading.Event = field(default_factory=threading.Event)

    def density(self) -> float:
        """Records per second of update time in what the slice read so far."""
        return self.records / max((self.reached - self.first).total_seconds(), 1.0)


@dataclass(frozen=True)
class _Newest:
    """The window's newest update time and the density of records just before it."""

    time: datetime
    density: float


_END = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Reading:
    """One list's slices, their pages handed to one caller (the thread of `pages`)."""

    def __init__(self, source: TimeList, window: Window, workers: Workers):
        self.source, self.window, self.workers = source, window, workers
        self.slices = [_Slice(window.start or _EARLIEST, window.end, window)]
        self.newest: _Newest | None = None
        self.waiting: deque[tuple[_Slice, Any]] = deque()
        self.changed = threading.Condition()
        self.closed = False
        self.running: list[Future] = []
        # The start of the slice each record was last read from, for records read
        # from a slice cut off (the later the start, the newer the version).
        self.read_from: dict[Hashable, datetime] = {}

    def pages(self) -> Iterator[list[Record]]:
        first = self.slices[0]
        inline: Iterator[Any] | None = self._read(first)
        try:
            while inline is not None or self._unfinished():
                self._cut()
                taken = self._take(block=inline is None)
                if taken is None and inline is not None:
                    taken = (first, next(inline, _END))
                    if taken[1] is _END:
                        inline = None
                if taken is not None and (kept := self._accept(*taken)):
                    yield kept
                self.workers.checkpoint()
        finally:
            for piece in self.slices:
                piece.stop.set()
            with self.changed:
                self.closed = True
                self.waiting.clear()
                self.changed.notify_all()
            wait(self.running)

    # -- the caller's side --------------------------------------------------------------

    def _accept(self, piece: _Slice, page: Any) -> list[Record]:
        """The records of `page` to hand over: those before the slice's end, not read
        in a newer version from a later slice. A page reaching the end ends the slice."""
        if isinstance(page, _Failed):
            raise page.error
        if piece.done:
            return []
        if page is _END:
            piece.done = True
            return []
        updated, end = self.source.updated, piece.end
        if end is not None and page and updated(page[-1]) >= end:
            page = [record for record in page if updated(record) < end]
            piece.done = True
            piece.stop.set()
        piece.largest_page = max(piece.largest_page, len(page))
        if page:
            piece.first = piece.first or updated(page[0])
            piece.reached = updated(page[-1])
            piece.records += len(page)
        if len(self.slices) == 1:
            return page  # one cursor: nothing read from a later slice
        # The first slice's reads need no note: no slice starts earlier to read them.
        noting = piece is not self.slices[0]
        kept = []
        for record in page:
            key = self.source.key(record)
            if self.read_from.get(key, piece.start) <= piece.start:
                if noting:
                    self.read_from[key] = piece.start
                kept.append(record)
        return kept

    def _cut(self) -> None:
        """Cut the slice with the most pages left in two, when a thread is free."""
        if len(self.slices) >= MOST_SLICES or not self.workers.idle():
            return
        reading = [s for s in self.slices if not s.done and s.more and s.reached is not None]
        if not reading or self.newest is None and not self._find_newest(reading):
            return
        plans = [(self._plan(s), s) for s in reading]
        (pages, edge), widest = max(plans, key=lambda plan: plan[0][0])
        if edge is None or pages < 2 * PAGES_PER_SLICE:
            return
        cut = _Slice(edge, widest.end, Window(edge, widest.end))
        started = self.workers.offer(self._run, cut)
        if started is None:
            return
        widest.end = edge
        self.slices.append(cut)
        self.running.append(started)

    def _plan(self, piece: _Slice) -> tuple[float, datetime | None]:
        """The pages the slice has left to read, and the edge halving them.

        The density of update times is taken to change linearly from what the slice
        read so far to what the window's newest page shows: a CRM's records are
        mostly recent, so an edge halfway in time would leave most pages after it.
        Nothing is counted past the window's newest record: a window that ends later
        (today's, which ends tomorrow) would put every edge where nothing is yet."""
        newest, start = self.newest, piece.reached
        upper = newest.time + SECOND
        if piece.end is not None:
            upper = min(piece.end, upper)
        span = (upper - start).total_seconds()
        if span <= 1 or not piece.largest_page:
            return 0.0, None
        near = piece.density()
        towards = max((newest.time - start).total_seconds(), span)
        far = near + (newest.density - near) * span / towards
        pages = (near + far) / 2 * span / piece.largest_page
        # Where the records counted from `start` reach half of those to `upper`.
        a, b, c = (far - near) / 2, near, (near + far) / 4
        x = c / b if abs(a) < 1e-12 else (-b + math.sqrt(b * b + 4 * a * c)) / (2 * a)
        edge = (start + timedelta(seconds=x * span)).replace(microsecond=0)
        return pages, edge if start < edge < upper else None

    def _find_newest(self, reading: list[_Slice]) -> bool:
        """Ask for the window's newest page, once a slice read so far looks to have a
        page or more left before the window's end (or now) at its own density: a list
        that ends soon costs no request for it."""
        until = self.window.end or datetime.now(UTC)
        if not any(
            s.largest_page and s.density() * (until - s.reached).total_seconds() >= s.largest_page
            for s in reading
        ):
            return False
        page = self.source.newest(self.window)
        if not page:
            return False
        updated = self.source.updated
        first, last = updated(page[0]), updated(page[-1])
        self.newest = _Newest(first, len(page) / max((first - last).total_seconds(), 1.0))
        return True

    def _unfinished(self) -> bool:
        with self.changed:
            return bool(self.waiting) or any(not f.done() for f in self.running)

    def _take(self, *, block: bool) -> tuple[_Slice, Any] | None:
        with self.changed:
            if block:
                self.changed.wait_for(
                    lambda: self.waiting or all(f.done() for f in self.running), timeout=0.05
                )
            if not self.waiting:
                return None
            taken = self.waiting.popleft()
            self.changed.notify_all()
            return taken

    # -- the slices' side ---------------------------------------------------------------

    def _read(self, piece: _Slice) -> Iterator[list[Record]]:
        """The slice's pages until its end (read without a lock: it only moves
        earlier, and the caller drops what a page holds past it)."""
        cursor, seen = None, set()
        while not piece.stop.is_set():
            records, cursor = self.source.page(piece.asked, cursor)
            piece.more = bool(cursor)
            yield records
            end = piece.end
            if (
                not cursor
                or end is not None
                and records
                and self.source.updated(records[-1]) >= end
            ):
                return
            if cursor in seen:
                raise ApiError(
                    f"{self.source.what}: the API returned a cursor it had already returned."
                )
            seen.add(cursor)

    def _run(self, piece: _Slice) -> None:
        try:
            for page in self._read(piece):
                self.workers.checkpoint()
                if not self._put(piece, page):
                    return
            self._put(piece, _END)
        except BaseException as exc:  # handed to the caller, which raises it
            self._put(piece, _Failed(exc))

    def _put(self, piece: _Slice, page: Any) -> bool:
        with self.changed:
            self.changed.wait_for(lambda: self.closed or len(self.waiting) < WAITING_PAGES)
            if self.closed:
                return False
            self.waiting.append((piece, page))
            self.changed.notify_all()
            return True
