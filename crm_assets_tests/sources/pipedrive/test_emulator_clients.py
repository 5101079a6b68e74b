"""The Pipedrive emulator as third-party tools see it, over a real loopback socket.

pipedrive-python-lib (from PyPI) runs unmodified but for its `domain`. dlt's verified
Pipedrive source and Singer's tap-pipedrive hard-code Pipedrive's hosts and bring
whole frameworks, so the requests their discovery and first sync make are replayed
here as their code makes them (dlt-hub/verified-sources `sources/pipedrive`,
singer-io/tap-pipedrive `tap_pipedrive/`), with the checks their code relies on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from pipedrive.client import Client
from pipedrive.exceptions import BadRequestError, GoneError, NotFoundError

from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

TOKEN = "pd-clients-token-51aa"
SMALL = {
    "deals": 300, "persons": 80, "organizations": 40, "activities": 120,
    "notes": 90, "products": 12,
}  # fmt: skip
FIELD_LISTS = ("deal", "person", "organization", "product", "activity")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    emu = PipedriveEmulator(token=TOKEN, sizes=SMALL, burst_limit=10_000)
    with serve(emu) as base:
        yield base


@pytest.fixture
def client(url) -> Client:
    client = Client(domain=url)
    client.set_api_token(TOKEN)
    return client


def get(url: str, path: str, **params) -> requests.Response:
    """A request as dlt and Singer send it: the token as the `api_token` parameter."""
    return requests.get(f"{url}{path}", params={"api_token": TOKEN, **params}, timeout=10)


# -- pipedrive-python-lib -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "v2"),
    [
        (lambda c: c.deals.get_all_deals(), "/api/v2/deals"),
        (lambda c: c.deals.get_deal(7), "/api/v2/deals/7"),
        (lambda c: c.deals.get_all_deals_with_filter(3), "/api/v2/deals"),
        (lambda c: c.deals.get_deal_activities(7), "/api/v2/activities?deal_id=7"),
        (lambda c: c.persons.get_all_persons(), "/api/v2/persons"),
        (lambda c: c.persons.get_person_deals(2), "/api/v2/deals?person_id=2"),
        (lambda c: c.organizations.get_all_organizations(), "/api/v2/organizations"),
        (lambda c: c.organizations.get_organization_persons(2), "/api/v2/persons?org_id=2"),
        (lambda c: c.activities.get_all_activities(), "/api/v2/activities"),
        (lambda c: c.products.get_all_products(), "/api/v2/products"),
        (lambda c: c.pipelines.get_all_pipelines(), "/api/v2/pipelines"),
        (lambda c: c.stages.get_stage(1), "/api/v2/stages/1"),
        (lambda c: c.items.get_item_search(params={"term": "x"}), "/api/v2/itemSearch"),
        (lambda c: c.deals.create_deal({"title": "t"}), "/api/v2/deals"),
        (lambda c: c.pipelines.get_pipeline_deals(1), "/api/v2/deals?pipeline_id=1"),
        (lambda c: c.stages.get_stage_deals(2), "/api/v2/deals?stage_id=2"),
    ],
)
def test_python_lib_retired_v1_calls_get_410_pointing_at_v2(client, call, v2):
    with pytest.raises(GoneError) as raised:
        call(client)
    response = raised.value.response
    assert response.status_code == 410
    body = response.json()
    assert body["success"] is False and body["errorCode"] == 410
    assert "API v2" in body["error"] and body["error"].endswith(v2)
    assert "developers.pipedrive.com" in body["error_info"]


def test_python_lib_calls_that_v1_still_serves_work(client):
    for entity in FIELD_LISTS:
        fields = getattr(client, f"{entity}s" if entity != "activity" else "activities")
        getter = getattr(fields, f"get_{entity}_fields")
        body = getter()
        assert body["success"] is True and body["data"], entity
    assert {f["key"] for f in client.notes.get_note_fields()["data"]} >= {"content", "deal_id"}
    notes = client.notes.get_all_notes(params={"limit": 5})
    assert len(notes["data"]) == 5 and notes["additional_data"]["pagination"]["next_start"] == 5
    assert client.notes.get_note(notes["data"][0]["id"])["data"]["id"] == notes["data"][0]["id"]
    assert len(client.users.get_all_users()["data"]) == 25
    assert client.users.get_me()["data"]["id"] == 1
    assert client.users.get_user(2)["data"]["id"] == 2
    recents = client.recents.get_recent_changes(
        params={"since_timestamp": "2000-01-01 00:00:00", "items": "deal", "limit": 3}
    )
    assert [r["item"] for r in recents["data"]] == ["deal"] * 3
    flow = client.deals.get_deal_updates(5)
    assert flow["success"] is True and isinstance(flow["data"], list)
    deal = next(d for d in range(1, 50) if client.deals.get_deal_products(d)["data"])
    products = client.deals.get_deal_products(deal)
    assert {"product_id", "item_price", "quantity", "sum", "enabled_flag", "last_edit"} <= set(
        products["data"][0]
    )
    assert products["additional_data"]["products_sum_total"] == round(
        sum(p["sum"] for p in products["data"]), 2
    )
    assert client.leads.get_all_leads()["data"] == []
    assert client.filters.get_all_filters()["success"] is True


def test_python_lib_reads_of_what_the_account_lacks_answer_as_the_vendor_does(client):
    # The emulated account has no leads, filters, mail or webhooks: lists are empty,
    # single records 404, a search without a term is refused.
    followers = client.deals.get_deal_followers(5)
    assert {f["deal_id"] for f in followers["data"]} == {5}
    assert all({"id", "user_id", "add_time"} <= set(f) for f in followers["data"])
    assert followers["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert client.deals.get_deal_mail_messages(5)["data"] == []
    assert client.webhooks.get_hooks_subscription()["data"] == []
    assert client.leads.search_leads(params={"term": "acme"})["data"] == {"items": []}
    with pytest.raises(BadRequestError):
        client.leads.search_leads(params={"term": "a"})
    for call in (
        lambda: client.leads.get_lead("adf21080-0e10-11eb-879b-05d71fb426ec"),
        lambda: client.leads.get_lead_details("adf21080-0e10-11eb-879b-05d71fb426ec"),
        lambda: client.filters.get_filter(3),
        lambda: client.deals.get_deal_followers(999_999),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_the_v2_endpoints_a_410_names_answer(url):
    for v1, v2 in [
        ("/v1/deals", "/api/v2/deals"),
        ("/v1/persons/2", "/api/v2/persons/2"),
        ("/v1/organizations/3/persons", "/api/v2/persons?org_id=3"),
        ("/v1/pipelines/1", "/api/v2/pipelines/1"),
        ("/v1/stages/2", "/api/v2/stages/2"),
    ]:
        gone = get(url, v1)
        assert gone.status_code == 410 and gone.json()["error"].endswith(v2)
        path, _, query = v2.partition("?")
        params = dict([query.split("=")]) if query else {}
        answer = get(url, path, **params)
        assert answer.status_code == 200 and answer.json()["data"], v2


# -- dlt verified source (v1 `pipedrive_source`) ------------------------------------------


@pytest.mark.parametrize("entity", FIELD_LISTS)
def test_dlt_create_state_reads_every_field_list_without_null_options(url, entity):
    # dlt's `update_fields_mapping` reads `data_item.get("options", [])` and iterates
    # it, for custom fields and for standard enum/set fields: `null` crashes it.
    body = get(url, f"/v1/{entity}Fields", start=0, limit=500).json()
    assert body["success"] is True and body["data"]
    for item in body["data"]:
        if item.get("edit_flag") or item["field_type"] in ("set", "enum"):
            options = item.get("options", [])
            assert isinstance(options, list), (entity, item["key"])
            {str(o["id"]): o["label"] for o in options}  # noqa: B018 - dlt's own use
    assert any("options" not in item for item in body["data"])
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False


# Every item type dlt's `RECENTS_ENTITIES` asks `/recents` for, from its start value.
DLT_RECENTS = (
    "activity", "activityType", "deal", "file", "filter", "note", "person",
    "organization", "pipeline", "product", "project", "stage", "task", "user",
)  # fmt: skip


@pytest.mark.parametrize("item", DLT_RECENTS)
def test_dlt_recents_answers_every_item_type_it_asks_for(url, item):
    body = get(
        url, "/v1/recents", since_timestamp="1970-01-01 00:00:00", items=item, start=0, limit=500
    ).json()
    assert body["success"] is True and isinstance(body["data"], list)
    assert all(entry["item"] == item for entry in body["data"])
    pagination = body["additional_data"]["pagination"]
    assert pagination["start"] == 0 and "more_items_in_collection" in pagination
    if item == "user":  # dlt's `_list_wrapped`: users arrive as a list
        assert all(isinstance(entry["data"], list) for entry in body["data"])


def test_dlt_deal_transformers_and_leads(url):
    deals = get(url, "/api/v2/deals", limit=50).json()["data"]
    with_person = next(d for d in deals if d["person_id"])
    participants = get(url, f"/v1/deals/{with_person['id']}/participants", limit=500).json()
    assert participants["data"][0]["person_id"]["value"] == with_person["person_id"]
    assert participants["additional_data"]["pagination"]["more_items_in_collection"] is False
    flow = get(url, f"/v1/deals/{with_person['id']}/flow", start=0, limit=500).json()
    assert all({"object", "timestamp", "data"} <= set(item) for item in flow["data"])
    leads = get(url, "/v1/leads", sort="update_time DESC", start=0, limit=500).json()
    assert leads["success"] is True and leads["data"] == []
    assert get(url, "/v1/deals/999999/participants").status_code == 404


# dlt's v2 source (`rest_v2`): its default resources with their resource defaults,
# `updated_since` on the incremental ones, then the nested per-deal resources.
DLT_V2_DEFAULTS = {"limit": 500, "sort_by": "update_time", "sort_direction": "desc"}
DLT_V2_INCLUDE = {
    "deals": "next_activity_id,last_activity_id,first_won_time,products_count,files_count,"
    "notes_count,followers_count,email_messages_count,activities_count,done_activities_count,"
    "undone_activities_count,participants_count,last_incoming_mail_time,"
    "last_outgoing_mail_time,smart_bcc_email",
    "persons": "open_deals_count,closed_deals_count,activities_count,notes_count",
    "organizations": "open_deals_count,closed_deals_count,activities_count,notes_count",
}


@pytest.mark.parametrize(
    "resource", ["deals", "persons", "organizations", "products", "pipelines", "stages"]
)
def test_dlt_v2_resources_page_to_the_end(url, resource):
    params = dict(DLT_V2_DEFAULTS, limit=100)
    if resource in DLT_V2_INCLUDE:
        params["include_fields"] = DLT_V2_INCLUDE[resource]
    if resource not in ("pipelines", "stages"):
        params["updated_since"] = "2000-01-01T00:00:00Z"
    seen, cursor = [], None
    while True:
        body = get(url, f"/api/v2/{resource}", **params, **({"cursor": cursor} if cursor else {}))
        assert body.status_code == 200, body.text
        page = body.json()
        seen.extend(item["update_time"] for item in page["data"])
        cursor = page["additional_data"]["next_cursor"]
        if not cursor:
            break
    assert seen and seen == sorted(seen, reverse=True)


def test_dlt_v2_nested_deal_products_and_followers(url):
    deal = get(url, "/api/v2/deals", limit=1).json()["data"][0]
    products = get(url, f"/api/v2/deals/{deal['id']}/products", **DLT_V2_DEFAULTS).json()
    assert products["success"] is True and "next_cursor" in products["additional_data"]
    followers = get(url, f"/api/v2/deals/{deal['id']}/followers", **DLT_V2_DEFAULTS).json()
    assert deal["owner_id"] in {f["user_id"] for f in followers["data"]}
    assert all(set(f) == {"user_id", "add_time"} for f in followers["data"])
    assert followers["additional_data"] == {"next_cursor": None}


# -- Singer tap-pipedrive ------------------------------------------------------------------


@pytest.mark.parametrize("entity", (*FIELD_LISTS, "note"))
def test_singer_discovery_reads_each_dynamic_schema_field_list(url, entity):
    # `DynamicSchemaStream.get_schema`: `GET /v1/<x>Fields?start=0&limit=100`; any
    # status but 200 raises out of discovery; each item needs `key` and `field_type`.
    response = get(url, f"/v1/{entity}Fields", start=0, limit=100)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] and all({"key", "field_type"} <= set(f) for f in body["data"])
    assert "more_items_in_collection" in body["additional_data"]["pagination"]


def test_singer_sync_v1_requests_still_answer(url):
    notes = get(url, "/v1/notes", start=0, limit=100, sort="update_time desc").json()
    stamps = [n["update_time"] for n in notes["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert get(url, "/v1/activityTypes", start=0, limit=100).json()["data"]
    deal_fields = get(url, "/v1/dealFields", start=0, limit=100).json()["data"]
    # `DealFields.process_row` drops subfields by the mere presence of `parent_id`; the
    # fields it keeps need their id (key) and `update_time` (bookmark).
    kept = [f for f in deal_fields if "parent_id" not in f]
    assert kept and all(f["id"] and f["update_time"] for f in kept)
    assert all(f["id"] is None for f in deal_fields if "parent_id" in f)
    users = get(url, "/v1/recents", since_timestamp="2000-01-01 00:00:00", items="user").json()
    assert users["data"] and isinstance(users["data"][0]["data"], list)
    assert get(url, "/v1/deals/3/flow", start=0, limit=100).json()["success"] is True
    currencies = get(url, "/v1/currencies", start=0, limit=100).json()["data"]
    assert {c["code"] for c in currencies} >= {"USD", "EUR"}
    assert get(url, "/v1/filters", start=0, limit=100).json()["success"] is True
    products = get(url, "/v1/deals/3/products", start=0, limit=100).json()
    assert products["success"] is True and "pagination" in products["additional_data"]
