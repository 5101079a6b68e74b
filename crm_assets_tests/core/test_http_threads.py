"""The HTTP client used from many threads at once: one budget, one gate, one session,
requests counted per context."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.wrappers import Response

from crm_assets.core.emulation import EmulatorApp, serve
from crm_assets.core.http import (
    ApiClient,
    AuthenticationError,
    ClientConfig,
    ClientStats,
    Credential,
    RateLimit,
    RetriesExhaustedError,
    RetryPolicy,
)

SECRET = "thread-s3cret"


class Clocked(EmulatorApp):
    """Answers after `latency`, noting when each request arrived, on which connection
    (the client's port) and with which headers (the base counts how many overlapped:
    `most_in_flight`)."""

    def __init__(self, latency: float = 0.0, status: int = 200):
        super().__init__(latency=latency)
        self.arrivals: list[float] = []
        self.connections: set[str] = set()
        self.headers: list[dict[str, str]] = []
        self.status = status

    def __call__(self, environ, start_response):
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.connections.add(environ["REMOTE_PORT"])
            self.headers.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        return super().__call__(environ, start_response)

    def handle(self, request):
        return Response("{}", status=self.status, content_type="application/json")


def make_client(url: str, connections: int = 10, **overrides) -> ApiClient:
    settings = dict(
        source="test",
        base_url=url,
        credential=Credential(SECRET, header="x-token"),
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
    )
    return ApiClient(ClientConfig(**{**settings, **overrides}), connections=connections)


def in_threads(client: ApiClient, threads: int, calls: int) -> list[ClientStats]:
    """`calls` requests from each of `threads` threads, each counted apart; their counts."""

    def work(_: int) -> ClientStats:
        with client.counting() as stats:
            for _ in range(calls):
                client.get_json("items")
        return stats

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, range(threads)))


def test_threads_spend_one_budget_and_each_counts_its_own_requests():
    app = Clocked(latency=0.02)
    with serve(app) as url, make_client(url + "/", rate_limit=RateLimit(5, 0.5)) as client:
        client.get_json("first")  # until the source has answered, one at a time
        counted = in_threads(client, threads=4, calls=4)
    # 17 requests at 5 per half second: never 6 inside any half-second window.
    arrivals = sorted(app.arrivals)
    assert len(arrivals) == 17
    assert all(
        later - earlier >= 0.45 for earlier, later in zip(arrivals, arrivals[5:], strict=False)
    )
    assert [stats.requests for stats in counted] == [4, 4, 4, 4]
    assert client.stats.requests == 17  # the client counts every request
    assert app.most_in_flight > 1  # they did overlap


def test_work_handed_to_other_threads_in_a_copy_of_the_context_counts_as_its_own():
    app = Clocked()
    with serve(app) as url, make_client(url + "/") as client:
        client.get_json("first")
        with client.counting() as mine, ThreadPoolExecutor(3) as pool:
            copied = [contextvars.copy_context() for _ in range(3)]
            list(pool.map(lambda context: context.run(client.get_json, "items"), copied))
            client.get_json("items")
            # A thread that does not run in a copy of this context does other work.
            elsewhere = threading.Thread(target=client.get_json, args=("items",))
            elsewhere.start()
            elsewhere.join()
    assert (mine.requests, client.stats.requests) == (4, 6)
    assert mine.bytes_received > 0


def test_a_rejected_credential_meets_one_request_not_one_per_thread():
    app = Clocked(latency=0.05, status=401)
    with (
        serve(app) as url,
        make_client(url + "/") as client,
        pytest.raises(AuthenticationError) as raised,
    ):
        in_threads(client, threads=4, calls=3)
    assert len(app.arrivals) == 1
    assert SECRET not in str(raised.value)


def test_a_thread_started_after_the_fatal_answer_sends_nothing():
    # One thread meets the fatal answer and ends; threads started later, often with the
    # finished thread's ident, must not pass.
    app = Clocked(status=401)
    errors: list[BaseException] = []

    def one_request(client: ApiClient) -> None:
        try:
            client.get_json("items")
        except AuthenticationError as exc:
            errors.append(exc)

    with serve(app) as url, make_client(url + "/") as client:
        for _ in range(5):
            thread = threading.Thread(target=one_request, args=(client,))
            thread.start()
            thread.join()
    assert len(app.arrivals) == 1
    assert len(errors) == 5


def test_the_thread_that_met_the_fatal_answer_sends_nothing_more_either():
    # A run's threads serve every stream in turn: the one that met the answer may be
    # handed another stream's page next.
    app = Clocked(status=401)
    with serve(app) as url, make_client(url + "/") as client, ThreadPoolExecutor(1) as pool:
        for _ in range(3):
            with pytest.raises(AuthenticationError):
                pool.submit(client.get_json, "items").result()
    assert len(app.arrivals) == 1


def test_once_the_source_answers_threads_send_side_by_side():
    app = Clocked(latency=0.1)
    with serve(app) as url, make_client(url + "/") as client:
        client.get_json("first")
        in_threads(client, threads=4, calls=1)
    assert app.most_in_flight == 4


def test_threads_that_waited_for_the_first_answer_then_send_side_by_side():
    # All four start before the source has answered: one goes, three wait their turn,
    # then all four send side by side (none left waiting while the others go on).
    app = Clocked(latency=0.1)
    with serve(app) as url, make_client(url + "/") as client:
        in_threads(client, threads=4, calls=3)
    assert app.most_in_flight == 4


class Throttling(Clocked):
    """Answers 429 to the second request it handles, 200 to every other."""

    handled = 0

    def handle(self, request):  # runs under the app's lock
        self.handled += 1
        status = 429 if self.handled == 2 else 200
        return Response("{}", status=status, content_type="application/json")


def test_after_a_429_requests_go_one_at_a_time():
    app = Throttling(latency=0.05)
    with serve(app) as url, make_client(url + "/", retry=RetryPolicy(max_attempts=1)) as client:
        client.get_json("first")
        with pytest.raises(RetriesExhaustedError):
            in_threads(client, threads=4, calls=1)
        app.most_in_flight = 0
        in_threads(client, threads=4, calls=1)
    assert app.most_in_flight == 1


class SpentWindow(Clocked):
    """Says the window is spent on the first answer (reset in 0.3 s), then answers."""

    def handle(self, request):
        response = super().handle(request)
        response.headers["x-left"] = "0" if len(self.arrivals) == 1 else "9"
        response.headers["x-reset"] = "0.3"
        return response


def test_a_spent_window_holds_every_thread_until_it_resets():
    app = SpentWindow()
    settings = dict(remaining_header="x-left", reset_header="x-reset", remaining_floor=0)
    with serve(app) as url, make_client(url + "/", **settings) as client:
        client.get_json("first")
        in_threads(client, threads=3, calls=1)
    first, *others = app.arrivals
    assert len(others) == 3 and min(others) - first >= 0.29


class SpentByUs(Clocked):
    """Counts a window of 4 requests, saying how many are left and that it resets in a
    second (whole seconds, as vendors say it)."""

    def handle(self, request):
        response = super().handle(request)
        response.headers["x-left"] = str(max(0, 4 - len(self.arrivals)))
        response.headers["x-reset"] = "1"
        return response


@pytest.mark.parametrize("rate, paused", [(4, False), (8, True)])
def test_a_window_spent_by_the_clients_own_requests_is_left_to_its_limiter(rate, paused):
    # At a rate of 4 per 0.3 s the client's limiter holds the fifth request until the
    # window its four spent has passed; at 8 it would not, and the vendor's reset holds it.
    app = SpentByUs()
    settings = dict(
        remaining_header="x-left", reset_header="x-reset", remaining_floor=0,
        rate_limit=RateLimit(rate, 0.3),
    )  # fmt: skip
    with serve(app) as url, make_client(url + "/", **settings) as client:
        for _ in range(5):
            client.get_json("call")
    gap = app.arrivals[4] - app.arrivals[3]
    assert (gap >= 0.95) is paused, gap
    if not paused:
        assert app.arrivals[4] - app.arrivals[0] >= 0.3


@pytest.mark.parametrize("connections", [4, 2])
def test_many_threads_share_one_session_and_its_pool_of_connections(connections, caplog):
    app = Clocked(latency=0.02)
    with serve(app) as url, make_client(url + "/", connections=connections) as client:
        client.session.headers["X-Picked"] = "db1"  # as a resource configures it
        client.get_json("first")
        with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"):
            counted = in_threads(client, threads=4, calls=10)
        pools = len(client.session.get_adapter(url).poolmanager.pools)
    assert [stats.requests for stats in counted] == [10] * 4
    assert len(app.arrivals) == client.stats.requests == 41
    assert app.most_in_flight == 4
    assert all(h["HTTP_X_PICKED"] == "db1" and h["HTTP_X_TOKEN"] == SECRET for h in app.headers)
    # One pool for the host, shared by every thread; sized for them all, it keeps each
    # connection when its request ends (41 requests on 4 connections at most), while a
    # pool too small throws connections away.
    assert pools == 1
    discarded = [r for r in caplog.records if "discarding connection" in r.getMessage()]
    assert bool(discarded) == (connections < 4)
    if connections == 4:
        assert len(app.connections) <= 4


class SettingCookies(Clocked):
    def handle(self, request):
        response = super().handle(request)
        response.set_cookie("session_id", "from-the-server")
        return response


def test_no_answer_changes_the_session_a_cookie_is_refused():
    app = SettingCookies()
    with serve(app) as url, make_client(url + "/") as client:
        client.get_json("first")
        in_threads(client, threads=2, calls=2)
    assert not client.session.cookies
    assert not any("HTTP_COOKIE" in headers for headers in app.headers)
