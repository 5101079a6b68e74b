"""Schedules evaluated as the scheduler would, at fixed instants; jobs and launchers run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    DagsterInstance,
    build_run_status_sensor_context,
    build_schedule_context,
    instance_for_test,
)

from crm_assets.automation import ALL_SOURCES_JOB, LAUNCHED_BY_TAG, PARTITION_TAG
from crm_assets.core.demo import demo_host
from crm_assets.core.runtime.assets import FULL_SYNC_TAG, asset_key
from crm_assets.core.spec.streams import SourceSpec
from crm_assets.core.warehouse import Warehouse
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


# -- manual jobs -------------------------------------------------------------------------


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_full_sync_job_carries_the_full_sync_tag(defs, source):
    job = defs.resolve_job_def(f"{source}_full_sync")
    assert job.tags[FULL_SYNC_TAG] == "true"
    assert job.partitions_def is not None, "a full sync still runs for a chosen partition"
    keys = {k for k in job.asset_layer.selected_asset_keys}
    assert keys == {asset_key(s, st) for s in SOURCES if s.name == source for st in s.streams}


def test_a_full_sync_job_run_reads_incremental_streams_in_full(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    source = SOURCES[0]
    incremental = next(s for s in source.streams if s.sync_mode == "INCREMENTAL")
    defs = build_definitions()
    result = defs.resolve_job_def(f"{source.name}_full_sync").execute_in_process(
        partition_key="2026-11-20",
        asset_selection=[asset_key(source, incremental)],
        instance=DagsterInstance.ephemeral(),
        run_config={"resources": {source.resource_key: fast_demo(source)}},
    )
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["window"].value == "full read"


def test_every_raw_asset_has_a_freshness_policy_matching_the_schedules(defs):
    graph = defs.resolve_asset_graph()
    for source in SOURCES:
        for stream in source.streams:
            policy = graph.get(asset_key(source, stream)).freshness_policy
            assert policy is not None, f"{source.name}/{stream.name}"
            assert policy.warn_window.to_timedelta() == timedelta(hours=2), (
                "two hourly refreshes missed"
            )
            assert policy.fail_window.to_timedelta() == timedelta(hours=26), (
                "a day and the nightly close"
            )


def fast_demo(source: SourceSpec) -> dict:
    """Run config for a demo run without the vendor's pacing (run config replaces the
    bound settings, so the demo URL and start date are given again)."""
    resource = source.resource
    return {
        "config": {
            "base_url": demo_host(source.name) + resource.DEMO_PATH,
            "start_date": resource.from_env().start_date,
            "requests_per_second": 1000,
        }
    }


def plan(defs, instance, **config):
    return defs.resolve_job_def(ALL_SOURCES_JOB).execute_in_process(
        run_config={"ops": {"plan_all_sources_sync": {"config": config}}},
        instance=instance,
        raise_on_error=False,
    )


def launch(defs, instance, planned) -> list:
    [success] = [e for e in planned.all_events if e.event_type_value == "PIPELINE_SUCCESS"]
    context = build_run_status_sensor_context(
        sensor_name="all_sources_sync_launcher",
        dagster_event=success,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(planned.run_id),
    )
    return list(defs.resolve_sensor_def("all_sources_sync_launcher")(context))


def test_all_sources_sync_starts_a_run_per_source_and_they_succeed(monkeypatch, tmp_path):
    """Sources with different start dates, one launch, every source synced (demo mode)."""
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("CRM_WAREHOUSE_URL", url)
    today = datetime.now(UTC).date()
    for index, source in enumerate(SOURCES):
        start = today - timedelta(days=400 + index)
        monkeypatch.setenv(source.resource.START_DATE_VARIABLE, start.isoformat())
    defs = build_definitions()
    with instance_for_test() as instance:
        # A quiet day of the demo data, so the runs are whole but small: incremental
        # streams find little to read, full-table streams read everything.
        day = (today - timedelta(days=380)).isoformat()
        planned = plan(defs, instance, partition=day)
        assert planned.success
        requests = launch(defs, instance, planned)
        assert sorted(r.job_name for r in requests) == sorted(f"{s.name}_sync" for s in SOURCES)
        by_job = {f"{s.name}_sync": s for s in SOURCES}
        for request in requests:
            source = by_job[request.job_name]
            assert request.partition_key == day
            assert request.tags[LAUNCHED_BY_TAG] == planned.run_id
            assert FULL_SYNC_TAG not in request.tags
            result = defs.resolve_job_def(request.job_name).execute_in_process(
                partition_key=request.partition_key,
                tags=request.tags,
                instance=instance,
                # The demo paces requests as the vendor would; a test need not wait.
                run_config={"resources": {source.resource_key: fast_demo(source)}},
            )
            assert result.success, request.job_name
            materialized = {e.asset_key for e in result.get_asset_materialization_events()}
            assert materialized == {asset_key(source, s) for s in source.streams}
            assert result.dagster_run.tags["dagster/partition"] == day
    tables = set(Warehouse(url=url).table_names())
    for source in SOURCES:
        assert any(t.startswith(f"{source.name}_") for t in tables), source.name


def test_all_sources_sync_skips_a_source_whose_partitions_start_later(monkeypatch):
    first, later = SOURCES[0], SOURCES[1]
    monkeypatch.setenv(first.resource.START_DATE_VARIABLE, "2026-01-01")
    for source in SOURCES[1:]:
        monkeypatch.setenv(source.resource.START_DATE_VARIABLE, "2026-06-01")
    defs = build_definitions()
    with instance_for_test() as instance:
        planned = plan(defs, instance, partition="2026-03-15", full_sync=True)
        assert planned.success
        [request] = launch(defs, instance, planned)
        assert request.job_name == f"{first.name}_sync"
        assert request.partition_key == "2026-03-15"
        assert request.tags[FULL_SYNC_TAG] == "true"
        assert request.run_key == f"{planned.run_id}:{first.name}", "no double start on retry"
        text = "\n".join(str(e.user_message) for e in instance.all_logs(planned.run_id))
        assert later.title in text and "start date" in text
        assert "dagster job launch" in text, "an in-process run is told no sensor will see it"


@pytest.mark.parametrize(
    ("partition", "error"),
    [
        ("2026-13-01", "is not a date; use YYYY-MM-DD"),
        ("2020-01-01", "No connection has a partition"),
    ],
)
def test_all_sources_sync_refuses_a_bad_partition_and_starts_nothing(defs, partition, error):
    with instance_for_test() as instance:
        planned = plan(defs, instance, partition=partition)
        assert not planned.success
        text = "\n".join(str(e) for e in instance.all_logs(planned.run_id))
        assert error in text
        assert PARTITION_TAG not in instance.get_run_by_id(planned.run_id).tags
