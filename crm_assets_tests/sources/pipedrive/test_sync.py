"""Pipedrive end to end: emulator on a loopback socket -> client -> assets -> warehouse."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from dagster import asset, materialize

from crm_assets.core import schema
from crm_assets.core.http import ApiClient, Credential
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.pipedrive.streams import STREAMS
from crm_assets_tests.harness import failure_text, logged_text
from crm_assets_tests.sources.pipedrive.conftest import ANCHOR, SMALL, TOKEN

FULL = {FULL_SYNC_TAG: "true"}
UNLIMITED = 10_000
# For tests not about rate limits: no burst limit on the client either.
FAST = {"requests_per_window": UNLIMITED}
PRESENT = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
DAY = timedelta(days=1)
HASH = re.compile(r"^[0-9a-f]{40}")
BIG = ("deals", "persons", "organizations", "activities", "products", "notes")
SMALL_LISTS = ("users", "teams", "pipelines", "stages", "activity_types")
ENTITIES = ("deals", "persons", "organizations", "products", "activities")
FIELD_TABLES = {"deals": "deal", "organizations": "organization", "activities": "activity"}


class FrozenClock:
    """The emulator's monotonic clock, moved only by the test."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class LateClock(FrozenClock):
    """Stands still until armed; from the next request on, follows real time."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.started: float | None = None

    def __call__(self) -> float:
        if self.armed and self.started is None:
            self.started = time.monotonic()
        return self.now + (time.monotonic() - self.started if self.started else 0.0)


@pytest.fixture
def fast(make_pipedrive):
    """SMALL data and no burst limit: run it with **FAST."""
    return make_pipedrive(burst_limit=UNLIMITED)


# -- helpers -------------------------------------------------------------------------


def when(text: str) -> datetime:
    """A v2 RFC3339 or v1 `YYYY-MM-DD HH:MM:SS` timestamp, both UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_as(key: str, value, declared=None):
    kind = (declared or {}).get(key)
    if isinstance(value, str) and kind == schema.DATE:
        return date.fromisoformat(value)
    if type(value) is int and kind == schema.BOOLEAN:
        return bool(value)
    if isinstance(value, str) and (
        key.endswith("_time") or key == "timestamp" or kind == schema.TIMESTAMP
    ):
        try:
            return when(value)
        except ValueError:
            return value  # e.g. an activity's due_time, "08:15"
    return schema.comparable(value)


def assert_table_is(warehouse, table: str, records: list[dict], skip=("custom_fields",)):
    """Every record is one row, value for value; no other row exists, live or deleted."""
    declared = next(s.columns for s in STREAMS if table == f"pipedrive_{s.name}")
    rows = {r["id"]: r for r in warehouse.rows(table)}
    assert sorted(rows) == sorted(r["id"] for r in records), table
    for raw in records:
        row = rows[raw["id"]]
        for key, value in raw.items():
            if key in skip:
                continue
            got = row.get(key)
            if isinstance(value, list | dict) and got is not None:
                got = json.loads(got)
            expected = stored_as(key, value, declared)
            assert schema.comparable(got) == expected, (table, raw["id"], key)


def live_deals(emulator) -> list[dict]:
    return [d for d in emulator.records("deals") if not d["is_deleted"]]


def products_of(emulator, deals: list[dict]) -> list[dict]:
    ids = {d["id"] for d in deals}
    return [p for p in emulator.records("deal_products") if p["deal_id"] in ids]


def statuses(emulator, since: int = 0) -> list[int]:
    return [r.status for r in emulator.requests[since:]]


def spend(harness, count: int) -> None:
    """Another tool using the same token: `count` requests outside the run."""
    for _ in range(count):
        requests.get(f"{harness.url}/v1/users", headers={"x-api-token": TOKEN}, timeout=10)


