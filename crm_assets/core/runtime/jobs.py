"""A connection's jobs and schedules: what replaces the hosted product's triggers.

A job over the connection's assets, a full-sync job, an hourly refresh of today's
partition, a nightly close of yesterday's, and a weekly full sync that re-reads
incremental streams so hard deletes are flagged too.
"""

from datetime import timedelta
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from crm_assets.core.runtime.assets import FULL_SYNC_TAG, asset_key
from crm_assets.core.runtime.connection import Connection


def sync_job(connection: Connection) -> Any:
    return define_asset_job(
        f"{connection.name}_sync",
        selection=AssetSelection.groups(connection.name),
        description=f"Sync every {connection.title} stream for the chosen partition(s).",
    )


def full_sync_job(connection: Connection) -> Any:
    return define_asset_job(
        f"{connection.name}_full_sync",
        selection=AssetSelection.groups(connection.name),
        tags={FULL_SYNC_TAG: "true"},
        description=(
            f"Re-read every {connection.title} stream in full, whatever its sync mode, and mark "
            "`_deleted` what the source no longer has (what the weekly full sync does). "
            "Pick any partition: only streams that cost a request per record read just "
            "that partition's window."
        ),
    )


def connection_schedules(connection: Connection, job: Any) -> list[ScheduleDefinition]:
    name = connection.name
    hourly_keys = [
        asset_key(connection, s) for s in connection.streams if not s.per_record_requests
    ]
    status = (
        DefaultScheduleStatus.RUNNING
        if connection.schedules_running
        else DefaultScheduleStatus.STOPPED
    )

    # No run key: the scheduler would de-duplicate on it and refresh once a day.
    @schedule(
        name=f"{name}_hourly",
        job=job,
        cron_schedule="15 * * * *",
        execution_timezone="UTC",
        default_status=status,
        description=(
            f"Refresh today's {connection.title} partition every hour (streams that cost a "
            "request per record wait for the nightly run)."
        ),
    )
    def hourly(context: ScheduleEvaluationContext) -> RunRequest:
        return RunRequest(partition_key=_day(context, 0), asset_selection=hourly_keys)

    # Partitions end at midnight UTC; 00:45 closes yesterday after late writes settle.
    @schedule(
        name=f"{name}_daily",
        job=job,
        cron_schedule="45 0 * * *",
        execution_timezone="UTC",
        default_status=status,
        description=f"Close yesterday's {connection.title} partition once it is complete.",
    )
    def daily(context: ScheduleEvaluationContext) -> RunRequest:
        day = _day(context, 1)
        return RunRequest(run_key=f"{name}-daily-{day}", partition_key=day)

    @schedule(
        name=f"{name}_weekly_full",
        job=job,
        cron_schedule="30 3 * * 0",
        execution_timezone="UTC",
        default_status=status,
        description=(
            f"Re-read every {connection.title} stream in full on Sundays, so records deleted "
            "at the source are marked `_deleted` in incremental tables too."
        ),
    )
    def weekly_full(context: ScheduleEvaluationContext) -> RunRequest:
        day = _day(context, 1)
        return RunRequest(
            run_key=f"{name}-full-{day}", partition_key=day, tags={FULL_SYNC_TAG: "true"}
        )

    return [hourly, daily, weekly_full]


def _day(context: ScheduleEvaluationContext, days_back: int) -> str:
    return (context.scheduled_execution_time - timedelta(days=days_back)).strftime("%Y-%m-%d")
