"""Several streams of one source at once, inside the source's one rate budget.

A run's time against a rate-limited API goes to round trips, not to the budget,
when streams are read one after another. `run_concurrently` syncs up to `workers`
streams at a time, each in a thread of its own, all on the source's one client
(one limiter), and yields each stream's outcome as it finishes.

Streams that write a common table (a child table several streams share) go to one
worker, in their given order: a table's writer caches its columns for the whole
sync, so two writers evolving one table at once could disagree about them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from crm_assets.core.spec.streams import StreamSpec

INTERRUPTIBLE_SECONDS = 0.02


class Stopped(Exception):
    """A stream stopped part-way because another stream's failure ends the run."""


@dataclass(frozen=True)
class Outcome:
    """One stream's end: its result, or the exception that ended it."""

    stream: StreamSpec
    result: Any = None
    error: BaseException | None = None


SyncOne = Callable[[StreamSpec, Callable[[], None]], Any]
"""(stream, check) -> result. `check()` raises Stopped once the run is ending; call it
after each page so a stream stops at a page boundary."""


def run_concurrently(
    streams: Sequence[StreamSpec],
    sync_one: SyncOne,
    *,
    workers: int,
    shared_tables: Callable[[StreamSpec], set[str]] = lambda stream: set(),
    is_final: Callable[[BaseException], bool] = lambda exc: True,
) -> Iterator[Outcome]:
    """Sync `streams` with up to `workers` at a time; yield each one's Outcome as it ends.

    An error for which `is_final(error)` is true asks every other stream to stop at its
    next page boundary (their pages written so far stay); streams not yet started are
    skipped. Streams already finished are still yielded, so no result is lost. With
    `workers` 1, streams run one after another in the calling thread.
    """
    stopping = threading.Event()

    def check() -> None:
        if stopping.is_set():
            raise Stopped("stopped because another stream's failure ends the run")

    def run_group(group: list[StreamSpec], done: Callable[[Outcome], None]) -> None:
        for stream in group:
            if stopping.is_set():
                return
            try:
                outcome = Outcome(stream, result=sync_one(stream, check))
            except BaseException as exc:  # reported, not lost in the thread
                if is_final(exc):
                    stopping.set()
                outcome = Outcome(stream, error=exc)
            done(outcome)

    groups = _groups(streams, shared_tables)
    if workers <= 1 or len(groups) <= 1:
        finished: list[Outcome] = []
        for group in groups:
            run_group(group, finished.append)
            yield from finished
            finished.clear()
        return
    outcomes: queue.Queue[Outcome | None] = queue.Queue()
    with ThreadPoolExecutor(max_workers=min(workers, len(groups))) as pool:
        futures = [pool.submit(run_group, group, outcomes.put) for group in groups]
        for future in futures:
            future.add_done_callback(lambda _: outcomes.put(None))
        ended = 0
        try:
            while ended < len(futures):
                outcome = _next(outcomes)
                if outcome is None:
                    ended += 1
                else:
                    yield outcome
        finally:
            # The consumer left early (the run is failing): let the others stop soon.
            stopping.set()


def _next(outcomes: queue.Queue) -> Outcome | None:
    """The next outcome. Waits in short slices: Dagster interrupts a step (a cancelled
    run) by raising in the main thread, which a lock wait without timeout would defer
    until the next outcome, so a stopped run would finish every stream under way."""
    while True:
        try:
            return outcomes.get(timeout=INTERRUPTIBLE_SECONDS)
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
