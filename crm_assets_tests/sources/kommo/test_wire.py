"""Kommo's limits and errors over loopback: pacing, 429, the 403 block, problem bodies."""

from __future__ import annotations

import json
import logging

import pytest

from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.kommo.streams import STREAMS
from crm_assets_tests.harness import failure_text, logged_text
from crm_assets_tests.sources.kommo.conftest import TOKEN, UNLIMITED

FULL = {FULL_SYNC_TAG: "true"}
FAST = {"requests_per_second": UNLIMITED}
TINY = {"leads": 40, "contacts": 20, "companies": 10, "tasks": 10, "notes": 5}


def test_the_client_never_exceeds_7_requests_per_second(make_kommo, sqlite_warehouse):
    # The emulator enforces Kommo's limit and counts; the client runs on its defaults.
    kommo = make_kommo(sizes=TINY)
    result = kommo.run(sqlite_warehouse, tags=FULL)
    assert result.success
    served = [r.status for r in kommo.emulator.requests]
    assert len(served) > 3 * 7  # long enough for the budget to bind, across every stream
    assert 429 not in served
    # Up to the budget, never over it; on a busy machine the client may not reach it.
    assert 4 < kommo.emulator.peak_rate() <= 7


def test_a_429_is_retried_with_backoff(kommo, sqlite_warehouse):
    kommo.emulator.inject(429, times=2, path_prefix="/api/v4/tasks")
    result = kommo.run(sqlite_warehouse, streams=["tasks"], tags=FULL, **FAST)
    assert result.success
    assert [r.status for r in kommo.emulator.requests][:3] == [429, 429, 200]
    assert sqlite_warehouse.row_count("kommo_tasks") == 100
    assert "retry 2 of" in logged_text(result, kommo.instance)


def test_repeated_abuse_brings_a_403_block_that_ends_the_run(make_kommo, sqlite_warehouse):
    # A client told to ignore the budget meets 429s, then the block.
    kommo = make_kommo(sizes=TINY, abuse_threshold=3, block_seconds=600)
    result = kommo.run(sqlite_warehouse, tags=FULL, raise_on_error=False, max_attempts=10, **FAST)
    assert not result.success
    served = [r.status for r in kommo.emulator.requests]
    assert 429 in served and served[-1] == 403
    assert served.count(403) == 1  # not retried into the block, no other stream tried
    text = failure_text(result)
    assert "HTTP 403" in text and "7 requests per second" in text
    assert "request limits repeatedly exceeded" in text
    assert len(result.get_asset_materialization_events()) < len(STREAMS)


def test_problem_json_errors_become_clear_messages(kommo, sqlite_warehouse):
    problem = {
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
        "validation-errors": [
            {"request_id": "0", "errors": [{"path": "filter", "detail": "Unknown filter"}]}
        ],
    }
    kommo.emulator.inject(
        400,
        body=json.dumps(problem),
        content_type="application/problem+json",
        path_prefix="/api/v4/tasks",
    )
    result = kommo.run(sqlite_warehouse, streams=["tasks", "users"], raise_on_error=False, **FAST)
    assert not result.success
    text = failure_text(result)
    assert "HTTP 400" in text and "Request validation failed" in text
    assert "filter: Unknown filter" in text
    assert sqlite_warehouse.row_count("kommo_users") == 12  # the other stream was written


def test_a_lapsed_subscription_stops_the_run_clearly(kommo, sqlite_warehouse):
    body = {"title": "Payment Required", "status": 402, "detail": "Account is not paid"}
    kommo.emulator.inject(402, body=json.dumps(body), content_type="application/problem+json")
    result = kommo.run(sqlite_warehouse, streams=["tasks", "users"], raise_on_error=False, **FAST)
    assert not result.success
    assert "Payment Required" in failure_text(result)
    assert "Account is not paid" in failure_text(result)
    assert len(kommo.emulator.requests) == 1  # fatal: the other stream was not tried


@pytest.mark.parametrize("token", [TOKEN, "a-wrong-token-3b7c"])
def test_the_token_is_in_no_log_line(kommo, sqlite_warehouse, token, caplog):
    # Request lines go to the Python logger at debug, not to Dagster's event log.
    caplog.set_level(logging.DEBUG)
    kommo.emulator.inject(429, times=1, path_prefix="/api/v4/leads")
    result = kommo.run(
        sqlite_warehouse, streams=["leads", "users"], raise_on_error=False, access_token=token,
        **FAST,
    )  # fmt: skip
    text = logged_text(result, kommo.instance) + failure_text(result) + caplog.text
    assert "GET " in caplog.text  # the request log is there, at debug level
    assert token not in text
    if token != TOKEN:
        assert "Kommo rejected the access token" in text
        assert "Invalid or missing access token" in text
