"""Run a source's full sync against its emulator served from another process.

The emulator lives in a child process so the peak memory reported is the
connector's alone, not the fake vendor's dataset. The sync runs twice: the first
pass has the emulator build every page, the second replays its answers, so the
second measures the connector's own pace (records/s and CPU) as against a vendor
that answers at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import multiprocessing
import os
import resource
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.server_cpu import ServerCpu
from crm_assets.core.emulation import serve
from crm_assets.core.spec.streams import SourceSpec, StreamSpec, Window
from crm_assets.core.sync.source import sync_source
from crm_assets.core.sync.target import Destination
from crm_assets.core.sync.workers import Concurrency
from crm_assets.core.warehouse import Warehouse


class Replay:
    """The emulator behind a memo of its answers: the first answer to a request is
    built by the emulator, every later one to the same request is the same bytes.

    A vendor's servers answer from a database in milliseconds; the emulators build
    each record on the fly, which costs as much CPU as the connector reading it. With
    the first pass as a warm-up, the second measures the connector alone.
    """

    def __init__(self, app: Any):
        self.app = app
        self.answers: dict[tuple, tuple[str, list, bytes]] = {}

    def __call__(self, environ: dict, start_response: Any) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"], body)
        answer = self.answers.get(key)
        if answer is None:
            seen: dict[str, Any] = {}

            def keep(status: str, headers: list, exc_info: Any = None) -> Any:
                seen.update(status=status, headers=headers)
                return lambda data: None

            content = b"".join(self.app(environ, keep))
            answer = (seen["status"], seen["headers"], content)
            if seen["status"].startswith("200"):
                self.answers[key] = answer
        status, headers, content = answer
        start_response(status, headers)
        return [content]


def _serve_forever(factory: Callable[[], Any], queue: Any, replay: bool) -> None:
    app = Replay(factory()) if replay else factory()
    with serve(app) as url:
        queue.put(url)
        while True:
            time.sleep(3600)


@contextmanager
def emulator_process(factory: Callable[[], Any], *, replay: bool = False):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_serve_forever, args=(factory, queue, replay), daemon=True)
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
    # The application name marks the pass's own server processes (`ServerCpu`).
    warehouse = Warehouse(
        url=f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}&application_name={schema}"
    )
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
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, seconds: float) -> None:
        with self.lock:  # streams fetch in several threads
            self.fetching += seconds


def _timed(stream: StreamSpec, clock: _Clock) -> StreamSpec:
    """`stream` with the time spent fetching added to `clock`: inside its fetch, and
    inside `resolve` for a stream whose shape the source describes at run time."""
    timed = dataclasses.replace(stream, fetch=_timed_fetch(stream.fetch, clock))
    resolve = getattr(stream, "resolve", None)
    if resolve is None:
        return timed

    def timed_resolve(client: Any) -> StreamSpec:
        started = time.perf_counter()
        try:
            resolved = resolve(client)
        finally:
            clock.add(time.perf_counter() - started)
        return dataclasses.replace(resolved, fetch=_timed_fetch(resolved.fetch, clock))

    return dataclasses.replace(timed, resolve=timed_resolve)


def _timed_fetch(fetch: Callable, clock: _Clock) -> Callable:
    def timed(client: Any, window: Window) -> Iterator[list]:
        pages = iter(fetch(client, window))
        while True:
            started = time.perf_counter()
            try:
                page = next(pages)
            except StopIteration:
                return
            finally:
                clock.add(time.perf_counter() - started)
            yield page

    return timed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every source's benchmark takes."""
    parser.add_argument("--warehouse", default="sqlite", help=WAREHOUSE_HELP)
    parser.add_argument("--streams", type=int, help="streams at once (default: the resource's)")
    parser.add_argument(
        "--prefetch", type=int, help="pages fetched ahead, prefetch_pages (default: the resource's)"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="one pass against the emulator building every page, no replay (for large "
        "scales: a replay keeps every answer in the emulator's memory)",
    )


