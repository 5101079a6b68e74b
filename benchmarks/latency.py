"""`python -m benchmarks.latency`: the four-stream Pipedrive sync at the vendor's pace.

The Pipedrive emulator runs in another process on a loopback port, answering each
request after `--latency` seconds (default 0.14) and enforcing `--budget` requests
per 2-second window with 429s (default 20, the lowest plan with an API token). The
sync runs through the job as a user's run does: the four streams deals, persons,
organizations and activities (20,000, 10,000, 2,000 and 20,000 records at scale 1)
materialized with the full-sync tag. Printed: per stream, then in total, records,
requests, records/s, the requests the server answered 429, wall time, peak memory
of this process (the connector; the emulator's data is in the other process), and
where the streams' time went (waiting for the API's pages, writing them).

Then 1 % of each stream's records change and the anchor day's partition runs, as
the hourly refresh would: its requests by path show the fixed requests each run
makes (field definitions, archived and deleted lists) plus the changed pages.

`--streams 1 --prefetch 0` syncs one stream, one page at a time, for comparison.
`--source kommo` runs the Kommo full sync at Kommo's budget instead
(`benchmarks/latency_kommo.py`).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, materialize

from crm_assets.core.emulation import serve
from crm_assets.core.runtime.assets import FULL_SYNC_TAG, build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets.sources.pipedrive.resource import PipedriveResource
from crm_assets.sources.pipedrive.streams import SOURCE

TOKEN = "benchmark-token"
STREAMS = ("deals", "persons", "organizations", "activities")
SIZES = {"deals": 20_000, "persons": 10_000, "organizations": 2_000, "activities": 20_000}
PAGE = 500
# The sizes of this run, set before the emulator's process is forked.
SIZES_IN_USE: dict[str, int] = {}


class _Counting:
    """The emulator behind a tally of answers by status and requests by path."""

    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.paths: Counter[str] = Counter()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        def counted(status: str, headers: list, exc_info: Any = None) -> Any:
            with self.lock:
                self.statuses[int(status.split(" ", 1)[0])] += 1
                self.paths[environ.get("PATH_INFO", "")] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counted)

    def take(self) -> tuple[dict[int, int], dict[str, int]]:
        with self.lock:
            taken = dict(self.statuses), dict(self.paths)
            self.statuses.clear()
            self.paths.clear()
        return taken


def _serve(settings: dict[str, Any], pipe: Any) -> None:
    emulator = PipedriveEmulator(token=TOKEN, **settings)
    counting = _Counting(emulator)
    with serve(counting) as url:
        pipe.send(url)
        while True:
            command, argument = pipe.recv()
            if command == "take":
                pipe.send(counting.take())
            elif command == "change":
                pipe.send(_change(emulator, argument))


def _change(emulator: PipedriveEmulator, fraction: float) -> dict[str, int]:
    """Touch `fraction` of each stream's records, spread over their ids."""
    changed = {}
    for stream in STREAMS:
        count = SIZES_IN_USE[stream]
        step = max(1, round(1 / fraction))
        # Deals deleted long ago are purged: they cannot change.
        ids = [i for i in range(1, count + 1, step) if emulator.exists(stream, i)]
        for item_id in ids:
            emulator.touch(stream, item_id)
        changed[stream] = len(ids)
    return changed


@contextmanager
def emulator_process(settings: dict[str, Any], target: Any = None) -> Iterator[tuple[str, Any]]:
    """An emulator served by `target(settings, pipe)` (default: Pipedrive's) in a process of
    its own, so its CPU is not the connector's; yields its URL and the pipe to ask it."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=target or _serve, args=(settings, theirs), daemon=True)
    process.start()
    try:
        yield ours.recv(), ours
    finally:
        process.terminate()
        process.join(10)


def ask(pipe: Any, command: str, argument: Any = None) -> Any:
    pipe.send((command, argument))
    return pipe.recv()


def run_job(assets, resource_, warehouse, partition: str, tags: dict, streams=STREAMS):
    """Materialize `streams` of the resource's source through Dagster, as a run does."""
    source = resource_.SOURCE
    started = time.perf_counter()
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [assets],
            selection=[f"{source}/{s}" for s in streams],
            partition_key=partition,
            tags=tags,
            resources={source: resource_, "warehouse": warehouse},
            instance=instance,
        )
    wall = time.perf_counter() - started
    metadata = {
        event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }
    return wall, metadata


