"""One factory turning a source's stream specs into one Dagster multi-asset.

One asset per stream (`<source>/<stream>`), any subset materializable, daily UTC
partitions from the source's start date (plus today, so it can be refreshed during
the day), a backfill of any range as one run and one pass over the API, and one
concurrency pool per source so one step at a time owns the vendor's rate budget.
"""

import re
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    FreshnessPolicy,
    MaterializeResult,
    TableColumn,
    TableSchema,
    TimeWindow,
    multi_asset,
)

from crm_assets.core.http import ApiError, FatalApiError, rerun_may_fix
from crm_assets.core.privacy import check_policy_names
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.runtime.worker import WORKER_TAG, orphan_check, report_gone
from crm_assets.core.spec.streams import StreamSpec, SyncMode, Window
from crm_assets.core.spec.tables import child_table, stream_table
from crm_assets.core.sync.source import sync_source
from crm_assets.core.sync.stream import SyncResult
from crm_assets.core.sync.target import Destination
from crm_assets.core.sync.workers import Stopped

FULL_SYNC_TAG = "crm/full_sync"
WAREHOUSE_KEY = "warehouse"
# Matches the schedules: the hourly refresh keeps a stream well inside the warning
# window; past a day (the nightly close included) the source is late.
RAW_FRESHNESS = FreshnessPolicy.time_window(
    warn_window=timedelta(hours=2), fail_window=timedelta(hours=26)
)

_METADATA_NOTE = (
    "Each materialization counts the rows the run read and wrote; a range (backfill) "
    "run repeats the same totals on every partition of the range. The row count is "
    "the table's live rows (those not flagged as deleted) after the run."
)


_META_COLUMNS = {
    "_synced_at": "When this row last changed in the warehouse (UTC).",
    "_deleted": "True when the source no longer has the record; rows are never removed.",
}


class SourceDays(DailyPartitionsDefinition):
    """Daily UTC partitions whose refusal of a key that is no day says so in one sentence.

    Dagster parses a run's partition key (from a run tag) while creating the run, before
    any of our code runs; its own error is strptime's "does not match format '%Y-%m-%d%z'".
    """

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        try:
            return super().time_window_for_partition_key(partition_key)
        except ValueError:
            raise ValueError(
                f"Partition {partition_key!r} is not a day: partitions are days written "
                "YYYY-MM-DD (UTC), from the source's start date to today."
            ) from None


def partitions_for(connection: Connection) -> DailyPartitionsDefinition:
    return SourceDays(start_date=connection.start.isoformat(), end_offset=1, timezone="UTC")


def asset_key(connection: Connection, stream: StreamSpec) -> AssetKey:
    return AssetKey([connection.name, stream.name])


