"""The shared emulator machinery: request log, faults, the loopback server, the adapter."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from werkzeug.wrappers import Response

from crm_assets.core.emulation import DROPPED, EmulatorApp, RecordedRequest, WSGIAdapter, serve

DEMO = "http://app.demo.invalid/"


class Mirror(EmulatorApp):
    """Answers with what it received, so both transports can be compared."""

    def handle(self, request):
        if request.path == "/teapot":
            return Response("short and stout", status=418, content_type="text/plain")
        payload = {
            "method": request.method,
            "path": request.path,
            "args": request.args.to_dict(flat=False),
            "header": request.headers.get("X-Probe"),
            "host": request.host,
            "body": request.get_data(as_text=True),
            "text": "ação",
        }
        response = Response(json.dumps(payload), content_type="application/json; charset=utf-8")
        response.headers.add("X-Twice", "a")
        response.headers.add("X-Twice", "b")
        return response


@pytest.fixture
def app():
    return Mirror()


@pytest.fixture
def url(app):
    with serve(app) as base:
        yield base


def in_process(app) -> requests.Session:
    session = requests.Session()
    session.mount(DEMO, WSGIAdapter(app))
    return session


def test_every_request_is_logged_with_its_status(url, app):
    requests.get(f"{url}/items", params={"a": ["1", "2"], "b": "x"})
    requests.get(f"{url}/teapot")
    assert app.requests == [
        RecordedRequest("GET", "/items", {"a": ["1", "2"], "b": ["x"]}, 200),
        RecordedRequest("GET", "/teapot", {}, 418),
    ]
    assert app.count() == 2 and app.count("/tea") == 1 and app.count("/nothing") == 0
    app.reset_log()
    assert app.count() == 0 and app.requests == []


def test_faults_are_served_first_in_first_out(url, app):
    app.inject(429, times=2, retry_after=1.5)
    app.inject(503, body="down", content_type="text/html")
    answers = [requests.get(f"{url}/items") for _ in range(4)]
    assert [r.status_code for r in answers] == [429, 429, 503, 200]
    assert answers[0].headers["Retry-After"] == "1.5"
    assert "Retry-After" not in answers[2].headers
    assert answers[2].text == "down" and answers[2].headers["Content-Type"].startswith("text/html")
    assert [r.status for r in app.requests] == [429, 429, 503, 200]


def test_a_fault_with_a_prefix_waits_for_a_matching_request(url, app):
    app.inject(500, path_prefix="/deals")
    app.inject(502)
    statuses = [requests.get(f"{url}{path}").status_code for path in ("/users", "/deals", "/deals")]
    # /users skips the /deals fault and takes the next one that matches any path.
    assert statuses == [502, 500, 200]


def test_a_retry_after_of_zero_is_sent(url, app):
    app.inject(429, retry_after=0)
    assert requests.get(f"{url}/items").headers["Retry-After"] == "0"


def test_a_stall_times_a_client_out_without_holding_up_the_next_request(url, app):
    app.stall(1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{url}/slow", timeout=0.2)
    started = time.monotonic()
    assert requests.get(f"{url}/items", timeout=2).status_code == 200
    assert time.monotonic() - started < 0.8  # the stalled answer is still 1s away


def test_a_dropped_connection_gets_no_answer_on_either_transport(url, app):
    app.drop(path_prefix="/items")
    session = requests.Session()
    session.get(f"{url}/users")  # a kept-alive connection, as a client's session holds
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/items", timeout=2)
    assert session.get(f"{url}/items", timeout=2).status_code == 200
    app.drop()
    with pytest.raises(requests.ConnectionError):
        in_process(app).get(f"{DEMO}items")
    assert [r.status for r in app.requests] == [200, DROPPED, 200, DROPPED]


def test_latency_delays_every_answer():
    app = Mirror(latency=0.15)
    with serve(app) as url:
        started = time.monotonic()
        requests.get(f"{url}/items")
        requests.get(f"{url}/items")
    assert time.monotonic() - started >= 0.3


def test_the_most_requests_served_at_once_is_counted_until_the_log_is_reset():
    app = Mirror(latency=0.2)
    with serve(app) as url:
        requests.get(f"{url}/items")
        assert (app.in_flight, app.most_in_flight) == (0, 1)
        threads = [threading.Thread(target=requests.get, args=(f"{url}/items",)) for _ in "abc"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (app.in_flight, app.most_in_flight) == (0, 3)
        app.reset_log()
        assert app.most_in_flight == 0
        in_process(app).get(f"{DEMO}items")
        assert app.most_in_flight == 1


def test_concurrent_requests_consume_each_fault_exactly_once(url, app):
    app.inject(500, times=7)
    statuses: list[int] = []

    def worker():
        for _ in range(5):
            statuses.append(requests.get(f"{url}/items").status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 23 + [500] * 7
    assert app.count() == 30


def test_the_server_logs_no_line_per_request_and_stops_on_exit(capfd):
    app = Mirror()
    with serve(app) as url:
        assert url.startswith("http://127.0.0.1:")
        for _ in range(3):
            requests.get(f"{url}/items")
    out, err = capfd.readouterr()
    assert "GET /items" not in out + err
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/items", timeout=1)


def test_the_adapter_answers_as_the_socket_does(url, app):
    over_socket = requests.get(
        f"{url}/items", params={"q": "é ü", "n": 2}, headers={"X-Probe": "1"}
    ).json()
    answer = in_process(app).get(
        f"{DEMO}items", params={"q": "é ü", "n": 2}, headers={"X-Probe": "1"}
    )
    assert answer.status_code == 200 and answer.reason == "OK"
    assert answer.encoding == "utf-8" and answer.url == f"{DEMO}items?q=%C3%A9+%C3%BC&n=2"
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.headers["X-Twice"] == "a, b"
    payload = answer.json()
    assert payload["text"] == "ação" and payload["host"] == "app.demo.invalid"
    assert {k: v for k, v in payload.items() if k != "host"} == {
        k: v for k, v in over_socket.items() if k != "host"
    }
    assert payload["args"] == {"q": ["é ü"], "n": ["2"]} and payload["header"] == "1"
    assert app.requests[-1] == RecordedRequest("GET", "/items", {"q": ["é ü"], "n": ["2"]}, 200)


def test_the_adapter_carries_bodies_errors_and_faults(app):
    session = in_process(app)
    posted = session.post(f"{DEMO}rpc", json={"x": [1, 2]}, stream=True)
    assert posted.json()["method"] == "POST" and json.loads(posted.json()["body"]) == {"x": [1, 2]}
    teapot = session.get(f"{DEMO}teapot")
    assert (teapot.status_code, teapot.reason, teapot.text) == (
        418,
        "I'M A TEAPOT",
        "short and stout",
    )
    app.inject(429, retry_after=3)
    limited = session.get(f"{DEMO}items")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert [r.status for r in app.requests] == [200, 418, 429]


def test_an_abuse_block_starts_past_the_threshold_inside_the_window_and_ends():
    from crm_assets.core.emulation import AbuseBlock

    abuse = AbuseBlock(threshold=2, window=10.0, block_seconds=60.0)
    for moment in (0.0, 5.0):  # two 429s: still within the threshold
        abuse.rejected(moment)
    assert not abuse.blocked(5.0)
    abuse.rejected(30.0)  # the first two fell out of the window
    assert not abuse.blocked(30.0)
    abuse.rejected(31.0)
    abuse.rejected(32.0)  # three inside ten seconds: blocked for a minute
    assert abuse.blocked(32.0) and abuse.blocked(91.9)
    assert not abuse.blocked(92.0)
