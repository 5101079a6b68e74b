"""Run a source's full sync against its emulator served from another process.

The emulator lives in a child process so the peak memory reported is the
connector's alone, not the fake vendor's dataset.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crm_assets.core.emulation import serve
from crm_assets.core.streams import SourceSpec, Window
from crm_assets.core.sync import sync_stream
from crm_assets.core.warehouse import Warehouse


def _serve_forever(factory: Callable[[], Any], queue: Any) -> None:
    app = factory()
    with serve(app) as url:
        queue.put(url)
        while True:
            time.sleep(3600)


@contextmanager
def emulator_process(factory: Callable[[], Any]):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_serve_forever, args=(factory, queue), daemon=True)
    process.start()
    try:
        yield queue.get(timeout=120)
    finally:
        process.terminate()
        process.join(10)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(source: SourceSpec, resource_for: Callable[[str], Any], factory, warehouse_url=None):
    """Full sync of every stream; prints one line per stream and a total."""
    with emulator_process(factory) as url, tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(url=warehouse_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        res = resource_for(url)
        total_records = total_requests = 0
        started = time.perf_counter()
        print(f"{'stream':<24}{'records':>10}{'requests':>10}{'records/s':>12}")
        with res.client() as client:
            for stream in source.streams:
                before, t0 = client.stats.requests, time.perf_counter()
                result = sync_stream(
                    client,
                    warehouse,
                    stream,
                    Window(None, None),
                    table=f"{res.table_prefix}{stream.name}",
                    log=_Quiet(),
                )
                seconds = time.perf_counter() - t0
                requests = client.stats.requests - before
                total_records += result.records
                total_requests += requests
                print(
                    f"{stream.name:<24}{result.records:>10}{requests:>10}"
                    f"{result.records / max(seconds, 1e-9):>12.0f}"
                )
        elapsed = time.perf_counter() - started
        print(
            f"{'total':<24}{total_records:>10}{total_requests:>10}{total_records / elapsed:>12.0f}"
        )
        print(f"wall {elapsed:.1f}s, peak memory {peak_rss_mb():.0f} MB (connector process)")


class _Quiet:
    def debug(self, *_: Any) -> None: ...
    def info(self, *_: Any) -> None: ...
    def warning(self, msg: str) -> None:
        print("warning:", msg)

    def error(self, msg: str) -> None:
        print("error:", msg)
