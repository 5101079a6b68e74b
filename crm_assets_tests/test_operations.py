"""What operators see of a run: its event log and its failure message.

Every `context.log` line is an event Dagster stores, so per-page and per-request
detail must stay out of it; a failed run must say what went wrong in its first line.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.nectarcrm.streams import SOURCE
from crm_assets_tests.harness import Harness, harness
from crm_assets_tests.sources.nectarcrm.conftest import ANCHOR, SMALL, TOKEN, settings

FULL = {"crm/full_sync": "true"}
STREAMS = ["contacts", "opportunities"]


@pytest.fixture
def nectar_paged() -> Iterator[Callable[[int], Harness]]:
    """NectarCRM harnesses whose emulator serves at most `page_size` records a page."""
    with ExitStack() as stack:

        def start(page_size: int) -> Harness:
            emulator = NectarCrmEmulator(
                token=TOKEN, anchor=ANCHOR, sizes=SMALL, max_page_size=page_size
            )
            return stack.enter_context(harness(SOURCE, emulator, ANCHOR, settings))

        yield start


def _stored_events(nectar: Harness, result) -> list:
    return nectar.instance.all_logs(result.run_id)


def _pages(result) -> int:
    return sum(
        event.materialization.metadata["pages"].value
        for event in result.get_asset_materialization_events()
    )


def test_event_log_size_does_not_grow_with_the_page_count(nectar_paged, sqlite_warehouse, caplog):
    caplog.set_level(logging.DEBUG, logger="crm_assets")
    few = nectar_paged(50)
    few_result = few.run(sqlite_warehouse, streams=STREAMS, tags=FULL)
    many = nectar_paged(2)
    many_result = many.run(sqlite_warehouse, streams=STREAMS, tags=FULL)

    assert _pages(many_result) > 100 > 10 > _pages(few_result)
    assert len(_stored_events(many, many_result)) == len(_stored_events(few, few_result))
    # The detail is not lost: it goes to the Python logger, a line per page and request.
    detail = [r for r in caplog.records if r.name.startswith("crm_assets")]
    page_lines = [r for r in detail if r.levelno == logging.DEBUG and ": page " in r.message]
    request_lines = [r for r in detail if r.levelno == logging.DEBUG and "GET " in r.message]
    assert len(page_lines) >= _pages(many_result) + _pages(few_result)
    assert len(request_lines) >= len(many.emulator.requests) + len(few.emulator.requests)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


WRONG_TOKEN = "wrong-nectar-token-77e1d0"
CANNOT_RETRY = (
    "NectarCRM: 1 of 2 streams failed (contacts); 1 was written. Re-running will fail the "
    "same way: first change what each error below names."
)
RETRY = (
    "NectarCRM: 1 of 2 streams failed (contacts); 1 was written. The failure looks "
    "temporary: re-run the partition to retry them."
)


@pytest.mark.parametrize(
    ("fault", "first_line"),
    [
        pytest.param(
            "bad_token",
            "NectarCRM rejected the API token (HTTP 401 'Invalid token'). Check "
            "NECTARCRM_API_TOKEN: copy it again from Settings > Integrations > Public Token.",
            id="bad-token",
        ),
        pytest.param("stream_404", CANNOT_RETRY, id="one-stream-fails"),
        pytest.param("stream_retries", RETRY, id="retries-exhausted"),
        pytest.param(
            "mixed",
            "NectarCRM: 2 of 2 streams failed; none were written. Re-running the partition "
            "retries opportunities; contacts needs the change its error below names first.",
            id="one-to-retry-one-to-fix",
        ),
    ],
)
def test_a_failed_run_says_what_went_wrong_first(nectar_paged, sqlite_warehouse, fault, first_line):
    nectar = nectar_paged(50)
    overrides = {"max_attempts": 2}
    if fault == "bad_token":
        overrides["api_token"] = WRONG_TOKEN
    elif fault == "stream_404":
        nectar.emulator.inject(404, body="Not found", path_prefix="/crm/api/1/contatos")
    elif fault == "stream_retries":
        nectar.emulator.inject(503, times=2, path_prefix="/crm/api/1/contatos")
    else:
        nectar.emulator.inject(404, body="Not found", path_prefix="/crm/api/1/contatos")
        nectar.emulator.inject(503, times=2, path_prefix="/crm/api/1/oportunidades")

    result = nectar.run(sqlite_warehouse, streams=STREAMS, raise_on_error=False, **overrides)

    assert not result.success
    [step_failure] = [e for e in result.all_events if e.is_step_failure]
    data = step_failure.step_failure_data
    assert data.user_failure_data.description.splitlines()[0] == first_line
    # The error Dagster shows and prints: our sentence first, no chained exception under it.
    assert data.error.message.splitlines()[0].endswith(first_line)
    assert data.error.cause is None and data.error.context is None
    [run_failure] = [e for e in result.all_events if e.is_run_failure]
    assert run_failure.job_failure_data.error.message.splitlines()[0].endswith(first_line)
    stored = nectar.instance.all_logs(result.run_id)
    assert not any(WRONG_TOKEN in str(e) or TOKEN in str(e) for e in stored)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_vendor_that_cannot_be_reached_fails_every_stream_and_says_none_was_written(
    nectar_paged, sqlite_warehouse
):
    nectar = nectar_paged(50)
    result = nectar.run(
        sqlite_warehouse,
        streams=["contacts", "opportunities", "tags"],
        raise_on_error=False,
        base_url=f"http://127.0.0.1:{free_port()}/crm/api/1/",
        max_attempts=2,
        backoff_seconds=0.01,
    )
    assert not result.success
    [step_failure] = [e for e in result.all_events if e.is_step_failure]
    lines = step_failure.step_failure_data.user_failure_data.description.splitlines()
    assert lines[0] == (
        "NectarCRM: 3 of 3 streams failed; none were written. The failures look temporary: "
        "re-run the partition to retry them."
    )
    assert [line.split(":")[0] for line in lines[1:]] == ["contacts", "opportunities", "tags"]
    assert all("connection failed" in line for line in lines[1:])
    assert sqlite_warehouse.table_names() == []
    assert not any(TOKEN in str(e) for e in _stored_events(nectar, result))
