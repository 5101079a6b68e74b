"""The shared HTTP client against a scripted app on a real loopback socket."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

import pytest
from werkzeug.wrappers import Response

from crm_assets.core.emulation import EmulatorApp, serve
from crm_assets.core.http import (
    ApiClient,
    ApiError,
    AuthenticationError,
    ClientConfig,
    Credential,
    MalformedResponseError,
    RateLimit,
    RetriesExhaustedError,
    RetryPolicy,
)

SECRET = "s3cr3t/+token=="


class Echo(EmulatorApp):
    """Answers /items with the query it got, /empty with 204, /denied with 401."""

    def handle(self, request):
        if request.path == "/empty":
            return Response(status=204)
        if request.path == "/denied":
            return Response('{"error": "nope"}', status=401, content_type="application/json")
        if request.path == "/gone":
            return Response("not here", status=404)
        return Response(
            json.dumps({"args": dict(request.args)}),
            content_type="application/json",
        )


@pytest.fixture
def app():
    return Echo()


@pytest.fixture
def url(app):
    with serve(app) as base:
        yield base + "/"


def client(url, **overrides) -> ApiClient:
    config = ClientConfig(
        source="test",
        base_url=url,
        credential=Credential(SECRET, query_param="token"),
        retry=RetryPolicy(max_attempts=4, backoff_base=0.01),
    )
    return ApiClient(replace(config, **overrides))


def test_the_credential_travels_and_a_204_is_no_data(url, app):
    with client(url) as c:
        assert c.get_json("items", {"a": 1}) == {"args": {"a": "1", "token": SECRET}}
        assert c.get_json("empty") is None
    assert app.count() == 2


@pytest.mark.parametrize(
    "status, retry_after",
    [(429, 0), (500, None), (502, None), (503, 0), (504, None)],
)
def test_transient_statuses_are_retried(url, app, status, retry_after):
    app.inject(status, times=2, retry_after=retry_after)
    with client(url) as c:
        assert c.get_json("items") == {"args": {"token": SECRET}}
        assert c.stats.retries == 2
    assert [r.status for r in app.requests] == [status, status, 200]


def test_retry_after_is_honoured(url, app):
    app.inject(429, retry_after=0.3)
    with client(url) as c:
        c.get_json("items")
        assert c.stats.waited_seconds == pytest.approx(0.3)


def test_a_retry_after_beyond_the_limit_stops_with_a_clear_error(url, app):
    app.inject(429, retry_after=3600)
    with (
        client(url, retry=RetryPolicy(max_wait=60)) as c,
        pytest.raises(RetriesExhaustedError, match="asked to wait"),
    ):
        c.get_json("items")
    assert app.count() == 1


def test_retries_are_bounded_and_the_error_names_the_call(url, app, caplog):
    caplog.set_level(logging.DEBUG)
    app.inject(500, times=10, body="boom")
    with client(url) as c, pytest.raises(RetriesExhaustedError) as raised:
        c.get_json("items", {"page": 3})
    assert app.count() == 4
    message = str(raised.value)
    assert "after 4 attempts" in message and "HTTP 500" in message and "/items" in message
    assert SECRET not in message and "s3cr3t" not in message
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert "s3cr3t" not in caplog.text


def test_malformed_json_is_retried_then_reported(url, app):
    app.inject(200, times=1, body="[{", content_type="application/json")
    with client(url) as c:
        assert c.get_json("items") == {"args": {"token": SECRET}}
    app.inject(200, times=10, body="<html>", content_type="application/json")
    with client(url) as c, pytest.raises(RetriesExhaustedError, match="not valid JSON"):
        c.get_json("items")


def test_json_the_fast_decoder_refuses_is_read_as_the_standard_library_reads_it(url, app):
    # A lone surrogate escape (half an emoji cut by a vendor's UI) is no reason to retry.
    app.inject(
        200, times=1, body='{"name": "\\ud83d", "value": NaN}', content_type="application/json"
    )
    with client(url) as c:
        body = c.get_json("items")
    assert body["name"] == "\ud83d" and body["value"] != body["value"]
    assert app.count() == 1


def test_4xx_are_not_retried(url, app):
    with client(url) as c:
        with pytest.raises(ApiError, match="HTTP 404") as raised:
            c.get_json("gone")
        assert raised.value.status == 404 and SECRET not in str(raised.value)
        with pytest.raises(AuthenticationError, match="credential was rejected"):
            c.get_json("denied")
        # A rejected credential is fatal: the client sends nothing more, to any thread.
        with pytest.raises(AuthenticationError, match="credential was rejected"):
            c.get_json("items")
    assert app.count() == 2


def test_connection_errors_are_retried_and_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    with client("http://127.0.0.1:9/") as c, pytest.raises(RetriesExhaustedError) as raised:
        c.get_json("items")
    assert "connection failed" in str(raised.value)
    assert "s3cr3t" not in str(raised.value) and "s3cr3t" not in caplog.text


def test_a_stalled_server_is_a_timeout_not_a_hang(url, app):
    app.stall(1.0, times=1)
    with client(url, timeout=0.2) as c:
        assert c.get_json("items") == {"args": {"token": SECRET}}
        assert c.stats.retries == 1


def test_header_credentials_are_redacted_from_debug_logs(url, app, caplog):
    caplog.set_level(logging.DEBUG)
    header = Credential(SECRET, header="Authorization", header_prefix="Bearer ")
    with client(url, credential=header) as c:
        c.get_json("items")
    assert "s3cr3t" not in caplog.text


def test_the_rate_limit_spaces_requests(url, app):
    # A lower bound only: five calls at two per half second need at least a second,
    # however fast or slow the machine is.
    started = time.monotonic()
    with client(url, rate_limit=RateLimit(2, 0.5)) as c:
        for _ in range(5):
            c.get_json("items")
    assert time.monotonic() - started >= 1.0


def test_malformed_is_a_distinct_error_type():
    assert issubclass(MalformedResponseError, ApiError)


class Budget(EmulatorApp):
    """Three requests per window; says so in headers, and refuses the fourth."""

    def __init__(self):
        super().__init__()
        self.used = 0

    def handle(self, request):
        self.used += 1
        remaining = max(0, 3 - self.used)
        status = 429 if self.used > 3 else 200
        if remaining == 0 and status == 200:
            self.used = -(10**6)  # the window "resets" once the client waited
        response = Response("{}", status=status, content_type="application/json")
        response.headers["x-left"] = str(remaining)
        response.headers["x-reset"] = "0.05"
        return response


def test_budget_headers_slow_the_client_before_a_429():
    app = Budget()
    with (
        serve(app) as base,
        client(
            base + "/", remaining_header="x-left", reset_header="x-reset", remaining_floor=0
        ) as c,
    ):
        for _ in range(6):
            c.get_json("items")
        assert c.stats.waited_seconds >= 0.05
    assert [r.status for r in app.requests] == [200] * 6


def test_a_classified_error_is_final_even_on_a_retryable_status(url, app):
    def classify(response, redactor):
        return ApiError("spent for today") if response.status_code == 429 else None

    app.inject(429, times=5)
    with client(url, classify_error=classify) as c, pytest.raises(ApiError, match="spent"):
        c.get_json("items")
    assert app.count() == 1


def null_data(body):
    return "with data null where a list belongs" if body.get("data") is None else None


def test_a_body_the_caller_calls_transient_is_retried_then_reported(url, app, caplog):
    caplog.set_level(logging.DEBUG)
    null = json.dumps({"success": True, "data": None})
    app.inject(200, times=2, body=null, content_type="application/json")
    app.inject(200, times=1, body=json.dumps({"data": [1]}), content_type="application/json")
    with client(url) as c:
        assert c.get_json("items", transient=null_data) == {"data": [1]}
        assert c.stats.retries == 2 and c.stats.waited_seconds > 0
    app.inject(200, times=10, body=null, content_type="application/json")
    with client(url) as c, pytest.raises(RetriesExhaustedError) as raised:
        c.get_json("items", transient=null_data)
    message = str(raised.value)
    assert "after 4 attempts" in message and "data null where a list belongs" in message
    assert "/items" in message and "s3cr3t" not in message and "s3cr3t" not in caplog.text
    # Without the caller's check the same body is a plain answer.
    app.inject(200, times=1, body=null, content_type="application/json")
    with client(url) as c:
        assert c.get_json("items") == {"success": True, "data": None}


def test_the_client_counts_the_bytes_of_every_answer_it_reads(url, app):
    busy = '{"error": "slow down"}'
    app.inject(429, times=1, retry_after=0, body=busy, content_type="application/json")
    with client(url) as c:
        first = c.get_json("items", {"a": 1})
        c.get_json("empty")
        second = c.get_json("items", {"b": "xyz"})
    answers = [busy, json.dumps(first), "", json.dumps(second)]
    assert c.stats.bytes_received == sum(len(a.encode()) for a in answers)
    assert (c.stats.requests, c.stats.throttled) == (4, 1)
