"""The emulator's lead status events hold together, so the funnel built on them means something.

Read over loopback as a client would: every lead, every pipeline and every
`lead_status_changed` event. Per lead the events chain in time from its pipeline's
first status to its current one, between its creation and its last update; a won
(142) or lost (143) lead's last event leaves the stage it closed from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.kommo.emulator import KommoEmulator

ANCHOR = date(2026, 11, 20)
TOKEN = "kommo-history-token-4e07"
SIZES = {"leads": 900, "contacts": 60, "companies": 30, "tasks": 30, "notes": 30}
WON, LOST = 142, 143


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    emulator = KommoEmulator(token=TOKEN, anchor=ANCHOR, days=60, sizes=SIZES, per_second=10_000)
    with serve(emulator) as url:
        yield f"{url}/api/v4/"


def every(url: str, path: str, key: str, **params) -> list[dict]:
    items, page = [], 1
    while True:
        response = requests.get(
            f"{url}{path}",
            params={**params, "page": page, "limit": 250},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        if response.status_code == 204:
            return items
        response.raise_for_status()
        body = response.json()
        items.extend(body["_embedded"][key])
        if "next" not in body["_links"]:
            return items
        page += 1


def status(values: list[dict]) -> tuple[int, int]:
    (value,) = values
    return value["lead_status"]["id"], value["lead_status"]["pipeline_id"]


def test_every_lead_walks_its_pipeline_to_its_status_in_time(served):
    pipelines = every(served, "leads/pipelines", "pipelines")
    first = {}
    stages_of = {}
    for pipeline in pipelines:
        stages = sorted(
            (s for s in pipeline["_embedded"]["statuses"] if s["id"] not in (WON, LOST)),
            key=lambda s: s["sort"],
        )
        first[pipeline["id"]] = stages[0]["id"]
        stages_of[pipeline["id"]] = [s["id"] for s in stages]
    leads = every(served, "leads", "leads")
    assert len(leads) > 800
    events = every(served, "events", "events", **{"filter[type]": "lead_status_changed"})
    assert len({e["id"] for e in events}) == len(events)
    by_lead = defaultdict(list)
    for event in events:
        by_lead[event["entity_id"]].append(event)
    assert set(by_lead) <= {lead["id"] for lead in leads}

    outcomes = defaultdict(int)
    for lead in leads:
        chain = sorted(by_lead[lead["id"]], key=lambda e: e["created_at"])
        pipeline, current = lead["pipeline_id"], lead["status_id"]
        if not chain:
            assert current == first[pipeline], lead
            continue
        times = [e["created_at"] for e in chain]
        assert len(set(times)) == len(times), lead["id"]
        assert lead["created_at"] < times[0] and times[-1] <= lead["updated_at"], lead["id"]
        assert status(chain[0]["value_before"]) == (first[pipeline], pipeline), lead["id"]
        for before, after in zip(chain, chain[1:], strict=False):
            assert status(after["value_before"]) == status(before["value_after"]), lead["id"]
        for event in chain:
            old, new = status(event["value_before"]), status(event["value_after"])
            assert old != new and old[1] == new[1] == pipeline, lead["id"]
            assert old[0] in stages_of[pipeline], lead["id"]  # nothing leaves 142/143
        assert status(chain[-1]["value_after"]) == (current, pipeline), lead["id"]
        if current in (WON, LOST):
            assert lead["closed_at"] == times[-1], lead["id"]
            outcomes[current] += 1
        else:
            outcomes["open"] += 1
    assert outcomes[WON] and outcomes[LOST] and outcomes["open"]
    assert len(by_lead) > 0.7 * len(leads)


def test_an_archived_pipeline_holds_some_leads(served):
    pipelines = every(served, "leads/pipelines", "pipelines")
    archived = {p["id"] for p in pipelines if p["is_archive"]}
    assert archived and len(archived) < len(pipelines)
    leads = every(served, "leads", "leads")
    held = [lead for lead in leads if lead["pipeline_id"] in archived]
    assert 0 < len(held) < 0.2 * len(leads)
