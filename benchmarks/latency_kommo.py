"""`python -m benchmarks.latency --source kommo`: the Kommo full sync at Kommo's pace.

The Kommo emulator runs in another process on a loopback port, answering each
request after `--latency` seconds (default 0.14) and enforcing `--budget` requests
a second (default 7, Kommo's limit per account) with 429s, and a 403 block after
repeated ones, as the vendor does. Every Kommo stream is materialized through the
job with the full-sync tag into a fresh SQLite file (or `--warehouse`). Printed:
per stream, then in total, records, requests, the answers the server gave and how
many were 429, wall time, peak memory of this process (the connector; the
emulator's data lives in the other process), CPU seconds of this process, and the
run against the budget's floor: the requests the server answered ÷ the budget.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.latency import (
    _Counting,
    ask,
    emulator_process,
    peak_rss_mb,
    report,
    resource_tuning,
    run_job,
)
from crm_assets.core.emulation import serve
from crm_assets.core.runtime.assets import FULL_SYNC_TAG, build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.kommo.emulator.data import DEFAULT_SIZES
from crm_assets.sources.kommo.resource import KommoResource
from crm_assets.sources.kommo.streams import SOURCE

TOKEN = "benchmark-token"
STREAMS = tuple(stream.name for stream in SOURCE.streams)


def _serve(settings: dict[str, Any], pipe: Any) -> None:
    counting = _Counting(KommoEmulator(token=TOKEN, **settings))
    with serve(counting) as url:
        pipe.send(url)
        while True:
            command, _ = pipe.recv()
            if command == "take":
                pipe.send(counting.take())


def main(args: argparse.Namespace) -> None:
    budget = args.budget or 7
    sizes = {kind: max(1, round(n * args.scale)) for kind, n in DEFAULT_SIZES.items()}
    today = datetime.now(UTC).date()
    settings = dict(sizes=sizes, per_second=budget, latency=args.latency, anchor=today)
    tuning = resource_tuning(args)
    with emulator_process(settings, _serve) as (url, pipe), tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(url=args.warehouse or f"sqlite:///{Path(tmp) / 'bench.db'}")
        kommo = KommoResource(
            access_token=TOKEN, base_url=f"{url}/api/v4/", requests_per_second=budget,
            start_date=today.replace(day=1).isoformat(), **tuning,
        )  # fmt: skip
        assets = build_source_assets(Connection.of(SOURCE))
        print(
            f"Kommo emulator: {args.latency * 1000:.0f} ms per request, {budget} requests "
            f"per second; {', '.join(f'{n} {kind}' for kind, n in sizes.items())}; "
            f"resource {tuning or 'defaults'}"
        )
        wall, metadata = run_job(
            assets, kommo, warehouse, today.isoformat(), {FULL_SYNC_TAG: "true"}, STREAMS
        )
        statuses, paths = ask(pipe, "take")
        report("Full sync (every stream, full-sync tag)", wall, metadata, statuses, STREAMS)
        answered = sum(statuses.values())
        floor = answered / budget
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"budget floor {floor:.1f}s ({answered} requests answered / {budget} per second); "
            f"target 1.2 x floor = {1.2 * floor:.1f}s; took {wall / floor:.2f} x floor; "
            f"{statuses.get(429, 0)} answered 429; peak memory {peak_rss_mb():.0f} MB; "
            f"{usage.ru_utime + usage.ru_stime:.1f} CPU s in this process"
        )
        print("requests by path:")
        for path, count in sorted(paths.items()):
            print(f"  {path:<44}{count:>4}")