def by_stream(result) -> dict:
    return {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def custom_fields(emulator, entity: str) -> list[dict]:
    return [f for f in emulator.field_definitions(entity) if f["is_custom_field"]]


# -- full sync -----------------------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_full_sync_equals_the_emulator(fast, warehouse):
    emulator = fast.emulator
    result = fast.run(warehouse, tags=FULL, **FAST)
    assert len(result.get_asset_materialization_events()) == len(STREAMS)

    for entity in (*BIG, *SMALL_LISTS):
        records = emulator.records(entity)
        assert records, entity
        assert_table_is(warehouse, f"pipedrive_{entity}", records)

    deals = {d["id"]: d for d in emulator.records("deals")}
    rows = {r["id"]: r for r in warehouse.rows("pipedrive_deals")}
    deleted = {i for i, d in deals.items() if d["status"] == "deleted"}
    archived = {i for i, d in deals.items() if d["is_archived"]}
    assert deleted and archived
    assert {i for i, r in rows.items() if r["_deleted"]} == deleted
    assert {i for i, r in rows.items() if r["is_archived"]} == archived
    assert warehouse.row_count("pipedrive_deals") == len(deals) - len(deleted)

    # Deleted deals keep their products and flow until the vendor purges them.
    assert_table_is(warehouse, "pipedrive_deal_products", emulator.records("deal_products"))
    # The flow costs a request per deal: even a full sync reads it for its partition only,
    # with the deals' 24-hour lookback.
    flow = warehouse.rows("pipedrive_deals_flow")
    days = {ANCHOR - DAY, ANCHOR}
    changed = {d["id"] for d in deals.values() if when(d["update_time"]).date() in days}
    assert changed and {r["deal_id"] for r in flow} == changed
    assert emulator.count("/v1/deals/") == len(changed)

    children = {
        "persons__emails": sum(len(p["emails"]) for p in emulator.records("persons")),
        "persons__phones": sum(len(p["phones"]) for p in emulator.records("persons")),
        "products__prices": sum(len(p["prices"]) for p in emulator.records("products")),
        "teams__users": sum(len(t["users"]) for t in emulator.records("teams")),
    }
    for entity, singular in FIELD_TABLES.items():
        definitions = emulator.field_definitions(entity)
        names = {r["name"] for r in warehouse.rows(f"pipedrive_{singular}_fields")}
        assert names == {d["field_name"] for d in definitions}, entity
        children[f"{singular}_fields__options"] = sum(len(d["options"] or []) for d in definitions)
    for table, count in children.items():
        assert count, table
        assert warehouse.row_count(f"pipedrive_{table}", include_deleted=True) == count, table
    emails = {(r["_parent_id"], r["value"]) for r in warehouse.rows("pipedrive_persons__emails")}
    assert emails == {
        (p["id"], e["value"]) for p in emulator.records("persons") for e in p["emails"]
    }

    total = sum(len(custom_fields(emulator, e)) for e in ENTITIES)
    assert warehouse.row_count("pipedrive_custom_fields") == total


# -- incremental windows ---------------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_an_incremental_partition_reads_only_its_window(fast, warehouse):
    emulator = fast.emulator
    day = ANCHOR - timedelta(days=3)
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end, lookback = start + DAY, start - DAY
    deals = [d["id"] for d in live_deals(emulator) if not d["is_archived"]]
    # Records on the window's edges: `updated_since` is >=, `updated_until` is <.
    emulator.touch("persons", 1, start)
    emulator.touch("persons", 2, end)
    emulator.touch("deals", deals[0], lookback)
    emulator.touch("deals", deals[1], lookback - timedelta(seconds=1))
    emulator.touch("products", 1, end + DAY)  # products filter on updated_since only

    fast.run(
        warehouse, partition=day.isoformat(), streams=["persons", "deals", "products", "notes"],
        **FAST,
    )  # fmt: skip

    def stored(stream: str) -> set[int]:
        return {r["id"] for r in warehouse.rows(f"pipedrive_{stream}")}

    def updated(entity: str, low: datetime, high: datetime | None = None) -> set[int]:
        return {
            r["id"]
            for r in emulator.records(entity)
            if low <= when(r["update_time"]) and (high is None or when(r["update_time"]) < high)
        }

    persons = stored("persons")
    assert persons == updated("persons", start, end)
    assert 1 in persons and 2 not in persons
    assert 1 < len(persons) < len(emulator.records("persons"))

    tombstones = {d["id"] for d in emulator.records("deals") if d["is_deleted"]}
    windowed = updated("deals", lookback, end) - tombstones
    assert stored("deals") == windowed | tombstones
    assert deals[0] in windowed and deals[1] not in stored("deals")
    assert len(windowed) > 2

    products = stored("products")
    assert products == updated("products", start)
    assert 1 in products and len(products) < len(emulator.records("products"))

    created = {
        n["id"]
        for n in emulator.records("notes")
        if day - timedelta(days=30) <= when(n["add_time"]).date() <= day
    }
    assert stored("notes") == created and created

    calls = {}
    for r in emulator.requests:
        calls.setdefault(r.path, []).append(r.args)
    for args in calls["/api/v2/persons"]:
        assert (args["updated_since"], args["updated_until"]) == ([rfc(start)], [rfc(end)])
    for args in [
        a
        for a in calls["/api/v2/deals/archived"] + calls["/api/v2/deals"]
        if a.get("status") != ["deleted"]  # deleted deals are read whole, every run
    ]:
        assert (args["updated_since"], args["updated_until"]) == ([rfc(lookback)], [rfc(end)])
    for args in calls["/api/v2/products"]:
        assert args["updated_since"] == [rfc(start)] and "updated_until" not in args


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_partition_with_nothing_new_succeeds_on_a_new_warehouse(fast, warehouse):
    organizations = fast.emulator.records("organizations")
    assert not [o for o in organizations if when(o["update_time"]).date() == ANCHOR]
    result = fast.run(warehouse, streams=["organizations", "persons"], raise_on_error=False, **FAST)
    assert result.success
    assert by_stream(result)["organizations"]["dagster/row_count"].value == 0
    assert warehouse.row_count("pipedrive_persons") > 0


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_page_whose_records_have_no_child_items_succeeds(fast, warehouse):
    fast.run(warehouse, streams=["persons"], tags=FULL, **FAST)
    persons = [p for p in fast.emulator.records("persons") if p["update_time"] >= str(ANCHOR)]
    assert persons and not [p for p in persons if p["phones"]]
    result = fast.run(warehouse, streams=["persons"], raise_on_error=False, **FAST)
    assert result.success


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_rerunning_a_partition_changes_no_row(fast, warehouse):
    day = "2026-11-09"
    # Around the two bugs above: every table exists, and a person of the day has phones.
    of_the_day = [p for p in fast.emulator.records("persons") if p["update_time"][:10] == day]
    assert any(p["phones"] for p in of_the_day)
    fast.run(warehouse, tags=FULL, **FAST)
    fast.run(warehouse, partition=day, **FAST)
    tables = warehouse.table_names()
    assert len(tables) > len(STREAMS)

    def snapshot():
        return {
            t: warehouse.rows(t, order_by=[c for c, _ in warehouse.columns(t)][:3]) for t in tables
        }

    before = snapshot()
    result = fast.run(warehouse, partition=day, **FAST)
    assert snapshot() == before
    for stream, metadata in by_stream(result).items():
        assert metadata["rows_inserted"].value == 0, stream
        assert metadata["rows_updated"].value == 0, stream
        assert metadata["rows_marked_deleted"].value == 0, stream


# -- deals: deletes, archive, products ------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_deleted_deals_are_tombstoned_and_archived_ones_kept(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=["deals"], tags=FULL, **FAST)
    total = warehouse.row_count("pipedrive_deals", include_deleted=True)
    live = warehouse.row_count("pipedrive_deals")
    deleted, purged, archived = [d["id"] for d in live_deals(emulator) if not d["is_archived"]][:3]
    emulator.delete_deal(deleted)
    emulator.delete_deal(purged, PRESENT - timedelta(days=40))  # past the vendor's 30 days
    emulator.archive_deal(archived)

    result = fast.run(warehouse, streams=["deals"], **FAST)
    rows = {r["id"]: r for r in warehouse.rows("pipedrive_deals")}
    assert rows[deleted]["_deleted"] is True and rows[deleted]["status"] == "deleted"
    assert rows[archived]["is_archived"] is True and rows[archived]["_deleted"] is False
    assert by_stream(result)["deals"]["rows_marked_deleted"].value == 1
    # A purged delete is invisible to a partition run...
    assert rows[purged]["_deleted"] is False
    # ...and found by the full sync, which flags what the vendor no longer lists.
    fast.run(warehouse, streams=["deals"], tags=FULL, **FAST)
    rows = {r["id"]: r for r in warehouse.rows("pipedrive_deals")}
    assert rows[purged]["_deleted"] is True
    assert warehouse.row_count("pipedrive_deals", include_deleted=True) == total
    assert warehouse.row_count("pipedrive_deals") == live - 2


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_deleted_archived_deal_is_tombstoned(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=["deals"], tags=FULL, **FAST)
    target = next(d["id"] for d in live_deals(emulator) if d["is_archived"])
    emulator.delete_deal(target)
    assert next(d for d in emulator.records("deals") if d["id"] == target)["status"] == "deleted"
    fast.run(warehouse, streams=["deals"], **FAST)
    row = next(r for r in warehouse.rows("pipedrive_deals") if r["id"] == target)
    assert (row["_deleted"], row["status"]) == (True, "deleted")


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_deal_products_come_from_the_bulk_endpoint(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=["deal_products"], tags=FULL, **FAST)
    bulk = [r for r in emulator.requests if r.path == "/api/v2/deals/products"]
    batches = [[int(i) for i in r.args["deal_ids"][0].split(",")] for r in bulk]
    assert len(batches) >= 4 and all(len(b) <= 100 for b in batches)
    wanted = emulator.records("deals")  # deleted ones included, until the vendor purges them
    assert sorted(i for b in batches for i in b) == sorted(d["id"] for d in wanted)
    assert not [r for r in emulator.requests if re.fullmatch(r".*/deals/\d+/products", r.path)]
    assert_table_is(warehouse, "pipedrive_deal_products", products_of(emulator, wanted))


# -- custom fields ---------------------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_custom_fields_arrive_as_named_columns_with_the_mapping(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=["deals", "persons", "custom_fields"], tags=FULL, **FAST)
    mapping = {(r["entity"], r["key"]): r for r in warehouse.rows("pipedrive_custom_fields")}

    for entity in ("deals", "persons"):
        columns = {name for name, _ in warehouse.columns(f"pipedrive_{entity}")}
        assert not [c for c in columns if HASH.match(c)], entity
        definitions = custom_fields(emulator, entity)
        assert len(definitions) == 8
        named = {}
        for definition in definitions:
            entry = mapping[(entity, definition["field_code"])]
            assert entry["name"] == definition["field_name"]
            assert entry["field_type"] == definition["field_type"]
            assert set(json.loads(entry["value_columns"])) <= columns
            named[definition["field_code"]] = (entry["column"], definition)
        assert len({c for c, _ in named.values()}) == len(named)

        rows = {r["id"]: r for r in warehouse.rows(f"pipedrive_{entity}")}
        for raw in emulator.records(entity)[::7]:
            row = rows[raw["id"]]
            for key, value in raw["custom_fields"].items():
                column, definition = named[key]
                labels = {o["id"]: o["label"] for o in definition["options"] or []}
                kind = definition["field_type"]
                if kind == "enum":
                    assert (row[column], row[f"{column}_label"]) == (value, labels.get(value))
                elif kind == "set":
                    got = [
                        json.loads(row[column] or "null"),
                        json.loads(row[f"{column}_labels"] or "null"),
                    ]
                    assert got == ([value, [labels[v] for v in value]] if value else [None, None])
                elif kind == "monetary":
                    pair = (row[column], row[f"{column}_currency"])
                    assert pair == ((value["value"], value["currency"]) if value else (None, None))
                else:
                    assert schema.comparable(row[column]) == value, (entity, column)

    # Names as the rules give them: a twin gets its hash's head, a standard name `_custom`.
    columns = {(e, r["name"]): (r["column"], k) for (e, k), r in mapping.items()}
    assert columns[("deals", "Lead source")][0] == "lead_source"
    column, key = columns[("deals", "Lead Source")]
    assert column == f"lead_source_{key[:6]}"
    assert columns[("deals", "Value")][0] == "value_custom"
    assert columns[("persons", "Job title")][0] == "job_title_custom"


def test_money_lands_as_an_amount_beside_its_currency(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=["deals", "deal_fields", "organizations"], tags=FULL, **FAST)

    # A deal's `value` (a standard monetary field) and the `currency` its field list
    # declares as the value's subfield: an amount column and a currency column.
    types = dict(warehouse.columns("pipedrive_deals"))
    assert types["value"] == schema.NUMBER
    assert types["currency"] == schema.TEXT
    rows = {r["id"]: r for r in warehouse.rows("pipedrive_deals")}
    for deal in emulator.records("deals"):
        if deal["status"] != "deleted":
            assert (rows[deal["id"]]["value"], rows[deal["id"]]["currency"]) == (
                float(deal["value"]), deal["currency"])  # fmt: skip
    # The subfield items v1 lists after a monetary or address field are no fields of
    # their own: the definitions tables hold one row per field, each with its id.
    definitions = warehouse.rows("pipedrive_deal_fields")
    assert "currency" not in {r["key"] for r in definitions}
    assert all(r["id"] is not None for r in definitions)
    value = next(r for r in definitions if r["key"] == "value")
    assert value["field_type"] == "monetary"
    # An organization's annual revenue is a plain amount: Pipedrive sends no currency.
    revenue = {r["id"]: r["annual_revenue"] for r in warehouse.rows("pipedrive_organizations")}
    expected = {o["id"]: o["annual_revenue"] for o in emulator.records("organizations")}
    assert any(expected.values()) and revenue == expected


# -- rate limits -----------------------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_sync_at_default_settings_never_receives_a_429(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(sizes={**SMALL, "deals": 55})  # the lowest plan: 20 per 2 s
    # Every deal changed today: the partition reads each one's flow, a request per deal.
    for deal in live_deals(pipedrive.emulator):
        pipedrive.emulator.touch("deals", deal["id"])
    result = pipedrive.run(warehouse, streams=["deals", "deal_products", "deals_flow"])
    assert result.success
    assert len(pipedrive.emulator.requests) > 3 * 20
    assert set(statuses(pipedrive.emulator)) == {200}
    flow = {r["deal_id"] for r in warehouse.rows("pipedrive_deals_flow")}
    assert flow == {d["id"] for d in live_deals(pipedrive.emulator)}


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_client_above_the_burst_waits_for_the_reset_and_loses_nothing(make_pipedrive, warehouse):
    clock = LateClock()
    pipedrive = make_pipedrive(sizes={**SMALL, "deals": 40}, clock=clock)
    emulator = pipedrive.emulator
    # The client paces itself on x-ratelimit-remaining, so it meets a 429 only when
    # something else spent the token's window: here, all of it, just before the run.
    for deal in live_deals(emulator):
        emulator.touch("deals", deal["id"])  # every deal's flow is read: a request each
    spend(pipedrive, 20)
    clock.armed = True
    before = len(emulator.requests)
    result = pipedrive.run(warehouse, streams=["deals", "deals_flow"], requests_per_window=60)
    assert result.success
    seen = statuses(emulator, before)
    assert seen[:2] == [429, 200]  # the retry came after the reset, at once accepted
    assert 403 not in seen and len(seen) > 2 * 20
    assert_table_is(warehouse, "pipedrive_deals", emulator.records("deals"))
    flow = {r["deal_id"] for r in warehouse.rows("pipedrive_deals_flow")}
    assert flow == {d["id"] for d in live_deals(emulator)}


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_403_block_stops_the_run_with_a_clear_error(make_pipedrive, warehouse):
    pipedrive = make_pipedrive(clock=FrozenClock(), abuse_threshold=2)
    spend(pipedrive, 23)  # 20 answered, then 3 over the limit: blocked
    assert statuses(pipedrive.emulator)[-1] == 429
    before = len(pipedrive.emulator.requests)
    result = pipedrive.run(warehouse, streams=["persons", "users"], raise_on_error=False)
    assert not result.success
    text = failure_text(result)
    assert "Cloudflare" in text and "blocked" in text and "requests_per_window" in text
    assert statuses(pipedrive.emulator, before) == [403]  # no retries, no other stream


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_spent_daily_budget_stops_the_run_and_the_next_day_loses_nothing(
    make_pipedrive, warehouse
):
    clock = FrozenClock()
    pipedrive = make_pipedrive(clock=clock, burst_limit=UNLIMITED, daily_budget=130)
    emulator = pipedrive.emulator
    streams = ["deals", "organizations", "persons"]
    # Tokens: a v1 list costs 20, a v2 list 10. Other tools spent 40 today; deals (fields
    # and 4 lists) cost 60 and organizations 30, which leaves nothing for persons. The
    # whole run costs 120: it fits in the next day's budget.
    spend(pipedrive, 2)
    # The arithmetic above reads the streams one after another.
    first = pipedrive.run(
        warehouse, tags=FULL, streams=streams, raise_on_error=False, max_concurrent_streams=1,
        **FAST,
    )  # fmt: skip
    assert not first.success
    text = failure_text(first)
    assert "daily API budget" in text and "resets in" in text
    assert sorted(by_stream(first)) == ["deals", "organizations"]
    assert "pipedrive_persons" not in warehouse.table_names()

    clock.now += 86_400  # past midnight: a new budget
    second = pipedrive.run(warehouse, tags=FULL, streams=streams, **FAST)
    assert second.success
    assert by_stream(second)["deals"]["rows_inserted"].value == 0
    for entity in ("deals", "organizations", "persons"):
        assert_table_is(warehouse, f"pipedrive_{entity}", emulator.records(entity))


# -- configuration and secrets -------------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_bad_token_fails_clearly_and_is_never_logged(pipedrive, warehouse, caplog):
    secret = "wrong-token-h-5be1c7"
    caplog.set_level(logging.DEBUG)
    result = pipedrive.run(warehouse, streams=["users"], raise_on_error=False, api_token=secret)
    assert not result.success
    assert statuses(pipedrive.emulator) == [401]
    text = failure_text(result)
    assert "rejected the API token" in text and "PIPEDRIVE_API_TOKEN" in text
    logged = logged_text(result, pipedrive.instance)
    assert "GET http://127.0.0.1" in caplog.text  # the debug request lines were logged...
    assert secret not in text + logged + caplog.text  # ...without the token


def test_a_token_in_the_query_string_is_never_logged(pipedrive, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-q-91d0aa"

    def client(secret: str, log) -> ApiClient:
        config = pipedrive.resource(api_token=secret).client_config()
        credential = Credential(secret, query_param="api_token")
        return ApiClient(replace(config, credential=credential), logger=log)

    @asset
    def query_token_probe(context):
        with client(TOKEN, context.log) as good:
            assert good.get_json("v1/users")["success"] is True
        with client(wrong, context.log) as bad:
            bad.get_json("api/v2/persons", {"limit": 5})

    result = materialize([query_token_probe], instance=pipedrive.instance, raise_on_error=False)
    assert not result.success
    sent = [r.args.get("api_token") for r in pipedrive.emulator.requests]
    assert sent == [[TOKEN], [wrong]]  # both really travelled in the query string
    text = failure_text(result)
    assert "rejected the API token" in text and "PIPEDRIVE_API_TOKEN" in text
    logged = logged_text(result, pipedrive.instance)
    assert "GET http://127.0.0.1" in caplog.text and "?api_token=***" in caplog.text
    for secret in (TOKEN, wrong):
        assert secret not in text + logged + caplog.text


@pytest.mark.parametrize(
    ("setting", "variable"),
    [({"api_token": None}, "PIPEDRIVE_API_TOKEN"),
     ({"base_url": "", "company_domain": None}, "PIPEDRIVE_COMPANY_DOMAIN")],
)  # fmt: skip
def test_a_missing_setting_names_its_variable(pipedrive, sqlite_warehouse, setting, variable):
    result = pipedrive.run(sqlite_warehouse, streams=["users"], raise_on_error=False, **setting)
    assert not result.success
    assert not pipedrive.emulator.requests
    assert variable in logged_text(result, pipedrive.instance)
