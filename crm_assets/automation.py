"""Jobs, schedules and sensors: what replaces the hosted product's triggers.

Per source: a job over its assets, a full-sync job, an hourly refresh of today's
partition, a nightly close of yesterday's, and a weekly full sync that re-reads
incremental streams so hard deletes are flagged too. Across sources:
`all_sources_sync`, one launch that syncs every source for a partition.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    Config,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Failure,
    JobDefinition,
    OpExecutionContext,
    RunRequest,
    RunStatusSensorContext,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SkipReason,
    define_asset_job,
    job,
    op,
    run_status_sensor,
    schedule,
)
from pydantic import Field

from crm_assets.core.runtime.assets import FULL_SYNC_TAG, asset_key, partitions_for
from crm_assets.core.spec.streams import SourceSpec


def source_job(source: SourceSpec) -> Any:
    return define_asset_job(
        f"{source.name}_sync",
        selection=AssetSelection.groups(source.name),
        description=f"Sync every {source.title} stream for the chosen partition(s).",
    )


def full_sync_job(source: SourceSpec) -> Any:
    return define_asset_job(
        f"{source.name}_full_sync",
        selection=AssetSelection.groups(source.name),
        tags={FULL_SYNC_TAG: "true"},
        description=(
            f"Re-read every {source.title} stream in full, whatever its sync mode, and mark "
            "`_deleted` what the source no longer has (what the weekly full sync does). "
            "Pick any partition: only streams that cost a request per record read just "
            "that partition's window."
        ),
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


# -- all sources in one launch ----------------------------------------------------------

ALL_SOURCES_JOB = "all_sources_sync"
PARTITION_TAG = "crm/partition"
SOURCES_TAG = "crm/sources"
LAUNCHED_BY_TAG = "crm/launched_by"


class AllSourcesConfig(Config):
    partition: str = Field(default="", description="YYYY-MM-DD (UTC); empty means today.")
    full_sync: bool = Field(
        default=False, description="Re-read every stream in full, as the weekly full sync does."
    )


def all_sources_job(sources: Sequence[SourceSpec]) -> JobDefinition:
    """One launch that syncs every source for a partition, through a launcher sensor.

    Each source's partitions start on its own date, and an asset job cannot span
    partitions definitions that differ. So this job only checks the partition against
    each source and records the plan in its run tags; `all_sources_sync_launcher`
    then starts one `<source>_sync` run per due source, which keep their own pools.
    """

    @op(name="plan_all_sources_sync")
    def plan(context: OpExecutionContext, config: AllSourcesConfig) -> None:
        day = config.partition.strip() or datetime.now(UTC).strftime("%Y-%m-%d")
        try:
            date.fromisoformat(day)
        except ValueError:
            raise Failure(f"partition {day!r} is not a date; use YYYY-MM-DD.") from None
        due = [s.name for s in sources if partitions_for(s).has_partition_key(day)]
        skipped = [s.title for s in sources if s.name not in due]
        if not due:
            raise Failure(
                f"No source has a partition {day}: it is before every start date or after today."
            )
        if skipped:
            context.log.warning(
                f"{', '.join(skipped)}: no partition {day} (before the source's start date)."
            )
        tags = {PARTITION_TAG: day, SOURCES_TAG: ",".join(due)}
        if config.full_sync:
            tags[FULL_SYNC_TAG] = "true"
        context.instance.add_run_tags(context.run_id, tags)
        if context.dagster_run.remote_job_origin is None:
            # Sensors see only runs launched through a code location (UI, schedule,
            # sensor, `dagster job launch`), never `dagster job execute` or in-process runs.
            context.log.warning(
                "This run was not launched through the code location (it was started by "
                "`dagster job execute` or in process), so all_sources_sync_launcher will not "
                "see it. Launch all_sources_sync from the UI or with `dagster job launch`."
            )
        context.log.info(
            f"all_sources_sync_launcher will start {', '.join(f'{n}_sync' for n in due)} for {day}."
        )

    @job(
        name=ALL_SOURCES_JOB,
        description=(
            "Sync every source for one partition (config `partition`, default today). "
            "Sources' partitions start on different dates, so one asset job cannot hold "
            "them all: this run checks the partition and `all_sources_sync_launcher` "
            "(a sensor, on by default; needs the daemon, which `dagster dev` runs) starts "
            "one `<source>_sync` run per source, each in its own pool. A source whose "
            "start date is later is skipped with a warning."
        ),
    )
    def all_sources_sync() -> None:
        plan()

    return all_sources_sync


def all_sources_launcher(
    launcher_job: JobDefinition, source_jobs: Sequence[Any]
) -> SensorDefinition:
    """Starts the per-source runs an `all_sources_sync` run planned, once it succeeds."""

    @run_status_sensor(
        name="all_sources_sync_launcher",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[launcher_job],
        request_jobs=list(source_jobs),
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts one `<source>_sync` run per source for each successful `all_sources_sync`.",
    )
    def launcher(context: RunStatusSensorContext) -> list[RunRequest] | SkipReason:
        run = context.dagster_run
        day, due = run.tags.get(PARTITION_TAG), run.tags.get(SOURCES_TAG)
        if not day or not due:
            return SkipReason(f"run {run.run_id} planned no source")
        tags = {LAUNCHED_BY_TAG: run.run_id}
        if run.tags.get(FULL_SYNC_TAG) == "true":
            tags[FULL_SYNC_TAG] = "true"
        return [
            # The run key makes a re-evaluated tick start nothing twice.
            RunRequest(
                run_key=f"{run.run_id}:{name}",
                job_name=f"{name}_sync",
                partition_key=day,
                tags=tags,
            )
            for name in due.split(",")
        ]

    return launcher


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