def report(
    title: str, wall: float, metadata: dict, statuses: dict[int, int], streams=STREAMS
) -> None:
    print(f"\n{title}")
    print(f"{'stream':<16}{'records':>9}{'requests':>10}{'waiting s':>11}{'writing s':>11}")
    records = requests = received = 0
    waiting = writing = 0.0
    for stream in streams:
        m = metadata[stream]
        records += m["records_read"]
        requests += m["requests"]
        received += m["bytes_received"]
        waiting += m["seconds_waiting_for_pages"]
        writing += m["seconds_writing"]
        print(
            f"{stream:<16}{m['records_read']:>9}{m['requests']:>10}"
            f"{m['seconds_waiting_for_pages']:>11.1f}{m['seconds_writing']:>11.1f}"
        )
    answered = sum(statuses.values())
    print(
        f"total: {records} records, {requests} requests ({answered} answered, "
        f"{statuses.get(429, 0)} of them 429), {received / 1e6:.1f} MB received, "
        f"wall {wall:.1f}s, {records / wall:.0f} records/s, "
        f"peak memory {peak_rss_mb():.0f} MB"
    )
    if waiting + writing:
        print(
            f"streams' time: {waiting:.1f}s waiting for the API, {writing:.1f}s writing "
            f"({100 * waiting / (waiting + writing):.0f}% waiting; summed over streams, "
            "which overlap)"
        )


def resource_tuning(args: argparse.Namespace) -> dict[str, int]:
    """The resource settings `--streams` and `--prefetch` give; none left at default."""
    given = (("max_concurrent_streams", args.streams), ("prefetch_pages", args.prefetch))
    return {name: value for name, value in given if value is not None}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", choices=("pipedrive", "kommo"), default="pipedrive")
    parser.add_argument("--latency", type=float, default=0.14, help="seconds per request")
    parser.add_argument(
        "--budget", type=int, default=None,
        help="requests per 2-second window (Pipedrive, default 20) or per second (Kommo, 7)",
    )  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the record counts")
    parser.add_argument("--streams", type=int, default=None, help="max_concurrent_streams")
    parser.add_argument("--prefetch", type=int, default=None, help="prefetch_pages")
    parser.add_argument("--changed", type=float, default=0.01, help="fraction changed, then")
    parser.add_argument("--warehouse", default=None, help="SQLAlchemy URL (default: temp SQLite)")
    args = parser.parse_args()
    if args.source == "kommo":
        from benchmarks import latency_kommo

        latency_kommo.main(args)
        return
    args.budget = args.budget or 20
    SIZES_IN_USE.update({k: max(1, round(v * args.scale)) for k, v in SIZES.items()})
    today = datetime.now(UTC).date()
    settings = dict(sizes=SIZES_IN_USE, burst_limit=args.budget, latency=args.latency, anchor=today)
    tuning = resource_tuning(args)
    with emulator_process(settings) as (url, pipe), tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(url=args.warehouse or f"sqlite:///{Path(tmp) / 'bench.db'}")
        pipedrive = PipedriveResource(
            api_token=TOKEN, base_url=url, requests_per_window=args.budget,
            start_date=today.replace(day=1).isoformat(), **tuning,
        )  # fmt: skip
        assets = build_source_assets(Connection.of(SOURCE))
        print(
            f"Pipedrive emulator: {args.latency * 1000:.0f} ms per request, {args.budget} "
            f"requests per 2 s; {', '.join(f'{SIZES_IN_USE[s]} {s}' for s in STREAMS)}; "
            f"resource {tuning or 'defaults'}"
        )
        wall, metadata = run_job(
            assets, pipedrive, warehouse, today.isoformat(), {FULL_SYNC_TAG: "true"}
        )
        statuses, _ = ask(pipe, "take")
        report("Full sync (four streams, full-sync tag)", wall, metadata, statuses)
        requests = sum(m["requests"] for m in metadata.values())
        floor = requests / (args.budget / 2)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"budget floor {floor:.1f}s (requests / {args.budget / 2:g} per second); "
            f"target 1.2 x floor = {1.2 * floor:.1f}s; took {wall / floor:.2f} x floor; "
            f"{usage.ru_utime + usage.ru_stime:.1f} CPU s in this process"
        )

        changed = ask(pipe, "change", args.changed)
        wall, metadata = run_job(assets, pipedrive, warehouse, today.isoformat(), {})
        statuses, paths = ask(pipe, "take")
        report(
            f"Incremental: today's partition after {args.changed:.0%} of records changed "
            f"({', '.join(f'{n} {s}' for s, n in changed.items())})",
            wall,
            metadata,
            statuses,
        )
        print("requests by path (fixed: field definitions, archived and deleted lists):")
        for path, count in sorted(paths.items()):
            print(f"  {path:<36}{count:>4}")
        for stream in STREAMS:
            read = metadata[stream]["records_read"]
            print(
                f"  {stream}: {read} records read in the window = {math.ceil(read / PAGE)} "
                f"pages of {PAGE}; {metadata[stream]['requests']} requests in all"
            )


if __name__ == "__main__":
    main()
