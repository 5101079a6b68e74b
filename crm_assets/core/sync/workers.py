"""The run's one pool of threads: its streams side by side, and the pages each stream
fetches ahead of the one it writes.

`sync_source` makes one `Workers` for a run, and every thread the run's sync uses is
one of its threads, at most `Concurrency.width`:

- Lanes: up to `Concurrency.streams` threads kept for streams. Each takes the next
  group of streams when it ends one, so streams start as others end.
- Page work: a stream's read-ahead (`prefetch`), the pages of a list requested side
  by side (`pagination`) and the slices of a list read side by side (`slices`) are
  offered to the other threads (`offer`), and a lane's thread joins them once no
  stream is left for it. Work that finds
  no thread free is not queued: the offer is refused, and the task that made it does
  the work itself when it needs the result. No task ever waits for work queued behind
  other tasks, which is how a pool whose tasks wait on tasks of the same pool
  deadlocks.
- Context: every task runs in a copy of the context of the task that handed it over,
  so what a stream sets (whose requests the client counts, which run it is part of:
  `current_workers`) holds in its page work too.
- Stopping: `checkpoint`, run at every page boundary, raises `Stopped` once the run is
  stopping (a stream's failure ends it, or the caller stopped listening) and runs the
  run's checks (is the step ending, is the run's worker alive), so a stream stops
  between two pages, keeping what it wrote.

The thread that drives the run (Dagster's step, in the main thread) only waits for
outcomes, in short slices: Dagster stops a step by raising in that thread, which a
wait without a timeout would defer until the next stream ended.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from crm_assets.core.spec.streams import StreamSpec

T = TypeVar("T")

INTERRUPTIBLE_SECONDS = 0.02
FAILED = "stopped because another stream's failure ends the run"
LEFT = "stopped because the run is ending"


class Stopped(Exception):
    """A stream stopped part-way because the run is ending."""


@dataclass(frozen=True)
class Concurrency:
    """How much of a run happens at once: `streams` streams side by side, each fetching
    up to `prefetch` pages ahead of the page it writes (0: fetch, then write)."""

    streams: int = 4
    prefetch: int = 1

    @property
    def ahead(self) -> int:
        """Pages of a list requested beside the one awaited, where the list's pages can
        be named before the one before them arrives: `prefetch` requests at once."""
        return max(self.prefetch - 1, 0)

    @property
    def ahead_known(self) -> int:
        """Pages requested beside the one awaited where every page's address is known
        before the first is read (`pagination.pages_at`): as `ahead`, and 1 at the
        default `prefetch` of 1, since nothing is then asked for past the end."""
        return max(self.ahead, 1) if self.prefetch > 0 else 0

    @property
    def width(self) -> int:
        """Threads the run may use, each of which may send a request: a lane per
        stream, and per stream its read-ahead and its pages requested ahead."""
        return self.streams * (1 + self.prefetch)


@dataclass(frozen=True)
class Outcome:
    """One stream's end: its result, or the exception that ended it."""

    stream: StreamSpec
    result: Any = None
    error: BaseException | None = None


