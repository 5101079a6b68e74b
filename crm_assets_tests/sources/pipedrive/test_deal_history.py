"""The emulator's deal histories hold together, so the funnel built on them means something.

Read over loopback as a client would: every deal (live, won, lost, archived, deleted)
and its `/v1/deals/{id}/flow`. A deal's `stage_id` changes run in time order between
its creation and its close (or last update), each leaving the stage the previous one
entered, from its pipeline's first stage to the deal's own stage, in its pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets_tests.sources.pipedrive.conftest import ANCHOR, SMALL

TOKEN = "pd-history-token-3b9f"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[PipedriveEmulator, str]]:
    emu = PipedriveEmulator(token=TOKEN, anchor=ANCHOR, sizes=SMALL, burst_limit=100_000)
    with serve(emu) as url:
        yield emu, url


def get(url: str, path: str, **params) -> dict:
    response = requests.get(
        f"{url}{path}", params=params, headers={"x-api-token": TOKEN}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def every(url: str, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        body = get(url, path, limit=500, **params, **({"cursor": cursor} if cursor else {}))
        items.extend(body["data"])
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return items


def rfc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def v1(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def all_deals(url: str) -> list[dict]:
    deals = []
    for path in ("/api/v2/deals", "/api/v2/deals/archived"):
        deals += every(url, path, status="open,won,lost,deleted")
    return deals


def stage_changes(url: str, deal_id: int) -> list[dict]:
    """The deal's stage changes, oldest first, as the flow lists them (newest first)."""
    flow = get(url, f"/v1/deals/{deal_id}/flow", all_changes=1, items="dealChange", limit=500)
    assert not flow["additional_data"]["pagination"]["more_items_in_collection"]
    changes = [item["data"] for item in flow["data"] if item["data"]["field_key"] == "stage_id"]
    return changes[::-1]


def test_every_deal_history_is_chained_in_time_and_ends_at_the_deal_stage(served):
    _, url = served
    stages = every(url, "/api/v2/stages")
    pipeline_of = {s["id"]: s["pipeline_id"] for s in stages}
    first = {}
    for stage in sorted(stages, key=lambda s: (s["pipeline_id"], s["order_nr"])):
        first.setdefault(stage["pipeline_id"], stage["id"])
    order = {s["id"]: s["order_nr"] for s in stages}
    deals = all_deals(url)
    assert len(deals) == len({d["id"] for d in deals}) > 300
    with_history = backward = forward = 0
    for deal in deals:
        changes = stage_changes(url, deal["id"])
        times = [v1(c["log_time"]) for c in changes]
        added, updated = rfc(deal["add_time"]), rfc(deal["update_time"])
        end = rfc(deal["close_time"]) if deal["status"] in ("won", "lost") else updated
        if not changes:
            assert deal["stage_id"] == first[deal["pipeline_id"]], deal
            assert deal["stage_change_time"] is None, deal
            continue
        with_history += 1
        assert times == sorted(times) and len(set(times)) == len(times), deal["id"]
        assert added < times[0] and times[-1] <= end <= updated, deal["id"]
        assert changes[0]["old_value"] == first[deal["pipeline_id"]], deal["id"]
        for before, after in zip(changes, changes[1:], strict=False):
            assert after["old_value"] == before["new_value"], deal["id"]
        for change in changes:
            assert change["old_value"] != change["new_value"], deal["id"]
            assert pipeline_of[change["old_value"]] == deal["pipeline_id"], deal["id"]
            assert pipeline_of[change["new_value"]] == deal["pipeline_id"], deal["id"]
            moved = order[change["new_value"]] - order[change["old_value"]]
            backward += moved < 0
            forward += moved > 0
        # Won and lost deals keep the stage they closed from.
        assert changes[-1]["new_value"] == deal["stage_id"], deal["id"]
        assert rfc(deal["stage_change_time"]) == times[-1], deal["id"]
    # Most deals moved; about a third were never edited after creation and wait in
    # their first stage.
    assert with_history > 0.5 * len(deals)
    # Mostly forward, now and then a step back.
    assert 0 < backward < 0.2 * forward


def test_a_deal_closes_after_its_last_stage_move(served):
    _, url = served
    closed = [d for d in all_deals(url) if d["status"] in ("won", "lost")]
    assert closed
    for deal in closed:
        flow = get(url, f"/v1/deals/{deal['id']}/flow", items="dealChange", limit=500)["data"]
        status = [i["data"] for i in flow if i["data"]["field_key"] == "status"]
        assert [(s["old_value"], s["new_value"]) for s in status] == [("open", deal["status"])]
        assert v1(status[0]["log_time"]) == rfc(deal["close_time"]), deal["id"]
        moves = [v1(i["data"]["log_time"]) for i in flow if i["data"]["field_key"] == "stage_id"]
        assert all(moved <= rfc(deal["close_time"]) for moved in moves), deal["id"]


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_partition_reads_the_history_of_every_deal_it_reads(pipedrive, warehouse):
    """The flow keeps the deals' lookback, so the funnel finds every synced deal's history."""
    pipedrive.run(warehouse, streams=["deals", "deals_flow"])
    live = {
        d["id"] for d in warehouse.rows("pipedrive_deals") if d["status"] in ("open", "won", "lost")
    }
    flow = warehouse.rows("pipedrive_deals_flow")
    assert live and live <= {r["deal_id"] for r in flow}
    moved = {r["deal_id"] for r in flow if r["field_key"] == "stage_id"}
    assert len(moved & live) > 0.7 * len(live)
