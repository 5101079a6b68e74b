"""Run a source's full sync against its emulator served from another process.

The emulator lives in a child process so the peak memory reported is the
connector's alone, not the fake vendor's dataset. Wall time is split between
fetching (waiting for the API, decoding pages, naming custom fields: everything
inside a stream's fetch) and local work (flattening and writing), so the write
path's own pace is printed beside the pipeline's.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_assets.core.emulation import serve
from crm_assets.core.streams import SourceSpec, StreamSpec, Window
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


POSTGRES_URL = os.getenv(
    "CRM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WAREHOUSE_HELP = (
    "sqlite (default: a temporary file), postgres (a fresh schema on CRM_BENCH_POSTGRES_URL, "
    "default the local server's database test, dropped afterwards) or a SQLAlchemy URL"
)


@contextmanager
def warehouse_for(choice: str | None) -> Iterator[Warehouse]:
    """The warehouse named by `--warehouse`, empty at the start of the run."""
    if choice in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = Warehouse(url=f"sqlite:///{Path(tmp) / 'bench.db'}")
            yield warehouse
            warehouse.engine.dispose()
        return
    if choice != "postgres":
        yield Warehouse(url=choice)
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    warehouse = Warehouse(url=f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        yield warehouse
    finally:
        warehouse.engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@dataclasses.dataclass
class _Clock:
    fetching: float = 0.0
    fetching_cpu: float = 0.0


def _timed(stream: StreamSpec, clock: _Clock) -> StreamSpec:
    """`stream` with the time spent fetching added to `clock`: inside its fetch, and
    inside `resolve` for a stream whose shape the source describes at run time."""
    timed = dataclasses.replace(stream, fetch=_timed_fetch(stream.fetch, clock))
    resolve = getattr(stream, "resolve", None)
    if resolve is None:
        return timed

    def timed_resolve(client: Any) -> StreamSpec:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            resolved = resolve(client)
        finally:
            clock.fetching += time.perf_counter() - started
            clock.fetching_cpu += time.process_time() - cpu
        return dataclasses.replace(resolved, fetch=_timed_fetch(resolved.fetch, clock))

    return dataclasses.replace(timed, resolve=timed_resolve)


def _timed_fetch(fetch: Callable, clock: _Clock) -> Callable:
    def timed(client: Any, window: Window) -> Iterator[list]:
        pages = iter(fetch(client, window))
        while True:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                page = next(pages)
            except StopIteration:
                return
            finally:
                clock.fetching += time.perf_counter() - started
                clock.fetching_cpu += time.process_time() - cpu
            yield page

    return timed


def run(source: SourceSpec, resource_for: Callable[[str], Any], factory, warehouse_url=None):
    """Full sync of every stream; prints one line per stream and a total.

    `warehouse_url` is `sqlite` (or None), `postgres` or a SQLAlchemy URL (`WAREHOUSE_HELP`).
    """
    with emulator_process(factory) as url, warehouse_for(warehouse_url) as target:
        res = resource_for(url)
        clock = _Clock()
        total_records = total_requests = 0
        started, cpu = time.perf_counter(), time.process_time()
        print(f"warehouse: {target.engine.dialect.name}")
        print(f"{'stream':<24}{'records':>10}{'requests':>10}{'records/s':>12}")
        with res.client() as client:
            for stream in source.streams:
                before, t0 = client.stats.requests, time.perf_counter()
                result = sync_stream(
                    client,
                    target,
                    _timed(stream, clock),
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
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{'total':<24}{total_records:>10}{total_requests:>10}{total_records / elapsed:>12.0f}"
        )
        local, local_cpu = elapsed - clock.fetching, cpu - clock.fetching_cpu
        print(
            f"wall {elapsed:.1f}s = fetching {clock.fetching:.1f}s (API, decoding, custom fields)"
            f" + local {local:.1f}s (flattening, writing)"
        )
        print(
            f"connector CPU {cpu:.1f}s = fetching {clock.fetching_cpu:.1f}s + local"
            f" {local_cpu:.1f}s; local pace {total_records / max(local, 1e-9):.0f} records/s"
            f" of wall, {total_records / max(local_cpu, 1e-9):.0f} per CPU second"
        )
        print(f"peak memory {peak_rss_mb():.0f} MB (connector process)")


class _Quiet:
    def debug(self, *_: Any) -> None: ...
    def info(self, *_: Any) -> None: ...
    def warning(self, msg: str) -> None:
        print("warning:", msg)

    def error(self, msg: str) -> None:
        print("error:", msg)
