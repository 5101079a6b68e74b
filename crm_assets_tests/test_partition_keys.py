"""Partition keys outside a source's days are refused before any API call.

Keys arrive as `dagster job execute --tags` sends them, as run tags, which Dagster
does not check against the partitions; each case runs against a loopback emulator
that must see no request.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from dagster import materialize

from crm_assets.core.runtime.assets import build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets_tests.sources.nectarcrm import conftest as nectar
from crm_assets_tests.sources.pipedrive import conftest as pipedrive

TODAY = datetime.now(UTC).date()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
START = "2026-01-01"  # both test harnesses' start_date
RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def one(key: str) -> dict[str, str]:
    return {"dagster/partition": key}


def span(first: str, last: str) -> dict[str, str]:
    return dict(zip(RANGE, (first, last), strict=True))


HARNESSES = {
    "nectarcrm": (contextmanager(nectar._harness), {"sizes": nectar.SMALL}, "contacts"),
    "pipedrive": (contextmanager(pipedrive.harness), {}, "deals"),
}

YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
# Short ranges: Dagster's own cost grows with the number of days in a range.
CASES = [
    (one("2030-01-01"), "partition 2030-01-01 is after today"),
    (one(TOMORROW), f"partition {TOMORROW} is after today ({TODAY}, UTC)"),
    (one("1999-01-01"), f"partition 1999-01-01 is before the source's start date {START}"),
    (one("2025-12-31"), f"partition 2025-12-31 is before the source's start date {START}"),
    (one("2026-1-5"), "partition '2026-1-5' is not a date; partitions are days written YYYY-MM-DD"),
    (span(YESTERDAY, TOMORROW), f"partition {TOMORROW} is after today"),
    (span("2025-12-30", "2026-01-02"), "partition 2025-12-30 is before the source's start"),
    (span("2026-11-05", "2026-11-01"), "range 2026-11-05 to 2026-11-01 ends before it starts"),
]
ALL = [(name, *case) for name in sorted(HARNESSES) for case in CASES]
# Every case on one source; on the others, the checks are the same code: one of each kind.
SOME = [c for c in ALL if c[0] == "nectarcrm" or c[1] in (CASES[0][0], CASES[2][0], CASES[4][0])]


def run(harness, warehouse, stream: str, tags: dict[str, str]):
    return materialize(
        [build_source_assets(Connection.of(harness.source))],
        selection=[f"{harness.source.name}/{stream}"],
        tags=tags,
        resources={harness.source.resource_key: harness.resource(), "warehouse": warehouse},
        instance=harness.instance,
        raise_on_error=False,
    )


def failure_text(result) -> str:
    return "\n".join(
        event.step_failure_data.error.message
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data.error
    )


@pytest.mark.parametrize(("name", "tags", "message"), SOME, ids=lambda v: str(v)[:40])
def test_a_day_outside_the_source_is_refused_before_any_request(
    name, tags, message, sqlite_warehouse
):
    make, emulator_args, stream = HARNESSES[name]
    with make(**emulator_args) as harness:
        result = run(harness, sqlite_warehouse, stream, tags)
        assert not result.success
        assert message in failure_text(result)
        assert harness.emulator.requests == []
        assert not result.get_asset_materialization_events()
        assert sqlite_warehouse.table_names() == []


def test_a_key_that_is_no_date_at_all_never_becomes_a_run(sqlite_warehouse):
    # Dagster parses the key to build the run's snapshot and refuses it there, before
    # a run exists: nothing of ours runs, so nothing can be called.
    with contextmanager(nectar._harness)(sizes=nectar.SMALL) as harness:
        with pytest.raises(
            ValueError, match=r"^Partition '2026-13-45' is not a day: partitions are days"
        ):
            run(harness, sqlite_warehouse, "contacts", one("2026-13-45"))
        assert harness.emulator.requests == []


@pytest.mark.parametrize("tags", [one(START), span(YESTERDAY, TODAY.isoformat())], ids=str)
def test_the_start_date_and_today_are_accepted(tags, sqlite_warehouse):
    with contextmanager(nectar._harness)(sizes=nectar.SMALL) as harness:
        result = run(harness, sqlite_warehouse, "contacts", tags)
        assert result.success
        assert harness.emulator.requests
