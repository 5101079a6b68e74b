"""Schedules evaluated as the scheduler would, at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import build_schedule_context

from crm_assets.core.assets import FULL_SYNC_TAG
from crm_assets.definitions import SOURCES, build_definitions


@pytest.fixture(scope="module")
def defs():
    return build_definitions()


def tick(defs, name: str, at: datetime):
    schedule = defs.resolve_schedule_def(name)
    context = build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )
    return schedule.evaluate_tick(context).run_requests


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_hourly_refreshes_today_without_a_run_key(defs, source):
    for hour in (0, 14, 23):
        [request] = tick(defs, f"{source}_hourly", datetime(2026, 11, 23, hour, 15, tzinfo=UTC))
        assert request.partition_key == "2026-11-23"
        assert request.run_key is None, "a run key would dedupe the hourly runs to one a day"


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_daily_closes_yesterday(defs, source):
    [request] = tick(defs, f"{source}_daily", datetime(2026, 11, 23, 0, 45, tzinfo=UTC))
    assert request.partition_key == "2026-11-22"
    assert FULL_SYNC_TAG not in request.tags


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_weekly_full_sync_is_tagged(defs, source):
    [request] = tick(defs, f"{source}_weekly_full", datetime(2026, 11, 22, 3, 30, tzinfo=UTC))
    assert request.partition_key == "2026-11-21"
    assert request.tags[FULL_SYNC_TAG] == "true"


def test_hourly_leaves_out_streams_that_cost_a_request_per_record(defs):
    [request] = tick(defs, "pipedrive_hourly", datetime(2026, 11, 23, 9, 15, tzinfo=UTC))
    selected = {tuple(k.path) for k in request.asset_selection}
    assert ("pipedrive", "deals_flow") not in selected
    assert {("pipedrive", "deals"), ("pipedrive", "persons")} <= selected
    [daily] = tick(defs, "pipedrive_daily", datetime(2026, 11, 23, 0, 45, tzinfo=UTC))
    assert daily.asset_selection is None, "the nightly run syncs every stream"
