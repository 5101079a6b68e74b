"""A source's streams for a window, into their tables: the one path every caller runs.

The asset and the benchmarks both call `sync_source`, so a benchmark measures what
production does. The run's one pool of threads (`workers.Workers`, made here) syncs
up to `Concurrency.streams` streams at a time inside the source's one rate budget,
all through the source's one client, which counts each stream's requests apart; each
stream is fetched, protected and written page by page (`stream.sync_stream`). The
caller decides what an outcome means: a materialization, a failure to report, a line
of a benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from crm_assets.core.http import ApiClient
from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.sync.stream import sync_stream
from crm_assets.core.sync.target import Destination
from crm_assets.core.sync.workers import Concurrency, Outcome, Workers


def sync_source(
    streams: Sequence[StreamSpec],
    client: ApiClient,
    destination: Destination,
    *,
    window_for: Callable[[StreamSpec], Window],
    log: Any,
    concurrency: Concurrency,
    checks: Sequence[Callable[[], None]] = (),
    is_final: Callable[[BaseException], bool] = lambda error: True,
) -> Iterator[Outcome]:
    """Sync `streams`, yielding each one's Outcome (its SyncResult, or its error) as it ends.

    `checks` run before each stream starts and at every page boundary of every stream;
    an exception from one stops that stream there, keeping what it wrote. An error for
    which `is_final` is true stops the other streams at their next page boundary.
    Leaving early (or being interrupted) stops the streams under way at their next page
    boundary and waits for them.
    """

    def sync_one(stream: StreamSpec) -> Any:
        return sync_stream(client, stream, window_for(stream), destination, log=log)

    with Workers(concurrency, checks=checks) as workers:
        yield from workers.streams(
            streams, sync_one, shared_tables=shared_tables, is_final=is_final
        )


def shared_tables(stream: StreamSpec) -> set[str]:
    """Tables this stream writes that other streams write too (a shared child table)."""
    return {child.table for child in stream.children if child.table}
