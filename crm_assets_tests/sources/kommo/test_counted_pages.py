"""Kommo's counted lists (custom fields, users) announce their page count on the first
page: with the default settings the pages after it are asked for side by side, each
once, and none past the last announced; `prefetch_pages=0` asks one at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from crm_assets.core.sync.workers import Concurrency, Workers
from crm_assets.sources.kommo.client import hal_pages
from crm_assets_tests.harness import Harness
from crm_assets_tests.sources.kommo.conftest import TOKEN, UNLIMITED, harness

# Small pages, so that each list has several (the emulator's lists fit in one of 250).
LIMIT = 5


def announced(url: str, path: str, key: str) -> tuple[int, list[dict]]:
    """The page count a counted list announces, and the items on all its pages."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    asked = {"page": 1, "limit": LIMIT}
    first = requests.get(f"{url}/api/v4/{path}", params=asked, headers=headers, timeout=5).json()
    items = []
    for page in range(1, first["_page_count"] + 1):
        asked = {"page": page, "limit": LIMIT}
        answer = requests.get(f"{url}/api/v4/{path}", params=asked, headers=headers, timeout=5)
        items += answer.json()["_embedded"][key]
    return first["_page_count"], items


@pytest.fixture(scope="module")
def kommo() -> Iterator[Harness]:
    # Latency keeps a page on its way while the next is asked for, even when a busy
    # machine is slow to schedule the thread that asks (0.03 s was not always enough).
    with contextmanager(harness)(per_second=UNLIMITED, latency=0.2) as running:
        yield running


@pytest.mark.parametrize(("path", "key"), [("leads/custom_fields", "custom_fields"),
                                           ("users", "users")])  # fmt: skip
@pytest.mark.parametrize(("prefetch", "side_by_side"), [(1, 2), (0, 1)])
def test_counted_lists_ask_for_their_announced_pages_once(kommo, path, key, prefetch, side_by_side):
    count, items = announced(kommo.url, path, key)
    assert count >= 3
    resource = kommo.resource(requests_per_second=UNLIMITED)
    assert resource.prefetch_pages == 1  # the default: the first case
    concurrency = Concurrency(streams=1, prefetch=prefetch)
    with resource.client() as client, Workers(concurrency) as workers, workers.as_current():
        kommo.emulator.reset_log()
        pages = list(hal_pages(client, path, key, {"limit": LIMIT}))
    assert [item["id"] for page in pages for item in page] == [item["id"] for item in items]
    asked = Counter(int(r.args["page"][0]) for r in kommo.emulator.requests)
    assert asked == Counter(range(1, count + 1))  # each page once, none past the last
    assert kommo.emulator.most_in_flight == side_by_side
