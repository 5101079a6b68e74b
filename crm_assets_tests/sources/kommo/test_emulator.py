"""The Kommo emulator on a loopback socket, spoken to with plain `requests`.

Checks what docs/kommo-api.md promises: bearer auth and problem bodies, HAL pages
and 204s, windows and ordering, the trash for leads only, deletes as events, the
7-per-second limit with its 403 block, and a million leads computed, not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.kommo.emulator.data import ID_BASE

ANCHOR = date(2026, 11, 20)
TOKEN = "kommo-emulator-token-91d2"
SMALL = {"leads": 300, "contacts": 120, "companies": 50, "tasks": 100, "notes": 40}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[KommoEmulator, str]]:
    emulator = KommoEmulator(token=TOKEN, anchor=ANCHOR, days=20, sizes=SMALL, per_second=10_000)
    with serve(emulator) as url:
        yield emulator, f"{url}/api/v4/"


def get(url: str, path: str, token: str = TOKEN, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{url}{path}", params=params, headers=headers, timeout=10)


def test_auth_and_errors_are_problem_json(shared):
    _, url = shared
    for response in (
        get(url, "leads", token="wrong"),
        get(url, "nowhere"),
        get(url, "leads", limit=251),
    ):
        assert response.headers["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and body["detail"]
    assert get(url, "leads", token="wrong").status_code == 401
    too_many = get(url, "leads", limit=251)
    assert too_many.status_code == 400 and too_many.json()["validation-errors"]


def test_hal_pages_end_with_a_204_after_a_full_last_page(shared):
    emulator, url = shared
    live = [r["id"] for r in emulator.records("leads")]
    assert len(live) == 4 * 73
    pages = [get(url, "leads", page=n, limit=73) for n in range(1, 5)]
    assert all(p.headers["Content-Type"] == "application/hal+json" for p in pages)
    assert [p.json()["_page"] for p in pages] == [1, 2, 3, 4]
    assert [r["id"] for p in pages for r in p.json()["_embedded"]["leads"]] == live
    follow = requests.get(
        pages[-1].json()["_links"]["next"]["href"],
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert follow.status_code == 204 and follow.content == b""
    short = get(url, "leads", limit=250, page=2).json()
    assert "next" not in short["_links"]


def test_windows_filter_and_order(shared):
    emulator, url = shared
    leads = emulator.records("leads")
    low, high = leads[10]["updated_at"], leads[40]["updated_at"]
    params = {"filter[updated_at][from]": low, "filter[updated_at][to]": high, "limit": 250}
    asc = get(url, "leads", **params, **{"order[updated_at]": "asc"}).json()["_embedded"]["leads"]
    assert [r["id"] for r in asc] == [r["id"] for r in leads if low <= r["updated_at"] <= high]
    desc = get(url, "leads", **params, **{"order[updated_at]": "desc"}).json()["_embedded"]
    assert [r["id"] for r in desc["leads"]] == [r["id"] for r in reversed(asc)]
    assert (
        get(
            url, "leads", **{"filter[updated_at][from]": 1, "filter[updated_at][to]": 2}
        ).status_code
        == 204
    )


def test_only_leads_have_a_trash_and_other_deletes_are_events(shared):
    emulator, url = shared
    trash = get(url, "leads", **{"with": "only_deleted", "limit": 250}).json()["_embedded"]["leads"]
    assert {r["id"] for r in trash} == emulator.deleted_ids("leads")
    assert all(set(r) == {"id", "updated_at", "is_deleted", "_links"} for r in trash)
    # Contacts ignore `with=only_deleted`: they answer with live records.
    contacts = get(url, "contacts", **{"with": "only_deleted", "limit": 250}).json()
    listed = {r["id"] for r in contacts["_embedded"]["contacts"]}
    assert listed == {r["id"] for r in emulator.records("contacts")}
    gone = emulator.deleted_ids("contacts")
    assert gone and not gone & listed
    assert get(url, f"contacts/{min(gone)}").status_code == 204
    events = get(url, "events", **{"filter[type]": "contact_deleted", "limit": 100}).json()
    assert {e["entity_id"] for e in events["_embedded"]["events"]} == gone


def test_status_changes_are_events_with_before_and_after(shared):
    emulator, url = shared
    events = get(url, "events", **{"filter[type][]": "lead_status_changed", "limit": 100}).json()
    # A lead's last move (at its update time) enters its current status.
    leads = {r["id"]: r for r in emulator.records("leads")}
    last = [e for e in events["_embedded"]["events"]
            if e["created_at"] == leads[e["entity_id"]]["updated_at"]]  # fmt: skip
    assert last
    for event in last:
        lead = leads[event["entity_id"]]
        assert event["value_after"] == [
            {"lead_status": {"id": lead["status_id"], "pipeline_id": lead["pipeline_id"]}}
        ]
        assert event["value_before"][0]["lead_status"]["pipeline_id"] == lead["pipeline_id"]
        assert isinstance(event["id"], str)


def test_seven_per_second_then_429_then_a_403_block():
    clock = FakeClock()
    emulator = KommoEmulator(
        token=TOKEN, anchor=ANCHOR, sizes=SMALL, clock=clock, abuse_threshold=3, block_seconds=60
    )
    with serve(emulator) as base:
        url = f"{base}/api/v4/"
        assert [get(url, "users").status_code for _ in range(8)] == [200] * 7 + [429]
        assert get(url, "users").headers["Content-Type"] == "application/problem+json"
        clock.now += 1.0
        assert get(url, "users").status_code == 200
        codes = [get(url, "users").status_code for _ in range(12)]
        assert codes[:6] == [200] * 6 and 429 in codes and codes[-1] == 403
        clock.now += 30
        assert get(url, "users").status_code == 403  # still blocked, however slow
        clock.now += 31
        assert get(url, "users").status_code == 200


def test_a_million_leads_are_computed_not_stored():
    emulator = KommoEmulator(
        token=TOKEN, anchor=ANCHOR, sizes={"leads": 1_000_000}, per_second=10_000
    )
    live = 1_000_000 - emulator.data.kinds["leads"].deleted.hits(1_000_000)
    pages = -(-live // 250)
    with serve(emulator) as base:
        last = get(f"{base}/api/v4/", "leads", page=pages, limit=250).json()["_embedded"]["leads"]
        beyond = get(f"{base}/api/v4/", "leads", page=pages + 1, limit=250)
    assert (pages - 1) * 250 + len(last) == live and beyond.status_code == 204
    assert last[-1]["id"] == ID_BASE["leads"] + 999_999
