"""Jobs and sensors across connections: what replaces the hosted product's triggers.

`all_sources_sync`, one launch that syncs every connection for a partition, and the
models' refresh. Each connection's own jobs and schedules are in
`core.runtime.jobs`.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    Config,
    DagsterRunStatus,
    DefaultSensorStatus,
    Failure,
    JobDefinition,
    OpExecutionContext,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    define_asset_job,
    job,
    op,
    run_status_sensor,
)
from pydantic import Field

from crm_assets.core.runtime.assets import FULL_SYNC_TAG, partitions_for
from crm_assets.core.runtime.connection import Connection

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


def all_sources_job(connections: Sequence[Connection]) -> JobDefinition:
    """One launch that syncs every connection for a partition, through a launcher sensor.

    Each connection's partitions start on its own date, and an asset job cannot span
    partitions definitions that differ. So this job only checks the partition against
    each connection and records the plan in its run tags; `all_sources_sync_launcher`
    then starts one `<connection>_sync` run per due connection, which keep their own
    pools.
    """

    @op(name="plan_all_sources_sync")
    def plan(context: OpExecutionContext, config: AllSourcesConfig) -> None:
        day = config.partition.strip() or datetime.now(UTC).strftime("%Y-%m-%d")
        try:
            date.fromisoformat(day)
        except ValueError:
            raise Failure(f"partition {day!r} is not a date; use YYYY-MM-DD.") from None
        due = [s.name for s in connections if partitions_for(s).has_partition_key(day)]
        skipped = [s.title for s in connections if s.name not in due]
        if not due:
            raise Failure(
                f"No connection has a partition {day}: it is before every start date or after today."
            )
        if skipped:
            context.log.warning(
                f"{', '.join(skipped)}: no partition {day} (before the connection's start date)."
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
            "Sync every connection for one partition (config `partition`, default today). "
            "Sources' partitions start on different dates, so one asset job cannot hold "
            "them all: this run checks the partition and `all_sources_sync_launcher` "
            "(a sensor, on by default; needs the daemon, which `dagster dev` runs) starts "
            "one `<connection>_sync` run per connection, each in its own pool. A connection whose "
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
        description=(
            "Starts one `<connection>_sync` run per connection for each successful "
            "`all_sources_sync`."
        ),
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
