"""Streams synced concurrently: outcomes as each ends, failures kept apart, shared tables."""

from __future__ import annotations

import threading
import time

import pytest

from crm_assets.core.spec.streams import ChildSpec, StreamSpec
from crm_assets.core.sync.scheduling import Stopped, _groups, run_concurrently


def spec(name: str, shared: str = "") -> StreamSpec:
    children = (ChildSpec("values", lambda r: [], table=shared),) if shared else ()
    return StreamSpec(name=name, fetch=lambda c, w: iter(()), description=name, children=children)


def shared_tables(stream: StreamSpec) -> set[str]:
    return {c.table for c in stream.children if c.table}


def test_each_outcome_comes_as_its_stream_ends():
    seconds = {"slow": 0.4, "quick": 0.0, "middle": 0.2}
    streams = [spec(name) for name in seconds]

    def sync_one(stream, check):
        time.sleep(seconds[stream.name])
        return stream.name

    outcomes = list(run_concurrently(streams, sync_one, workers=3))
    assert [o.result for o in outcomes] == ["quick", "middle", "slow"]


def test_a_stream_that_fails_loses_none_of_the_others():
    streams = [spec(name) for name in ("a", "b", "c", "d")]

    def sync_one(stream, check):
        if stream.name == "b":
            raise ValueError("b broke")
        return stream.name

    outcomes = list(run_concurrently(streams, sync_one, workers=2, is_final=lambda e: False))
    results = {o.stream.name: (o.result, o.error) for o in outcomes}
    assert {k: r for k, (r, _) in results.items() if r} == {"a": "a", "c": "c", "d": "d"}
    assert str(results["b"][1]) == "b broke"


@pytest.mark.parametrize("workers", [1, 3])
def test_a_final_error_stops_the_others_at_their_next_check(workers):
    streams = [spec(name) for name in ("done", "fatal", "long", "later")]
    checks: list[str] = []

    def sync_one(stream, check):
        if stream.name == "fatal":
            time.sleep(0.1)
            raise RuntimeError("the worker is gone")
        if stream.name == "long":
            for _ in range(100):  # pages
                time.sleep(0.02)
                checks.append(stream.name)
                check()
        return stream.name

    outcomes = {o.stream.name: o for o in run_concurrently(streams, sync_one, workers=workers)}
    assert outcomes["done"].result == "done"  # finished before: still reported
    assert isinstance(outcomes["fatal"].error, RuntimeError)
    if workers == 1:  # one after another: nothing after the failure starts
        assert set(outcomes) == {"done", "fatal"}
    else:
        assert isinstance(outcomes["long"].error, Stopped) and len(checks) < 100


def test_streams_sharing_a_table_go_to_one_worker_in_order():
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

    def sync_one(stream, check):
        with lock:
            running.add(stream.name)
            overlaps.append(set(running))
        time.sleep(0.05)
        with lock:
            running.discard(stream.name)
        return stream.name

    outcomes = list(run_concurrently(streams, sync_one, workers=4, shared_tables=shared_tables))
    assert len(outcomes) == 5
    assert not any(len(seen & {"a", "b", "c"}) > 1 for seen in overlaps)
    assert any(len(seen) > 1 for seen in overlaps)  # the others did run side by side