def run(
    source: SourceSpec,
    resource_for: Callable[[str], Any],
    factory,
    args: argparse.Namespace,
):
    """Full sync of every stream, twice: first against the emulator building every
    page (the warm-up, into a throwaway SQLite file), then against its replayed
    answers into the warehouse named by `args.warehouse` (`WAREHOUSE_HELP`); with
    `args.live`, once against the emulator into that warehouse. Prints one line per
    stream and a total for each pass.

    Streams run as the job runs them: up to `args.streams` at once (default: the
    resource's `max_concurrent_streams`), each fetching `args.prefetch` pages ahead of
    the page it writes (default: the resource's `prefetch_pages`).
    """
    with emulator_process(factory, replay=not args.live) as url:
        res = resource_for(url)
        default = res.concurrency()
        concurrency = Concurrency(
            streams=args.streams or default.streams,
            prefetch=default.prefetch if args.prefetch is None else args.prefetch,
        )
        print(
            f"{concurrency.streams} streams at once, {concurrency.prefetch} page(s) fetched "
            f"ahead, {concurrency.ahead} page(s) of lists that allow it requested beside the "
            "one awaited"
        )
        if not args.live:
            with warehouse_for("sqlite") as scratch:
                print("\nwarm-up: the emulator builds every page (SQLite)")
                _one_pass(source, res, scratch, concurrency)
        with warehouse_for(args.warehouse) as target:
            answers = "building every page" if args.live else "answers replayed"
            print(f"\nmeasured: the emulator's {answers} ({target.engine.dialect.name})")
            _one_pass(source, res, target, concurrency)
        print(f"peak memory {peak_rss_mb():.0f} MB (connector process)")


def _one_pass(source: SourceSpec, res: Any, target: Warehouse, concurrency: Concurrency):
    clock = _Clock()
    print(f"{'stream':<24}{'records':>10}{'requests':>10}{'MB':>9}{'seconds':>10}")
    collector = _CollectorClock()
    gc.callbacks.append(collector)
    started, cpu = time.perf_counter(), time.process_time()
    totals = {"records": 0, "requests": 0, "throttled": 0, "bytes": 0}
    destination = Destination(target, res.table_prefix, res.privacy_policy(), res.history_days)
    with res.client(concurrency=concurrency) as client, _server_cpu(target) as server:
        outcomes = sync_source(
            [_timed(stream, clock) for stream in source.streams], client, destination,
            window_for=lambda stream: Window(None, None), log=_Quiet(), concurrency=concurrency,
        )  # fmt: skip
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
            done = outcome.result
            records, stats = done.records, done.api
            totals["records"] += records
            totals["requests"] += stats.requests
            totals["throttled"] += stats.throttled
            totals["bytes"] += stats.bytes_received
            print(
                f"{outcome.stream.name:<24}{records:>10}{stats.requests:>10}"
                f"{stats.bytes_received / 1e6:>9.1f}{done.seconds:>10.1f}"
            )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    gc.callbacks.remove(collector)
    records = totals["records"]
    print(
        f"{'total':<24}{records:>10}{totals['requests']:>10}{totals['bytes'] / 1e6:>9.1f}"
        f"{elapsed:>10.1f}  = {records / elapsed:,.0f} records/s, "
        f"{totals['throttled']} requests answered 429"
    )
    print(
        f"connector CPU {cpu:.1f}s ({records / max(cpu, 1e-9):,.0f} records per CPU second); "
        f"fetching pages (request, decoding, custom fields) took {clock.fetching:.1f}s summed "
        "over the streams, beside the writing"
    )
    if server is not None:
        print(
            f"warehouse server CPU {server.seconds:.1f}s (its processes serving this pass; "
            f"{cpu + server.seconds:.1f}s with the connector's)"
        )
    print(
        f"garbage collector: {collector.seconds:.2f}s in {collector.passes} passes "
        f"(threshold {gc.get_threshold()[0]} outside syncs)"
    )


@contextmanager
def _server_cpu(target: Warehouse) -> Iterator[ServerCpu | None]:
    """The CPU of the local PostgreSQL server's processes serving `target`, where
    `warehouse_for` named its connections; else None."""
    url = target.engine.url
    name = url.query.get("application_name")
    if url.get_backend_name() != "postgresql" or not name or url.host not in LOCAL_HOSTS:
        yield None
        return
    admin = sa.create_engine(url.difference_update_query(["application_name"]))
    try:
        with ServerCpu(admin, name) as server:
            yield server
    finally:
        admin.dispose()


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class _CollectorClock:
    """Time spent in the cyclic garbage collector, from its start and stop callbacks."""

    def __init__(self) -> None:
        self.seconds, self.passes = 0.0, 0
        self._started: dict[int, float] = {}

    def __call__(self, phase: str, info: dict) -> None:
        thread = threading.get_ident()  # the collector runs in whichever thread allocates
        if phase == "start":
            self._started[thread] = time.perf_counter()
        elif thread in self._started:
            self.seconds += time.perf_counter() - self._started.pop(thread)
            self.passes += 1


class _Quiet:
    def debug(self, *_: Any) -> None: ...
    def info(self, *_: Any) -> None: ...
    def warning(self, msg: str) -> None:
        print("warning:", msg)

    def error(self, msg: str) -> None:
        print("error:", msg)