def build_source_assets(connection: Connection, elsewhere: Collection[str] = ()):
    """The multi-asset that syncs every selected stream of `connection`. `elsewhere` names
    the code location's other connections' tables, which a shared privacy policy names too.
    """
    specs = [
        AssetSpec(
            key=asset_key(connection, stream),
            group_name=connection.name,
            kinds={"python", connection.source.name},
            description=_describe(connection, stream),
            skippable=True,
            freshness_policy=RAW_FRESHNESS,
        )
        for stream in connection.streams
    ]
    by_key = {asset_key(connection, s): s for s in connection.streams}

    @multi_asset(
        name=f"{connection.name}_streams",
        specs=specs,
        can_subset=True,
        partitions_def=partitions_for(connection),
        backfill_policy=BackfillPolicy.single_run(),
        pool=connection.name,
        required_resource_keys={connection.name, WAREHOUSE_KEY},
    )
    def _sync(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        resource = getattr(context.resources, connection.name)
        if connection.source.config_error:
            raise _failure(connection.source.config_error)
        _refuse_days_outside_the_source(context, connection, resource)
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        full_sync = context.run.tags.get(FULL_SYNC_TAG, "").lower() == "true"
        selected = [s for k, s in by_key.items() if k in context.selected_asset_keys]
        # The executor tags the run with its worker after this step's copy of the run was
        # taken, so read the tag from the instance.
        run = context.instance.get_run_by_id(context.run.run_id)
        worker = run.tags.get(WORKER_TAG) if run else None
        stop_if_orphaned = orphan_check(
            worker,
            on_death=lambda: report_gone(context.instance, run, worker, found_by="its step"),
        )
        privacy = resource.privacy_policy()
        check_policy_names(
            connection.title, privacy, connection.source, resource.table_prefix, warehouse,
            elsewhere,
        )  # fmt: skip
        failures: list[tuple[str, BaseException]] = []
        written = 0
        step_ending = resource.step_ending()
        if note := resource.deprecation_note():
            context.log.warning(note)
        destination = Destination(warehouse, resource.table_prefix, privacy, resource.history_days)
        with resource.client(logger=context.log) as client:

            def step_goes_on() -> None:
                if step_ending.is_set():
                    raise Stopped("stopped because the step is ending (interrupted)")

            ending: BaseException | None = None
            outcomes = sync_source(
                selected, client, destination,
                window_for=lambda stream: _window(context, resource, stream, full_sync),
                log=context.log, concurrency=resource.concurrency(),
                checks=(step_goes_on, stop_if_orphaned), is_final=_ends_the_run,
            )  # fmt: skip
            for outcome in outcomes:
                if outcome.error is None:
                    written += 1
                    yield _materialization(
                        connection, outcome.stream, warehouse, outcome.result,
                        resource.sync_mode(outcome.stream),
                    )  # fmt: skip
                elif isinstance(outcome.error, Stopped):
                    continue
                elif _ends_the_run(outcome.error):
                    ending = ending or outcome.error
                else:
                    context.log.error(str(outcome.error))
                    failures.append((outcome.stream.name, outcome.error))
            if isinstance(ending, FatalApiError):
                raise _failure(str(ending)) from None
            if ending is not None:
                raise ending
        if failures:
            names = [stream.name for stream in selected]
            raise _failure(streams_failed(connection, failures, names, written))

    return _sync


def streams_failed(
    connection: Connection,
    failures: list[tuple[str, BaseException]],
    selected: list[str],
    written: int,
) -> str:
    """What a run whose streams failed says first: how many failed and were written, and
    whether re-running the partition can help, then each stream's own error.

    A re-run is advised only for the failures it can fix (timeouts, connection
    failures, 429 and 5xx answers); a rejected request or a missing model needs the
    change its error names, and re-running first would only fail the same way.
    """
    failures = sorted(failures, key=lambda failure: selected.index(failure[0]))
    names = [name for name, _ in failures]
    retry = [name for name, error in failures if rerun_may_fix(error)]
    fix = [name for name in names if name not in retry]
    listed = "" if len(failures) == len(selected) else f" ({', '.join(names)})"
    written_text = {0: "none were written", 1: "1 was written"}.get(
        written, f"{written} were written"
    )
    streams = "stream" if len(selected) == 1 else "streams"
    head = (
        f"{connection.title}: {len(failures)} of {len(selected)} {streams} failed{listed}; "
        f"{written_text}."
    )
    if not fix:
        looks = "failure looks" if len(failures) == 1 else "failures look"
        advice = f"The {looks} temporary: re-run the partition to retry them."
    elif not retry:
        advice = "Re-running will fail the same way: first change what each error below names."
    else:
        needs = (
            "needs the change its error below names"
            if len(fix) == 1
            else "need the changes their errors below name"
        )
        advice = (
            f"Re-running the partition retries {', '.join(retry)}; {', '.join(fix)} {needs} first."
        )
    return f"{head} {advice}\n" + "\n".join(f"{name}: {error}" for name, error in failures)


def _ends_the_run(error: BaseException) -> bool:
    """A fatal API error, or anything that is not an API error (the worker died, a bug):
    the other streams stop at a page boundary. Other API errors fail one stream."""
    return isinstance(error, FatalApiError) or not isinstance(error, ApiError | Stopped)


def _refuse_days_outside_the_source(context, connection: Connection, resource) -> None:
    """Fail before any API call unless the run's partitions are days from the source's
    start date to today (UTC, the last partition), first to last.

    Dagster checks a key only when it is given as a partition key; one given as a run
    tag (`dagster job execute --tags`) reaches the run as it was typed.
    """
    keys = context.partition_key_range
    first, last = _day(connection, keys.start), _day(connection, keys.end)
    today = datetime.now(UTC).date()
    if first > last:
        raise Failure(
            f"{connection.title}: the partition range {keys.start} to {keys.end} ends before it "
            "starts; give the earlier day first."
        )
    if first < resource.start():
        raise Failure(
            f"{connection.title}: partition {keys.start} is before the source's start date "
            f"{resource.start_date} ({resource.variable('start_date')}); choose a day from "
            f"{resource.start_date} to {today}."
        )
    if last > today:
        raise Failure(
            f"{connection.title}: partition {keys.end} is after today ({today}, UTC), the last "
            f"partition; choose a day from {resource.start_date} to {today}."
        )


def _day(connection: Connection, key: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
            raise ValueError(key)
        return date.fromisoformat(key)
    except ValueError:
        raise Failure(
            f"{connection.title}: partition {key!r} is not a date; partitions are days written "
            "YYYY-MM-DD (UTC)."
        ) from None


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


def _materialization(connection, stream, warehouse, result: SyncResult, mode):
    stats, client = result.stats, result.api
    metadata = {
        "dagster/row_count": warehouse.row_count(result.table),
        "dagster/column_schema": _column_schema(stream, result, warehouse.columns(result.table)),
        "table": result.table,
        "sync_mode": str(mode),
        "window": _show_window(result.window),
        "records_read": result.records,
        "pages": result.pages,
        "requests": client.requests,
        # Answers that said "too many requests" (429), each waited out and retried.
        "requests_throttled": client.throttled,
        "bytes_received": client.bytes_received,
        "rows_inserted": stats.inserted,
        "rows_updated": stats.updated,
        "rows_unchanged": stats.unchanged,
        "rows_marked_deleted": stats.deleted,
        # Where the stream's time went: waiting for the API's next page, and writing.
        "seconds_waiting_for_pages": round(result.waiting_seconds, 3),
        "seconds_writing": round(result.writing_seconds, 3),
    }
    for child, child_stats in result.children.items():
        metadata[f"{child}_rows_written"] = child_stats.inserted + child_stats.updated
    if result.returned:
        metadata["rows_naming_erased_subjects"] = result.returned
    return MaterializeResult(asset_key=asset_key(connection, stream), metadata=metadata)


def _column_schema(
    stream: StreamSpec, result: SyncResult, columns: list[tuple[str, str]]
) -> TableSchema:
    # A stream discovered at run time describes its columns in the result.
    described = {**_META_COLUMNS, **stream.column_descriptions, **result.descriptions}
    return TableSchema(
        columns=[TableColumn(name, kind, description=described.get(name)) for name, kind in columns]
    )


def _show_window(window: Window) -> str:
    if window.is_full:
        return "full read"
    return f"{window.start.isoformat()} to {window.end.isoformat()}"


def _describe(connection: Connection, stream: StreamSpec) -> str:
    """The asset's description, written to read well however the Dagster UI shows it.

    The UI renders it as Markdown on the asset's page, shows its first line stripped
    to plain text on graph nodes and in the catalog, and its raw text in some tables.
    So: the stream's own sentence first, then paragraphs and a plain "- " list, with
    no code spans or emphasis whose markup would show as raw backticks or asterisks.
    """
    prefix = connection.table_prefix
    table = stream_table(prefix, stream)
    children = ", ".join(child_table(prefix, stream, c) for c in stream.children)
    if stream.sync_mode == SyncMode.INCREMENTAL:
        mode = "incremental: reads the records updated in its partition (a UTC day)"
        if stream.lookback > timedelta(0):
            mode += f", plus a lookback of {human_duration(stream.lookback)}"
    else:
        mode = "full table: reads everything on each run and flags rows the source no longer has"
    facts = [
        f"Table: {table} (the prefix is configurable), keyed by "
        + _and(stream.primary_key)
        + (f"; child tables {children}" if children else ""),
        f"Default sync mode: {mode}",
    ]
    if stream.per_record_requests:
        facts.append(
            "Requests: one per changed record, so hourly refreshes leave this stream "
            "out and the weekly full sync reads only its partition"
        )
    listed = "\n".join(f"- {fact}." for fact in facts)
    intro = f"A raw table replicated from {connection.title}."
    summary = stream.description.replace("`", "")
    return f"{summary}\n\n{intro}\n\n{listed}\n\n{_METADATA_NOTE}"


def _and(words: tuple[str, ...] | list[str]) -> str:
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def human_duration(span: timedelta) -> str:
    """`span` as a person says it: "2 days", "24 hours", "90 minutes", "30 seconds".

    Whole days from two days up, else whole hours, minutes or seconds: a one-day
    lookback reads as "24 hours", never Python's "1 day, 0:00:00".
    """
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        smallest = 2 * size if unit == "day" else size
        if seconds % size == 0 and seconds >= smallest:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
