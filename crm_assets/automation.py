"""Jobs and schedules: what replaces the hosted product's triggers.

Per source: a job over its assets, an hourly refresh of today's partition, a
nightly close of yesterday's, and a weekly full sync that re-reads incremental
streams so hard deletes are flagged too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from crm_assets.core.assets import FULL_SYNC_TAG, asset_key
from crm_assets.core.streams import SourceSpec


def source_job(source: SourceSpec) -> Any:
    return define_asset_job(
        f"{source.name}_sync",
        selection=AssetSelection.groups(source.name),
        description=f"Sync every {source.title} stream for the chosen partition(s).",
    )


def source_schedules(source: SourceSpec, job: Any) -> list[ScheduleDefinition]:
    name = source.name
    hourly_keys = [asset_key(source, s) for s in source.streams if not s.per_record_requests]

    # No run key: the scheduler would de-duplicate on it and refresh once a day.
    @schedule(
        name=f"{name}_hourly",
        job=job,
        cron_schedule="15 * * * *",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        description=(
            f"Refresh today's {source.title} partition every hour (streams that cost a "
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
        default_status=DefaultScheduleStatus.STOPPED,
        description=f"Close yesterday's {source.title} partition once it is complete.",
    )
    def daily(context: ScheduleEvaluationContext) -> RunRequest:
        day = _day(context, 1)
        return RunRequest(run_key=f"{name}-daily-{day}", partition_key=day)

    @schedule(
        name=f"{name}_weekly_full",
        job=job,
        cron_schedule="30 3 * * 0",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        description=(
            f"Re-read every {source.title} stream in full on Sundays, so records deleted "
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


def models_job(group: str) -> Any:
    return define_asset_job(
        "models_refresh",
        selection=AssetSelection.groups(group),
        description="Rebuild every model from the raw tables now in the warehouse, with checks.",
    )


def models_automation_sensor(group: str) -> AutomationConditionSensorDefinition:
    # Declared so it runs by default: Dagster's implicit automation sensor starts stopped.
    return AutomationConditionSensorDefinition(
        "models_automation",
        target=AssetSelection.groups(group),
        default_status=DefaultSensorStatus.RUNNING,
        description="Rebuild a model after any raw table it reads is materialized.",
    )
