"""A source's streams for a window, into their tables: the one path every caller runs.

The asset and the benchmarks both call `sync_source`, so a benchmark measures what
production does. Streams run up to `workers` at a time inside the source's one rate
budget (`scheduling`), all through the source's one client, which counts each
stream's requests apart (`ApiClient.counting`); each stream is fetched, protected and written page by page
(`stream.sync_stream`). The caller decides what an outcome means: a materialization,
a failure to report, a line of a benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from crm_assets.core.http import ApiClient, ClientStats
from crm_assets.core.privacy import Policy
from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.sync.scheduling import Outcome, run_concurrently
from crm_assets.core.sync.stream import SyncResult, sync_stream
from crm_assets.core.warehouse import Warehouse


@dataclass(frozen=True)
class StreamDone:
    """What one stream's sync gave: its result, its requests, and how long it took."""

    result: SyncResult
    stats: ClientStats
    seconds: float


def sync_source(
    streams: Sequence[StreamSpec],
    client: ApiClient,
    warehouse: Warehouse,
    *,
    prefix: str,
    window_for: Callable[[StreamSpec], Window],
    log: Any,
    workers: int,
    read_ahead: int,
    history_days: int = 0,
    privacy: Policy | None = None,
    before_page: Callable[[], None] | None = None,
    after_page: Callable[[], None] | None = None,
    is_final: Callable[[BaseException], bool] = lambda error: True,
) -> Iterator[Outcome]:
    """Sync `streams`, yielding each one's Outcome (a StreamDone, or its error) as it ends.

    `before_page` runs before each stream starts and as each page arrives, and
    `after_page` after each page is written; an exception from either stops that
    stream at the page boundary, keeping what it wrote. An error for which
    `is_final` is true stops the other streams at their next page boundary.
    """

    def sync_one(stream: StreamSpec, stopping: Callable[[], None]) -> StreamDone:
        def before() -> None:
            stopping()
            if before_page is not None:
                before_page()

        def after() -> None:
            if after_page is not None:
                after_page()
            before()

        before()
        started = time.perf_counter()
        with client.counting() as stats:
            result = sync_stream(
                client, warehouse, stream, window_for(stream), prefix=prefix, log=log,
                history_days=history_days, after_page=after, before_page=before,
                read_ahead=read_ahead, privacy=privacy,
            )  # fmt: skip
            return StreamDone(result, stats, time.perf_counter() - started)

    yield from run_concurrently(
        streams, sync_one, workers=workers, shared_tables=shared_tables, is_final=is_final
    )


def shared_tables(stream: StreamSpec) -> set[str]:
    """Tables this stream writes that other streams write too (a shared child table)."""
    return {child.table for child in stream.children if child.table}