class Workers:
    """The threads of one run (see the module). Use as a context manager: leaving stops
    what still runs at its next page boundary and waits for every thread."""

    def __init__(self, concurrency: Concurrency, *, checks: Sequence[Callable[[], None]] = ()):
        self.concurrency = concurrency
        self._checks = tuple(checks)
        self._threads = ThreadPoolExecutor(max(concurrency.width, 1), thread_name_prefix="sync")
        # Threads free for page work: the read-ahead's at first, and a lane's once it
        # has no stream left to take.
        self._free = concurrency.streams * concurrency.prefetch
        self._counting = threading.Lock()
        self._stopping: str | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(LEFT)
        self._threads.shutdown(wait=True)

    @contextmanager
    def as_current(self) -> Iterator[Workers]:
        """Make these the workers `current_workers` gives in this context."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def offer(self, work: Callable[..., T], *args: Any) -> Future[T] | None:
        """Start `work(*args)` in a free thread, in a copy of the caller's context; None
        when no thread is free for page work: the caller then does it itself."""
        with self._counting:
            if self._free < 1:
                return None
            self._free -= 1
        context = contextvars.copy_context()
        try:
            return self._threads.submit(self._page_work, context, work, args)
        except BaseException:
            self._release()
            raise

    def idle(self) -> bool:
        """Whether a thread is free for page work now: a hint for work that costs
        something to prepare (another task may take the thread first)."""
        with self._counting:
            return self._free > 0

    def _release(self) -> None:
        with self._counting:
            self._free += 1

    def _page_work(self, context: contextvars.Context, work: Callable[..., T], args) -> T:
        try:
            return context.run(work, *args)
        finally:
            self._release()

    def checkpoint(self) -> None:
        """Raise Stopped once the run is stopping, and run the run's checks (whose
        exceptions stop the stream that met them). Called between pages."""
        if self._stopping is not None:
            raise Stopped(self._stopping)
        for check in self._checks:
            check()

    def stop(self, reason: str) -> None:
        """Stop every stream at its next page boundary; streams not started never start."""
        if self._stopping is None:
            self._stopping = reason

    def streams(
        self,
        streams: Sequence[StreamSpec],
        sync_one: Callable[[StreamSpec], Any],
        *,
        shared_tables: Callable[[StreamSpec], set[str]] = lambda stream: set(),
        is_final: Callable[[BaseException], bool] = lambda error: True,
    ) -> Iterator[Outcome]:
        """Run `sync_one(stream)` for each of `streams` in the lanes; yield each one's
        Outcome as it ends.

        Streams that write a common table (`shared_tables`: a child table several
        streams share) run in one lane, in their given order: a table's writer caches
        its columns for the whole sync, so two writers evolving one table at once could
        disagree about them. An error for which `is_final(error)` is true stops the
        other streams at their next page boundary; their pages written so far stay,
        and streams finished before are still yielded, so no result is lost.
        """
        groups = deque(_groups(streams, shared_tables))
        lanes = min(self.concurrency.streams, len(groups))
        ended: queue.SimpleQueue[Outcome | None] = queue.SimpleQueue()
        taking = threading.Lock()

        def next_group() -> list[StreamSpec] | None:
            with taking:
                return groups.popleft() if groups and self._stopping is None else None

        def lane() -> None:
            try:
                while (group := next_group()) is not None:
                    for stream in group:
                        if self._stopping is not None:
                            return
                        ended.put(self._sync(stream, sync_one, is_final))
            finally:
                # No stream left for this lane: its thread is free for page work.
                self._release()
                ended.put(None)

        for _ in range(lanes):
            context = contextvars.copy_context()
            context.run(_current.set, self)
            self._threads.submit(context.run, lane)
        running = lanes
        try:
            while running:
                outcome = _interruptibly(ended)
                if outcome is None:
                    running -= 1
                else:
                    yield outcome
        finally:
            if running:  # the caller stopped listening (the run is failing)
                self.stop(LEFT)

    def _sync(self, stream: StreamSpec, sync_one, is_final) -> Outcome:
        try:
            self.checkpoint()
            # A context of its own: what one stream sets does not reach the next.
            result = contextvars.copy_context().run(sync_one, stream)
            return Outcome(stream, result=result)
        except BaseException as exc:  # reported, not lost in the thread
            if is_final(exc):
                self.stop(FAILED)
            return Outcome(stream, error=exc)


_current: contextvars.ContextVar[Workers] = contextvars.ContextVar("crm_assets_sync_workers")
# Outside a run: no thread of its own; every page is fetched by the task that needs it.
_ALONE = Workers(Concurrency(streams=1, prefetch=0))


def current_workers() -> Workers:
    """The workers of the run the calling task is part of; outside a run, workers that
    offer no thread (everything is done by the caller) and never stop."""
    return _current.get(_ALONE)


def _interruptibly(ended: queue.SimpleQueue) -> Any:
    while True:
        try:
            return ended.get(timeout=INTERRUPTIBLE_SECONDS)
        except queue.Empty:
            continue


def _groups(
    streams: Sequence[StreamSpec], shared_tables: Callable[[StreamSpec], set[str]]
) -> list[list[StreamSpec]]:
    """Streams in groups that share no table with each other, each group in given order."""
    groups: list[tuple[set[str], list[StreamSpec]]] = []
    for stream in streams:
        tables = shared_tables(stream)
        joined = [g for g in groups if g[0] & tables]
        merged_tables, merged = set(tables), []
        for g in joined:
            merged_tables |= g[0]
            merged.extend(g[1])
            groups.remove(g)
        groups.append((merged_tables, [*sorted(merged, key=streams.index), stream]))
    return sorted((g[1] for g in groups), key=lambda group: streams.index(group[0]))
