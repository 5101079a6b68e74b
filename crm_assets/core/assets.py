"""One factory turning a source's stream specs into one Dagster multi-asset.

One asset per stream (`<source>/<stream>`), any subset materializable, daily UTC
partitions from the source's start date (plus today, so it can be refreshed during
the day), a backfill of any range as one run and one pass over the API, and one
concurrency pool per source so one step at a time owns the vendor's rate budget.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    TableColumn,
    TableSchema,
    multi_asset,
)

from crm_assets.core.http import ApiError, FatalApiError
from crm_assets.core.resource import start_date_from_env
from crm_assets.core.streams import SourceSpec, StreamSpec, SyncMode, Window
from crm_assets.core.sync import SyncResult, sync_stream
from crm_assets.core.worker import WORKER_TAG, orphan_check

FULL_SYNC_TAG = "crm/full_sync"
WAREHOUSE_KEY = "warehouse"

_METADATA_NOTE = (
    "Metadata counts rows written by the run: in a range (backfill) run the same totals "
    "are repeated on every partition of the range. `dagster/row_count` is the table's "
    "live rows (not marked `_deleted`) after the run."
)


def partitions_for(source: SourceSpec) -> DailyPartitionsDefinition:
    return DailyPartitionsDefinition(
        start_date=start_date_from_env(source.resource), end_offset=1, timezone="UTC"
    )


def asset_key(source: SourceSpec, stream: StreamSpec) -> AssetKey:
    return AssetKey([source.name, stream.name])


def build_source_assets(source: SourceSpec):
    """The multi-asset that syncs every selected stream of `source`."""
    specs = [
        AssetSpec(
            key=asset_key(source, stream),
            group_name=source.name,
            kinds={"python", source.name},
            description=_describe(source, stream),
            skippable=True,
        )
        for stream in source.streams
    ]
    by_key = {asset_key(source, s): s for s in source.streams}

    @multi_asset(
        name=f"{source.name}_streams",
        specs=specs,
        can_subset=True,
        partitions_def=partitions_for(source),
        backfill_policy=BackfillPolicy.single_run(),
        pool=source.name,
        required_resource_keys={source.resource_key, WAREHOUSE_KEY},
    )
    def _sync(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        resource = getattr(context.resources, source.resource_key)
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        full_sync = context.run.tags.get(FULL_SYNC_TAG, "").lower() == "true"
        selected = [s for k, s in by_key.items() if k in context.selected_asset_keys]
        # The executor tags the run with its worker after this step's copy of the run was
        # taken, so read the tag from the instance.
        run = context.instance.get_run_by_id(context.run.run_id)
        stop_if_orphaned = orphan_check(run.tags.get(WORKER_TAG) if run else None)
        failures: list[str] = []
        with resource.client(logger=context.log) as client:
            for stream in selected:
                window = _window(context, resource, stream, full_sync)
                before = client.stats.requests
                table = f"{resource.table_prefix}{stream.name}"
                try:
                    result = sync_stream(
                        client, warehouse, stream, window, table=table, log=context.log,
                        after_page=stop_if_orphaned,
                    )  # fmt: skip
                except FatalApiError as exc:
                    raise _failure(str(exc)) from None
                except ApiError as exc:
                    context.log.error(str(exc))
                    failures.append((stream.name, str(exc)))
                    continue
                yield _materialization(
                    source,
                    stream,
                    warehouse,
                    result,
                    client.stats.requests - before,
                    resource.sync_mode(stream),
                )
        if failures:
            names = ", ".join(name for name, _ in failures)
            raise _failure(
                f"{source.title}: {len(failures)} of {len(selected)} streams failed ({names}); "
                "the others were written. Re-run the partition to retry them.\n"
                + "\n".join(f"{name}: {message}" for name, message in failures)
            )

    return _sync


def _failure(message: str) -> Failure:
    """The run's failure as the UI and CLI show it: our sentence first, no traceback chain.

    Raise it `from None`: a chained ApiError would repeat the message under a stack
    trace (and a vendor exception could carry a URL). Retrying a step would not help an
    API error that outlived the client's own retries.
    """
    return Failure(description=message, allow_retries=False)


def _window(context, resource, stream: StreamSpec, full_sync: bool) -> Window:
    full_sync = full_sync and not stream.per_record_requests
    if full_sync or resource.sync_mode(stream) == SyncMode.FULL_TABLE:
        return Window(start=None, end=None)
    window = context.partition_time_window
    start = window.start - stream.lookback
    floor = datetime.combine(resource.start(), datetime.min.time(), tzinfo=UTC)
    return Window(start=max(start, floor), end=window.end)


def _materialization(source, stream, warehouse, result: SyncResult, requests: int, mode):
    stats = result.stats
    metadata = {
        "dagster/row_count": warehouse.row_count(result.table),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(name, kind) for name, kind in warehouse.columns(result.table)]
        ),
        "table": result.table,
        "sync_mode": str(mode),
        "window": _show_window(result.window),
        "records_read": result.records,
        "pages": result.pages,
        "requests": requests,
        "rows_inserted": stats.inserted,
        "rows_updated": stats.updated,
        "rows_unchanged": stats.unchanged,
        "rows_marked_deleted": stats.deleted,
    }
    for child, child_stats in result.children.items():
        metadata[f"{child}_rows_written"] = child_stats.inserted + child_stats.updated
    return MaterializeResult(asset_key=asset_key(source, stream), metadata=metadata)


def _show_window(window: Window) -> str:
    if window.is_full:
        return "full read"
    return f"{window.start.isoformat()} to {window.end.isoformat()}"


def _describe(source: SourceSpec, stream: StreamSpec) -> str:
    children = ", ".join(f"`__{c.name}`" for c in stream.children)
    mode = (
        "INCREMENTAL: reads records updated in the partition window"
        + (f" plus a {stream.lookback} lookback" if stream.lookback > timedelta(0) else "")
        if stream.sync_mode == SyncMode.INCREMENTAL
        else "FULL_TABLE: reads everything each run and marks rows the source no longer has"
    )
    if stream.per_record_requests:
        mode += (
            ". One request per changed record: hourly refreshes leave it out, and the "
            "weekly full sync reads only its partition"
        )
    return (
        f"{stream.description}\n\nRaw {source.title} table `{source.name}_{stream.name}` "
        f"(prefix configurable), keyed by {', '.join(stream.primary_key)}"
        + (f", with child tables {children}" if children else "")
        + f". Default sync mode {mode}.\n\n{_METADATA_NOTE}"
    )
