"""The Pipedrive emulator on a loopback socket, spoken to with plain `requests`.

Checks the behaviour docs/pipedrive-api.md promises: auth styles and the 401
body, v2 cursor and v1 offset pages, update-time filters and sorting, deleted and
archived deals, bulk deal products, custom fields, burst and daily rate limits with
the 403 escalation, determinism, and a million deals served from compact arrays.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

ANCHOR = date(2026, 11, 20)
TOKEN = "pd-test-token-7c1e"
SMALL = {
    "deals": 1_200, "persons": 300, "organizations": 120, "activities": 600,
    "notes": 450, "products": 40,
}  # fmt: skip


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def emulator(**overrides) -> PipedriveEmulator:
    settings = {"token": TOKEN, "anchor": ANCHOR, "sizes": SMALL, "burst_limit": 10_000}
    return PipedriveEmulator(**(settings | overrides))


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[PipedriveEmulator, str]]:
    """An emulator nobody changes, for read-only tests."""
    emu = emulator()
    with serve(emu) as url:
        yield emu, url


@pytest.fixture
def fresh() -> Iterator[tuple[PipedriveEmulator, str]]:
    emu = emulator()
    with serve(emu) as url:
        yield emu, url


def get(url: str, path: str, **params) -> requests.Response:
    return requests.get(f"{url}{path}", params=params, headers={"x-api-token": TOKEN}, timeout=10)


def walk_v2(url: str, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        body = get(url, path, **params, **({"cursor": cursor} if cursor else {})).json()
        assert body["success"] is True
        items.extend(body["data"])
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return items


def rfc(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# -- auth and envelopes ------------------------------------------------------------------


def test_token_in_header_query_or_bearer(shared):
    _, url = shared
    ways = [
        {"headers": {"x-api-token": TOKEN}},
        {"params": {"api_token": TOKEN}},
        {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    ]
    for way in ways:
        response = requests.get(f"{url}/api/v2/deals", timeout=10, **way)
        assert response.status_code == 200, way
        assert response.json()["success"] is True


@pytest.mark.parametrize("auth", [{}, {"x-api-token": "wrong"}])
def test_missing_or_wrong_token_gets_pipedrive_401(shared, auth):
    _, url = shared
    response = requests.get(f"{url}/v1/users", headers=auth, timeout=10)
    assert response.status_code == 401
    assert response.json() == {
        "success": False, "error": "unauthorized access", "errorCode": 401,
        "error_info": "Please check developers.pipedrive.com",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("path", "params", "status", "text"),
    [
        ("/api/v2/nothing", {}, 404, "Unknown method"),
        ("/v2/deals", {}, 404, "Unknown method"),
        ("/api/v2/deals", {"limit": 501}, 400, "limit"),
        ("/api/v2/deals", {"cursor": "not-a-cursor"}, 400, "cursor"),
        ("/api/v2/deals", {"updated_since": "2026-11-20"}, 400, "RFC3339"),
        ("/api/v2/deals", {"status": "open,closed"}, 400, "status"),
        ("/api/v2/deals", {"sort_by": "title"}, 400, "sort_by"),
        ("/api/v2/deals/999999", {}, 404, "Deal not found"),
        ("/v1/recents", {}, 400, "since_timestamp"),
        ("/v1/deals", {}, 410, "Use API v2 instead: GET /api/v2/deals"),
        ("/api/v1/persons/3", {}, 410, "GET /api/v2/persons/3"),
        ("/v1/organizations/4/persons", {}, 410, "GET /api/v2/persons?org_id=4"),
        ("/v1/stages", {}, 410, "GET /api/v2/stages"),
        ("/v1/products/search", {"term": "a"}, 410, "GET /api/v2/products/search"),
    ],
)
def test_errors_use_the_error_envelope(shared, path, params, status, text):
    _, url = shared
    response = get(url, path, **params)
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False and body["errorCode"] == status and text in body["error"]


# -- pagination ------------------------------------------------------------------------


def test_v2_cursor_pagination_reaches_the_end_without_duplicates(shared):
    emu, url = shared
    deals = walk_v2(url, "/api/v2/deals", limit=500)
    ids = [d["id"] for d in deals]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    expected = [
        d["id"] for d in emu.records("deals") if not d["is_deleted"] and not d["is_archived"]
    ]
    assert ids == expected
    assert len(get(url, "/api/v2/deals").json()["data"]) == 100  # the default limit


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
def test_v1_offset_pagination_on_both_prefixes(shared, prefix):
    emu, url = shared
    notes, start = [], 0
    while True:
        body = get(url, f"{prefix}/notes", start=start, limit=100).json()
        notes.extend(body["data"])
        pagination = body["additional_data"]["pagination"]
        assert pagination["start"] == start and pagination["limit"] == 100
        if not pagination["more_items_in_collection"]:
            assert "next_start" not in pagination
            break
        start = pagination["next_start"]
    assert [n["id"] for n in notes] == list(range(1, SMALL["notes"] + 1))
    fields = get(url, f"{prefix}/dealFields", start=0, limit=500).json()["data"]
    assert {"id", "key", "name", "field_type", "edit_flag"} <= set(fields[0])
    # Pipedrive leaves `options` out of fields that have none; it is never null.
    assert all(f["options"] for f in fields if "options" in f)
    assert {f["key"] for f in fields if "options" in f} >= {"status", "label", "visible_to"}


def test_update_window_is_since_inclusive_and_until_exclusive(shared):
    emu, url = shared
    target = emu.records("persons")[57]
    moment = parse(target["update_time"])
    at_since = walk_v2(url, "/api/v2/persons", limit=500, updated_since=rfc(moment))
    assert target["id"] in {p["id"] for p in at_since}
    assert all(parse(p["update_time"]) >= moment for p in at_since)
    at_until = walk_v2(url, "/api/v2/persons", limit=500, updated_until=rfc(moment))
    assert target["id"] not in {p["id"] for p in at_until}
    assert all(parse(p["update_time"]) < moment for p in at_until)
    assert len(at_since) + len(at_until) == SMALL["persons"]
    one_second = walk_v2(
        url, "/api/v2/persons", updated_since=rfc(moment),
        updated_until=rfc(moment + timedelta(seconds=1)),
    )  # fmt: skip
    assert target["id"] in {p["id"] for p in one_second}


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_by_update_time(shared, direction):
    _, url = shared
    deals = walk_v2(
        url, "/api/v2/deals", limit=500, sort_by="update_time", sort_direction=direction
    )
    keys = [(d["update_time"], d["id"]) for d in deals]
    assert keys == sorted(keys, reverse=direction == "desc")
    assert len(deals) == len(walk_v2(url, "/api/v2/deals", limit=500))


# -- deleted and archived deals -----------------------------------------------------------


def test_default_deal_list_excludes_deleted_and_archived(shared):
    emu, url = shared
    everything = emu.records("deals")
    assert any(d["is_deleted"] for d in everything) and any(d["is_archived"] for d in everything)
    listed = walk_v2(url, "/api/v2/deals", limit=500)
    assert not any(d["is_deleted"] or d["is_archived"] for d in listed)
    deleted = walk_v2(url, "/api/v2/deals", limit=500, status="deleted")
    assert deleted and all(d["is_deleted"] and d["status"] == "deleted" for d in deleted)
    archived = walk_v2(url, "/api/v2/deals/archived", limit=500)
    assert archived and all(d["is_archived"] for d in archived)
    won = walk_v2(url, "/api/v2/deals", limit=500, status="won,lost")
    assert {d["status"] for d in won} == {"won", "lost"}


def test_delete_and_archive_move_a_deal_between_lists(fresh):
    emu, url = fresh
    listed = walk_v2(url, "/api/v2/deals", limit=500)
    doomed, shelved = listed[3]["id"], listed[4]["id"]
    emu.delete_deal(doomed)
    emu.archive_deal(shelved)
    ids = {d["id"] for d in walk_v2(url, "/api/v2/deals", limit=500)}
    assert doomed not in ids and shelved not in ids
    recent = rfc(datetime(2026, 11, 20, 12, tzinfo=UTC))
    deleted = walk_v2(url, "/api/v2/deals", status="deleted", updated_since=recent)
    assert [d["id"] for d in deleted] == [doomed]
    assert shelved in {d["id"] for d in walk_v2(url, "/api/v2/deals/archived", limit=500)}
    emu.touch("deals", 1, datetime(2026, 11, 20, 18, tzinfo=UTC))
    touched = walk_v2(
        url, "/api/v2/deals", updated_since=rfc(datetime(2026, 11, 20, 17, tzinfo=UTC))
    )
    assert [d["id"] for d in touched] == [1]


# -- deal products and custom fields ------------------------------------------------------


def test_bulk_deal_products_take_at_most_100_ids(shared):
    emu, url = shared
    ids = ",".join(str(i) for i in range(1, 101))
    products = walk_v2(url, "/api/v2/deals/products", deal_ids=ids, limit=50)
    expected = [p for p in emu.records("deal_products") if p["deal_id"] <= 100]
    assert products == expected and products
    assert set(products[0]) >= {"id", "deal_id", "product_id", "quantity", "item_price", "sum"}
    one = next(p["deal_id"] for p in products)
    assert get(url, f"/api/v2/deals/{one}/products").json()["data"][0]["deal_id"] == one
    too_many = get(url, "/api/v2/deals/products", deal_ids=ids + ",101")
    assert too_many.status_code == 400 and "100" in too_many.json()["error"]


def test_custom_fields_with_hashes_options_and_labels(shared):
    emu, url = shared
    fields = {f["field_name"]: f for f in emu.field_definitions("deals") if f["is_custom_field"]}
    assert {"Lead source", "Lead Source", "Value"} <= set(fields)
    assert all(len(f["field_code"]) == 40 for f in fields.values())
    enum, tags, money = (
        fields["Lead source"],
        fields["Products of interest"],
        fields["Contract value"],
    )
    deals = get(url, "/api/v2/deals", limit=200).json()["data"]
    values = [d["custom_fields"] for d in deals]
    assert {v[enum["field_code"]] for v in values} - {None} <= {o["id"] for o in enum["options"]}
    assert any(isinstance(v[tags["field_code"]], list) for v in values)
    assert any(set(v[money["field_code"]] or {}) == {"value", "currency"} for v in values)
    labelled = get(url, "/api/v2/deals", limit=200, include_option_labels="true").json()["data"]
    labels = {o["id"]: o["label"] for o in enum["options"]}
    for plain, rich in zip(values, labelled, strict=True):
        if plain[enum["field_code"]] is not None:
            option = rich["custom_fields"][enum["field_code"]]
            assert option == {"id": plain[enum["field_code"]], "label": labels[option["id"]]}
    narrowed = get(url, "/api/v2/deals", custom_fields=enum["field_code"]).json()["data"]
    assert all(set(d["custom_fields"]) == {enum["field_code"]} for d in narrowed)
    v2_fields = walk_v2(url, "/api/v2/dealFields", limit=10)
    assert [f["field_code"] for f in v2_fields] == [
        f["field_code"] for f in emu.field_definitions("deals")
    ]


# -- v1 extras --------------------------------------------------------------------------


def test_v1_reference_endpoints_recents_and_flow(shared):
    emu, url = shared
    users = get(url, "/v1/users").json()["data"]
    assert len(users) == 25 and users[0]["is_you"] is True
    teams = get(url, "/api/v1/legacyTeams").json()["data"]
    assert get(url, f"/v1/legacyTeams/{teams[0]['id']}/users").json()["data"] == teams[0]["users"]
    assert len(get(url, "/v1/activityTypes").json()["data"]) == 8
    flow = get(url, "/v1/deals/5/flow", all_changes=1, items="dealChange").json()
    assert flow["data"] and all(item["object"] == "dealChange" for item in flow["data"])
    assert {"field_key", "old_value", "new_value", "log_time"} <= set(flow["data"][0]["data"])
    recent = get(
        url, "/v1/recents", since_timestamp="2026-11-19 00:00:00", items="deal", limit=500
    ).json()
    assert recent["data"] and all(r["item"] == "deal" for r in recent["data"])
    stamps = [r["data"]["update_time"] for r in recent["data"] if r["data"]]
    assert stamps == sorted(stamps) and stamps[0] >= "2026-11-19 00:00:00"


def test_v1_only_field_lists_notes_and_leads(shared):
    emu, url = shared
    notes = get(url, "/v1/noteFields").json()
    assert notes["success"] is True
    assert {"content", "deal_id", "person_id", "org_id", "update_time"} <= {
        f["key"] for f in notes["data"]
    }
    assert not any(f["edit_flag"] for f in notes["data"])  # notes have no custom fields
    leads = get(url, "/api/v1/leadFields").json()["data"]
    deal_custom = {f["field_code"] for f in emu.field_definitions("deals") if f["is_custom_field"]}
    custom = {f["key"] for f in leads if f["edit_flag"] and not f.get("is_subfield")}
    assert custom == deal_custom  # shared with deals
    assert get(url, "/api/v2/noteFields").status_code == 404  # v2 has no such list


# -- rate limits ------------------------------------------------------------------------


def test_burst_limit_then_429_then_403_block_page():
    clock = FakeClock()
    emu = emulator(burst_limit=3, clock=clock, abuse_threshold=4, block_seconds=30)
    with serve(emu) as url:
        first = get(url, "/api/v2/pipelines")
        assert first.headers["x-ratelimit-limit"] == "3"
        assert first.headers["x-ratelimit-remaining"] == "2"
        assert first.headers["x-ratelimit-reset"] == "2"
        get(url, "/api/v2/pipelines"), get(url, "/api/v2/pipelines")
        over = get(url, "/api/v2/pipelines")
        assert over.status_code == 429
        assert over.json()["error"] == "Request over limit" and over.json()["success"] is False
        assert over.headers["x-ratelimit-remaining"] == "0"
        clock.now += 2.0  # a new window
        assert get(url, "/api/v2/pipelines").status_code == 200
        clock.now += 2.0
        statuses = [get(url, "/api/v2/pipelines").status_code for _ in range(3 + 5)]
        # With the 429 above, the fifth within 10 s passes abuse_threshold=4: blocked.
        assert statuses[:3] == [200] * 3 and statuses[3:7] == [429] * 4
        assert statuses[7] == 403
        blocked = get(url, "/api/v2/pipelines")
        assert blocked.status_code == 403 and blocked.headers["Content-Type"].startswith(
            "text/html"
        )
        assert "Cloudflare" in blocked.text
        clock.now += 31
        assert get(url, "/api/v2/pipelines").status_code == 200


def test_daily_budget_runs_out_until_midnight():
    clock = FakeClock()
    emu = emulator(daily_budget=25, clock=clock)
    with serve(emu) as url:
        first = get(url, "/api/v2/deals")  # a v2 list costs 10 tokens
        assert first.headers["x-daily-ratelimit-token-limit"] == "25"
        assert first.headers["x-daily-ratelimit-token-remaining"] == "15"
        assert get(url, "/api/v2/deals/1").headers["x-daily-ratelimit-token-remaining"] == "14"
        assert get(url, "/api/v2/persons").status_code == 200
        spent = get(url, "/v1/notes")  # a v1 list costs 20
        assert spent.status_code == 429 and "Daily rate limit" in spent.json()["error"]
        assert 0 < int(spent.headers["x-ratelimit-reset"]) <= 86_400
        assert spent.headers["x-daily-ratelimit-token-remaining"] == "4"
        clock.now += int(spent.headers["x-ratelimit-reset"])
        assert get(url, "/v1/notes").status_code == 200


# -- determinism and scale ------------------------------------------------------------------


def test_same_settings_give_the_same_data():
    one, two = emulator(), emulator()
    for entity in ("deals", "persons", "organizations", "activities", "products", "notes"):
        assert one.records(entity) == two.records(entity), entity
    assert one.field_definitions("persons") == two.field_definitions("persons")
    other = emulator(seed=12)
    assert other.records("deals") != one.records("deals")


def test_default_sizes():
    emu = PipedriveEmulator(anchor=ANCHOR)
    sizes = emu.data.sizes
    assert (sizes["deals"], sizes["persons"], sizes["organizations"], sizes["activities"]) == (
        20_000, 10_000, 5_000, 30_000,
    )  # fmt: skip
    for entity in ("deals", "persons", "organizations", "activities", "notes", "products"):
        assert len(emu.data.table(entity)) == sizes[entity] if entity in sizes else True


def test_a_million_deals_build_fast_and_serve_the_last_page():
    """Tables are stdlib arrays and records are built per page, so a million deals fit."""
    emu = PipedriveEmulator(token=TOKEN, anchor=ANCHOR, scale=50, burst_limit=10_000)
    assert emu.data.sizes["deals"] == 1_000_000
    with serve(emu) as url:
        first = get(url, "/api/v2/deals", limit=500, sort_direction="desc").json()
        last_id = first["data"][0]["id"]
        # The cursor is opaque to clients; the test writes one to jump to the end.
        cursor = {
            "field": "id",
            "fieldValue": last_id - 99,
            "sortDirection": "asc",
            "id": last_id - 99,
        }
        raw = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
        last = get(url, "/api/v2/deals", limit=500, cursor=raw).json()
        assert last["additional_data"]["next_cursor"] is None
        assert last["data"][-1]["id"] == last_id > 999_000
        recent = walk_v2(url, "/api/v2/deals", limit=500, updated_since="2026-11-20T11:55:00Z")
        assert recent and all(d["update_time"] >= "2026-11-20T11:55:00Z" for d in recent)
