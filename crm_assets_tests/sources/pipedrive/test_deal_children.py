"""What hangs off deals: the flow's `data: null` fault, and deleted deals' children."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from crm_assets_tests.sources.pipedrive.conftest import TOKEN
from crm_assets_tests.sources.pipedrive.test_sync import (
    FAST,
    FULL,
    PRESENT,
    UNLIMITED,
    by_stream,
    failure_text,
    live_deals,
    products_of,
)

CHILDREN = ["deals", "deal_products", "deals_flow"]


@pytest.fixture
def fast(make_pipedrive):
    return make_pipedrive(burst_limit=UNLIMITED)


def flow_of(harness, deal_id: int) -> list[dict]:
    answer = requests.get(
        f"{harness.url}/v1/deals/{deal_id}/flow",
        params={"all_changes": 1, "limit": 500},
        headers={"x-api-token": TOKEN},
        timeout=10,
    )
    return answer.json()["data"]


def flow_calls(emulator, deal_id: int) -> list:
    return [r for r in emulator.requests if r.path == f"/v1/deals/{deal_id}/flow"]


def with_products(emulator, count: int) -> list[int]:
    """Live, unarchived deals that have products."""
    having = {p["deal_id"] for p in emulator.records("deal_products")}
    return [d["id"] for d in live_deals(emulator) if not d["is_archived"] and d["id"] in having][
        :count
    ]


# -- the flow's transient `data: null` --------------------------------------------------------


def test_the_emulator_answers_a_chosen_flow_with_null_for_n_calls(fast):
    deal = live_deals(fast.emulator)[0]["id"]
    fast.emulator.null_flow([deal], calls=2)
    assert flow_of(fast, deal) is None and flow_of(fast, deal) is None
    assert flow_of(fast, deal)  # the history was there all along
    with pytest.raises(KeyError):
        fast.emulator.null_flow([10**9])


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_null_flow_is_retried_and_its_events_arrive(fast, warehouse):
    emulator = fast.emulator
    deal = live_deals(emulator)[0]["id"]
    emulator.touch("deals", deal)
    events = flow_of(fast, deal)
    emulator.null_flow([deal], calls=2)
    result = fast.run(warehouse, streams=["deals_flow"], **FAST)
    assert result.success
    assert [r.status for r in flow_calls(emulator, deal)][-3:] == [200, 200, 200]
    assert len(flow_calls(emulator, deal)) == 1 + 3  # ours above, then two nulls and the data
    rows = [r for r in warehouse.rows("pipedrive_deals_flow") if r["deal_id"] == deal]
    assert len(rows) == len(events) > 0


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_persistent_null_flow_fails_the_stream_clearly_and_the_others_are_written(
    fast, warehouse
):
    emulator = fast.emulator
    deal = live_deals(emulator)[0]["id"]
    emulator.touch("deals", deal)
    emulator.null_flow([deal], calls=100)
    result = fast.run(
        warehouse, streams=["deals", "deals_flow", "users"], raise_on_error=False, **FAST
    )
    assert not result.success
    text = failure_text(result)
    assert "deals_flow" in text and f"/v1/deals/{deal}/flow" in text
    assert "data: null" in text and "after 6 attempts" in text and TOKEN not in text
    assert len(flow_calls(emulator, deal)) == 6
    assert set(by_stream(result)) == {"deals", "users"}
    assert warehouse.row_count("pipedrive_deals") and warehouse.row_count("pipedrive_users")


# -- deleted deals keep their children -------------------------------------------------------


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_deleted_deals_products_and_flow_are_read_and_stay_live(fast, warehouse):
    emulator = fast.emulator
    fast.run(warehouse, streams=CHILDREN, tags=FULL, **FAST)
    # A full read covers every deal the vendor still has, deleted ones included.
    served = emulator.records("deal_products")
    assert {p["deal_id"] for p in served} - {d["id"] for d in live_deals(emulator)}
    stored = {r["id"]: r for r in warehouse.rows("pipedrive_deal_products")}
    assert sorted(stored) == sorted(p["id"] for p in served)
    assert not [r for r in stored.values() if r["_deleted"]]

    deleted, purged = with_products(emulator, 2)
    emulator.delete_deal(deleted)
    emulator.delete_deal(purged, PRESENT - timedelta(days=40))  # past the vendor's 30 days
    result = fast.run(warehouse, streams=CHILDREN, **FAST)
    assert result.success
    deals = {r["id"]: r for r in warehouse.rows("pipedrive_deals")}
    assert deals[deleted]["_deleted"] is True

    # The deal deleted in the window: its products and its flow read again, and live.
    products = [r for r in warehouse.rows("pipedrive_deal_products") if r["deal_id"] == deleted]
    assert products and not [r for r in products if r["_deleted"]]
    assert {r["id"] for r in products} == {p["id"] for p in products_of(emulator, [deals[deleted]])}
    assert flow_calls(emulator, deleted)
    flow = [r for r in warehouse.rows("pipedrive_deals_flow") if r["deal_id"] == deleted]
    assert flow and not [r for r in flow if r["_deleted"]]

    # The weekly full read keeps them live, and flags only what the vendor purged.
    result = fast.run(warehouse, streams=["deal_products"], tags=FULL, **FAST)
    rows = warehouse.rows("pipedrive_deal_products")
    flagged = {r["id"] for r in rows if r["_deleted"]}
    assert flagged == {r["id"] for r in rows if r["deal_id"] == purged} and flagged
    assert by_stream(result)["deal_products"]["rows_marked_deleted"].value == len(flagged)
    assert {r["id"] for r in rows if not r["_deleted"]} == {
        p["id"] for p in emulator.records("deal_products")
    }


def test_the_emulator_serves_a_deleted_deals_children_until_it_is_purged(fast):
    emulator = fast.emulator
    deleted, purged = with_products(emulator, 2)
    emulator.delete_deal(deleted)
    emulator.delete_deal(purged, PRESENT - timedelta(days=40))

    def get(path, **params):
        return requests.get(
            f"{fast.url}{path}", params=params, headers={"x-api-token": TOKEN}, timeout=10
        )

    assert flow_of(fast, deleted)
    bulk = get("/api/v2/deals/products", deal_ids=f"{deleted},{purged}").json()["data"]
    assert bulk and {p["deal_id"] for p in bulk} == {deleted}
    assert get(f"/api/v2/deals/{deleted}/products").json()["data"]
    assert get(f"/v1/deals/{purged}/flow").status_code == 404
    assert get(f"/api/v2/deals/{purged}/products").status_code == 404
