"""The run's one pool of threads: streams side by side and their page work, failures
kept apart, shared tables, stopping, and no deadlock however the work nests."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from crm_assets.core.spec.streams import ChildSpec, StreamSpec
from crm_assets.core.sync.workers import (
    Concurrency,
    Stopped,
    Workers,
    _groups,
    current_workers,
)


def spec(name: str, shared: str = "") -> StreamSpec:
    children = (ChildSpec("values", lambda r: [], table=shared),) if shared else ()
    return StreamSpec(name=name, fetch=lambda c, w: iter(()), description=name, children=children)


def shared_tables(stream: StreamSpec) -> set[str]:
    return {c.table for c in stream.children if c.table}


def run(streams, sync_one, *, streams_at_once: int, prefetch: int = 1, **options):
    with Workers(Concurrency(streams_at_once, prefetch)) as workers:
        return list(workers.streams(streams, sync_one, **options))


def test_each_outcome_comes_as_its_stream_ends():
    seconds = {"slow": 0.4, "quick": 0.0, "middle": 0.2}
    streams = [spec(name) for name in seconds]

    def sync_one(stream):
        time.sleep(seconds[stream.name])
        return stream.name

    outcomes = run(streams, sync_one, streams_at_once=3)
    assert [o.result for o in outcomes] == ["quick", "middle", "slow"]


def test_a_stream_that_fails_loses_none_of_the_others():
    streams = [spec(name) for name in ("a", "b", "c", "d")]

    def sync_one(stream):
        if stream.name == "b":
            raise ValueError("b broke")
        return stream.name

    outcomes = run(streams, sync_one, streams_at_once=2, is_final=lambda e: False)
    results = {o.stream.name: (o.result, o.error) for o in outcomes}
    assert {k: r for k, (r, _) in results.items() if r} == {"a": "a", "c": "c", "d": "d"}
    assert str(results["b"][1]) == "b broke"


@pytest.mark.parametrize("streams_at_once", [1, 3])
def test_a_final_error_stops_the_others_at_their_next_page_boundary(streams_at_once):
    streams = [spec(name) for name in ("done", "fatal", "long", "later")]
    pages: list[str] = []
    long_is_writing = threading.Event()

    def sync_one(stream):
        if stream.name == "fatal":
            # Side by side, the long stream is under way when this one fails, however
            # busy the machine; one after another, it has not started.
            long_is_writing.wait(timeout=5 if streams_at_once > 1 else 0)
            raise RuntimeError("the worker is gone")
        if stream.name == "long":
            for _ in range(100):
                time.sleep(0.02)
                pages.append(stream.name)
                long_is_writing.set()
                current_workers().checkpoint()  # a page boundary
        return stream.name

    outcomes = {o.stream.name: o for o in run(streams, sync_one, streams_at_once=streams_at_once)}
    assert outcomes["done"].result == "done"  # finished before: still reported
    assert isinstance(outcomes["fatal"].error, RuntimeError)
    if streams_at_once == 1:  # one after another: nothing after the failure starts
        assert set(outcomes) == {"done", "fatal"}
    else:
        assert isinstance(outcomes["long"].error, Stopped) and len(pages) < 100


def test_a_check_that_fails_stops_the_stream_that_meets_it_before_it_starts_or_between_pages():
    ending = threading.Event()
    pages: list[int] = []

    def step_goes_on() -> None:
        if ending.is_set():
            raise Stopped("the step is ending")

    def sync_one(stream):
        for page in range(50):
            if page == 3:
                ending.set()
            current_workers().checkpoint()
            pages.append(page)

    with Workers(Concurrency(1, 1), checks=[step_goes_on]) as workers:
        outcomes = list(workers.streams([spec("a"), spec("b")], sync_one))
    assert pages == [0, 1, 2]
    assert [type(o.error) for o in outcomes] == [Stopped]  # b never starts


def test_streams_sharing_a_table_go_to_one_lane_in_order():
    streams = [
        spec("leads", shared="values"),
        spec("users"),
        spec("contacts", shared="values"),
        spec("elements", shared="values"),
    ]
    groups = _groups(streams, shared_tables)
    assert [[s.name for s in g] for g in groups] == [["leads", "contacts", "elements"], ["users"]]


def test_streams_sharing_a_table_never_run_at_the_same_time():
    streams = [spec(n, shared="values") for n in ("a", "b", "c")] + [spec("d"), spec("e")]
    running: set[str] = set()
    overlaps: list[set[str]] = []
    lock = threading.Lock()

    def sync_one(stream):
        with lock:
            running.add(stream.name)
            overlaps.append(set(running))
        time.sleep(0.05)
        with lock:
            running.discard(stream.name)
        return stream.name

    outcomes = run(streams, sync_one, streams_at_once=4, shared_tables=shared_tables)
    assert len(outcomes) == 5
    assert not any(len(seen & {"a", "b", "c"}) > 1 for seen in overlaps)
    assert any(len(seen) > 1 for seen in overlaps)  # the others did run side by side


tag: contextvars.ContextVar[str] = contextvars.ContextVar("test_tag", default="none")


def test_page_work_runs_beside_its_stream_in_the_streams_context_and_never_deadlocks():
    # Every stream offers more page work than there are threads, and page work offers
    # work of its own and waits for it: whatever finds no thread is done by its caller.
    threads: set[str] = set()
    lock = threading.Lock()

    def page(depth: int) -> str:
        with lock:
            threads.add(threading.current_thread().name)
        time.sleep(0.01)
        if depth:
            workers = current_workers()
            offered = [workers.offer(page, depth - 1) for _ in range(3)]
            return "".join(o.result() if o else page(depth - 1) for o in offered)[:1]
        return tag.get()

    def sync_one(stream):
        tag.set(stream.name)
        workers = current_workers()
        offered = [workers.offer(page, 2) for _ in range(8)]
        refused = offered.count(None)
        return [o.result() if o else page(2) for o in offered], refused

    streams = [spec(name) for name in "abcd"]
    concurrency = Concurrency(streams=4, prefetch=2)
    started = time.monotonic()
    outcomes = run(streams, sync_one, streams_at_once=4, prefetch=2)
    assert time.monotonic() - started < 10
    assert {o.stream.name: o.result[0] for o in outcomes} == {n: [n] * 8 for n in "abcd"}
    assert all(o.result[1] > 0 for o in outcomes)  # some work was refused and done inline
    assert 4 < len(threads) <= concurrency.width  # page work ran on threads of the pool


def test_outside_a_run_nothing_is_offered_a_thread():
    workers = current_workers()
    assert workers.offer(time.sleep, 0) is None
    workers.checkpoint()  # never stopping


def test_leaving_stops_the_streams_under_way_and_waits_for_them():
    pages: list[str] = []

    def sync_one(stream):
        for _ in range(200 if stream.name != "quick" else 0):
            time.sleep(0.01)
            current_workers().checkpoint()
            pages.append(stream.name)
        return stream.name

    with Workers(Concurrency(3, 1)) as workers:
        outcomes = workers.streams([spec("quick"), spec("a"), spec("b")], sync_one)
        assert next(outcomes).result == "quick"
        outcomes.close()  # the caller stops listening, as a failing run does
        left = time.monotonic()
    assert time.monotonic() - left < 1  # the streams stopped at their next page
    written = len(pages)
    time.sleep(0.05)
    assert len(pages) == written < 400
