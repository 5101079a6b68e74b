"""Run one stream into the warehouse, page by page: fetch, then write to its target.

The stream's pages come through the run's workers (`prefetch.read_ahead`): the next
ones are fetched while the last is written, and they stop coming at a page boundary
once the run stops. Each page is handed to the stream's `StreamTarget` (flattening,
privacy, child tables, history, rows naming erased data subjects) in turn, so memory
stays flat, the network and the database wait at the same time, and a failure keeps
every page already written (re-running resumes). A full read ends by flagging rows
the source no longer has.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from crm_assets.core.http import ApiClient, ClientStats
from crm_assets.core.spec.streams import StreamSpec, Window
from crm_assets.core.sync.garbage_collection import fewer_collections
from crm_assets.core.sync.prefetch import read_ahead
from crm_assets.core.sync.target import Destination
from crm_assets.core.sync.workers import current_workers
from crm_assets.core.warehouse import WriteStats

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
    # The requests the stream cost, sent from whichever of the run's threads.
    api: ClientStats = field(default_factory=ClientStats)
    # Where the sync's time went: all of it, waiting for the next page, writing pages.
    seconds: float = 0.0
    waiting_seconds: float = 0.0
    writing_seconds: float = 0.0


def sync_stream(
    client: ApiClient, stream: StreamSpec, window: Window, destination: Destination, *, log: Any
) -> SyncResult:
    """Fetch `stream` for `window` and upsert it into its tables at `destination`.

    A stream with `resolve` is first resolved against the source; one with `reconcile`
    ends a windowed read by marking live rows whose keys the source no longer lists.
    Pages are read on the run's workers (`workers.current_workers`; outside a run, in
    the calling thread), which stop the sync between two pages when the run stops,
    keeping the pages already written. Writes take the warehouse's turn
    (`Warehouse.writing`), so streams may sync at once from threads of one process.
    """
    started = time.monotonic()
    with client.counting() as requests, fewer_collections():
        if stream.resolve is not None:
            stream = stream.resolve(client)
            destination.check_discovered(stream)
        reconcile = stream.reconcile if not window.is_full else None
        flag_unseen = window.is_full or reconcile is not None
        result = SyncResult(
            table=destination.table(stream), window=window, api=requests,
            descriptions=dict(stream.column_descriptions),
        )  # fmt: skip
        progress = _Progress(log, result.table, requests)
        with (
            destination.open(stream, tracks_seen=flag_unseen) as target,
            read_ahead(stream.fetch(client, window), current_workers()) as pages,
        ):
            result.descriptions.update(target.descriptions)
            for page in pages:
                writing = time.monotonic()
                target.write(page)
                result.writing_seconds += time.monotonic() - writing
                result.pages += 1
                result.records += len(page)
                progress.page(result, target.stats)
            result.waiting_seconds = pages.waiting
            if reconcile is not None:
                for keys in reconcile(client):
                    target.see(keys)
            pruned = target.finish(flag_unseen=flag_unseen)
            result.stats, result.children = target.stats, target.child_stats
            result.returned = target.returned
    result.seconds = time.monotonic() - started
    progress.done(result)
    _tell(log, result, pruned if not destination.history_days else {})
    return result


def _tell(log: Any, result: SyncResult, pruned: dict[str, int]) -> None:
    """What the run's log should know beyond the summary: history deleted, erased
    data subjects the source still has."""
    for name, count in pruned.items():
        if count:
            log.info(
                f"{name}: history is off (history_days=0), so the {count} earlier "
                f"versions kept in {name}__history were deleted."
            )
    if result.returned:
        log.warning(
            f"{result.table}: {result.returned} rows written hold the email or CPF/CNPJ of a "
            "data subject erased before (crm_erasure_log): the source still has them. Delete "
            "them at the source, then run erase_data_subject again."
        )


class _Progress:
    """Reports a sync's progress without storing a line per page in the run's event log.

    Each page is a debug line on the `crm_assets.sync` Python logger; the run's log
    (`log`) gets an info line at most every PROGRESS_EVERY_SECONDS and one summary.
    """

    def __init__(self, log: Any, label: str, requests: ClientStats):
        self.log, self.label, self.requests = log, label, requests
        self.started = self.last = time.monotonic()

    def page(self, result: SyncResult, stats: WriteStats) -> None:
        line = (
            f"{self.label}: page {result.pages}, {result.records} records read "
            f"(+{stats.inserted} new, {stats.updated} changed), "
            f"{self.requests.requests} requests"
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
