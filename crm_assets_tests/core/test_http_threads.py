"""The HTTP client used from several threads: one budget, one gate, a session per thread."""

from __future__ import annotations

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
    Credential,
    RateLimit,
    RetriesExhaustedError,
    RetryPolicy,
)

SECRET = "thread-s3cret"


class Clocked(EmulatorApp):
    """Answers after `latency`, noting when each request arrived (the base counts how
    many overlapped: `most_in_flight`)."""

    def __init__(self, latency: float = 0.0, status: int = 200):
        super().__init__(latency=latency)
        self.arrivals: list[float] = []
        self.status = status

    def __call__(self, environ, start_response):
        with self.lock:
            self.arrivals.append(time.monotonic())
        return super().__call__(environ, start_response)

    def handle(self, request):
        return Response("{}", status=self.status, content_type="application/json")


def make_client(url: str, **overrides) -> ApiClient:
    settings = dict(
        source="test",
        base_url=url,
        credential=Credential(SECRET, header="x-token"),
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
    )
    return ApiClient(ClientConfig(**{**settings, **overrides}))


def in_threads(client: ApiClient, threads: int, calls: int) -> list[ApiClient]:
    branches = [client.branch() for _ in range(threads)]

    def work(branch: ApiClient) -> None:
        for _ in range(calls):
            branch.get_json("items")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, branches))
    return branches


def test_branches_in_threads_spend_one_budget():
    app = Clocked(latency=0.02)
    with serve(app) as url, make_client(url + "/", rate_limit=RateLimit(5, 0.5)) as client:
        client.get_json("first")  # until the source has answered, one at a time
        branches = in_threads(client, threads=4, calls=4)
    # 17 requests at 5 per half second: never 6 inside any half-second window.
    arrivals = sorted(app.arrivals)
    assert len(arrivals) == 17
    assert all(
        later - earlier >= 0.45 for earlier, later in zip(arrivals, arrivals[5:], strict=False)
    )
    assert [b.stats.requests for b in branches] == [4, 4, 4, 4]
    assert client.stats.requests == 1  # each branch counts its own
    assert app.most_in_flight > 1  # they did overlap


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
    # A stream's read-ahead producer meets the fatal answer and ends; the next stream's
    # producer starts later, often with the finished thread's ident, and must not pass.
    app = Clocked(status=401)
    errors: list[BaseException] = []

    def one_request(branch: ApiClient) -> None:
        try:
            branch.get_json("items")
        except AuthenticationError as exc:
            errors.append(exc)

    with serve(app) as url, make_client(url + "/") as client:
        for _ in range(5):
            thread = threading.Thread(target=one_request, args=(client.branch(),))
            thread.start()
            thread.join()
    assert len(app.arrivals) == 1
    assert len(errors) == 5


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


def test_each_thread_sends_on_a_session_of_its_own_with_the_configured_headers():
    app = Clocked()
    with serve(app) as url, make_client(url + "/") as client:
        client.session.headers["X-Picked"] = "db1"  # as a resource configures it
        client.get_json("first")
        sessions = []
        # All three alive at once: a thread started after another ended could get its
        # ident, and Python's thread-local storage, reused.
        together = threading.Barrier(3)

        def work() -> None:
            branch = client.branch()
            branch.get_json("items")
            sessions.append(branch._thread_session())
            together.wait(timeout=10)

        workers = [threading.Thread(target=work) for _ in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len({id(s) for s in sessions} | {id(client.session)}) == 4
    assert all(s.headers["X-Picked"] == "db1" for s in sessions)
