"""Run one stream into the warehouse, page by page: fetch, then write to its target.

Each page is handed to the stream's `StreamTarget` (flattening, privacy, the
writers, child tables, history) in turn while the next pages are fetched in a thread
of their own (at most `read_ahead` pages ahead), so memory stays flat, the
network and the database wait at the same time, and a failure keeps every page
already written (re-running resumes). A full read ends by flagging rows the source
no longer has.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from crm_assets.core.privacy import Policy, check_discovered
from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.spec.tables import stream_table
from crm_assets.core.sync.garbage_collection import fewer_collections
from crm_assets.core.sync.prefetch import read_ahead as reading_ahead
from crm_assets.core.sync.target import StreamTarget
from crm_assets.core.warehouse import Warehouse, WriteStats

PROGRESS_EVERY_SECONDS = 10.0

# Per-page detail goes here, not to the run's log: Dagster stores every line of that as
# an event, and a long sync would store one per page.
_detail = logging.getLogger("crm_assets.sync")


@dataclass
class SyncResult:
    table: str
    window: Window
    pages: int = 0
    records: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    children: dict[str, WriteStats] = field(default_factory=dict)
    # Column descriptions of the stream as synced (after any run-time discovery).
    descriptions: dict[str, str] = field(default_factory=dict)
    # Rows naming a data subject erased before (see core.privacy.register): reported, not hidden.
    returned: int = 0
    # Where the sync's time went: waiting for the next page, and writing pages.
    waiting_seconds: float = 0.0
    writing_seconds: float = 0.0


def sync_stream(
    client: Any,
    warehouse: Warehouse,
    stream: StreamSpec,
    window: Window,
    *,
    prefix: str,
    log: Any,
    history_days: int = 0,
    after_page: Callable[[], None] | None = None,
    privacy: Policy | None = None,
    before_page: Callable[[], None] | None = None,
    read_ahead: int = 1,
) -> SyncResult:
    """Fetch `stream` for `window` and upsert it into its table and child tables, named
    with the source's table `prefix` (`core.spec.tables`).

    A stream with `resolve` is first resolved against the source; one with `reconcile`
    ends a windowed read by marking live rows whose keys the source no longer lists.
    `after_page` runs once each page is written; an exception from it stops the sync
    there, keeping the pages already written; `before_page` runs as each fetched page
    arrives, before it is written, and stops the sync the same way. Up to `read_ahead`
    pages are fetched ahead of the page being written (0: fetch each page after
    writing the last). Writes take the warehouse's turn (`Warehouse.writing`), so
    several streams may sync at once from threads of one process, each with a client
    of its own. `privacy` protects personal data in every row, parent and child,
    before it is written.
    """
    table = stream_table(prefix, stream)
    privacy = privacy or Policy({})
    if stream.resolve is not None:
        stream = stream.resolve(client)
        check_discovered(privacy, stream, table, warehouse)
    reconcile = stream.reconcile if not window.is_full else None
    flag_unseen = window.is_full or reconcile is not None
    result = SyncResult(table=table, window=window, descriptions=dict(stream.column_descriptions))
    progress = _Progress(log, table, client)
    with ExitStack() as stack:
        stack.enter_context(fewer_collections())
        target = stack.enter_context(
            StreamTarget.open(
                warehouse,
                stream,
                prefix=prefix,
                privacy=privacy,
                history_days=history_days,
                tracks_seen=flag_unseen,
            )
        )
        result.descriptions.update(target.descriptions)
        pages = stack.enter_context(
            reading_ahead(stream.fetch(client, window), read_ahead, name=table)
        )
        for page in pages:
            if before_page is not None:
                before_page()
            started = time.monotonic()
            target.write(page)
            result.writing_seconds += time.monotonic() - started
            result.pages += 1
            result.records += len(page)
            progress.page(result, target.stats)
            if after_page is not None:
                after_page()
        result.waiting_seconds = pages.waits.seconds
        if reconcile is not None:
            for keys in reconcile(client):
                target.see(keys)
        pruned = target.finish(flag_unseen=flag_unseen)
        result.stats, result.children = target.stats, target.child_stats
        result.returned = target.returned
    progress.done(result)
    if not history_days:
        for name, count in pruned.items():
            if count:
                log.info(
                    f"{name}: history is off (history_days=0), so the {count} earlier "
                    f"versions kept in {name}__history were deleted."
                )
    if result.returned:
        log.warning(
            f"{table}: {result.returned} rows written hold the email or CPF/CNPJ of a data "
            "subject erased before (crm_erasure_log): the source still has them. Delete them "
            "at the source, then run erase_data_subject again."
        )
    return result


class _Progress:
    """Reports a sync's progress without storing a line per page in the run's event log.

    Each page is a debug line on the `crm_assets.sync` Python logger; the run's log
    (`log`) gets an info line at most every PROGRESS_EVERY_SECONDS and one summary.
    """

    def __init__(self, log: Any, label: str, client: Any):
        self.log, self.label, self.client = log, label, client
        self.started = self.last = time.monotonic()

    def page(self, result: SyncResult, stats: WriteStats) -> None:
        line = (
            f"{self.label}: page {result.pages}, {result.records} records read "
            f"(+{stats.inserted} new, {stats.updated} changed), "
            f"{self.client.stats.requests} requests"
        )
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            rate = result.records / max(now - self.started, 1e-6)
            self.log.info(f"{line}, {rate:.0f} records/s")
        else:
            _detail.debug(line)

    def done(self, result: SyncResult) -> None:
        s = result.stats
        scope = (
            "full read"
            if result.window.is_full
            else (f"{result.window.start:%Y-%m-%d %H:%M} to {result.window.end:%Y-%m-%d %H:%M} UTC")
        )
        self.log.info(
            f"{self.label}: {scope}: {result.records} records in {result.pages} pages; "
            f"{s.inserted} inserted, {s.updated} updated, {s.unchanged} unchanged, "
            f"{s.deleted} marked deleted ({time.monotonic() - self.started:.1f}s)"
        )
